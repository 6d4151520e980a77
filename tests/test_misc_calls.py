"""Differential tests of unshare, restart_syscall, process_madvise, process_mrelease, cachestat,
lsm_list_modules, signal-driven I/O (F_SETOWN/F_SETSIG/O_ASYNC), leases, and of x86_64's protection-key calls,
ustat and sysfs (issue #14), under pynix against native Linux (the x86_64-musl build runs natively for every
target)."""
from __future__ import annotations

import pytest

from harness import assert_same_as_native, target_isa


def test_misc_calls(target):
    out = assert_same_as_native("misc_calls.c", target)
    assert b"shared close seen: EBADF; unshared close not seen: open\n" in out
    assert b"process_madvise self COLD: 8192\n" in out and b"restart_syscall: EINTR\n" in out
    assert b"ALL DONE\n" in out


def test_x86_legacy_calls(target):
    if target_isa(target) != "x86_64":
        pytest.skip("x86_64-only system calls")
    out = assert_same_as_native("x86_legacy.c", target)
    assert b"pkey_mprotect key -1: ok\nwritten\n" in out and b"sysfs proc: index ok 1, back to proc (ok)\n" in out


def test_signal_driven_io(target):
    out = assert_same_as_native("fasync.c", target)
    assert b"after a write: sigio 1\n" in out
    assert b"F_SETSIG: sigio 1 usr1 1 code POLL_IN 1 band 0x41 fd right 1\n" in out
    assert b"socket: sigio after a write 1\n" in out


def test_leases(target):
    out = assert_same_as_native("lease.c", target)
    assert b"holder signalled: 1 code POLL_MSG 1 fd right 1\ngetlease while breaking: F_UNLCK\n" in out
    assert b"opener still waiting: 1\n" in out and b"child: blocking write open: ok\n" in out
    assert b"child: read open after the downgrade: ok\n" in out
