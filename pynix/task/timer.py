"""Timers that generate signals: the interval timers of setitimer/alarm (Linux's kernel/time/itimer.c) and the
per-process POSIX timers of timer_create (kernel/time/posix-timers.c, posix-cpu-timers.c).

Both rest on `IntervalTimer`, an expiry time and a period on one clock, driven by the kernel's timer heap
(`Kernel.add_timer`, which counts CLOCK_MONOTONIC time).  A timer keeps its expiry on its own clock -- CLOCK_MONOTONIC,
CLOCK_REALTIME, the CPU time of a process or thread -- and asks the heap to call it back once that much
CLOCK_MONOTONIC time has passed.  None of these clocks runs faster than CLOCK_MONOTONIC on one CPU, so the callback
never comes late; when it comes early (a CPU-time clock advances only while its tasks run), it asks again for
what is left.  Linux checks CPU-time timers on every tick instead; here their precision is the scheduler's: CPU
time is charged when a run slice ends or is read (Kernel.account_running), and the heap deadline itself ends
the slice.

A CPU-time clock that does not advance (its tasks sleep) is looked at again no more often than once a tick
(`recheck_ns`), the granularity at which Linux checks CPU timers.  A periodic timer that finds several periods
elapsed at once (a CPU busy with another task, a delayed callback) reports them all in one call: POSIX timers
count the extra ones as overruns.
"""
from __future__ import annotations

import struct
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from pynix.hal.clock import clock_ns, realtime_ns
from pynix.task.signal import send_signal, siginfo
from pynix.task.task import RLIM_INFINITY, RLIMIT_CPU, Task, TaskState, ThreadGroup
from pynix.uapi.signal import SI_KERNEL, SI_TIMER, SIGKILL, SIGXCPU

if TYPE_CHECKING:
    from pynix.kernel import Kernel

# Clock ids (include/uapi/linux/time.h), the same on every ISA.
CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID = 0, 1, 2, 3
CLOCK_MONOTONIC_RAW, CLOCK_REALTIME_COARSE, CLOCK_MONOTONIC_COARSE, CLOCK_BOOTTIME = 4, 5, 6, 7
CLOCK_REALTIME_ALARM, CLOCK_BOOTTIME_ALARM, CLOCK_TAI = 8, 9, 11
TIMER_ABSTIME = 1
NSEC = 1_000_000_000
TICK_NSEC = 4_000_000                          # a jiffy at HZ=250 (what clock_getres reports for coarse clocks)
SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD, SIGEV_THREAD_ID = 0, 1, 2, 4
DELAYTIMER_MAX = 0x7FFFFFFF                    # timer_getoverrun / si_overrun saturate here


@dataclass(eq=False)
class IntervalTimer:
    """An expiry time and a period (ns) on the clock `clock`; `on_expire(periods)` runs at each expiry with the
    number of periods that elapsed since the previous call (1 unless it came late).  Without `on_expire` the timer
    only counts down (SIGEV_NONE) and nothing is scheduled.  Nothing fires once `group` has exited."""
    kernel: "Kernel"
    group: ThreadGroup
    clock: Callable[[], int]
    on_expire: Callable[[int], None] | None
    expires: int | None = None            # on `clock`; None: disarmed
    interval: int = 0
    recheck_ns: int = 0                   # shortest wait before looking again at a clock that lagged behind
    _generation: int = 0                  # heap callbacks of an earlier arming see a different value and do nothing

    def arm(self, value: int, interval: int, absolute: bool = False) -> None:
        """Start the timer `value` ns from now (or at `value` on its clock); a zero `value` disarms it."""
        self._generation += 1
        if value == 0:
            self.expires, self.interval = None, 0
            return
        self.expires = value if absolute else self.clock() + value
        self.interval = interval
        self._schedule()

    def disarm(self) -> None:
        self.arm(0, 0)

    def remaining(self) -> int:
        """Time left until the next expiry (0: disarmed); a periodic timer whose expiry passed unnoticed (a
        SIGEV_NONE timer has no callback) is counted forward from its last expiry, as Linux forwards it."""
        if self.expires is None:
            return 0
        left = self.expires - self.clock()
        if left <= 0 and self.interval:
            left = self.interval - (-left) % self.interval
        return max(left, 0)

    def _schedule(self, at_least: int = 0) -> None:
        if self.on_expire is None:
            return
        generation = self._generation
        delay = max(self.expires - self.clock(), at_least)
        self.kernel.add_timer(time.monotonic_ns() + delay, lambda: self._fire(generation))

    def _fire(self, generation: int) -> None:
        if generation != self._generation or self.expires is None or self.group.exit_status is not None:
            return
        now = self.clock()
        if now < self.expires:                # a CPU-time clock that ran slower than CLOCK_MONOTONIC
            self._schedule(self.recheck_ns)
            return
        periods = 1
        if self.interval:
            periods += (now - self.expires) // self.interval
            self.expires += periods * self.interval
            self._schedule()
        else:
            self.expires = None
        self.on_expire(periods)


CPU_CLOCKS = (CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID)
CPUCLOCK_PROF, CPUCLOCK_VIRT, CPUCLOCK_SCHED, CPUCLOCK_MAX = 0, 1, 2, 3
CPUCLOCK_PERTHREAD_MASK = 4


def is_cpu_clock(clockid: int) -> bool:
    """A CPU-time clock: one of the two fixed ids, or a dynamic one (negative: clock_getcpuclockid and
    pthread_getcpuclockid encode a pid or tid in it)."""
    return clockid in CPU_CLOCKS or clockid < 0


def _cpu_clock_target(clockid: int, task: Task) -> tuple[bool, Task | None]:
    """Linux's pid_for_clock: decode a dynamic CPU clock `~id << 3 | perthread << 2 | which` into (per-thread,
    the thread or a thread of the process); id 0 is the caller itself.  A thread clock names only a thread of
    the caller's own process; a process clock names a process (or the caller's own tid).  None: EINVAL."""
    if clockid & 3 >= CPUCLOCK_MAX:
        return False, None
    thread, ident = bool(clockid & CPUCLOCK_PERTHREAD_MASK), ~(clockid >> 3)
    if ident == 0:
        return thread, task
    target = task.kernel.tasks.get(ident)
    if thread:
        return True, target if target is not None and target.group is task.group else None
    if target is task:
        return False, task
    group = task.kernel.groups.get(ident)
    return False, group.live_tasks[0] if group is not None and group.live_tasks else None


def clock_reader(clockid: int, task: Task) -> Callable[[], int] | None:
    """The clock a timer created by `task` on `clockid` counts (ns), or None if timers cannot use it.  The
    CPU-time clocks are the guest time accounted by the scheduler (ThreadGroup.cpu_time_ns), including the
    running slice; dynamic ones count PROF (user + system), VIRT (user) or SCHED (all run time: pynix
    splits run time into exactly those two, so SCHED reads as PROF) of another thread or process."""
    kernel = task.kernel
    if clockid < 0:
        thread, target = _cpu_clock_target(clockid, task)
        if target is None:
            return None
        which = clockid & 3
        group = target.group

        def times() -> tuple[int, int]:
            kernel.account_running()
            return (target.utime_ns, target.stime_ns) if thread else group.cpu_time_ns()

        return (lambda: times()[0]) if which == CPUCLOCK_VIRT else (lambda: sum(times()))
    if clockid == CLOCK_PROCESS_CPUTIME_ID:
        return clock_reader(~0 << 3 | CPUCLOCK_SCHED, task)                        # the caller's process
    if clockid == CLOCK_THREAD_CPUTIME_ID:
        return clock_reader(~0 << 3 | CPUCLOCK_PERTHREAD_MASK | CPUCLOCK_SCHED, task)  # the calling thread
    readers: dict[int, Callable[[], int]] = {
        CLOCK_REALTIME: realtime_ns,
        CLOCK_MONOTONIC: time.monotonic_ns,
        CLOCK_BOOTTIME: lambda: time.clock_gettime_ns(time.CLOCK_BOOTTIME),
        CLOCK_TAI: lambda: clock_ns(time.CLOCK_TAI),
    }
    return readers.get(clockid)


@dataclass(eq=False)
class PosixTimer:
    """A timer_create timer (Linux's struct k_itimer).

    It is also its own entry in the pending-signal queue, like Linux's preallocated sigqueue: while its signal is
    queued, further expiries only count overruns, and the siginfo (SI_TIMER, si_timerid, si_overrun, si_value) is
    built when the signal is dequeued (`take`).  Re-arming or deleting the timer withdraws a queued signal
    (Linux drops it when it would be dequeued; only sigpending() can tell the difference)."""
    id: int
    group: ThreadGroup
    notify: int                           # SIGEV_SIGNAL, SIGEV_NONE or SIGEV_THREAD_ID
    signo: int
    value: int                            # sigev_value, handed back in si_value
    thread: Task | None                   # SIGEV_THREAD_ID: the only thread that gets the signal
    timer: IntervalTimer = field(init=False)
    overrun: int = 0                      # expiries not signalled since the queued signal was generated
    overrun_last: int = 0                 # timer_getoverrun: the overrun count of the last delivered signal

    def bind(self, kernel: "Kernel", clock: Callable[[], int], cpu_clock: bool) -> None:
        self.timer = IntervalTimer(kernel, self.group, clock, None if self.notify == SIGEV_NONE else self._expire,
                                   recheck_ns=TICK_NSEC if cpu_clock else 0)

    def _queue(self) -> dict[int, list]:
        return self.thread.pending if self.thread is not None else self.group.shared_pending

    def _expire(self, periods: int) -> None:
        if any(entry is self for entry in self._queue().get(self.signo, ())):
            self.overrun += periods
            return
        self.overrun += periods - 1
        if self.thread is not None and self.thread.state is TaskState.ZOMBIE:
            return                            # the target thread is gone: nobody to signal
        send_signal(self.timer.kernel, self.group, self.signo, self, thread=self.thread)

    def take(self) -> bytes:
        """The siginfo of this timer's signal, taken off the pending queue now."""
        self.overrun_last, self.overrun = min(self.overrun, DELAYTIMER_MAX), 0
        return struct.pack("<iiiiiiq", self.signo, 0, SI_TIMER, 0, self.id, self.overrun_last,
                           self.value).ljust(128, b"\0")

    def delete(self) -> None:
        """timer_delete: stop it and drop its queued signal (the caller forgets the id)."""
        self.timer.disarm()
        self.withdraw()

    def withdraw(self) -> None:
        """Remove a queued signal of this timer (re-armed or deleted since) and forget its overruns."""
        self.overrun = 0
        queue = self._queue()
        entries = queue.get(self.signo)
        if entries and any(entry is self for entry in entries):
            entries[:] = [entry for entry in entries if entry is not self]
            if not entries:
                del queue[self.signo]


def delete_posix_timers(group: ThreadGroup) -> None:
    """Linux's exit_itimers: every POSIX timer of `group` is deleted (at exec; exit makes them inert)."""
    for timer in group.posix_timers.values():
        timer.delete()
    group.posix_timers.clear()


def check_rlimit_cpu(kernel: "Kernel", group: ThreadGroup) -> None:
    """RLIMIT_CPU, looked at whenever a slice of the process ends (Linux's check_process_timers, on its tick):
    past the soft limit SIGXCPU, and the soft limit moves up a second so that the next comes a second later; at
    the hard limit SIGKILL.  Both are sent by the kernel (SI_KERNEL).  Nothing without a finite soft limit."""
    soft, hard = group.rlimits[RLIMIT_CPU]
    if soft == RLIM_INFINITY or group.exit_status is not None:
        return
    used = sum(group.cpu_time_ns())
    if hard != RLIM_INFINITY and used >= hard * NSEC:
        send_signal(kernel, group, SIGKILL, siginfo(SIGKILL, SI_KERNEL))
    elif used >= soft * NSEC:
        group.rlimits[RLIMIT_CPU] = (soft + 1, hard)
        send_signal(kernel, group, SIGXCPU, siginfo(SIGXCPU, SI_KERNEL))
