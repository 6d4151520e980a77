"""Futexes (Linux's kernel/futex/): the hash of waiters keyed by futex word, wake, wait, requeue, and the
robust-list walk done when a thread dies.  The futex(2) system call is syscall/futex.py.

A waiter is keyed by (address space, address) -- or by physical address for MAP_SHARED memory, so processes
sharing a page meet on the same futex.  A wait blocks with a `FutexWaiter` as its restart data: when it is
re-run after a wake-up it returns 0 if a wake chose it, ETIMEDOUT if its deadline passed, and goes back to sleep
otherwise (a spurious wake-up), without re-reading the futex word -- re-reading would lose wake-ups that leave
the word unchanged.
"""
from __future__ import annotations

import errno
import struct
import time
from dataclasses import dataclass
from typing import Callable

from pynix.errors import KernelError
from pynix.hal import ACCESS_READ
from pynix.mm.uaccess import copy_from_user, copy_to_user
from pynix.sync.wait import Block
from pynix.task.task import Task, TaskState

FUTEX_BITSET_MATCH_ANY = 0xFFFFFFFF
FUTEX_OWNER_DIED, FUTEX_TID_MASK = 0x40000000, 0x3FFFFFFF


@dataclass(eq=False)
class FutexWaiter:
    task: Task
    key: object
    bitset: int
    deadline: int | None
    woken: bool = False


@dataclass(eq=False)
class FutexWaitv:
    """The restart data of futex_waitv: one waiter per futex, all for the same task."""
    waiters: list[FutexWaiter]
    deadline: int | None


def futex_key(task: Task, uaddr: int) -> object:
    if uaddr & 3:
        raise KernelError(errno.EINVAL)
    vma = task.mm.find_vma(uaddr)
    if vma is not None and vma.shared:
        return ("shared", task.mm.translate(uaddr, ACCESS_READ))
    return (id(task.mm), uaddr)


def futex_load(task: Task, uaddr: int) -> int:
    return int.from_bytes(copy_from_user(task.mm, uaddr, 4), "little")


def _waiting(waiter: FutexWaiter) -> bool:
    """Is `waiter` still a waiter?  A wait can end without a wake-up -- the thread died, or a handler interrupted
    it with EINTR, or ran a system call before the wait was restarted (a restart waits afresh) -- and such a
    waiter must not take a wake-up meant for a live one (Linux's unqueue_me)."""
    task = waiter.task
    waiting = task.restart_data
    mine = waiting is waiter or isinstance(waiting, FutexWaitv) and waiter in waiting.waiters
    return mine and task.state is not TaskState.ZOMBIE


def _live_waiters(task: Task, key: object) -> list[FutexWaiter]:
    """The waiters on `key`, dropping those whose wait has ended without a wake-up."""
    waiters = task.kernel.futexes.get(key, [])
    waiters[:] = [w for w in waiters if _waiting(w)]
    return waiters


def futex_wake(task: Task, uaddr: int, count: int, bitset: int = FUTEX_BITSET_MATCH_ANY) -> int:
    key = futex_key(task, uaddr)
    waiters = _live_waiters(task, key)
    woken = 0
    for waiter in list(waiters):
        if woken >= count:
            break
        if waiter.bitset & bitset:
            waiters.remove(waiter)
            waiter.woken = True
            task.kernel.wake(waiter.task)
            woken += 1
    if not waiters:
        task.kernel.futexes.pop(key, None)
    return woken


def futex_wait(task: Task, uaddr: int, val: int, deadline: Callable[[], int | None], bitset: int) -> int:
    """FUTEX_WAIT: unless the word no longer holds `val`, sleep until woken or until the deadline (CLOCK_MONOTONIC
    ns) that `deadline()` computes on the first run (from the caller's timeout argument)."""
    waiter = task.restart_data
    if isinstance(waiter, FutexWaiter):            # re-run after a wake-up
        if waiter.woken:
            return 0
        if waiter.deadline is not None and time.monotonic_ns() >= waiter.deadline:
            futex_unqueue(task, waiter)
            raise KernelError(errno.ETIMEDOUT)
        raise Block(deadline=waiter.deadline, data=waiter)
    if bitset == 0:
        raise KernelError(errno.EINVAL)
    key = futex_key(task, uaddr)
    if futex_load(task, uaddr) != val & 0xFFFFFFFF:
        raise KernelError(errno.EAGAIN)
    waiter = FutexWaiter(task, key, bitset, deadline())
    task.kernel.futexes.setdefault(key, []).append(waiter)
    raise Block(deadline=waiter.deadline, data=waiter)


def futex_unqueue(task: Task, waiter: FutexWaiter) -> None:
    """unqueue_me: `waiter` stops waiting without a wake-up (a timeout, an interrupted futex_waitv)."""
    waiters = task.kernel.futexes.get(waiter.key, [])
    if waiter in waiters:
        waiters.remove(waiter)
    if not waiters:
        task.kernel.futexes.pop(waiter.key, None)


def futex_requeue(task: Task, uaddr: int, uaddr2: int, count: int) -> int:
    key, key2 = futex_key(task, uaddr), futex_key(task, uaddr2)
    waiters = _live_waiters(task, key)
    moved = waiters[:count]
    del waiters[:count]
    if not waiters:
        task.kernel.futexes.pop(key, None)
    for waiter in moved:
        waiter.key = key2
    if moved:
        task.kernel.futexes.setdefault(key2, []).extend(moved)
    return len(moved)


def exit_robust_list(task: Task) -> None:
    """A dying thread's robust futexes: mark each lock it held OWNER_DIED and wake one waiter
    (Linux's exit_robust_list; the list is `struct robust_list_head {next, futex_offset, list_op_pending}`)."""
    try:
        head, offset, pending = struct.unpack("<QqQ", copy_from_user(task.mm, task.robust_list, 24))
        entries, entry = [], head
        while entry != task.robust_list and len(entries) < 2048:    # ROBUST_LIST_LIMIT
            entries.append(entry)
            entry = int.from_bytes(copy_from_user(task.mm, entry, 8), "little")
        if pending:
            entries.append(pending)
        for entry in entries:
            uaddr = (entry + offset) & 0xFFFFFFFFFFFFFFFF
            word = futex_load(task, uaddr)
            if word & FUTEX_TID_MASK == task.tid:
                copy_to_user(task.mm, uaddr, ((word & ~FUTEX_TID_MASK) | FUTEX_OWNER_DIED).to_bytes(4, "little"))
                futex_wake(task, uaddr, 1)
    except KernelError:
        pass                                       # a corrupt list is the program's problem, as in Linux
