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
from pynix.task import exit as task_exit, ptrace, rseq
from pynix.task.pid_namespace import group_pid
from pynix.task.task import SigAction, Task, TaskState, ThreadGroup
# the signal ABI (re-exported: this module is where the kernel's signal code lives)
from pynix.uapi.signal import (CLD_CONTINUED, CLD_DUMPED, CLD_EXITED, CLD_KILLED, CLD_STOPPED, MINSIGSTKSZ, NSIG,
                               SA_NOCLDSTOP, SA_NOCLDWAIT, SA_NODEFER, SA_ONSTACK, SA_RESETHAND, SA_RESTART,
                               SA_RESTORER, SA_SIGINFO, SIGABRT, SIGALRM, SIGBUS, SIGCHLD, SIGCONT, SIGFPE, SIGHUP,
                               SIGILL, SIGINT, SIGIO, SIGKILL, SIGPIPE, SIGPROF, SIGPWR, SIGQUIT, SIGRTMIN, SIGSEGV,
                               SIGSTKFLT, SIGSTOP, SIGSYS, SIGTERM, SIGTRAP, SIGTSTP, SIGTTIN, SIGTTOU, SIGURG,
                               SIGUSR1, SIGUSR2, SIGVTALRM, SIGWINCH, SIGXCPU, SIGXFSZ, SIG_DFL, SIG_IGN, SI_KERNEL,
                               SI_QUEUE, SI_TIMER, SI_TKILL, SI_USER, SS_AUTODISARM, SS_DISABLE,  # noqa: F401
                               SS_ONSTACK)

if TYPE_CHECKING:
    from pynix.kernel import Kernel


_IGNORE = {SIGCHLD, SIGCONT, SIGURG, SIGWINCH}
_STOP = {SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU}
_CORE = {SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGSEGV, SIGXCPU, SIGXFSZ, SIGSYS}
UNBLOCKABLE = (1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1))
RLIMIT_CORE = 4
WCOREFLAG = 0x80
MIN_COREDUMP = 4096                                 # binfmt_elf's min_coredump (ELF_EXEC_PAGESIZE)


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


def death_status(group: ThreadGroup, sig: int) -> int:
    """The wait status of `group` killed by `sig`: a core-action signal sets the core-dump bit (WCOREDUMP) when
    Linux's do_coredump would write a core for a core_pattern of "core": the process is dumpable
    (PR_SET_DUMPABLE) and RLIMIT_CORE allows at least a page.  pynix writes no core file."""
    if sig in _CORE and group.dumpable and group.rlimits[RLIMIT_CORE][0] >= MIN_COREDUMP:
        return sig | WCOREFLAG
    return sig


def is_ignored(group: ThreadGroup, sig: int) -> bool:
    a = _action(group, sig)
    return a.handler == SIG_IGN or (a.handler == SIG_DFL and default_ignored(sig))


# ----------------------------------------------------------------------------------------------- sending
def send_sigpipe(task: Task) -> None:
    """SIGPIPE to a writer that found no reader (pipe_write's and the sockets' `send_sig(SIGPIPE, current, 0)`),
    sent before the write returns EPIPE or its partial count."""
    send_signal(task.kernel, task.group, SIGPIPE, siginfo(SIGPIPE, SI_USER, pid=task.group.pid,
                                                          uid=task.group.creds.uid), thread=task)


def send_signal(kernel: "Kernel", group: ThreadGroup, sig: int, info: bytes | DeferredInfo,
                thread: Task | None = None) -> None:
    """Generate `sig` for process `group` (or only for `thread`).  init (task/init.py) drops every signal, as
    Linux's init with no handlers does (SIGNAL_UNKILLABLE)."""
    if sig == 0 or group.exit_status is not None or group is kernel.init:
        return
    if sig == SIGKILL:
        task_exit.exit_group(kernel, group, SIGKILL)
        return
    if sig == SIGCONT:
        continue_group(kernel, group)
        ptrace.sigcont(kernel, group)
    if sig in _STOP:                               # a stop signal cancels a pending SIGCONT, and vice versa
        _discard(group, thread, SIGCONT)
    elif sig == SIGCONT:
        for s in _STOP:
            _discard(group, thread, s)
    targets = [thread] if thread is not None else group.live_tasks
    # A blocked signal, and any signal to a traced process (which takes it through its tracer's signal-delivery
    # stop), is queued: not dropped or acted on at generation (Linux's sig_ignored and complete_signal).
    queued = all(t.sigmask & bit(sig) for t in targets) or any(t.ptrace is not None for t in targets)
    if is_ignored(group, sig) and not queued and not any(t.sigwait & bit(sig) for t in targets):
        if kernel.tracer is not None and targets:
            kernel.tracer.signal_generate(targets[0], sig, info, "ignored")
        return
    action = _action(group, sig)
    if action.handler == SIG_DFL and not queued and not any(t.sigwait & bit(sig) for t in targets):
        if sig in _STOP:
            stop_group(kernel, group, sig)
            return
        if not default_ignored(sig):               # fatal: the whole process dies now
            if kernel.tracer is not None and targets:
                kernel.tracer.signal_generate(targets[0], sig, info, "fatal")
            task_exit.kill_group(kernel, group, sig)
            return
    queue = thread.pending if thread is not None else group.shared_pending
    if sig < SIGRTMIN and sig in queue:
        return                                     # standard signals do not queue
    queue.setdefault(sig, []).append(info)
    group.signalfd_wait.wake_all()
    _wake_one(kernel, group, sig, thread)


def force_sig_info(kernel: "Kernel", task: Task, sig: int, info: bytes, fatal: bool = False) -> None:
    """A signal the kernel raises on `task` for what it just did (Linux's force_sig_info_to_task: a seccomp
    trap or kill): if the thread blocks it or the process ignores it -- or it must be `fatal` (HANDLER_EXIT) --
    its action goes back to SIG_DFL and it is unblocked, so that it cannot be escaped."""
    action = _action(task.group, sig)
    if fatal or action.handler == SIG_IGN or task.sigmask & bit(sig):
        task.group.sigactions[sig] = SigAction(SIG_DFL, action.flags, action.restorer, action.mask)
        task.sigmask &= ~bit(sig)
    send_signal(kernel, task.group, sig, info, thread=task)


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
        else:
            kernel.kick(t)                         # SMP: it may be running on another CPU
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
        kernel.kick(t)                             # SMP: it may be running on another CPU
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
                    siginfo(SIGCHLD, code, pid=group_pid(group).nr_in(group_pid(parent).ns), uid=group.creds.uid,
                            status=status))


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
    if not interrupted and task.restart_data is not None and task.ptrace is None:
        # Woken to complete a call that kept state for its re-run (a deadline, a futex waiter): the signals wait
        # for its end, as Linux delivers them on the way out of the syscall (the dispatcher stops the CPU then).
        # A handler run first would see that state as its own syscalls' (a write took epoll_wait's deadline
        # for the bytes it had already written).
        return
    if task.ptrace is not None and (ptrace.pending_trap(kernel, task)
                                    or ptrace.interrupted_syscall(kernel, task, interrupted)):
        task.interrupted = interrupted                 # (for when the tracer resumes it)
        return
    while group.exit_status is None and not group.stopped:
        taken = dequeue(task, ~(task.sigmask | task.sigwait) & ((1 << NSIG) - 1))
        if taken is None:
            break
        sig, info = taken
        if kernel.tracer is not None:
            kernel.tracer.signal_deliver(task, sig, info)
        if task.ptrace is not None and ptrace.signal_stop(kernel, task, sig, info):
            task.interrupted = interrupted             # the tracer decides; the rest waits for its resume
            return
        action = _action(group, sig)
        if action.handler == SIG_IGN or (action.handler == SIG_DFL and default_ignored(sig)):
            continue
        if action.handler == SIG_DFL:
            if sig in _STOP and task.ptrace is not None:
                ptrace.group_stop(kernel, task, sig)
                return
            if sig in _STOP:
                stop_group(kernel, group, sig)
            elif task.ptrace is None or not ptrace.fatal_signal_exit_stop(kernel, task, sig, info,
                                                                           death_status(group, sig)):
                task_exit.kill_group(kernel, group, sig)
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
        rseq.rseq_fault(kernel, task)
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
    restorer = action.restorer if action.flags & SA_RESTORER else mm.sigreturn_trampoline
    if not restorer:
        kernel.log(f"pid {task.group.pid}: signal {sig} handler without a restorer; killing it")
        task_exit.kill_group(kernel, task.group, SIGSEGV)
        return
    frame_addr, frame, new_regs = layout.build(regs, sp, sig, info, old_mask, stack, action.handler, restorer)
    if on_alt and frame_addr < task.altstack_sp:   # the frame would overflow the alternate stack (get_sigframe)
        force_sigsegv(kernel, task, sig)
        return
    try:
        copy_to_user(mm, frame_addr, frame)
    except KernelError:
        force_sigsegv(kernel, task, sig)
        return
    task.saved_sigmask = None
    cpu.write_many(new_regs)
    if sp != regs["sp"] and task.altstack_flags & SS_AUTODISARM:   # switched to the alternate stack: disarm it
        task.altstack_sp, task.altstack_size, task.altstack_flags = 0, 0, SS_DISABLE
    task.sigmask |= action.mask
    if not action.flags & SA_NODEFER:
        task.sigmask |= bit(sig)
    task.sigmask &= ~UNBLOCKABLE
    if action.flags & SA_RESETHAND:               # SA_ONESHOT: only the handler is reset; flags and mask stay
        task.group.sigactions[sig] = SigAction(SIG_DFL, action.flags, action.restorer, action.mask)


def force_sigsegv(kernel: "Kernel", task: Task, sig: int) -> None:
    """The frame for `sig` cannot be written (Linux's signal_setup_done on failure): for SIGSEGV itself the
    process dies; otherwise SIGSEGV is forced on the thread -- unblocked, and reset to SIG_DFL if it was blocked
    or ignored (force_sig_info_to_task) -- so a SIGSEGV handler runs, on the stack its own flags choose."""
    if sig == SIGSEGV:
        task_exit.kill_group(kernel, task.group, SIGSEGV)
        return
    action = _action(task.group, SIGSEGV)
    if action.handler == SIG_IGN or task.sigmask & bit(SIGSEGV):
        task.group.sigactions[SIGSEGV] = SigAction(SIG_DFL, action.flags, action.restorer, action.mask)
        task.sigmask &= ~bit(SIGSEGV)
    if SIGSEGV not in task.pending:
        task.pending[SIGSEGV] = [siginfo(SIGSEGV, SI_KERNEL)]


def sigreturn(kernel: "Kernel", task: Task) -> None:
    """rt_sigreturn: restore the registers and signal mask saved by `_setup_frame`."""
    cpu, layout = kernel.cpu, task.arch.signal_frame
    sp = cpu.read("sp")
    addr = layout.frame_address_at_return(sp)
    try:
        frame = copy_from_user(task.mm, addr, layout.size)
    except KernelError:
        task_exit.kill_group(kernel, task.group, SIGSEGV)
        return
    regs, mask = layout.parse(frame)
    cpu.write_many(regs)
    task.sigmask = mask & ~UNBLOCKABLE
