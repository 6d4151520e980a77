"""Differential test of extended attributes (fs/xattr.c, tmpfs's simple_xattrs): the twelve *xattr calls on
/dev/shm (tmpfs natively and under pynix) and on new files in /tmp (pynix's overlay over the host's /tmp, an
ext4 or tmpfs natively: only user.* with small values is compared there), as root and as nobody, against the
x86_64-musl build run natively."""
from __future__ import annotations

from harness import assert_same_as_native


def test_xattr(target):
    out = assert_same_as_native("xattr.c", target)
    assert b"get: 5 'hello'\nget small buffer: ERANGE\n" in out
    assert b"create existing: EEXIST\nreplace absent: ENODATA\n" in out
    assert b"name 256 set: ERANGE\n" in out and b"too big value: E2BIG\n" in out
    assert b"list: 46 [security.t trusted.t user.a user.b user.empty]\n" in out
    assert b"lset user on link: EPERM\n" in out and b"fget O_PATH: EBADF\n" in out
    assert b"nobody set user (0644 root file): EACCES\n" in out and b"nobody get trusted: ENODATA\n" in out
    assert b"nobody list (no trusted.*): 18 [security.t user.a]\n" in out
    assert b"set on ro: EROFS\n" in out
    assert b"tmp list: 14 [user.a user.b]\n" in out
    assert b"ALL DONE\n" in out
