"""Open files of inodes reached through the VFS: regular files and directories (Linux's generic file ops).

Regular-file data goes through the inode's page cache when it has one (mm/page_cache.py: the file is or was
mapped): read() copies out of the cached frames, so it sees the stores of MAP_SHARED mappings at once, and write()
updates the frames after the inode.  `truncate_file` is the one way to set a file's size (truncate, ftruncate,
O_TRUNC, fallocate) so that the cache and the mappings follow."""
from __future__ import annotations

import errno
import struct
from typing import TYPE_CHECKING

from pynix.errors import KernelError
from pynix.fs.file import O_ACCMODE, File
from pynix.fs.vfs import DT_DIR, Inode, VfsPath
from pynix.mm.iov_iter import IovIter, KernelIter
from pynix.mm.page_cache import file_truncated, file_written, find_page_cache

if TYPE_CHECKING:
    from pynix.task.task import Task

O_APPEND = 0o2000
SEEK_SET, SEEK_CUR, SEEK_END, SEEK_DATA, SEEK_HOLE = 0, 1, 2, 3, 4
MAX_OFFSET = (1 << 63) - 1


class InodeFile(File):
    """A file opened by path: it remembers where (for /proc/pid/fd and fchdir) and its offset."""

    def __init__(self, path: VfsPath, flags: int) -> None:
        super().__init__(flags)
        self.path = path
        self.inode = path.inode
        self.offset = 0

    def stat(self) -> dict[str, int]:
        return self.inode.stat()

    def seekable_size(self) -> int:
        return self.inode.size

    def lseek(self, offset: int, whence: int) -> int:
        size = self.seekable_size()
        if whence == SEEK_SET:
            new = offset
        elif whence == SEEK_CUR:
            new = self.offset + offset
        elif whence == SEEK_END:
            new = size + offset
        elif whence == SEEK_DATA:            # no holes are tracked: all data up to the end
            if offset >= size:
                raise KernelError(errno.ENXIO)
            new = offset
        elif whence == SEEK_HOLE:
            if offset >= size:
                raise KernelError(errno.ENXIO)
            new = size
        else:
            raise KernelError(errno.EINVAL)
        if new < 0 or new > MAX_OFFSET:
            raise KernelError(errno.EINVAL)
        self.offset = new
        return new


def read_file(inode: Inode, offset: int, size: int) -> bytes:
    """Up to `size` bytes of a regular file at `offset`, through its page cache if it has one."""
    cache = find_page_cache(inode)
    return inode.read_at(offset, size) if cache is None else cache.read(offset, size)


def read_file_into(inode: Inode, offset: int, views: list[memoryview]) -> int:
    """read() into user memory `views`: the file's bytes at `offset`, through its page cache if it has one."""
    cache = find_page_cache(inode)
    return inode.read_into(offset, views) if cache is None else cache.read_into(offset, views)


def write_file(inode: Inode, offset: int, data: bytes | memoryview) -> int:
    """Write to a regular file and keep its page cache (if any) coherent; returns the count written."""
    n = inode.write_at(offset, data)
    file_written(inode, offset, data[:n])
    return n


def truncate_file(inode: Inode, size: int) -> None:
    """Set a regular file's size; cached pages past the end leave the cache and every mapping (SIGBUS after)."""
    inode.truncate(size)
    file_truncated(inode)


class RegularFile(InodeFile):
    """An open regular file: positioned reads and writes (`pread_iter` / `pwrite_iter` at an offset, which the
    stream calls apply at the file's own offset).  Subclasses with data of their own (/proc, devices, hostfs,
    FAT32) override the positioned pair."""

    def read_iter(self, task: "Task", to: "IovIter") -> int:
        n = self.pread_iter(task, to, self.offset)
        self.offset += n
        return n

    def write_iter(self, task: "Task", source: "IovIter") -> int:
        pos = self.seekable_size() if self.flags & O_APPEND else self.offset
        n = self.pwrite_iter(task, source, pos)
        self.offset = pos + n
        return n

    def pread(self, size: int, offset: int) -> bytes:
        """kernel_read at `offset` (the kernel's own positioned reads, and tests)."""
        buf = bytearray(size)
        return bytes(buf[:self.pread_iter(None, KernelIter(buf), offset)])

    def pwrite(self, data: bytes | memoryview, offset: int) -> int:
        """kernel_write at `offset` (O_APPEND applied as by pwrite(2))."""
        return self.pwrite_iter(None, KernelIter(data), self.seekable_size() if self.flags & O_APPEND else offset)

    def pread_iter(self, task: "Task", to: "IovIter", pos: int) -> int:
        """pread64/preadv: up to `to.count` bytes at `pos` straight from the inode or its page cache."""
        wanted = min(to.count, self.inode.size - pos)
        if wanted <= 0:
            return 0
        n = read_file_into(self.inode, pos, to.map(wanted))
        to.advance(n)
        return n

    def pwrite_iter(self, task: "Task", source: "IovIter", pos: int) -> int:
        """pwrite64/pwritev: the bytes of `source` at `pos` (the caller has applied O_APPEND/RWF_APPEND)."""
        if not source.count:
            return 0
        data = source.copy_from(source.count)
        return write_file(self.inode, pos, data)

    def bytes_available(self) -> int:
        return max(self.inode.size - self.offset, 0)


class DirectoryFile(InodeFile):
    """A directory opened for getdents64: `offset` counts entries already returned (`.` and `..` first)."""

    def read_iter(self, task: "Task", to: "IovIter") -> int:
        raise KernelError(errno.EISDIR)

    def write_iter(self, task: "Task", source: "IovIter") -> int:
        raise KernelError(errno.EISDIR)

    def seekable_size(self) -> int:
        return 0

    def getdents64(self, size: int) -> bytes:
        """Pack `struct linux_dirent64` records (d_ino, d_off, d_reclen, d_type, d_name) into at most `size`
        bytes, continuing where the last call stopped; EINVAL if not even one entry fits."""
        parent = self.path.dentry.parent
        entries = [(b".", self.inode.ino, DT_DIR),
                   (b"..", parent.inode.ino if parent is not None else self.inode.ino, DT_DIR)]
        entries += list(self.inode.readdir())         # in the filesystem's own order, as Linux
        out = bytearray()
        index = self.offset
        while index < len(entries):
            name, ino, dtype = entries[index]
            reclen = (19 + len(name) + 1 + 7) & ~7
            if len(out) + reclen > size:
                if not out:
                    raise KernelError(errno.EINVAL)
                break
            out += struct.pack("<QqHB", ino, index + 1, reclen, dtype) + name + bytes(reclen - 19 - len(name))
            index += 1
        self.offset = index
        return bytes(out)


def access_mode_ok(flags: int) -> bool:
    return flags & O_ACCMODE != O_ACCMODE
