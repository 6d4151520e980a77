"""Descriptor-table calls: dup, dup2, dup3, close, close_range, fcntl (descriptor and status flags, pipe size).

Descriptor numbers arrive as C `unsigned int`s (Linux's prototypes), so -1 is a huge number: EBADF, or EINVAL
where Linux says so.  The descriptor limit is the table's `max_fds` (RLIMIT_NOFILE's soft limit).
"""
from __future__ import annotations

import errno

from pynix.errors import KernelError
from pynix.fs.pipe import O_DIRECT, PipeFile
from pynix.syscall.fs_attr import LOCK_COMMANDS, fcntl_lock
from pynix.syscall.memfd import F_ADD_SEALS, F_GET_SEALS, seals_fcntl
from pynix.syscall.registry import syscall
from pynix.task.task import Task
from pynix.uapi.fcntl import O_APPEND, O_ASYNC, O_CLOEXEC, O_NOATIME, O_NONBLOCK

# include/uapi/asm-generic/fcntl.h (x86_64 and riscv64 agree)
F_DUPFD, F_GETFD, F_SETFD, F_GETFL, F_SETFL = 0, 1, 2, 3, 4
F_DUPFD_CLOEXEC = 1030
F_SETPIPE_SZ, F_GETPIPE_SZ = 1031, 1032
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
        return _setfl(file, argi)
    if cmd == F_GETPIPE_SZ or cmd == F_SETPIPE_SZ:
        if not isinstance(file, PipeFile):
            raise KernelError(errno.EBADF)
        if cmd == F_GETPIPE_SZ:
            return file.pipe.capacity
        return file.pipe.set_size(argi, privileged=task.group.creds.euid == 0)
    if cmd in LOCK_COMMANDS:
        return fcntl_lock(task, fd, cmd, arg)
    if cmd == F_ADD_SEALS or cmd == F_GET_SEALS:
        return seals_fcntl(file, cmd, argi)
    # Leases and owners arrive with the VFS work.
    raise KernelError(errno.EINVAL)


def _setfl(file, flags: int) -> int:
    # O_DIRECT: a pipe's packet mode; other files need direct-I/O support (none has it yet).
    if flags & O_DIRECT and not getattr(file, "is_fifo", False) and not getattr(file, "can_direct_io", False):
        raise KernelError(errno.EINVAL)
    file.flags = (flags & SETFL_MASK) | (file.flags & ~SETFL_MASK)
    return 0
