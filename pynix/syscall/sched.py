"""Scheduling syscalls: sched_yield, sched_getaffinity/sched_setaffinity, getpriority/setpriority."""
from __future__ import annotations

import errno
import struct

from pynix.errors import KernelError
from pynix.mm.uaccess import copy_from_user, copy_to_user, write_u64
from pynix.syscall.registry import s32, syscall
from pynix.task.sched import TIMESLICE_NS
from pynix.task.task import Task, ThreadGroup

CPUMASK_SIZE = 8                    # one unsigned long: this machine has one CPU
PRIO_PROCESS, PRIO_PGRP, PRIO_USER = 0, 1, 2


@syscall
def sys_sched_yield(task: Task) -> int:
    kernel = task.kernel
    kernel.scheduler.yield_(task)
    if kernel.scheduler.pick_next() is not task:
        kernel.cpu.stop()                          # someone else runs now; we continue when picked again
    return 0


def _thread(task: Task, pid: int) -> Task:
    pid = s32(pid)
    if pid == 0:
        return task
    target = task.kernel.tasks.get(pid)
    if target is None or pid < 0:
        raise KernelError(errno.ESRCH)
    return target


@syscall
def sys_sched_getaffinity(task: Task, pid: int, length: int, mask: int) -> int:
    _thread(task, pid)
    if length < CPUMASK_SIZE or length & 7:
        raise KernelError(errno.EINVAL)
    write_u64(task.mm, mask, 1)                    # CPU 0 only
    return CPUMASK_SIZE


@syscall
def sys_sched_setaffinity(task: Task, pid: int, length: int, mask: int) -> int:
    _thread(task, pid)
    raw = copy_from_user(task.mm, mask, min(length, CPUMASK_SIZE))
    if not raw or not raw[0] & 1:
        raise KernelError(errno.EINVAL)            # the mask must contain an online CPU: CPU 0
    return 0


def _targets(task: Task, which: int, who: int) -> list[ThreadGroup]:
    which, who = s32(which), s32(who)
    groups = task.kernel.groups.values()
    if which == PRIO_PROCESS:
        found = [_thread(task, who).group]
    elif which == PRIO_PGRP:
        pgid = who or task.group.pgid
        found = [g for g in groups if g.pgid == pgid and g.exit_status is None]
    elif which == PRIO_USER:
        uid = who or task.group.creds.uid
        found = [g for g in groups if g.creds.uid == uid and g.exit_status is None]
    else:
        raise KernelError(errno.EINVAL)
    if not found:
        raise KernelError(errno.ESRCH)
    return found


@syscall
def sys_getpriority(task: Task, which: int, who: int) -> int:
    """The raw syscall returns 20 - nice (1..40) so that no success looks like an error; libc converts."""
    return max(20 - g.nice for g in _targets(task, which, who))


@syscall
def sys_setpriority(task: Task, which: int, who: int, niceval: int) -> int:
    nice = min(max(s32(niceval), -20), 19)
    for group in _targets(task, which, who):
        if nice < group.nice and task.group.creds.euid != 0:
            raise KernelError(errno.EACCES)
        group.nice = nice
    return 0


@syscall
def sys_getcpu(task: Task, cpu: int, node: int, cache: int) -> int:
    """The machine has one CPU in one NUMA node: both are 0 (sched_getcpu() reads this)."""
    for addr in (cpu, node):
        if addr:
            copy_to_user(task.mm, addr, (0).to_bytes(4, "little"))
    return 0


# Scheduling policies (include/uapi/linux/sched.h).  Every task here is SCHED_OTHER: the real-time and deadline
# policies exist in the ABI (their priority ranges are answered) but sched_setscheduler is not offered.
SCHED_OTHER, SCHED_FIFO, SCHED_RR, SCHED_BATCH, SCHED_IDLE, SCHED_DEADLINE = 0, 1, 2, 3, 5, 6
_PRIORITY_RANGE = {SCHED_OTHER: (0, 0), SCHED_BATCH: (0, 0), SCHED_IDLE: (0, 0), SCHED_DEADLINE: (0, 0),
                   SCHED_FIFO: (1, 99), SCHED_RR: (1, 99)}


def _priority_range(policy: int) -> tuple[int, int]:
    found = _PRIORITY_RANGE.get(s32(policy))
    if found is None:
        raise KernelError(errno.EINVAL)
    return found


@syscall
def sys_sched_get_priority_max(task: Task, policy: int) -> int:
    return _priority_range(policy)[1]


@syscall
def sys_sched_get_priority_min(task: Task, policy: int) -> int:
    return _priority_range(policy)[0]


@syscall
def sys_sched_getscheduler(task: Task, pid: int) -> int:
    if s32(pid) < 0:
        raise KernelError(errno.EINVAL)
    _thread(task, pid)
    return SCHED_OTHER


@syscall
def sys_sched_getparam(task: Task, pid: int, param: int) -> int:
    if s32(pid) < 0 or not param:
        raise KernelError(errno.EINVAL)
    _thread(task, pid)
    copy_to_user(task.mm, param, (0).to_bytes(4, "little"))     # sched_priority: 0 for SCHED_OTHER
    return 0


@syscall
def sys_sched_rr_get_interval(task: Task, pid: int, interval: int) -> int:
    """The time slice the task gets (Linux reports its fair-class slice for SCHED_OTHER tasks)."""
    if s32(pid) < 0:
        raise KernelError(errno.EINVAL)
    _thread(task, pid)
    copy_to_user(task.mm, interval, struct.pack("<qq", TIMESLICE_NS // 1_000_000_000, TIMESLICE_NS % 1_000_000_000))
    return 0
