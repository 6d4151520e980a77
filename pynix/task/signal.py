"""Signals: generation, the default actions, and delivery on the way back to user mode (Linux's kernel/signal.c).

- Pending signals are kept per thread (tkill, faults) and per process (kill); each entry carries its 128-byte
  siginfo, or is an object whose siginfo is built when it is dequeued (`DeferredInfo`: a POSIX timer, whose
  si_overrun counts the expiries while it was queued).  A standard signal is pending at most once; real-time
  signals (>= 32) queue.  Queuing a signal wakes the process's signalfd readers (fs/signalfd.py).
- `send_signal` decides at generation time what Linux decides in complete_signal: an ignored signal is dropped,
  a fatal default action kills the whole process at once, a stop signal stops it, SIGCONT resumes it; otherwise
  one thread that does not block the signal is chosen and, if it sleeps in a syscall, woken.
- `deliver_signals` runs when a task is about to return to user mode with its registers loaded in the CPU (right
  after `cpu.run` returned, or just before it runs again).  For each deliverable signal it builds the
  architecture's rt_sigframe on the user stack (or the alternate stack) and points the registers at the handler.
  A syscall that was interrupted while sleeping either restarts (SA_RESTART: its pc is still rewound onto the
  syscall instruction) or returns -EINTR.
- `sigreturn` restores the registers and mask saved in the frame.
"""
from __future__ import annotations

import errno
import struct
from typing import TYPE_CHECKING, Protocol

from pynix.errors import KernelError
from pynix.mm.uaccess import copy_from_user, copy_to_user
from pynix.task import rseq
from pynix.task.task import SigAction, Task, TaskState, ThreadGroup

if TYPE_CHECKING:
    from pynix.kernel import Kernel

(SIGHUP, SIGINT, SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGKILL, SIGUSR1, SIGSEGV, SIGUSR2, SIGPIPE,
 SIGALRM, SIGTERM, SIGSTKFLT, SIGCHLD, SIGCONT, SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU, SIGURG, SIGXCPU, SIGXFSZ,
 SIGVTALRM, SIGPROF, SIGWINCH, SIGIO, SIGPWR, SIGSYS) = range(1, 32)
SIGRTMIN, NSIG = 32, 64

SIG_DFL, SIG_IGN = 0, 1
SA_NOCLDSTOP, SA_NOCLDWAIT, SA_SIGINFO, SA_RESTORER = 1, 2, 4, 0x04000000
SA_ONSTACK, SA_RESTART, SA_NODEFER, SA_RESETHAND = 0x08000000, 0x10000000, 0x40000000, 0x80000000
SS_ONSTACK, SS_DISABLE, SS_AUTODISARM = 1, 2, 1 << 31
MINSIGSTKSZ = 2048

# si_code values
SI_USER, SI_KERNEL, SI_QUEUE, SI_TIMER, SI_TKILL = 0, 0x80, -1, -2, -6
CLD_EXITED, CLD_KILLED, CLD_DUMPED, CLD_STOPPED, CLD_CONTINUED = 1, 2, 3, 5, 6

_IGNORE = {SIGCHLD, SIGCONT, SIGURG, SIGWINCH}
_STOP = {SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU}
_CORE = {SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGSEGV, SIGXCPU, SIGXFSZ, SIGSYS}
UNBLOCKABLE = (1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1))


class DeferredInfo(Protocol):
    """A pending-queue entry whose siginfo is built when it is dequeued."""

    def take(self) -> bytes: ...


def bit(sig: int) -> int:
    return 1 << (sig - 1)


def siginfo(sig: int, code: int, pid: int = 0, uid: int = 0, status: int = 0, addr: int | None = None,
            value: int = 0) -> bytes:
    """A 128-byte siginfo_t (the same layout on x86_64 and riscv64)."""
    head = struct.pack("<iiii", sig, 0, code, 0)
    if addr is not None:
        body = struct.pack("<Q", addr)
    elif sig == SIGCHLD:
        body = struct.pack("<iIiiqq", pid, uid, status, 0, 0, 0)
    else:
        body = struct.pack("<iIq", pid, uid, value)
    return (head + body).ljust(128, b"\0")


def default_ignored(sig: int) -> bool:
    return sig in _IGNORE


def _action(group: ThreadGroup, sig: int) -> SigAction:
    return group.sigactions.get(sig) or SigAction()


def is_ignored(group: ThreadGroup, sig: int) -> bool:
    a = _action(group, sig)
    return a.handler == SIG_IGN or (a.handler == SIG_DFL and default_ignored(sig))


# ----------------------------------------------------------------------------------------------- sending
def send_signal(kernel: "Kernel", group: ThreadGroup, sig: int, info: bytes | DeferredInfo,
                thread: Task | None = None) -> None:
    """Generate `sig` for process `group` (or only for `thread`)."""
    if sig == 0 or group.exit_status is not None:
        return
    if sig == SIGKILL:
        kernel.exit_group(group, SIGKILL)
        return
    if sig == SIGCONT:
        continue_group(kernel, group)
    if sig in _STOP:                               # a stop signal cancels a pending SIGCONT, and vice versa
        _discard(group, thread, SIGCONT)
    elif sig == SIGCONT:
        for s in _STOP:
            _discard(group, thread, s)
    targets = [thread] if thread is not None else group.live_tasks
    blocked_everywhere = all(t.sigmask & bit(sig) for t in targets)
    if is_ignored(group, sig) and not blocked_everywhere and not any(t.sigwait & bit(sig) for t in targets):
        return
    action = _action(group, sig)
    if action.handler == SIG_DFL and not blocked_everywhere and not any(t.sigwait & bit(sig) for t in targets):
        if sig in _STOP:
            stop_group(kernel, group, sig)
            return
        if not default_ignored(sig):               # fatal: the whole process dies now
            kernel.exit_group(group, sig)
            return
    queue = thread.pending if thread is not None else group.shared_pending
    if sig < SIGRTMIN and sig in queue:
        return                                     # standard signals do not queue
    queue.setdefault(sig, []).append(info)
    group.signalfd_wait.wake_all()
    _wake_one(kernel, group, sig, thread)


def kill_pgrp(kernel: "Kernel", pgid: int, sig: int, code: int = SI_KERNEL) -> None:
    """Send `sig` to every live process of group `pgid` (Linux's kill_pgrp): from the kernel (SI_KERNEL), or
    with `code` SI_USER from a sender outside the machine (pid 0, uid 0)."""
    for group in list(kernel.groups.values()):
        if group.pgid == pgid and group.exit_status is None:
            send_signal(kernel, group, sig, siginfo(sig, code))


def _discard(group: ThreadGroup, thread: Task | None, sig: int) -> None:
    group.shared_pending.pop(sig, None)
    for t in group.tasks:
        t.pending.pop(sig, None)


def _wake_one(kernel: "Kernel", group: ThreadGroup, sig: int, thread: Task | None) -> None:
    """Let a thread that can take the signal notice it: interrupt its sleep, or stop the CPU if it runs."""
    candidates = [thread] if thread is not None else group.live_tasks
    for t in candidates:
        if t.sigwait & bit(sig):
            kernel.wake(t)
            return
    for t in candidates:
        if t.sigmask & bit(sig):
            continue
        if t.state is TaskState.SLEEPING:
            t.interrupted = True
            kernel.wake(t)
        elif t is kernel.current:
            kernel.cpu.stop()                      # deliver on the way out of the current syscall
        return


def stop_group(kernel: "Kernel", group: ThreadGroup, sig: int) -> None:
    if group.stopped:
        return
    group.stopped = True
    for t in group.live_tasks:
        if t.state is TaskState.SLEEPING:
            t.interrupted = True
            kernel.wake(t)
        kernel.scheduler.dequeue(t)
        t.stopped = True
    if kernel.current is not None and kernel.current.group is group:
        kernel.cpu.stop()
    group.wait_report = (sig << 8) | 0x7F
    notify_parent(kernel, group, CLD_STOPPED, sig)


def continue_group(kernel: "Kernel", group: ThreadGroup) -> None:
    if not group.stopped:
        return
    group.stopped = False
    for t in group.live_tasks:
        t.stopped = False
        if t.state is TaskState.RUNNABLE:
            kernel.scheduler.enqueue(t)
    group.wait_report = 0xFFFF                      # WIFCONTINUED
    notify_parent(kernel, group, CLD_CONTINUED, SIGCONT)


def notify_parent(kernel: "Kernel", group: ThreadGroup, code: int, status: int) -> None:
    """SIGCHLD to the parent (Linux's do_notify_parent / do_notify_parent_cldstop) and wake its wait4."""
    parent = group.parent
    if parent is None:
        return
    parent.child_exit.wake_all()
    action = _action(parent, SIGCHLD)
    if code in (CLD_STOPPED, CLD_CONTINUED) and action.flags & SA_NOCLDSTOP:
        return
    if group.exit_signal:
        send_signal(kernel, parent, group.exit_signal,
                    siginfo(SIGCHLD, code, pid=group.pid, uid=group.creds.uid, status=status))


# ---------------------------------------------------------------------------------------------- delivery
def pending_set(task: Task) -> int:
    """The signals pending for `task`, for itself or for its process, as a sigset."""
    pending = 0
    for sig in list(task.pending) + list(task.group.shared_pending):
        pending |= bit(sig)
    return pending


def has_deliverable(task: Task) -> bool:
    if not task.pending and not task.group.shared_pending:     # the usual case, asked on every block
        return False
    mask = task.sigmask
    return any(not bit(s) & mask for s in task.pending) or any(not bit(s) & mask for s in task.group.shared_pending)


def dequeue(task: Task, allowed: int) -> tuple[int, bytes] | None:
    """Take the lowest pending signal in `allowed` (thread-private first, as Linux)."""
    for queue in (task.pending, task.group.shared_pending):
        ready = sorted(s for s in queue if bit(s) & allowed)
        if ready:
            sig = ready[0]
            infos = queue[sig]
            info = infos.pop(0)
            if not infos:
                del queue[sig]
            return sig, info if isinstance(info, bytes) else info.take()
    return None


def deliver_signals(kernel: "Kernel", task: Task) -> None:
    """Called with `task`'s registers in the CPU and the CPU stopped: run default actions or set up handler
    frames for every deliverable signal, and settle an interrupted syscall."""
    group = task.group
    # A syscall that made progress before it slept (a partial write) and was woken but has not run again yet is
    # interrupted too: its handler's own syscalls would otherwise forget that progress and the re-run redo it.
    pending_progress = task.restart_data is not None and task.on_interrupt is not None
    interrupted, task.interrupted = task.interrupted or pending_progress, False
    while group.exit_status is None and not group.stopped:
        taken = dequeue(task, ~task.sigmask & ((1 << NSIG) - 1))
        if taken is None:
            break
        sig, info = taken
        action = _action(group, sig)
        if action.handler == SIG_IGN or (action.handler == SIG_DFL and default_ignored(sig)):
            continue
        if action.handler == SIG_DFL:
            if sig in _STOP:
                stop_group(kernel, group, sig)
            else:
                kernel.exit_group(group, sig)
            return
        if interrupted:
            _finish_interrupted(kernel, task, action)
            interrupted = False
        _setup_frame(kernel, task, sig, info, action)
    # Woken by a signal that ended up running no handler: the syscall's pc is still rewound, so it restarts.


def _finish_interrupted(kernel: "Kernel", task: Task, action: SigAction) -> None:
    """A handler runs while the task was asleep in a syscall whose pc is rewound onto the syscall instruction:
    keep it that way to restart it (SA_RESTART, restartable calls), or make the syscall return -EINTR."""
    if task.restartable and action.flags & SA_RESTART and task.on_interrupt is None:
        return                              # (a call with progress to report returns it, as Linux's do)
    cpu, arch = kernel.cpu, task.arch
    try:
        result = task.on_interrupt() if task.on_interrupt is not None else -errno.EINTR
    except KernelError as err:
        result = -err.errno
    cpu.write("pc", cpu.read("pc") + arch.syscall_insn_size)
    cpu.write(arch.return_register, result)
    task.restart_data = None
    task.on_interrupt = None


def _setup_frame(kernel: "Kernel", task: Task, sig: int, info: bytes, action: SigAction) -> None:
    if not rseq.abort_critical_section(kernel, task):   # the handler must not run inside a critical section
        kernel.rseq_fault(task)
        return
    cpu, arch, mm = kernel.cpu, task.arch, task.mm
    layout = arch.signal_frame
    regs = dict(zip(layout.saved_registers, cpu.read_many(layout.saved_registers)))
    sp = regs["sp"]
    on_alt = task.altstack_size and task.altstack_sp <= sp < task.altstack_sp + task.altstack_size
    if action.flags & SA_ONSTACK and task.altstack_size and not on_alt and not task.altstack_flags & SS_DISABLE:
        sp = task.altstack_sp + task.altstack_size
    stack = (task.altstack_sp, SS_ONSTACK if on_alt else (task.altstack_flags or (0 if task.altstack_size else SS_DISABLE)),
             task.altstack_size)
    old_mask = task.saved_sigmask if task.saved_sigmask is not None else task.sigmask
    task.saved_sigmask = None
    restorer = action.restorer if action.flags & SA_RESTORER else mm.sigreturn_trampoline
    if not restorer:
        kernel.log(f"pid {task.group.pid}: signal {sig} handler without a restorer; killing it")
        kernel.exit_group(task.group, SIGSEGV)
        return
    frame_addr, frame, new_regs = layout.build(regs, sp, sig, info, old_mask, stack, action.handler, restorer)
    try:
        copy_to_user(mm, frame_addr, frame)
    except KernelError:
        kernel.log(f"pid {task.group.pid}: cannot write the frame for signal {sig}; killing it with SIGSEGV")
        kernel.exit_group(task.group, SIGSEGV)
        return
    cpu.write_many(new_regs)
    task.sigmask |= action.mask
    if not action.flags & SA_NODEFER:
        task.sigmask |= bit(sig)
    task.sigmask &= ~UNBLOCKABLE
    if action.flags & SA_RESETHAND:
        task.group.sigactions[sig] = SigAction()


def sigreturn(kernel: "Kernel", task: Task) -> None:
    """rt_sigreturn: restore the registers and signal mask saved by `_setup_frame`."""
    cpu, layout = kernel.cpu, task.arch.signal_frame
    sp = cpu.read("sp")
    addr = layout.frame_address_at_return(sp)
    try:
        frame = copy_from_user(task.mm, addr, layout.size)
    except KernelError:
        kernel.exit_group(task.group, SIGSEGV)
        return
    regs, mask = layout.parse(frame)
    cpu.write_many(regs)
    task.sigmask = mask & ~UNBLOCKABLE
