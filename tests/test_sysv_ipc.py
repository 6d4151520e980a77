"""Differential tests of System V IPC (issue #14): shared memory, semaphores, message queues, natively or under
qemu-riscv64 against pynix."""
from __future__ import annotations

from harness import assert_same


def test_sysv_shm(guest):
    got, _ = assert_same(guest("sysv_shm.c"))
    assert b"child after fork: size 10000 nattch 4 " in got.stdout
    assert b"parent reads: from the child\n" in got.stdout
    assert b"removed, attached: size 10000 nattch 1 mode 1640 " in got.stdout
    assert b"store into rdonly child: 139\n" in got.stdout
    assert b"ALL DONE\n" in got.stdout
