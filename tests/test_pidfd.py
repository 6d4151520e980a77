"""Differential test of pidfds, process_vm_readv/writev and kcmp (issue #14) under pynix against native Linux
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
    assert b"ALL DONE\n" in out
