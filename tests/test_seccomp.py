"""seccomp: filters and their actions, stacking, inheritance, strict mode, the BPF checker's refusals, the
no_new_privs rule and user notification, differentially against native Linux on every target (qemu-user is no
reference: it refuses seccomp so that the guest cannot filter the emulator's own calls)."""
from __future__ import annotations

from harness import assert_same_as_native


def test_filter_actions(target):
    """The acceptance program (openat denied with EPERM, getpid trapped with SIGSYS and its siginfo, ptrace
    killing the process) and every other action."""
    out = assert_same_as_native("seccomp_filter.c", target)
    assert b"openat: -1 EPERM" in out
    assert b"si_errno 42 si_syscall getpid si_arch native si_call_addr = the pc after the syscall" in out
    assert b"acceptance: killed by signal 31 (SIGSYS)" in out
