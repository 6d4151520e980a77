"""Descriptor-table calls: dup, dup2, dup3, close, close_range, fcntl (descriptor and status flags, pipe size,
owners and signals of O_ASYNC, leases, directory notification).

Descriptor numbers arrive as C `unsigned int`s (Linux's prototypes), so -1 is a huge number: EBADF, or EINVAL
where Linux says so.  The descriptor limit is the table's `max_fds` (RLIMIT_NOFILE's soft limit).
"""
from __future__ import annotations

import errno
import struct

from pynix.errors import KernelError
from pynix.fs.fasync import F_OWNER_PGRP, F_OWNER_PID, F_OWNER_TID, Fasync, owner_of
from pynix.fs.notify.dnotify import fcntl_dirnotify
from pynix.fs.pipe import O_DIRECT, PipeFile
from pynix.mm.uaccess import copy_from_user, copy_to_user
from pynix.syscall.fs_attr import LOCK_COMMANDS, fcntl_lock
from pynix.syscall.lease import F_GETLEASE, F_SETLEASE, fcntl_getlease, fcntl_setlease
from pynix.syscall.memfd import F_ADD_SEALS, F_GET_SEALS, seals_fcntl
from pynix.syscall.registry import s32, syscall
from pynix.task.capability import capable
from pynix.task.task import Task
from pynix.uapi.capability import CAP_SYS_RESOURCE
from pynix.uapi.fcntl import O_APPEND, O_ASYNC, O_CLOEXEC, O_NOATIME, O_NONBLOCK

# include/uapi/asm-generic/fcntl.h (x86_64 and riscv64 agree)
F_DUPFD, F_GETFD, F_SETFD, F_GETFL, F_SETFL = 0, 1, 2, 3, 4
F_DUPFD_CLOEXEC = 1030
F_NOTIFY = 1026
F_SETPIPE_SZ, F_GETPIPE_SZ = 1031, 1032
F_SETOWN, F_GETOWN, F_SETSIG, F_GETSIG, F_SETOWN_EX, F_GETOWN_EX = 8, 9, 10, 11, 15, 16
NSIG = 64
FD_CLOEXEC = 1
# The status flags F_SETFL may change (Linux's SETFL_MASK, plus O_ASYNC which its ->fasync sets).
SETFL_MASK = O_APPEND | O_NONBLOCK | O_DIRECT | O_NOATIME | O_ASYNC

CLOSE_RANGE_UNSHARE, CLOSE_RANGE_CLOEXEC = 2, 4


def u32(value: int) -> int:
    """A C `unsigned int` argument."""
    return value & 0xFFFFFFFF


@syscall
def sys_dup(task: Task, oldfd: int) -> int:
    table = task.group.fds
    return table.install(table.get(u32(oldfd)))


def _dup3(task: Task, oldfd: int, newfd: int, flags: int) -> int:
    """Linux's ksys_dup3 with its checks in its order: flags, same descriptor, range, oldfd."""
    if flags & ~O_CLOEXEC:
        raise KernelError(errno.EINVAL)
    if oldfd == newfd:
        raise KernelError(errno.EINVAL)
    table = task.group.fds
    if newfd >= table.max_fds:
        raise KernelError(errno.EBADF)
    table.install_at(newfd, table.get(oldfd), bool(flags & O_CLOEXEC))
    return newfd


@syscall
def sys_dup2(task: Task, oldfd: int, newfd: int) -> int:
    oldfd, newfd = u32(oldfd), u32(newfd)
    if oldfd == newfd:
        task.group.fds.get(oldfd)         # EBADF unless open; otherwise nothing changes (cloexec is kept)
        return newfd
    return _dup3(task, oldfd, newfd, 0)


@syscall
def sys_dup3(task: Task, oldfd: int, newfd: int, flags: int) -> int:
    return _dup3(task, u32(oldfd), u32(newfd), u32(flags))


@syscall
def sys_close(task: Task, fd: int) -> int:
    task.group.fds.close(u32(fd))
    return 0


@syscall
def sys_close_range(task: Task, first: int, last: int, flags: int) -> int:
    first, last, flags = u32(first), u32(last), u32(flags)
    if flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC):
        raise KernelError(errno.EINVAL)
    if first > last:
        raise KernelError(errno.EINVAL)
    table = task.group.fds
    if flags & CLOSE_RANGE_UNSHARE and table.users > 1:
        # A table shared with other processes (CLONE_FILES) is first copied, as exec does.  (Linux unshares
        # per thread; here the table belongs to the thread group, so the whole process gets the copy.)
        table.users -= 1
        table = task.group.fds = table.copy()
    for fd in sorted(fd for fd in table.entries if first <= fd <= last):
        if flags & CLOSE_RANGE_CLOEXEC:
            table.entries[fd].cloexec = True
        else:
            table.close(fd)
    return 0


@syscall
def sys_fcntl(task: Task, fd: int, cmd: int, arg: int) -> int:
    table = task.group.fds
    fd, cmd = u32(fd), u32(cmd)
    entry = table.entry(fd)                # EBADF before anything else
    file = entry.file
    argi = u32(arg)                        # Linux's (int)arg, used as unsigned where it is a descriptor
    if cmd == F_DUPFD or cmd == F_DUPFD_CLOEXEC:
        if argi >= table.max_fds:
            raise KernelError(errno.EINVAL)
        return table.install(file, cmd == F_DUPFD_CLOEXEC, lowest=argi)
    if cmd == F_GETFD:
        return FD_CLOEXEC if entry.cloexec else 0
    if cmd == F_SETFD:
        entry.cloexec = bool(argi & FD_CLOEXEC)
        return 0
    if cmd == F_GETFL:
        return file.flags & ~O_CLOEXEC
    if cmd == F_SETFL:
        return _setfl(task, fd, file, argi)
    if cmd in (F_SETOWN, F_GETOWN, F_SETOWN_EX, F_GETOWN_EX, F_SETSIG, F_GETSIG):
        return _owner_fcntl(task, file, cmd, arg)
    if cmd == F_GETPIPE_SZ or cmd == F_SETPIPE_SZ:
        if not isinstance(file, PipeFile):
            raise KernelError(errno.EBADF)
        if cmd == F_GETPIPE_SZ:
            return file.pipe.capacity
        return file.pipe.set_size(argi, privileged=capable(task, CAP_SYS_RESOURCE))
    if cmd in LOCK_COMMANDS:
        return fcntl_lock(task, fd, cmd, arg)
    if cmd == F_ADD_SEALS or cmd == F_GET_SEALS:
        return seals_fcntl(file, cmd, argi)
    if cmd == F_SETLEASE:
        return fcntl_setlease(task, fd, file, argi)
    if cmd == F_GETLEASE:
        return fcntl_getlease(file)
    if cmd == F_NOTIFY:
        return fcntl_dirnotify(task, fd, file, argi)
    raise KernelError(errno.EINVAL)


def _setfl(task: Task, fd: int, file, flags: int) -> int:
    # O_DIRECT: a pipe's packet mode; other files need direct-I/O support (none has it yet).
    if flags & O_DIRECT and not getattr(file, "is_fifo", False) and not getattr(file, "can_direct_io", False):
        raise KernelError(errno.EINVAL)
    if flags & O_ASYNC and file.fasync is None:           # fasync_helper: hook on the file's wait queues
        file.fasync = Fasync(task.kernel, file, fd)
        file.fasync.attach(task)
    elif not flags & O_ASYNC and file.fasync is not None:
        file.fasync.detach()
        file.fasync = None
    file.flags = (flags & SETFL_MASK) | (file.flags & ~SETFL_MASK)
    return 0


def _owner_fcntl(task: Task, file, cmd: int, arg: int) -> int:
    """F_SETOWN/F_GETOWN (a pid, or -pgid), F_SETOWN_EX/F_GETOWN_EX (struct f_owner_ex {type, pid}),
    F_SETSIG/F_GETSIG: who O_ASYNC signals, and with what (fs/fasync.py).  ESRCH for an owner that does not
    exist, EINVAL for an unknown type or signal."""
    owner = owner_of(file)
    kernel, creds = task.kernel, task.group.creds
    if cmd == F_GETOWN:
        return -owner.id if owner.type == F_OWNER_PGRP else owner.id
    if cmd == F_GETOWN_EX:
        copy_to_user(task.mm, arg, struct.pack("<ii", owner.type, owner.id))
        return 0
    if cmd == F_GETSIG:
        return owner.signum
    if cmd == F_SETSIG:
        if not 0 <= u32(arg) <= NSIG:
            raise KernelError(errno.EINVAL)
        owner.signum = u32(arg)
        return 0
    if cmd == F_SETOWN:
        who = s32(arg)
        kind, who = (F_OWNER_PGRP, -who) if who < 0 else (F_OWNER_PID, who)
    else:
        kind, who = struct.unpack("<ii", copy_from_user(task.mm, arg, 8))
        if kind not in (F_OWNER_TID, F_OWNER_PID, F_OWNER_PGRP):
            raise KernelError(errno.EINVAL)
    if who:
        exists = who in kernel.tasks if kind != F_OWNER_PGRP else any(g.pgid == who for g in kernel.groups.values())
        if not exists:
            raise KernelError(errno.ESRCH)
    owner.type, owner.id, owner.uid, owner.euid = kind, who, creds.uid, creds.euid
    return 0
