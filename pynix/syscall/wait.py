"""wait4 and waitid: collect the status of exited children (stopped/continued ones arrive with signals)."""
from __future__ import annotations

import errno
import struct

from pynix.errors import KernelError
from pynix.mm.uaccess import copy_to_user
from pynix.syscall.registry import s32, syscall
from pynix.task.task import Task, ThreadGroup
from pynix.task.wait import Block

WNOHANG, WUNTRACED, WEXITED, WCONTINUED, WNOWAIT = 1, 2, 4, 8, 0x01000000
__WNOTHREAD, __WALL, __WCLONE = 0x20000000, 0x40000000, 0x80000000
P_ALL, P_PID, P_PGID = 0, 1, 2
SIGCHLD = 17
CLD_EXITED, CLD_KILLED, CLD_DUMPED = 1, 2, 3


def _matching(task: Task, match) -> list[ThreadGroup]:
    children = [c for c in task.group.children if match(c)]
    if not children:
        raise KernelError(errno.ECHILD)
    return children


def rusage_bytes(utime_ns: int, stime_ns: int) -> bytes:
    """struct rusage: two timevals, then 14 longs (only the times are kept)."""
    return struct.pack("<qqqq14q", utime_ns // 10**9, utime_ns % 10**9 // 1000,
                       stime_ns // 10**9, stime_ns % 10**9 // 1000, *([0] * 14))


@syscall
def sys_wait4(task: Task, pid: int, wstatus: int, options: int, rusage: int) -> int:
    pid, options = s32(pid), options & 0xFFFFFFFF
    if options & ~(WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD | __WALL | __WCLONE):
        raise KernelError(errno.EINVAL)
    if pid > 0:
        match = lambda c: c.pid == pid                                       # noqa: E731
    elif pid == 0:
        match = lambda c: c.pgid == task.group.pgid                          # noqa: E731
    elif pid == -1:
        match = lambda c: True                                               # noqa: E731
    else:
        match = lambda c: c.pgid == -pid                                     # noqa: E731
    for child in _matching(task, match):
        report = child.wait_report
        if child.exit_status is None and report is not None and (
                (report & 0xFF == 0x7F and options & WUNTRACED) or (report == 0xFFFF and options & WCONTINUED)):
            child.wait_report = None               # a stop or continue is reported once
            if wstatus:
                copy_to_user(task.mm, wstatus, report.to_bytes(4, "little"))
            return child.pid
        if child.exit_status is None:
            continue
        if wstatus:
            copy_to_user(task.mm, wstatus, child.exit_status.to_bytes(4, "little"))
        if rusage:
            copy_to_user(task.mm, rusage, rusage_bytes(child.utime_ns, child.stime_ns))
        task.kernel.reap(child)
        return child.pid
    if options & WNOHANG:
        return 0
    raise Block(task.group.child_exit)


@syscall
def sys_waitid(task: Task, idtype: int, id_: int, infop: int, options: int, rusage: int) -> int:
    idtype, id_, options = s32(idtype), s32(id_), options & 0xFFFFFFFF
    if options & ~(WNOHANG | WUNTRACED | WEXITED | WCONTINUED | WNOWAIT | __WNOTHREAD | __WALL | __WCLONE) \
            or not options & (WEXITED | WUNTRACED | WCONTINUED):
        raise KernelError(errno.EINVAL)
    if idtype == P_ALL:
        match = lambda c: True                                               # noqa: E731
    elif idtype == P_PID:
        match = lambda c: c.pid == id_                                       # noqa: E731
    elif idtype == P_PGID:
        pgid = id_ or task.group.pgid
        match = lambda c: c.pgid == pgid                                     # noqa: E731
    else:
        raise KernelError(errno.EINVAL)
    children = _matching(task, match)
    if options & WEXITED:
        for child in children:
            if child.exit_status is None:
                continue
            status = child.exit_status
            code, value = (CLD_EXITED, status >> 8) if not status & 0x7F else \
                          (CLD_DUMPED if status & 0x80 else CLD_KILLED, status & 0x7F)
            if infop:
                info = struct.pack("<iiiiiIiiqq", SIGCHLD, 0, code, 0, child.pid, child.creds.uid, value, 0,
                                   child.utime_ns // 10**7, child.stime_ns // 10**7)
                copy_to_user(task.mm, infop, info.ljust(128, b"\0"))
            if rusage:
                copy_to_user(task.mm, rusage, rusage_bytes(child.utime_ns, child.stime_ns))
            if not options & WNOWAIT:
                task.kernel.reap(child)
            return 0
    if options & WNOHANG:
        if infop:
            copy_to_user(task.mm, infop, bytes(128))
        return 0
    raise Block(task.group.child_exit)
