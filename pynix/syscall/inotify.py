"""inotify_init, inotify_init1, inotify_add_watch, inotify_rm_watch.  The instances are fs/notify/inotify.py, the
events come from the fsnotify hooks (fs/notify/fsnotify.py)."""
from __future__ import annotations

import errno

from pynix.errors import KernelError
from pynix.fs.file import O_CLOEXEC, O_NONBLOCK
from pynix.fs.notify.inotify import (IN_ALL_EVENTS, IN_DONT_FOLLOW, IN_EXCL_UNLINK, IN_MASK_ADD, IN_MASK_CREATE,
                                     IN_ONESHOT, IN_ONLYDIR, Inotify, new_instance)
from pynix.fs.vfs import MAY_READ, permission
from pynix.syscall.fs_path import AT_FDCWD, AT_SYMLINK_NOFOLLOW, lookup_at
from pynix.syscall.registry import s32, syscall
from pynix.task.task import Task

IN_CLOEXEC, IN_NONBLOCK = O_CLOEXEC, O_NONBLOCK
ALL_INOTIFY_BITS = (IN_ALL_EVENTS | 0x2000 | 0x4000 | 0x8000 | IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK
                    | IN_MASK_ADD | IN_MASK_CREATE | 0x40000000 | IN_ONESHOT)


@syscall
def sys_inotify_init1(task: Task, flags: int) -> int:
    flags = s32(flags)
    if flags & ~(IN_CLOEXEC | IN_NONBLOCK):
        raise KernelError(errno.EINVAL)
    instance = new_instance(flags, task.group.creds.uid)
    return task.group.fds.install(instance, bool(flags & IN_CLOEXEC))


@syscall
def sys_inotify_init(task: Task) -> int:
    return sys_inotify_init1(task, 0)


def _instance(task: Task, fd: int) -> Inotify:
    file = task.group.fds.get(s32(fd))
    if not isinstance(file, Inotify):
        raise KernelError(errno.EINVAL)
    return file


@syscall
def sys_inotify_add_watch(task: Task, fd: int, pathname: int, mask: int) -> int:
    """EINVAL for IN_MASK_ADD with IN_MASK_CREATE or no valid bit, EBADF, EINVAL if not an instance, the path's
    errors (ENOTDIR for IN_ONLYDIR on a non-directory), EACCES without read permission."""
    mask &= 0xFFFFFFFF
    if mask & IN_MASK_ADD and mask & IN_MASK_CREATE or not mask & ALL_INOTIFY_BITS:
        raise KernelError(errno.EINVAL)
    instance = _instance(task, fd)
    path = lookup_at(task, AT_FDCWD, pathname, AT_SYMLINK_NOFOLLOW if mask & IN_DONT_FOLLOW else 0)
    inode = path.inode
    if mask & IN_ONLYDIR and not inode.is_dir:
        raise KernelError(errno.ENOTDIR)
    creds = task.group.creds
    permission(inode, MAY_READ, creds)
    return instance.add_watch(inode, mask)


@syscall
def sys_inotify_rm_watch(task: Task, fd: int, wd: int) -> int:
    _instance(task, fd).rm_watch(s32(wd))
    return 0
