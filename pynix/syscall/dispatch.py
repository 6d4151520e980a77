"""The syscall boundary: number -> handler, KernelError -> -errno (here and nowhere else), ENOSYS for the rest.

This is the hot path of every system call.  The table is a list indexed by number holding (handler, argument
count); the call passes exactly that many raw arguments; nothing is allocated on the way.  The CPU calls the
dispatcher's bound `__call__` straight from its trap hook (hal/cpu.py); this method and a handler as small as
getpid's take ~0.25 us of a null syscall's ~1 us.

System time is accounted statistically, as Linux's tick-based accounting samples where each tick finds the CPU:
reading a clock costs ~0.2 us here, too much for every call, so one syscall in ~16 (a varying stride, so that a
loop of a few different calls does not alias with it) is timed, and that duration times the stride moves from
the task's run time (counted as user time by the scheduler) to its system time.
"""
from __future__ import annotations

import errno
import inspect
import time
import traceback
from time import perf_counter_ns
from typing import TYPE_CHECKING, Callable

from pynix.arch import Arch
from pynix.errors import KernelError
from pynix.sync.wait import Block
from pynix.syscall import load_handlers
from pynix.task.exit import exit_group
from pynix.trace.tracepoints import rewrites_calls
from pynix.uapi.signal import SIGSYS

if TYPE_CHECKING:
    from pynix.kernel import Kernel
    from pynix.trace import Tracepoints

MAX_ERRNO = 4095


class SyscallTable:
    """The handlers of one architecture, indexed by syscall number."""

    def __init__(self, arch: Arch) -> None:
        handlers = load_handlers()
        size = max(arch.syscall_names) + 1
        self.names: list[str | None] = [arch.syscall_names.get(nr) for nr in range(size)]
        self.entries: list[tuple[Callable[..., "int | None"], int] | None] = [None] * size
        for nr, name in arch.syscall_names.items():
            fn = handlers.get(name)
            if fn is not None:
                self.entries[nr] = (fn, len(inspect.signature(fn).parameters) - 1)

    def name(self, nr: int) -> str:
        return (self.names[nr] if nr < len(self.names) else None) or f"syscall_{nr}"


class SyscallDispatcher:
    """Called by the CPU for every syscall trap of the current task."""

    def __init__(self, kernel: "Kernel", table: SyscallTable) -> None:
        self.kernel = kernel
        self.table = table
        self._entries = table.entries
        self._size = len(table.entries)
        self._reported: set[int] = set()
        self.blocked = False                       # the last call went to sleep (it will run again)
        self._countdown = self._stride = 16        # calls until the next timed one (system-time sampling)
        self._seed = 1

    def __call__(self, nr: int, a0: int, a1: int, a2: int, a3: int, a4: int, a5: int) -> int | None:
        task = self.kernel.current
        if nr >= self._size or (entry := self._entries[nr]) is None:
            return self._enosys(nr)
        fn, nargs = entry
        self._countdown -= 1
        t0 = perf_counter_ns() if not self._countdown else 0
        try:
            if nargs == 0:
                result = fn(task)
            elif nargs == 1:
                result = fn(task, a0)
            elif nargs == 2:
                result = fn(task, a0, a1)
            elif nargs == 3:
                result = fn(task, a0, a1, a2)
            else:
                result = fn(task, *(a0, a1, a2, a3, a4, a5)[:nargs])
        except KernelError as err:
            result = -err.errno
        except Block as block:
            self.kernel.block(task, block.queues, block.deadline, block.data)
            task.restartable, task.on_interrupt = block.restartable, block.on_interrupt
            self.blocked = True
            if t0:
                self._charge_system_time(task, t0)
            return None
        except Exception:
            return self._bug(task, nr)
        if task.restart_data is not None:          # the syscall completed: forget what a blocked run kept
            task.restart_data = None
        if t0:
            self._charge_system_time(task, t0)
        return result

    def _charge_system_time(self, task, t0: int) -> None:
        """A timed call began at `t0`: move its duration times the sampling stride from the task's user time
        (all of its run time so far, once account_running has charged the running slice) to its system time."""
        self.kernel.account_running()
        moved = min((perf_counter_ns() - t0) * self._stride, max(task.utime_ns, 0))
        task.utime_ns -= moved
        task.stime_ns += moved
        self._seed = (self._seed * 1103515245 + 12345) & 0x7FFFFFFF
        self._stride = self._countdown = 8 + (self._seed >> 16) % 17      # 8..24, 16 on average

    def _enosys(self, nr: int) -> int:
        if nr not in self._reported:
            self._reported.add(nr)
            self.kernel.log(f"unimplemented syscall {self.table.name(nr)} ({nr}): returning -ENOSYS")
        return -errno.ENOSYS

    def _bug(self, task, nr: int) -> None:
        """A Python exception escaped a handler: a kernel bug.  Log it and kill only the calling process."""
        self.kernel.log(f"kernel bug in {self.table.name(nr)} (pid {task.group.pid}), killing it with SIGSYS:\n"
                        + traceback.format_exc().rstrip(), console=True)
        try:
            exit_group(self.kernel, task.group, SIGSYS)
        except Exception:                          # the bug may sit on the exit path itself: stop regardless
            self.kernel.log("kernel bug while killing the process:\n" + traceback.format_exc().rstrip(), console=True)
            task.group.exit_status = task.group.exit_status or SIGSYS
            self.kernel.cpu.stop()
        return None


class TracingDispatcher(SyscallDispatcher):
    """The same dispatch with the tracer's sys_enter/sys_exit around each call (`--strace`, `--trace-out`).

    A separate class, swapped in when a machine is traced, so that untraced dispatch pays nothing."""

    def __init__(self, kernel: "Kernel", table: SyscallTable, tracer: "Tracepoints") -> None:
        super().__init__(kernel, table)
        self.tracer = tracer
        self.rewrites = rewrites_calls(tracer)     # a tracer that may change calls (sys_rewrite/sys_result)

    def __call__(self, nr: int, a0: int, a1: int, a2: int, a3: int, a4: int, a5: int) -> int | None:
        task = self.kernel.current
        name = self.table.name(nr)
        args = (a0, a1, a2, a3, a4, a5)
        skip = None
        if self.rewrites and (change := self.tracer.sys_rewrite(task, nr, name, args)) is not None:
            args, skip = tuple(change[0]), change[1]
            a0, a1, a2, a3, a4, a5 = args
        self.tracer.sys_enter(task, nr, name, args)
        self.blocked = False
        start = time.perf_counter_ns()
        result = skip if skip is not None else super().__call__(nr, a0, a1, a2, a3, a4, a5)
        if self.rewrites and not self.blocked:
            result = self.tracer.sys_result(task, nr, name, args, result)
        self.tracer.sys_exit(task, nr, name, args, result, time.perf_counter_ns() - start, self.blocked)
        return result
