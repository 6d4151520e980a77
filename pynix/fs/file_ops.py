"""Open files of inodes reached through the VFS: regular files and directories (Linux's generic file ops).

Regular-file data has one path: the inode's page cache (mm/page_cache.py).  read() copies out of the cached
frames, so it sees the stores of MAP_SHARED mappings at once, and write() copies into them (and on to the
filesystem's store, if it has one).  `file_read` / `file_write` are that path for every caller (read, write and
their vector and positioned forms, sendfile, copy_file_range, fallocate); `truncate_file` is the one way to set a
file's size (truncate, ftruncate, O_TRUNC, fallocate) so that the cache and the mappings follow."""
from __future__ import annotations

import errno
import stat
import struct
from typing import TYPE_CHECKING

from pynix.errors import KernelError
from pynix.fs.file import O_ACCMODE, File
from pynix.fs.vfs import DT_DIR, Inode, VfsPath
from pynix.mm.iov_iter import IovIter, KernelIter
from pynix.mm.page_cache import PAGE_SHIFT, PAGE_SIZE, PageCache, page_cache
from pynix.task.capability import file_remove_privs

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
        elif whence in (SEEK_DATA, SEEK_HOLE):
            if offset < 0 or offset >= size:
                raise KernelError(errno.ENXIO)
            new = seek_hole_data(self.inode, offset, size, whence)
        else:
            raise KernelError(errno.EINVAL)
        if new < 0 or new > MAX_OFFSET:
            raise KernelError(errno.EINVAL)
        self.offset = new
        return new


def seek_hole_data(inode: Inode, offset: int, size: int, whence: int) -> int:
    """SEEK_DATA/SEEK_HOLE from `offset` (inside the file): a tmpfs file's holes are the pages not in its
    cache, as mapping_seek_hole_data (ENXIO: no data after `offset`; the end of the file is a hole); a file
    with a store is data up to its end (no holes are tracked there)."""
    data = inode.data_inode
    if data.has_backing_store or not stat.S_ISREG(data.mode):
        return offset if whence == SEEK_DATA else size
    pages = data.mapping.pages if data.mapping is not None else {}
    first, last = offset >> PAGE_SHIFT, (size - 1) >> PAGE_SHIFT
    if whence == SEEK_DATA:
        index = min((i for i in pages if first <= i <= last), default=None)
        if index is None:
            raise KernelError(errno.ENXIO)
        return max(offset, index << PAGE_SHIFT)
    index = first
    while index <= last and index in pages:
        index += 1
    return min(max(offset, index << PAGE_SHIFT), size)


def file_mapping(inode: Inode, task: "Task | None") -> PageCache:
    """The page cache of a regular file's data, with frames from the caller's machine."""
    if task is None:
        return page_cache(inode)
    mm = task.mm
    return page_cache(inode, mm.ram, mm.frames)


def file_read(inode: Inode, pos: int, to: IovIter, task: "Task | None" = None) -> int:
    """generic_file_read_iter: the file's bytes at `pos` into `to`, through its page cache."""
    return file_mapping(inode, task).read_iter(pos, to)


def file_write(inode: Inode, pos: int, source: IovIter, task: "Task | None" = None) -> int:
    """generic_file_write_iter: generic_write_checks (EFBIG at the filesystem's largest offset, the write cut
    short before it), the filesystem's write_begin check (memfd seals), file_remove_privs for a user's write
    (`task`), then the copy through the page cache."""
    if not source.count:
        return 0
    maxbytes = inode.sb.maxbytes
    if pos >= maxbytes:
        raise KernelError(errno.EFBIG)
    source.count = min(source.count, maxbytes - pos)        # iov_iter_truncate
    target = inode.write_inode()
    target.write_begin(pos, source.count)
    if task is not None:
        file_remove_privs(task, inode)
    return file_mapping(target, task).write_iter(pos, source)


def read_file(inode: Inode, offset: int, size: int, task: "Task | None" = None) -> bytes:
    """kernel_read of a regular file: up to `size` bytes at `offset`, through its page cache."""
    return file_mapping(inode, task).read(offset, size)


def write_file(inode: Inode, offset: int, data: bytes | memoryview, task: "Task | None" = None) -> int:
    """kernel_write of a regular file: `data` at `offset`, through its page cache; the count written."""
    return file_write(inode, offset, KernelIter(data), task)


def punch_hole(inode: Inode, start: int, end: int, task: "Task | None" = None) -> None:
    """fallocate(FALLOC_FL_PUNCH_HOLE) of [start, end) inside the file: tmpfs drops the pages (the range is a
    hole again), a filesystem with a store gets zeros written."""
    mapping = file_mapping(inode.write_inode(), task)
    if not mapping.backed:
        mapping.punch(start, end)
        return
    zeros = bytes(min(end - start, 1 << 20))
    while start < end:
        start += mapping.write_iter(start, KernelIter(zeros[:end - start]))


def allocate_range(inode: Inode, start: int, end: int, task: "Task | None" = None) -> None:
    """fallocate's allocation (mode 0 or KEEP_SIZE) of [start, end): tmpfs gives the range's holes zeroed pages
    at once, as shmem_fallocate (st_blocks counts them; ENOSPC past the size limit, the pages just added freed
    again); a filesystem with a store keeps the range as it is."""
    mapping = file_mapping(inode.write_inode(), task)
    if mapping.backed:
        return
    added: list[int] = []
    try:
        for index in range(start >> PAGE_SHIFT, (end + PAGE_SIZE - 1) >> PAGE_SHIFT):
            if index not in mapping.pages:
                mapping.page(index, readahead=False)
                added.append(index)
    except KernelError:
        for index in added:
            mapping.punch(index << PAGE_SHIFT, (index + 1) << PAGE_SHIFT)
        raise


def truncate_file(inode: Inode, size: int) -> None:
    """Set a regular file's size; cached pages past the end leave the cache and every mapping (SIGBUS after)."""
    if size > inode.sb.maxbytes:
        raise KernelError(errno.EFBIG)
    inode.truncate(size)
    cache = inode.data_inode.mapping
    if cache is not None:
        cache.truncated()


class RegularFile(InodeFile):
    """An open regular file: positioned reads and writes (`pread_iter` / `pwrite_iter` at an offset, which the
    stream calls apply at the file's own offset).  Subclasses with data of their own (/proc, devices, hostfs,
    FAT32) override the positioned pair."""

    def read_iter(self, task: "Task", to: "IovIter") -> int:
        if self.offset + to.count > MAX_OFFSET:           # rw_verify_area
            raise KernelError(errno.EINVAL)
        n = file_mapping(self.inode, task).read_iter(self.offset, to)      # = pread_iter at the offset
        self.offset += n
        return n

    def write_iter(self, task: "Task", source: "IovIter") -> int:
        pos = self.seekable_size() if self.flags & O_APPEND else self.offset
        if pos + source.count > MAX_OFFSET:
            raise KernelError(errno.EINVAL)
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
        """pread64/preadv: up to `to.count` bytes at `pos`, from the file's page cache."""
        return file_read(self.inode, pos, to, task)

    def pwrite_iter(self, task: "Task", source: "IovIter", pos: int) -> int:
        """pwrite64/pwritev: the bytes of `source` at `pos` (the caller has applied O_APPEND/RWF_APPEND)."""
        return file_write(self.inode, pos, source, task)

    def bytes_available(self) -> int:
        return max(self.inode.size - self.offset, 0)


class OrphanKeepingFile(RegularFile):
    """An open file of a filesystem that frees an unlinked inode's data only at its last close (Linux's iput of
    the last reference): the inode counts its open descriptions in `opened` and is told by `last_close()`."""

    def __init__(self, path: VfsPath, flags: int) -> None:
        super().__init__(path, flags)
        self.inode.opened += 1
        self._released = False

    def release(self) -> None:
        if not self._released:
            self._released = True
            self.inode.opened -= 1
            try:
                self.inode.last_close()
            except KernelError:
                pass                       # an I/O error freeing it is in the kernel log; the close succeeds


class DirectoryFile(InodeFile):
    """A directory opened for getdents64.  `offset` counts the entries returned since the last rewind (`.` and
    `..` first), and `seen` names them: the next call returns the entries not returned yet, in the
    filesystem's order, so removing entries already listed (closing descriptors while listing /proc/self/fd)
    never makes a listing skip one, as Linux's directory positions never do."""

    def __init__(self, path: VfsPath, flags: int) -> None:
        super().__init__(path, flags)
        self.seen: set[bytes] = set()

    def read_iter(self, task: "Task", to: "IovIter") -> int:
        raise KernelError(errno.EISDIR)

    def write_iter(self, task: "Task", source: "IovIter") -> int:
        raise KernelError(errno.EISDIR)

    def seekable_size(self) -> int:
        return 0

    def _entries(self) -> list[tuple[bytes, int, int]]:
        parent = self.path.dentry.parent
        entries = [(b".", self.inode.ino, DT_DIR),
                   (b"..", parent.inode.ino if parent is not None else self.inode.ino, DT_DIR)]
        return entries + list(self.inode.readdir())         # in the filesystem's own order, as Linux

    def lseek(self, offset: int, whence: int) -> int:
        new = super().lseek(offset, whence)
        self.seen = {name for name, _, _ in self._entries()[:new]} if new else set()
        return new

    def getdents64(self, size: int) -> bytes:
        """Pack `struct linux_dirent64` records (d_ino, d_off, d_reclen, d_type, d_name) into at most `size`
        bytes, continuing where the last call stopped; EINVAL if not even one entry fits."""
        out = bytearray()
        seen = self.seen
        for name, ino, dtype in self._entries():
            if name in seen:
                continue
            reclen = (19 + len(name) + 1 + 7) & ~7
            if len(out) + reclen > size:
                if not out:
                    raise KernelError(errno.EINVAL)
                break
            self.offset += 1
            seen.add(name)
            out += struct.pack("<QqHB", ino, self.offset, reclen, dtype) + name + bytes(reclen - 19 - len(name))
        return bytes(out)


def access_mode_ok(flags: int) -> bool:
    return flags & O_ACCMODE != O_ACCMODE
