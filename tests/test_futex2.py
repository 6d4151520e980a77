"""Differential test of futex2's futex_wait/futex_wake/futex_requeue/futex_waitv (issue #14) under pynix against
native Linux (the x86_64-musl build runs natively for every target)."""
from __future__ import annotations

from harness import assert_same_as_native


def test_futex2(target):
    out = assert_same_as_native("futex2.c", target)
    assert b"wait, monotonic timeout: ETIMEDOUT\n" in out
    assert b"waiter mask 0x2: ok\nwake mask 0x2: 1\n" in out
    assert b"requeue: 3\n" in out and b"wake on the new word: 2\n" in out
    assert b"waitv woken through the second word: wake 1, index 1\n" in out
    assert b"ALL DONE\n" in out
