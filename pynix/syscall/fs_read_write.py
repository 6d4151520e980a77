"""read, write, readv, writev, pread64, pwrite64, preadv, pwritev, preadv2, pwritev2 (Linux's fs/read_write.c).

Each builds the one iov_iter of the call from its user pointer(s) (mm/iov_iter.py) and hands it to the file's
`read_iter` / `write_iter` -- or, for the positioned calls, to a regular file's `pread_iter` / `pwrite_iter`.
"""
from __future__ import annotations

import errno

from pynix.errors import KernelError
from pynix.fs.file import O_NONBLOCK, File
from pynix.fs.file_ops import O_APPEND, InodeFile, RegularFile
from pynix.fs.notify.fsnotify import fsnotify_access, fsnotify_file_perm, fsnotify_modify
from pynix.fs.pipe import PipeFile
from pynix.mm.iov_iter import IovIter, UserIter
from pynix.net.socket import MSG_NOSIGNAL, Ancillary, Socket
from pynix.syscall.registry import s32, s64, syscall
from pynix.task.task import Task

OFFSET_MAX = (1 << 63) - 1
# preadv2/pwritev2 flags (include/uapi/linux/fs.h)
RWF_HIPRI, RWF_DSYNC, RWF_SYNC, RWF_NOWAIT, RWF_APPEND, RWF_NOAPPEND = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20
RWF_ATOMIC, RWF_DONTCACHE, RWF_NOSIGNAL = 0x40, 0x80, 0x100
RWF_SUPPORTED = 0x1FF


def _file(task: Task, fd: int, write: bool) -> File:
    file = task.group.fds.get(fd & 0xFFFFFFFF)         # a C int: a negative one is no descriptor either
    if not (file.writable if write else file.readable):
        raise KernelError(errno.EBADF)
    if not write:
        fsnotify_file_perm(file)                        # rw_verify_area: fanotify's FAN_ACCESS_PERM
    return file


def _positioned(task: Task, fd: int, pos: int, write: bool) -> RegularFile:
    """The file of a pread/pwrite at `pos` (ksys_pread64's order: EINVAL, EBADF, ESPIPE, then the mode)."""
    if pos < 0:
        raise KernelError(errno.EINVAL)
    file = task.group.fds.get(s32(fd))
    if not isinstance(file, RegularFile):           # only files opened by path have FMODE_PREAD
        if isinstance(file, InodeFile) and file.inode.is_dir and file.readable:
            raise KernelError(errno.EISDIR)
        raise KernelError(errno.ESPIPE)
    if not (file.writable if write else file.readable):
        raise KernelError(errno.EBADF)
    if not write:
        fsnotify_file_perm(file)
    return file


def _verify_area(pos: int, count: int) -> None:
    """rw_verify_area: the range must not pass the largest offset."""
    if pos + count > OFFSET_MAX:
        raise KernelError(errno.EINVAL)


def _rw_flags(file: File, flags: int, write: bool) -> None:
    """kiocb_set_rw_flags: EOPNOTSUPP for the flags this file cannot honour (HIPRI, DSYNC and SYNC need nothing
    here: there is no polling and every write is synchronous; NOWAIT is a pipe's non-blocking read/write;
    NOSIGNAL spares a pipe or socket writer SIGPIPE)."""
    if flags & ~RWF_SUPPORTED:
        raise KernelError(errno.EOPNOTSUPP)
    if flags & RWF_APPEND and flags & RWF_NOAPPEND:
        raise KernelError(errno.EINVAL)
    if flags & RWF_NOWAIT and not isinstance(file, PipeFile):
        raise KernelError(errno.EOPNOTSUPP)
    if flags & RWF_ATOMIC or flags & RWF_DONTCACHE:
        raise KernelError(errno.EOPNOTSUPP)


def _write_pos(file: RegularFile, pos: int, flags: int = 0) -> int:
    """Where a positioned write lands: at the end for O_APPEND (as Linux's pwrite does) or RWF_APPEND."""
    append = (file.flags & O_APPEND and not flags & RWF_NOAPPEND) or flags & RWF_APPEND
    return file.seekable_size() if append else pos


def _stream_read(task: Task, file: File, it: IovIter, flags: int = 0) -> int:
    if flags & RWF_NOWAIT and not file.nonblocking:
        saved, file.flags = file.flags, file.flags | O_NONBLOCK         # for this call only
        try:
            return file.read_iter(task, it)
        finally:
            file.flags = saved
    return file.read_iter(task, it)


def _stream_write(task: Task, file: File, it: IovIter, flags: int = 0) -> int:
    if flags & RWF_NOSIGNAL:
        if isinstance(file, PipeFile) and not file.pipe.readers:
            raise KernelError(errno.EPIPE)                            # pipe_write without send_sig
        if isinstance(file, Socket):
            n = file.sendmsg(task, it.map(it.count), MSG_NOSIGNAL, None, Ancillary())
            it.advance(n)
            return n
    if isinstance(file, RegularFile) and flags & (RWF_APPEND | RWF_NOAPPEND):
        pos = _write_pos(file, file.offset, flags)
        n = file.pwrite_iter(task, it, pos)
        file.offset = pos + n
        return n
    if flags & RWF_NOWAIT and not file.nonblocking:
        saved, file.flags = file.flags, file.flags | O_NONBLOCK
        try:
            return file.write_iter(task, it)
        finally:
            file.flags = saved
    return file.write_iter(task, it)


@syscall
def sys_read(task: Task, fd: int, buf: int, count: int) -> int:
    file = task.group.fds.get(fd & 0xFFFFFFFF)         # (_file, inlined: read and write are the hot paths)
    if not file.readable:
        raise KernelError(errno.EBADF)
    fsnotify_file_perm(file)
    return fsnotify_access(file, file.read_iter(task, UserIter(task.mm, buf, count, True)))


@syscall
def sys_write(task: Task, fd: int, buf: int, count: int) -> int:
    file = task.group.fds.get(fd & 0xFFFFFFFF)
    if not file.writable:
        raise KernelError(errno.EBADF)
    if count == 0:
        return 0
    return fsnotify_modify(file, file.write_iter(task, UserIter(task.mm, buf, count, False)))


@syscall
def sys_readv(task: Task, fd: int, iov: int, iovcnt: int) -> int:
    file = _file(task, fd, False)
    return fsnotify_access(file, file.read_iter(task, UserIter.iovec(task.mm, iov, s32(iovcnt), True)))


@syscall
def sys_writev(task: Task, fd: int, iov: int, iovcnt: int) -> int:
    file = _file(task, fd, True)
    it = UserIter.iovec(task.mm, iov, s32(iovcnt), False)
    return fsnotify_modify(file, file.write_iter(task, it)) if it.count else 0


@syscall
def sys_pread64(task: Task, fd: int, buf: int, count: int, offset: int) -> int:
    pos = s64(offset)
    file = _positioned(task, fd, pos, False)
    it = UserIter(task.mm, buf, count, True)
    if not it.count:
        return 0
    _verify_area(pos, count)
    return fsnotify_access(file, file.pread_iter(task, it, pos))


@syscall
def sys_pwrite64(task: Task, fd: int, buf: int, count: int, offset: int) -> int:
    pos = s64(offset)
    file = _positioned(task, fd, pos, True)
    it = UserIter(task.mm, buf, count, False)
    if not it.count:
        return 0
    _verify_area(pos, count)
    return fsnotify_modify(file, file.pwrite_iter(task, it, _write_pos(file, pos)))


def _preadv(task: Task, fd: int, iov: int, iovcnt: int, pos: int, flags: int | None) -> int:
    if pos == -1 and flags is not None:                  # preadv2 at the file's own offset: readv
        file = _file(task, fd, False)
        it = UserIter.iovec(task.mm, iov, s32(iovcnt), True)
        if not it.count:
            return 0
        _rw_flags(file, flags, False)
        return fsnotify_access(file, _stream_read(task, file, it, flags))
    file = _positioned(task, fd, pos, False)
    it = UserIter.iovec(task.mm, iov, s32(iovcnt), True)
    if not it.count:
        return 0
    _verify_area(pos, it.count)
    _rw_flags(file, flags or 0, False)
    return fsnotify_access(file, file.pread_iter(task, it, pos))


def _pwritev(task: Task, fd: int, iov: int, iovcnt: int, pos: int, flags: int | None) -> int:
    if pos == -1 and flags is not None:                  # pwritev2 at the file's own offset: writev
        file = _file(task, fd, True)
        it = UserIter.iovec(task.mm, iov, s32(iovcnt), False)
        if not it.count:
            return 0
        _rw_flags(file, flags, True)
        return fsnotify_modify(file, _stream_write(task, file, it, flags))
    file = _positioned(task, fd, pos, True)
    it = UserIter.iovec(task.mm, iov, s32(iovcnt), False)
    if not it.count:
        return 0
    _verify_area(pos, it.count)
    _rw_flags(file, flags or 0, True)
    return fsnotify_modify(file, file.pwrite_iter(task, it, _write_pos(file, pos, flags or 0)))


@syscall
def sys_preadv(task: Task, fd: int, iov: int, iovcnt: int, pos_l: int, pos_h: int) -> int:
    return _preadv(task, fd, iov, iovcnt, s64(pos_l), None)


@syscall
def sys_pwritev(task: Task, fd: int, iov: int, iovcnt: int, pos_l: int, pos_h: int) -> int:
    return _pwritev(task, fd, iov, iovcnt, s64(pos_l), None)


@syscall
def sys_preadv2(task: Task, fd: int, iov: int, iovcnt: int, pos_l: int, pos_h: int, flags: int) -> int:
    return _preadv(task, fd, iov, iovcnt, s64(pos_l), s32(flags) & 0xFFFFFFFF)


@syscall
def sys_pwritev2(task: Task, fd: int, iov: int, iovcnt: int, pos_l: int, pos_h: int, flags: int) -> int:
    return _pwritev(task, fd, iov, iovcnt, s64(pos_l), s32(flags) & 0xFFFFFFFF)

