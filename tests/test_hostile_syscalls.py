"""Hostile arguments to every system call: whatever a guest passes, pynix answers with a result or an errno and
never fails itself (no kernel-bug report, no Python traceback), on both ISAs."""
from __future__ import annotations

from harness import assert_no_traceback, run_guest


def test_every_syscall_number_with_hostile_arguments(guest):
    result = run_guest(guest("syscall_fuzz.c"), ["0", "460"])
    assert_no_traceback(result)
    assert b"kernel bug" not in result.stderr, result.describe()
    assert result.returncode == 0 and result.stdout == b"done 0..460\n", result.describe()
