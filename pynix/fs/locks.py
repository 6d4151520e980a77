"""Advisory file locks (Linux's fs/locks.c): flock(2) locks and POSIX/OFD byte-range record locks.

Locks hang off what they lock -- an inode, a pipe, or for a host stream the open file itself -- in a
`LockContext`: the flock list, the record-lock list and one wait queue for everyone waiting on either.

- flock locks belong to an open file description: duplicated and inherited descriptors share them, and they go
  when the description's last descriptor closes.  Converting a lock drops the old one first (not atomic, as on
  Linux: a failed LOCK_NB conversion leaves no lock).
- POSIX record locks (F_SETLK/F_SETLKW) belong to the descriptor table (Linux's `current->files`): every close of
  any descriptor of that table referring to the file drops all of them, and they are not inherited by fork.
  One owner's locks never overlap: setting a range replaces what it held there (splitting its other locks) and
  merges with adjacent or overlapping locks of the same type.
- OFD locks (F_OFD_SETLK...) are record locks owned by the open file description.
- Leases (F_SETLEASE) are kept here too; taking and breaking them is syscall/lease.py.

A conflicting blocking request raises `Block(ctx.queue)`; every unlock and release wakes the queue and the
waiters simply try again.  F_SETLKW detects a wait-for cycle between POSIX owners (EDEADLK).
"""
from __future__ import annotations

import errno
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pynix.errors import KernelError
from pynix.sync.wait import Block, WaitQueue

if TYPE_CHECKING:
    from pynix.fs.file import File

F_RDLCK, F_WRLCK, F_UNLCK = 0, 1, 2
OFFSET_MAX = (1 << 63) - 1
MAX_DEADLK_ITERATIONS = 10


@dataclass(eq=False)
class RecordLock:
    owner: object                 # an FdTable (POSIX lock) or a File (OFD lock)
    type: int
    start: int
    end: int                      # inclusive; OFFSET_MAX: to the end of the file, however long it grows
    pid: int                      # the locking process (F_GETLK's l_pid); -1 for OFD locks
    ofd: bool = False

    def overlaps(self, start: int, end: int) -> bool:
        return self.start <= end and start <= self.end


class LeaseSettings:
    """/proc/sys/fs/lease-break-time (seconds) and /proc/sys/fs/leases-enable."""
    break_time = 45
    enable = 1


@dataclass(eq=False)
class Lease:
    """A lease (F_SETLEASE) held through open file `file` on its inode; `deadline` (CLOCK_MONOTONIC ns) once a
    conflicting open started breaking it (FL_UNLOCK_PENDING / FL_DOWNGRADE_PENDING)."""
    file: "File"
    type: int
    deadline: int | None = None
    target: int = F_UNLCK                     # what the breaker needs it to become: F_UNLCK or F_RDLCK


@dataclass(eq=False)
class LockContext:
    flocks: list[tuple["File", int]] = field(default_factory=list)
    records: list[RecordLock] = field(default_factory=list)
    leases: list[Lease] = field(default_factory=list)
    queue: WaitQueue = field(default_factory=WaitQueue)


def lock_target(file: "File") -> object:
    """What a lock taken through `file` locks: its inode, its pipe, or (host streams) the file itself."""
    inode = getattr(file, "inode", None)
    if inode is not None:
        return inode
    pipe = getattr(file, "pipe", None)
    return pipe if pipe is not None else file


def context(file: "File", create: bool = True) -> LockContext | None:
    target = lock_target(file)
    ctx = getattr(target, "_lock_ctx", None)
    if ctx is None and create:
        ctx = LockContext()
        target._lock_ctx = ctx
    return ctx


# --------------------------------------------------------------------------------------------------- flock
def flock(file: "File", type_: int, nonblocking: bool) -> None:
    """Take (F_RDLCK/F_WRLCK) or drop (F_UNLCK) the flock lock of open file description `file`."""
    ctx = context(file)
    for i, (holder, held) in enumerate(ctx.flocks):
        if holder is file:
            if held == type_:
                return
            del ctx.flocks[i]
            ctx.queue.wake_all()
            break
    if type_ == F_UNLCK:
        return
    for holder, held in ctx.flocks:
        if held == F_WRLCK or type_ == F_WRLCK:
            if nonblocking:
                raise KernelError(errno.EWOULDBLOCK)
            raise Block(ctx.queue)
    ctx.flocks.append((file, type_))


# -------------------------------------------------------------------------------------------- record locks
def _conflicts(lock: RecordLock, owner: object, type_: int, start: int, end: int) -> bool:
    return lock.owner is not owner and lock.overlaps(start, end) and (lock.type == F_WRLCK or type_ == F_WRLCK)


def test_lock(file: "File", owner: object, type_: int, start: int, end: int) -> RecordLock | None:
    """F_GETLK: the first lock that would block the request, or None.  (An OFD F_UNLCK request asks for a lock
    of the same description overlapping the range, as Linux >= 6.4 does.)"""
    ctx = context(file, create=False)
    if ctx is None:
        return None
    for lock in ctx.records:
        if type_ == F_UNLCK:
            if lock.owner is owner and lock.overlaps(start, end):
                return lock
        elif _conflicts(lock, owner, type_, start, end):
            return lock
    return None


# owner -> (context, request, task) of every POSIX owner sleeping in F_SETLKW, for deadlock detection
_waiting: dict[int, tuple[LockContext, RecordLock, object]] = {}


def _waits_for(owner: object) -> object | None:
    """The owner whose lock `owner` is sleeping on, if it is sleeping in F_SETLKW."""
    entry = _waiting.get(id(owner))
    if entry is None:
        return None
    ctx, request, task = entry
    if task not in ctx.queue.waiters or request.owner is not owner:
        _waiting.pop(id(owner), None)           # woken, interrupted or gone
        return None
    for lock in ctx.records:
        if _conflicts(lock, owner, request.type, request.start, request.end):
            return lock.owner
    return None


def _deadlock(owner: object, blocker: object) -> bool:
    for _ in range(MAX_DEADLK_ITERATIONS):
        blocker = _waits_for(blocker)
        if blocker is None:
            return False
        if blocker is owner:
            return True
    return False


def set_lock(file: "File", request: RecordLock, wait: bool, task: object = None) -> None:
    """F_SETLK / F_SETLKW (and the OFD forms): apply `request` for its owner, or EAGAIN / block on a conflict."""
    ctx = context(file)
    owner = request.owner
    if request.type != F_UNLCK:
        for lock in ctx.records:
            if _conflicts(lock, owner, request.type, request.start, request.end):
                if not wait:
                    raise KernelError(errno.EAGAIN)
                if not request.ofd and not lock.ofd and _deadlock(owner, lock.owner):
                    _waiting.pop(id(owner), None)
                    raise KernelError(errno.EDEADLK)
                if not request.ofd:
                    _waiting[id(owner)] = (ctx, request, task)
                raise Block(ctx.queue)
    entry = _waiting.get(id(owner))
    if entry is not None and entry[2] is task:
        del _waiting[id(owner)]
    mine, others = [], []
    for lock in ctx.records:
        (mine if lock.owner is owner else others).append(lock)
    pieces: list[RecordLock] = []
    s, e = request.start, request.end
    changed = False
    for lock in mine:                             # cut the request's range out of the owner's locks
        if not lock.overlaps(s, e):
            pieces.append(lock)
            continue
        changed = True
        if lock.start < s:
            pieces.append(RecordLock(owner, lock.type, lock.start, s - 1, lock.pid, lock.ofd))
        if lock.end > e:
            pieces.append(RecordLock(owner, lock.type, e + 1, lock.end, lock.pid, lock.ofd))
    if request.type != F_UNLCK:
        pieces.append(request)
    pieces.sort(key=lambda lock: lock.start)
    merged: list[RecordLock] = []
    for lock in pieces:                           # merge touching locks of one type
        last = merged[-1] if merged else None
        if last is not None and last.type == lock.type and last.end != OFFSET_MAX and last.end + 1 >= lock.start:
            merged[-1] = RecordLock(owner, lock.type, last.start, max(last.end, lock.end),
                                    request.pid if request.type == lock.type else lock.pid, lock.ofd)
        else:
            merged.append(lock)
    ctx.records = others + merged
    if changed:
        ctx.queue.wake_all()


# ------------------------------------------------------------------------------------------------- release
def file_closed(file: "File", table: object, last: bool) -> None:
    """A descriptor of `table` referring to `file` was closed (Linux's filp_close, and __fput when `last`):
    the table's POSIX locks on the file go; on the last close also the description's flock and OFD locks."""
    target = lock_target(file)
    ctx = getattr(target, "_lock_ctx", None)
    if ctx is None:
        return
    before = (len(ctx.records), len(ctx.flocks), len(ctx.leases))
    ctx.records = [lock for lock in ctx.records if lock.owner is not table and not (last and lock.owner is file)]
    if last:
        ctx.flocks = [(holder, held) for holder, held in ctx.flocks if holder is not file]
        ctx.leases = [lease for lease in ctx.leases if lease.file is not file]
    if (len(ctx.records), len(ctx.flocks), len(ctx.leases)) != before:
        ctx.queue.wake_all()
