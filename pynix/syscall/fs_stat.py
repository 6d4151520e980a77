"""fstat, newfstatat (fstatat), and the x86_64 legacy stat forms -- for descriptors until the VFS lands."""
from __future__ import annotations

import errno

from pynix.errors import KernelError
from pynix.mm.uaccess import copy_to_user, strncpy_from_user
from pynix.syscall.registry import s32, syscall
from pynix.task.task import Task

AT_EMPTY_PATH = 0x1000
PATH_MAX = 4096


def _put_stat(task: Task, addr: int, fields: dict[str, int]) -> int:
    copy_to_user(task.mm, addr, task.arch.stat_layout.pack(fields))
    return 0


@syscall
def sys_fstat(task: Task, fd: int, statbuf: int) -> int:
    return _put_stat(task, statbuf, task.group.fds.get(s32(fd)).stat())


@syscall
def sys_newfstatat(task: Task, dirfd: int, pathname: int, statbuf: int, flags: int) -> int:
    path = strncpy_from_user(task.mm, pathname, PATH_MAX)
    if path == b"" and flags & AT_EMPTY_PATH:
        return sys_fstat(task, dirfd, statbuf)
    # Path lookup needs the VFS; until it exists no path names a file.
    raise KernelError(errno.ENOENT)
