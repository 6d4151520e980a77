"""Synchronisation primitives below every subsystem: wait queues and the Block request (wait.py)."""
