"""Differential test of inotify (issue #14): the events the VFS raises through fsnotify, under pynix against
native Linux (the x86_64-musl build of the same program runs natively for every target)."""
from __future__ import annotations

from harness import assert_same_as_native


def test_inotify(target):
    out = assert_same_as_native("inotify.c", target)
    assert b"  wd 1 MOVED_FROM cookie len%16=0 'a'\n  wd 1 MOVED_TO cookie=prev len%16=0 'b'\n  wd 2 MOVE_SELF\n" in out
    assert b"unlink b:\n  wd 2 ATTRIB\n  wd 2 DELETE_SELF\n  wd 2 IGNORED\n  wd 1 DELETE len%16=0 'b'\n" in out
    assert b"oneshot attrib:\n  wd 3 ATTRIB\n  wd 3 IGNORED\n" in out
    assert b"events 16385 overflow 1 wd -1\n" in out
    assert b"ALL DONE\n" in out
