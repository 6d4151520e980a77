"""Clocks and sleeping: clock_gettime, clock_getres, gettimeofday, time, nanosleep, clock_nanosleep, and
clock_settime and settimeofday, which the sandbox refuses."""
from __future__ import annotations

import errno
import struct
import time

from pynix.errors import KernelError
from pynix.mm.uaccess import copy_from_user, copy_to_user, write_u64
from pynix.sync.wait import Block
from pynix.syscall.registry import s32, syscall
from pynix.task.task import Task
from pynix.task.timer import (CLOCK_BOOTTIME, CLOCK_BOOTTIME_ALARM, CLOCK_MONOTONIC, CLOCK_MONOTONIC_COARSE,
                              CLOCK_MONOTONIC_RAW, CLOCK_PROCESS_CPUTIME_ID, CLOCK_REALTIME, CLOCK_REALTIME_ALARM,
                              CLOCK_REALTIME_COARSE, CLOCK_TAI, CLOCK_THREAD_CPUTIME_ID, NSEC, TIMER_ABSTIME,
                              clock_reader)

# Guest clock -> host clock it reads (the CPU-time clocks are the guest's own: see sys_clock_gettime).
_HOST_CLOCK = {CLOCK_REALTIME: time.CLOCK_REALTIME, CLOCK_MONOTONIC: time.CLOCK_MONOTONIC,
               CLOCK_PROCESS_CPUTIME_ID: time.CLOCK_PROCESS_CPUTIME_ID,
               CLOCK_THREAD_CPUTIME_ID: time.CLOCK_PROCESS_CPUTIME_ID,
               CLOCK_MONOTONIC_RAW: time.CLOCK_MONOTONIC_RAW, CLOCK_REALTIME_COARSE: time.CLOCK_REALTIME,
               CLOCK_MONOTONIC_COARSE: time.CLOCK_MONOTONIC, CLOCK_BOOTTIME: time.CLOCK_BOOTTIME,
               CLOCK_REALTIME_ALARM: time.CLOCK_REALTIME, CLOCK_BOOTTIME_ALARM: time.CLOCK_BOOTTIME,
               CLOCK_TAI: time.CLOCK_TAI}
_COARSE = (CLOCK_REALTIME_COARSE, CLOCK_MONOTONIC_COARSE)


def _host_clock(clockid: int) -> int:
    host = _HOST_CLOCK.get(s32(clockid))
    if host is None:
        raise KernelError(errno.EINVAL)
    return host


def read_timespec(task: Task, addr: int) -> int:
    """get_timespec64: a user `struct timespec` as nanoseconds; EINVAL for a negative or unnormalised value."""
    sec, nsec = struct.unpack("<qq", copy_from_user(task.mm, addr, 16))
    if sec < 0 or not 0 <= nsec < NSEC:
        raise KernelError(errno.EINVAL)
    return sec * NSEC + nsec


def _write_timespec(task: Task, addr: int, ns: int) -> None:
    copy_to_user(task.mm, addr, struct.pack("<qq", ns // NSEC, ns % NSEC))


@syscall
def sys_clock_gettime(task: Task, clockid: int, tp: int) -> int:
    """The CPU-time clocks are the guest's own (the process's or the thread's accounted run time); the others
    read the host clock of the same kind."""
    clockid = s32(clockid)
    if clockid in (CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID):
        ns = clock_reader(clockid, task)()
    else:
        ns = time.clock_gettime_ns(_host_clock(clockid))
    _write_timespec(task, tp, ns)
    return 0


@syscall
def sys_clock_getres(task: Task, clockid: int, res: int) -> int:
    _host_clock(clockid)
    if res:
        _write_timespec(task, res, 4_000_000 if s32(clockid) in _COARSE else 1)   # a jiffy at HZ=250
    return 0


@syscall
def sys_clock_settime(task: Task, clockid: int, tp: int) -> int:
    """The machine's clocks are the host's, and no guest holds CAP_SYS_TIME over them (gVisor's choice too): after
    Linux's own checks -- EINVAL for a clock that cannot be set (all but CLOCK_REALTIME), EFAULT, EINVAL for an
    invalid time -- EPERM."""
    if s32(clockid) != CLOCK_REALTIME:
        raise KernelError(errno.EINVAL)
    read_timespec(task, tp)
    raise KernelError(errno.EPERM)


@syscall
def sys_settimeofday(task: Task, tv: int, tz: int) -> int:
    """As clock_settime: Linux's checks of the time (EFAULT, EINVAL), then EPERM (no CAP_SYS_TIME); Linux looks at
    the time zone's range only once the caller has passed the capability check."""
    if tv:
        sec, usec = struct.unpack("<qq", copy_from_user(task.mm, tv, 16))
        if sec < 0 or not 0 <= usec < 1_000_000:
            raise KernelError(errno.EINVAL)
    if tz:
        copy_from_user(task.mm, tz, 8)
    raise KernelError(errno.EPERM)


@syscall
def sys_gettimeofday(task: Task, tv: int, tz: int) -> int:
    now = time.clock_gettime_ns(time.CLOCK_REALTIME)
    if tv:
        copy_to_user(task.mm, tv, struct.pack("<qq", now // NSEC, now % NSEC // 1000))
    if tz:
        copy_to_user(task.mm, tz, bytes(8))       # struct timezone: UTC, no DST
    return 0


@syscall
def sys_time(task: Task, tloc: int) -> int:
    now = time.time_ns() // NSEC
    if tloc:
        write_u64(task.mm, tloc, now)
    return now


def _sleep_until(task: Task, deadline_ns: int, rem: int = 0) -> int:
    """Sleep until CLOCK_MONOTONIC reaches `deadline_ns`: block on the scheduler's timer, re-run on wake-up.
    The deadline travels in the restart data, so a re-run sleeps for what is left, not the whole duration.
    A signal handler interrupts the sleep with EINTR, writing the time left to `rem` if given."""
    if time.monotonic_ns() >= deadline_ns:
        return 0

    def interrupted() -> int:
        if rem:
            _write_timespec(task, rem, max(deadline_ns - time.monotonic_ns(), 0))
        return -errno.EINTR
    raise Block(deadline=deadline_ns, data=deadline_ns, restartable=False, on_interrupt=interrupted)


def _monotonic_deadline(task: Task, host_clock: int, value_ns: int, absolute: bool) -> int:
    if isinstance(task.restart_data, int):       # a re-run: the deadline was fixed by the first run
        return task.restart_data
    if absolute:                                 # an absolute time on another clock, seen on the monotonic one
        return value_ns - time.clock_gettime_ns(host_clock) + time.monotonic_ns()
    return time.monotonic_ns() + value_ns


@syscall
def sys_nanosleep(task: Task, req: int, rem: int) -> int:
    duration = read_timespec(task, req)
    return _sleep_until(task, _monotonic_deadline(task, time.CLOCK_MONOTONIC, duration, False), rem)


@syscall
def sys_clock_nanosleep(task: Task, clockid: int, flags: int, req: int, rem: int) -> int:
    clockid = s32(clockid)
    if clockid == CLOCK_THREAD_CPUTIME_ID:
        raise KernelError(errno.EINVAL)
    if clockid not in (CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME, CLOCK_TAI, CLOCK_PROCESS_CPUTIME_ID):
        raise KernelError(errno.EOPNOTSUPP if clockid in _HOST_CLOCK else errno.EINVAL)
    host = _host_clock(clockid)
    value = read_timespec(task, req)
    absolute = bool(flags & TIMER_ABSTIME)
    return _sleep_until(task, _monotonic_deadline(task, host, value, absolute), 0 if absolute else rem)
