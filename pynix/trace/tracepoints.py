"""The kernel events a tracer can follow, named after Linux's tracepoints (include/trace/events/*.h).

A tracer subclasses `Tracepoints` and overrides the events it wants; the others do nothing.  The kernel calls
them only when a tracer is installed (`kernel.tracer is not None`), so untraced machines pay one None check at
each place and nothing on the syscall path, where tracing swaps the dispatcher instead
(syscall/dispatch.py's TracingDispatcher calls `sys_enter`/`sys_exit`).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:
    from pynix.task.task import Task, ThreadGroup


class Tracepoints:
    """Every event a no-op: override what you trace."""

    # raw_syscalls:sys_enter / sys_exit.  `nr`'s handler ran for `busy_ns`; `blocked`: it went to sleep and
    # will run again when woken (the same call: the next sys_enter of this task with the same nr and args).
    def sys_enter(self, task: "Task", nr: int, name: str, args: Sequence[int]) -> None:
        pass

    def sys_exit(self, task: "Task", nr: int, name: str, args: Sequence[int], result: int | None,
                 busy_ns: int, blocked: bool) -> None:
        pass

    # signal:signal_deliver: `task` takes signal `sig` (`info`: its 128-byte siginfo) off its queue.
    def signal_deliver(self, task: "Task", sig: int, info: bytes) -> None:
        pass

    # sched:sched_process_exit, for a whole process: `group` has ended with `wait_status`.
    def sched_process_exit(self, group: "ThreadGroup", wait_status: int) -> None:
        pass

    # the end of tracing: flush and close outputs
    def close(self) -> None:
        pass


class TracerGroup(Tracepoints):
    """Several tracers at once (--strace and --trace-out): each event goes to each, in order."""

    def __init__(self, tracers: Sequence[Tracepoints]) -> None:
        self.tracers = list(tracers)

    def sys_enter(self, *args) -> None:
        for t in self.tracers:
            t.sys_enter(*args)

    def sys_exit(self, *args) -> None:
        for t in self.tracers:
            t.sys_exit(*args)

    def signal_deliver(self, *args) -> None:
        for t in self.tracers:
            t.signal_deliver(*args)

    def sched_process_exit(self, *args) -> None:
        for t in self.tracers:
            t.sched_process_exit(*args)

    def close(self) -> None:
        for t in self.tracers:
            t.close()
