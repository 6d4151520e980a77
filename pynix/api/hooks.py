"""The Python API's hooks (pynix/api): the events they are given and the tracer that calls them at the kernel's
tracepoints (pynix/trace/tracepoints.py) with the machine standing still."""
from __future__ import annotations

import os
import signal as host_signal
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterable, Sequence

from pynix.api.process import Process
from pynix.task.task import Task, ThreadGroup
from pynix.trace.tracepoints import Tracepoints

if TYPE_CHECKING:
    from pynix.api.machine import Machine


class SyscallCall:
    """One system call as a syscall hook sees it.  Before it runs (`when="enter"`) its arguments can be
    changed (`args[i] = v`, `set_arg`) or the call skipped with the result the program gets instead
    (`skip(-errno.ENOENT)`); after it ran (`when="exit"`) `result` can be changed.  The same object is given
    to the enter and the exit hooks of one call."""

    def __init__(self, process: Process, task: Task, nr: int, name: str, args: Sequence[int]) -> None:
        self.process = process
        self.tid = task.tid
        self.nr = nr
        self.name = name
        self.args = list(args)
        self.result: int | None = None
        self.when = "enter"
        self.skipped = False
        self._original = tuple(args)

    def __repr__(self) -> str:
        shown = ", ".join(hex(a) for a in self.args)
        return f"<{self.name}({shown}) = {self.result} pid {self.process.pid}>"

    def set_arg(self, index: int, value: int) -> None:
        self.args[index] = value

    def skip(self, result: int) -> None:
        """Before the call: do not run it; the program sees `result` (-errno for a failure)."""
        if self.when != "enter":
            raise RuntimeError("skip() is for hooks that run before the call (when='enter')")
        self.result = result
        self.skipped = True

    def string(self, index: int, limit: int = 4096) -> bytes:
        """The C string argument `index` points at (a path, a name)."""
        return self.process.read_string(self.args[index], limit)

    @property
    def error(self) -> int | None:
        """After the call: its errno when it failed (result -4095..-1), else None."""
        return -self.result if self.result is not None and -4096 < self.result < 0 else None


@dataclass
class SignalEvent:
    """A signal taken by a task (`action="deliver"`: its handler or default action runs now), or one that is
    never queued: `"ignored"`, or `"fatal"` (its default action ends the process at once)."""
    process: Process
    tid: int
    signal: int
    action: str
    code: int | None = None          # si_code, when known

    @property
    def name(self) -> str:
        try:
            return host_signal.Signals(self.signal).name
        except ValueError:
            return f"SIG{self.signal}"


@dataclass
class ExecEvent:
    """A process began running a new program (execve) with these arguments."""
    process: Process
    tid: int
    filename: str
    argv: list[bytes]


@dataclass
class FaultEvent:
    """A fault of user code the kernel cannot resolve: the trap's `kind` ("page_fault", "illegal_instruction",
    "breakpoint", ...), where, and the signal it raises (a handler may still catch it)."""
    process: Process
    tid: int
    kind: str
    pc: int
    address: int                      # a page fault's address (the start of its page: the CPU says no more)
    access: str                       # "read", "write", "exec" for a page fault, else ""
    signal: int


@dataclass
class ExitEvent:
    process: Process
    wait_status: int

    @property
    def returncode(self) -> int:
        return -(self.wait_status & 0x7F) if self.wait_status & 0x7F else self.wait_status >> 8


class HookTracer(Tracepoints):
    """The machine's hooks as a tracer (pynix/trace): called at the kernel's tracepoints with the machine
    standing still.  An exception raised by a hook pauses the machine and is raised again by Machine.run."""

    def __init__(self, machine: "Machine") -> None:
        self.machine = machine
        self.enter: dict[str, list[Callable]] = {}        # syscall name ("*": every call) -> hooks
        self.exit: dict[str, list[Callable]] = {}
        self.signal: list[Callable] = []
        self.exec: list[Callable] = []
        self.fault: list[Callable] = []
        self.exits: list[Callable] = []
        self.calls: dict[Task, SyscallCall] = {}          # the call each task is in (enter -> exit)
        self.restarts: dict[Task, tuple[int, tuple | None]] = {}   # a blocked call's change, for its re-run

    def _call(self, hooks: Iterable[Callable], event: object) -> None:
        for hook in hooks:
            if self.machine._error is not None:
                return
            try:
                hook(event)
            except BaseException as err:          # (KeyboardInterrupt too: it must not unwind the emulator)
                self.machine._error = err
                self.machine.stop()

    def sys_rewrite(self, task: Task, nr: int, name: str, args: Sequence[int]):
        restart = self.restarts.pop(task, None)
        if restart is not None and restart[0] == nr:      # a blocked call runs again: it was changed already
            return restart[1]
        enter, exit_ = self.enter.get(name, ()), self.exit.get(name, ())
        every_enter, every_exit = self.enter.get("*", ()), self.exit.get("*", ())
        if not (enter or exit_ or every_enter or every_exit):
            self.calls.pop(task, None)
            return None
        call = SyscallCall(self.machine.process(task.group), task, nr, name, args)
        self.calls[task] = call
        self._call(list(every_enter) + list(enter), call)
        change = None
        if call.skipped or tuple(call.args) != call._original:
            change = (tuple(call.args[:6]), call.result if call.skipped else None)
        self.restarts[task] = (nr, change)
        return change

    def sys_result(self, task: Task, nr: int, name: str, args: Sequence[int], result: int | None) -> int | None:
        self.restarts.pop(task, None)
        call = self.calls.pop(task, None)
        if call is None or call.nr != nr:
            return result
        call.when, call.result = "exit", result
        self._call(list(self.exit.get("*", ())) + list(self.exit.get(name, ())), call)
        return call.result

    def sys_exit(self, task: Task, nr: int, name: str, args: Sequence[int], result: int | None, busy_ns: int,
                 blocked: bool) -> None:
        if not blocked:
            self.restarts.pop(task, None)

    def signal_deliver(self, task: Task, sig: int, info: bytes) -> None:
        if self.signal:
            self._call(self.signal, SignalEvent(self.machine.process(task.group), task.tid, sig, "deliver",
                                                int.from_bytes(info[8:12], "little", signed=True)))

    def signal_generate(self, task: Task, sig: int, info: object, result: str) -> None:
        if self.signal:
            code = int.from_bytes(info[8:12], "little", signed=True) if isinstance(info, bytes) else None
            self._call(self.signal, SignalEvent(self.machine.process(task.group), task.tid, sig, result, code))

    def sched_process_exec(self, task: Task, filename: bytes) -> None:
        if self.exec:
            process = self.machine.process(task.group)
            argv = self.machine._read_guest_file(f"/proc/{process.pid}/cmdline").split(b"\0")[:-1]
            self._call(self.exec, ExecEvent(process, task.tid, os.fsdecode(filename), argv))

    def trap_signal(self, task: Task, trap, sig: int) -> bool:
        kind = trap.kind.name.lower()
        if self.fault and kind not in ("single_step", "watchpoint"):
            access = {1: "read", 2: "write", 4: "exec"}.get(trap.access, "") if kind == "page_fault" else ""
            self._call(self.fault, FaultEvent(self.machine.process(task.group), task.tid, kind, trap.pc,
                                              trap.addr, access, sig))
        return False

    def sched_process_exit(self, group: ThreadGroup, wait_status: int) -> None:
        self.calls = {t: c for t, c in self.calls.items() if t.group is not group}
        self.restarts = {t: r for t, r in self.restarts.items() if t.group is not group}
        if self.exits:
            self._call(self.exits, ExitEvent(self.machine.process(group), wait_status))
