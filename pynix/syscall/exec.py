"""execve and execveat (the work is done by task/exec.py)."""
from __future__ import annotations

import errno

from pynix.errors import KernelError
from pynix.mm.uaccess import read_u64, strncpy_from_user
from pynix.syscall.registry import NO_RETURN, s32, syscall
from pynix.task.exec import execve
from pynix.task.task import Task
from pynix.uapi.fcntl import AT_EMPTY_PATH, AT_FDCWD

PATH_MAX = 4096
MAX_ARG_STRLEN = 32 * 4096          # one argument or environment string
ARG_MAX = 2 << 20                   # a quarter of the 8 MiB stack limit, as Linux allows


def _string_array(task: Task, addr: int) -> list[bytes]:
    """A NULL-terminated user array of C strings (a NULL array is an empty one, as Linux accepts)."""
    strings: list[bytes] = []
    total = 0
    while addr:
        ptr = read_u64(task.mm, addr + 8 * len(strings))
        if not ptr:
            break
        try:
            s = strncpy_from_user(task.mm, ptr, MAX_ARG_STRLEN)
        except KernelError as err:
            raise KernelError(errno.E2BIG if err.errno == errno.ENAMETOOLONG else err.errno) from None
        total += len(s) + 1 + 8
        if total > ARG_MAX:
            raise KernelError(errno.E2BIG)
        strings.append(s)
    return strings


@syscall
def sys_execve(task: Task, pathname: int, argv: int, envp: int) -> None:
    path = strncpy_from_user(task.mm, pathname, PATH_MAX)
    if not path:
        raise KernelError(errno.ENOENT)
    execve(task.kernel, task, path, _string_array(task, argv), _string_array(task, envp))
    return NO_RETURN


@syscall
def sys_execveat(task: Task, dirfd: int, pathname: int, argv: int, envp: int, flags: int) -> None:
    if s32(dirfd) != AT_FDCWD and not strncpy_from_user(task.mm, pathname, PATH_MAX).startswith(b"/"):
        raise KernelError(errno.EBADF)           # descriptors naming directories arrive with the VFS
    if flags & ~(AT_EMPTY_PATH | 0x100):
        raise KernelError(errno.EINVAL)
    return sys_execve(task, pathname, argv, envp)
