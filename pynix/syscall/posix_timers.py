"""POSIX per-process timers: timer_create, timer_settime, timer_gettime, timer_getoverrun, timer_delete
(Linux's kernel/time/posix-timers.c).  The timers themselves are task/timer.py's PosixTimer.

Clocks: CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME, CLOCK_TAI, and the CPU-time clocks of the calling
process and thread (CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID; guest time as the scheduler accounts it).
The alarm clocks need CAP_WAKE_ALARM (EPERM otherwise) and then behave as REALTIME/BOOTTIME: there is no suspend
here to wake from.  Not supported: the CPU clocks of other processes (negative clock ids, EINVAL).
Timer ids count up from 0 per process and are not reused until they wrap, as in Linux 6.x; timers are not inherited
by fork, are deleted by exec, and stop with their process.
"""
from __future__ import annotations

import errno
import struct
from typing import Callable

from pynix.errors import KernelError
from pynix.mm.uaccess import copy_from_user, copy_to_user
from pynix.syscall.registry import s32, syscall
from pynix.task.capability import capable
from pynix.task.task import Task
from pynix.task.timer import (CLOCK_BOOTTIME, CLOCK_BOOTTIME_ALARM, CLOCK_MONOTONIC_COARSE, CLOCK_MONOTONIC_RAW,
                              CLOCK_REALTIME, CLOCK_REALTIME_ALARM, CLOCK_REALTIME_COARSE, NSEC,
                              SIGEV_NONE, SIGEV_SIGNAL, SIGEV_THREAD, SIGEV_THREAD_ID, TIMER_ABSTIME, PosixTimer,
                              clock_reader, is_cpu_clock)
from pynix.uapi.capability import CAP_WAKE_ALARM
from pynix.uapi.signal import NSIG, SIGALRM

INT_MAX = 0x7FFFFFFF
SIGEVENT_SIZE = 64


def timer_clock(task: Task, clockid: int) -> Callable[[], int]:
    """The clock a timer on `clockid` counts; the alarm clocks need privilege (CAP_WAKE_ALARM)."""
    if clockid in (CLOCK_REALTIME_ALARM, CLOCK_BOOTTIME_ALARM):
        if not capable(task, CAP_WAKE_ALARM):
            raise KernelError(errno.EPERM)
        clockid = CLOCK_REALTIME if clockid == CLOCK_REALTIME_ALARM else CLOCK_BOOTTIME
    clock = clock_reader(clockid, task)
    if clock is None:                            # clocks without timers, then unknown clocks
        raise KernelError(errno.EOPNOTSUPP if clockid in (CLOCK_MONOTONIC_RAW, CLOCK_REALTIME_COARSE,
                                                          CLOCK_MONOTONIC_COARSE) else errno.EINVAL)
    return clock


def _check_sigevent(task: Task, sigevent: bytes | None, timer_id: int) -> tuple[int, int, int, Task | None]:
    """(notify, signo, value, target thread) from a user `struct sigevent` (Linux's good_sigevent);
    no sigevent means SIGEV_SIGNAL of SIGALRM with the timer id as value."""
    if sigevent is None:
        return SIGEV_SIGNAL, SIGALRM, timer_id, None
    value, signo, notify, tid = struct.unpack_from("<Qiii", sigevent)
    thread = None
    if notify == SIGEV_THREAD_ID:
        thread = task.kernel.tasks.get(tid)
        if thread is None or thread.group is not task.group:
            raise KernelError(errno.EINVAL)
    elif notify not in (SIGEV_SIGNAL, SIGEV_THREAD, SIGEV_NONE):
        raise KernelError(errno.EINVAL)
    if notify != SIGEV_NONE and not 1 <= signo <= NSIG:
        raise KernelError(errno.EINVAL)
    # SIGEV_THREAD is the C library's business: to the kernel it is SIGEV_SIGNAL.
    return (SIGEV_SIGNAL if notify == SIGEV_THREAD else notify), signo, value, thread


def _next_id(task: Task) -> int:
    group = task.group
    while True:
        timer_id = group.next_timer_id
        group.next_timer_id = (timer_id + 1) & INT_MAX
        if timer_id not in group.posix_timers:
            return timer_id


def _timer(task: Task, timerid: int) -> PosixTimer:
    timer = task.group.posix_timers.get(s32(timerid))
    if timer is None:
        raise KernelError(errno.EINVAL)
    return timer


@syscall
def sys_timer_create(task: Task, clockid: int, sevp: int, created_timer_id: int) -> int:
    clockid = s32(clockid)
    clock = timer_clock(task, clockid)
    group = task.group
    sigevent = copy_from_user(task.mm, sevp, SIGEVENT_SIZE) if sevp else None
    timer_id = _next_id(task)                    # Linux allocates the id first: a bad sigevent uses one up
    notify, signo, value, thread = _check_sigevent(task, sigevent, timer_id)
    timer = PosixTimer(timer_id, group, notify, signo, value, thread)
    timer.bind(task.kernel, clock, cpu_clock=is_cpu_clock(clockid))
    copy_to_user(task.mm, created_timer_id, struct.pack("<i", timer_id))
    group.posix_timers[timer_id] = timer
    return 0


def read_itimerspec(task: Task, addr: int) -> tuple[int, int]:
    """A user `struct itimerspec` {it_interval, it_value} as (interval, value) in ns; EINVAL if not normalised."""
    if not addr:
        raise KernelError(errno.EINVAL)
    isec, insec, vsec, vnsec = struct.unpack("<qqqq", copy_from_user(task.mm, addr, 32))
    if min(isec, vsec) < 0 or not (0 <= insec < NSEC and 0 <= vnsec < NSEC):
        raise KernelError(errno.EINVAL)
    return isec * NSEC + insec, vsec * NSEC + vnsec


def itimerspec_bytes(interval: int, value: int) -> bytes:
    return struct.pack("<qqqq", interval // NSEC, interval % NSEC, value // NSEC, value % NSEC)


def _itimerspec(timer: PosixTimer) -> bytes:
    """What is left, at least 1 ns while an expiry is being signalled (a SIGEV_NONE one-shot timer that expired
    reads 0)."""
    left = timer.timer.remaining()
    if not left and timer.timer.expires is not None and timer.notify != SIGEV_NONE:
        left = 1
    return itimerspec_bytes(timer.timer.interval, left)


@syscall
def sys_timer_settime(task: Task, timerid: int, flags: int, new_value: int, old_value: int) -> int:
    timer = _timer(task, timerid)
    interval, value = read_itimerspec(task, new_value)
    if old_value:
        copy_to_user(task.mm, old_value, _itimerspec(timer))
    timer.withdraw()                             # a signal of the previous setting is not delivered any more
    timer.overrun_last = 0
    timer.timer.arm(value, interval, absolute=bool(s32(flags) & TIMER_ABSTIME))
    return 0


@syscall
def sys_timer_gettime(task: Task, timerid: int, curr_value: int) -> int:
    copy_to_user(task.mm, curr_value, _itimerspec(_timer(task, timerid)))
    return 0


@syscall
def sys_timer_getoverrun(task: Task, timerid: int) -> int:
    return _timer(task, timerid).overrun_last


@syscall
def sys_timer_delete(task: Task, timerid: int) -> int:
    timer = _timer(task, timerid)
    timer.delete()
    del task.group.posix_timers[timer.id]
    return 0
