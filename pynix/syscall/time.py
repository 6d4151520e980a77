"""Clocks and sleeping: clock_gettime, clock_getres, gettimeofday, time, nanosleep, clock_nanosleep; and setting
the machine's wall clock (hal/clock.py): clock_settime, settimeofday, adjtimex and clock_adjtime.

A process with CAP_SYS_TIME (the machine's root, unless it dropped it) sets, as a container's root granted
it would, the machine's CLOCK_REALTIME -- an offset over the host's, which never changes -- and every reader
of the wall clock sees it (clock_gettime, gettimeofday, time, file timestamps, absolute timers and sleeps).
Anyone else gets EPERM after Linux's own argument checks."""
from __future__ import annotations

import errno
import struct
import time

from pynix.errors import KernelError
from pynix.hal import clock
from pynix.mm.uaccess import copy_from_user, copy_to_user, write_u64
from pynix.sync.wait import Block, WaitQueue
from pynix.syscall.registry import s32, syscall
from pynix.task.capability import capable
from pynix.task.task import Task
from pynix.task.timer import (CLOCK_BOOTTIME, CLOCK_BOOTTIME_ALARM, CLOCK_MONOTONIC, CLOCK_MONOTONIC_COARSE,
                              CLOCK_MONOTONIC_RAW, CLOCK_PROCESS_CPUTIME_ID, CLOCK_REALTIME, CLOCK_REALTIME_ALARM,
                              CLOCK_REALTIME_COARSE, CLOCK_TAI, CLOCK_THREAD_CPUTIME_ID, NSEC, TIMER_ABSTIME,
                              clock_reader, is_cpu_clock)
from pynix.uapi.capability import CAP_SYS_TIME

TIME_SETTOD_SEC_MAX = (2**63 - 1) // NSEC - 30 * 365 * 86400   # KTIME_SEC_MAX - TIME_UPTIME_SEC_MAX

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
    """The CPU-time clocks (fixed or naming a thread or process) are the guest's own accounted run time; the
    others read the host clock of the same kind."""
    clockid = s32(clockid)
    if is_cpu_clock(clockid):
        ns = _cpu_clock(task, clockid)()
    else:
        ns = clock.clock_ns(_host_clock(clockid))
    _write_timespec(task, tp, ns)
    return 0


def _cpu_clock(task: Task, clockid: int):
    """The reader of a CPU-time clock; EINVAL for a dynamic one that names no thread or process it may read."""
    reader = clock_reader(clockid, task)
    if reader is None:
        raise KernelError(errno.EINVAL)
    return reader


@syscall
def sys_clock_getres(task: Task, clockid: int, res: int) -> int:
    """glibc's clock_getcpuclockid and pthread_getcpuclockid validate a dynamic clock this way."""
    if is_cpu_clock(s32(clockid)):
        _cpu_clock(task, s32(clockid))
    else:
        _host_clock(clockid)
    if res:
        _write_timespec(task, res, 4_000_000 if s32(clockid) in _COARSE else 1)   # a jiffy at HZ=250
    return 0


def _set_realtime(task: Task, ns: int) -> None:
    """do_settimeofday64 for a time already checked for range: EPERM without CAP_SYS_TIME; EINVAL for a time
    before the machine booted (CLOCK_REALTIME may not go below CLOCK_MONOTONIC)."""
    if not capable(task, CAP_SYS_TIME):
        raise KernelError(errno.EPERM)
    if ns < time.monotonic_ns():
        raise KernelError(errno.EINVAL)
    clock.set_realtime_ns(ns)


def _valid_settod(sec: int, nsec: int) -> bool:
    return 0 <= sec < TIME_SETTOD_SEC_MAX and 0 <= nsec < NSEC


@syscall
def sys_clock_settime(task: Task, clockid: int, tp: int) -> int:
    """Only CLOCK_REALTIME can be set (EINVAL for the others); EFAULT, EINVAL for an invalid time, then the
    privilege check."""
    if s32(clockid) != CLOCK_REALTIME:
        raise KernelError(errno.EINVAL)
    sec, nsec = struct.unpack("<qq", copy_from_user(task.mm, tp, 16))
    if not _valid_settod(sec, nsec):
        raise KernelError(errno.EINVAL)
    _set_realtime(task, sec * NSEC + nsec)
    return 0


@syscall
def sys_settimeofday(task: Task, tv: int, tz: int) -> int:
    """Linux's do_sys_settimeofday64: the time's checks (EFAULT, EINVAL), the privilege check, then the time
    zone (+-15 hours) and the time.  The first time zone ever set without a time warps the clock to it
    (timekeeping_warp_clock: a clock that kept local time)."""
    ns = None
    if tv:
        sec, usec = struct.unpack("<qq", copy_from_user(task.mm, tv, 16))
        if not 0 <= usec < 1_000_000 or not _valid_settod(sec, usec * 1000):
            raise KernelError(errno.EINVAL)
        ns = sec * NSEC + usec * 1000
    zone = struct.unpack("<ii", copy_from_user(task.mm, tz, 8)) if tz else None
    if not capable(task, CAP_SYS_TIME):
        raise KernelError(errno.EPERM)
    ntp = clock.ntp
    if zone is not None:
        if not -15 * 60 <= zone[0] <= 15 * 60:
            raise KernelError(errno.EINVAL)
        ntp.minuteswest, ntp.dsttime = zone
        if not ntp.timezone_set:
            ntp.timezone_set = True
            if ns is None and ntp.minuteswest:
                clock.step_realtime_ns(ntp.minuteswest * 60 * NSEC)
    if ns is not None:
        _set_realtime(task, ns)
    return 0


@syscall
def sys_gettimeofday(task: Task, tv: int, tz: int) -> int:
    now = clock.realtime_ns()
    if tv:
        copy_to_user(task.mm, tv, struct.pack("<qq", now // NSEC, now % NSEC // 1000))
    if tz:                                        # the kernel's time zone: UTC unless settimeofday said otherwise
        copy_to_user(task.mm, tz, struct.pack("<ii", clock.ntp.minuteswest, clock.ntp.dsttime))
    return 0


@syscall
def sys_time(task: Task, tloc: int) -> int:
    now = clock.realtime_ns() // NSEC
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
        return value_ns - clock.clock_ns(host_clock) + time.monotonic_ns()
    return time.monotonic_ns() + value_ns


# Sleepers until an absolute time on the wall clock: setting the clock wakes them to look at it again.
_wall_clock_sleepers = WaitQueue()
clock.clock_was_set.append(_wall_clock_sleepers.wake_all)


def _sleep_until_wall_clock(task: Task, host_clock: int, when_ns: int) -> int:
    """clock_nanosleep(TIMER_ABSTIME) on CLOCK_REALTIME or CLOCK_TAI: until that clock reads `when_ns`, however
    it is set meanwhile (Linux's hrtimers on the realtime base are re-evaluated by clock_was_set)."""
    left = when_ns - clock.clock_ns(host_clock)
    if left <= 0:
        return 0
    raise Block(_wall_clock_sleepers, deadline=time.monotonic_ns() + left, restartable=False)


@syscall
def sys_nanosleep(task: Task, req: int, rem: int) -> int:
    duration = read_timespec(task, req)
    return _sleep_until(task, _monotonic_deadline(task, time.CLOCK_MONOTONIC, duration, False), rem)


@syscall
def sys_clock_nanosleep(task: Task, clockid: int, flags: int, req: int, rem: int) -> int:
    """Clocks without a sleep (the thread CPU clock, the coarse and raw clocks, the alarm clocks of a machine
    without an RTC) are EOPNOTSUPP, unknown clocks EINVAL, as Linux; unknown flags are ignored, as Linux does."""
    clockid = s32(clockid)
    if clockid not in (CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME, CLOCK_TAI, CLOCK_PROCESS_CPUTIME_ID):
        raise KernelError(errno.EOPNOTSUPP if clockid in _HOST_CLOCK else errno.EINVAL)
    host = _host_clock(clockid)
    value = read_timespec(task, req)
    absolute = bool(flags & TIMER_ABSTIME)
    if absolute and clockid in (CLOCK_REALTIME, CLOCK_TAI):
        return _sleep_until_wall_clock(task, host, value)
    return _sleep_until(task, _monotonic_deadline(task, host, value, absolute), 0 if absolute else rem)


# ------------------------------------------------------------------------------------------------ adjtimex
ADJ_OFFSET, ADJ_FREQUENCY, ADJ_MAXERROR, ADJ_ESTERROR, ADJ_STATUS, ADJ_TIMECONST = 0x1, 0x2, 0x4, 0x8, 0x10, 0x20
ADJ_TAI, ADJ_SETOFFSET, ADJ_MICRO, ADJ_NANO, ADJ_TICK = 0x80, 0x100, 0x1000, 0x2000, 0x4000
ADJ_ADJTIME, ADJ_OFFSET_SINGLESHOT, ADJ_OFFSET_READONLY = 0x8000, 0x0001, 0x2000
STA_UNSYNC, STA_CLOCKERR, STA_NANO, STA_RONLY = 0x40, 0x1000, 0x2000, 0xFF00
TIME_OK, TIME_ERROR = 0, 5
USER_HZ, MAXTC, MAXPHASE, MAXFREQ_SCALED = 100, 10, 500_000_000, 500 << 16
TIMEX = struct.Struct("<I4xqqqqi4xqqqqqqqqi4xqqqqqi44x")    # struct timex: 208 bytes on both ISAs


def _check_timex(task: Task, modes: int, tick: int, usec: int, freq: int) -> None:
    """ntp_validate_timex: adjtime()-style calls, privilege, and the ranges of tick, the step and freq."""
    if modes & ADJ_ADJTIME:
        if not modes & ADJ_OFFSET_SINGLESHOT:
            raise KernelError(errno.EINVAL)
        if not modes & ADJ_OFFSET_READONLY and not capable(task, CAP_SYS_TIME):
            raise KernelError(errno.EPERM)
    else:
        if modes and not capable(task, CAP_SYS_TIME):
            raise KernelError(errno.EPERM)
        if modes & ADJ_TICK and not 900_000 // USER_HZ <= tick <= 1_100_000 // USER_HZ:
            raise KernelError(errno.EINVAL)
    if modes & ADJ_SETOFFSET and not 0 <= usec < (NSEC if modes & ADJ_NANO else 1_000_000):
        raise KernelError(errno.EINVAL)
    if modes & ADJ_FREQUENCY and not -(2**63) // 65536 <= freq <= (2**63 - 1) // 65536:
        raise KernelError(errno.EINVAL)


def _adjtimex(task: Task, buf: int) -> int:
    """do_adjtimex on the machine's clock: ADJ_SETOFFSET steps CLOCK_REALTIME, ADJ_TAI sets CLOCK_TAI's offset,
    the other modes set the NTP variables (kept, not applied: pynix never slews the clock).  Returns the clock
    state: TIME_ERROR while unsynchronised (STA_UNSYNC), as a kernel no NTP daemon has synchronised."""
    (modes, offset, freq, maxerror, esterror, status, constant, _precision, _tolerance, sec, usec, tick,
     *_rest) = TIMEX.unpack(copy_from_user(task.mm, buf, TIMEX.size))
    _check_timex(task, modes, tick, usec, freq)
    ntp = clock.ntp
    if modes & ADJ_SETOFFSET:
        delta = sec * NSEC + (usec if modes & ADJ_NANO else usec * 1000)
        target = clock.realtime_ns() + delta
        if target < time.monotonic_ns() or not _valid_settod(target // NSEC, 0):
            raise KernelError(errno.EINVAL)
        clock.step_realtime_ns(delta)
    shown_offset = None
    if modes & ADJ_ADJTIME:                       # adjtime(): report the slew in progress, start the new one
        shown_offset = ntp.adjust
        if not modes & ADJ_OFFSET_READONLY:
            ntp.adjust = offset
    else:
        if modes & ADJ_MICRO:
            ntp.status &= ~STA_NANO
        if modes & ADJ_NANO:
            ntp.status |= STA_NANO
        if modes & ADJ_STATUS:
            ntp.status = (ntp.status & STA_RONLY) | (status & ~STA_RONLY)
        if modes & ADJ_FREQUENCY:
            ntp.freq = max(-MAXFREQ_SCALED, min(MAXFREQ_SCALED, freq))
        if modes & ADJ_MAXERROR:
            ntp.maxerror = min(max(maxerror, 0), 16_000_000)
        if modes & ADJ_ESTERROR:
            ntp.esterror = min(max(esterror, 0), 16_000_000)
        if modes & ADJ_TIMECONST:
            ntp.constant = max(0, min(MAXTC, constant))
        if modes & ADJ_TAI and constant >= 0:     # Linux takes the TAI offset from the `constant` field
            ntp.tai = constant
        if modes & ADJ_OFFSET:
            scale = 1 if ntp.status & STA_NANO else 1000
            ntp.offset = max(-MAXPHASE, min(MAXPHASE, offset * scale))
        if modes & ADJ_TICK:
            ntp.tick = tick
    now = clock.realtime_ns()
    nano = ntp.status & STA_NANO
    if shown_offset is None:
        shown_offset = ntp.offset if nano else ntp.offset // 1000
    copy_to_user(task.mm, buf, TIMEX.pack(
        modes, shown_offset, ntp.freq, ntp.maxerror, ntp.esterror, ntp.status, ntp.constant, 1, MAXFREQ_SCALED,
        now // NSEC, now % NSEC if nano else now % NSEC // 1000, ntp.tick, 0, 0, 0, 0, 0, 0, 0, 0, ntp.tai))
    return TIME_ERROR if ntp.status & (STA_UNSYNC | STA_CLOCKERR) else TIME_OK


@syscall
def sys_adjtimex(task: Task, buf: int) -> int:
    return _adjtimex(task, buf)


@syscall
def sys_clock_adjtime(task: Task, clockid: int, buf: int) -> int:
    """Only CLOCK_REALTIME can be adjusted (posix_clock_realtime_adj); other clocks: EOPNOTSUPP, unknown: EINVAL."""
    clockid = s32(clockid)
    if clockid != CLOCK_REALTIME:
        raise KernelError(errno.EOPNOTSUPP if clockid in _HOST_CLOCK else errno.EINVAL)
    return _adjtimex(task, buf)
