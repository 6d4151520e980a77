"""futex(2): FUTEX_WAIT/WAKE, the BITSET variants, REQUEUE/CMP_REQUEUE, private futexes, timeouts (the futexes
themselves are task/futex.py)."""
from __future__ import annotations

import errno
import struct
import time

from pynix.errors import KernelError
from pynix.hal.clock import realtime_ns
from pynix.mm.uaccess import copy_from_user
from pynix.syscall.registry import s32, syscall
from pynix.task.futex import FUTEX_BITSET_MATCH_ANY, futex_load, futex_requeue, futex_wait, futex_wake
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
