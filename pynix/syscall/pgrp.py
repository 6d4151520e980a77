"""Process groups and sessions: setpgid, getpgid, getpgrp, setsid, getsid (job control builds on these)."""
from __future__ import annotations

import errno

from pynix.errors import KernelError
from pynix.syscall.registry import s32, syscall
from pynix.task.pid_namespace import find_vpid, kernel_id, pid_vnr
from pynix.task.task import Task, ThreadGroup


def _group(task: Task, pid: int) -> ThreadGroup:
    pid = s32(pid)
    if pid == 0:
        return task.group
    target = find_vpid(task, pid)                  # a zombie too: its ids answer until it is reaped
    if target is None or pid < 0:
        raise KernelError(errno.ESRCH)
    return target.group


@syscall
def sys_setpgid(task: Task, pid: int, pgid: int) -> int:
    target = _group(task, pid)
    pgid = s32(pgid)
    if pgid < 0:
        raise KernelError(errno.EINVAL)
    pgid = kernel_id(task, pgid) if pgid else target.pid
    if target is not task.group and target.parent is not task.group:
        raise KernelError(errno.ESRCH)
    if target.sid != task.group.sid:
        raise KernelError(errno.EPERM)
    if target.sid == target.pid:                   # a session leader cannot move
        raise KernelError(errno.EPERM)
    if pgid != target.pid and not any(g.pgid == pgid and g.sid == task.group.sid
                                      for g in task.kernel.groups.values()):
        raise KernelError(errno.EPERM)
    target.pgid = pgid
    return 0


@syscall
def sys_getpgid(task: Task, pid: int) -> int:
    return pid_vnr(task, _group(task, pid).pgid)


@syscall
def sys_getpgrp(task: Task) -> int:
    return pid_vnr(task, task.group.pgid)


@syscall
def sys_setsid(task: Task) -> int:
    group = task.group
    if any(g.pgid == group.pid for g in task.kernel.groups.values()):
        raise KernelError(errno.EPERM)             # already a process-group leader
    group.sid = group.pgid = group.pid
    return pid_vnr(task, group.sid)


@syscall
def sys_getsid(task: Task, pid: int) -> int:
    return pid_vnr(task, _group(task, pid).sid)
