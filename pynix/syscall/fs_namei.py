"""Namespace changes: mkdirat/mkdir, mknodat/mknod, unlinkat/unlink/rmdir, renameat2/renameat/rename,
linkat/link, symlinkat/symlink.

Each follows Linux's fs/namei.c step by step, because programs (and test suites) see the order of the checks
through errno: the parent is walked first (ENOENT, ENOTDIR, EACCES on the way), then the last component is
classified (`.`, `..` and `/` have their own answers per call), then EROFS (mnt_want_write), then the final
lookup (EEXIST / ENOENT / trailing-slash rules), then the permission checks on the parent (write + search,
the sticky-directory rule for removals: Linux's may_create / may_delete), then the filesystem operation.

The dentry cache is kept exact: a created or removed name is forgotten in its parent, and a renamed dentry is
moved (Linux's d_move), so processes whose cwd or open directories sit inside a moved directory keep correct
`..` and getcwd answers.
"""
from __future__ import annotations

import errno
import stat as st

from pynix.errors import KernelError
from pynix.fs.notify.fsnotify import (fsnotify_create, fsnotify_link, fsnotify_move, fsnotify_rmdir,
                                      fsnotify_unlink)
from pynix.fs.vfs import RENAME_EXCHANGE, RENAME_NOREPLACE
from pynix.fs.vfs import MAY_EXEC, MAY_READ, MAY_WRITE, Dentry, Inode, VfsPath, permission
from pynix.syscall.fs_path import check_writable, lookup_at, parent_at, user_path
from pynix.syscall.registry import s32, syscall
from pynix.task.capability import capable
from pynix.task.task import Task
from pynix.uapi.capability import CAP_FOWNER, CAP_FSETID, CAP_MKNOD
from pynix.uapi.fcntl import AT_EMPTY_PATH, AT_FDCWD, AT_REMOVEDIR, AT_SYMLINK_FOLLOW

_CWD = AT_FDCWD & 0xFFFFFFFF
RENAME_WHITEOUT = 4

# what the last component of a path is (Linux's LAST_NORM, LAST_ROOT, LAST_DOT, LAST_DOTDOT)
LAST_NORM, LAST_ROOT, LAST_DOT, LAST_DOTDOT = range(4)


def last_type(path: bytes) -> int:
    stripped = path.rstrip(b"/")
    if not stripped:
        return LAST_ROOT
    return {b".": LAST_DOT, b"..": LAST_DOTDOT}.get(stripped.rsplit(b"/", 1)[-1], LAST_NORM)


def _ids(task: Task) -> tuple[int, int]:
    creds = task.group.creds
    return creds.fsuid, creds.fsgid


def is_dead_dir(inode: Inode) -> bool:
    """A directory that was removed while still reachable (someone's cwd or an open descriptor): IS_DEADDIR."""
    return inode.is_dir and inode.nlink == 0


def owner_or_capable(task: Task, inode: Inode) -> bool:
    """inode_owner_or_capable: the caller's filesystem uid owns the inode, or it has CAP_FOWNER."""
    return task.group.creds.fsuid == inode.uid or capable(task, CAP_FOWNER)


def in_group(task: Task, gid: int) -> bool:
    return task.group.creds.in_group(gid)


def in_group_or_capable(task: Task, gid: int) -> bool:
    """in_group_or_capable: a set-group-ID bit for group `gid` survives only for its members or CAP_FSETID."""
    return in_group(task, gid) or capable(task, CAP_FSETID)


def new_owner(task: Task, parent: Inode, mode: int) -> tuple[int, int, int]:
    """inode_init_owner: (mode, uid, gid) of an inode created in `parent` -- a set-group-ID directory hands its
    group down (and its S_ISGID bit to subdirectories); otherwise the creator's ids."""
    uid, gid = _ids(task)
    if parent.mode & st.S_ISGID:
        gid = parent.gid
        if st.S_ISDIR(mode):
            mode |= st.S_ISGID
        elif mode & st.S_ISGID and mode & st.S_IXGRP and not in_group_or_capable(task, gid):
            mode &= ~st.S_ISGID                   # mode_strip_sgid
    return mode, uid, gid


def create_target(task: Task, dirfd: int, pathname: int, want_dir: bool = False) -> tuple[VfsPath, bytes]:
    """Linux's filename_create: the parent directory and the new name, after EEXIST (`.`, `..`, `/`, or an
    existing entry -- even a dangling symlink), ENOENT (a trailing slash on something that will not be a
    directory) and EROFS."""
    return create_target_of(task, parent_at(task, dirfd, pathname), want_dir)


def create_target_of(task: Task, where: tuple[VfsPath, bytes | None, bool, bytes],
                     want_dir: bool = False) -> tuple[VfsPath, bytes]:
    """`create_target` for a resolved (parent, name, trailing slash, path) from fs_path.parent_of/parent_at."""
    parent, name, trailing, _path = where
    if name is None:
        raise KernelError(errno.EEXIST)
    if is_dead_dir(parent.inode):
        raise KernelError(errno.ENOENT)
    if parent.dentry.child(name) is not None:
        raise KernelError(errno.EEXIST)
    if trailing and not want_dir:
        raise KernelError(errno.ENOENT)
    check_writable(parent)
    return parent, name


def may_create(task: Task, parent: VfsPath) -> None:
    if is_dead_dir(parent.inode):
        raise KernelError(errno.ENOENT)
    permission(parent.inode, MAY_WRITE | MAY_EXEC, task.group.creds)


def may_delete(task: Task, parent: VfsPath, victim: Dentry, isdir: bool) -> None:
    """Linux's may_delete: write + search on the directory, the sticky rule, then the type of the victim."""
    creds = task.group.creds
    directory = parent.inode
    permission(directory, MAY_WRITE | MAY_EXEC, creds)
    inode = victim.inode
    if directory.mode & st.S_ISVTX and creds.fsuid not in (inode.uid, directory.uid) \
            and not capable(task, CAP_FOWNER):
        raise KernelError(errno.EPERM)        # check_sticky
    if isdir:
        if not inode.is_dir:
            raise KernelError(errno.ENOTDIR)
    elif inode.is_dir:
        raise KernelError(errno.EISDIR)
    if is_dead_dir(directory):
        raise KernelError(errno.ENOENT)


def _is_mountpoint(task: Task, parent: VfsPath, child: Dentry) -> bool:
    return task.group.fs.mounts.covering(VfsPath(parent.mount, child)) is not None


# ------------------------------------------------------------------------------------------------ mkdir
def do_mkdirat(task: Task, dirfd: int, pathname: int, mode: int) -> int:
    parent, name = create_target(task, dirfd, pathname, want_dir=True)
    may_create(task, parent)
    mode = (mode & 0o1777) & ~task.group.fs.umask
    mode, uid, gid = new_owner(task, parent.inode, st.S_IFDIR | mode)
    parent.inode.mkdir(name, mode & 0o7777, uid, gid)
    parent.dentry.forget(name)
    fsnotify_create(parent.inode, name, isdir=True)
    return 0


@syscall
def sys_mkdirat(task: Task, dirfd: int, pathname: int, mode: int) -> int:
    return do_mkdirat(task, dirfd, pathname, mode)


@syscall
def sys_mkdir(task: Task, pathname: int, mode: int) -> int:
    return do_mkdirat(task, _CWD, pathname, mode)


# ------------------------------------------------------------------------------------------------ mknod
def do_mknodat(task: Task, dirfd: int, pathname: int, mode: int, dev: int) -> int:
    mode &= 0xFFFF                                      # umode_t
    kind = st.S_IFMT(mode)
    if kind == st.S_IFDIR:
        raise KernelError(errno.EPERM)                  # may_mknod
    if kind not in (0, st.S_IFREG, st.S_IFCHR, st.S_IFBLK, st.S_IFIFO, st.S_IFSOCK):
        raise KernelError(errno.EINVAL)
    parent, name = create_target(task, dirfd, pathname)
    may_create(task, parent)
    if kind in (st.S_IFCHR, st.S_IFBLK) and not capable(task, CAP_MKNOD):
        raise KernelError(errno.EPERM)                  # CAP_MKNOD
    perms = mode & 0o7777 & ~task.group.fs.umask
    perms, uid, gid = new_owner(task, parent.inode, perms)
    if kind in (0, st.S_IFREG):
        parent.inode.create(name, perms, uid, gid)
    else:
        rdev = dev & 0xFFFFFFFF if kind in (st.S_IFCHR, st.S_IFBLK) else 0
        parent.inode.mknod(name, kind | perms, rdev, uid, gid)
    parent.dentry.forget(name)
    fsnotify_create(parent.inode, name)
    return 0


@syscall
def sys_mknodat(task: Task, dirfd: int, pathname: int, mode: int, dev: int) -> int:
    return do_mknodat(task, dirfd, pathname, mode, dev)


@syscall
def sys_mknod(task: Task, pathname: int, mode: int, dev: int) -> int:
    return do_mknodat(task, _CWD, pathname, mode, dev)


# ------------------------------------------------------------------------------------------ unlink, rmdir
def do_rmdir(task: Task, dirfd: int, pathname: int) -> int:
    parent, name, _trailing, path = parent_at(task, dirfd, pathname)
    if name is None:
        raise KernelError({LAST_DOTDOT: errno.ENOTEMPTY, LAST_DOT: errno.EINVAL}.get(last_type(path), errno.EBUSY))
    check_writable(parent)
    child = parent.dentry.child(name)
    if child is None:
        raise KernelError(errno.ENOENT)
    may_delete(task, parent, child, isdir=True)
    if _is_mountpoint(task, parent, child):
        raise KernelError(errno.EBUSY)
    parent.inode.rmdir(name)
    parent.dentry.forget(name)
    fsnotify_rmdir(parent.inode, child)
    return 0


def do_unlink(task: Task, dirfd: int, pathname: int) -> int:
    parent, name, trailing, _path = parent_at(task, dirfd, pathname)
    if name is None:
        raise KernelError(errno.EISDIR)
    check_writable(parent)
    child = parent.dentry.child(name)
    if child is None:
        raise KernelError(errno.ENOENT)
    if trailing:                                        # "file/" names a directory that is not one
        raise KernelError(errno.EISDIR if child.inode.is_dir else errno.ENOTDIR)
    may_delete(task, parent, child, isdir=False)
    if _is_mountpoint(task, parent, child):
        raise KernelError(errno.EBUSY)
    parent.inode.unlink(name)
    parent.dentry.forget(name)
    fsnotify_unlink(parent.inode, child)
    return 0


@syscall
def sys_unlinkat(task: Task, dirfd: int, pathname: int, flags: int) -> int:
    flags = s32(flags)
    if flags & ~AT_REMOVEDIR:
        raise KernelError(errno.EINVAL)
    if flags & AT_REMOVEDIR:
        return do_rmdir(task, dirfd, pathname)
    return do_unlink(task, dirfd, pathname)


@syscall
def sys_unlink(task: Task, pathname: int) -> int:
    return do_unlink(task, _CWD, pathname)


@syscall
def sys_rmdir(task: Task, pathname: int) -> int:
    return do_rmdir(task, _CWD, pathname)


# ------------------------------------------------------------------------------------------------ rename
def _ancestor_or_self(candidate: Dentry, dentry: Dentry) -> bool:
    """Whether `candidate` is `dentry` or one of its ancestors (compared by inode: a directory has one name)."""
    d: Dentry | None = dentry
    while d is not None:
        if d.inode is candidate.inode:
            return True
        d = d.parent
    return False


def _d_move(dentry: Dentry, new_parent: Dentry, new_name: bytes) -> None:
    old_parent = dentry.parent
    if old_parent is not None and old_parent.children.get(dentry.name) is dentry:
        del old_parent.children[dentry.name]
    dentry.name = new_name
    dentry.parent = new_parent
    new_parent.children[new_name] = dentry


def do_renameat2(task: Task, olddfd: int, oldpath: int, newdfd: int, newpath: int, flags: int) -> int:
    flags &= 0xFFFFFFFF
    if flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT):
        raise KernelError(errno.EINVAL)
    if flags & (RENAME_NOREPLACE | RENAME_WHITEOUT) and flags & RENAME_EXCHANGE:
        raise KernelError(errno.EINVAL)
    if flags & RENAME_WHITEOUT and not capable(task, CAP_MKNOD):
        raise KernelError(errno.EPERM)                  # CAP_MKNOD
    exchange = bool(flags & RENAME_EXCHANGE)
    old_parent, old_name, old_trailing, _ = parent_at(task, olddfd, oldpath)
    new_parent, new_name, new_trailing, _ = parent_at(task, newdfd, newpath)
    if old_parent.mount is not new_parent.mount:
        raise KernelError(errno.EXDEV)
    if old_name is None:
        raise KernelError(errno.EBUSY)
    if new_name is None:
        raise KernelError(errno.EEXIST if flags & RENAME_NOREPLACE else errno.EBUSY)
    check_writable(old_parent)
    if is_dead_dir(old_parent.inode):
        raise KernelError(errno.ENOENT)
    old = old_parent.dentry.child(old_name)
    if old is None:
        raise KernelError(errno.ENOENT)
    if is_dead_dir(new_parent.inode):
        raise KernelError(errno.ENOENT)
    new = new_parent.dentry.child(new_name)
    if flags & RENAME_NOREPLACE and new is not None:
        raise KernelError(errno.EEXIST)
    if exchange:
        if new is None:
            raise KernelError(errno.ENOENT)
        if not new.inode.is_dir and new_trailing:
            raise KernelError(errno.ENOTDIR)
    if not old.inode.is_dir:                            # trailing slashes only name directories
        if old_trailing or (not exchange and new_trailing):
            raise KernelError(errno.ENOTDIR)
    if old_parent.dentry is not new_parent.dentry:      # lock_rename's "trap": moving into oneself
        if _ancestor_or_self(old, new_parent.dentry):
            raise KernelError(errno.EINVAL)
        if new is not None and _ancestor_or_self(new, old_parent.dentry):
            raise KernelError(errno.EINVAL if exchange else errno.ENOTEMPTY)
    # vfs_rename
    source, target = old.inode, new.inode if new is not None else None
    if source is target:
        return 0                                        # two names of one inode: nothing happens
    is_dir = source.is_dir
    may_delete(task, old_parent, old, is_dir)
    if target is None:
        may_create(task, new_parent)
    else:
        may_delete(task, new_parent, new, target.is_dir if exchange else is_dir)
    if new_parent.inode is not old_parent.inode:        # a moved directory's ".." changes: it must be writable
        if is_dir:
            permission(source, MAY_WRITE, task.group.creds)
        if exchange and target.is_dir:
            permission(target, MAY_WRITE, task.group.creds)
    if _is_mountpoint(task, old_parent, old) or (new is not None and _is_mountpoint(task, new_parent, new)):
        raise KernelError(errno.EBUSY)
    old_parent.inode.rename(old_name, new_parent.inode, new_name, flags & (RENAME_NOREPLACE | RENAME_EXCHANGE))
    fsnotify_move(old_parent.inode, old_name, new_parent.inode, new_name, source, None if exchange else target)
    if exchange:
        fsnotify_move(new_parent.inode, new_name, old_parent.inode, old_name, target, None)
        _d_move(old, new_parent.dentry, new_name)
        _d_move(new, old_parent.dentry, old_name)
    else:
        if new is not None:
            new_parent.dentry.forget(new_name)
        _d_move(old, new_parent.dentry, new_name)
        if flags & RENAME_WHITEOUT:                     # leave a whiteout (a 0:0 character device) behind
            old_parent.inode.mknod(old_name, st.S_IFCHR, 0, *_ids(task))
    return 0


@syscall
def sys_renameat2(task: Task, olddfd: int, oldpath: int, newdfd: int, newpath: int, flags: int) -> int:
    return do_renameat2(task, olddfd, oldpath, newdfd, newpath, flags)


@syscall
def sys_renameat(task: Task, olddfd: int, oldpath: int, newdfd: int, newpath: int) -> int:
    return do_renameat2(task, olddfd, oldpath, newdfd, newpath, 0)


@syscall
def sys_rename(task: Task, oldpath: int, newpath: int) -> int:
    return do_renameat2(task, _CWD, oldpath, _CWD, newpath, 0)


# ------------------------------------------------------------------------------------------- link, symlink
def _safe_hardlink_source(task: Task, inode: Inode) -> bool:
    mode = inode.mode
    if not st.S_ISREG(mode) or mode & st.S_ISUID or mode & (st.S_ISGID | st.S_IXGRP) == st.S_ISGID | st.S_IXGRP:
        return False
    try:
        permission(inode, MAY_READ | MAY_WRITE, task.group.creds)
    except KernelError:
        return False
    return True


def do_linkat(task: Task, olddfd: int, oldpath: int, newdfd: int, newpath: int, flags: int) -> int:
    flags = s32(flags)
    if flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH):
        raise KernelError(errno.EINVAL)
    # AT_EMPTY_PATH: Linux >= 6.10 allows it to whoever opened the descriptor (earlier: CAP_DAC_READ_SEARCH);
    # open files do not record their opener's credentials here, so it is allowed to every caller.
    old = lookup_at(task, olddfd, oldpath, flags, follow_default=False)
    parent, name = create_target(task, newdfd, newpath)
    if old.mount is not parent.mount:
        raise KernelError(errno.EXDEV)
    inode = old.inode
    if not (_safe_hardlink_source(task, inode) or owner_or_capable(task, inode)):
        raise KernelError(errno.EPERM)                  # fs.protected_hardlinks = 1
    may_create(task, parent)
    if inode.sb is not parent.inode.sb:
        raise KernelError(errno.EXDEV)
    if inode.is_dir:
        raise KernelError(errno.EPERM)
    if inode.nlink == 0:
        raise KernelError(errno.ENOENT)                 # no links back to an unlinked file
    parent.inode.link(name, inode)
    parent.dentry.forget(name)
    fsnotify_link(parent.inode, name, inode)
    return 0


@syscall
def sys_linkat(task: Task, olddfd: int, oldpath: int, newdfd: int, newpath: int, flags: int) -> int:
    return do_linkat(task, olddfd, oldpath, newdfd, newpath, flags)


@syscall
def sys_link(task: Task, oldpath: int, newpath: int) -> int:
    return do_linkat(task, _CWD, oldpath, _CWD, newpath, 0)


def do_symlinkat(task: Task, target: int, newdfd: int, newpath: int) -> int:
    content = user_path(task, target)
    if not content:
        raise KernelError(errno.ENOENT)
    parent, name = create_target(task, newdfd, newpath)
    may_create(task, parent)
    _mode, uid, gid = new_owner(task, parent.inode, st.S_IFLNK | 0o777)
    parent.inode.symlink(name, content, uid, gid)
    parent.dentry.forget(name)
    fsnotify_create(parent.inode, name)
    return 0


@syscall
def sys_symlinkat(task: Task, target: int, newdfd: int, newpath: int) -> int:
    return do_symlinkat(task, target, newdfd, newpath)


@syscall
def sys_symlink(task: Task, target: int, newpath: int) -> int:
    return do_symlinkat(task, target, _CWD, newpath)
