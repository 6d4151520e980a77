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

    # A tracer that changes calls (the Python API's syscall hooks; ptrace's PTRACE_SYSCALL stops can do the
    # same): before `nr` runs, return None to leave it alone, or (args, result): run it with the six `args`
    # instead, or, when `result` is not None, skip its handler and return `result` to the program.
    def sys_rewrite(self, task: "Task", nr: int, name: str,
                    args: Sequence[int]) -> "tuple[Sequence[int], int | None] | None":
        return None

    # ... and once it ran (`result`: its return value, None for a call that blocked or set the registers
    # itself, as exit and a successful execve): the result the program sees (`result` to leave it).
    def sys_result(self, task: "Task", nr: int, name: str, args: Sequence[int], result: int | None) -> int | None:
        return result

    # signal:signal_deliver: `task` takes signal `sig` (`info`: its 128-byte siginfo) off its queue.
    def signal_deliver(self, task: "Task", sig: int, info: bytes) -> None:
        pass

    # signal:signal_generate for a signal that is never queued: `result` "ignored" (discarded: its action is to
    # ignore it) or "fatal" (its default action ends the process at once).  `info`: bytes, or a DeferredInfo.
    def signal_generate(self, task: "Task", sig: int, info: object, result: str) -> None:
        pass

    # sched:sched_process_exit, for a whole process: `group` has ended with `wait_status`.
    def sched_process_exit(self, group: "ThreadGroup", wait_status: int) -> None:
        pass

    # sched:sched_switch: `task` gets the CPU (a new time slice begins; `prev` ran before, maybe itself).
    def sched_switch(self, prev: "Task | None", task: "Task") -> None:
        pass

    # the time slice of `task` ended because of `trap` (a hal Trap: syscall stop, timer, fault...); its state
    # says why -- asleep, preempted (still runnable), stopped, or a zombie.
    def sched_slice_end(self, task: "Task", trap: object) -> None:
        pass

    # sched:sched_wakeup: sleeping `task` became runnable (woken by the running task, if any).
    def sched_wakeup(self, task: "Task") -> None:
        pass

    # sched:sched_process_fork (also for threads): `parent` created `child`, which is now runnable.
    def sched_process_fork(self, parent: "Task", child: "Task") -> None:
        pass

    # sched:sched_process_exec: `task`'s process now runs the program `filename`.
    def sched_process_exec(self, task: "Task", filename: bytes) -> None:
        pass

    # exceptions:page_fault_user: the running task faulted at `address` (`access`: 1 read, 2 write, 4 fetch) and
    # the kernel is resolving it.
    def page_fault(self, address: int, access: int) -> None:
        pass

    # tlb:tlb_flush: the running address space's translations were dropped (`reason`: why).
    def tlb_flush(self, reason: str) -> None:
        pass

    # signal:signal_generate for a trap (breakpoint, single step, fault) of `task`: return True to take it (a
    # debugger stops the task here, as ptrace does) so that the signal `sig` is not raised.
    def trap_signal(self, task: "Task", trap: object, sig: int) -> bool:
        return False

    # the end of tracing: flush and close outputs
    def close(self) -> None:
        pass


class TracerGroup(Tracepoints):
    """Several tracers at once (--strace and --trace-out): each event goes to each, in order."""

    def __init__(self, tracers: Sequence[Tracepoints]) -> None:
        self.tracers = list(tracers)


def _fan_out(name: str):
    def event(self: TracerGroup, *args) -> None:
        for tracer in self.tracers:
            getattr(tracer, name)(*args)
    event.__name__ = name
    return event


for _name in [n for n, v in vars(Tracepoints).items() if callable(v) and not n.startswith("_")]:
    setattr(TracerGroup, _name, _fan_out(_name))


def _trap_signal(self: TracerGroup, task: "Task", trap: object, sig: int) -> bool:
    return any(tracer.trap_signal(task, trap, sig) for tracer in self.tracers)


TracerGroup.trap_signal = _trap_signal


def _sys_rewrite(self: TracerGroup, task: "Task", nr: int, name: str,
                 args: Sequence[int]) -> "tuple[Sequence[int], int | None] | None":
    """Each tracer sees the call as the ones before it left it; the first to skip it decides."""
    change = None
    for tracer in self.tracers:
        mine = tracer.sys_rewrite(task, nr, name, args)
        if mine is not None:
            change = mine
            args = mine[0]
            if mine[1] is not None:
                break
    return change


def _sys_result(self: TracerGroup, task: "Task", nr: int, name: str, args: Sequence[int],
                result: int | None) -> int | None:
    for tracer in self.tracers:
        result = tracer.sys_result(task, nr, name, args, result)
    return result


TracerGroup.sys_rewrite = _sys_rewrite
TracerGroup.sys_result = _sys_result


def rewrites_calls(tracer: Tracepoints) -> bool:
    """Whether `tracer` (or one of a group) overrides sys_rewrite or sys_result: only then does the tracing
    dispatcher ask (syscall/dispatch.py)."""
    if isinstance(tracer, TracerGroup):
        return any(rewrites_calls(t) for t in tracer.tracers)
    return type(tracer).sys_rewrite is not Tracepoints.sys_rewrite or \
        type(tracer).sys_result is not Tracepoints.sys_result
