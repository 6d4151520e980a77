"""Debugging a guest: the gdb remote stub (gdbstub.py)."""
