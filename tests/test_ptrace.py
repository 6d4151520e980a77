"""Differential tests of ptrace (issue #16) under pynix against native Linux: the x86_64-musl build runs
natively as the reference for every target (qemu-user has no ptrace), so the programs print nothing that
depends on the ISA."""
from __future__ import annotations

from harness import assert_same_as_native


def test_syscall_stops_memory_registers(target):
    out = assert_same_as_native("ptrace_syscalls.c", target)
    assert b"enter write (info size 80) pc matches 1 count 7 -> 3 (0)\nAAA  exit" in out
    assert b"child: getpid -> 4242, close -> -1 ENOSYS, value 0x5555, constant 0xbeef\n" in out
    assert b"peek unmapped: -1 EIO\n" in out and b"register views agree: 1\n" in out
    assert b"exited 3 after enough stops\n" in out
