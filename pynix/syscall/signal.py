"""Signal syscalls: rt_sigaction, rt_sigprocmask, rt_sigreturn, rt_sigpending, rt_sigsuspend, pause,
rt_sigtimedwait, sigaltstack, kill, tkill, tgkill, rt_sigqueueinfo, rt_tgsigqueueinfo, alarm, setitimer,
getitimer.  Generation and delivery live in task/signal.py; the interval timers (ITIMER_REAL on CLOCK_MONOTONIC,
ITIMER_VIRTUAL/ITIMER_PROF on the process's accounted CPU time) are task/timer.py's IntervalTimer."""
from __future__ import annotations

import errno
import struct
import time
from typing import Callable

from pynix.errors import KernelError
from pynix.mm.uaccess import copy_from_user, copy_to_user, read_u64, write_u64
from pynix.sync.wait import Block
from pynix.syscall.registry import NO_RETURN, s32, syscall
from pynix.task import signal as sig_mod
from pynix.task.capability import capable
from pynix.task.pid_namespace import find_vpid, kernel_id, pid_vnr, signal_unkillable
from pynix.task.signal import UNBLOCKABLE, has_deliverable, send_signal, siginfo
from pynix.task.task import SigAction, Task, ThreadGroup
from pynix.task.timer import TICK_NSEC, IntervalTimer
from pynix.uapi.capability import CAP_KILL
from pynix.uapi.signal import (MINSIGSTKSZ, NSIG, SIGALRM, SIGKILL, SIGPROF, SIGSTOP, SIGVTALRM, SI_KERNEL, SI_TKILL,
                               SI_USER, SS_AUTODISARM, SS_DISABLE, SS_ONSTACK)

SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK = 0, 1, 2
SIGSET_SIZE = 8
ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF = 0, 1, 2
NSEC = 1_000_000_000


def _deliver_soon(task: Task) -> None:
    """A signal became deliverable to the running task: leave the emulator after this syscall to deliver it."""
    if has_deliverable(task):
        task.kernel.cpu.stop()


def with_sigmask(task: Task, sigmask: int, sigsetsize: int, wait: Callable[[], int]) -> int:
    """Run `wait` under the temporary signal mask at user address `sigmask` (if any), as epoll_pwait, ppoll and
    pselect6 do (Linux's set_user_sigmask): the mask stays in force while the call sleeps; a handler that
    interrupts it runs with that mask and its frame restores the caller's (restore_saved_sigmask_unless(EINTR));
    any other end of the call restores the caller's mask at once."""
    if sigmask and task.saved_sigmask is None:           # first run (a re-run after a wake-up keeps the mask)
        if sigsetsize != SIGSET_SIZE:
            raise KernelError(errno.EINVAL)
        mask = read_u64(task.mm, sigmask)
        task.saved_sigmask, task.sigmask = task.sigmask, mask & ~UNBLOCKABLE
        if has_deliverable(task):                        # a signal the new mask lets through is already pending:
            _deliver_soon(task)                          # EINTR at once, its handler run under the temporary mask
            raise KernelError(errno.EINTR)
    try:
        result = wait()
    except Block:
        raise                                            # sleeping: the temporary mask stays
    except KernelError:
        _restore_sigmask(task, sigmask)
        raise
    _restore_sigmask(task, sigmask)
    return result


def _restore_sigmask(task: Task, sigmask: int) -> None:
    if sigmask and task.saved_sigmask is not None:
        task.sigmask, task.saved_sigmask = task.saved_sigmask, None
        _deliver_soon(task)                              # a signal the temporary mask held back may be due


@syscall
def sys_rt_sigaction(task: Task, sig: int, act: int, oldact: int, sigsetsize: int) -> int:
    sig = s32(sig)
    if sigsetsize != SIGSET_SIZE or not 1 <= sig <= NSIG or (act and sig in (SIGKILL, SIGSTOP)):
        raise KernelError(errno.EINVAL)
    # Kernel struct sigaction: handler, flags, [restorer,] mask -- sa_restorer exists only on some ISAs.
    fmt = "<QQQQ" if task.arch.sigaction_has_restorer else "<QQQ"
    size = struct.calcsize(fmt)
    new = None
    if act:
        handler, flags, *rest = struct.unpack(fmt, copy_from_user(task.mm, act, size))
        restorer, mask = (rest[0], rest[1]) if len(rest) == 2 else (0, rest[0])
        new = SigAction(handler, flags & 0xFFFFFFFF, restorer, mask & ~UNBLOCKABLE)
    if oldact:
        old = task.group.sigactions.get(sig, SigAction())
        values = (old.handler, old.flags, old.restorer, old.mask) if task.arch.sigaction_has_restorer else \
                 (old.handler, old.flags, old.mask)
        copy_to_user(task.mm, oldact, struct.pack(fmt, *values))
    if new is not None:
        task.group.sigactions[sig] = new
        if sig_mod.is_ignored(task.group, sig):   # setting SIG_IGN discards what is pending (POSIX)
            task.group.shared_pending.pop(sig, None)
            for t in task.group.tasks:
                t.pending.pop(sig, None)
    return 0


def _new_mask(task: Task, how: int, value: int) -> int:
    if how == SIG_BLOCK:
        return task.sigmask | value
    if how == SIG_UNBLOCK:
        return task.sigmask & ~value
    if how == SIG_SETMASK:
        return value
    raise KernelError(errno.EINVAL)


@syscall
def sys_rt_sigprocmask(task: Task, how: int, set_: int, oldset: int, sigsetsize: int) -> int:
    if sigsetsize != SIGSET_SIZE:
        raise KernelError(errno.EINVAL)
    new = _new_mask(task, s32(how), read_u64(task.mm, set_)) if set_ else None
    if oldset:
        write_u64(task.mm, oldset, task.sigmask)
    if new is not None:
        task.sigmask = new & ~UNBLOCKABLE
        _deliver_soon(task)
    return 0


@syscall
def sys_rt_sigreturn(task: Task) -> None:
    """Return from a handler: the registers are restored once the CPU has stopped (see Kernel.after_stop)."""
    kernel = task.kernel
    kernel.after_stop(lambda: sig_mod.sigreturn(kernel, task))
    return NO_RETURN


@syscall
def sys_rt_sigpending(task: Task, set_: int, sigsetsize: int) -> int:
    if sigsetsize > SIGSET_SIZE:
        raise KernelError(errno.EINVAL)
    pending = sig_mod.pending_set(task) & task.sigmask
    copy_to_user(task.mm, set_, pending.to_bytes(8, "little")[:sigsetsize])
    return 0


@syscall
def sys_rt_sigsuspend(task: Task, mask: int, sigsetsize: int) -> int:
    """Sleep with a temporary mask until a handler runs; the frame saves (and sigreturn restores) the old
    mask.  Always returns -EINTR."""
    if sigsetsize != SIGSET_SIZE:
        raise KernelError(errno.EINVAL)
    if task.saved_sigmask is None:
        task.saved_sigmask = task.sigmask
        task.sigmask = read_u64(task.mm, mask) & ~UNBLOCKABLE
    raise Block(restartable=False)


@syscall
def sys_pause(task: Task) -> int:
    raise Block(restartable=False)


@syscall
def sys_rt_sigtimedwait(task: Task, set_: int, info: int, timeout: int, sigsetsize: int) -> int:
    if sigsetsize != SIGSET_SIZE:
        raise KernelError(errno.EINVAL)
    wanted = read_u64(task.mm, set_) & ~UNBLOCKABLE
    taken = sig_mod.dequeue(task, wanted)
    if taken is not None:
        task.sigwait = 0
        sig, data = taken
        if info:
            copy_to_user(task.mm, info, data)
        return sig
    deadline = task.restart_data
    if deadline is None and timeout:
        sec, nsec = struct.unpack("<qq", copy_from_user(task.mm, timeout, 16))
        if sec < 0 or not 0 <= nsec < NSEC:
            raise KernelError(errno.EINVAL)
        deadline = time.monotonic_ns() + sec * NSEC + nsec
    if deadline is not None and time.monotonic_ns() >= deadline:
        task.sigwait = 0
        raise KernelError(errno.EAGAIN)
    task.sigwait = wanted                         # while it sleeps, these signals wake it instead of running

    def interrupted() -> int:                     # handlers (task/signal.py deliver_signals leaves them queued)
        task.sigwait = 0
        return -errno.EINTR
    raise Block(deadline=deadline, data=deadline, restartable=False, on_interrupt=interrupted)


@syscall
def sys_sigaltstack(task: Task, ss: int, old_ss: int) -> int:
    sp = task.kernel.cpu.read("sp")
    on_stack = task.altstack_size and task.altstack_sp <= sp < task.altstack_sp + task.altstack_size
    if old_ss:
        flags = SS_ONSTACK if on_stack else (task.altstack_flags if task.altstack_size else SS_DISABLE)
        copy_to_user(task.mm, old_ss, struct.pack("<QiiQ", task.altstack_sp, flags, 0, task.altstack_size))
    if ss:
        ss_sp, flags, _, size = struct.unpack("<QiiQ", copy_from_user(task.mm, ss, 24))
        if on_stack:
            raise KernelError(errno.EPERM)
        mode = flags & ~SS_AUTODISARM
        if mode not in (0, SS_DISABLE, SS_ONSTACK):
            raise KernelError(errno.EINVAL)
        if mode == SS_DISABLE:
            task.altstack_sp, task.altstack_size, task.altstack_flags = 0, 0, SS_DISABLE
        else:
            if size < MINSIGSTKSZ:
                raise KernelError(errno.ENOMEM)
            task.altstack_sp, task.altstack_size, task.altstack_flags = ss_sp, size, flags & SS_AUTODISARM
    return 0


# ------------------------------------------------------------------------------------------------ sending
def _check_sig(sig: int) -> int:
    sig = s32(sig)
    if not 0 <= sig <= NSIG:
        raise KernelError(errno.EINVAL)
    return sig


def _may_signal(sender: Task, target: ThreadGroup) -> bool:
    """kill_ok_by_cred: the sender's real or effective uid is the target's real or saved one, or CAP_KILL."""
    c, t = sender.group.creds, target.creds
    return c.euid in (t.suid, t.uid) or c.uid in (t.suid, t.uid) or capable(sender, CAP_KILL)


def kill_process(task: Task, group: ThreadGroup, sig: int, info: bytes, thread: Task | None = None) -> None:
    """kill(2) of one process (or one `thread` of it): EPERM unless the sender may signal it
    (check_kill_permission), then send."""
    if not _may_signal(task, group):
        raise KernelError(errno.EPERM)
    default = (group.sigactions.get(sig) or SigAction()).handler == sig_mod.SIG_DFL
    if sig and signal_unkillable(task, group, sig, default):
        return                                   # a pid namespace's pid 1 ignores it (SIGNAL_UNKILLABLE)
    send_signal(task.kernel, group, sig, info, thread=thread)


@syscall
def sys_kill(task: Task, pid: int, sig: int) -> int:
    pid, sig = s32(pid), _check_sig(sig)
    info = siginfo(sig, SI_USER, pid=pid_vnr(task, task.group.pid), uid=task.group.creds.uid)
    groups = list(task.kernel.groups.values())     # zombies too: a process until it is reaped (kill succeeds)
    if pid > 0:                                  # a thread id names its process too (find_vpid)
        owner = find_vpid(task, pid)
        targets = [owner.group] if owner is not None else []
    elif pid == 0:
        targets = [g for g in groups if g.pgid == task.group.pgid]
    elif pid == -1:                              # every process the caller's pid namespace shows but its pid 1
        targets = [g for g in groups if g.tasks and pid_vnr(task, g.pid) > 1 and g is not task.group]
    else:
        pgid = kernel_id(task, -pid)
        targets = [g for g in groups if g.pgid == pgid]
    if not targets:
        raise KernelError(errno.ESRCH)
    errors = 0
    for group in targets:
        try:
            kill_process(task, group, sig, info)
        except KernelError:
            errors += 1
    if errors == len(targets):
        raise KernelError(errno.EPERM)
    _deliver_soon(task)
    return 0


def _thread_signal(task: Task, tgid: int | None, tid: int, sig: int, info: bytes) -> int:
    target = find_vpid(task, tid)
    if tid <= 0 or (tgid is not None and tgid <= 0):
        raise KernelError(errno.EINVAL)
    if target is None or (tgid is not None and target.group.pid != kernel_id(task, tgid)):  # (zombies count)
        raise KernelError(errno.ESRCH)
    kill_process(task, target.group, sig, info, thread=target)
    _deliver_soon(task)
    return 0


@syscall
def sys_tkill(task: Task, tid: int, sig: int) -> int:
    sig = _check_sig(sig)
    return _thread_signal(task, None, s32(tid), sig,
                          siginfo(sig, SI_TKILL, pid_vnr(task, task.group.pid), task.group.creds.uid))


@syscall
def sys_tgkill(task: Task, tgid: int, tid: int, sig: int) -> int:
    sig = _check_sig(sig)
    return _thread_signal(task, s32(tgid), s32(tid), sig,
                          siginfo(sig, SI_TKILL, pid_vnr(task, task.group.pid), task.group.creds.uid))


def _queued_info(task: Task, sig: int, uinfo: int, target: int) -> bytes:
    """The siginfo a process queues: it may claim an SI_USER, SI_KERNEL or SI_TKILL origin only for a signal
    to itself (Linux compares the target with the caller's thread id)."""
    data = copy_from_user(task.mm, uinfo, 128)
    (code,) = struct.unpack_from("<i", data, 8)
    if (code >= 0 or code == SI_TKILL) and target != pid_vnr(task, task.tid):
        raise KernelError(errno.EPERM)
    return struct.pack("<i", sig) + data[4:]


def _process_of(task: Task, pid: int) -> ThreadGroup:
    """The process that `pid` names: its own pid or the id of any of its threads (find_vpid); a zombie too,
    until it is reaped."""
    target = find_vpid(task, pid) if pid > 0 else None
    if target is None:
        raise KernelError(errno.ESRCH)
    return target.group


@syscall
def sys_rt_sigqueueinfo(task: Task, pid: int, sig: int, uinfo: int) -> int:
    sig, pid = _check_sig(sig), s32(pid)
    info = _queued_info(task, sig, uinfo, pid)
    kill_process(task, _process_of(task, pid), sig, info)
    _deliver_soon(task)
    return 0


@syscall
def sys_rt_tgsigqueueinfo(task: Task, tgid: int, tid: int, sig: int, uinfo: int) -> int:
    sig = _check_sig(sig)
    return _thread_signal(task, s32(tgid), s32(tid), sig, _queued_info(task, sig, uinfo, s32(tid)))


# ------------------------------------------------------------------------------------------------- timers
_ITIMER_SIGNAL = {ITIMER_REAL: SIGALRM, ITIMER_VIRTUAL: SIGVTALRM, ITIMER_PROF: SIGPROF}


def _itimer(task: Task, which: int) -> IntervalTimer:
    """The process's interval timer `which`: ITIMER_REAL counts CLOCK_MONOTONIC, ITIMER_VIRTUAL the process's
    user CPU time, ITIMER_PROF its user + system time (approximated by the time the scheduler accounts)."""
    group = task.group
    timer = group.itimers.get(which)
    if timer is None:
        if which not in _ITIMER_SIGNAL:
            raise KernelError(errno.EINVAL)
        clock = {ITIMER_REAL: time.monotonic_ns,
                 ITIMER_VIRTUAL: lambda: group.cpu_time_ns()[0],
                 ITIMER_PROF: lambda: sum(group.cpu_time_ns())}[which]
        sig, kernel = _ITIMER_SIGNAL[which], task.kernel

        def expire(periods: int) -> None:      # Linux sends these with SEND_SIG_PRIV: si_code SI_KERNEL
            send_signal(kernel, group, sig, siginfo(sig, SI_KERNEL))
        timer = group.itimers[which] = IntervalTimer(kernel, group, clock, expire,
                                                     recheck_ns=0 if which == ITIMER_REAL else TICK_NSEC)
    return timer


def _itimer_left(task: Task, which: int) -> tuple[int, int]:
    """(time left, interval) in ns; an armed timer whose expiry is being handled reports 1 us, as Linux."""
    timer = _itimer(task, which)
    if timer.expires is None:
        return 0, 0
    return max(timer.remaining(), 1000), timer.interval


@syscall
def sys_alarm(task: Task, seconds: int) -> int:
    left, _ = _itimer_left(task, ITIMER_REAL)
    _itimer(task, ITIMER_REAL).arm((seconds & 0xFFFFFFFF) * NSEC, 0)
    return (left + NSEC // 2) // NSEC if left else 0


def _timeval_pair(values: tuple[int, int]) -> bytes:
    interval, value = values
    return struct.pack("<qqqq", interval // NSEC, interval % NSEC // 1000, value // NSEC, value % NSEC // 1000)


@syscall
def sys_getitimer(task: Task, which: int, curr_value: int) -> int:
    left, interval = _itimer_left(task, s32(which))
    copy_to_user(task.mm, curr_value, _timeval_pair((interval, left)))
    return 0


@syscall
def sys_setitimer(task: Task, which: int, new_value: int, old_value: int) -> int:
    which = s32(which)
    timer = _itimer(task, which)
    new = None
    if new_value:
        isec, iusec, vsec, vusec = struct.unpack("<qqqq", copy_from_user(task.mm, new_value, 32))
        if min(isec, vsec) < 0 or not (0 <= iusec < 1_000_000 and 0 <= vusec < 1_000_000):
            raise KernelError(errno.EINVAL)
        new = (vsec * NSEC + vusec * 1000, isec * NSEC + iusec * 1000)
        if new[0] and which != ITIMER_REAL:      # Linux's set_cpu_itimer adds a tick to a CPU-time expiry
            new = (new[0] + TICK_NSEC, new[1])
    if old_value:
        copy_to_user(task.mm, old_value, _timeval_pair(_itimer_left(task, which)[::-1]))
    if new is not None:
        timer.arm(*new)
    return 0


@syscall
def sys_restart_syscall(task: Task) -> int:
    """Resume an interrupted call from its restart block.  pynix restarts a call by running it again with its
    arguments and never leaves a restart block, so this is EINTR -- what Linux answers when no restart is
    pending (do_no_restart_syscall)."""
    raise KernelError(errno.EINTR)
