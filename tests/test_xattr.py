"""Differential test of extended attributes (fs/xattr.c, tmpfs's simple_xattrs): the twelve *xattr calls on
/dev/shm (tmpfs natively and under pynix) and on new files in /tmp (pynix's overlay over the host's /tmp, an
ext4 or tmpfs natively: only user.* with small values is compared there), as root and as nobody, against the
x86_64-musl build run natively."""
from __future__ import annotations

import os
import tempfile

import pytest
from harness import assert_same_as_native


def test_xattr(target):
    out = assert_same_as_native("xattr.c", target)
    assert b"get: 5 'hello'\nget small buffer: ERANGE\n" in out
    assert b"create existing: EEXIST\nreplace absent: ENODATA\n" in out
    assert b"name 256 set: ERANGE\n" in out and b"too big value: E2BIG\n" in out
    assert b"list: 46 [security.t trusted.t user.a user.b user.empty]\n" in out
    assert b"lset user on link: EPERM\n" in out and b"fget O_PATH: EBADF\n" in out
    assert b"nobody set user (0644 root file): EACCES\n" in out and b"nobody get trusted: ENODATA\n" in out
    assert b"nobody set security: EPERM\n" in out
    assert b"nobody list (no trusted.*): 18 [security.t user.a]\n" in out
    assert b"get bad name, missing path: ERANGE\n" in out
    assert b"set on ro: EROFS\n" in out
    assert b"tmp list: 14 [user.a user.b]\n" in out
    assert b"ALL DONE\n" in out


def test_xattr_existing_host_file(target):
    """A file of the host's /tmp with a user.* attribute: under pynix it is in the lower layer of the /tmp overlay
    (hostfs reads the host's user.* attributes), and setting one copies it up with its attributes: the host's
    file is left as it was."""
    def args_for(_target):
        fd, name = tempfile.mkstemp(prefix="pynix-xattr-", dir="/tmp")
        os.close(fd)
        try:
            os.setxattr(name, "user.lower", b"below")
        except OSError as e:
            os.unlink(name)
            pytest.skip(f"the host's /tmp keeps no user.* attributes: {e}")
        created.append(name)
        return (name,)

    created: list[str] = []
    try:
        out = assert_same_as_native("xattr.c", target, args_for)
        assert os.listxattr(created[0]) == ["user.lower"], "pynix changed the host's file, not its copy"
    finally:
        for name in created:
            os.unlink(name)
    assert b"lower get: 5 'below'\nlower list: 11 [user.lower]\n" in out
    assert b"after set: 20 [user.lower user.new]\n" in out
    assert b"after remove: 9 [user.new]\nget removed: ENODATA\n" in out
