"""Loop devices: a block device whose sectors are a guest file (drivers/block/loop.c), and /dev/loop-control.

- /dev/loop-control (misc 10:237): LOOP_CTL_GET_FREE gives the lowest unbound loop device, making a new one
  when all are bound; LOOP_CTL_ADD makes loopN (EEXIST if it is there); LOOP_CTL_REMOVE removes an unbound,
  unopened one (EBUSY otherwise, ENODEV if there is none).  Devices appear in /dev as they are made.
- /dev/loopN (major 7): LOOP_SET_FD binds an open file (a regular file or a block device; EBUSY if bound; read-
  only when the file is not open for writing), LOOP_CONFIGURE binds and sets the status at once, LOOP_CLR_FD
  unbinds (while the device is mounted or open elsewhere it only sets autoclear, as Linux: the device unbinds
  itself when its last user goes), LOOP_GET_STATUS64/LOOP_SET_STATUS64 (offset, sizelimit, flags AUTOCLEAR/
  PARTSCAN, file name), LOOP_SET_CAPACITY (the backing file grew or shrank), LOOP_SET_BLOCK_SIZE,
  LOOP_SET_DIRECT_IO (accepted: the device is coherent with the file either way).  An unbound device has size 0
  and its status requests are ENXIO.  The old LOOP_GET_STATUS/LOOP_SET_STATUS and LOOP_CHANGE_FD are EINVAL.
- I/O goes to the backing file with its pread/pwrite (so through that file's own filesystem and page cache);
  bytes past the end of the file read as zeros.
"""
from __future__ import annotations

import errno
import stat as st
import struct
from typing import TYPE_CHECKING

from pynix.block.device import BlockDevice
from pynix.block.fops import BlockDeviceFile
from pynix.block.genhd import BLKDEVS, LOOP_MAJOR, add_disk, del_disk
from pynix.errors import KernelError
from pynix.fs.devfs import new_encode_dev
from pynix.fs.file import File
from pynix.fs.file_ops import InodeFile, RegularFile
from pynix.fs.vfs import VfsPath
from pynix.mm.uaccess import copy_from_user, copy_to_user

if TYPE_CHECKING:
    from pynix.task.task import Task

LOOP_SET_FD, LOOP_CLR_FD, LOOP_SET_STATUS, LOOP_GET_STATUS = 0x4C00, 0x4C01, 0x4C02, 0x4C03
LOOP_SET_STATUS64, LOOP_GET_STATUS64, LOOP_CHANGE_FD, LOOP_SET_CAPACITY = 0x4C04, 0x4C05, 0x4C06, 0x4C07
LOOP_SET_DIRECT_IO, LOOP_SET_BLOCK_SIZE, LOOP_CONFIGURE = 0x4C08, 0x4C09, 0x4C0A
LOOP_CTL_ADD, LOOP_CTL_REMOVE, LOOP_CTL_GET_FREE = 0x4C80, 0x4C81, 0x4C82
LO_FLAGS_READ_ONLY, LO_FLAGS_AUTOCLEAR, LO_FLAGS_PARTSCAN, LO_FLAGS_DIRECT_IO = 1, 4, 8, 16
LO_SETTABLE = LO_FLAGS_AUTOCLEAR | LO_FLAGS_PARTSCAN
LO_NAME_SIZE = 64
LOOP_INFO64 = struct.Struct("<QQQQQIIII64s64s32sQQ")      # struct loop_info64: 232 bytes
LOOP_CONFIG = struct.Struct("<II")                       # struct loop_config: fd, block_size, then loop_info64
MAX_LOOP = 1 << 20


class LoopDevice(BlockDevice):
    def __init__(self, number: int) -> None:
        super().__init__(f"loop{number}", new_encode_dev(LOOP_MAJOR, number), 0)
        self.number = number
        self.backing: RegularFile | None = None
        self.offset = self.sizelimit = 0
        self.flags = 0
        self.file_name = b""
        self.openers = 0

    # --- the driver ------------------------------------------------------------------------------------
    def _read(self, offset: int, length: int) -> bytes:
        if self.backing is None:
            raise KernelError(errno.EIO)
        data = self.backing.pread(length, self.offset + offset)
        return data + bytes(length - len(data))

    def _write(self, offset: int, data: bytes | memoryview) -> None:
        if self.backing is None:
            raise KernelError(errno.EIO)
        if self.backing.pwrite(bytes(data), self.offset + offset) != len(data):
            raise KernelError(errno.EIO)

    def _capacity(self) -> int:
        size = max(self.backing.seekable_size() - self.offset, 0) if self.backing is not None else 0
        if self.sizelimit:
            size = min(size, self.sizelimit)
        return size - size % 512

    # --- binding ----------------------------------------------------------------------------------------
    def bind(self, task: "Task", fd: int) -> None:
        """LOOP_SET_FD."""
        if self.backing is not None:
            raise KernelError(errno.EBUSY)
        file = task.group.fds.get(fd)
        if not isinstance(file, RegularFile) or not (st.S_ISREG(file.inode.mode) or st.S_ISBLK(file.inode.mode)):
            raise KernelError(errno.EINVAL)
        if isinstance(file, BlockDeviceFile) and file.dev is self:
            raise KernelError(errno.EBUSY)
        file.refs += 1                                   # the device holds the open file (get_file)
        self.backing = file
        self.readonly = not file.writable
        self.flags = LO_FLAGS_READ_ONLY if self.readonly else 0
        self.offset = self.sizelimit = 0
        fs = task.group.fs
        self.file_name = fs.mounts.path_of(file.path, fs.root)[:LO_NAME_SIZE - 1]
        self.cache.pages.clear()
        self.cache.dirty.clear()
        self.size = self._capacity()

    def unbind(self) -> None:
        """Write back what is cached, let go of the file (__loop_clr_fd)."""
        backing, self.backing = self.backing, None
        if backing is None:
            return
        try:
            self.cache.sync()
        finally:
            self.cache.pages.clear()
            self.cache.dirty.clear()
            self.size, self.offset, self.sizelimit, self.flags, self.file_name = 0, 0, 0, 0, b""
            backing.refs -= 1
            if backing.refs == 0:
                backing.release()

    def in_use(self) -> bool:
        return self.holder is not None or self.openers > 1

    def put(self) -> None:
        """A user (an open file, a mount) went away: an autoclear device unbinds when it was the last."""
        if self.flags & LO_FLAGS_AUTOCLEAR and self.holder is None and self.openers == 0:
            self.unbind()

    def release_holder(self) -> None:
        super().release_holder()
        self.put()

    def set_status(self, info: bytes) -> None:
        (_dev, _ino, _rdev, offset, sizelimit, _number, encrypt_type, _key_size, flags, name, _crypt, _key,
         _init0, _init1) = LOOP_INFO64.unpack(info)
        if self.backing is None:
            raise KernelError(errno.ENXIO)
        if encrypt_type:
            raise KernelError(errno.EINVAL)
        if offset % 512 or sizelimit % 512:
            raise KernelError(errno.EINVAL)
        if (offset, sizelimit) != (self.offset, self.sizelimit):
            self.cache.drop()
            self.offset, self.sizelimit = offset, sizelimit
            self.size = self._capacity()
        self.flags = (self.flags & ~LO_SETTABLE) | (flags & LO_SETTABLE)
        self.file_name = name.split(b"\0", 1)[0]

    def status(self) -> bytes:
        if self.backing is None:
            raise KernelError(errno.ENXIO)
        info = self.backing.inode.stat()
        return LOOP_INFO64.pack(info["dev"], info["ino"], info["rdev"], self.offset, self.sizelimit, self.number,
                                0, 0, self.flags, self.file_name, b"", b"", 0, 0)

    def open_file(self, path: VfsPath, flags: int) -> "LoopDeviceFile":
        return LoopDeviceFile(path, flags, self)


class LoopDeviceFile(BlockDeviceFile):
    """/dev/loopN opened: the block device requests plus the loop ones."""

    def __init__(self, path: VfsPath, flags: int, dev: LoopDevice) -> None:
        super().__init__(path, flags, dev)
        dev.openers += 1
        self._released = False

    def release(self) -> None:
        if not self._released:
            self._released = True
            self.dev.openers -= 1
            self.dev.put()

    def ioctl(self, task: "Task", request: int, arg: int) -> int:
        dev: LoopDevice = self.dev
        if request == LOOP_SET_FD:
            dev.bind(task, arg & 0xFFFFFFFF)
        elif request == LOOP_CONFIGURE:
            fd, block_size = LOOP_CONFIG.unpack(copy_from_user(task.mm, arg, LOOP_CONFIG.size))
            info = copy_from_user(task.mm, arg + LOOP_CONFIG.size, LOOP_INFO64.size)
            if block_size and (block_size < 512 or block_size > 4096 or block_size & (block_size - 1)):
                raise KernelError(errno.EINVAL)
            dev.bind(task, fd)
            try:
                dev.set_status(info)
            except KernelError:
                dev.unbind()
                raise
            if block_size:
                dev.sector_size = block_size
        elif request == LOOP_CLR_FD:
            if dev.backing is None:
                raise KernelError(errno.ENXIO)
            if dev.in_use():
                dev.flags |= LO_FLAGS_AUTOCLEAR          # unbinds itself when the last user goes
            else:
                dev.unbind()
        elif request == LOOP_SET_STATUS64:
            dev.set_status(copy_from_user(task.mm, arg, LOOP_INFO64.size))
        elif request == LOOP_GET_STATUS64:
            copy_to_user(task.mm, arg, dev.status())
        elif request == LOOP_SET_CAPACITY:
            if dev.backing is None:
                raise KernelError(errno.ENXIO)
            dev.size = dev._capacity()
        elif request == LOOP_SET_BLOCK_SIZE:
            if arg < 512 or arg > 4096 or arg & (arg - 1):
                raise KernelError(errno.EINVAL)
            dev.sector_size = arg
        elif request == LOOP_SET_DIRECT_IO:
            if dev.backing is None:
                raise KernelError(errno.ENXIO)
        elif request in (LOOP_SET_STATUS, LOOP_GET_STATUS, LOOP_CHANGE_FD):
            raise KernelError(errno.EINVAL)
        else:
            return super().ioctl(task, request, arg)
        return 0


# ------------------------------------------------------------------------------------------ loop-control
def _loops() -> dict[int, LoopDevice]:
    return {dev.number: dev for dev in BLKDEVS.values() if isinstance(dev, LoopDevice)}


def loop_add(number: int) -> int:
    loops = _loops()
    if number < 0:
        number = next(n for n in range(MAX_LOOP + 1) if n not in loops)
    if number in loops:
        raise KernelError(errno.EEXIST)
    if number >= MAX_LOOP:
        raise KernelError(errno.EINVAL)
    add_disk(LoopDevice(number))
    return number


class LoopControlFile(InodeFile):
    """/dev/loop-control opened (loop_control_ioctl)."""

    def ioctl(self, task: "Task", request: int, arg: int) -> int:
        number = arg if arg < 1 << 63 else arg - (1 << 64)
        if request == LOOP_CTL_GET_FREE:
            free = [n for n, dev in sorted(_loops().items()) if dev.backing is None]
            return free[0] if free else loop_add(-1)
        if request == LOOP_CTL_ADD:
            return loop_add(number)
        if request == LOOP_CTL_REMOVE:
            dev = _loops().get(number)
            if dev is None:
                raise KernelError(errno.ENODEV)
            if dev.backing is not None or dev.openers or dev.holder is not None:
                raise KernelError(errno.EBUSY)
            del_disk(dev)
            return number
        raise KernelError(errno.ENOTTY)


def open_loop_control(path: VfsPath, flags: int) -> File:
    return LoopControlFile(path, flags)

