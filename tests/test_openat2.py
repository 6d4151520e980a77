"""Differential test of openat2 and its RESOLVE_* restrictions (issue #14) under pynix against native Linux (the
x86_64-musl build runs natively for every target)."""
from __future__ import annotations

from harness import assert_same_as_native


def test_openat2(target):
    out = assert_same_as_native("openat2.c", target)
    assert b"beneath absolute symlink: EXDEV\n" in out and b"in_root absolute symlink: ok reads inside\n" in out
    assert b"no_magiclinks fd link: ELOOP\n" in out and b"no_xdev into /proc: EXDEV\n" in out
    assert b"ALL DONE\n" in out
