"""Differential test of POSIX message queues and the mqueue filesystem (issue #14) under pynix against native
Linux (the x86_64-musl build: qemu-user, the usual riscv64 reference, has no mq_notify and checks names itself)."""
from __future__ import annotations

from harness import assert_same_as_native


def test_posix_mq(target):
    out = assert_same_as_native("posix_mq.c", target)
    assert b"first: 2 prio 5 'bb'\nsecond: 4 prio 5 'dddd'\nthird: 1 prio 1 'a'\n" in out
    assert b"child: blocked receive: 4 prio 3 'wake'\n" in out
    assert b"signal 10 code SI_MESGQ 1 value 42 from me 1\n" in out
    assert b"read: 60 QSIZE:12         NOTIFY:0     SIGNO:0     NOTIFY_PID:0     \n" in out
    assert b"ALL DONE\n" in out
