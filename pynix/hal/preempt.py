"""The preemption timer: the timer interrupt that ends a task's time slice (Linux's scheduler tick).

Linux's tick interrupts the CPU and the scheduler decides on the way back to user mode whether the task has
run long enough; here a host thread stops the emulator at the armed deadline, and the kernel sees a TIMER trap.
"""
from __future__ import annotations

import math
import threading
import time
import weakref
from typing import Callable


class Preempter:
    """The timer interrupt: a host thread that stops the CPU when the running time slice is used up.

    Unicorn's own `emu_start(timeout=...)` creates a thread for every call, polls every 2 us and joins the
    thread on return: ~0.1-2 ms per slice, more than a whole context switch should cost.  This thread lives as
    long as the CPU and sleeps until the armed deadline; arming stores the deadline and wakes the thread only
    if it sleeps past it.  Python runs the thread while the emulator runs guest code (the emulator call
    releases the GIL).  A stop that lands just after its slice ended only shortens the next one (the kernel
    sees a TIMER trap).

    The interrupt is level-triggered: once the deadline has passed, the thread stops the CPU again every
    `RETRY_S` until the kernel acknowledges it by arming the next slice or disarming.  A stop that arrives
    while the CPU is between two runs of the emulator is lost (emu_start clears any pending stop), and an
    edge-triggered timer would then let the task run on for ever."""

    RETRY_S = 0.0005

    def __init__(self, stop: Callable[[], None]) -> None:
        # The emulator's stop method, held weakly: a machine that is dropped (the Python API makes several in
        # one process) takes its emulator with it, and the thread ends.
        self._stop = weakref.WeakMethod(stop)
        self._deadline = 0.0                       # time.monotonic() at which to stop the CPU; 0: disarmed
        self._waking_at = math.inf                 # when the thread will look again by itself
        self._wakeup = threading.Event()
        self._gone = False
        weakref.finalize(stop.__self__, self._end)
        threading.Thread(target=self._loop, name="pynix-preempt", daemon=True).start()

    def _end(self) -> None:
        self._gone = True
        self._wakeup.set()

    def arm(self, deadline: float) -> None:
        self._deadline = deadline
        if deadline < self._waking_at:
            self._wakeup.set()

    def disarm(self) -> None:
        self._deadline = 0.0

    def _loop(self) -> None:
        while not self._gone:
            deadline = self._deadline
            now = time.monotonic()
            if deadline and now >= deadline:
                if self._deadline == deadline:     # still the slice that was armed: end it (again)
                    stop = self._stop()
                    if stop is None:
                        return
                    stop()
                    del stop                       # (a reference kept here would keep the emulator)
                    self._waking_at = now + self.RETRY_S
                    self._wakeup.wait(self.RETRY_S)
                    self._wakeup.clear()
                continue
            self._waking_at = deadline or math.inf
            if self._deadline != deadline:         # re-armed meanwhile: look again
                continue
            self._wakeup.wait(deadline - now if deadline else None)
            self._wakeup.clear()

