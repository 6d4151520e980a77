"""splice, tee and vmsplice (Linux's fs/splice.c): moving data between a pipe and a file, socket, another pipe or
user memory without a user-space buffer in between.

Linux moves page references; pynix copies the bytes (the pipe's buffers own theirs), but splits and flags them as
Linux's references would be: a buffer spliced from a file or user memory holds one page's part and never merges
with a later write (pipe.py's `splice_in`).  Every call moves what is there at once and blocks only before moving
anything, so a restarted call never repeats data.  A pipe side is non-blocking with SPLICE_F_NONBLOCK or its own
O_NONBLOCK, as in do_splice.
"""
from __future__ import annotations

import errno

from pynix.errors import KernelError
from pynix.fs.file import File
from pynix.fs.file_ops import O_APPEND, RegularFile
from pynix.fs.notify.fsnotify import fsnotify_access, fsnotify_modify
from pynix.fs.pipe import PAGE_SIZE, Pipe, PipeFile
from pynix.mm.iov_iter import KernelIter, UserIter
from pynix.net.socket import MSG_DONTWAIT, Socket
from pynix.syscall.fs_attr import fdget, file_path
from pynix.syscall.fs_copy import OFFSET_MAX, read_loff, write_loff, write_some
from pynix.syscall.registry import syscall
from pynix.task.task import Task

SPLICE_F_MOVE, SPLICE_F_NONBLOCK, SPLICE_F_MORE, SPLICE_F_GIFT = 1, 2, 4, 8
SPLICE_F_ALL = SPLICE_F_MOVE | SPLICE_F_NONBLOCK | SPLICE_F_MORE | SPLICE_F_GIFT


def _pipe_of(file: File) -> Pipe | None:
    """get_pipe_info: the pipe behind a pipe end (or an opened FIFO), else None."""
    return file.pipe if isinstance(file, PipeFile) else None


def _positioned(file: File) -> bool:
    """FMODE_PREAD / FMODE_PWRITE: the file has offsets (not a socket or pipe)."""
    return file_path(file) is not None


def _verify_area(pos: int, count: int) -> None:
    """rw_verify_area: EINVAL for a negative offset or one that `count` would carry past the largest."""
    if count & (1 << 63) or pos < 0 or count > OFFSET_MAX - pos:
        raise KernelError(errno.EINVAL)


def _file_to_pipe(task: Task, infile: File, pos: int, opipe: Pipe, length: int, nonblocking: bool) -> int:
    """splice_file_to_pipe: wait for a free buffer, then read at `pos` what fits (filemap_splice_read for page-
    cache files, a socket's receive, copy_splice_read's read_iter for the rest: devices); the count, 0 at EOF."""
    opipe.wait_for_space(task, nonblocking)
    path = file_path(infile)
    if path is not None and path.inode.is_dir:
        raise KernelError(errno.EINVAL)               # a directory has no splice_read
    length = min(length, (opipe.max_usage - len(opipe.buffers)) * PAGE_SIZE)
    if isinstance(infile, RegularFile):
        data = infile.pread(length, pos)
    elif isinstance(infile, Socket):               # sock_splice_read: SPLICE_F_NONBLOCK is MSG_DONTWAIT
        data = infile.recvmsg(task, length, MSG_DONTWAIT if nonblocking else 0).data
    else:
        buf = bytearray(length)
        data = buf[:infile.read_iter(task, KernelIter(buf))]
    return opipe.splice_in(data, pos)


def _pipe_to_file(task: Task, ipipe: Pipe, out: File, pos: int, length: int, nonblocking: bool) -> int:
    """iter_file_splice_write / splice_to_socket: wait for data, write what the pipe holds (up to `length`) at
    `pos`, and consume what was written; 0 at EOF."""
    if not ipipe.wait_for_data(nonblocking):
        return 0
    data = ipipe.peek(length)
    if isinstance(out, RegularFile):
        n = out.pwrite_iter(task, KernelIter(data), pos)
    else:
        n = write_some(task, out, data, True, nonblocking)
    ipipe.consume(n)
    return n


def _pipe_to_pipe(task: Task, ipipe: Pipe, opipe: Pipe, length: int, nonblocking: bool) -> int:
    """splice_pipe_to_pipe: wait for input and for room, then move buffers; 0 when the input is at EOF."""
    ipipe.wait_for_data(nonblocking)
    opipe.wait_for_space(task, nonblocking)
    return ipipe.move_to(opipe, length)


def do_splice(task: Task, infile: File, off_in: int, out: File, off_out: int, length: int, flags: int) -> int:
    """__do_splice and do_splice: the argument checks in Linux's order, then one of the three directions, with
    the fsnotify events Linux raises for each (ACCESS of a file read from, MODIFY of a file written to).
    `off_in` / `off_out` are user addresses of loff_t offsets (0: use and update the file offset)."""
    ipipe, opipe = _pipe_of(infile), _pipe_of(out)
    if (ipipe is not None and off_in) or (opipe is not None and off_out):
        raise KernelError(errno.ESPIPE)
    pos_out = read_loff(task, off_out) if off_out else None
    pos_in = read_loff(task, off_in) if off_in else None
    if not infile.readable or not out.writable:
        raise KernelError(errno.EBADF)
    nonblocking = bool(flags & SPLICE_F_NONBLOCK)
    if ipipe is not None and opipe is not None:
        if ipipe is opipe:
            raise KernelError(errno.EINVAL)
        n = _pipe_to_pipe(task, ipipe, opipe, length, nonblocking or infile.nonblocking or out.nonblocking)
        return fsnotify_modify(out, fsnotify_access(infile, n))
    if ipipe is not None:
        if pos_out is not None and not _positioned(out):
            raise KernelError(errno.EINVAL)
        pos = getattr(out, "offset", 0) if pos_out is None else pos_out
        if out.flags & O_APPEND:
            raise KernelError(errno.EINVAL)
        _verify_area(pos, length)
        n = _pipe_to_file(task, ipipe, out, pos, length, nonblocking or infile.nonblocking)
        if pos_out is not None:
            write_loff(task, off_out, pos + n)
        elif isinstance(out, RegularFile):
            out.offset = pos + n
        return fsnotify_modify(out, n)
    if opipe is not None:
        if pos_in is not None and not _positioned(infile):
            raise KernelError(errno.EINVAL)
        pos = getattr(infile, "offset", 0) if pos_in is None else pos_in
        _verify_area(pos, length)
        n = _file_to_pipe(task, infile, pos, opipe, length, nonblocking or out.nonblocking)
        if pos_in is not None:
            write_loff(task, off_in, pos + n)
        elif isinstance(infile, RegularFile):
            infile.offset = pos + n
        return fsnotify_access(infile, n)
    raise KernelError(errno.EINVAL)


@syscall
def sys_splice(task: Task, fd_in: int, off_in: int, fd_out: int, off_out: int, length: int, flags: int) -> int:
    if not length:
        return 0
    if flags & 0xFFFFFFFF & ~SPLICE_F_ALL:
        raise KernelError(errno.EINVAL)
    infile = fdget(task, fd_in)
    out = fdget(task, fd_out)
    return do_splice(task, infile, off_in, out, off_out, length, flags)


@syscall
def sys_tee(task: Task, fd_in: int, fd_out: int, length: int, flags: int) -> int:
    """do_tee: copy up to `length` bytes from one pipe to another without consuming them."""
    if flags & 0xFFFFFFFF & ~SPLICE_F_ALL:
        raise KernelError(errno.EINVAL)
    if not length:
        return 0
    infile = fdget(task, fd_in)
    out = fdget(task, fd_out)
    if not infile.readable or not out.writable:
        raise KernelError(errno.EBADF)
    ipipe, opipe = _pipe_of(infile), _pipe_of(out)
    if ipipe is None or opipe is None or ipipe is opipe:
        raise KernelError(errno.EINVAL)
    nonblocking = bool(flags & SPLICE_F_NONBLOCK) or infile.nonblocking or out.nonblocking
    ipipe.wait_for_data(nonblocking)
    opipe.wait_for_space(task, nonblocking)
    return fsnotify_modify(out, fsnotify_access(infile, ipipe.link_to(opipe, length)))


@syscall
def sys_vmsplice(task: Task, fd: int, iov: int, nr_segs: int, flags: int) -> int:
    """vmsplice: user memory into a pipe's write end (iter_to_pipe: what fits, one buffer per user page), or,
    on a read end, out of the pipe into user memory (vmsplice_to_user, which only SPLICE_F_NONBLOCK makes
    non-blocking)."""
    if flags & 0xFFFFFFFF & ~SPLICE_F_ALL:
        raise KernelError(errno.EINVAL)
    file = fdget(task, fd)
    if not file.writable and not file.readable:
        raise KernelError(errno.EBADF)
    to_pipe = file.writable
    it = UserIter.iovec(task.mm, iov, nr_segs, dest=not to_pipe)
    if not it.count:
        return 0
    pipe = _pipe_of(file)
    if pipe is None:
        raise KernelError(errno.EBADF)
    nonblocking = bool(flags & SPLICE_F_NONBLOCK)
    if to_pipe:
        pipe.wait_for_space(task, nonblocking or file.nonblocking)
        done = 0
        while it.count and not pipe.full():
            if not it.seg_left:
                it.advance(0)                              # on to the next non-empty segment
                continue
            addr = it.base
            try:
                data = it.copy_from(min(it.seg_left, PAGE_SIZE - addr % PAGE_SIZE))
            except KernelError:
                if done:
                    break
                raise
            done += pipe.splice_in(data, addr)
        return fsnotify_modify(file, done)
    if not pipe.wait_for_data(nonblocking):
        return 0
    n = it.copy_to(pipe.peek(it.count))
    pipe.consume(n)
    return fsnotify_access(file, n)
