"""timerfd objects (Linux's fs/timerfd.c): a timer whose expirations are read from a descriptor.

A read returns, as a u64, the number of expirations since the last read (or since the timer was set) and resets
it; it blocks while that is 0 (EAGAIN with TFD_NONBLOCK) and a buffer shorter than 8 bytes is EINVAL.  poll
reports POLLIN while expirations are pending.  Setting the timer again discards pending expirations.  The timer
is the kernel's IntervalTimer (task/timer.py), as for setitimer and POSIX timers.

An absolute CLOCK_REALTIME timer set with TFD_TIMER_CANCEL_ON_SET is cancelled when the machine's clock is set
(hal/clock.py): it turns readable, and every read fails with ECANCELED until the timer is set again.
"""
from __future__ import annotations

import errno
from typing import TYPE_CHECKING, Callable

from pynix.errors import KernelError
from pynix.fs.anon_inodes import AnonInodeFile
from pynix.hal import clock as machine_clock
from pynix.sync.wait import Block, WaitQueue
from pynix.task.timer import IntervalTimer
from pynix.uapi.fcntl import O_NONBLOCK, O_RDWR
from pynix.uapi.poll import POLLIN, POLLRDNORM

if TYPE_CHECKING:
    from pynix.kernel import Kernel
    from pynix.mm.iov_iter import IovIter
    from pynix.task.task import Task, ThreadGroup


class TimerFd(AnonInodeFile):
    anon_name = b"timerfd"

    def __init__(self, kernel: "Kernel", group: "ThreadGroup", clock: Callable[[], int], flags: int,
                 clockid: int) -> None:
        super().__init__(O_RDWR | (flags & O_NONBLOCK))
        self.clockid = clockid
        self.ticks = 0                                     # expirations not read yet
        self.queue = WaitQueue(POLLIN | POLLRDNORM)
        self.timer = IntervalTimer(kernel, group, clock, self._expire)
        self.canceled = False                              # the clock was set under a CANCEL_ON_SET timer

    def _expire(self, periods: int) -> None:
        self.ticks += periods
        self.queue.wake_all()

    def _clock_was_set(self) -> None:
        self.canceled = True
        self.ticks += 1
        self.queue.wake_all()

    def settime(self, value: int, interval: int, absolute: bool, cancel_on_set: bool = False) -> None:
        """Arm the timer; `cancel_on_set` (an absolute wall-clock timer only) cancels it when the clock is set."""
        self.ticks, self.canceled = 0, False
        self._watch_clock(cancel_on_set)
        self.timer.arm(value, interval, absolute)

    def _watch_clock(self, watch: bool) -> None:
        if watch and self._clock_was_set not in machine_clock.clock_was_set:
            machine_clock.clock_was_set.append(self._clock_was_set)
        elif not watch and self._clock_was_set in machine_clock.clock_was_set:
            machine_clock.clock_was_set.remove(self._clock_was_set)

    def read_iter(self, task: "Task", to: "IovIter") -> int:
        if to.count < 8:
            raise KernelError(errno.EINVAL)
        if self.canceled:
            self.ticks = 0
            raise KernelError(errno.ECANCELED)
        to.map(8)                                          # EFAULT before the expirations are taken
        if not self.ticks:
            if self.nonblocking:
                raise KernelError(errno.EAGAIN)
            raise Block(self.queue)
        ticks, self.ticks = self.ticks, 0
        return to.copy_to(ticks.to_bytes(8, "little"))

    def write_iter(self, task: "Task", source: "IovIter") -> int:
        raise KernelError(errno.EINVAL)

    def poll_mask(self) -> int:
        return POLLIN | POLLRDNORM if self.ticks else 0

    def poll_queues(self, task: "Task") -> tuple[WaitQueue]:
        return (self.queue,)

    def release(self) -> None:
        self._watch_clock(False)
        self.timer.disarm()
