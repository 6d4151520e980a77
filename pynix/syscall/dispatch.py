"""The syscall boundary: number -> handler, KernelError -> -errno (here and nowhere else), ENOSYS for the rest.

This is the hot path of every system call.  The table is a list indexed by number holding (handler, argument
count); the call passes exactly that many raw arguments; nothing is allocated on the way.  The CPU calls the
dispatcher's bound `__call__` straight from its trap hook (hal/cpu.py); this method and a handler as small as
getpid's take ~0.25 us of a null syscall's ~1 us.  A task under seccomp takes a slow path of its own first, so
the only cost to the others is one attribute test (`task.seccomp is not None`).

System time is accounted statistically, as Linux's tick-based accounting samples where each tick finds the CPU:
reading a clock costs ~0.2 us here, too much for every call, so one syscall in ~16 (a varying stride, so that a
loop of a few different calls does not alias with it) is timed, and that duration times the stride moves from
the task's run time (counted as user time by the scheduler) to its system time.
"""
from __future__ import annotations

import errno
import importlib
import time
from time import perf_counter_ns
from typing import TYPE_CHECKING, Callable

from pynix.arch import Arch
from pynix.errors import KernelError
from pynix.sync.wait import Block
from pynix.syscall import FAMILIES, load_handlers
from pynix.syscall.registry import HANDLERS
from pynix.task import ptrace
from pynix.task.exit import exit_group
from pynix.task.seccomp import RUN, secure_computing
from pynix.task.signal import has_deliverable
from pynix.trace.tracepoints import rewrites_calls
from pynix.uapi.signal import SIGSYS

if TYPE_CHECKING:
    from pynix.kernel import Kernel
    from pynix.trace import Tracepoints

MAX_ERRNO = 4095


class SyscallTable:
    """The handlers of one architecture, indexed by syscall number.

    A family module is imported when a program first makes one of its calls: until then each of the family's
    numbers holds a loader that imports the module, puts the real handlers of its calls in place and makes the
    call.  A name that FAMILIES does not list gets a loader that imports every family (a handler the list
    forgot still works) and, if none implements it, leaves the number empty: -ENOSYS from then on."""

    def __init__(self, arch: Arch) -> None:
        size = max(arch.syscall_names) + 1
        self.names: list[str | None] = [arch.syscall_names.get(nr) for nr in range(size)]
        self.entries: list[tuple[Callable[..., "int | None"], int] | None] = [None] * size
        self._numbers: dict[str, list[int]] = {}
        for nr, name in arch.syscall_names.items():
            self._numbers.setdefault(name, []).append(nr)
        family_of = {name: family for family, names in FAMILIES.items() for name in names}
        for nr, name in arch.syscall_names.items():
            self.entries[nr] = (self._loader(nr, family_of.get(name)), 6)
        self._reported: set[int] = set()

    def _loader(self, nr: int, family: str | None) -> Callable[..., "int | None"]:
        def load(task, *args: int) -> int | None:
            if family is not None:
                importlib.import_module(f"pynix.syscall.{family}")
                self._install(FAMILIES[family])
            else:
                self._install(load_handlers())
            entry = self.entries[nr]
            if entry is None or entry[0] is load:   # implemented nowhere
                self.entries[nr] = None
                return self.unimplemented(task.kernel, nr)
            fn, nargs = entry
            return fn(task, *args[:nargs])
        return load

    def _install(self, names) -> None:
        """The handlers of `names` (registered by now) in place of their loaders."""
        for name in names:
            fn = HANDLERS.get(name)
            if fn is not None:
                for nr in self._numbers.get(name, ()):
                    self.entries[nr] = (fn, fn.__code__.co_argcount - 1)

    def unimplemented(self, kernel: "Kernel", nr: int) -> int:
        """-ENOSYS for a number no handler implements, logged the first time."""
        if nr not in self._reported:
            self._reported.add(nr)
            kernel.log(f"unimplemented syscall {self.name(nr)} ({nr}): returning -ENOSYS")
        return -errno.ENOSYS

    def name(self, nr: int) -> str:
        return (self.names[nr] if nr < len(self.names) else None) or f"syscall_{nr}"


class SyscallDispatcher:
    """Called by the CPU for every syscall trap of the current task."""

    def __init__(self, kernel: "Kernel", table: SyscallTable) -> None:
        self.kernel = kernel
        self.table = table
        self._entries = table.entries
        self._size = len(table.entries)
        self.blocked = False                       # the last call went to sleep (it will run again)
        self._countdown = self._stride = 16        # calls until the next timed one (system-time sampling)
        self._seed = 1
        self._in_work = False                      # inside the slow path: the call itself takes the fast one

    def __call__(self, nr: int, a0: int, a1: int, a2: int, a3: int, a4: int, a5: int) -> int | None:
        task = self.kernel.current
        if task.syscall_work and not self._in_work:    # traced or filtered: Linux's syscall_work slow path
            return self._syscall_work(task, nr, a0, a1, a2, a3, a4, a5)
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
            self._sleep(task, block)
            if t0:
                self._charge_system_time(task, t0)
            return None
        except Exception:
            return self._bug(task, nr)
        if task.restart_data is not None:          # the syscall completed: forget what a blocked run kept
            self._rerun_done(task)
        if t0:
            self._charge_system_time(task, t0)
        return result

    def _syscall_work(self, task, nr: int, *args: int) -> int | None:
        """The slow path of a task with syscall work, in Linux's order (syscall_trace_enter): the tracer's
        syscall-entry stop (task/ptrace.py), then the seccomp filters (task/seccomp.py), then the call itself
        through this dispatcher's ordinary path; the tracer's exit stop after it."""
        def dispatch() -> int | None:
            self._in_work, self.blocked = True, False
            try:
                if task.seccomp is not None:
                    if (skipped := self._secure_computing(task, nr, *args)) is not RUN:
                        return skipped
                return SyscallDispatcher.__call__(self, nr, *args)
            finally:
                self._in_work = False
        if task.ptrace is None:
            return dispatch()
        result = ptrace.syscall_work(self.kernel, task, nr, args, dispatch, lambda: self.blocked)
        if ptrace.reruns(task):
            self.blocked = True                    # (for --strace: the call is not over)
        return result

    def _secure_computing(self, task, nr: int, *args: int) -> object:
        """A task under seccomp (task/seccomp.py): RUN, or the result of a call its filters did not let run (a
        sleep for a supervisor's answer handled as a handler's).  Before the table: unknown calls are filtered
        too."""
        try:
            result = secure_computing(task, nr, args)
        except KernelError as err:
            result = -err.errno
        except Block as block:
            self._sleep(task, block)
            return None
        except Exception:
            return self._bug(task, nr)
        if result is not RUN and task.restart_data is not None:
            self._rerun_done(task)
        return result

    def _rerun_done(self, task) -> None:
        """A call that slept has completed on its re-run: forget what it kept, and stop the CPU if signals wait
        for its end (task/signal.py deliver_signals holds them back while the re-run is pending)."""
        task.restart_data = None
        if has_deliverable(task):
            self.kernel.cpu.stop()

    def _sleep(self, task, block: Block) -> None:
        """The call went to sleep on `block`'s queues: it runs again from its entry when woken (sync/wait.py)."""
        self.kernel.block(task, block.queues, block.deadline, block.data)
        task.restartable, task.on_interrupt = block.restartable, block.on_interrupt
        self.blocked = True

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
        return self.table.unimplemented(self.kernel, nr)

    def _bug(self, task, nr: int) -> None:
        """A Python exception escaped a handler: a kernel bug.  Log it and kill only the calling process."""
        import traceback
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
