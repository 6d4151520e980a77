"""The machine's clocks: the host's clocks, except that the machine keeps its own wall clock.

Every clock of the machine reads the host clock of the same kind (CLOCK_MONOTONIC counts on regardless), except
the wall clock: the machine's CLOCK_REALTIME is the host's plus an offset, and its CLOCK_TAI is that plus the
machine's TAI offset (adjtimex's ADJ_TAI; at boot the host's).  Setting the time -- clock_settime,
settimeofday, adjtimex's ADJ_SETOFFSET, as a container's root with CAP_SYS_TIME may -- changes only the offset,
never the host's clock.  Like a real machine's clock there is one per machine, and a pynix process runs one
machine, so the offset and the NTP variables are this module's state.

`clock_was_set` callbacks run whenever the offset changes (Linux's clock_was_set): sleepers on an absolute
CLOCK_REALTIME time re-check it, TFD_TIMER_CANCEL_ON_SET timers are cancelled.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

_offset_ns = 0
clock_was_set: list[Callable[[], None]] = []


@dataclass
class NtpState:
    """The machine's NTP discipline variables (kernel/time/ntp.c), as adjtimex reports and sets them: a
    freshly booted, unsynchronised kernel's.  They are kept, not applied: the clock is never slewed."""
    offset: int = 0                       # ns (ADJ_OFFSET)
    adjust: int = 0                       # us of an adjtime() slew (ADJ_OFFSET_SINGLESHOT)
    freq: int = 0
    maxerror: int = 16_000_000            # NTP_PHASE_LIMIT
    esterror: int = 16_000_000
    status: int = 0x40                    # STA_UNSYNC
    constant: int = 2
    tick: int = 10_000                    # usec per USER_HZ tick
    tai: int = round((time.clock_gettime_ns(time.CLOCK_TAI) - time.time_ns()) / 1e9)   # TAI - UTC (ADJ_TAI)
    minuteswest: int = 0                  # the kernel's time zone (settimeofday), which gettimeofday reports
    dsttime: int = 0
    timezone_set: bool = False            # the first settimeofday with a time zone may warp the clock


ntp = NtpState()


def realtime_ns() -> int:
    """The machine's CLOCK_REALTIME, in ns since the epoch."""
    return time.time_ns() + _offset_ns


def clock_ns(host_clock: int) -> int:
    """Read the machine's clock that host clock `host_clock` (a time.CLOCK_* id) stands for."""
    if host_clock == time.CLOCK_TAI:
        return realtime_ns() + ntp.tai * 1_000_000_000
    ns = time.clock_gettime_ns(host_clock)
    return ns + _offset_ns if host_clock == time.CLOCK_REALTIME else ns


def set_realtime_ns(ns: int) -> None:
    """Set the machine's CLOCK_REALTIME to `ns` (the caller has checked privilege and range)."""
    global _offset_ns
    _offset_ns = ns - time.time_ns()
    for callback in list(clock_was_set):
        callback()


def step_realtime_ns(delta: int) -> None:
    """Move the machine's CLOCK_REALTIME by `delta` ns (adjtimex's ADJ_SETOFFSET, the time-zone warp)."""
    set_realtime_ns(realtime_ns() + delta)
