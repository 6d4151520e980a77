"""`pynix run --trace-out FILE.json`: the machine's timeline in the Chrome trace event format.

Perfetto (ui.perfetto.dev) and chrome://tracing open the file.  Each process is a trace process (pid = its pid)
with two tracks per task:

- the task's own track (tid = its tid): its syscalls as slices, with the call and the result as strace prints
  them; page faults, TLB flushes, signal deliveries, exec and exit as instant events;
- its scheduler track (tid = SCHED_TRACK + tid): `running`, `runnable` and `sleeping` spans from the scheduler
  (a sleeping span names the call the task sleeps in; a running span counts its TLB fills, the misses of the
  CPU's TLB that the kernel filled, `Cpu.tlb_fills`), and timer interrupts as instant events.

Flow arrows join causes to effects: fork (from the parent's clone to the child's first time slice), exec (from
the execve call to the new program's first slice), exit (from the exiting task to its parent's next slice,
where wait returns) and wakeup (from the call that woke a sleeping task -- a pipe write, a futex wake -- to
its next slice).

Every event is a complete one (`X`, with its duration), an instant (`i`) or a flow step (`s`/`f`), written in the
order the kernel produced it (a slice when it ends), so that dropping the oldest ones keeps the file valid: the
events are kept in a ring of at most `max_bytes` of JSON (--trace-max), and the file says how many were dropped
(otherData.dropped_events).  Track names (`M` events) are always kept.  Timestamps are microseconds since the
tracer started, from the host's monotonic clock.
"""
from __future__ import annotations

import collections
import itertools
import json
import time
from typing import TYPE_CHECKING, Sequence

from pynix.task.task import TaskState
from pynix.trace.tracepoints import Tracepoints

if TYPE_CHECKING:
    from pynix.kernel import Kernel
    from pynix.task.task import Task, ThreadGroup

SCHED_TRACK = 1_000_000                    # tid offset of a task's scheduler track
_EXITS = ("exit", "exit_group")
_EXECS = ("execve", "execveat")
_ACCESS = {1: "read", 2: "write", 4: "execute"}


class Timeline(Tracepoints):
    def __init__(self, kernel: "Kernel", path: str, max_bytes: int = 64 << 20) -> None:
        self.kernel = kernel
        self.path = path
        self.max_bytes = max_bytes
        self.events: collections.deque[str] = collections.deque()
        self.size = 0
        self.dropped = 0
        self.names: dict[tuple[int, int, str], str] = {}   # (pid, tid, kind) -> its naming `M` event
        self.t0 = time.perf_counter_ns()
        self.state: dict[int, tuple[str, int, dict]] = {}  # tid -> (scheduler state, since, args)
        self.in_call: dict[int, tuple[int, tuple[int, ...], int, str | None, str]] = {}  # tid -> nr, args, since,
        #                                                                          text before the call, name
        self.fills_at: dict[int, int] = {}     # tid -> the CPU's TLB-fill count when its time slice began
        self.flows_to: dict[int, list[tuple[int, str]]] = {}  # tid -> flows that end at its next time slice
        self.flow_ids = itertools.count(1)
        self.file = open(path, "w")            # fail now, before the machine runs, if it cannot be written

    # ---------------------------------------------------------------------------------------- output
    def _us(self, ns: int) -> float:
        return round((ns - self.t0) / 1000, 3)

    def _emit(self, event: dict) -> None:
        text = json.dumps(event, separators=(",", ":"))
        self.events.append(text)
        self.size += len(text) + 2
        while self.size > self.max_bytes and self.events:
            self.size -= len(self.events.popleft()) + 2
            self.dropped += 1

    def _name(self, task: "Task") -> None:
        """Name the process and the two tracks of `task` (again after exec changes its comm)."""
        pid, tid = task.group.pid, task.tid
        for key, name, value in (((pid, 0, "process"), "process_name", task.group.tasks[0].comm
                                  if task.group.tasks else task.comm),
                                 ((pid, tid, "thread"), "thread_name", f"{task.comm} {tid}"),
                                 ((pid, SCHED_TRACK + tid, "thread"), "thread_name", f"{task.comm} {tid} scheduler")):
            event = json.dumps({"ph": "M", "name": name, "pid": pid, "tid": key[1], "args": {"name": value}},
                               separators=(",", ":"))
            self.names[key] = event
        self.names[(pid, SCHED_TRACK + tid, "order")] = json.dumps(
            {"ph": "M", "name": "thread_sort_index", "pid": pid, "tid": SCHED_TRACK + tid,
             "args": {"sort_index": 2 * tid + 1}}, separators=(",", ":"))
        self.names[(pid, tid, "order")] = json.dumps(
            {"ph": "M", "name": "thread_sort_index", "pid": pid, "tid": tid, "args": {"sort_index": 2 * tid}},
            separators=(",", ":"))

    def _instant(self, task: "Task", name: str, cat: str, args: dict, sched: bool = False,
                 ns: int | None = None) -> None:
        self._emit({"ph": "i", "s": "t", "name": name, "cat": cat, "ts": self._us(ns or time.perf_counter_ns()),
                    "pid": task.group.pid, "tid": task.tid + (SCHED_TRACK if sched else 0), "args": args})

    def _set_state(self, task: "Task", state: str | None, args: dict | None = None) -> None:
        """End `task`'s current scheduler span and begin `state` (None: no span, the task is gone)."""
        now = time.perf_counter_ns()
        old = self.state.pop(task.tid, None)
        if old is not None:
            name, since, old_args = old
            self._emit({"ph": "X", "name": name, "cat": "sched", "ts": self._us(since),
                        "dur": round((now - since) / 1000, 3), "pid": task.group.pid,
                        "tid": SCHED_TRACK + task.tid, "args": old_args})
        if state is not None:
            self.state[task.tid] = (state, now, args or {})

    def _flow_start(self, task: "Task", name: str, to: "Task | ThreadGroup") -> None:
        """An arrow from `task`'s track now to the next time slice of `to` (a task, or a process's leader)."""
        target = to if not hasattr(to, "tasks") else (to.tasks[0] if to.tasks else None)
        if target is None:
            return
        flow = next(self.flow_ids)
        self._emit({"ph": "s", "id": flow, "name": name, "cat": "process", "ts": self._us(time.perf_counter_ns()),
                    "pid": task.group.pid, "tid": task.tid})
        self.flows_to.setdefault(target.tid, []).append((flow, name))

    # ------------------------------------------------------------------------------------ tracepoints
    def sys_enter(self, task: "Task", nr: int, name: str, args: Sequence[int]) -> None:
        call = self.in_call.get(task.tid)
        if call is not None and call[0] == nr and call[1] == tuple(args):
            return                                  # a blocked call runs again
        text = None
        if name in _EXITS or name in _EXECS:        # formatted now: exit does not return, exec loses the memory
            text = self._call_text(task, name, args, None)
        self.in_call[task.tid] = (nr, tuple(args), time.perf_counter_ns(), text, name)
        if name in _EXITS:
            self._syscall_slice(task, name, text, "?")

    def sys_exit(self, task: "Task", nr: int, name: str, args: Sequence[int], result: int | None,
                 busy_ns: int, blocked: bool) -> None:
        if blocked or name in _EXITS:
            return
        call = self.in_call.get(task.tid)
        if call is None:
            return
        if result is not None and result >= 1 << 63:
            result -= 1 << 64
        if name in _EXECS and result is None:
            result = 0
        from pynix.syscall.strace import format_return
        failed = result is not None and -4095 <= result < 0
        text = call[3] if name in _EXECS and not failed else self._call_text(task, name, args, result)
        self._syscall_slice(task, name, text, format_return(name, result, args))

    def _syscall_slice(self, task: "Task", name: str, text: str | None, result: str) -> None:
        since = self.in_call.pop(task.tid)[2]
        now = time.perf_counter_ns()
        self._emit({"ph": "X", "name": name, "cat": "syscall", "ts": self._us(since),
                    "dur": round((now - since) / 1000, 3), "pid": task.group.pid, "tid": task.tid,
                    "args": {"call": text, "result": result}})

    def _call_text(self, task: "Task", name: str, args: Sequence[int], result: int | None) -> str:
        from pynix.syscall.strace import format_call
        from pynix.syscall.strace_session import UserMemory
        return format_call(name, args, result, UserMemory(task.mm), task.arch)

    def signal_deliver(self, task: "Task", sig: int, info: bytes) -> None:
        from pynix.syscall.strace import signal_name
        from pynix.syscall.strace_session import format_siginfo
        self._instant(task, signal_name(sig), "signal", {"siginfo": format_siginfo(info)})

    def signal_generate(self, task: "Task", sig: int, info: object, result: str) -> None:
        from pynix.syscall.strace import signal_name
        self._instant(task, f"{signal_name(sig)} ({result})", "signal", {})

    def sched_switch(self, prev: "Task | None", task: "Task") -> None:
        if (task.group.pid, task.tid, "thread") not in self.names:
            self._name(task)
        self._set_state(task, "running")
        self.fills_at[task.tid] = self.kernel.cpu.tlb_fills
        for flow, name in self.flows_to.pop(task.tid, ()):
            self._emit({"ph": "f", "bp": "e", "id": flow, "name": name, "cat": "process",
                        "ts": self._us(self.state[task.tid][1]), "pid": task.group.pid,
                        "tid": SCHED_TRACK + task.tid})

    def sched_slice_end(self, task: "Task", trap: object) -> None:
        if getattr(getattr(trap, "kind", None), "value", None) == "timer":
            self._instant(task, "timer interrupt", "irq", {}, sched=True)
        running = self.state.get(task.tid)
        if running is not None and running[0] == "running" and task.tid in self.fills_at:
            running[2]["tlb fills"] = self.kernel.cpu.tlb_fills - self.fills_at.pop(task.tid)
        if task.state is TaskState.ZOMBIE:
            self._set_state(task, None)
        elif task.state is TaskState.SLEEPING:
            call = self.in_call.get(task.tid)
            self._set_state(task, "sleeping", {"in": call[4]} if call is not None else {})
        elif task.stopped:
            self._set_state(task, "stopped")
        else:
            self._set_state(task, "runnable", {"preempted": True})

    def sched_wakeup(self, task: "Task") -> None:
        if task.tid in self.state and self.state[task.tid][0] == "sleeping":
            self._set_state(task, "runnable")
            waker = self.kernel.current
            if waker is not None and waker is not task and waker.state is not TaskState.ZOMBIE:
                self._flow_start(waker, "wakeup", task)     # from the call that woke it (a pipe write...)

    def sched_process_fork(self, parent: "Task", child: "Task") -> None:
        self._name(child)
        self._set_state(child, "runnable")
        self._flow_start(parent, "fork" if child.group is not parent.group else "thread", child)

    def sched_process_exec(self, task: "Task", filename: bytes) -> None:
        self._instant(task, "exec", "process", {"filename": filename.decode(errors="replace")})
        self._name(task)
        self._flow_start(task, "exec", task)

    def sched_process_exit(self, group: "ThreadGroup", wait_status: int) -> None:
        if not group.tasks:
            return
        leader = group.tasks[0]
        sig = wait_status & 0x7F
        self._instant(leader, "exit", "process", {"killed by signal": sig} if sig else {"status": wait_status >> 8})
        if group.parent is not None:
            self._flow_start(leader, "exit", group.parent)

    def page_fault(self, address: int, access: int) -> None:
        task = self.kernel.current
        if task is not None:
            self._instant(task, "page fault", "mm", {"address": hex(address), "access": _ACCESS.get(access, access)})

    def tlb_flush(self, reason: str) -> None:
        task = self.kernel.current
        if task is not None:
            self._instant(task, "TLB flush", "mm", {"reason": reason})

    def close(self) -> None:
        """End the open spans and write the file."""
        for tid in list(self.state):
            task = self.kernel.tasks.get(tid)
            if task is not None:
                self._set_state(task, None)
        with self.file as f:
            f.write('{"traceEvents":[\n')
            f.write(",\n".join(itertools.chain(self.names.values(), self.events)))
            f.write("\n],\n")
            f.write(json.dumps({"displayTimeUnit": "ns", "otherData": {
                "producer": "pynix", "dropped_events": self.dropped, "max_bytes": self.max_bytes}})[1:])
            f.write("\n")
