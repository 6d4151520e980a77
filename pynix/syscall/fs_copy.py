"""In-kernel copies: sendfile (from a regular file to anything writable) and copy_file_range (regular file to
regular file on one filesystem), with Linux's argument checks in Linux's order."""
from __future__ import annotations

import errno

from pynix.errors import KernelError
from pynix.fs.file import File
from pynix.fs.file_ops import O_APPEND, RegularFile, read_file, write_file
from pynix.fs.pipe import O_DIRECT, PipeFile
from pynix.mm.iov_iter import KernelIter
from pynix.mm.uaccess import copy_from_user, copy_to_user
from pynix.sync.wait import Block
from pynix.net.socket import MSG_DONTWAIT, Ancillary, Socket
from pynix.syscall.fs_attr import fdget, file_path
from pynix.syscall.registry import s64, syscall
from pynix.task.task import Task
from pynix.uapi.fcntl import O_NONBLOCK

MAX_RW_COUNT = 0x7FFFF000
OFFSET_MAX = (1 << 63) - 1
CHUNK = 1 << 20


def read_loff(task: Task, addr: int) -> int:
    return s64(int.from_bytes(copy_from_user(task.mm, addr, 8), "little"))


def write_loff(task: Task, addr: int, value: int) -> None:
    copy_to_user(task.mm, addr, (value & 0xFFFFFFFFFFFFFFFF).to_bytes(8, "little"))


def _seekable(file: File) -> bool:
    path = file_path(file)
    return path is not None and not isinstance(file, PipeFile)


def write_some(task: Task, out: File, data: bytes, first: bool, nonblocking: bool) -> int:
    """Write `data` to `out` for sendfile and splice: what fits into a pipe or socket (waiting only if nothing was
    sent yet)."""
    if isinstance(out, PipeFile):
        pipe = out.pipe
        try:
            return pipe.write_iter(task, KernelIter(data), True, bool(out.flags & O_DIRECT))
        except KernelError as err:
            if err.errno != errno.EAGAIN or not first:
                raise
            if nonblocking or out.nonblocking:
                raise
            raise Block(pipe.write_queue) from None
    if isinstance(out, Socket):
        # Like a pipe: what fits now, waiting only before the first byte (a blocking socket write would
        # restart the whole sendfile, and with it chunks already sent).
        try:
            return out.sendmsg(task, [memoryview(data)], MSG_DONTWAIT, None, Ancillary())
        except KernelError as err:
            if err.errno != errno.EAGAIN or not first or nonblocking or out.nonblocking:
                raise
            raise Block(out.write_wq, out.state_wq) from None
    return out.write_iter(task, KernelIter(data))


@syscall
def sys_sendfile(task: Task, out_fd: int, in_fd: int, offset: int, count: int) -> int:
    ppos = read_loff(task, offset) if offset else None
    infile = fdget(task, in_fd)
    if not infile.readable:
        raise KernelError(errno.EBADF)
    if ppos is None:
        pos = getattr(infile, "offset", 0)
    else:
        pos = ppos
        if not _seekable(infile):
            raise KernelError(errno.ESPIPE)
    if count & (1 << 63) or pos < 0:
        raise KernelError(errno.EINVAL)
    count = min(count, MAX_RW_COUNT)
    out = fdget(task, out_fd)
    if not out.writable:
        raise KernelError(errno.EBADF)
    if pos + count > OFFSET_MAX:
        count = OFFSET_MAX - pos
    if not isinstance(out, PipeFile) and out.flags & O_APPEND:
        raise KernelError(errno.EINVAL)
    if not isinstance(infile, RegularFile):
        raise KernelError(errno.EINVAL)        # only page-cache files can be spliced from
    done = 0
    while done < count:
        data = infile.pread(min(CHUNK, count - done), pos)   # the file's own read: /proc files too
        if not data:
            break
        try:
            n = write_some(task, out, data, done == 0, bool(infile.flags & O_NONBLOCK))
        except KernelError:
            if done:
                break
            raise
        pos += n
        done += n
        if n < len(data):
            break
    if ppos is not None:
        write_loff(task, offset, pos)
    elif done:
        infile.offset = pos
    return done


def generic_file_rw_checks(fin: File, fout: File) -> None:
    """What copy_file_range and the clone ioctls ask of both files: EISDIR for a directory, EINVAL for another
    non-regular file, EBADF unless the source is readable and the target writable without O_APPEND."""
    pin, pout = file_path(fin), file_path(fout)
    if (pin is not None and pin.inode.is_dir) or (pout is not None and pout.inode.is_dir):
        raise KernelError(errno.EISDIR)
    if not isinstance(fin, RegularFile) or not isinstance(fout, RegularFile):
        raise KernelError(errno.EINVAL)
    if not fin.readable or not fout.writable or fout.flags & O_APPEND:
        raise KernelError(errno.EBADF)


@syscall
def sys_copy_file_range(task: Task, fd_in: int, off_in: int, fd_out: int, off_out: int, length: int,
                        flags: int) -> int:
    fin = fdget(task, fd_in)
    fout = fdget(task, fd_out)
    pos_in = read_loff(task, off_in) if off_in else getattr(fin, "offset", 0)
    pos_out = read_loff(task, off_out) if off_out else getattr(fout, "offset", 0)
    if flags & 0xFFFFFFFF:
        raise KernelError(errno.EINVAL)
    generic_file_rw_checks(fin, fout)
    inode_in, inode_out = fin.inode, fout.inode
    if inode_in.sb is not inode_out.sb:
        raise KernelError(errno.EXDEV)
    mask = (1 << 64) - 1
    if (pos_in + length) & mask < pos_in & mask or (pos_out + length) & mask < pos_out & mask:
        raise KernelError(errno.EOVERFLOW)
    size_in = inode_in.size
    count = 0 if pos_in >= size_in else min(length, size_in - pos_in)
    if inode_in is inode_out and pos_out + count > pos_in and pos_out < pos_in + count:
        raise KernelError(errno.EINVAL)
    for pos in (pos_in, pos_out):              # rw_verify_area
        if count & (1 << 63) or pos < 0 or pos + count > OFFSET_MAX:
            raise KernelError(errno.EINVAL)
    if count == 0:
        return 0
    count = min(count, MAX_RW_COUNT)
    done = 0
    while done < count:
        data = read_file(inode_in, pos_in + done, min(CHUNK, count - done), task)
        if not data:
            break
        done += write_file(inode_out, pos_out + done, data, task)
    if off_in:
        write_loff(task, off_in, pos_in + done)
    else:
        fin.offset = pos_in + done
    if off_out:
        write_loff(task, off_out, pos_out + done)
    else:
        fout.offset = pos_out + done
    return done
