"""execve and execveat (the work is done by task/exec.py)."""
from __future__ import annotations

import errno

from pynix.errors import KernelError
from pynix.mm.uaccess import read_u64, strncpy_from_user
from pynix.syscall.fs_path import lookup_at
from pynix.syscall.registry import NO_RETURN, s32, syscall
from pynix.task.exec import execve
from pynix.task.task import Task
from pynix.uapi.fcntl import AT_EMPTY_PATH, AT_FDCWD, AT_SYMLINK_NOFOLLOW

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
    return _execveat(task, AT_FDCWD, pathname, argv, envp, 0)


@syscall
def sys_execveat(task: Task, dirfd: int, pathname: int, argv: int, envp: int, flags: int) -> None:
    return _execveat(task, s32(dirfd), pathname, argv, envp, flags)


def _execveat(task: Task, dirfd: int, pathname: int, argv: int, envp: int, flags: int) -> None:
    """Linux's do_execveat_common: the path (relative to `dirfd`; with AT_EMPTY_PATH and "" the file open as
    `dirfd` itself, which is how fexecve works), then the argument and environment strings, then the file.
    The program's name (AT_EXECFN, its comm, a script's path for its interpreter) is the path, or
    /dev/fd/N[/path] when it was found through a descriptor."""
    path = strncpy_from_user(task.mm, pathname, PATH_MAX)
    if not path and not flags & AT_EMPTY_PATH:
        raise KernelError(errno.ENOENT)
    args, env = _string_array(task, argv), _string_array(task, envp)
    if flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW):
        raise KernelError(errno.EINVAL)
    target = lookup_at(task, dirfd, pathname, flags, follow_default=not flags & AT_SYMLINK_NOFOLLOW)
    if target.inode.is_symlink:
        raise KernelError(errno.ELOOP)           # AT_SYMLINK_NOFOLLOW and the name is a symlink
    fd_path = dirfd != AT_FDCWD and not path.startswith(b"/")
    filename = b"/dev/fd/%d" % dirfd + (b"/" + path if path else b"") if fd_path else path
    # A script found through a close-on-exec descriptor cannot be opened by its interpreter (ENOENT, as Linux).
    hidden = fd_path and task.group.fds.entry(dirfd).cloexec
    execve(task.kernel, task, filename, args, env, target, script_inaccessible=hidden)
    return NO_RETURN
