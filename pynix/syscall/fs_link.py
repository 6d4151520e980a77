"""readlinkat / readlink -- /proc/self/exe only until the VFS and procfs land."""
from __future__ import annotations

import errno
import os

from pynix.errors import KernelError
from pynix.mm.uaccess import copy_to_user, strncpy_from_user
from pynix.syscall.registry import s32, syscall
from pynix.task.task import Task

AT_FDCWD = -100
PATH_MAX = 4096


@syscall
def sys_readlinkat(task: Task, dirfd: int, pathname: int, buf: int, bufsiz: int) -> int:
    if s32(bufsiz) <= 0:
        raise KernelError(errno.EINVAL)
    path = strncpy_from_user(task.mm, pathname, PATH_MAX)
    if path in (b"/proc/self/exe", f"/proc/{task.group.pid}/exe".encode()):
        target = os.fsencode(task.group.exe)[:bufsiz]      # readlink does not NUL-terminate
        copy_to_user(task.mm, buf, target)
        return len(target)
    raise KernelError(errno.ENOENT)


@syscall
def sys_readlink(task: Task, pathname: int, buf: int, bufsiz: int) -> int:
    return sys_readlinkat(task, AT_FDCWD & 0xFFFFFFFF, pathname, buf, bufsiz)
