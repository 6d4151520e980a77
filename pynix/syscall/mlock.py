"""mlock, mlock2, munlock, mlockall, munlockall (mm/mlock.c).

pynix never pages memory out, so a lock keeps nothing in memory that would not stay anyway: the calls check
their arguments and the RLIMIT_MEMLOCK rules as Linux does, keep the locked ranges (VM_LOCKED on the VMAs),
which /proc/pid/status reports as VmLck, and fault the pages in as Linux does (not with MLOCK_ONFAULT /
MCL_ONFAULT), so that mincore reports them resident.  mmap's MAP_LOCKED goes through the same checks.
"""
from __future__ import annotations

import errno

from pynix.errors import KernelError
from pynix.mm.address_space import PAGE_MASK, page_align_up
from pynix.syscall.registry import syscall
from pynix.task.capability import capable
from pynix.task.task import Task
from pynix.uapi.capability import CAP_IPC_LOCK

RLIMIT_MEMLOCK = 8
MLOCK_ONFAULT = 1
MCL_CURRENT, MCL_FUTURE, MCL_ONFAULT = 1, 2, 4


def _range(addr: int, length: int) -> tuple[int, int]:
    """The whole pages [start, end) that [addr, addr+length) touches; EINVAL if the sum wraps around."""
    if addr + length >= 1 << 64:
        raise KernelError(errno.EINVAL)
    return addr & PAGE_MASK, page_align_up(addr + length)


def lock_limit_check(task: Task, extra: int) -> None:
    """can_do_mlock and the RLIMIT_MEMLOCK check: only callers with CAP_IPC_LOCK may go past the soft limit."""
    limit = task.group.rlimits[RLIMIT_MEMLOCK][0]
    if capable(task, CAP_IPC_LOCK):
        return
    if limit == 0:
        raise KernelError(errno.EPERM)
    if task.mm.locked_bytes + extra > limit:
        raise KernelError(errno.ENOMEM)


def _lock(task: Task, addr: int, length: int, onfault: bool = False) -> int:
    start, end = _range(addr, length)
    if end > start:
        lock_limit_check(task, end - start)
        task.mm.set_locked(start, end, True)
        if not onfault:
            task.mm.populate(start, end)
    return 0


@syscall
def sys_mlock(task: Task, addr: int, length: int) -> int:
    return _lock(task, addr, length)


@syscall
def sys_mlock2(task: Task, addr: int, length: int, flags: int) -> int:
    if flags & ~MLOCK_ONFAULT:
        raise KernelError(errno.EINVAL)
    return _lock(task, addr, length, onfault=bool(flags & MLOCK_ONFAULT))


@syscall
def sys_munlock(task: Task, addr: int, length: int) -> int:
    start, end = _range(addr, length)
    if end > start:
        task.mm.set_locked(start, end, False)
    return 0


@syscall
def sys_mlockall(task: Task, flags: int) -> int:
    if not flags or flags & ~(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) or flags == MCL_ONFAULT:
        raise KernelError(errno.EINVAL)
    mm = task.mm
    if flags & MCL_CURRENT:
        lock_limit_check(task, sum(v.end - v.start for v in mm.vmas if not v.locked))
    mm.lock_future = bool(flags & MCL_FUTURE)
    if flags & MCL_CURRENT:
        for vma in mm.vmas:
            vma.locked = True
        if not flags & MCL_ONFAULT:
            for vma in list(mm.vmas):
                mm.populate(vma.start, vma.end)
    return 0


@syscall
def sys_munlockall(task: Task) -> int:
    task.mm.lock_future = False
    for vma in task.mm.vmas:
        vma.locked = False
    return 0
