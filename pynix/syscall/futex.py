"""futex(2): FUTEX_WAIT/WAKE, the BITSET variants, REQUEUE/CMP_REQUEUE, private futexes, timeouts; futex2's
futex_wait/futex_wake/futex_requeue/futex_waitv (the futexes themselves are task/futex.py)."""
from __future__ import annotations

import errno
import struct
import time

from pynix.errors import KernelError
from pynix.hal.clock import realtime_ns
from pynix.mm.uaccess import copy_from_user
from pynix.sync.wait import Block
from pynix.syscall.registry import s32, syscall
from pynix.task.futex import (FUTEX_BITSET_MATCH_ANY, FutexWaiter, FutexWaitv, futex_key, futex_load, futex_requeue,
                              futex_unqueue, futex_wait, futex_wake)
from pynix.task.task import Task

FUTEX_WAIT, FUTEX_WAKE, FUTEX_REQUEUE, FUTEX_CMP_REQUEUE = 0, 1, 3, 4
FUTEX_WAIT_BITSET, FUTEX_WAKE_BITSET = 9, 10
FUTEX_PRIVATE_FLAG, FUTEX_CLOCK_REALTIME = 128, 256
NSEC = 1_000_000_000


def _deadline(task: Task, timeout: int, absolute: bool, realtime: bool) -> int | None:
    """The CLOCK_MONOTONIC deadline (ns) of a futex timeout: relative for FUTEX_WAIT, absolute for
    FUTEX_WAIT_BITSET (on CLOCK_REALTIME with FUTEX_CLOCK_REALTIME)."""
    if not timeout:
        return None
    sec, nsec = struct.unpack("<qq", copy_from_user(task.mm, timeout, 16))
    if sec < 0 or not 0 <= nsec < NSEC:
        raise KernelError(errno.EINVAL)
    value = sec * NSEC + nsec
    if not absolute:
        return time.monotonic_ns() + value
    if realtime:
        return value - realtime_ns() + time.monotonic_ns()
    return value


@syscall
def sys_futex(task: Task, uaddr: int, op: int, val: int, timeout: int, uaddr2: int, val3: int) -> int:
    op = s32(op)
    cmd = op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME)
    realtime = bool(op & FUTEX_CLOCK_REALTIME)
    if realtime and cmd not in (FUTEX_WAIT, FUTEX_WAIT_BITSET):
        raise KernelError(errno.ENOSYS)
    if cmd == FUTEX_WAIT:
        return futex_wait(task, uaddr, val, lambda: _deadline(task, timeout, False, False), FUTEX_BITSET_MATCH_ANY)
    if cmd == FUTEX_WAIT_BITSET:
        return futex_wait(task, uaddr, val, lambda: _deadline(task, timeout, True, realtime), val3 & 0xFFFFFFFF)
    if cmd == FUTEX_WAKE:
        return futex_wake(task, uaddr, s32(val))
    if cmd == FUTEX_WAKE_BITSET:
        if val3 & 0xFFFFFFFF == 0:
            raise KernelError(errno.EINVAL)
        return futex_wake(task, uaddr, s32(val), val3 & 0xFFFFFFFF)
    if cmd in (FUTEX_REQUEUE, FUTEX_CMP_REQUEUE):
        if s32(val) < 0 or s32(timeout) < 0:
            raise KernelError(errno.EINVAL)
        if cmd == FUTEX_CMP_REQUEUE and futex_load(task, uaddr) != val3 & 0xFFFFFFFF:
            raise KernelError(errno.EAGAIN)
        woken = futex_wake(task, uaddr, s32(val))
        return woken + futex_requeue(task, uaddr, uaddr2, s32(timeout))   # nr_requeue travels in the timeout slot
    raise KernelError(errno.ENOSYS)


# ------------------------------------------------------------------------------------------------ futex2
# futex_wake, futex_wait, futex_requeue (Linux 6.7+): the same futexes with the size in the flags; only 32-bit
# futexes exist (as in Linux), FUTEX2_NUMA is not supported (one node: EINVAL rather than ignoring it).
FUTEX2_SIZE_U32, FUTEX2_SIZE_MASK, FUTEX2_PRIVATE = 2, 3, 128
FUTEX_WAITV = struct.Struct("<QQII")               # struct futex_waitv: val uaddr flags __reserved
CLOCK_REALTIME, CLOCK_MONOTONIC = 0, 1


def _futex2_flags(flags: int) -> None:
    """futex2_to_flags + futex_flags_valid: a 32-bit futex, private or not."""
    if flags & ~(FUTEX2_SIZE_MASK | FUTEX2_PRIVATE) or flags & FUTEX2_SIZE_MASK != FUTEX2_SIZE_U32:
        raise KernelError(errno.EINVAL)


@syscall
def sys_futex_wake(task: Task, uaddr: int, mask: int, nr: int, flags: int) -> int:
    _futex2_flags(flags & 0xFFFFFFFF)
    if mask >> 32 or mask == 0:
        raise KernelError(errno.EINVAL)
    return futex_wake(task, uaddr, s32(nr), mask)


@syscall
def sys_futex_wait(task: Task, uaddr: int, val: int, mask: int, flags: int, timeout: int, clockid: int) -> int:
    """Sleep while *uaddr == val, until a wake whose mask meets `mask` or the absolute `timeout` on `clockid`
    (CLOCK_MONOTONIC or CLOCK_REALTIME)."""
    _futex2_flags(flags & 0xFFFFFFFF)
    if val >> 32 or mask >> 32 or mask == 0:
        raise KernelError(errno.EINVAL)
    if timeout and s32(clockid) not in (CLOCK_REALTIME, CLOCK_MONOTONIC):
        raise KernelError(errno.EINVAL)
    return futex_wait(task, uaddr, val, lambda: _deadline(task, timeout, True, s32(clockid) == CLOCK_REALTIME),
                      mask)


@syscall
def sys_futex_requeue(task: Task, waiters: int, flags: int, nr_wake: int, nr_requeue: int) -> int:
    """Wake `nr_wake` waiters of waiters[0] and move up to `nr_requeue` others to waiters[1], if waiters[0]'s
    word still holds waiters[0].val (else EAGAIN)."""
    if flags & 0xFFFFFFFF:
        raise KernelError(errno.EINVAL)
    pair = [FUTEX_WAITV.unpack(copy_from_user(task.mm, waiters + i * FUTEX_WAITV.size, FUTEX_WAITV.size))
            for i in range(2)]
    for _val, _uaddr, wflags, reserved in pair:
        if reserved:
            raise KernelError(errno.EINVAL)
        _futex2_flags(wflags)
    (val, uaddr, _, _), (_, uaddr2, _, _) = pair
    if s32(nr_wake) < 0 or s32(nr_requeue) < 0:
        raise KernelError(errno.EINVAL)
    if futex_load(task, uaddr) != val & 0xFFFFFFFF:
        raise KernelError(errno.EAGAIN)
    return futex_wake(task, uaddr, s32(nr_wake)) + futex_requeue(task, uaddr, uaddr2, s32(nr_requeue))


FUTEX_WAITV_MAX = 128


@syscall
def sys_futex_waitv(task: Task, waiters: int, nr_futexes: int, flags: int, timeout: int, clockid: int) -> int:
    """Sleep until any of up to 128 futexes (struct futex_waitv) is woken; return its index.  EAGAIN if a word
    does not hold its value, ETIMEDOUT after the absolute timeout on `clockid`; EINTR (the waits are dropped) if a
    handler interrupts it without SA_RESTART."""
    state = task.restart_data
    if isinstance(state, FutexWaitv):                 # re-run after a wake-up
        for index, waiter in enumerate(state.waiters):
            if waiter.woken:
                _drop(task, state)
                return index
        if state.deadline is not None and time.monotonic_ns() >= state.deadline:
            _drop(task, state)
            raise KernelError(errno.ETIMEDOUT)
        raise Block(deadline=state.deadline, data=state, on_interrupt=lambda: _interrupted(task, state))
    nr_futexes &= 0xFFFFFFFF
    if flags & 0xFFFFFFFF or not 0 < nr_futexes <= FUTEX_WAITV_MAX or not waiters:
        raise KernelError(errno.EINVAL)
    if timeout and s32(clockid) not in (CLOCK_REALTIME, CLOCK_MONOTONIC):
        raise KernelError(errno.EINVAL)
    deadline = _deadline(task, timeout, True, s32(clockid) == CLOCK_REALTIME)
    raw = copy_from_user(task.mm, waiters, nr_futexes * FUTEX_WAITV.size)
    entries = list(FUTEX_WAITV.iter_unpack(raw))
    for val, _uaddr, wflags, reserved in entries:
        if reserved:
            raise KernelError(errno.EINVAL)
        _futex2_flags(wflags)
        if val >> 32:
            raise KernelError(errno.EINVAL)
    keys = [futex_key(task, uaddr) for _val, uaddr, _f, _r in entries]
    for val, uaddr, _f, _r in entries:
        if futex_load(task, uaddr) != val:
            raise KernelError(errno.EAGAIN)
    state = FutexWaitv([FutexWaiter(task, key, FUTEX_BITSET_MATCH_ANY, deadline) for key in keys], deadline)
    for waiter in state.waiters:
        task.kernel.futexes.setdefault(waiter.key, []).append(waiter)
    raise Block(deadline=deadline, data=state, on_interrupt=lambda: _interrupted(task, state))


def _drop(task: Task, state: FutexWaitv) -> None:
    for waiter in state.waiters:
        futex_unqueue(task, waiter)


def _interrupted(task: Task, state: FutexWaitv) -> int:
    _drop(task, state)
    return -errno.EINTR
