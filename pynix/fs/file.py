"""Open file descriptions (Linux's `struct file`) and the per-process descriptor table.

A `File` is what a descriptor points at: several descriptors (dup, fork) may share one, and with it the offset
and status flags.  Each kind of file implements the operations it supports; the rest fail as Linux's do
(EBADF for reading a write-only file, ESPIPE for seeking a stream, ENOTTY for a terminal ioctl on a non-tty).
"""
from __future__ import annotations

import errno
import fcntl
import os
import stat
import termios
from dataclasses import dataclass, field

from pynix.errors import KernelError

O_ACCMODE, O_RDONLY, O_WRONLY, O_RDWR = 3, 0, 1, 2
O_NONBLOCK = 0o4000
O_CLOEXEC = 0o2000000
MAX_FDS = 1024                       # RLIMIT_NOFILE's default soft limit


class File:
    """Base open file description: every operation unsupported until a subclass provides it."""

    def __init__(self, flags: int) -> None:
        self.flags = flags

    @property
    def readable(self) -> bool:
        return self.flags & O_ACCMODE in (O_RDONLY, O_RDWR)

    @property
    def writable(self) -> bool:
        return self.flags & O_ACCMODE in (O_WRONLY, O_RDWR)

    def read(self, size: int) -> bytes:
        raise KernelError(errno.EINVAL)

    def write(self, views: list[memoryview]) -> int:
        raise KernelError(errno.EINVAL)

    def stat(self) -> dict[str, int]:
        raise KernelError(errno.EBADF)

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

    def read(self, size: int) -> bytes:
        try:
            return os.read(self.host_fd, size)
        except OSError as e:
            raise KernelError(e.errno or errno.EIO) from None

    def write(self, views: list[memoryview]) -> int:
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
            if total:
                return total
            raise KernelError(e.errno or errno.EIO) from None
        return total

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


@dataclass
class FdTable:
    """Descriptor number -> open file (Linux's files_struct); shared by CLONE_FILES threads."""
    entries: dict[int, FdEntry] = field(default_factory=dict)

    def get(self, fd: int) -> File:
        entry = self.entries.get(fd)
        if entry is None:
            raise KernelError(errno.EBADF)
        return entry.file

    def install(self, file: File, cloexec: bool = False, lowest: int = 0) -> int:
        fd = lowest
        while fd in self.entries:
            fd += 1
        if fd >= MAX_FDS:
            raise KernelError(errno.EMFILE)
        self.entries[fd] = FdEntry(file, cloexec)
        return fd

    def close(self, fd: int) -> None:
        entry = self.entries.pop(fd, None)
        if entry is None:
            raise KernelError(errno.EBADF)
        if not any(e.file is entry.file for e in self.entries.values()):
            entry.file.release()
