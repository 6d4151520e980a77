"""System V shared memory (Linux's ipc/shm.c): segments whose pages are RAM frames, mapped by shmat.

A segment is a `SharedMemory` object -- the same shmem object a MAP_SHARED anonymous mapping uses -- so every
attachment, in any process, maps the same frames, created zeroed on first touch.  The segment holds one
reference of its own; each VMA of an attachment holds another (VmArea.copy takes one when fork duplicates an
attachment or a split cuts one in two, VmArea.release drops it on munmap, shmdt, exec and exit), which makes
shm_nattch the number of VMAs mapping it, as in Linux (shm_open / shm_close).  IPC_RMID marks the segment
SHM_DEST and frees its key; its frames go when the last attachment does.

Differences from Linux: no huge pages (SHM_HUGETLB is EINVAL), SHM_LOCK only sets the SHM_LOCKED mode bit (nothing
is ever swapped out here), and shm_rmid_forced is accepted but not acted on.
"""
from __future__ import annotations

import errno

from pynix.errors import KernelError
from pynix.hal import PhysicalMemory
from pynix.ipc.util import IPC_CREAT, IPC_EXCL, IPCMNI, IpcNamespace, IpcObject, KernIpcPerm, now
from pynix.mm.frame_alloc import PAGE_SHIFT, PAGE_SIZE, FrameAllocator
from pynix.mm.vma import SharedMemory
from pynix.uapi.capability import CAP_IPC_LOCK

SHM_RDONLY, SHM_RND, SHM_REMAP, SHM_EXEC = 0o10000, 0o20000, 0o40000, 0o100000
SHM_HUGETLB, SHM_NORESERVE = 0o4000, 0o10000
SHM_DEST, SHM_LOCKED = 0o1000, 0o2000          # mode bits
SHM_LOCK, SHM_UNLOCK, SHM_STAT, SHM_INFO, SHM_STAT_ANY = 11, 12, 13, 14, 15
SHMMIN = 1
SHMLBA = PAGE_SIZE


class ShmSegment(SharedMemory, IpcObject):
    """struct shmid_kernel: the pages, the size asked for, and the times and pids ipcs shows."""

    def __init__(self, ns: IpcNamespace, perm: KernIpcPerm, size: int, pid: int, frames: FrameAllocator,
                 ram: PhysicalMemory) -> None:
        super().__init__(frames, ram)
        self.ns, self.perm, self.size = ns, perm, size
        self.atime = self.dtime = 0
        self.ctime = now()
        self.cpid, self.lpid = pid, 0

    @property
    def npages(self) -> int:
        return (self.size + PAGE_SIZE - 1) >> PAGE_SHIFT

    @property
    def nattch(self) -> int:
        return self.users - 1

    def put(self) -> None:
        """An attachment went away (shm_close): the last one out of a removed segment destroys it."""
        super().put()
        self.dtime = now()
        if self.users == 1 and self.perm.mode & SHM_DEST:
            self.destroy()

    def destroy(self) -> None:
        """shm_destroy: forget the id and free the frames (the segment's own reference)."""
        self.ns.shm.remove(self)
        self.ns.shm_tot -= self.npages
        super().put()

    def remove(self) -> None:
        """IPC_RMID: destroyed now if nothing is attached, else when the last attachment goes."""
        if self.nattch == 0:
            self.destroy()
        else:
            self.perm.mode |= SHM_DEST
            self.ns.shm.make_private(self)


def shmget(ns: IpcNamespace, creds, pid: int, key: int, size: int, flags: int, frames: FrameAllocator,
           ram: PhysicalMemory) -> int:
    """newseg / shm_more_checks: EINVAL for a size outside [SHMMIN, SHMMAX] or larger than an existing
    segment's, ENOSPC past SHMALL pages or SHMMNI segments."""
    if flags & SHM_HUGETLB:
        raise KernelError(errno.EINVAL)

    def create(perm: KernIpcPerm) -> ShmSegment:
        if size < SHMMIN or size > ns.shm_ctlmax:
            raise KernelError(errno.EINVAL)
        pages = (size + PAGE_SIZE - 1) >> PAGE_SHIFT
        if ns.shm_tot + pages > ns.shm_ctlall or len(ns.shm) >= min(ns.shm_ctlmni, IPCMNI):
            raise KernelError(errno.ENOSPC)
        segment = ShmSegment(ns, perm, size, pid, frames, ram)
        ns.shm_tot += pages
        return segment

    def more_checks(segment: ShmSegment) -> None:
        if segment.size < size:
            raise KernelError(errno.EINVAL)
    return ns.shm.get(creds, key, flags & (IPC_CREAT | IPC_EXCL | 0o777), create, more_checks, ns.shm_ctlmni)


def set_locked(creds, segment: ShmSegment, lock: bool) -> None:
    """SHM_LOCK / SHM_UNLOCK: the owner or creator, or CAP_IPC_LOCK (EPERM); only the mode bit changes (no swap
    here)."""
    if not creds.has_cap(CAP_IPC_LOCK) and creds.euid not in (segment.perm.uid, segment.perm.cuid):
        raise KernelError(errno.EPERM)
    if lock:
        segment.perm.mode |= SHM_LOCKED
    else:
        segment.perm.mode &= ~SHM_LOCKED


def proc_sysvipc_shm(ns: IpcNamespace) -> bytes:
    """/proc/sysvipc/shm (sysvipc_shm_proc_show), which ipcs reads."""
    lines = ["       key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid  cgid"
             "      atime      dtime      ctime                   rss                  swap\n"]
    for s in ns.shm:
        p = s.perm
        lines.append(f"{p.key:10d} {p.id:10d}  {p.mode:4o} {s.size:21d} {s.cpid:5d} {s.lpid:5d}  {s.nattch:5d} "
                     f"{p.uid:5d} {p.gid:5d} {p.cuid:5d} {p.cgid:5d} {s.atime:10d} {s.dtime:10d} {s.ctime:10d} "
                     f"{len(s.pages) * PAGE_SIZE:21d} {0:21d}\n")
    return "".join(lines).encode()
