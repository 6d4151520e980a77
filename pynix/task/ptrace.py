"""ptrace's tracee side (Linux's kernel/ptrace.c and the ptrace parts of kernel/signal.c): the link between a
tracee thread and its tracer, the stops, resuming, detaching, and what wait() reports about tracees.

- A traced task has `task.ptrace` (a `PtraceLink`), so `task.syscall_work` is set: every syscall of it takes the
  dispatcher's slow path, `syscall_work` here (Linux's TIF_SYSCALL_TRACE / syscall_work); untraced tasks pay
  one attribute test.
- A stop is TASK_TRACED (`TaskState.TRACED`): off the run queue, deaf to every wake-up but its tracer's resume
  and SIGKILL.  The stop's code (`sig | event << 8`, Linux's exit_code) is what the tracer's wait reports as
  `code << 8 | 0x7f`; the tracer hears SIGCHLD (CLD_TRAPPED).
- Syscall-entry stop: the task stops with its pc rewound onto the syscall instruction (as a blocked syscall,
  sync/wait.py) and the return register holding -ENOSYS; when the tracer resumes it, the return register gets
  back its entry value (x86's orig_rax, riscv's orig_a0) and the instruction runs again with the registers the
  tracer left, which takes the call past the stop.  Syscall number -1 skips the call: the result is what the
  tracer left in the return register.  Syscall-exit stop: after the call, with the result in the register.
- Events inside a syscall (fork, vfork, clone, exec) are stopped at when the call is done, before its exit stop,
  which follows at once when the tracer resumes with PTRACE_SYSCALL (for vfork: once the child let the parent
  go, the parent sleeping again after the event stop).
- Signal-delivery stop: in deliver_signals, for every signal but SIGKILL; the tracer's resume signal (0:
  suppress) is then delivered without a second stop.  Stop signals give a group-stop (PTRACE_EVENT_STOP for
  SEIZE), faults and fatal signals wait for the tracer instead of killing at once (task/signal.py).
- Exit: a tracee's exit is reported to its tracer first; a real parent that is not the tracer hears of it once
  the tracer has collected it (or detached).  A tracer's exit detaches its tracees (kills them with EXITKILL).
- PTRACE_EVENT_EXIT also before a death by a fatal signal (not SIGKILL), PTRACE_EVENT_VFORK_DONE when a vfork
  child lets its parent go, PTRACE_EVENT_SECCOMP for seccomp's SECCOMP_RET_TRACE (seccomp_stop).
Not done: a group-stop reported to the real parent of a tracee (and kept through a detach), the threads de_thread
kills at exec reported to the tracer, PTRACE_O_SUSPEND_SECCOMP.
"""
from __future__ import annotations

import enum
import errno
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from pynix.arch.ptrace import ORIG
from pynix.errors import KernelError
from pynix.task import exit as task_exit, signal
from pynix.task.task import Task, TaskState, ThreadGroup

if TYPE_CHECKING:
    from pynix.kernel import Kernel

PTRACE_EVENT_FORK, PTRACE_EVENT_VFORK, PTRACE_EVENT_CLONE, PTRACE_EVENT_EXEC = 1, 2, 3, 4
PTRACE_EVENT_VFORK_DONE, PTRACE_EVENT_EXIT, PTRACE_EVENT_SECCOMP, PTRACE_EVENT_STOP = 5, 6, 7, 128
PTRACE_O_TRACESYSGOOD, PTRACE_O_TRACEFORK, PTRACE_O_TRACEVFORK, PTRACE_O_TRACECLONE = 1, 2, 4, 8
PTRACE_O_TRACEEXEC, PTRACE_O_TRACEVFORKDONE, PTRACE_O_TRACEEXIT, PTRACE_O_TRACESECCOMP = 0x10, 0x20, 0x40, 0x80
PTRACE_O_EXITKILL, PTRACE_O_SUSPEND_SECCOMP = 0x100000, 0x200000
PTRACE_O_MASK = 0xFF | PTRACE_O_EXITKILL
PTRACE_EVENTMSG_SYSCALL_ENTRY, PTRACE_EVENTMSG_SYSCALL_EXIT = 1, 2
CLD_TRAPPED = 4
ERESTARTSYS, ERESTARTNOHAND = 512, 514          # kernel-internal errnos a tracer sees at a restart's exit stop
TRAP_TRACE = 2                                  # si_code of a single-step SIGTRAP
_U64 = (1 << 64) - 1
ENOSYS_RESULT = -errno.ENOSYS & _U64


class SyscallState(enum.Enum):
    NONE = 0          # not in a syscall
    ENTRY = 1         # stopped at syscall entry (pc rewound)
    RUNNING = 2       # entered (past the entry stop, or blocked and running again)
    EXIT = 3          # stopped at syscall exit


@dataclass(eq=False)
class PtraceLink:
    """A tracee's side of ptrace: task->ptrace, ->parent (the tracer), ->exit_code, ->last_siginfo..."""
    tracer: ThreadGroup
    seized: bool
    options: int = 0
    syscall_trace: bool = False           # resumed with PTRACE_SYSCALL: stop at the next entry and exit
    step: bool = False                    # resumed with PTRACE_SINGLESTEP
    stopped: bool = False                 # in a ptrace stop
    code: int = 0                         # the stop's sig | event << 8
    unreported: bool = False              # the tracer's wait has not collected this stop yet
    siginfo: bytes | None = None          # a signal-delivery stop's siginfo (PTRACE_GETSIGINFO)
    kind: "StopKind | None" = None        # what the current stop is
    reruns: bool = False                  # stopped in a syscall that runs again when resumed
    listening: bool = False               # PTRACE_LISTEN
    event_msg: int = 0                    # PTRACE_GETEVENTMSG
    syscall: SyscallState = SyscallState.NONE
    nr: int = 0                           # the syscall (PTRACE_GET_SYSCALL_INFO) as it entered
    args: tuple[int, ...] = ()
    orig: int = _U64                      # the return register at entry (orig_rax); -1 outside syscalls
    entry_stopped: bool = False           # the current syscall had an entry stop (number -1 then skips it)
    ret_at_stop: int = ENOSYS_RESULT      # the return register as the tracer left it at the entry stop
    pending_event: tuple[int, int] | None = None   # (event, message) to stop at when the syscall is done
    exit_pending: bool = False            # an event stop came first: the syscall-exit stop is still due
    vfork_child: Task | None = None       # a vfork parent's child, until it lets the parent go
    trap_pending: bool = False            # PTRACE_INTERRUPT, or a seized child: PTRACE_EVENT_STOP is due
    pass_signal: int = 0                  # the signal the tracer chose: delivered without another stop
    exit_status: int | None = None        # exited: the wait status the tracer has not collected yet
    exit_event_done: bool = False         # the PTRACE_EVENT_EXIT stop of this exit has been made
    restart: bool = False                 # an exit stop of an interrupted syscall, whose pc is rewound to restart
    seccomp_recheck: bool = False         # resumed from PTRACE_EVENT_SECCOMP: the filters' TRACE lets it run


def is_traced_by(tracee: Task, tracer: ThreadGroup) -> bool:
    return tracee.ptrace is not None and tracee.ptrace.tracer is tracer


def _sysgood(link: PtraceLink) -> int:
    return signal.SIGTRAP | (0x80 if link.options & PTRACE_O_TRACESYSGOOD else 0)


# ------------------------------------------------------------------------------------------- attaching
def link(kernel: "Kernel", tracee: Task, tracer: ThreadGroup, seized: bool, options: int = 0) -> PtraceLink:
    """__ptrace_link: `tracer` traces `tracee` from now on."""
    tracee.ptrace = PtraceLink(tracer=tracer, seized=seized, options=options)
    tracee.update_syscall_work()
    tracer.ptraced.append(tracee)
    return tracee.ptrace


def unlink(kernel: "Kernel", tracee: Task) -> None:
    """__ptrace_unlink: forget the tracer; a stopped tracee runs on (with the signal `resume` queued)."""
    link_, tracee.ptrace = tracee.ptrace, None
    tracee.update_syscall_work()
    if link_ is None:
        return
    if tracee in link_.tracer.ptraced:
        link_.tracer.ptraced.remove(tracee)
    if _pc_rewound(link_):                           # the rewound syscall runs as the tracer left it
        tracee.context.write(tracee.arch.return_register, link_.orig)
    if tracee.state is TaskState.TRACED:
        tracee.state = TaskState.RUNNABLE
        if not tracee.stopped:
            kernel.scheduler.enqueue(tracee)
    group = tracee.group
    if group.exit_notify_pending and not any(t.ptrace is not None for t in group.tasks):
        group.exit_notify_pending = False
        task_exit.notify_exit(kernel, group)


def fork_event(kernel: "Kernel", parent: Task, child: Task, vfork: bool, clone: bool) -> None:
    """copy_process's ptrace part: a PTRACE_EVENT_{FORK,VFORK,CLONE} the tracer asked for attaches the child
    to the same tracer (stopped by SIGSTOP, or PTRACE_EVENT_STOP when seized) and is stopped at when the
    syscall is done, with the child's id as the event message."""
    link_ = parent.ptrace
    event, option = ((PTRACE_EVENT_VFORK, PTRACE_O_TRACEVFORK) if vfork else
                     (PTRACE_EVENT_CLONE, PTRACE_O_TRACECLONE) if clone else (PTRACE_EVENT_FORK, PTRACE_O_TRACEFORK))
    if not link_.options & option:
        return
    new = link(kernel, child, link_.tracer, link_.seized, link_.options)
    if link_.seized:
        new.trap_pending = True
    else:
        child.pending.setdefault(signal.SIGSTOP, []).append(signal.siginfo(signal.SIGSTOP, signal.SI_USER))
    link_.pending_event = (event, child.tid)
    link_.event_msg = child.tid


def exec_event(kernel: "Kernel", task: Task, old_tid: int) -> None:
    """After a successful execve: PTRACE_EVENT_EXEC when asked for, else (not seized) a SIGTRAP."""
    link_ = task.ptrace
    if link_.options & PTRACE_O_TRACEEXEC:
        link_.pending_event = (PTRACE_EVENT_EXEC, old_tid)
    elif not link_.seized:
        task.pending.setdefault(signal.SIGTRAP, []).append(signal.siginfo(signal.SIGTRAP, signal.SI_USER))


# ---------------------------------------------------------------------------------------------- stops
class StopKind(enum.Enum):
    SIGNAL = "signal-delivery"     # the tracer's resume signal is delivered
    SYSCALL = "syscall"            # ... is sent to the tracee
    EVENT = "event"                # ... is ignored
    GROUP = "group"                # ... is ignored; no siginfo unless seized


def _stop(kernel: "Kernel", task: Task, code: int, kind: StopKind, siginfo: bytes | None = None,
          rewind: bool = False) -> None:
    """ptrace_stop: `task` stops with `code` until its tracer resumes it; the tracer's wait can collect it.
    Stops other than signal-delivery and group stops carry the siginfo ptrace_do_notify makes (si_code: code)."""
    link_ = task.ptrace
    if siginfo is None and kind is not StopKind.GROUP:
        siginfo = signal.siginfo(code & 0x7F, code, pid=task.tid, uid=task.group.creds.uid)
    link_.stopped, link_.code, link_.unreported, link_.siginfo, link_.kind = True, code, True, siginfo, kind
    link_.reruns = rewind
    link_.listening = False
    kernel.stop_traced(task, rewind)
    notify_tracer(kernel, task, CLD_TRAPPED, code & 0xFF)


def notify_tracer(kernel: "Kernel", task: Task, why: int, status: int) -> None:
    """SIGCHLD to the tracer (do_notify_parent_cldstop for the ptracer) and wake its wait."""
    tracer = task.ptrace.tracer
    tracer.child_exit.wake_all()
    action = tracer.sigactions.get(signal.SIGCHLD)
    if why == CLD_TRAPPED and action is not None and action.flags & signal.SA_NOCLDSTOP:
        return
    signal.send_signal(kernel, tracer, signal.SIGCHLD, signal.siginfo(signal.SIGCHLD, why, pid=task.tid,
                                                                      uid=task.group.creds.uid, status=status))


def syscall_work(kernel: "Kernel", task: Task, nr: int, args: tuple[int, ...],
                 dispatch: Callable[[], "int | None"], blocked: Callable[[], bool]) -> int | None:
    """The dispatcher's slow path for a traced task: the entry stop, the call itself (`dispatch`; `blocked()`
    says whether it went to sleep, to run again), event stops and the exit stop."""
    link_ = task.ptrace
    arch = task.arch
    cpu = kernel.cpu
    if link_.syscall is SyscallState.NONE:
        link_.nr, link_.args = nr, args
        link_.orig = cpu.read(arch.return_register)
        link_.entry_stopped = link_.syscall_trace
        link_.syscall = SyscallState.RUNNING
        if link_.syscall_trace:
            cpu.write(arch.return_register, ENOSYS_RESULT)
            link_.syscall = SyscallState.ENTRY
            link_.event_msg = PTRACE_EVENTMSG_SYSCALL_ENTRY
            _stop(kernel, task, _sysgood(link_), StopKind.SYSCALL, rewind=True)
            return None
    if link_.options & PTRACE_O_TRACEEXIT and not link_.exit_event_done \
            and arch.syscall_names.get(nr) in ("exit", "exit_group"):
        link_.exit_event_done = True                  # stop before exiting; the call runs again on resume
        link_.event_msg = (args[0] & 0xFF) << 8        # the wait status to be
        _stop(kernel, task, signal.SIGTRAP | PTRACE_EVENT_EXIT << 8, StopKind.EVENT, rewind=True)
        return None
    if link_.entry_stopped and nr == _U64:            # the tracer made it syscall -1: skipped
        result = link_.ret_at_stop
    else:
        result = dispatch()
        if blocked() or link_.stopped:
            return None                               # it runs again when woken (or resumed: seccomp_stop)
    if task.state is TaskState.ZOMBIE or task.ptrace is not link_:
        return result
    if task.state is TaskState.SLEEPING:              # a vfork parent, asleep until its child lets it go: the
        link_.vfork_child = kernel.tasks.get(result)  # exit stop comes when it is woken (pending_trap)
        link_.exit_pending = True
        if link_.pending_event is None:
            return result
        kernel.wake(task)                             # ... after the event stop, if any (resume sleeps again)
    event = link_.pending_event
    if event is not None:
        link_.pending_event = None
        link_.event_msg = event[1]
        link_.exit_pending = True
        _stop(kernel, task, signal.SIGTRAP | event[0] << 8, StopKind.EVENT)
        return result
    if link_.syscall_trace:
        _exit_stop(kernel, task)
        return result
    _end_syscall(link_)
    if signal.has_deliverable(task):                  # (held back while the call was not over)
        kernel.cpu.stop()
    return result


def _exit_stop(kernel: "Kernel", task: Task) -> None:
    link_ = task.ptrace
    link_.syscall = SyscallState.EXIT
    link_.event_msg = PTRACE_EVENTMSG_SYSCALL_EXIT
    _stop(kernel, task, _sysgood(link_), StopKind.SYSCALL)


def _end_syscall(link_: PtraceLink) -> None:
    link_.syscall = SyscallState.NONE
    link_.orig = _U64
    link_.seccomp_recheck = False


def seccomp_stop(kernel: "Kernel", task: Task, data: int) -> bool:
    """A seccomp filter returned SECCOMP_RET_TRACE (`data` its 16 data bits): with PTRACE_O_TRACESECCOMP the
    task stops in PTRACE_EVENT_SECCOMP (the event message `data`) as at a syscall-entry stop -- pc rewound, the
    return register -ENOSYS -- and the call runs again as the tracer leaves it: skipped if its number is -1
    (the result: what the tracer put in the return register), else through the filters once more, where
    TRACE now lets it run (Linux's recheck_after_trace).  False without that option (the call fails ENOSYS)."""
    link_ = task.ptrace
    if link_ is None or not link_.options & PTRACE_O_TRACESECCOMP:
        return False
    link_.event_msg = data & 0xFFFF
    link_.entry_stopped = True
    link_.seccomp_recheck = True
    link_.syscall = SyscallState.ENTRY
    kernel.cpu.write(task.arch.return_register, ENOSYS_RESULT)
    _stop(kernel, task, signal.SIGTRAP | PTRACE_EVENT_SECCOMP << 8, StopKind.EVENT, rewind=True)
    return True


def seccomp_traced(task: Task) -> bool:
    """The call runs again after its PTRACE_EVENT_SECCOMP stop: SECCOMP_RET_TRACE lets it run this time."""
    link_ = task.ptrace
    return link_ is not None and link_.seccomp_recheck


def interrupted_syscall(kernel: "Kernel", task: Task, interrupted: bool) -> bool:
    """A signal is to be delivered to a tracee whose syscall slept and will run again (its pc is rewound).
    Woken to complete it, the signals wait for its end (True: nothing to deliver now).  Interrupted by them, the
    syscall is over for the tracer, its exit stop showing -ERESTARTSYS (-ERESTARTNOHAND for a call a handler
    always interrupts) as Linux's; the restart is a new call, with an entry stop of its own."""
    link_ = task.ptrace
    if link_.syscall is not SyscallState.RUNNING or not signal.has_deliverable(task):
        return False
    if not interrupted:                               # woken to complete: signals wait for its end (as Linux
        return True                                   # delivers them on the way out of the syscall)
    if not link_.syscall_trace:
        _end_syscall(link_)
        return False
    link_.restart = True
    kernel.cpu.write(task.arch.return_register, -(ERESTARTSYS if task.restartable else ERESTARTNOHAND) & _U64)
    _exit_stop(kernel, task)
    return True


def signal_stop(kernel: "Kernel", task: Task, sig: int, info: bytes) -> bool:
    """The signal-delivery stop for `sig` (ptrace_signal); False when the tracer already chose to deliver it."""
    link_ = task.ptrace
    if link_.pass_signal == sig:
        link_.pass_signal = 0
        return False
    _stop(kernel, task, sig, StopKind.SIGNAL, siginfo=info)
    return True


def fatal_signal_exit_stop(kernel: "Kernel", task: Task, sig: int, info: bytes, status: int) -> bool:
    """do_exit's PTRACE_EVENT_EXIT for a death by the fatal signal `sig` (its wait status `status` the event
    message): True when the tracee stops there first; resumed, it takes `sig` again, without a second
    signal-delivery stop, and dies of it.  (SIGKILL kills at once, as Linux's ptrace_stop does not stop a task
    with SIGKILL pending.)"""
    link_ = task.ptrace
    if not link_.options & PTRACE_O_TRACEEXIT or link_.exit_event_done:
        return False
    link_.exit_event_done = True
    task.pending.setdefault(sig, []).insert(0, info)
    link_.pass_signal = sig
    link_.event_msg = status
    _stop(kernel, task, signal.SIGTRAP | PTRACE_EVENT_EXIT << 8, StopKind.EVENT)
    return True


def group_stop(kernel: "Kernel", task: Task, sig: int) -> None:
    """A stop signal's default action in a tracee: a group-stop the tracer sees (PTRACE_EVENT_STOP if seized)."""
    if task.ptrace.seized:                            # do_jobctl_trap: a trap with ptrace_do_notify's siginfo
        code = sig | PTRACE_EVENT_STOP << 8
        _stop(kernel, task, code, StopKind.GROUP, siginfo=signal.siginfo(sig, code, pid=task.tid,
                                                                         uid=task.group.creds.uid))
    else:
        _stop(kernel, task, sig, StopKind.GROUP)


def pending_trap(kernel: "Kernel", task: Task) -> bool:
    """On the way to user mode: the PTRACE_EVENT_VFORK_DONE and exit stops of a vfork that is over, or a
    PTRACE_EVENT_STOP that is due (PTRACE_INTERRUPT, a seized new child)."""
    link_ = task.ptrace
    child = link_.vfork_child
    if link_.exit_pending and child is not None and link_.options & PTRACE_O_TRACEVFORKDONE:
        link_.vfork_child = None                      # PTRACE_EVENT_VFORK_DONE first (the child's id), then
        link_.event_msg = child.tid                   # the end of the syscall when resumed (resume)
        _stop(kernel, task, signal.SIGTRAP | PTRACE_EVENT_VFORK_DONE << 8, StopKind.EVENT)
        return True
    if link_.exit_pending:                            # a vfork parent woken: the end of its syscall
        link_.exit_pending, link_.vfork_child = False, None
        if link_.syscall_trace:
            _exit_stop(kernel, task)
            return True
        _end_syscall(link_)
    if not link_.trap_pending:
        return False
    link_.trap_pending = False
    _stop(kernel, task, signal.SIGTRAP | PTRACE_EVENT_STOP << 8, StopKind.EVENT)
    return True


def reruns(task: Task) -> bool:
    """`task` stopped in a syscall that will run again when its tracer resumes it (its entry stop)."""
    return task.ptrace is not None and task.ptrace.stopped and task.ptrace.reruns


def step_done(task: Task) -> bytes:
    """The SINGLE_STEP trap of a tracee that asked for it: its SIGTRAP's siginfo (TRAP_TRACE)."""
    task.ptrace.step = False
    return signal.siginfo(signal.SIGTRAP, TRAP_TRACE, addr=0)


# --------------------------------------------------------------------------------------------- resuming
def resume(kernel: "Kernel", tracee: Task, syscall_trace: bool, step: bool, sig: int) -> None:
    """PTRACE_CONT / SYSCALL / SINGLESTEP: leave the stop, delivering `sig` if it was a signal-delivery stop
    (or a syscall stop: then it is queued), and trace syscalls and steps as asked."""
    link_ = tracee.ptrace
    link_.syscall_trace, link_.step = syscall_trace, step
    link_.unreported = False
    if link_.syscall is SyscallState.ENTRY:           # the syscall runs (again) as the tracer left it
        ctx = tracee.context
        link_.ret_at_stop = ctx.read(tracee.arch.return_register)
        ctx.write(tracee.arch.return_register, link_.orig)
        link_.syscall = SyscallState.RUNNING
    elif link_.syscall is SyscallState.EXIT:
        if link_.restart:                             # the syscall restarts with its original registers
            link_.restart = False
            tracee.context.write(tracee.arch.return_register, link_.orig)
        _end_syscall(link_)
    if sig and link_.kind is StopKind.SIGNAL:         # deliver the tracer's choice, without another stop
        info = link_.siginfo
        if int.from_bytes(info[:4], "little", signed=True) != sig:
            info = signal.siginfo(sig, signal.SI_USER, pid=link_.tracer.pid, uid=link_.tracer.creds.uid)
        tracee.pending.setdefault(sig, []).insert(0, info)
        link_.pass_signal = sig
    elif sig and link_.kind is StopKind.SYSCALL:      # sent as a new signal (which stops again when delivered)
        signal.send_signal(kernel, tracee.group, sig, signal.siginfo(sig, signal.SI_USER, pid=link_.tracer.pid,
                                                                     uid=link_.tracer.creds.uid), thread=tracee)
    link_.stopped, link_.siginfo, link_.kind, link_.listening = False, None, None, False
    child = link_.vfork_child
    if link_.exit_pending and child is not None and child.vfork_done is not None:
        tracee.state = TaskState.RUNNABLE             # back to sleep until the vfork child lets go
        kernel.block(tracee, (child.vfork_done,), None, None, rewind=False)
        return
    if link_.exit_pending and not (child is not None and link_.options & PTRACE_O_TRACEVFORKDONE):
        link_.exit_pending, link_.vfork_child = False, None      # (else pending_trap makes VFORK_DONE first)
        if syscall_trace:                             # the event stop came first; now the exit stop
            _exit_stop(kernel, tracee)
            return
        _end_syscall(link_)
    tracee.state = TaskState.RUNNABLE
    if not tracee.stopped:
        kernel.scheduler.enqueue(tracee)


def listen(kernel: "Kernel", tracee: Task) -> None:
    """PTRACE_LISTEN: a seized tracee in a group-stop stays stopped, but its tracer hears of a SIGCONT."""
    tracee.ptrace.listening = True
    tracee.ptrace.unreported = False


def sigcont(kernel: "Kernel", group: ThreadGroup) -> None:
    """SIGCONT reached a process: its listening tracees trap again (PTRACE_EVENT_STOP with SIGTRAP)."""
    for task in group.live_tasks:
        link_ = task.ptrace
        if link_ is not None and link_.listening:
            link_.listening = False
            link_.code = signal.SIGTRAP | PTRACE_EVENT_STOP << 8
            link_.unreported = True
            notify_tracer(kernel, task, CLD_TRAPPED, signal.SIGTRAP)


def interrupt(kernel: "Kernel", tracee: Task) -> None:
    """PTRACE_INTERRUPT: stop a running or sleeping seized tracee at PTRACE_EVENT_STOP (a sleeping syscall is
    restarted afterwards, as when a signal without handler interrupts it)."""
    link_ = tracee.ptrace
    if link_.stopped:
        if link_.listening:                           # a listening tracee re-traps at once
            link_.listening = False
            link_.unreported = True
            link_.code = signal.SIGTRAP | PTRACE_EVENT_STOP << 8
            notify_tracer(kernel, tracee, CLD_TRAPPED, signal.SIGTRAP)
        return
    link_.trap_pending = True
    if tracee.state is TaskState.SLEEPING:
        tracee.interrupted = True
        kernel.wake(tracee)


# ---------------------------------------------------------------------------------------------- exiting
def tracee_exited(kernel: "Kernel", task: Task, wait_status: int) -> None:
    """exit_notify's ptrace part: the tracer gets to collect the exit of `task` (a thread or a process)."""
    link_ = task.ptrace
    link_.exit_status = wait_status
    link_.stopped = False
    link_.unreported = True
    code = (signal.CLD_DUMPED if wait_status & 0x80 else signal.CLD_KILLED) if wait_status & 0x7F \
        else signal.CLD_EXITED
    notify_tracer(kernel, task, code, wait_status & 0x7F if wait_status & 0x7F else wait_status >> 8)


def defers_parent(group: ThreadGroup) -> bool:
    """The real parent of exiting `group` hears of its exit only after a tracer (not the parent) collected it."""
    leader = group.tasks[0] if group.tasks else None
    if leader is None or leader.ptrace is None or leader.ptrace.tracer is group.parent:
        return False
    group.exit_notify_pending = True
    return True


def tracer_exited(kernel: "Kernel", tracer: ThreadGroup) -> None:
    """exit_ptrace: the tracees of an exiting tracer are detached, or killed if they asked for PTRACE_O_EXITKILL."""
    for tracee in list(tracer.ptraced):
        kill = tracee.ptrace.options & PTRACE_O_EXITKILL
        unlink(kernel, tracee)
        if kill:
            signal.send_signal(kernel, tracee.group, signal.SIGKILL, signal.siginfo(signal.SIGKILL, signal.SI_USER))


def wait_report(tracer: ThreadGroup, matches: Callable[[Task], bool], options: int,
                wall: bool) -> tuple[Task, int, bool] | None:
    """A tracee of `tracer` with something to report to its wait: (tracee, wait status, exited).  The tracer's
    own children that are process leaders report their exit through the normal child path."""
    for tracee in list(tracer.ptraced):
        link_ = tracee.ptrace
        if not link_.unreported or not matches(tracee):
            continue
        if tracee.tid != tracee.group.pid and not wall:
            continue                                  # a non-leader thread: only with __WALL/__WCLONE
        if link_.exit_status is not None:
            if tracee.group.parent is tracer and tracee.tid == tracee.group.pid:
                continue
            return tracee, link_.exit_status, True
        if link_.stopped:
            return tracee, link_.code << 8 | 0x7F, False
    return None


def collect(kernel: "Kernel", tracee: Task, exited: bool) -> None:
    """The tracer's wait took the report (not WNOWAIT): a stop is reported once, an exit ends the link."""
    tracee.ptrace.unreported = False
    if exited:
        unlink(kernel, tracee)


def check_attach(task: Task, pid: int, need_stopped: bool = True) -> Task:
    """ptrace_check_attach: the tracee `pid` of the caller, stopped (ESRCH otherwise)."""
    tracee = task.kernel.tasks.get(pid)
    if tracee is None or not is_traced_by(tracee, task.group) or tracee.ptrace.exit_status is not None:
        raise KernelError(errno.ESRCH)
    if need_stopped and not (tracee.ptrace.stopped and tracee.state is TaskState.TRACED):
        raise KernelError(errno.ESRCH)
    return tracee


# ------------------------------------------------------------------------------------ the register view
def read_regs(tracee: Task) -> list[int]:
    """NT_PRSTATUS as words, as the tracer sees them (the pc past the syscall instruction at an entry stop)."""
    layout, ctx, link_ = tracee.arch.ptrace, tracee.context, tracee.ptrace
    names = layout.prstatus
    values = layout.read_words(ctx, tuple(n for n in names if n != ORIG))
    words = []
    it = iter(values)
    for n in names:
        words.append(link_.orig if n == ORIG else next(it))
    if _pc_rewound(link_):
        at = names.index("rip" if "rip" in names else "pc")
        words[at] = (words[at] + tracee.arch.syscall_insn_size) & _U64
    return words


def _pc_rewound(link_: PtraceLink) -> bool:
    """The saved pc is on the syscall instruction (to run it again) where the tracer must see it past it."""
    return link_.syscall is SyscallState.ENTRY or link_.restart


def write_regs(tracee: Task, words: list[int]) -> None:
    layout, ctx, link_ = tracee.arch.ptrace, tracee.context, tracee.ptrace
    for name, value in zip(layout.prstatus, words):
        value &= _U64
        if name == ORIG:
            link_.orig = value
            continue
        if name in ("rip", "pc") and _pc_rewound(link_):
            value = (value - tracee.arch.syscall_insn_size) & _U64
        layout.write_word(ctx, name, value)
