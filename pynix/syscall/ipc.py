"""System V IPC: shmget/shmat/shmdt/shmctl, semget/semop/semtimedop/semctl, msgget/msgsnd/msgrcv/msgctl.
The objects and their rules are in pynix/ipc/; here are the argument checks in Linux's order and the user-memory
layouts (struct ipc64_perm, shmid64_ds, semid64_ds -- which differs per ISA -- msqid64_ds, shminfo64, shm_info,
seminfo, msginfo, sembuf, msgbuf)."""
from __future__ import annotations

import errno
import struct
import time

from pynix.errors import KernelError
from pynix.ipc import msg, sem, shm
from pynix.ipc.util import (IPC_INFO, IPC_NOWAIT, IPC_RMID, IPC_SET, IPC_STAT, IPC64_PERM, S_IRUGO, S_IWUGO,
                            S_IXUGO, IpcNamespace, check_owner, check_perms, now, set_perm)
from pynix.mm.address_space import PAGE_MASK, PROT_EXEC, PROT_READ, PROT_WRITE, page_align_up
from pynix.mm.uaccess import copy_from_user, copy_to_user
from pynix.syscall.registry import s32, s64, syscall
from pynix.task.capability import capable
from pynix.task.task import Task
from pynix.task.timer import NSEC
from pynix.uapi.capability import CAP_SYS_RESOURCE

SHMID64_DS = struct.Struct("<QqqqiiQ16x")        # after ipc64_perm: segsz atime dtime ctime cpid lpid nattch
MSQID64_DS = struct.Struct("<qqqQQQii16x")       # stime rtime ctime cbytes qnum qbytes lspid lrpid
SHMINFO64 = struct.Struct("<5Q32x")              # shmmax shmmin shmmni shmseg shmall, 4 unused
SHM_INFO = struct.Struct("<i4x5Q")               # used_ids shm_tot shm_rss shm_swp swap_attempts swap_successes
SEMINFO = struct.Struct("<10i")
MSGINFO = struct.Struct("<7iH2x")
SEMBUF = struct.Struct("<HhH")                   # sem_num sem_op sem_flg


def _ns(task: Task) -> IpcNamespace:
    return task.nsproxy.ipc


def _stat_perm(task: Task, obj, cmd_any: bool) -> bytes:
    """IPC_STAT/*_STAT: read permission (not for *_STAT_ANY) and the packed ipc64_perm."""
    if not cmd_any:
        check_perms(task.group.creds, obj.perm, S_IRUGO)
    return obj.perm.pack()


# ------------------------------------------------------------------------------------------ shared memory
@syscall
def sys_shmget(task: Task, key: int, size: int, shmflg: int) -> int:
    mm = task.mm
    return shm.shmget(_ns(task), task.group.creds, task.group.pid, s32(key), size, s32(shmflg), mm.frames, mm.ram)


@syscall
def sys_shmat(task: Task, shmid: int, shmaddr: int, shmflg: int) -> int:
    """do_shmat: SHM_RND rounds a misaligned address down, SHM_REMAP replaces what is mapped there (without it,
    an address overlapping a mapping is EINVAL), SHM_RDONLY maps read-only for good, SHM_EXEC executable."""
    shmid, flags, mm = s32(shmid), s32(shmflg), task.mm
    if shmid < 0:
        raise KernelError(errno.EINVAL)
    addr = shmaddr
    if addr:
        if addr & (shm.SHMLBA - 1):
            if not flags & shm.SHM_RND:
                raise KernelError(errno.EINVAL)
            addr &= ~(shm.SHMLBA - 1)
            if addr == 0 and flags & shm.SHM_REMAP:
                raise KernelError(errno.EINVAL)
    elif flags & shm.SHM_REMAP:
        raise KernelError(errno.EINVAL)
    prot, access = (PROT_READ, S_IRUGO) if flags & shm.SHM_RDONLY else (PROT_READ | PROT_WRITE, S_IRUGO | S_IWUGO)
    if flags & shm.SHM_EXEC:
        prot, access = prot | PROT_EXEC, access | S_IXUGO
    segment = _ns(task).shm.find(shmid)
    check_perms(task.group.creds, segment.perm, access)
    size = page_align_up(segment.size)
    if addr:
        if addr + size > mm.arch.task_size:
            raise KernelError(errno.ENOMEM)
        if not flags & shm.SHM_REMAP and not mm.is_free(addr, addr + size):
            raise KernelError(errno.EINVAL)
    else:
        addr = mm.get_unmapped_area(size)
    mm.map(addr, size, prot, shared=True, name=f"/SYSV{segment.perm.key & 0xFFFFFFFF:08x} (deleted)",
           may_write=not flags & shm.SHM_RDONLY, shmem=segment)
    segment.atime, segment.lpid = now(), task.group.pid
    return addr


@syscall
def sys_shmdt(task: Task, shmaddr: int) -> int:
    """Unmap the attachment starting at `shmaddr`: the first shm area at or above it that maps its segment from
    offset `area start - shmaddr`, and the pieces of that segment the same attachment left within its size
    (mprotect or munmap may have split it).  EINVAL when there is none."""
    if shmaddr & ~PAGE_MASK:
        raise KernelError(errno.EINVAL)
    mm = task.mm
    areas = [v for v in mm.vmas if v.end > shmaddr and isinstance(v.shmem, shm.ShmSegment)
             and v.start - shmaddr == v.offset]
    if not areas:
        raise KernelError(errno.EINVAL)
    segment = areas[0].shmem
    limit = shmaddr + page_align_up(segment.size)
    segment.lpid = task.group.pid
    for vma in [areas[0]] + [v for v in areas[1:] if v.shmem is segment and v.end <= limit]:
        mm.unmap(vma.start, vma.end - vma.start)
    return 0


@syscall
def sys_shmctl(task: Task, shmid: int, cmd: int, buf: int) -> int:
    shmid, cmd, ns, creds = s32(shmid), s32(cmd), _ns(task), task.group.creds
    if cmd < 0 or shmid < 0:
        raise KernelError(errno.EINVAL)
    if cmd == IPC_INFO:
        copy_to_user(task.mm, buf, SHMINFO64.pack(ns.shm_ctlmax, shm.SHMMIN, ns.shm_ctlmni, ns.shm_ctlmni,
                                                   ns.shm_ctlall))
        return max(ns.shm.max_index, 0)
    if cmd == shm.SHM_INFO:
        rss = sum(len(s.pages) for s in ns.shm)
        copy_to_user(task.mm, buf, SHM_INFO.pack(len(ns.shm), ns.shm_tot, rss, 0, 0, 0))
        return max(ns.shm.max_index, 0)
    if cmd in (IPC_STAT, shm.SHM_STAT, shm.SHM_STAT_ANY):
        segment = ns.shm.find(shmid) if cmd == IPC_STAT else ns.shm.by_index(shmid)
        perm = _stat_perm(task, segment, cmd == shm.SHM_STAT_ANY)
        copy_to_user(task.mm, buf, perm + SHMID64_DS.pack(segment.size, segment.atime, segment.dtime,
                                                          segment.ctime, segment.cpid, segment.lpid,
                                                          segment.nattch))
        return 0 if cmd == IPC_STAT else segment.perm.id
    if cmd == IPC_SET:
        data = copy_from_user(task.mm, buf, IPC64_PERM.size + SHMID64_DS.size)
        segment = ns.shm.find(shmid)
        check_owner(creds, segment.perm)
        set_perm(segment.perm, data)
        segment.ctime = now()
        return 0
    if cmd == IPC_RMID:
        segment = ns.shm.find(shmid)
        check_owner(creds, segment.perm)
        segment.remove()
        return 0
    if cmd in (shm.SHM_LOCK, shm.SHM_UNLOCK):
        shm.set_locked(creds, ns.shm.find(shmid), cmd == shm.SHM_LOCK)
        return 0
    raise KernelError(errno.EINVAL)


# ----------------------------------------------------------------------------------------------- semaphores
@syscall
def sys_semget(task: Task, key: int, nsems: int, semflg: int) -> int:
    return sem.semget(_ns(task), task.group.creds, s32(key), s32(nsems), s32(semflg))


@syscall
def sys_semtimedop(task: Task, semid: int, tsops: int, nsops: int, timeout: int) -> int:
    """do_semtimedop's checks: EINVAL, E2BIG past SEMOPM, EFAULT, the timeout, EINVAL for the id (EIDRM for a
    sleeper whose set was removed), EFBIG for a sem_num past the set, EACCES."""
    semid, ns = s32(semid), _ns(task)
    if nsops < 1 or semid < 0 or nsops > 0x7FFFFFFF:
        raise KernelError(errno.EINVAL)
    if nsops > ns.sem_ctls[2]:
        raise KernelError(errno.E2BIG)
    raw = copy_from_user(task.mm, tsops, nsops * SEMBUF.size)
    sops = [(num, op, flg) for num, op, flg in SEMBUF.iter_unpack(raw)]
    waited = task.restart_data if isinstance(task.restart_data, sem.SemWait) else None
    if waited is not None:
        deadline = waited.deadline
        if waited.array.perm.deleted:
            raise KernelError(errno.EIDRM)
    elif timeout:
        sec, nsec = struct.unpack("<qq", copy_from_user(task.mm, timeout, 16))
        if sec < 0 or not 0 <= nsec < NSEC:
            raise KernelError(errno.EINVAL)
        deadline = time.monotonic_ns() + sec * NSEC + nsec
    else:
        deadline = None
    array = ns.sem.find(semid)
    if max(num for num, _, _ in sops) >= len(array.sems):
        raise KernelError(errno.EFBIG)
    check_perms(task.group.creds, array.perm, S_IWUGO if any(op for _, op, _ in sops) else S_IRUGO)
    return sem.semop(ns, task.group.pid, array, sops, deadline)


@syscall
def sys_semop(task: Task, semid: int, tsops: int, nsops: int) -> int:
    return sys_semtimedop(task, semid, tsops, nsops, 0)


@syscall
def sys_semctl(task: Task, semid: int, semnum: int, cmd: int, arg: int) -> int:
    """semctl: `arg` is union semun passed by value (an int for SETVAL, else a pointer)."""
    semid, semnum, cmd, ns, creds = s32(semid), s32(semnum), s32(cmd), _ns(task), task.group.creds
    if semid < 0:
        raise KernelError(errno.EINVAL)
    if cmd in (IPC_INFO, sem.SEM_INFO):
        copy_to_user(task.mm, arg, SEMINFO.pack(*sem.seminfo(ns, cmd)))
        return max(ns.sem.max_index, 0)
    if cmd in (IPC_STAT, sem.SEM_STAT, sem.SEM_STAT_ANY):
        array = ns.sem.find(semid) if cmd == IPC_STAT else ns.sem.by_index(semid)
        perm = _stat_perm(task, array, cmd == sem.SEM_STAT_ANY)
        copy_to_user(task.mm, arg, perm + struct.pack(task.arch.semid64_ds_format, array.otime, array.ctime,
                                                      len(array.sems)))
        return 0 if cmd == IPC_STAT else array.perm.id
    if cmd == sem.SETVAL:
        value = s32(arg)
        if not 0 <= value <= sem.SEMVMX:
            raise KernelError(errno.ERANGE)
        array = ns.sem.find(semid)
        if not 0 <= semnum < len(array.sems):
            raise KernelError(errno.EINVAL)
        check_perms(creds, array.perm, S_IWUGO)
        sem.set_values(array, {semnum: value}, task.group.pid)
        return 0
    if cmd in (sem.GETALL, sem.SETALL, sem.GETVAL, sem.GETPID, sem.GETNCNT, sem.GETZCNT):
        array = ns.sem.find(semid)
        nsems = len(array.sems)
        check_perms(creds, array.perm, S_IWUGO if cmd == sem.SETALL else S_IRUGO)
        if cmd == sem.GETALL:
            copy_to_user(task.mm, arg, struct.pack(f"<{nsems}H", *(s.val for s in array.sems)))
            return 0
        if cmd == sem.SETALL:
            values = struct.unpack(f"<{nsems}H", copy_from_user(task.mm, arg, 2 * nsems))
            sem.set_values(array, dict(enumerate(values)), task.group.pid)
            return 0
        if not 0 <= semnum < nsems:
            raise KernelError(errno.EINVAL)
        if cmd == sem.GETVAL:
            return array.sems[semnum].val
        if cmd == sem.GETPID:
            return array.sems[semnum].pid
        return array.count_waiters(semnum, zero=cmd == sem.GETZCNT)
    if cmd == IPC_SET:
        data = copy_from_user(task.mm, arg, IPC64_PERM.size + struct.calcsize(task.arch.semid64_ds_format))
        array = ns.sem.find(semid)
        check_owner(creds, array.perm)
        set_perm(array.perm, data)
        array.ctime = now()
        return 0
    if cmd == IPC_RMID:
        array = ns.sem.find(semid)
        check_owner(creds, array.perm)
        sem.remove(ns, array)
        return 0
    raise KernelError(errno.EINVAL)


# ------------------------------------------------------------------------------------------- message queues
@syscall
def sys_msgget(task: Task, key: int, msgflg: int) -> int:
    return msg.msgget(_ns(task), task.group.creds, s32(key), s32(msgflg))


def _queue(task: Task, msqid: int, access: int) -> msg.MsgQueue:
    """The queue, EIDRM for a sleeper whose queue was removed, EACCES without `access`."""
    waited = task.restart_data
    if isinstance(waited, msg.MsgWait) and waited.queue.perm.deleted:
        raise KernelError(errno.EIDRM)
    queue = _ns(task).msg.find(msqid)
    check_perms(task.group.creds, queue.perm, access)
    return queue


@syscall
def sys_msgsnd(task: Task, msqid: int, msgp: int, msgsz: int, msgflg: int) -> int:
    mtype = s64(int.from_bytes(copy_from_user(task.mm, msgp, 8), "little"))
    msqid, size = s32(msqid), s64(msgsz)
    if size > _ns(task).msg_ctlmax or size < 0 or msqid < 0 or mtype < 1:
        raise KernelError(errno.EINVAL)
    text = copy_from_user(task.mm, msgp + 8, size)
    return msg.msgsnd(_queue(task, msqid, S_IWUGO), task.group.pid, mtype, text, s32(msgflg))


@syscall
def sys_msgrcv(task: Task, msqid: int, msgp: int, msgsz: int, msgtyp: int, msgflg: int) -> int:
    msqid, size, flags = s32(msqid), s64(msgsz), s32(msgflg)
    if msqid < 0 or size < 0:
        raise KernelError(errno.EINVAL)
    if flags & msg.MSG_COPY and (flags & msg.MSG_EXCEPT or not flags & IPC_NOWAIT):
        raise KernelError(errno.EINVAL)
    got = msg.msgrcv(_queue(task, msqid, S_IRUGO), task.group.pid, size, s64(msgtyp), flags)
    copy_to_user(task.mm, msgp, got.mtype.to_bytes(8, "little", signed=True) + got.text)
    return len(got.text)


@syscall
def sys_msgctl(task: Task, msqid: int, cmd: int, buf: int) -> int:
    msqid, cmd, ns, creds = s32(msqid), s32(cmd), _ns(task), task.group.creds
    if msqid < 0 or cmd < 0:
        raise KernelError(errno.EINVAL)
    if cmd in (IPC_INFO, msg.MSG_INFO):
        copy_to_user(task.mm, buf, MSGINFO.pack(*msg.msginfo(ns, cmd)))
        return max(ns.msg.max_index, 0)
    if cmd in (IPC_STAT, msg.MSG_STAT, msg.MSG_STAT_ANY):
        queue = ns.msg.find(msqid) if cmd == IPC_STAT else ns.msg.by_index(msqid)
        perm = _stat_perm(task, queue, cmd == msg.MSG_STAT_ANY)
        copy_to_user(task.mm, buf, perm + MSQID64_DS.pack(queue.stime, queue.rtime, queue.ctime, queue.cbytes,
                                                          len(queue.messages), queue.qbytes, queue.lspid,
                                                          queue.lrpid))
        return 0 if cmd == IPC_STAT else queue.perm.id
    if cmd == IPC_SET:
        data = copy_from_user(task.mm, buf, IPC64_PERM.size + MSQID64_DS.size)
        qbytes = MSQID64_DS.unpack_from(data, IPC64_PERM.size)[5]
        queue = ns.msg.find(msqid)
        check_owner(creds, queue.perm)
        if qbytes > ns.msg_ctlmnb and not capable(task, CAP_SYS_RESOURCE):
            raise KernelError(errno.EPERM)
        set_perm(queue.perm, data)
        queue.qbytes, queue.ctime = qbytes, now()
        queue.queue.wake_all()
        return 0
    if cmd == IPC_RMID:
        queue = ns.msg.find(msqid)
        check_owner(creds, queue.perm)
        msg.remove(ns, queue)
        return 0
    raise KernelError(errno.EINVAL)
