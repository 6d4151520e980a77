"""Extended attributes.  No pynix filesystem stores any yet: lookups find none (ENODATA), lists are empty,
and setting one is not supported (EOPNOTSUPP) -- what Linux answers for a filesystem without xattrs in use."""
from __future__ import annotations

import errno

from pynix.errors import KernelError
from pynix.syscall.fs_path import lookup_at
from pynix.syscall.registry import s32, syscall
from pynix.task.task import Task
from pynix.uapi.fcntl import AT_FDCWD, AT_SYMLINK_NOFOLLOW

_CWD = AT_FDCWD & 0xFFFFFFFF


def _path(task: Task, pathname: int, follow: bool) -> None:
    lookup_at(task, _CWD, pathname, 0 if follow else AT_SYMLINK_NOFOLLOW)


@syscall
def sys_getxattr(task: Task, pathname: int, name: int, value: int, size: int) -> int:
    _path(task, pathname, True)
    raise KernelError(errno.ENODATA)


@syscall
def sys_lgetxattr(task: Task, pathname: int, name: int, value: int, size: int) -> int:
    _path(task, pathname, False)
    raise KernelError(errno.ENODATA)


@syscall
def sys_fgetxattr(task: Task, fd: int, name: int, value: int, size: int) -> int:
    task.group.fds.get(s32(fd))
    raise KernelError(errno.ENODATA)


@syscall
def sys_listxattr(task: Task, pathname: int, lst: int, size: int) -> int:
    _path(task, pathname, True)
    return 0


@syscall
def sys_llistxattr(task: Task, pathname: int, lst: int, size: int) -> int:
    _path(task, pathname, False)
    return 0


@syscall
def sys_flistxattr(task: Task, fd: int, lst: int, size: int) -> int:
    task.group.fds.get(s32(fd))
    return 0


@syscall
def sys_setxattr(task: Task, pathname: int, name: int, value: int, size: int, flags: int) -> int:
    _path(task, pathname, True)
    raise KernelError(errno.EOPNOTSUPP)


@syscall
def sys_lsetxattr(task: Task, pathname: int, name: int, value: int, size: int, flags: int) -> int:
    _path(task, pathname, False)
    raise KernelError(errno.EOPNOTSUPP)


@syscall
def sys_fsetxattr(task: Task, fd: int, name: int, value: int, size: int, flags: int) -> int:
    task.group.fds.get(s32(fd))
    raise KernelError(errno.EOPNOTSUPP)
