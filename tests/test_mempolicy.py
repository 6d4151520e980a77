"""Differential test of the NUMA memory-policy calls answered as a one-node machine (issue #14) under pynix
against native Linux (the x86_64-musl build runs natively for every target)."""
from __future__ import annotations

from harness import assert_same_as_native


def test_mempolicy(target):
    out = assert_same_as_native("mempolicy.c", target)
    assert b"bind {0,1}: mode 0x2 nodes 0x1 0\n" in out
    assert b"addr page 0: mode 0 nodes 0 0\naddr page 1: mode 0x2 nodes 0x1 0\n" in out
    assert b"move_pages query: ok status -2 0 -14 -2\n" in out
    assert b"ALL DONE\n" in out
