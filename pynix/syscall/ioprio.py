"""ioprio_get, ioprio_set (Linux's block/ioprio.c): the I/O scheduling class and level of tasks.

Kept per thread in an io_context (created by the first ioprio_set, shared with CLONE_IO children, copied to
others) and reported back as Linux 6.x reports it: a task that never set one has IOPRIO_CLASS_NONE.  pynix has
no I/O scheduler (every request completes at once), so the priority orders nothing."""
from __future__ import annotations

import errno

from pynix.errors import KernelError
from pynix.syscall.registry import s32, syscall
from pynix.task.capability import capable
from pynix.task.task import IoContext, Task
from pynix.uapi.capability import CAP_SYS_ADMIN, CAP_SYS_NICE

IOPRIO_CLASS_NONE, IOPRIO_CLASS_RT, IOPRIO_CLASS_BE, IOPRIO_CLASS_IDLE = 0, 1, 2, 3
IOPRIO_CLASS_SHIFT, IOPRIO_NR_LEVELS = 13, 8
IOPRIO_WHO_PROCESS, IOPRIO_WHO_PGRP, IOPRIO_WHO_USER = 1, 2, 3
IOPRIO_DEFAULT = IOPRIO_CLASS_NONE << IOPRIO_CLASS_SHIFT


def _targets(task: Task, which: int, who: int) -> list[Task]:
    """The threads `which`/`who` name (a thread; every thread of a process group; of a user): ESRCH if none."""
    kernel = task.kernel
    if which == IOPRIO_WHO_PROCESS:
        found = [task] if who == 0 else [t for t in (kernel.tasks.get(who),) if t is not None]
    elif which == IOPRIO_WHO_PGRP:
        pgid = who or task.group.pgid
        found = [t for g in kernel.groups.values() if g.pgid == pgid and g.exit_status is None for t in g.live_tasks]
    elif which == IOPRIO_WHO_USER:
        uid = who or task.group.creds.uid
        found = [t for g in kernel.groups.values() if g.creds.uid == uid and g.exit_status is None
                 for t in g.live_tasks]
    else:
        raise KernelError(errno.EINVAL)
    if not found:
        raise KernelError(errno.ESRCH)
    return found


def _effective(target: Task) -> int:
    """get_task_ioprio: what ioprio_set stored, IOPRIO_DEFAULT (class NONE) without an io_context.  (Linux
    before 6.x reported a class NONE task's nice-derived best-effort level instead.)"""
    return target.io_context.ioprio if target.io_context is not None else IOPRIO_DEFAULT


@syscall
def sys_ioprio_get(task: Task, which: int, who: int) -> int:
    """The best (lowest) effective priority among the targets."""
    return min(_effective(t) for t in _targets(task, s32(which), s32(who)))


@syscall
def sys_ioprio_set(task: Task, which: int, who: int, ioprio: int) -> int:
    """ioprio_check_cap: EINVAL for an unknown class or a level with IOPRIO_CLASS_NONE, EPERM for the real-time
    class without privilege; then EPERM for a task of another user."""
    ioprio = s32(ioprio)
    klass, level = (ioprio >> IOPRIO_CLASS_SHIFT) & 7, ioprio & (IOPRIO_NR_LEVELS - 1)
    creds = task.group.creds
    if klass > IOPRIO_CLASS_IDLE or klass == IOPRIO_CLASS_NONE and level:
        raise KernelError(errno.EINVAL)
    if klass == IOPRIO_CLASS_RT and not (capable(task, CAP_SYS_NICE) or capable(task, CAP_SYS_ADMIN)):
        raise KernelError(errno.EPERM)
    for target in _targets(task, s32(which), s32(who)):
        owner = target.group.creds
        if owner.uid not in (creds.euid, creds.uid) and not capable(task, CAP_SYS_NICE):
            raise KernelError(errno.EPERM)
        if target.io_context is None:
            target.io_context = IoContext(ioprio)
        else:
            target.io_context.ioprio = ioprio
    return 0
