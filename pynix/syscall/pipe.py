"""pipe2, and pipe (the x86_64 legacy form)."""
from __future__ import annotations

import errno

from pynix.errors import KernelError
from pynix.fs.file import File
from pynix.fs.pipe import O_DIRECT, create_pipe
from pynix.mm.uaccess import copy_to_user
from pynix.syscall.registry import syscall
from pynix.task.task import Task
from pynix.uapi.fcntl import O_CLOEXEC, O_NONBLOCK

O_NOTIFICATION_PIPE = 0o200          # = O_EXCL: a watch_queue notification pipe (not supported)


@syscall
def sys_pipe2(task: Task, fds: int, flags: int) -> int:
    flags &= 0xFFFFFFFF
    if flags & ~(O_CLOEXEC | O_NONBLOCK | O_DIRECT | O_NOTIFICATION_PIPE):
        raise KernelError(errno.EINVAL)
    if flags & O_NOTIFICATION_PIPE:
        raise KernelError(errno.ENOPKG)   # what a kernel built without CONFIG_WATCH_QUEUE answers
    creds = task.group.creds
    reader, writer = create_pipe(flags, creds.fsuid, creds.fsgid)
    return install_fd_pair(task, reader, writer, bool(flags & O_CLOEXEC), fds)


def install_fd_pair(task: Task, first: File, second: File, cloexec: bool, addr: int) -> int:
    """Install two new open files (a pipe's ends, a socket pair) and write their descriptors as int[2] at
    `addr`; on any failure nothing is left installed, as Linux installs them only once the copy succeeded."""
    table = task.group.fds
    fd0 = table.install(first, cloexec)
    try:
        fd1 = table.install(second, cloexec)
    except KernelError:
        table.close(fd0)                  # EMFILE for the second: undo the first
        second.release()                  # never installed, so no descriptor will drop it
        raise
    try:
        copy_to_user(task.mm, addr, fd0.to_bytes(4, "little") + fd1.to_bytes(4, "little"))
    except KernelError:
        table.close(fd0)
        table.close(fd1)
        raise
    return 0


@syscall
def sys_pipe(task: Task, fds: int) -> int:
    return sys_pipe2(task, fds, 0)
