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
from pynix.hal import ACCESS_WRITE
from pynix.mm.page_cache import file_truncated, file_written, find_page_cache
from pynix.mm.uaccess import user_buffers

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
    def read(self, task: "Task", size: int) -> bytes:
        data = read_file(self.inode, self.offset, size)
        self.offset += len(data)
        return data

    def read_user(self, task: "Task", buf: int, count: int) -> int:
        """read(2) straight from the inode or its page cache into user memory.  Files with their own `read()`
        (/proc, devices, host files, FAT32) take the generic path."""
        if type(self).read is not RegularFile.read:
            return super().read_user(task, buf, count)
        wanted = min(count, self.bytes_available())
        if not wanted:
            return 0
        n = read_file_into(self.inode, self.offset, user_buffers(task.mm, buf, wanted, ACCESS_WRITE, partial=True))
        self.offset += n
        return n

    def write(self, task: "Task", views: list[memoryview]) -> int:
        if self.flags & O_APPEND:
            self.offset = self.inode.size
        n = write_file(self.inode, self.offset, b"".join(views))
        self.offset += n
        return n

    def pread(self, size: int, offset: int) -> bytes:
        return read_file(self.inode, offset, size)

    def pwrite(self, data: bytes, offset: int) -> int:
        return write_file(self.inode, self.inode.size if self.flags & O_APPEND else offset, data)

    def bytes_available(self) -> int:
        return max(self.inode.size - self.offset, 0)


class DirectoryFile(InodeFile):
    """A directory opened for getdents64: `offset` counts entries already returned (`.` and `..` first)."""

    def read(self, task: "Task", size: int) -> bytes:
        raise KernelError(errno.EISDIR)

    def write(self, task: "Task", views: list[memoryview]) -> int:
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
