"""epoll_create1, epoll_create, epoll_ctl, epoll_wait, epoll_pwait, epoll_pwait2 (Linux's fs/eventpoll.c
syscalls, checks in Linux's order).  The instance itself is in fs/eventpoll.py.

`struct epoll_event` is packed (12 bytes) on x86_64 and naturally aligned (16) elsewhere: `arch.epoll_event_format`.
epoll_wait sleeps on the instance's queue with the deadline kept across re-runs (poll.py's helpers) and is never
restarted after a handler (EINTR even with SA_RESTART).  epoll_pwait's temporary signal mask stays in force while
the call sleeps; a handler that interrupts it runs with that mask and its frame restores the caller's (Linux's
restore_saved_sigmask_unless(EINTR)); any other end of the call restores the caller's mask at once.
"""
from __future__ import annotations

import errno
import struct

from pynix.errors import KernelError
from pynix.fs.eventpoll import (EPOLLERR, EPOLLEXCLUSIVE, EPOLLEXCLUSIVE_OK_BITS, EPOLLHUP,
                                EPOLLWAKEUP, EventPoll, file_can_poll)
from pynix.mm.uaccess import copy_from_user, copy_to_user
from pynix.sync.wait import Block
from pynix.syscall.poll import _deadline, _expired, _timespec_ns
from pynix.syscall.registry import s32, syscall
from pynix.syscall.signal import with_sigmask
from pynix.task.capability import capable
from pynix.task.task import Task
from pynix.uapi.capability import CAP_BLOCK_SUSPEND
from pynix.uapi.fcntl import O_CLOEXEC

EPOLL_CLOEXEC = O_CLOEXEC
EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CTL_MOD = 1, 2, 3
INT_MAX = 0x7FFFFFFF


@syscall
def sys_epoll_create1(task: Task, flags: int) -> int:
    flags = s32(flags)
    if flags & ~EPOLL_CLOEXEC:
        raise KernelError(errno.EINVAL)
    return task.group.fds.install(EventPoll(0), bool(flags & EPOLL_CLOEXEC))


@syscall
def sys_epoll_create(task: Task, size: int) -> int:
    if s32(size) <= 0:
        raise KernelError(errno.EINVAL)
    return sys_epoll_create1(task, 0)


def _epoll_file(task: Task, epfd: int) -> EventPoll:
    return task.group.fds.get_as(s32(epfd), EventPoll, errno.EINVAL)


@syscall
def sys_epoll_ctl(task: Task, epfd: int, op: int, fd: int, event: int) -> int:
    op, fd = s32(op), s32(fd)
    fmt = task.arch.epoll_event_format
    events = data = 0
    if op != EPOLL_CTL_DEL:
        events, data = struct.unpack(fmt, copy_from_user(task.mm, event, struct.calcsize(fmt)))
    table = task.group.fds
    ep_file = table.get(s32(epfd))
    target = table.get(fd)
    if not file_can_poll(target):
        raise KernelError(errno.EPERM)
    events &= ~0 if capable(task, CAP_BLOCK_SUSPEND) else ~EPOLLWAKEUP    # dropped without CAP_BLOCK_SUSPEND
    if target is ep_file or not isinstance(ep_file, EventPoll):
        raise KernelError(errno.EINVAL)
    if op != EPOLL_CTL_DEL and events & EPOLLEXCLUSIVE:
        if op == EPOLL_CTL_MOD:
            raise KernelError(errno.EINVAL)
        if op == EPOLL_CTL_ADD and (isinstance(target, EventPoll) or events & ~EPOLLEXCLUSIVE_OK_BITS):
            raise KernelError(errno.EINVAL)
    item = ep_file.find(target, fd)
    if op == EPOLL_CTL_ADD:
        if item is not None:
            raise KernelError(errno.EEXIST)
        ep_file.insert(task, target, fd, events | EPOLLERR | EPOLLHUP, data)
    elif op == EPOLL_CTL_DEL:
        if item is None:
            raise KernelError(errno.ENOENT)
        ep_file.remove(item)
    elif op == EPOLL_CTL_MOD:
        if item is None:
            raise KernelError(errno.ENOENT)
        if not item.events & EPOLLEXCLUSIVE:
            ep_file.modify(item, events | EPOLLERR | EPOLLHUP, data)
    else:
        raise KernelError(errno.EINVAL)
    return 0


def do_epoll_wait(task: Task, epfd: int, events: int, maxevents: int, timeout_ns: int | None) -> int:
    fmt = task.arch.epoll_event_format
    size = struct.calcsize(fmt)
    maxevents = s32(maxevents)
    if maxevents <= 0 or maxevents > INT_MAX // size:
        raise KernelError(errno.EINVAL)
    if events + maxevents * size > task.mm.arch.task_size:
        raise KernelError(errno.EFAULT)                  # access_ok
    ep = _epoll_file(task, epfd)
    deadline = _deadline(task, timeout_ns)
    reported = ep.collect(maxevents)
    if reported:
        copy_to_user(task.mm, events, b"".join(struct.pack(fmt, revents, item.data) for item, revents in reported))
        ep.consumed(reported)
        return len(reported)
    if timeout_ns == 0 or _expired(deadline):
        return 0
    raise Block(ep.queue, deadline=deadline, data=deadline, restartable=False)


def _ms(timeout: int) -> int | None:
    ms = s32(timeout)
    return None if ms < 0 else ms * 1_000_000


@syscall
def sys_epoll_wait(task: Task, epfd: int, events: int, maxevents: int, timeout: int) -> int:
    return do_epoll_wait(task, epfd, events, maxevents, _ms(timeout))


@syscall
def sys_epoll_pwait(task: Task, epfd: int, events: int, maxevents: int, timeout: int, sigmask: int,
                    sigsetsize: int) -> int:
    return with_sigmask(task, sigmask, sigsetsize,
                        lambda: do_epoll_wait(task, epfd, events, maxevents, _ms(timeout)))


@syscall
def sys_epoll_pwait2(task: Task, epfd: int, events: int, maxevents: int, timeout: int, sigmask: int,
                     sigsetsize: int) -> int:
    timeout_ns = _timespec_ns(task, timeout) if task.restart_data is None else None
    return with_sigmask(task, sigmask, sigsetsize,
                        lambda: do_epoll_wait(task, epfd, events, maxevents, timeout_ns))
