"""Open file descriptions (Linux's `struct file`) and the per-process descriptor table.

A `File` is what a descriptor points at: several descriptors (dup, fork) may share one, and with it the offset
and status flags.  Each kind of file implements the operations it supports; the rest fail as Linux's do
(EBADF for reading a write-only file, ESPIPE for seeking a stream, ENOTTY for a terminal ioctl on a non-tty).
"""
from __future__ import annotations

import errno
import fcntl
import os
import select
import stat
import termios
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pynix.errors import KernelError
from pynix.fs.locks import file_closed
from pynix.fs.notify.dnotify import dnotify_flush
from pynix.fs.notify.fsnotify import fsnotify_close
from pynix.fs.vfs import put_write_access
from pynix.mm.iov_iter import IovIter, KernelIter
from pynix.sync.wait import Block
# (also imported from here by filesystems and sockets)
from pynix.uapi.fcntl import O_ACCMODE, O_CLOEXEC, O_NONBLOCK, O_PATH, O_RDONLY, O_RDWR, O_WRONLY  # noqa: F401
from pynix.uapi.poll import POLLERR, POLLHUP, POLLIN, POLLNVAL, POLLOUT, POLLPRI, POLLRDNORM, POLLWRNORM  # noqa: F401

if TYPE_CHECKING:
    from pynix.fs.vfs import Inode
    from pynix.task.task import Task

MAX_FDS = 1024                       # RLIMIT_NOFILE's default soft limit


class File:
    """Base open file description: every operation unsupported until a subclass provides it."""

    epitems: "list | None" = None    # epoll registrations watching this file (fs/eventpoll.py), set by epoll
    write_access: "Inode | None" = None   # the inode whose write access this open holds (open for writing)
    f_owner = None                   # F_SETOWN / F_SETSIG (fs/fasync.py's FOwner)
    fasync = None                    # O_ASYNC's registration (fs/fasync.py's Fasync)
    lease_fd = -1                    # the descriptor F_SETLEASE was given (the lease break's si_fd)
    nonotify = False                 # FMODE_NONOTIFY: raises no fsnotify events (fanotify's event files)
    fsnotify_key = None              # the inode this open file counts for in fs/notify (set by fsnotify_open)

    def __init__(self, flags: int) -> None:
        self.flags = flags
        self.refs = 0            # descriptors (in any table) referring to this open file description

    @property
    def readable(self) -> bool:
        return self.flags & O_ACCMODE in (O_RDONLY, O_RDWR) and not self.flags & O_PATH

    @property
    def writable(self) -> bool:
        return self.flags & O_ACCMODE in (O_WRONLY, O_RDWR) and not self.flags & O_PATH

    @property
    def nonblocking(self) -> bool:
        return bool(self.flags & O_NONBLOCK)

    def read_iter(self, task: "Task", to: "IovIter") -> int:
        """read(2), readv(2)...: move up to `to.count` bytes into the buffer `to` (mm/iov_iter.py); the count
        moved.  May raise Block to wait for data (see sync/wait.py).  Linux's f_op->read_iter."""
        raise KernelError(errno.EINVAL)

    def write_iter(self, task: "Task", source: "IovIter") -> int:
        """write(2), writev(2)...: take up to `source.count` bytes from `source`; the count taken.  May raise
        Block.  Linux's f_op->write_iter."""
        raise KernelError(errno.EINVAL)

    def read(self, task: "Task", size: int) -> bytes:
        """kernel_read: up to `size` bytes through `read_iter` into a kernel buffer (for the kernel's own
        reads and for tests; the syscalls build a user iov_iter instead)."""
        buf = bytearray(size)
        n = self.read_iter(task, KernelIter(buf))
        return bytes(buf[:n])

    def write(self, task: "Task", views: list[memoryview]) -> int:
        """kernel_write: the bytes of `views` (kernel memory) through `write_iter`."""
        return self.write_iter(task, KernelIter(views[0] if len(views) == 1 else b"".join(views)))

    def stat(self) -> dict[str, int]:
        raise KernelError(errno.EBADF)

    def bytes_available(self) -> int:
        """FIONREAD: bytes a read would return now; ENOTTY for files that do not support the query."""
        raise KernelError(errno.ENOTTY)

    def poll_mask(self) -> int:
        """POLL* events ready now (Linux's f_op->poll).  Files that never block are always ready."""
        return POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM

    def poll_queues(self, task: "Task") -> tuple:
        """Wait queues that are woken when `poll_mask` may have changed."""
        return ()

    def ioctl_termios(self) -> bytes:
        """The 36-byte kernel `struct termios` (TCGETS); ENOTTY unless this is a terminal."""
        raise KernelError(errno.ENOTTY)

    def ioctl_winsize(self) -> bytes:
        """The 8-byte `struct winsize` (TIOCGWINSZ); ENOTTY unless this is a terminal."""
        raise KernelError(errno.ENOTTY)

    def release(self) -> None:
        """The last descriptor referring to this file was closed."""


class HostStreamFile(File):
    """One of the host's standard streams, passed to the guest as it is (qemu-user style): a host terminal is a
    terminal to the guest, a host pipe a pipe.  The host descriptor is never closed by the guest."""

    def __init__(self, host_fd: int, flags: int) -> None:
        super().__init__(flags)
        self.host_fd = host_fd

    def read_iter(self, task: "Task", to: "IovIter") -> int:
        if not to.count:
            return 0
        # Never block the whole kernel on the host: wait for the host descriptor like for any other event.
        if not select.select([self.host_fd], [], [], 0)[0]:
            if self.nonblocking:
                raise KernelError(errno.EAGAIN)
            raise Block(task.kernel.host_fd_queue(self.host_fd))
        to.map(min(to.count, 1 << 16))                 # EFAULT before anything is taken from the host
        try:
            data = os.read(self.host_fd, to.count)
        except OSError as e:
            raise KernelError(e.errno or errno.EIO) from None
        return to.copy_to(data)

    def write_iter(self, task: "Task", source: "IovIter") -> int:
        if not source.count:
            return 0
        views = source.map(source.count)
        total = 0
        try:
            while views:
                n = os.writev(self.host_fd, views)
                total += n
                while views and n >= len(views[0]):       # drop what was fully written, keep the rest
                    n -= len(views[0])
                    views = views[1:]
                if views and n:
                    views = [views[0][n:]] + views[1:]
        except OSError as e:
            if e.errno == errno.EPIPE:           # no reader: SIGPIPE even after a partial write, as pipe_write
                from pynix.task.signal import send_sigpipe
                send_sigpipe(task)
            if not total:
                raise KernelError(e.errno or errno.EIO) from None
        source.advance(total)
        return total

    def poll_mask(self) -> int:
        try:
            readable, writable, _ = select.select([self.host_fd] if self.readable else [],
                                                  [self.host_fd] if self.writable else [], [], 0)
        except (OSError, ValueError):
            return POLLNVAL
        return (POLLIN | POLLRDNORM if readable else 0) | (POLLOUT | POLLWRNORM if writable else 0)

    def poll_queues(self, task: "Task") -> tuple:
        return (task.kernel.host_fd_queue(self.host_fd),)

    def stat(self) -> dict[str, int]:
        try:
            st = os.fstat(self.host_fd)
        except OSError as e:
            raise KernelError(e.errno or errno.EBADF) from None
        return host_stat_fields(st)

    def ioctl_termios(self) -> bytes:
        return self._host_ioctl(termios.TCGETS, 36)

    def ioctl_winsize(self) -> bytes:
        return self._host_ioctl(termios.TIOCGWINSZ, 8)

    def _host_ioctl(self, request: int, size: int) -> bytes:
        if not os.isatty(self.host_fd):
            raise KernelError(errno.ENOTTY)
        try:
            return fcntl.ioctl(self.host_fd, request, bytes(size))
        except OSError as e:
            raise KernelError(e.errno or errno.ENOTTY) from None


def host_stat_fields(st: os.stat_result) -> dict[str, int]:
    """A host stat result as the field dict `arch.stat_layout.pack` takes."""
    return {"dev": st.st_dev, "ino": st.st_ino, "mode": st.st_mode, "nlink": st.st_nlink, "uid": st.st_uid,
            "gid": st.st_gid, "rdev": st.st_rdev, "size": st.st_size if stat.S_ISREG(st.st_mode) else 0,
            "blksize": st.st_blksize, "blocks": st.st_blocks,
            "atime": int(st.st_atime), "atime_nsec": st.st_atime_ns % 10**9,
            "mtime": int(st.st_mtime), "mtime_nsec": st.st_mtime_ns % 10**9,
            "ctime": int(st.st_ctime), "ctime_nsec": st.st_ctime_ns % 10**9}


@dataclass
class FdEntry:
    file: File
    cloexec: bool = False


@dataclass(eq=False)
class FdTable:
    """Descriptor number -> open file (Linux's files_struct); shared by CLONE_FILES tasks, copied by fork.

    Every entry holds a reference on its File; the file is released when its last descriptor anywhere closes
    (that is when a pipe's reader sees EOF)."""
    entries: dict[int, FdEntry] = field(default_factory=dict)
    max_fds: int = MAX_FDS
    users: int = 1                       # processes sharing this table (CLONE_FILES without CLONE_THREAD)

    def get(self, fd: int) -> File:
        entry = self.entries.get(fd)
        if entry is None:
            raise KernelError(errno.EBADF)
        return entry.file

    def get_as(self, fd: int, kind: type, err: int):
        """The open file at `fd` if it is a `kind` (EBADF if none is open there, `err` if it is another kind)."""
        file = self.get(fd)
        if not isinstance(file, kind):
            raise KernelError(err)
        return file

    def entry(self, fd: int) -> FdEntry:
        entry = self.entries.get(fd)
        if entry is None:
            raise KernelError(errno.EBADF)
        return entry

    def install(self, file: File, cloexec: bool = False, lowest: int = 0) -> int:
        """Put `file` at the lowest free descriptor >= `lowest` (EMFILE if there is none)."""
        fd = lowest
        while fd in self.entries:
            fd += 1
        if fd >= self.max_fds:
            raise KernelError(errno.EMFILE)
        self.install_at(fd, file, cloexec)
        return fd

    def install_at(self, fd: int, file: File, cloexec: bool = False) -> None:
        """Put `file` at `fd`, closing what was there (dup2 semantics)."""
        file.refs += 1
        old = self.entries.get(fd)
        self.entries[fd] = FdEntry(file, cloexec)
        if old is not None:
            _put_file(old.file, self)

    def close(self, fd: int) -> None:
        entry = self.entries.pop(fd, None)
        if entry is None:
            raise KernelError(errno.EBADF)
        _put_file(entry.file, self)

    def close_all(self) -> None:
        for fd in list(self.entries):
            self.close(fd)

    def close_on_exec(self) -> None:
        for fd in [fd for fd, e in self.entries.items() if e.cloexec]:
            self.close(fd)

    def copy(self) -> "FdTable":
        """fork: a new table whose descriptors share the same open files."""
        table = FdTable(max_fds=self.max_fds)
        for fd, e in self.entries.items():
            e.file.refs += 1
            table.entries[fd] = FdEntry(e.file, e.cloexec)
        return table


def _put_file(file: File, table: FdTable) -> None:
    """A descriptor of `table` referring to `file` is gone (Linux's filp_close, then fput)."""
    file_closed(file, table, file.refs == 1)     # advisory locks: POSIX ones on every close, the rest on the last
    dnotify_flush(file, table)                   # F_NOTIFY registrations made through this table (fs/notify/)
    file.refs -= 1
    if file.refs == 0:
        fsnotify_close(file)                       # IN_CLOSE_WRITE / IN_CLOSE_NOWRITE (fs/notify/)
        if file.fasync is not None:                # O_ASYNC's wait-queue hooks (fs/fasync.py)
            file.fasync.detach()
        if file.epitems:                           # Linux's eventpoll_release in __fput
            from pynix.fs.eventpoll import eventpoll_release
            eventpoll_release(file)
        if file.write_access is not None:          # __fput's put_write_access
            put_write_access(file.write_access)
        file.release()
