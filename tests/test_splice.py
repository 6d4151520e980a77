"""Differential tests of splice(2), tee(2) and vmsplice(2) (issue #14) against native Linux: the x86_64-musl build
of tests/guest/splice.c runs natively, every target's build under pynix (qemu-user is no reference for the
riscv64 side: it passes splice through to the host, whose pipes are not the guest's)."""
from __future__ import annotations

from harness import assert_same_as_native


def test_splice(target):
    out = assert_same_as_native("splice.c", target)
    assert b"off_in now 5100, file offset 0, queued 5000\n" in out
    assert b"off_out now 22000, out offset 3000, queued 0\n" in out
    assert b"splice at EOF: 0 ok\noff_in still 10000\n" in out
    assert b"copy identical (300000 bytes)\n" in out
    assert b"splice into full pipe, blocking: 1 ok\nsplice from empty pipe, blocking: 4 ok\nb: 4 [late]\n" in out
    assert b"splice pipe -> socket: 13 ok\n" in out and b"splice socket -> pipe: 15 ok\n" in out
    assert b"empty socket, NONBLOCK: -1 EAGAIN\nempty socket, blocking: 5 ok\npipe: 5 [later]\n" in out
    assert b"off_in on a pipe: -1 ESPIPE\n" in out and b"O_APPEND output: -1 EINVAL\n" in out
    assert b"same pipe: -1 EINVAL\n" in out and b"input not readable: -1 EBADF\n" in out
    assert b"queued a 5008 b 3 c 5008\n" in out
    assert b"vmsplice from the read end: 3 ok\ngot [xyz], queued 2\n" in out
    assert b"vmsplice 5000 into one page: 4096 ok\n" in out
    assert b"vmsplice across a page boundary into one page: 96 ok\nvmsplice, second segment bad: 100 ok\n" in out
    assert b"splice 100 into a one-page pipe: 100 ok\nthen write 1: -1 EAGAIN\n" in out
    assert b"splice from an empty pipe: -1 EINTR\ntee from an empty pipe: -1 EINTR\n" in out
    assert b"SA_RESTART: splice pipe -> file: 4 ok\nfile offset 4\n" in out
    assert b"/dev/zero -> pipe 1000: 1000 ok\npipe -> /dev/null: 1000 ok\n" in out
    assert b"directory -> pipe: -1 EINVAL\n" in out
    assert b"event IN_ACCESS\nevent IN_MODIFY\n" in out
    assert b"ALL DONE\n" in out
