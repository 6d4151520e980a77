"""File leases (Linux's fs/locks.c: fcntl F_SETLEASE/F_GETLEASE, __break_lease).

A read lease (F_RDLCK: the file open read-only and nobody has it open for writing) is broken by an open for
writing; a write lease (F_WRLCK: no other open of the file) by any open, and by truncate(2).  Breaking sends the
holder SIGIO (or its F_SETSIG signal, si_code POLL_MSG) and makes the opener wait -- at most
/proc/sys/fs/lease-break-time seconds, after which the lease is taken away -- until the holder gives the lease up
(F_UNLCK), or for a reader's open downgrades it (F_RDLCK), or closes the file; O_NONBLOCK opens fail with
EWOULDBLOCK instead.  The holder is its file's F_SETOWN owner, set to the taker if none was set; giving the
lease up clears the owner and the F_SETSIG signal, as Linux's lease_modify does.
"""
from __future__ import annotations

import errno
import stat as st
import time

from pynix.errors import KernelError
from pynix.fs.fasync import F_OWNER_PID, POLL_MSG, owner_of, send_sigio_reason
from pynix.fs.file import O_ACCMODE, O_NONBLOCK, O_RDONLY, File
from pynix.fs.locks import F_RDLCK, F_UNLCK, F_WRLCK, Lease, LeaseSettings, context
from pynix.task.capability import capable
from pynix.task.task import Task
from pynix.sync.wait import Block
from pynix.uapi.capability import CAP_LEASE

F_SETLEASE, F_GETLEASE = 1024, 1025
NSEC = 1_000_000_000


def _open_files(task: Task, inode) -> list[File]:
    """Every open file description of `inode` (Linux counts them in i_readcount / i_writecount)."""
    seen: dict[int, File] = {}
    for group in task.kernel.groups.values():
        if group.exit_status is None:
            for entry in group.fds.entries.values():
                if getattr(entry.file, "inode", None) is inode:
                    seen[id(entry.file)] = entry.file
    return list(seen.values())


def fcntl_getlease(file: File) -> int:
    ctx = context(file, create=False)
    lease = next((lease for lease in ctx.leases if lease.file is file), None) if ctx else None
    return F_UNLCK if lease is None else lease.target if lease.deadline is not None else lease.type


def fcntl_setlease(task: Task, fd: int, file: File, arg: int) -> int:
    """generic_setlease + check_conflicting_open: EACCES unless the caller owns the file (or has CAP_LEASE), EINVAL
    for a file that is not regular or an unknown type, EAGAIN for a lease the opens of the file forbid."""
    inode = getattr(file, "inode", None)
    creds = task.group.creds
    if inode is None or not LeaseSettings.enable:
        raise KernelError(errno.EINVAL)
    if creds.fsuid != inode.uid and not capable(task, CAP_LEASE):
        raise KernelError(errno.EACCES)
    if not st.S_ISREG(inode.mode) or arg not in (F_RDLCK, F_WRLCK, F_UNLCK):
        raise KernelError(errno.EINVAL)
    ctx = context(file)
    mine = next((lease for lease in ctx.leases if lease.file is file), None)
    if arg == F_UNLCK:
        if mine is not None:
            ctx.leases.remove(mine)
            owner = owner_of(file)                # lease_modify: f_delown, and the F_SETSIG signal goes too
            owner.id = owner.signum = 0
            ctx.queue.wake_all()
        return 0
    others = _open_files(task, inode)
    if arg == F_RDLCK and any(f.writable for f in others):
        raise KernelError(errno.EAGAIN)
    if arg == F_WRLCK and (any(f is not file for f in others)
                           or any(lease.file is not file for lease in ctx.leases)):
        raise KernelError(errno.EAGAIN)
    if mine is None and any(lease.deadline is not None and lease.target == F_UNLCK for lease in ctx.leases):
        raise KernelError(errno.EAGAIN)           # someone is opening for writing
    owner = owner_of(file)
    if not owner.id:                              # lease_setup: the taker becomes the owner
        owner.type, owner.id, owner.uid, owner.euid = F_OWNER_PID, task.group.pid, creds.uid, creds.euid
    if mine is None:
        ctx.leases.append(Lease(file, arg))
    else:
        mine.type, mine.deadline = arg, None
        ctx.queue.wake_all()
    file.lease_fd = fd
    return 0


def break_lease(task: Task, inode, flags: int) -> None:
    """__break_lease for an open with `flags` (or a truncate: O_WRONLY): signal the holders of conflicting leases
    once, then wait for them (Block) until they are gone or their break time has passed."""
    ctx = getattr(inode, "_lock_ctx", None)
    if ctx is None or not ctx.leases:
        return
    want_write = flags & O_ACCMODE != O_RDONLY
    now = time.monotonic_ns()
    for lease in list(ctx.leases):
        if lease.deadline is not None and now >= lease.deadline:      # time_out_leases
            if lease.target == F_RDLCK and lease.type == F_WRLCK:
                lease.type, lease.deadline = F_RDLCK, None
            else:
                ctx.leases.remove(lease)
    conflicting = [lease for lease in ctx.leases if want_write or lease.type == F_WRLCK]
    if not conflicting:
        return
    for lease in conflicting:
        if lease.deadline is None or want_write and lease.target != F_UNLCK:
            lease.target = F_UNLCK if want_write else F_RDLCK
            lease.deadline = now + LeaseSettings.break_time * NSEC
            send_sigio_reason(task.kernel, owner_of(lease.file), getattr(lease.file, "lease_fd", -1), POLL_MSG)
    if flags & O_NONBLOCK:
        raise KernelError(errno.EWOULDBLOCK)
    raise Block(ctx.queue, deadline=min(lease.deadline for lease in conflicting))
