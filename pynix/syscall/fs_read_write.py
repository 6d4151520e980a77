"""read, write, readv, writev, pread64, pwrite64."""
from __future__ import annotations

import errno

from pynix.errors import KernelError
from pynix.fs.notify.fsnotify import fsnotify_access, fsnotify_modify
from pynix.hal import ACCESS_READ
from pynix.mm.uaccess import copy_to_user, read_iovec, user_buffers
from pynix.syscall.registry import s32, syscall
from pynix.task.task import Task

MAX_RW_COUNT = 0x7FFFF000        # Linux caps one read/write at INT_MAX rounded down to a page


def _readable(task: Task, fd: int):
    file = task.group.fds.get(fd & 0xFFFFFFFF)         # a C int: a negative one is no descriptor either
    if not file.readable:
        raise KernelError(errno.EBADF)
    return file


def _writable(task: Task, fd: int):
    file = task.group.fds.get(fd & 0xFFFFFFFF)
    if not file.writable:
        raise KernelError(errno.EBADF)
    return file


@syscall
def sys_read(task: Task, fd: int, buf: int, count: int) -> int:
    file = _readable(task, fd)
    return fsnotify_access(file, file.read_user(task, buf, min(count, MAX_RW_COUNT)))


@syscall
def sys_write(task: Task, fd: int, buf: int, count: int) -> int:
    file = _writable(task, fd)
    count = min(count, MAX_RW_COUNT)
    if count == 0:
        return 0
    return fsnotify_modify(file, file.write(task, user_buffers(task.mm, buf, count, ACCESS_READ)))


@syscall
def sys_readv(task: Task, fd: int, iov: int, iovcnt: int) -> int:
    file = _readable(task, fd)
    vectors = read_iovec(task.mm, iov, s32(iovcnt))
    total = sum(length for _, length in vectors)
    data = file.read(task, min(total, MAX_RW_COUNT))
    done = 0
    for base, length in vectors:            # scatter what was read over the vectors, in order
        if done >= len(data):
            break
        piece = data[done:done + length]
        copy_to_user(task.mm, base, piece)
        done += len(piece)
    return fsnotify_access(file, len(data))


@syscall
def sys_writev(task: Task, fd: int, iov: int, iovcnt: int) -> int:
    file = _writable(task, fd)
    views = []
    for base, length in read_iovec(task.mm, iov, s32(iovcnt)):
        if length:
            views += user_buffers(task.mm, base, length, ACCESS_READ)
    if not views:
        return 0
    return fsnotify_modify(file, file.write(task, views))
