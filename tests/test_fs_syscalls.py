"""Filesystem syscalls: namespace changes (fs_namei), attributes/sync/space/locks (fs_attr), sendfile and
copy_file_range (fs_copy), fifos.

Differential tests run tests/guest/fs_*.c on /dev/shm (a tmpfs natively and under pynix) once per target.
What a root-run differential test cannot show -- a non-root caller (EACCES, EPERM, the sticky rule), EROFS
(natively / is writable), the order of a blocking fifo open and its partner -- is checked by unit tests that call
the handlers directly with a fake task, as tests/test_pipe_unit.py does.
"""
from __future__ import annotations

import errno
import os
import stat
import struct
import sys
from pathlib import Path

import pytest

from fakes import BLOCKED, FakeGroup, FakeKernel, FakeTask, call, new_machine
import harness
from harness import assert_same, assert_same_as_native

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pynix.fs.tmpfs import TmpfsSuperBlock  # noqa: E402
from pynix.fs.vfs import FsContext, MountTable, Walker  # noqa: E402
from pynix.mm.address_space import AddressSpace  # noqa: E402
from pynix.mm.uaccess import copy_from_user, copy_to_user  # noqa: E402
from pynix.syscall import fs_attr, fs_copy, fs_fd, fs_namei, fs_open, fs_read_write, fs_stat  # noqa: E402


# ------------------------------------------------------------------------------------------ differential

def test_fs_namei(guest):
    got, _ = assert_same(guest("fs_namei.c"))
    out = got.stdout
    assert b"rename empty empty/inner/x (into itself): -1 EINVAL\n" in out
    assert b"rmdir d/..: -1 ENOTEMPTY\n" in out and b"unlink f/: -1 ENOTDIR\n" in out
    assert b"  cwd: [/m2/inner]\n" in out and b"cleaned up: ENOENT\n" in out


@pytest.mark.parametrize("base", ["/dev/shm", "/tmp"])
def test_fs_perm_corner(guest, base):
    """Symlink loops (ELOOP, and EEXIST/ENOTDIR/EISDIR where Linux does not follow; at most 40 links followed
    in one walk, nested or one after another), setgid directories and S_ISGID clearing by chmod/fchmod, as
    root and as a non-member user; in a tmpfs and in the default root's overlay (in-memory layer over the
    host's files)."""
    harness.need(os.geteuid() == 0, "the reference must run as root (it changes owners and drops privileges)")
    got, _ = assert_same(guest("fs_perm_corner.c"), [base])
    out = got.stdout
    assert b"mkdir self/sub: -1 ELOOP\n" in out and b"rmdir b/sub: -1 ELOOP\n" in out
    assert b"open self O_CREAT: -1 ELOOP\n" in out and b"open self/ O_CREAT: -1 EISDIR\n" in out
    assert b"-- 40 links in a row\n  open .../file: 5 ok\n" in out
    assert b"-- 41 links in a row\n  open .../file: -1 ELOOP\n" in out
    assert b"  sg/file: mode 00644 gid 1234\n" in out and b"  sg/userdir: mode 02755 gid 1234\n" in out
    assert b"  sg/usersgid: mode 00755 gid 1234\n" in out
    assert b"chmod other 02755: 0 ok\n  other: mode 00755 gid 1234\n" in out
    assert b"root chmod other 02755: 0 ok\n  other: mode 02755 gid 1234\n" in out
    assert b"cleaned up: -1 ENOENT\n" in out


def test_read_paths(target):
    """read() of a regular file straight into user memory: page boundaries, EOF, growth, short copies.  The
    reference is native Linux for every target: qemu-user fails a read into a partly unmapped buffer with
    EFAULT where Linux copies what fits."""
    out = assert_same_as_native("read_paths.c", target)
    assert b"into a buffer running off the mapping: 96 (96)" in out


def test_fs_attr(guest):
    got, _ = assert_same(guest("fs_attr.c"))
    out = got.stdout
    assert b"chown 06755 file -1:-1: 0 ok\n  f: -0755" in out
    assert b"fallocate PUNCH_HOLE|KEEP_SIZE 2..6: 0 ok\n  alloc: 8 bytes [ab\\0\\0\\0\\0gh]\n" in out
    assert b"copy_file_range across filesystems: -1 EXDEV\n" in out


def test_fs_fifo(guest):
    got, _ = assert_same(guest("fs_fifo.c"))
    out = got.stdout
    assert b"open O_WRONLY|O_NONBLOCK without a reader: -1 ENXIO\n" in out
    assert b"child read until EOF: [hello fifo]\n" in out and b"parent read until EOF: [from child]\n" in out


def test_fifo_open_then_signal(target):
    """A blocking fifo open whose partner arrives and signals it before it has run again completes (the partner
    ended the wait) and the handler runs after it, as on Linux; it used to restart and leak the first file."""
    out = assert_same_as_native("fifo_open_signal.c", target)
    assert out.count(b": ok, handler ran 1\n") == 2, out
    assert b"child read until EOF: [from parent]\n" in out and b"parent read until EOF: [from child]\n" in out


def test_fs_locks(guest):
    got, _ = assert_same(guest("fs_locks.c"))
    out = got.stdout
    assert b"fd2 EX|NB (other description): -1 EAGAIN\n" in out
    assert b"child: WR 25+10: F_WRLCK start=20 len=20 whence=0 pid=parent\n" in out
    assert b"EDEADLK reported exactly once: yes\n" in out


# ----------------------------------------------------------------------------------------- unit: fake task

PATHS = 0x10000000          # user memory for path strings
BUF = 0x10100000            # user memory for structures
AT_FDCWD = -100 & 0xFFFFFFFF
O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_NONBLOCK = 0, 1, 2, 0o100, 0o4000


@pytest.fixture(scope="module")
def machine():
    return new_machine()


@pytest.fixture
def world(machine):
    """A tmpfs root with a read-only tmpfs on /ro, a root-owned 0755 /priv and a 1777 /tmp; a factory of tasks."""
    arch, ram, frames = machine
    mounts = MountTable(TmpfsSuperBlock(mode=0o755))
    root_inode = mounts.root.root.inode
    root_inode.mkdir(b"ro", 0o755, 0, 0)
    root_inode.mkdir(b"priv", 0o755, 0, 0)
    root_inode.mkdir(b"tmp", 0o1777, 0, 0)
    ro = TmpfsSuperBlock(mode=0o777)
    ro.root.create(b"file", 0o666, 0, 0)
    ro.root.mkdir(b"dir", 0o777, 0, 0)
    walker = Walker(FsContext(mounts, mounts.root_path(), mounts.root_path()))
    mounts.mount(ro, walker.resolve(mounts.root_path(), b"/ro"), readonly=True)
    spaces = []

    def make_task(uid: int = 0, gid: int = 0, pid: int = 1) -> FakeTask:
        mm = AddressSpace(arch, ram, frames)
        mm.map(PATHS, 1 << 20, 3)
        mm.map(BUF, 1 << 16, 3)
        spaces.append(mm)
        fs = FsContext(mounts, mounts.root_path(), mounts.root_path())
        return FakeTask(FakeKernel(), FakeGroup(mm, fs, uid, gid, pid), paths=PATHS)

    yield make_task
    for mm in spaces:
        mm.destroy()


def sys(task, name: str, *args):
    """Call handler `name`, turning str/bytes arguments into user strings."""
    modules = (fs_namei, fs_attr, fs_copy, fs_open, fs_stat, fs_fd, fs_read_write)
    fn = next(getattr(m, f"sys_{name}") for m in modules if hasattr(m, f"sys_{name}"))
    return call(task, fn, *(task.path(a) if isinstance(a, (str, bytes)) else a for a in args))


def mode_of(task, path: str) -> int:
    assert sys(task, "newfstatat", AT_FDCWD, path, BUF, 0x100) == 0
    raw = copy_from_user(task.mm, BUF, 128)
    return struct.unpack_from("<I", raw, 16)[0]     # generic struct stat: dev, ino, then mode


def owner_of(task, path: str) -> tuple[int, int]:
    assert sys(task, "newfstatat", AT_FDCWD, path, BUF, 0x100) == 0
    raw = copy_from_user(task.mm, BUF, 128)
    return struct.unpack_from("<II", raw, 24)


E = lambda name: -getattr(errno, name)  # noqa: E731


def test_erofs_on_a_read_only_mount(world):
    t = world()
    assert sys(t, "mkdirat", AT_FDCWD, "/ro/new", 0o755) == E("EROFS")
    assert sys(t, "mkdirat", AT_FDCWD, "/ro/dir", 0o755) == E("EEXIST")      # EEXIST is found first
    assert sys(t, "mknodat", AT_FDCWD, "/ro/fifo", stat.S_IFIFO | 0o644, 0) == E("EROFS")
    assert sys(t, "symlinkat", "x", AT_FDCWD, "/ro/link") == E("EROFS")
    assert sys(t, "unlinkat", AT_FDCWD, "/ro/file", 0) == E("EROFS")
    assert sys(t, "unlinkat", AT_FDCWD, "/ro/missing", 0) == E("EROFS")       # before the lookup, as Linux
    assert sys(t, "unlinkat", AT_FDCWD, "/ro/dir", 0x200) == E("EROFS")
    assert sys(t, "renameat2", AT_FDCWD, "/ro/file", AT_FDCWD, "/ro/file2", 0) == E("EROFS")
    assert sys(t, "renameat2", AT_FDCWD, "/ro/file", AT_FDCWD, "/tmp/file2", 0) == E("EXDEV")
    assert sys(t, "linkat", AT_FDCWD, "/ro/file", AT_FDCWD, "/ro/file2", 0) == E("EROFS")
    assert sys(t, "fchmodat", AT_FDCWD, "/ro/file", 0o600) == E("EROFS")
    assert sys(t, "fchownat", AT_FDCWD, "/ro/file", 1, 1, 0) == E("EROFS")
    assert sys(t, "utimensat", AT_FDCWD, "/ro/file", 0, 0) == E("EROFS")
    assert sys(t, "utimensat", AT_FDCWD, "/ro/missing", 0, 0) == E("ENOENT")
    fd = sys(t, "openat", AT_FDCWD, "/ro/file", O_RDONLY, 0)
    assert fd >= 0
    assert sys(t, "fchmod", fd, 0o600) == E("EROFS")
    assert sys(t, "fchown", fd, 0, 0) == E("EROFS")
    assert sys(t, "fsync", fd) == 0


def test_non_root_needs_write_and_search_on_the_parent(world):
    root, user = world(), world(uid=1000, gid=100)
    assert sys(user, "mkdirat", AT_FDCWD, "/priv/x", 0o755) == E("EACCES")
    assert sys(user, "mknodat", AT_FDCWD, "/priv/p", stat.S_IFIFO | 0o644, 0) == E("EACCES")
    assert sys(user, "symlinkat", "t", AT_FDCWD, "/priv/l") == E("EACCES")
    assert sys(root, "mkdirat", AT_FDCWD, "/priv/d", 0o755) == 0
    assert sys(user, "unlinkat", AT_FDCWD, "/priv/d", 0x200) == E("EACCES")
    assert sys(user, "renameat2", AT_FDCWD, "/priv/d", AT_FDCWD, "/tmp/d", 0) == E("EACCES")
    assert sys(user, "mkdirat", AT_FDCWD, "/priv/d/x", 0o755) == E("EACCES")
    assert sys(root, "fchmodat", AT_FDCWD, "/priv", 0o700) == 0
    assert sys(user, "mkdirat", AT_FDCWD, "/priv/d/x", 0o755) == E("EACCES")  # no search permission on /priv
    # the user's own directory: creation works and the new objects belong to the user
    assert sys(user, "mkdirat", AT_FDCWD, "/tmp/mine", 0o755) == 0
    assert owner_of(user, "/tmp/mine") == (1000, 100)
    assert sys(user, "mknodat", AT_FDCWD, "/tmp/mine/dev", stat.S_IFCHR | 0o600, 0x103) == E("EPERM")
    assert sys(user, "mknodat", AT_FDCWD, "/priv/dev", stat.S_IFCHR | 0o600, 0x103) == E("EACCES")  # EACCES first
    assert sys(user, "mknodat", AT_FDCWD, "/tmp/mine/p", stat.S_IFIFO | 0o666, 0) == 0
    assert mode_of(user, "/tmp/mine/p") == stat.S_IFIFO | 0o644                  # umask 022


def test_sticky_directory(world):
    alice, bob = world(uid=1000, gid=100), world(uid=1001, gid=100)
    root = world()
    for t, name in ((alice, "/tmp/a"), (bob, "/tmp/b")):
        assert sys(t, "mknodat", AT_FDCWD, name, stat.S_IFREG | 0o666, 0) == 0
        assert sys(t, "fchmodat", AT_FDCWD, name, 0o666) == 0
    assert sys(alice, "unlinkat", AT_FDCWD, "/tmp/b", 0) == E("EPERM")
    assert sys(alice, "renameat2", AT_FDCWD, "/tmp/b", AT_FDCWD, "/tmp/c", 0) == E("EPERM")
    assert sys(alice, "renameat2", AT_FDCWD, "/tmp/a", AT_FDCWD, "/tmp/b", 0) == E("EPERM")   # the victim is bob's
    assert sys(alice, "renameat2", AT_FDCWD, "/tmp/a", AT_FDCWD, "/tmp/c", 0) == 0
    assert sys(alice, "unlinkat", AT_FDCWD, "/tmp/c", 0) == 0
    assert sys(root, "unlinkat", AT_FDCWD, "/tmp/b", 0) == 0
    # in a non-sticky world-writable directory anyone may delete
    assert sys(root, "mkdirat", AT_FDCWD, "/tmp/open", 0o777) == 0
    assert sys(root, "fchmodat", AT_FDCWD, "/tmp/open", 0o777) == 0
    assert sys(bob, "mknodat", AT_FDCWD, "/tmp/open/f", 0o600, 0) == 0
    assert sys(alice, "unlinkat", AT_FDCWD, "/tmp/open/f", 0) == 0


def test_moving_a_directory_needs_write_permission_on_it(world):
    root, user = world(), world(uid=1000, gid=100)
    assert sys(root, "mkdirat", AT_FDCWD, "/tmp/rootdir", 0o755) == 0
    assert sys(user, "mkdirat", AT_FDCWD, "/tmp/u", 0o755) == 0
    assert sys(root, "fchownat", AT_FDCWD, "/tmp/rootdir", 1000, 100, 0) == 0
    assert sys(root, "fchmodat", AT_FDCWD, "/tmp/rootdir", 0o555) == 0
    # its ".." would change: EACCES without write permission on the directory itself
    assert sys(user, "renameat2", AT_FDCWD, "/tmp/rootdir", AT_FDCWD, "/tmp/u/moved", 0) == E("EACCES")
    assert sys(user, "renameat2", AT_FDCWD, "/tmp/rootdir", AT_FDCWD, "/tmp/samedir", 0) == 0


def test_chmod_chown_as_non_owner(world):
    root, user = world(), world(uid=1000, gid=100)
    assert sys(root, "mknodat", AT_FDCWD, "/tmp/rootfile", 0o644, 0) == 0
    assert sys(user, "fchmodat", AT_FDCWD, "/tmp/rootfile", 0o777) == E("EPERM")
    assert sys(user, "fchownat", AT_FDCWD, "/tmp/rootfile", 1000, 0xFFFFFFFF, 0) == E("EPERM")
    assert sys(user, "utimensat", AT_FDCWD, "/tmp/rootfile", 0, 0) == E("EACCES")      # touch needs write
    assert sys(root, "fchmodat", AT_FDCWD, "/tmp/rootfile", 0o666) == 0
    assert sys(user, "utimensat", AT_FDCWD, "/tmp/rootfile", 0, 0) == 0
    copy_to_user(user.mm, BUF, struct.pack("<qqqq", 1, 0, 2, 0))
    assert sys(user, "utimensat", AT_FDCWD, "/tmp/rootfile", BUF, 0) == E("EPERM")     # explicit times: owner
    # protected_hardlinks: no link to someone else's file unless it is readable and writable
    assert sys(user, "linkat", AT_FDCWD, "/tmp/rootfile", AT_FDCWD, "/tmp/hl", 0) == 0
    assert sys(root, "fchmodat", AT_FDCWD, "/tmp/rootfile", 0o644) == 0
    assert sys(user, "linkat", AT_FDCWD, "/tmp/rootfile", AT_FDCWD, "/tmp/hl2", 0) == E("EPERM")
    # the owner: chmod yes; chown to somebody else no; chgrp only to the own group
    assert sys(user, "mknodat", AT_FDCWD, "/tmp/own", 0o644, 0) == 0
    assert sys(user, "fchownat", AT_FDCWD, "/tmp/own", 1000, 100, 0) == 0
    assert sys(user, "fchownat", AT_FDCWD, "/tmp/own", 0xFFFFFFFF, 5, 0) == E("EPERM")
    assert sys(user, "fchownat", AT_FDCWD, "/tmp/own", 1001, 0xFFFFFFFF, 0) == E("EPERM")
    assert sys(root, "fchownat", AT_FDCWD, "/tmp/own", 0xFFFFFFFF, 7, 0) == 0
    assert sys(user, "fchmodat", AT_FDCWD, "/tmp/own", 0o2755) == 0
    assert mode_of(user, "/tmp/own") == stat.S_IFREG | 0o755             # not in group 7: S_ISGID dropped
    assert sys(root, "fchmodat", AT_FDCWD, "/tmp/own", 0o6755) == 0
    assert sys(user, "fchownat", AT_FDCWD, "/tmp/own", 0xFFFFFFFF, 100, 0) == 0
    assert mode_of(user, "/tmp/own") == stat.S_IFREG | 0o755
    assert owner_of(user, "/tmp/own") == (1000, 100)


def test_setgid_directory_hands_down_its_group(world):
    root, user = world(), world(uid=1000, gid=100)
    assert sys(root, "mkdirat", AT_FDCWD, "/tmp/sg", 0o777) == 0
    assert sys(root, "fchownat", AT_FDCWD, "/tmp/sg", 0, 50, 0) == 0
    assert sys(root, "fchmodat", AT_FDCWD, "/tmp/sg", 0o2777) == 0
    assert sys(user, "mkdirat", AT_FDCWD, "/tmp/sg/sub", 0o755) == 0
    assert owner_of(user, "/tmp/sg/sub") == (1000, 50)
    assert mode_of(user, "/tmp/sg/sub") == stat.S_IFDIR | 0o2755
    assert sys(user, "mknodat", AT_FDCWD, "/tmp/sg/f", 0o2755, 0) == 0     # not in group 50: S_ISGID stripped
    assert mode_of(user, "/tmp/sg/f") == stat.S_IFREG | 0o755
    assert owner_of(user, "/tmp/sg/f") == (1000, 50)


def test_fifo_reader_waits_for_a_writer_that_may_write_at_once(world):
    reader, writer = world(pid=1), world(pid=2)
    assert sys(reader, "mknodat", AT_FDCWD, "/tmp/fifo", stat.S_IFIFO | 0o666, 0) == 0
    assert sys(reader, "openat", AT_FDCWD, "/tmp/fifo", O_RDONLY, 0) == BLOCKED
    # the waiting reader counts: a non-blocking writer may open, and its write does not get EPIPE
    w = sys(writer, "openat", AT_FDCWD, "/tmp/fifo", O_WRONLY | O_NONBLOCK, 0)
    assert w >= 0
    assert reader.sleeping_on == ()                                   # woken
    copy_to_user(writer.mm, BUF, b"early")
    assert sys(writer, "write", w, BUF, 5) == 5
    r = sys(reader, "openat", AT_FDCWD, "/tmp/fifo", O_RDONLY, 0)      # the re-run gets its read end
    assert r >= 0
    assert sys(reader, "read", r, BUF, 100) == 5
    assert copy_from_user(reader.mm, BUF, 5) == b"early"
    assert sys(writer, "close", w) == 0
    assert sys(reader, "read", r, BUF, 100) == 0                       # EOF


def test_fifo_writer_waits_for_a_reader(world):
    a, b = world(pid=1), world(pid=2)
    assert sys(a, "mknodat", AT_FDCWD, "/tmp/fifo2", stat.S_IFIFO | 0o666, 0) == 0
    assert sys(a, "openat", AT_FDCWD, "/tmp/fifo2", O_WRONLY | O_NONBLOCK, 0) == E("ENXIO")
    assert sys(a, "openat", AT_FDCWD, "/tmp/fifo2", O_WRONLY, 0) == BLOCKED
    r = sys(b, "openat", AT_FDCWD, "/tmp/fifo2", O_RDONLY | O_NONBLOCK, 0)
    assert r >= 0 and a.sleeping_on == ()
    w = sys(a, "openat", AT_FDCWD, "/tmp/fifo2", O_WRONLY, 0)
    assert w >= 0
    assert sys(b, "read", r, BUF, 10) == E("EAGAIN")                   # a writer exists: no EOF
    # an interrupted waiter (no longer on the queue) is not given a file
    assert sys(b, "close", r) == 0
    assert sys(a, "close", w) == 0
    assert sys(b, "openat", AT_FDCWD, "/tmp/fifo2", O_RDONLY, 0) == BLOCKED
    b.kernel.wake(b)                                                   # what a signal does
    w = sys(a, "openat", AT_FDCWD, "/tmp/fifo2", O_WRONLY | O_NONBLOCK, 0)
    assert w == E("ENXIO")


def test_flock_blocks_until_unlock_and_close_releases(world):
    a, b = world(pid=1), world(pid=2)
    assert sys(a, "mknodat", AT_FDCWD, "/tmp/lockme", 0o644, 0) == 0
    fa = sys(a, "openat", AT_FDCWD, "/tmp/lockme", O_RDWR, 0)
    fb = sys(b, "openat", AT_FDCWD, "/tmp/lockme", O_RDWR, 0)
    assert sys(a, "flock", fa, 2) == 0
    assert sys(b, "flock", fb, 2 | 4) == E("EWOULDBLOCK")
    assert sys(b, "flock", fb, 2) == BLOCKED
    assert sys(a, "close", fa) == 0                                      # the last close releases
    assert b.sleeping_on == ()
    assert sys(b, "flock", fb, 2) == 0


def _flock_struct(type_: int, start: int, length: int, whence: int = 0, pid: int = 0) -> bytes:
    return struct.pack("<hh4xqqi4x", type_, whence, start, length, pid)


def test_posix_locks_block_and_detect_deadlock(world):
    a, b = world(pid=10), world(pid=20)
    assert sys(a, "mknodat", AT_FDCWD, "/tmp/rec", 0o644, 0) == 0
    fa = sys(a, "openat", AT_FDCWD, "/tmp/rec", O_RDWR, 0)
    fb = sys(b, "openat", AT_FDCWD, "/tmp/rec", O_RDWR, 0)
    copy_to_user(a.mm, BUF, _flock_struct(1, 0, 1))
    assert sys(a, "fcntl", fa, 6, BUF) == 0                               # a: F_SETLK WR [0]
    copy_to_user(b.mm, BUF, _flock_struct(1, 1, 1))
    assert sys(b, "fcntl", fb, 6, BUF) == 0                               # b: F_SETLK WR [1]
    copy_to_user(b.mm, BUF, _flock_struct(1, 0, 1))
    assert sys(b, "fcntl", fb, 7, BUF) == BLOCKED                         # b waits for a
    copy_to_user(a.mm, BUF, _flock_struct(1, 1, 1))
    assert sys(a, "fcntl", fa, 7, BUF) == E("EDEADLK")                    # a would wait for b: a cycle
    copy_to_user(a.mm, BUF, _flock_struct(0, 0, 0))
    assert sys(a, "fcntl", fa, 5, BUF) == 0                               # F_GETLK RD [0, EOF)
    type_, whence, start, length, pid = struct.unpack("<hh4xqqi4x", copy_from_user(a.mm, BUF, 32))
    assert (type_, whence, start, length, pid) == (1, 0, 1, 1, 20)
    # any close of the file by a's process drops a's locks and wakes b
    extra = sys(a, "openat", AT_FDCWD, "/tmp/rec", O_RDONLY, 0)
    assert sys(a, "close", extra) == 0
    assert b.sleeping_on == ()
    copy_to_user(b.mm, BUF, _flock_struct(1, 0, 1))
    assert sys(b, "fcntl", fb, 7, BUF) == 0


def test_namespace_changes_keep_the_dentry_cache_exact(world):
    t = world()
    assert sys(t, "mkdirat", AT_FDCWD, "/tmp/d1", 0o755) == 0
    assert sys(t, "mkdirat", AT_FDCWD, "/tmp/d1/inner", 0o755) == 0
    assert sys(t, "chdir", "/tmp/d1/inner") == 0
    assert sys(t, "renameat2", AT_FDCWD, "/tmp/d1", AT_FDCWD, "/tmp/d2", 0) == 0
    assert sys(t, "getcwd", BUF, 256) > 0
    assert copy_from_user(t.mm, BUF, 14) == b"/tmp/d2/inner\0"
    assert sys(t, "newfstatat", AT_FDCWD, "/tmp/d1", BUF, 0) == E("ENOENT")
    assert sys(t, "newfstatat", AT_FDCWD, "../../d2/inner", BUF, 0) == 0
    assert sys(t, "unlinkat", AT_FDCWD, "/tmp/d2/inner", 0x200) == 0
    assert sys(t, "newfstatat", AT_FDCWD, "/tmp/d2/inner", BUF, 0) == E("ENOENT")
    assert sys(t, "mkdirat", AT_FDCWD, "x", 0o755) == E("ENOENT")          # the cwd is a removed directory
