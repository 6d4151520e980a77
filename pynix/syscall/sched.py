"""Scheduling syscalls: sched_yield, sched_getaffinity/sched_setaffinity, getpriority/setpriority, getcpu, and
the scheduling classes: sched_setscheduler/getscheduler, sched_setparam/getparam, sched_setattr/getattr,
sched_rr_get_interval, sched_get_priority_min/max."""
from __future__ import annotations

import errno
import struct

from pynix.errors import KernelError
from pynix.mm.uaccess import copy_from_user, copy_to_user, write_u64
from pynix.syscall.registry import s32, syscall
from pynix.task.capability import capable
from pynix.task.sched import (RR_TIMESLICE_NS, RT_POLICIES, SCHED_BATCH, SCHED_DEADLINE, SCHED_FIFO, SCHED_IDLE,
                               SCHED_OTHER, SCHED_RR, TIMESLICE_NS)
from pynix.task.task import Task, ThreadGroup
from pynix.uapi.capability import CAP_SYS_NICE

CPUMASK_SIZE = 8                    # one unsigned long: room for 64 CPUs (a machine has at most smp.MAX_CPUS)
PRIO_PROCESS, PRIO_PGRP, PRIO_USER = 0, 1, 2


@syscall
def sys_sched_yield(task: Task) -> int:
    kernel = task.kernel
    kernel.scheduler.yield_(task)
    if kernel.pick_next() is not task:
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


def check_same_owner(task: Task, target: ThreadGroup) -> bool:
    """check_same_owner: the caller's effective uid is the target's real or effective one."""
    return task.group.creds.euid in (target.creds.uid, target.creds.euid)


@syscall
def sys_sched_getaffinity(task: Task, pid: int, length: int, mask: int) -> int:
    target = _thread(task, pid)
    if length < CPUMASK_SIZE or length & 7:
        raise KernelError(errno.EINVAL)
    write_u64(task.mm, mask, target.cpus_allowed & _online_mask(task))
    return CPUMASK_SIZE


def _online_mask(task: Task) -> int:
    return (1 << task.kernel.online_cpus()) - 1


@syscall
def sys_sched_setaffinity(task: Task, pid: int, length: int, mask: int) -> int:
    """EPERM for another user's task without CAP_SYS_NICE; EINVAL for a mask without an online CPU.  The task
    leaves a CPU the mask no longer allows at once (the scheduler only picks it where it may run)."""
    target = _thread(task, pid)
    if not check_same_owner(task, target.group) and not capable(task, CAP_SYS_NICE):
        raise KernelError(errno.EPERM)
    raw = copy_from_user(task.mm, mask, min(length, CPUMASK_SIZE))
    allowed = int.from_bytes(raw, "little") & _online_mask(task)
    if not allowed:
        raise KernelError(errno.EINVAL)            # the mask must contain an online CPU
    target.cpus_allowed = allowed
    kernel = task.kernel
    if target is kernel.current:
        if not allowed >> kernel.cpu.index & 1:
            kernel.cpu.stop()                      # migrate: schedule after this call
    else:
        kernel.kick(target)
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
    for group in _targets(task, which, who):           # set_one_prio
        if not check_same_owner(task, group) and not capable(task, CAP_SYS_NICE):
            raise KernelError(errno.EPERM)
        if nice < group.nice and not capable(task, CAP_SYS_NICE):
            raise KernelError(errno.EACCES)
        group.nice = nice
    return 0


@syscall
def sys_getcpu(task: Task, cpu: int, node: int, cache: int) -> int:
    """The CPU the caller runs on, in NUMA node 0 (the machine has one node; sched_getcpu() reads this)."""
    for addr, value in ((cpu, task.kernel.cpu.index), (node, 0)):
        if addr:
            copy_to_user(task.mm, addr, value.to_bytes(4, "little"))
    return 0


# Scheduling policies: honoured by task/sched.py's SchedClasses.  SCHED_DEADLINE exists in the ABI (its priority
# range is answered) but cannot be chosen: its admission control and CBS server are not implemented (EINVAL).
SCHED_RESET_ON_FORK = 0x40000000
_PRIORITY_RANGE = {SCHED_OTHER: (0, 0), SCHED_BATCH: (0, 0), SCHED_IDLE: (0, 0), SCHED_DEADLINE: (0, 0),
                   SCHED_FIFO: (1, 99), SCHED_RR: (1, 99)}
SCHED_FLAG_RESET_ON_FORK, SCHED_FLAG_KEEP_POLICY, SCHED_FLAG_KEEP_PARAMS = 0x1, 0x8, 0x10
SCHED_FLAG_UTIL_CLAMP = 0x20 | 0x40
SCHED_FLAG_ALL = 0x7F
SCHED_ATTR_SIZE_VER0, SCHED_ATTR_SIZE_VER1 = 48, 56
SCHED_ATTR = struct.Struct("<IIQiIQQQII")        # size policy flags nice priority runtime deadline period umin umax
RLIMIT_RTPRIO = 14


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


def _sched_target(task: Task, pid: int) -> Task:
    if s32(pid) < 0:
        raise KernelError(errno.EINVAL)
    return _thread(task, pid)


def _setscheduler(task: Task, target: Task, policy: int, priority: int, nice: int | None, reset: bool) -> None:
    """Linux's __sched_setscheduler checks: EINVAL for an unknown policy or a priority outside its range;
    EPERM for another user's task, for raising an RT priority past RLIMIT_RTPRIO, for leaving SCHED_IDLE or
    lowering nice without privilege (CAP_SYS_NICE)."""
    if policy not in _PRIORITY_RANGE or policy == SCHED_DEADLINE:
        raise KernelError(errno.EINVAL)
    low, high = _PRIORITY_RANGE[policy]
    if not low <= priority <= high:
        raise KernelError(errno.EINVAL)
    if not capable(task, CAP_SYS_NICE):
        if not check_same_owner(task, target.group):
            raise KernelError(errno.EPERM)
        if policy in RT_POLICIES:
            limit = task.group.rlimits[RLIMIT_RTPRIO][0]
            if priority > max(target.rt_priority if target.policy in RT_POLICIES else 0, min(limit, 99)):
                raise KernelError(errno.EPERM)
        if target.policy == SCHED_IDLE and policy != SCHED_IDLE:
            raise KernelError(errno.EPERM)
        if nice is not None and nice < target.group.nice:
            raise KernelError(errno.EPERM)
        if target.sched_reset_on_fork and not reset:
            raise KernelError(errno.EPERM)
    if nice is not None:
        target.group.nice = nice
    target.sched_reset_on_fork = reset
    task.kernel.scheduler.set_policy(target, policy, priority)
    task.kernel.cpu.stop()                         # the change may let another task run first


def _read_param(task: Task, param: int) -> int:
    if not param:
        raise KernelError(errno.EINVAL)
    return s32(int.from_bytes(copy_from_user(task.mm, param, 4), "little"))


@syscall
def sys_sched_setscheduler(task: Task, pid: int, policy: int, param: int) -> int:
    policy = s32(policy)
    if s32(pid) < 0 or policy < 0:
        raise KernelError(errno.EINVAL)
    priority = _read_param(task, param)
    target = _thread(task, pid)
    reset = bool(policy & SCHED_RESET_ON_FORK)
    _setscheduler(task, target, policy & ~SCHED_RESET_ON_FORK, priority, None, reset)
    return 0


@syscall
def sys_sched_setparam(task: Task, pid: int, param: int) -> int:
    if s32(pid) < 0:
        raise KernelError(errno.EINVAL)
    priority = _read_param(task, param)
    target = _thread(task, pid)
    _setscheduler(task, target, target.policy, priority, None, target.sched_reset_on_fork)
    return 0


@syscall
def sys_sched_getscheduler(task: Task, pid: int) -> int:
    target = _sched_target(task, pid)
    return target.policy | (SCHED_RESET_ON_FORK if target.sched_reset_on_fork else 0)


@syscall
def sys_sched_getparam(task: Task, pid: int, param: int) -> int:
    if s32(pid) < 0 or not param:
        raise KernelError(errno.EINVAL)
    target = _thread(task, pid)
    copy_to_user(task.mm, param, target.rt_priority.to_bytes(4, "little"))
    return 0


@syscall
def sys_sched_setattr(task: Task, pid: int, uattr: int, flags: int) -> int:
    """struct sched_attr: E2BIG (with the size the kernel knows written back) for a size outside
    [SCHED_ATTR_SIZE_VER0, page] or unknown non-zero bytes past it; SCHED_FLAG_KEEP_POLICY / KEEP_PARAMS keep
    the task's; utilization clamps are accepted and have no effect (one CPU, no frequency scaling)."""
    if not uattr or s32(pid) < 0 or flags & 0xFFFFFFFF:
        raise KernelError(errno.EINVAL)
    size = int.from_bytes(copy_from_user(task.mm, uattr, 4), "little") or SCHED_ATTR_SIZE_VER0
    if size < SCHED_ATTR_SIZE_VER0 or size > 4096 or \
            size > SCHED_ATTR.size and any(copy_from_user(task.mm, uattr + SCHED_ATTR.size, size - SCHED_ATTR.size)):
        copy_to_user(task.mm, uattr, SCHED_ATTR.size.to_bytes(4, "little"))
        raise KernelError(errno.E2BIG)
    raw = copy_from_user(task.mm, uattr, min(size, SCHED_ATTR.size)).ljust(SCHED_ATTR.size, b"\0")
    _size, policy, sched_flags, nice, priority, *_rest = SCHED_ATTR.unpack(raw)
    if sched_flags & ~SCHED_FLAG_ALL or policy > 0x7FFFFFFF:
        raise KernelError(errno.EINVAL)
    target = _thread(task, pid)
    if sched_flags & SCHED_FLAG_KEEP_POLICY:
        policy = target.policy
    if sched_flags & SCHED_FLAG_KEEP_PARAMS:
        priority = target.rt_priority
    fair = policy not in RT_POLICIES and policy != SCHED_DEADLINE
    nice_value = min(max(nice, -20), 19) if fair and not sched_flags & SCHED_FLAG_KEEP_PARAMS else None
    _setscheduler(task, target, policy, priority, nice_value, bool(sched_flags & SCHED_FLAG_RESET_ON_FORK))
    return 0


@syscall
def sys_sched_getattr(task: Task, pid: int, uattr: int, usize: int, flags: int) -> int:
    usize &= 0xFFFFFFFF
    if not uattr or s32(pid) < 0 or usize > 4096 or usize < SCHED_ATTR_SIZE_VER0 or flags & 0xFFFFFFFF:
        raise KernelError(errno.EINVAL)
    target = _thread(task, pid)
    size = min(usize, SCHED_ATTR.size)
    nice = target.group.nice if target.policy not in RT_POLICIES else 0
    raw = SCHED_ATTR.pack(size, target.policy, SCHED_FLAG_RESET_ON_FORK if target.sched_reset_on_fork else 0,
                          nice, target.rt_priority, 0, 0, 0, 0, 1024)
    copy_to_user(task.mm, uattr, raw[:size])
    return 0


@syscall
def sys_sched_rr_get_interval(task: Task, pid: int, interval: int) -> int:
    """SCHED_RR's quantum for an RR task, 0 for a FIFO one (it has none), the fair slice for the others."""
    target = _sched_target(task, pid)
    slice_ns = {SCHED_RR: RR_TIMESLICE_NS, SCHED_FIFO: 0}.get(target.policy, TIMESLICE_NS)
    copy_to_user(task.mm, interval, struct.pack("<qq", slice_ns // 1_000_000_000, slice_ns % 1_000_000_000))
    return 0
