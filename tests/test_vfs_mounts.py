"""The mount lookup of a path walk: a dentry counts the mounts on it (Linux's d_mountpoint), so a walk looks the
mount table up only at mountpoints -- and must still step into every mount, stacked ones too, and out again
after umount."""
from __future__ import annotations

import errno

import pytest

from pynix.errors import KernelError
from pynix.fs.tmpfs import TmpfsSuperBlock
from pynix.fs.vfs import FsContext, MountTable, Walker
from pynix.task.cred import Credentials


def _fs():
    mounts = MountTable(TmpfsSuperBlock(mode=0o755))
    mounts.root.root.inode.mkdir(b"mnt", 0o755, 0, 0)
    root = mounts.root_path()
    return mounts, Walker(FsContext(mounts, root, root))


def _tmpfs_with(name: bytes) -> TmpfsSuperBlock:
    sb = TmpfsSuperBlock(mode=0o755)
    sb.root.create(name, 0o644, 0, 0)
    return sb


def test_walks_step_into_mounts_and_out_after_umount():
    mounts, walker = _fs()
    root = mounts.root_path()
    where = walker.resolve(root, b"/mnt")
    assert where.dentry.mounts == 0
    first = mounts.mount(_tmpfs_with(b"a"), where)
    assert where.dentry.mounts == 1
    assert walker.resolve(root, b"/mnt/a").inode.sb is first.sb
    second = mounts.mount(_tmpfs_with(b"b"), walker.resolve(root, b"/mnt"))     # stacked on the first
    assert walker.resolve(root, b"/mnt/b").inode.sb is second.sb
    with pytest.raises(KernelError) as err:
        walker.resolve(root, b"/mnt/a")                   # hidden under the second
    assert err.value.errno == errno.ENOENT
    mounts.umount(second)
    assert walker.resolve(root, b"/mnt/a").inode.sb is first.sb
    mounts.umount(first)
    assert where.dentry.mounts == 0
    assert walker.resolve(root, b"/mnt").inode is where.inode
    with pytest.raises(KernelError):
        walker.resolve(root, b"/mnt/a")


def test_dotdot_out_of_a_mount_and_a_detached_tree():
    mounts, walker = _fs()
    root = mounts.root_path()
    sb = _tmpfs_with(b"a")
    sb.root.mkdir(b"sub", 0o755, 0, 0)
    m = mounts.mount(sb, walker.resolve(root, b"/mnt"))
    assert walker.resolve(root, b"/mnt/sub/../a").inode.sb is sb
    assert walker.resolve(root, b"/mnt/sub/../..").dentry is root.dentry
    mounts.umount(m, detach=True)
    assert walker.resolve(root, b"/mnt").dentry.mounts == 0


def test_walk_checks_every_directory_and_the_dots_at_the_end():
    mounts, walker = _fs()
    root = mounts.root_path()
    top = mounts.root.root.inode
    top.mkdir(b"d", 0o755, 0, 0).create(b"f", 0o644, 0, 0)
    top.mkdir(b"closed", 0o700, 0, 0).create(b"g", 0o644, 0, 0)
    d = walker.resolve(root, b"/d")
    assert walker.resolve(root, b"/d/.").dentry is d.dentry
    assert walker.resolve(root, b"/d/..").dentry is root.dentry
    for path, err in ((b"/d/f/x", errno.ENOTDIR), (b"/d/f/.", errno.ENOTDIR), (b"/d/" + b"n" * 256, errno.ENAMETOOLONG),
                      (b"/nothere/f", errno.ENOENT), (b"/d/f/", errno.ENOTDIR)):
        with pytest.raises(KernelError) as caught:
            walker.resolve(root, path)
        assert caught.value.errno == err, path
    user = Walker(walker.fs, Credentials(*(1000,) * 8, cap_permitted=0, cap_effective=0))   # uid 1000, no caps
    for path in (b"/closed/g", b"/closed/.", b"/closed/nothere"):
        with pytest.raises(KernelError) as caught:
            user.resolve(root, path)
        assert caught.value.errno == errno.EACCES, path
    assert user.resolve(root, b"/closed").inode.is_dir               # the directory itself: no search needed
