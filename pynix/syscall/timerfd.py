"""timerfd_create, timerfd_settime, timerfd_gettime (fs/timerfd.c).

Clocks: REALTIME, MONOTONIC, BOOTTIME, and the alarm clocks for privileged callers.  TFD_TIMER_CANCEL_ON_SET
with TFD_TIMER_ABSTIME on a CLOCK_REALTIME timer makes setting the machine's clock cancel it (fs/timerfd.py).
"""
from __future__ import annotations

import errno

from pynix.errors import KernelError
from pynix.fs.timerfd import TimerFd
from pynix.mm.uaccess import copy_to_user
from pynix.syscall.posix_timers import itimerspec_bytes, read_itimerspec, timer_clock
from pynix.syscall.registry import s32, syscall
from pynix.task.task import Task
from pynix.task.timer import (CLOCK_BOOTTIME, CLOCK_BOOTTIME_ALARM, CLOCK_MONOTONIC, CLOCK_REALTIME,
                              CLOCK_REALTIME_ALARM)
from pynix.uapi.fcntl import O_CLOEXEC, O_NONBLOCK

TFD_TIMER_ABSTIME, TFD_TIMER_CANCEL_ON_SET = 1, 2
TIMERFD_CLOCKS = (CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME, CLOCK_REALTIME_ALARM, CLOCK_BOOTTIME_ALARM)


def _timerfd(task: Task, fd: int) -> TimerFd:
    return task.group.fds.get_as(s32(fd), TimerFd, errno.EINVAL)


def _current(file: TimerFd) -> bytes:
    return itimerspec_bytes(file.timer.interval, file.timer.remaining())


@syscall
def sys_timerfd_create(task: Task, clockid: int, flags: int) -> int:
    clockid, flags = s32(clockid), s32(flags)
    if clockid not in TIMERFD_CLOCKS or flags & ~(O_NONBLOCK | O_CLOEXEC):
        raise KernelError(errno.EINVAL)
    file = TimerFd(task.kernel, task.group, timer_clock(task, clockid), flags, clockid)
    return task.group.fds.install(file, bool(flags & O_CLOEXEC))


@syscall
def sys_timerfd_settime(task: Task, fd: int, flags: int, new_value: int, old_value: int) -> int:
    flags = s32(flags)
    if flags & ~(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET):
        raise KernelError(errno.EINVAL)
    file = _timerfd(task, fd)
    interval, value = read_itimerspec(task, new_value)
    if old_value:
        copy_to_user(task.mm, old_value, _current(file))
    absolute = bool(flags & TFD_TIMER_ABSTIME)
    cancel = absolute and bool(flags & TFD_TIMER_CANCEL_ON_SET) and file.clockid in (CLOCK_REALTIME,
                                                                                     CLOCK_REALTIME_ALARM)
    file.settime(value, interval, absolute, cancel_on_set=cancel)
    return 0


@syscall
def sys_timerfd_gettime(task: Task, fd: int, curr_value: int) -> int:
    copy_to_user(task.mm, curr_value, _current(_timerfd(task, fd)))
    return 0
