"""devfs: the guest's /dev (Linux's devtmpfs plus the nodes udev would add).

A tmpfs whose character-device inodes open real devices: the memory devices of drivers/char/mem.c (null, zero,
full, random, urandom), the controlling terminal (/dev/tty), the console (/dev/console: the host's terminal),
/dev/loop-control (block/loop.py) and /dev/ptmx, the pseudo-terminal multiplexer (tty/pty.py), which makes its
pairs in the devpts mounted on /dev/pts (fs/devpts.py, which also holds the host terminal's own node).  The
usual symlinks (/dev/fd, /dev/stdin, /dev/stdout, /dev/stderr) point into /proc/self/fd; /dev/shm and /dev/pts
are directories.

Which driver a device inode opens is decided by its device number alone (Linux's chrdev_open), through the
character-device registry (fs/char_dev.py), so a node made by mknod(2) in /dev with the number of a known
device works like the original.  The memory devices register here; the terminal drivers register theirs at boot
(tty/devices.py), so this filesystem does not import them.  Block device nodes
(/dev/vda, /dev/loopN) are added and removed as the block layer's devices come and go (block/genhd.py) and open
through block/fops.py.
"""
from __future__ import annotations

import errno
import os
import stat as st
from typing import TYPE_CHECKING

from pynix.errors import KernelError
from pynix.fs.char_dev import open_chrdev, register_chrdev
from pynix.fs.kmsg import KmsgFile
from pynix.fs.file import File, HostStreamFile, host_stat_fields
from pynix.fs.file_ops import InodeFile, RegularFile
from pynix.fs.tmpfs import TMPFS_MAGIC, TmpfsInode
from pynix.fs.vfs import Inode, SuperBlock, VfsPath
from pynix.uapi.fcntl import O_ACCMODE, O_NONBLOCK

if TYPE_CHECKING:
    from pynix.mm.iov_iter import IovIter
    from pynix.task.task import Task

TTY_GID = 5                               # the "tty" group owns terminals (Debian)
DISK_GID = 6                              # and "disk" block devices


def new_encode_dev(major: int, minor: int) -> int:
    """Linux's new_encode_dev: the dev_t user space sees (st_rdev), 12-bit major, 20-bit minor."""
    return (minor & 0xFF) | (major << 8) | ((minor & ~0xFF) << 12)


def dev_major(dev: int) -> int:
    return (dev >> 8) & 0xFFF


def dev_minor(dev: int) -> int:
    return (dev & 0xFF) | ((dev >> 12) & 0xFFF00)


# ------------------------------------------------------------------------------------------ memory devices
class MemDeviceFile(RegularFile):
    """An open memory device.  It is a RegularFile so that pread/pwrite work on it as they do on Linux (the
    devices are positioned files there, not streams), but every operation is the device's own: the position
    never moves and lseek always returns 0 (mem.c's null_lseek, also used for zero and full; random's
    noop_llseek returns the position, which is 0 too)."""

    def _read(self, to: "IovIter") -> int:
        raise KernelError(errno.EINVAL)

    def _write(self, source: "IovIter") -> int:
        n = source.count
        source.advance(n)                  # the data is dropped unread: no user page is even looked at
        return n

    def read_iter(self, task: "Task", to: "IovIter") -> int:
        return self._read(to)

    def write_iter(self, task: "Task", source: "IovIter") -> int:
        return self._write(source)

    def pread_iter(self, task: "Task", to: "IovIter", pos: int) -> int:
        return self._read(to)

    def pwrite_iter(self, task: "Task", source: "IovIter", pos: int) -> int:
        return self._write(source)

    def lseek(self, offset: int, whence: int) -> int:
        self.offset = 0
        return 0

    def seekable_size(self) -> int:
        return 0

    def bytes_available(self) -> int:
        raise KernelError(errno.ENOTTY)          # FIONREAD is for regular files, pipes, sockets, ttys


class NullFile(MemDeviceFile):
    def _read(self, to: "IovIter") -> int:
        return 0


class ZeroFile(MemDeviceFile):
    def _read(self, to: "IovIter") -> int:
        return to.zero(to.count)           # read_iter_zero: short at the first page that faults


class FullFile(MemDeviceFile):
    def _read(self, to: "IovIter") -> int:
        return to.zero(to.count)

    def _write(self, source: "IovIter") -> int:
        raise KernelError(errno.ENOSPC)


class RandomFile(MemDeviceFile):
    """/dev/random and /dev/urandom: the host's CSPRNG (random no longer blocks once the pool is ready, which on
    the host it long is).  Writes are accepted and, as on Linux without CAP_SYS_ADMIN, credit no entropy."""

    def _read(self, to: "IovIter") -> int:
        done = 0
        while to.count:
            try:
                views = to.map(min(to.count, 1 << 20))
            except KernelError:
                if done:
                    return done
                raise
            for view in views:
                view[:] = os.urandom(len(view))
            n = sum(map(len, views))
            to.advance(n)
            done += n
        return done


# --------------------------------------------------------------------------------------------- terminals
def host_terminal_fd() -> int | None:
    """The host descriptor of the terminal the guest's controlling terminal stands for: the first of the host's
    standard streams that is a terminal, or None."""
    for fd in (0, 1, 2):
        try:
            if os.isatty(fd):
                return fd
        except OSError:
            continue
    return None


class HostTtyFile(HostStreamFile, InodeFile):
    """A terminal opened by path (/dev/tty, /dev/console, /dev/pts/N): reads, writes, polls and terminal ioctls go
    to the host terminal (HostStreamFile), while fstat, fchdir and /proc/pid/fd see the devfs inode (InodeFile).
    Terminals are streams: lseek is ESPIPE (tty_fops' no_llseek)."""

    def __init__(self, path: VfsPath, flags: int, host_fd: int) -> None:
        File.__init__(self, flags)
        self.host_fd = host_fd
        self.path = path
        self.inode = path.inode
        self.offset = 0

    def stat(self) -> dict[str, int]:
        return self.inode.stat()

    def lseek(self, offset: int, whence: int) -> int:
        raise KernelError(errno.ESPIPE)

    def bytes_available(self) -> int:
        import fcntl
        import termios
        try:
            return int.from_bytes(fcntl.ioctl(self.host_fd, termios.FIONREAD, bytes(4)), "little")
        except OSError as e:
            raise KernelError(e.errno or errno.ENOTTY) from None


def open_host_tty(path: VfsPath, flags: int) -> File:
    """The host terminal itself, opened through the device node `path` (ENXIO when pynix runs on none): what the
    terminal nodes open when the machine has no console."""
    fd = host_terminal_fd()
    if fd is None:
        raise KernelError(errno.ENXIO)           # no controlling terminal
    return HostTtyFile(path, flags & (O_ACCMODE | O_NONBLOCK), fd)


# ------------------------------------------------------------------------------------- device registry
DEV_NULL, DEV_ZERO, DEV_FULL = new_encode_dev(1, 3), new_encode_dev(1, 5), new_encode_dev(1, 7)
DEV_RANDOM, DEV_URANDOM, DEV_KMSG = new_encode_dev(1, 8), new_encode_dev(1, 9), new_encode_dev(1, 11)
DEV_TTY, DEV_CONSOLE, DEV_PTMX = new_encode_dev(5, 0), new_encode_dev(5, 1), new_encode_dev(5, 2)
DEV_LOOP_CONTROL = new_encode_dev(10, 237)


def _open_loop_control(path: VfsPath, flags: int) -> File:
    from pynix.block.loop import open_loop_control
    return open_loop_control(path, flags)


# the memory devices (drivers/char/mem.c's chr_dev_init); the terminals' are registered by tty_init
for _dev, _driver in ((DEV_NULL, NullFile), (DEV_ZERO, ZeroFile), (DEV_FULL, FullFile), (DEV_RANDOM, RandomFile),
                      (DEV_URANDOM, RandomFile), (DEV_KMSG, KmsgFile),
                      (DEV_LOOP_CONTROL, _open_loop_control)):
    register_chrdev(_dev, _driver)


# ----------------------------------------------------------------------------------------- the filesystem
class DevfsInode(TmpfsInode):
    """A tmpfs inode whose device nodes open their devices; everything created below /dev is one too."""

    def open(self, path: VfsPath, flags: int) -> File:
        if st.S_ISCHR(self.mode):
            return open_chrdev(path, flags)
        if st.S_ISBLK(self.mode):
            from pynix.block.fops import open_blkdev
            return open_blkdev(path, flags)
        return super().open(path, flags)

    def truncate(self, size: int) -> None:
        if not st.S_ISREG(self.mode):
            raise KernelError(errno.EINVAL)
        super().truncate(size)

    def create(self, name: bytes, mode: int, uid: int, gid: int) -> Inode:
        return self._add(name, DevfsInode(self.sb, st.S_IFREG | (mode & 0o7777), uid, gid))

    def mkdir(self, name: bytes, mode: int, uid: int, gid: int) -> Inode:
        return self._add(name, DevfsInode(self.sb, st.S_IFDIR | (mode & 0o7777), uid, gid))

    def mknod(self, name: bytes, mode: int, rdev: int, uid: int, gid: int) -> Inode:
        return self._add(name, DevfsInode(self.sb, mode, uid, gid, rdev))

    def symlink(self, name: bytes, target: bytes, uid: int, gid: int) -> Inode:
        inode = DevfsInode(self.sb, st.S_IFLNK | 0o777, uid, gid)
        inode.target = target
        inode.i_size = len(target)
        return self._add(name, inode)


class HostPtsInode(DevfsInode):
    """/dev/pts/N for the host terminal the guest runs on (in the boot devpts, fs/devpts.py): its stat is the
    host node's (so ttyname(3), which compares st_dev/st_ino of the link target with fstat of the descriptor,
    finds it), opening it reaches the host terminal."""

    def __init__(self, sb: SuperBlock, host_fd: int, info: os.stat_result) -> None:
        super().__init__(sb, info.st_mode, info.st_uid, info.st_gid, info.st_rdev)
        self.host_fd = host_fd

    def stat(self) -> dict[str, int]:
        try:
            return host_stat_fields(os.fstat(self.host_fd))
        except OSError:
            return super().stat()

    def open(self, path: VfsPath, flags: int) -> File:
        file = self.sb.open_host_terminal(path, flags) if self.sb.open_host_terminal is not None else None
        return file if file is not None else HostTtyFile(path, flags & (O_ACCMODE | O_NONBLOCK), self.host_fd)


class DevfsSuperBlock(SuperBlock):
    fs_type = "devtmpfs"
    magic = TMPFS_MAGIC                  # devtmpfs is a tmpfs: statfs says so on Linux too

    def __init__(self, kernel: object = None) -> None:
        super().__init__()
        self.kernel = kernel
        self.root = root = DevfsInode(self, st.S_IFDIR | 0o755)
        for name, rdev, mode, gid in ((b"null", DEV_NULL, 0o666, 0), (b"zero", DEV_ZERO, 0o666, 0),
                                      (b"full", DEV_FULL, 0o666, 0), (b"random", DEV_RANDOM, 0o666, 0),
                                      (b"urandom", DEV_URANDOM, 0o666, 0), (b"kmsg", DEV_KMSG, 0o644, 0),
                                      (b"tty", DEV_TTY, 0o666, TTY_GID),
                                      (b"console", DEV_CONSOLE, 0o600, 0), (b"ptmx", DEV_PTMX, 0o666, TTY_GID),
                                      (b"loop-control", DEV_LOOP_CONTROL, 0o660, DISK_GID)):
            root.mknod(name, st.S_IFCHR | mode, rdev, 0, gid)
        for name, target in ((b"fd", b"/proc/self/fd"), (b"stdin", b"/proc/self/fd/0"),
                             (b"stdout", b"/proc/self/fd/1"), (b"stderr", b"/proc/self/fd/2")):
            root.symlink(name, target, 0, 0)
        root.mkdir(b"shm", 0o1777, 0, 0)
        root.mkdir(b"pts", 0o755, 0, 0)                  # devpts is mounted here
        from pynix.block.genhd import watch
        watch(self, self._block_device)                  # /dev/vda, /dev/loop0...: nodes come and go with them

    def _block_device(self, dev, added: bool) -> None:
        """A block device appeared or went away: its node in /dev, as devtmpfs makes it (root:disk 0660)."""
        name = dev.name.encode()
        root = self.root
        if root.entries.get(name) is not None:
            root.entries.pop(name)
        if added:
            root.mknod(name, st.S_IFBLK | 0o660, dev.rdev, 0, DISK_GID)

    def statfs(self) -> dict[str, int]:
        info = super().statfs()
        info.update(blocks=1 << 18, bfree=1 << 18, bavail=1 << 18, files=1 << 18, ffree=(1 << 18) - 64)
        return info
