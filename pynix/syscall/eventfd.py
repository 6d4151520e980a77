"""eventfd2, and eventfd (the x86_64 legacy form without flags).  The object is in fs/eventfd.py."""
from __future__ import annotations

import errno

from pynix.errors import KernelError
from pynix.fs.eventfd import EFD_SEMAPHORE, EventFd
from pynix.syscall.registry import syscall
from pynix.task.task import Task
from pynix.uapi.fcntl import O_CLOEXEC, O_NONBLOCK

EFD_CLOEXEC, EFD_NONBLOCK = O_CLOEXEC, O_NONBLOCK


@syscall
def sys_eventfd2(task: Task, initval: int, flags: int) -> int:
    flags &= 0xFFFFFFFF
    if flags & ~(EFD_CLOEXEC | EFD_NONBLOCK | EFD_SEMAPHORE):
        raise KernelError(errno.EINVAL)
    return task.group.fds.install(EventFd(initval & 0xFFFFFFFF, flags), bool(flags & EFD_CLOEXEC))


@syscall
def sys_eventfd(task: Task, initval: int) -> int:
    return sys_eventfd2(task, initval, 0)
