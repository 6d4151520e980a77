"""Differential tests of openat2 and its RESOLVE_* restrictions, and of name_to_handle_at/open_by_handle_at
(issue #14), under pynix against native Linux (the x86_64-musl build runs natively for every target)."""
from __future__ import annotations

from harness import assert_same_as_native


def test_openat2(target):
    out = assert_same_as_native("openat2.c", target)
    assert b"beneath absolute symlink: EXDEV\n" in out and b"in_root absolute symlink: ok reads inside\n" in out
    assert b"no_magiclinks fd link: ELOOP\n" in out and b"no_xdev into /proc: EXDEV\n" in out
    assert b"ALL DONE\n" in out


def test_file_handles(target):
    out = assert_same_as_native("fhandle.c", target)
    assert b"open_by_handle_at: ok reads by handle\n" in out and b"same inode: 1 cloexec 0\n" in out
    assert b"user: open_by_handle_at: EPERM\n" in out and b"after unlink: ESTALE\n" in out
    assert b"ALL DONE\n" in out


def test_old_getdents(target):
    """x86_64's legacy getdents (struct linux_dirent) lists what getdents64 lists; riscv64 runs getdents64."""
    out = assert_same_as_native("getdents_old.c", target)
    assert b"a-much-longer-name-than-the-others type 8 reclen%8 0\n" in out and b"sub type 4 reclen%8 0\n" in out
