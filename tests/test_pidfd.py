"""Differential tests of pidfds, process_vm_readv/writev, kcmp, personality, ioprio and get_robust_list (issue
#14) under pynix against native Linux
(the x86_64-musl build runs natively for every target: qemu-user has no pidfd_getfd or kcmp)."""
from __future__ import annotations

from harness import assert_same_as_native


def test_pidfd_process_vm_kcmp(target):
    out = assert_same_as_native("pidfd.c", target)
    assert b"process_vm_readv: 17 'the child's copy'\n" in out
    assert b"child: buffer now 'written by the parent'\n" in out
    assert b"pidfd_getfd: ok cloexec 1 reads 'secret'\n" in out
    assert b"poll exited: 0x1\n" in out and b"poll reaped: 0x11\n" in out
    assert b"kcmp thread files: same vm: same fs: same sighand: same\n" in out
    assert b"clone CLONE_PIDFD: fd ok 1 cloexec 1 exited 1 status 7\n" in out
    assert b"pidfd_send_signal /proc/<pid>: ok, /: EBADF, /proc/self/task/<tid>: EBADF, fd 0: EBADF\n" in out
    assert b"ALL DONE\n" in out


def test_personality_ioprio_robust_list(target):
    out = assert_same_as_native("process_attrs.c", target)
    assert b"after exec: personality 0x40000\n" in out
    assert b"UNAME26: release starts with 2.6.: 1, unchanged before: 1\n" in out
    assert b"after RT 1: class 1 level 1\n" in out and b"user: RT: EPERM\n" in out
    assert b"ALL DONE\n" in out
