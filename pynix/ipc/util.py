"""What the three System V IPC families share (Linux's ipc/util.c): keys and ids, the permission structure and
its checks, IPC_SET/IPC_STAT of `struct ipc64_perm`, and the IPC namespace holding every object and limit.

An id is `seq * IPCMNI + index` (ipc_buildid): indexes are handed out cyclically (idr_alloc_cyclic over a range
that grows with the number in use) and `seq` grows each time the allocation wraps, so a stale id of a removed
object does not name its successor (EINVAL; EIDRM for a task that was sleeping on the removed object).
`key_t` IPC_PRIVATE always makes a new object; any other key names at most one object until IPC_RMID, which
makes it private (ipc_rmid).
"""
from __future__ import annotations

import errno
import itertools
import struct
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Generic, Iterator, TypeVar

from pynix.errors import KernelError
from pynix.fs.ns_common import NsCommon
from pynix.fs.sysctl import int_sysctl
from pynix.hal.clock import realtime_ns
from pynix.uapi.capability import CAP_IPC_OWNER, CAP_SYS_ADMIN
from pynix.uapi.sched import CLONE_NEWIPC

if TYPE_CHECKING:
    from pynix.ipc.mqueue import MqueueSuperBlock
    from pynix.ipc.msg import MsgQueue
    from pynix.ipc.sem import SemArray, SemUndo
    from pynix.ipc.shm import ShmSegment
    from pynix.task.cred import Credentials

IPC_PRIVATE = 0
IPC_CREAT, IPC_EXCL, IPC_NOWAIT = 0o1000, 0o2000, 0o4000
IPC_RMID, IPC_SET, IPC_STAT, IPC_INFO = 0, 1, 2, 3
IPCMNI = 32768                        # ids per family: index in the low 15 bits (IPCMNI_SHIFT)
S_IRUGO, S_IWUGO, S_IXUGO = 0o444, 0o222, 0o111
IPC64_PERM = struct.Struct("<iIIIIIH6xQQ")       # key uid gid cuid cgid mode seq (+pad) unused1 unused2


def now() -> int:
    """IPC timestamps are seconds of CLOCK_REALTIME (ktime_get_real_seconds)."""
    return realtime_ns() // 1_000_000_000


@dataclass(eq=False)
class KernIpcPerm:
    """struct kern_ipc_perm: who owns and created an object, its mode bits (low 9: permissions; the rest are
    per-family flags such as SHM_DEST) and its id."""
    key: int
    uid: int
    gid: int
    cuid: int
    cgid: int
    mode: int
    seq: int = 0
    id: int = -1
    deleted: bool = False

    def pack(self) -> bytes:
        return IPC64_PERM.pack(self.key, self.uid, self.gid, self.cuid, self.cgid, self.mode, self.seq, 0, 0)


class IpcObject:
    """Base of a shm segment, semaphore set or message queue: its permission structure."""
    perm: KernIpcPerm


T = TypeVar("T", bound=IpcObject)


class IpcIds(Generic[T]):
    """One family's objects (struct ipc_ids): by index and by key."""

    def __init__(self) -> None:
        self.slots: dict[int, T] = {}
        self.by_key: dict[int, T] = {}
        self.seq = 0
        self.last_index = -1

    def __iter__(self) -> Iterator[T]:
        return iter([self.slots[i] for i in sorted(self.slots)])

    def __len__(self) -> int:
        return len(self.slots)

    @property
    def max_index(self) -> int:
        """The highest index in use, -1 for none (what IPC_INFO, SHM_INFO... return)."""
        return max(self.slots, default=-1)

    def add(self, obj: T, limit: int) -> int:
        """ipc_addid: give `obj` the next free index after the last one given, below max(in use * 3/2, 64)
        (ENOSPC past `limit` objects or when that range is full), and its id."""
        if len(self.slots) >= min(limit, IPCMNI):
            raise KernelError(errno.ENOSPC)
        top = min(max(len(self.slots) * 3 // 2, 64), IPCMNI)
        candidates = itertools.chain(range(self.last_index + 1, top), range(0, top))
        index = next((i for i in candidates if i not in self.slots), -1)
        if index < 0:
            raise KernelError(errno.ENOSPC)
        if index <= self.last_index:
            self.seq = (self.seq + 1) % (0x7FFFFFFF // IPCMNI + 1)
        self.last_index = index
        obj.perm.seq = self.seq
        obj.perm.id = obj.perm.seq * IPCMNI + index
        self.slots[index] = obj
        if obj.perm.key != IPC_PRIVATE:
            self.by_key[obj.perm.key] = obj
        return obj.perm.id

    def remove(self, obj: T) -> None:
        """ipc_rmid: the id no longer names `obj`, and its key is free again."""
        self.slots.pop(obj.perm.id % IPCMNI, None)
        if self.by_key.get(obj.perm.key) is obj:
            del self.by_key[obj.perm.key]
        obj.perm.deleted = True

    def make_private(self, obj: T) -> None:
        """A segment removed while attached keeps its id until the last detach, but no longer its key."""
        if self.by_key.get(obj.perm.key) is obj:
            del self.by_key[obj.perm.key]
        obj.perm.key = IPC_PRIVATE

    def find(self, ident: int) -> T:
        """ipc_obtain_object_check: the object `ident` names, EINVAL if none (a stale sequence number too)."""
        if ident < 0:
            raise KernelError(errno.EINVAL)
        obj = self.slots.get(ident % IPCMNI)
        if obj is None or obj.perm.id != ident:
            raise KernelError(errno.EINVAL)
        return obj

    def by_index(self, index: int) -> T:
        """The object in slot `index` (the *_STAT commands, which ipcs uses to list objects)."""
        obj = self.slots.get(index) if 0 <= index < IPCMNI else None
        if obj is None:
            raise KernelError(errno.EINVAL)
        return obj

    def get(self, creds: "Credentials", key: int, flags: int, create: Callable[[KernIpcPerm], T],
            more_checks: Callable[[T], None], limit: int) -> int:
        """ipcget: IPC_PRIVATE creates; otherwise look the key up -- ENOENT without IPC_CREAT, EEXIST with
        IPC_CREAT|IPC_EXCL, then the family's checks (`more_checks`: a size too large...) and EACCES if the
        requested mode bits are not granted; IPC_CREAT makes what is missing."""
        obj = self.by_key.get(key) if key != IPC_PRIVATE else None
        if obj is None:
            if key != IPC_PRIVATE and not flags & IPC_CREAT:
                raise KernelError(errno.ENOENT)
            perm = KernIpcPerm(key, creds.euid, creds.egid, creds.euid, creds.egid, flags & 0o777)
            new = create(perm)
            return self.add(new, limit)
        if flags & IPC_CREAT and flags & IPC_EXCL:
            raise KernelError(errno.EEXIST)
        more_checks(obj)
        check_perms(creds, obj.perm, flags)
        return obj.perm.id


def check_perms(creds: "Credentials", perm: KernIpcPerm, flags: int) -> None:
    """ipcperms: the owner class, group class or others' bits of `perm.mode` must grant every rwx bit asked for
    in `flags` (S_IRUGO, S_IWUGO...); root (CAP_IPC_OWNER) passes.  EACCES otherwise."""
    requested = (flags >> 6 | flags >> 3 | flags) & 7
    granted = perm.mode
    if creds.euid in (perm.cuid, perm.uid):
        granted >>= 6
    elif creds.in_group(perm.cgid) or creds.in_group(perm.gid):
        granted >>= 3
    if requested & ~granted & 7 and not creds.has_cap(CAP_IPC_OWNER):
        raise KernelError(errno.EACCES)


def check_owner(creds: "Credentials", perm: KernIpcPerm) -> None:
    """ipcctl_obtain_check for IPC_SET and IPC_RMID: the owner, the creator or root (CAP_SYS_ADMIN); EPERM."""
    if creds.euid not in (perm.uid, perm.cuid) and not creds.has_cap(CAP_SYS_ADMIN):
        raise KernelError(errno.EPERM)


def set_perm(perm: KernIpcPerm, data: bytes) -> None:
    """ipc_update_perm: IPC_SET takes the uid, gid and the 9 permission bits of the caller's ipc64_perm."""
    _key, uid, gid, _cuid, _cgid, mode, _seq, _u1, _u2 = IPC64_PERM.unpack_from(data)
    if uid > 0xFFFFFFFE or gid > 0xFFFFFFFE:
        raise KernelError(errno.EINVAL)
    perm.uid, perm.gid = uid, gid
    perm.mode = (perm.mode & ~0o777) | (mode & 0o777)


@dataclass(eq=False)
class IpcNamespace(NsCommon):
    """An IPC namespace (Linux's struct ipc_namespace): its System V IPC objects, its POSIX message queue
    filesystem and the limits of /proc/sys/kernel (Linux's defaults).  A new one (CLONE_NEWIPC) starts empty."""
    shm: IpcIds["ShmSegment"] = field(default_factory=IpcIds)
    sem: IpcIds["SemArray"] = field(default_factory=IpcIds)
    msg: IpcIds["MsgQueue"] = field(default_factory=IpcIds)
    shm_ctlmax: int = (1 << 64) - 1 - (1 << 24)      # SHMMAX: ULONG_MAX - 2**24
    shm_ctlall: int = (1 << 64) - 1 - (1 << 24)      # SHMALL (pages)
    shm_ctlmni: int = 4096
    shm_rmid_forced: int = 0
    shm_tot: int = 0                                 # pages of every segment
    msg_ctlmax: int = 8192
    msg_ctlmnb: int = 16384
    msg_ctlmni: int = 32000
    sem_ctls: list[int] = field(default_factory=lambda: [32000, 1024000000, 500, 32000])  # SEMMSL SEMMNS SEMOPM SEMMNI
    sem_undo: dict[int, list["SemUndo"]] = field(default_factory=dict)   # pid -> the process's undo entries
    _mqueue: "MqueueSuperBlock | None" = None

    ns_type = CLONE_NEWIPC
    ns_name = "ipc"
    init_inum = 0xEFFFFFFF

    def exit_sem(self, pid: int) -> None:
        """Process `pid` leaves this namespace's semaphores (exit, unshare(CLONE_SYSVSEM)): apply its SEM_UNDO
        adjustments.  ipc/sem.py is loaded only when some process has any (by semop's family)."""
        if pid in self.sem_undo:
            from pynix.ipc.sem import exit_sem
            exit_sem(self, pid)

    def copy_ns(self) -> "IpcNamespace":
        return IpcNamespace()

    @property
    def mqueue(self) -> "MqueueSuperBlock":
        """The namespace's one mqueue filesystem (POSIX message queues), made on first use."""
        if self._mqueue is None:
            from pynix.ipc.mqueue import MqueueLimits, MqueueSuperBlock
            self._mqueue = MqueueSuperBlock(MqueueLimits())
        return self._mqueue

    def sysctls(self) -> dict[bytes, tuple[Callable[[], bytes], Callable[[bytes], None]]]:
        """The /proc/sys/kernel files of IPC: name -> (render, write)."""
        def write_sem(data: bytes) -> None:
            try:
                values = [int(v) for v in data.split()]
            except ValueError:
                raise KernelError(errno.EINVAL) from None
            if len(values) != 4 or min(values) < 0:
                raise KernelError(errno.EINVAL)
            self.sem_ctls = values
        return {b"shmmax": int_sysctl(self, "shm_ctlmax"), b"shmall": int_sysctl(self, "shm_ctlall"),
                b"shmmni": int_sysctl(self, "shm_ctlmni"), b"shm_rmid_forced": int_sysctl(self, "shm_rmid_forced"),
                b"msgmax": int_sysctl(self, "msg_ctlmax"), b"msgmnb": int_sysctl(self, "msg_ctlmnb"),
                b"msgmni": int_sysctl(self, "msg_ctlmni"),
                b"sem": (lambda: ("\t".join(map(str, self.sem_ctls)) + "\n").encode(), write_sem)}
