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


def test_sysv_sem(guest):
    got, _ = assert_same(guest("sysv_sem.c"))
    assert b"same sem twice: ok\nafter: 1 0 4\n" in got.stdout
    assert b"GETNCNT: 1\n" in got.stdout and b"GETZCNT 2: 1\n" in got.stdout
    assert b"child: interrupted: EINTR\n" in got.stdout
    assert b"undone at exit: 5 1 0\n" in got.stdout
    assert b"child: on removed set: EIDRM\n" in got.stdout
    assert b"ALL DONE\n" in got.stdout


def test_sysv_msg(guest):
    got, _ = assert_same(guest("sysv_msg.c"))
    assert b"type -4: 5 type 1 'one-b'\n" in got.stdout
    assert b"type 5 small buffer: E2BIG\ntype 5 noerror: 2 type 5 'fi'\n" in got.stdout
    assert b"child: type 7: 5 type 7 'seven'\n" in got.stdout
    assert b"child: removed queue: EIDRM\n" in got.stdout
    assert b"ALL DONE\n" in got.stdout
