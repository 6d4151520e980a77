"""System V semaphores (Linux's ipc/sem.c): semaphore sets, atomic semop, SEM_UNDO.

semop applies its operations in order to a copy of the set and commits only if all of them can go through
(perform_atomic_semop_slow); one that cannot (a decrement below zero, a wait for zero on a non-zero value) makes
the whole call wait, on the set's wait queue, with the blocking operation as the task's restart data.  Any change
of a value wakes every waiter of the set and each one tries again (Linux completes the waiters' operations in
the waker's context, in queue order; here they race, so which of several waiters wins may differ).  GETNCNT and
GETZCNT count the sleepers whose blocking operation is on that semaphore, as Linux's count_semcnt does.

SEM_UNDO adjustments are kept per process (one list for all its threads, as glibc's CLONE_SYSVSEM threads share
it) and applied, clamped to [0, SEMVMX], when the process exits (`exit_sem`); a forked child starts without.
"""
from __future__ import annotations

import errno
import time
from dataclasses import dataclass

from pynix.errors import KernelError
from pynix.ipc.util import IPC_CREAT, IPC_EXCL, IPC_NOWAIT, IpcNamespace, IpcObject, KernIpcPerm, now
from pynix.sync.wait import Block, WaitQueue

SEM_UNDO = 0x1000
GETPID, GETVAL, GETALL, GETNCNT, GETZCNT, SETVAL, SETALL = 11, 12, 13, 14, 15, 16, 17
SEM_STAT, SEM_INFO, SEM_STAT_ANY = 18, 19, 20
SEMVMX = 32767
SEMAEM = SEMVMX
SEMUSZ = 20


@dataclass(eq=False)
class Sem:
    val: int = 0
    pid: int = 0                 # the last process to change it (GETPID)
    otime: int = 0


class SemArray(IpcObject):
    """struct sem_array."""

    def __init__(self, perm: KernIpcPerm, nsems: int) -> None:
        self.perm = perm
        self.sems = [Sem() for _ in range(nsems)]
        self.ctime = now()
        self.queue = WaitQueue()
        self.undos: list[SemUndo] = []

    @property
    def otime(self) -> int:
        """get_semotime: the latest semop time of any of its semaphores."""
        return max(s.otime for s in self.sems)

    def count_waiters(self, semnum: int, zero: bool) -> int:
        """count_semcnt: the tasks asleep on an operation on `semnum` that waits for zero (GETZCNT) or for the
        value to grow (GETNCNT)."""
        return sum(1 for t in self.queue.waiters if isinstance(w := t.restart_data, SemWait)
                   and w.semnum == semnum and (w.op == 0 if zero else w.op < 0))


@dataclass(eq=False)
class SemUndo:
    """struct sem_undo: what one process's SEM_UNDO operations did to one set, to be reversed at its exit."""
    pid: int
    array: SemArray
    adj: list[int]


@dataclass(eq=False)
class SemWait:
    """The restart data of a task sleeping in semop: the set, its blocking operation and the timeout."""
    array: SemArray
    semnum: int
    op: int
    deadline: int | None


def semget(ns: IpcNamespace, creds, key: int, nsems: int, flags: int) -> int:
    semmsl, semmns, _semopm, semmni = ns.sem_ctls
    if nsems < 0 or nsems > semmsl:
        raise KernelError(errno.EINVAL)

    def create(perm: KernIpcPerm) -> SemArray:
        if nsems == 0:
            raise KernelError(errno.EINVAL)
        if sum(len(a.sems) for a in ns.sem) + nsems > semmns:
            raise KernelError(errno.ENOSPC)
        return SemArray(perm, nsems)

    def more_checks(array: SemArray) -> None:
        if nsems > len(array.sems):
            raise KernelError(errno.EINVAL)
    return ns.sem.get(creds, key, flags & (IPC_CREAT | IPC_EXCL | 0o777), create, more_checks, semmni)


def _undo_of(ns: IpcNamespace, pid: int, array: SemArray) -> SemUndo:
    """find_alloc_undo: this process's undo entry for `array`."""
    undos = ns.sem_undo.setdefault(pid, [])
    for undo in undos:
        if undo.array is array:
            return undo
    undo = SemUndo(pid, array, [0] * len(array.sems))
    undos.append(undo)
    array.undos.append(undo)
    return undo


def semop(ns: IpcNamespace, pid: int, array: SemArray, sops: list[tuple[int, int, int]],
          deadline: int | None) -> int:
    """Do the operations (sem_num, sem_op, sem_flg) at once or not at all: ERANGE past SEMVMX or SEMAEM,
    EAGAIN for a blocking operation flagged IPC_NOWAIT (or after the timeout), else sleep (Block)."""
    undo = _undo_of(ns, pid, array) if any(flg & SEM_UNDO for _, _, flg in sops) else None
    vals = [s.val for s in array.sems]
    adj = list(undo.adj) if undo is not None else []
    for num, op, flg in sops:
        result = vals[num]
        if (op == 0 and result) or result + op < 0:
            if flg & IPC_NOWAIT or deadline is not None and deadline <= time.monotonic_ns():
                raise KernelError(errno.EAGAIN)
            wait = SemWait(array, num, op, deadline)
            raise Block(array.queue, deadline=deadline, data=wait, restartable=False)
        result += op
        if result > SEMVMX:
            raise KernelError(errno.ERANGE)
        if flg & SEM_UNDO:
            if not -SEMAEM - 1 <= adj[num] - op <= SEMAEM:
                raise KernelError(errno.ERANGE)
            adj[num] -= op
        vals[num] = result
    stamp = now()
    for num, op, _flg in sops:
        sem = array.sems[num]
        sem.val, sem.pid, sem.otime = vals[num], pid, stamp
    if undo is not None:
        undo.adj[:] = adj
    if any(op for _, op, _ in sops):
        array.queue.wake_all()
    return 0


def set_values(array: SemArray, values: dict[int, int], pid: int) -> None:
    """SETVAL / SETALL: ERANGE outside [0, SEMVMX]; the processes' undo adjustments of those semaphores are
    reset, and the waiters try again."""
    if any(not 0 <= v <= SEMVMX for v in values.values()):
        raise KernelError(errno.ERANGE)
    for undo in array.undos:
        for num in values:
            undo.adj[num] = 0
    for num, value in values.items():
        array.sems[num].val, array.sems[num].pid = value, pid
    array.ctime = now()
    array.queue.wake_all()


def remove(ns: IpcNamespace, array: SemArray) -> None:
    """IPC_RMID (freeary): the sleepers wake up to EIDRM and the undo entries go."""
    ns.sem.remove(array)
    for undo in array.undos:
        ns.sem_undo.get(undo.pid, []).remove(undo)
    array.undos.clear()
    array.queue.wake_all()


def exit_sem(ns: IpcNamespace, pid: int) -> None:
    """A process exits: apply its SEM_UNDO adjustments, each value clamped to [0, SEMVMX] (Linux's exit_sem)."""
    for undo in ns.sem_undo.pop(pid, []):
        array = undo.array
        array.undos.remove(undo)
        if not any(undo.adj):
            continue
        for sem, adj in zip(array.sems, undo.adj):
            if adj:
                sem.val, sem.pid = min(max(sem.val + adj, 0), SEMVMX), pid
        array.queue.wake_all()


def seminfo(ns: IpcNamespace, cmd: int) -> tuple[int, ...]:
    """struct seminfo for IPC_INFO (the limits) and SEM_INFO (also the sets and semaphores in use)."""
    semmsl, semmns, semopm, semmni = ns.sem_ctls
    usz, aem = (len(ns.sem), sum(len(a.sems) for a in ns.sem)) if cmd == SEM_INFO else (SEMUSZ, SEMAEM)
    return (semmns, semmni, semmns, semmns, semmsl, semopm, semopm, usz, SEMVMX, aem)


def proc_sysvipc_sem(ns: IpcNamespace) -> bytes:
    """/proc/sysvipc/sem (sysvipc_sem_proc_show)."""
    lines = ["       key      semid perms      nsems   uid   gid  cuid  cgid      otime      ctime\n"]
    for a in ns.sem:
        p = a.perm
        lines.append(f"{p.key:10d} {p.id:10d}  {p.mode:4o} {len(a.sems):10d} {p.uid:5d} {p.gid:5d} "
                     f"{p.cuid:5d} {p.cgid:5d} {a.otime:10d} {a.ctime:10d}\n")
    return "".join(lines).encode()
