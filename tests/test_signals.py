"""Differential tests of signals: handlers and their frames, masks, faults, EINTR, default actions."""
from __future__ import annotations

from harness import assert_same


def test_signals(guest):
    got, _ = assert_same(guest("signals.c"))
    assert b"read interrupted: -1 EINTR got=14\n" in got.stdout
    assert b"segv longjmp: 2\n" in got.stdout
