"""signalfd4, and signalfd (the x86_64 legacy form without flags).  The file is fs/signalfd.py's SignalFd."""
from __future__ import annotations

import errno

from pynix.errors import KernelError
from pynix.fs.signalfd import SignalFd
from pynix.mm.uaccess import read_u64
from pynix.syscall.registry import s32, syscall
from pynix.task.task import Task
from pynix.uapi.fcntl import O_CLOEXEC, O_NONBLOCK

SFD_CLOEXEC, SFD_NONBLOCK = O_CLOEXEC, O_NONBLOCK
SIGSET_SIZE = 8


@syscall
def sys_signalfd4(task: Task, fd: int, mask: int, sizemask: int, flags: int) -> int:
    """fd -1 creates a signalfd; an existing signalfd gets the new mask (its flags stay as they were)."""
    flags = flags & 0xFFFFFFFF
    if flags & ~(SFD_CLOEXEC | SFD_NONBLOCK) or sizemask != SIGSET_SIZE:
        raise KernelError(errno.EINVAL)
    sigset = read_u64(task.mm, mask)
    fd = s32(fd)
    if fd == -1:
        return task.group.fds.install(SignalFd(task.kernel, sigset, flags), cloexec=bool(flags & SFD_CLOEXEC))
    task.group.fds.get_as(fd, SignalFd, errno.EINVAL).set_mask(task, sigset)
    return fd


@syscall
def sys_signalfd(task: Task, fd: int, mask: int, sizemask: int) -> int:
    return sys_signalfd4(task, fd, mask, sizemask, 0)
