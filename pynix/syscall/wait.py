"""wait4 and waitid: collect the status of exited children, and the stops and continues of the others
(WUNTRACED/WSTOPPED, WCONTINUED: task/signal.py's stop_group/continue_group leave `wait_report`), and the ptrace
stops and exits of the caller's tracees (task/ptrace.py), whether or not they are its children.  WNOWAIT
(waitid) leaves what it reports to be collected again; waitid's P_PIDFD names the child by a pidfd."""
from __future__ import annotations

import errno
import struct

from pynix.errors import KernelError
from pynix.mm.uaccess import copy_to_user
from pynix.sync.wait import Block
from pynix.syscall.pidfd import pidfd_of
from pynix.syscall.registry import s32, syscall
from pynix.task import ptrace
from pynix.task.exit import reap
from pynix.task.pid_namespace import kernel_id, pid_vnr
from pynix.task.task import Task, ThreadGroup
from pynix.uapi.signal import CLD_CONTINUED, CLD_DUMPED, CLD_EXITED, CLD_KILLED, CLD_STOPPED, SIGCHLD, SIGCONT

WNOHANG, WUNTRACED, WEXITED, WCONTINUED, WNOWAIT = 1, 2, 4, 8, 0x01000000
WSTOPPED = WUNTRACED
__WNOTHREAD, __WALL, __WCLONE = 0x20000000, 0x40000000, 0x80000000
P_ALL, P_PID, P_PGID, P_PIDFD = 0, 1, 2, 3


def _matching(task: Task, match, task_match) -> list[ThreadGroup]:
    """The children `match` accepts (a traced child whose tracer has not collected its exit yet looks alive);
    ECHILD if neither they nor tracees `task_match` accepts exist."""
    children = [c for c in task.group.children if match(c)]
    if not children and not any(task_match(t) for t in task.group.ptraced):
        raise KernelError(errno.ECHILD)
    return [c for c in children if not c.exit_notify_pending]


def _traced_report(task: Task, task_match, options: int) -> tuple[Task, int, bool] | None:
    """A stop or exit of a tracee of the caller to report (task/ptrace.py), taken unless WNOWAIT."""
    found = ptrace.wait_report(task.group, task_match, options, bool(options & (__WALL | __WCLONE)))
    if found is not None and not options & WNOWAIT:
        ptrace.collect(task.kernel, found[0], found[2])
    return found


def rusage_bytes(utime_ns: int, stime_ns: int, min_flt: int = 0, maj_flt: int = 0) -> bytes:
    """struct rusage: two timevals, then 14 longs, of which pynix keeps ru_minflt and ru_majflt (the 5th and
    6th); the others (maxrss, block I/O, context switches...) are 0."""
    return struct.pack("<qqqq14q", utime_ns // 10**9, utime_ns % 10**9 // 1000,
                       stime_ns // 10**9, stime_ns % 10**9 // 1000, 0, 0, 0, 0, min_flt, maj_flt, *([0] * 8))


def _rusage_both(group: ThreadGroup) -> bytes:
    """What wait4 and waitid report of a child: its usage and its reaped children's (RUSAGE_BOTH)."""
    utime, stime = group.cpu_time_ns()
    min_flt, maj_flt = group.fault_counts()
    return rusage_bytes(utime + group.children_utime_ns, stime + group.children_stime_ns,
                        min_flt + group.cmin_flt, maj_flt + group.cmaj_flt)


def _stop_report(child: ThreadGroup, options: int) -> int | None:
    """The stop (WUNTRACED/WSTOPPED) or continue (WCONTINUED) wait status `child` has to report, if `options`
    ask for it.  Linux keeps one such event per child: a continue replaces an unreported stop."""
    report = child.wait_report
    if child.exit_status is not None or report is None:
        return None
    if (report & 0xFF == 0x7F and options & WUNTRACED) or (report == 0xFFFF and options & WCONTINUED):
        return report
    return None


@syscall
def sys_wait4(task: Task, pid: int, wstatus: int, options: int, rusage: int) -> int:
    pid, options = s32(pid), options & 0xFFFFFFFF
    if options & ~(WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD | __WALL | __WCLONE):
        raise KernelError(errno.EINVAL)
    pid = kernel_id(task, pid) if pid > 0 else -kernel_id(task, -pid) if pid < -1 else pid
    if pid > 0:
        match = lambda c: c.pid == pid                                       # noqa: E731
    elif pid == 0:
        match = lambda c: c.pgid == task.group.pgid                          # noqa: E731
    elif pid == -1:
        match = lambda c: True                                               # noqa: E731
    else:
        match = lambda c: c.pgid == -pid                                     # noqa: E731
    task_match = (lambda t: t.tid == pid) if pid > 0 else (lambda t: match(t.group))     # noqa: E731
    children = _matching(task, match, task_match)
    traced = _traced_report(task, task_match, options)
    if traced is not None:
        tracee, status, _exited = traced
        if wstatus:
            copy_to_user(task.mm, wstatus, status.to_bytes(4, "little"))
        if rusage:
            copy_to_user(task.mm, rusage, _rusage_both(tracee.group))
        return tracee.tid
    for child in children:
        report = _stop_report(child, options)
        if report is None and child.exit_status is None:
            continue
        number = pid_vnr(task, child.pid)          # (before the reap releases its pid)
        if wstatus:
            copy_to_user(task.mm, wstatus, (report if report is not None else child.exit_status).to_bytes(4, "little"))
        if rusage:
            copy_to_user(task.mm, rusage, _rusage_both(child))
        if report is not None:
            child.wait_report = None               # a stop or continue is reported once
        else:
            reap(task.kernel, child)
        return number
    if options & WNOHANG:
        return 0
    raise Block(task.group.child_exit)


def _put_waitid_info(task: Task, infop: int, code: int, pid: int, uid: int, status: int) -> None:
    """The siginfo fields waitid fills in (si_signo, si_errno, si_code, si_pid, si_uid, si_status); Linux leaves
    the rest of the caller's buffer alone.  All zero: nothing to report (WNOHANG)."""
    if infop:
        copy_to_user(task.mm, infop, struct.pack("<iii", SIGCHLD if pid else 0, 0, code))
        copy_to_user(task.mm, infop + 16, struct.pack("<iIi", pid, uid, status))


@syscall
def sys_waitid(task: Task, idtype: int, id_: int, infop: int, options: int, rusage: int) -> int:
    idtype, id_, options = s32(idtype), s32(id_), options & 0xFFFFFFFF
    if options & ~(WNOHANG | WSTOPPED | WEXITED | WCONTINUED | WNOWAIT | __WNOTHREAD | __WALL | __WCLONE) \
            or not options & (WEXITED | WSTOPPED | WCONTINUED):
        raise KernelError(errno.EINVAL)
    nonblocking = False
    if idtype in (P_PID, P_PGID) and id_ > 0:
        id_ = kernel_id(task, id_)
    if idtype == P_ALL:
        match = lambda c: True                                               # noqa: E731
    elif idtype == P_PID:
        match = lambda c: c.pid == id_                                       # noqa: E731
    elif idtype == P_PGID:
        pgid = id_ or task.group.pgid
        match = lambda c: c.pgid == pgid                                     # noqa: E731
    elif idtype == P_PIDFD:
        if id_ < 0:
            raise KernelError(errno.EINVAL)
        pidfd = pidfd_of(task, id_)
        match = lambda c: c is pidfd.group                                   # noqa: E731
        nonblocking = pidfd.nonblocking           # a PIDFD_NONBLOCK pidfd: EAGAIN instead of sleeping
    else:
        raise KernelError(errno.EINVAL)
    task_match = (lambda t: t.tid == id_) if idtype == P_PID else \
        (lambda t: t.tid == t.group.pid and match(t.group))                  # noqa: E731
    children = _matching(task, match, task_match)
    traced = _traced_report(task, task_match, options)
    if traced is not None:
        tracee, status, exited = traced
        if exited:
            code, value = (CLD_EXITED, status >> 8) if not status & 0x7F else \
                          (CLD_DUMPED if status & 0x80 else CLD_KILLED, status & 0x7F)
        else:
            code, value = ptrace.CLD_TRAPPED, status >> 8
        _put_waitid_info(task, infop, code, tracee.tid, tracee.group.creds.uid, value)
        if rusage:
            copy_to_user(task.mm, rusage, _rusage_both(tracee.group))
        return 0
    for child in children:
        report = _stop_report(child, options)
        if report is not None:
            code, value = (CLD_CONTINUED, SIGCONT) if report == 0xFFFF else (CLD_STOPPED, report >> 8)
        elif child.exit_status is not None and options & WEXITED:
            status = child.exit_status
            code, value = (CLD_EXITED, status >> 8) if not status & 0x7F else \
                          (CLD_DUMPED if status & 0x80 else CLD_KILLED, status & 0x7F)
        else:
            continue
        _put_waitid_info(task, infop, code, pid_vnr(task, child.pid), child.creds.uid, value)
        if rusage:
            copy_to_user(task.mm, rusage, _rusage_both(child))
        if not options & WNOWAIT:
            if report is not None:
                child.wait_report = None
            else:
                reap(task.kernel, child)
        return 0
    if options & WNOHANG:
        _put_waitid_info(task, infop, 0, 0, 0, 0)
        return 0
    if nonblocking:
        raise KernelError(errno.EAGAIN)
    raise Block(task.group.child_exit)
