"""Differential tests of signals: handlers and their frames, masks, faults, EINTR, default actions."""
from __future__ import annotations

from harness import assert_same, assert_same_as_native


def test_signals(guest):
    got, _ = assert_same(guest("signals.c"))
    assert b"read interrupted: -1 EINTR got=14\n" in got.stdout
    assert b"segv longjmp: 2\n" in got.stdout


def test_rseq(target):
    """rseq registration rules and a critical section aborted by a signal delivered inside it (native Linux is
    the reference for every target: qemu-user has no rseq)."""
    out = assert_same_as_native("rseq.c", target)
    assert b"signal inside the section: handled 1, section aborted, rseq_cs cleared 1\n" in out
