"""An open block device (Linux's block/fops.c def_blk_fops and block/ioctl.c).

read/write/pread/pwrite/lseek go through the device's buffer cache, so they see and are seen by a filesystem
mounted from the same device.  A write at or past the end is ENOSPC (short at the end), a read there returns
0; writing a read-only device is EPERM (blkdev_write_iter).  O_DIRECT is accepted: the cache is coherent anyway.
fsync/fdatasync write the device's dirty pages back.

ioctls: BLKGETSIZE64, BLKGETSIZE, BLKSSZGET, BLKPBSZGET, BLKIOMIN, BLKIOOPT, BLKALIGNOFF, BLKBSZGET, BLKBSZSET,
BLKROGET, BLKROSET, BLKFLSBUF, BLKRRPART (no partitions are scanned: success, nothing changes),
BLKDISCARDZEROES; BLKDISCARD/BLKZEROOUT/BLKSECDISCARD are EOPNOTSUPP (no discard support); the rest ENOTTY.
A loop device adds its own requests (block/loop.py).
"""
from __future__ import annotations

import errno
import struct
from typing import TYPE_CHECKING

from pynix.block.device import BlockDevice
from pynix.block.genhd import lookup
from pynix.errors import KernelError
from pynix.fs.file_ops import RegularFile
from pynix.fs.vfs import VfsPath
from pynix.mm.uaccess import copy_from_user, copy_to_user

if TYPE_CHECKING:
    from pynix.mm.iov_iter import IovIter
    from pynix.task.task import Task

# include/uapi/linux/fs.h
BLKROSET, BLKROGET, BLKRRPART, BLKGETSIZE, BLKFLSBUF, BLKSSZGET = 0x125D, 0x125E, 0x125F, 0x1260, 0x1261, 0x1268
BLKDISCARD, BLKIOMIN, BLKIOOPT, BLKALIGNOFF = 0x1277, 0x1278, 0x1279, 0x127A
BLKPBSZGET, BLKDISCARDZEROES = 0x127B, 0x127C
BLKSECDISCARD, BLKZEROOUT = 0x127D, 0x127F
BLKBSZGET, BLKBSZSET, BLKGETSIZE64 = 0x80081270, 0x40081271, 0x80081272


class BlockDeviceFile(RegularFile):
    """/dev/vda and the like, opened."""

    def __init__(self, path: VfsPath, flags: int, dev: BlockDevice) -> None:
        super().__init__(path, flags)
        self.dev = dev

    def seekable_size(self) -> int:
        return self.dev.size

    def bytes_available(self) -> int:
        return max(self.dev.size - self.offset, 0)

    def read_iter(self, task: "Task", to: "IovIter") -> int:
        n = self.pread_iter(task, to, self.offset)      # the device's cache, not a page cache of the node
        self.offset += n
        return n

    def pread_iter(self, task: "Task", to: "IovIter", pos: int) -> int:
        size = min(to.count, self.dev.size - pos)
        return to.copy_to(self.dev.cache.read(pos, size)) if size > 0 else 0

    def pwrite_iter(self, task: "Task", source: "IovIter", pos: int) -> int:
        if self.dev.readonly:
            raise KernelError(errno.EPERM)
        if not source.count:
            return 0
        n = min(source.count, self.dev.size - pos)
        if n <= 0:
            raise KernelError(errno.ENOSPC)
        data = source.copy_from(n)
        self.dev.cache.write(pos, memoryview(data))
        return len(data)

    def fsync(self) -> None:
        self.dev.cache.sync()

    def stat(self) -> dict[str, int]:
        info = self.inode.stat()
        info["size"] = 0                         # a block device node has no size of its own (stat says 0)
        return info

    def ioctl(self, task: "Task", request: int, arg: int) -> int:
        dev = self.dev
        values = {BLKGETSIZE64: ("<Q", dev.size), BLKGETSIZE: ("<Q", dev.size // 512),
                  BLKSSZGET: ("<i", dev.sector_size), BLKPBSZGET: ("<I", dev.sector_size),
                  BLKIOMIN: ("<I", dev.sector_size), BLKIOOPT: ("<I", 0), BLKALIGNOFF: ("<i", 0),
                  BLKBSZGET: ("<i", dev.block_size), BLKROGET: ("<i", int(dev.readonly)),
                  BLKDISCARDZEROES: ("<I", 0)}
        if request in values:
            fmt, value = values[request]
            copy_to_user(task.mm, arg, struct.pack(fmt, value))
            return 0
        if request == BLKFLSBUF:
            dev.cache.drop()
            return 0
        if request == BLKRRPART:
            return 0
        if request == BLKROSET:
            dev.readonly = struct.unpack("<i", copy_from_user(task.mm, arg, 4))[0] != 0
            return 0
        if request == BLKBSZSET:
            size, = struct.unpack("<i", copy_from_user(task.mm, arg, 4))
            if size < dev.sector_size or size > 4096 or size & (size - 1):
                raise KernelError(errno.EINVAL)
            dev.block_size = size
            return 0
        if request in (BLKDISCARD, BLKSECDISCARD, BLKZEROOUT):
            raise KernelError(errno.EOPNOTSUPP)
        raise KernelError(errno.ENOTTY)


def open_blkdev(path: VfsPath, flags: int) -> RegularFile:
    """Open the block device node `path` (ENXIO when no device has its number, as blkdev_open)."""
    dev = lookup(path.inode.rdev)
    opener = getattr(dev, "open_file", None)     # a loop device answers its own ioctls too
    return opener(path, flags) if opener is not None else BlockDeviceFile(path, flags, dev)
