"""pipe2, and pipe (the x86_64 legacy form)."""
from __future__ import annotations

import errno

from pynix.errors import KernelError
from pynix.fs.file import O_CLOEXEC, O_NONBLOCK
from pynix.fs.pipe import O_DIRECT, create_pipe
from pynix.mm.uaccess import copy_to_user
from pynix.syscall.registry import syscall
from pynix.task.task import Task

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
    table = task.group.fds
    cloexec = bool(flags & O_CLOEXEC)
    rfd = table.install(reader, cloexec)
    try:
        wfd = table.install(writer, cloexec)
    except KernelError:
        table.close(rfd)                  # EMFILE for the second end: undo the first
        writer.release()                  # never installed, so no descriptor will drop it
        raise
    try:
        copy_to_user(task.mm, fds, rfd.to_bytes(4, "little") + wfd.to_bytes(4, "little"))
    except KernelError:
        table.close(rfd)                  # Linux installs the descriptors only after the copy succeeds
        table.close(wfd)
        raise
    return 0


@syscall
def sys_pipe(task: Task, fds: int) -> int:
    return sys_pipe2(task, fds, 0)
