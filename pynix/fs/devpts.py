"""devpts (Linux's fs/devpts): the /dev/pts directory of pseudo-terminal slaves.

Its root holds `ptmx` (c 5:2, mode 0000 as with Linux's default ptmxmode) and one node per open pair, named by
the pair's index: /dev/pts/N, c 136:N, owned by the process that opened the master, group tty, mode 0620 (the
usual `gid=5,mode=620` mount options).  Nodes appear when /dev/ptmx is opened and disappear when the master is
closed (tty/pty.py); the index is reused once both sides are gone.  Nothing else can be created here (EPERM).

Every mount of devpts is a new instance, as since Linux 4.7; /dev/ptmx (devfs) opens a master in the instance
mounted at the "pts" directory next to it, /dev/pts/ptmx in its own instance (both opened by the pty driver
through the character-device registry, fs/char_dev.py).  The instance pynix mounts at boot also holds the node of
the host terminal pynix runs on (devfs's HostPtsInode), under its host name, so ttyname(0) finds the console;
that index is never handed out.  Mount options are accepted and ignored.
"""
from __future__ import annotations

import errno
import os
import stat as st
from typing import TYPE_CHECKING, Iterable

from pynix.errors import KernelError
from pynix.fs.char_dev import open_chrdev
from pynix.fs.vfs import Inode, SuperBlock, VfsPath, dtype_of

if TYPE_CHECKING:
    from pynix.fs.char_dev import ChrdevOpen
    from pynix.fs.file import File
    from pynix.fs.vfs import Mount
    from pynix.kernel import Kernel
    from pynix.tty.pty import Pty

DEVPTS_SUPER_MAGIC = 0x1CD1
PTMX_RDEV = (5 << 8) | 2
PTS_MODE = 0o620


class DevptsDir(Inode):
    """The root directory: a fixed `ptmx` plus the slave nodes of live pairs."""

    def __init__(self, sb: "DevptsSuperBlock") -> None:
        super().__init__(sb, st.S_IFDIR | 0o755)
        self.entries: dict[bytes, Inode] = {}

    def lookup(self, name: bytes) -> Inode | None:
        return self.entries.get(name)

    def readdir(self) -> Iterable[tuple[bytes, int, int]]:
        return [(name, inode.ino, dtype_of(inode.mode)) for name, inode in self.entries.items()]

    def revalidate(self, name: bytes, child: Inode) -> bool:
        return self.entries.get(name) is child       # nodes come and go with the pairs


class PtmxInode(Inode):
    """/dev/pts/ptmx: opens a master in this instance."""

    def open(self, path: VfsPath, flags: int) -> "File":
        return open_chrdev(path, flags)              # the pty driver (tty/devices.py) opens in this instance


class PtsInode(Inode):
    """/dev/pts/N: opens the slave of pair N (tty_open: may make it the caller's controlling terminal)."""

    def __init__(self, sb: "DevptsSuperBlock", pty: "Pty", uid: int, gid: int) -> None:
        super().__init__(sb, st.S_IFCHR | PTS_MODE, uid, gid, pty.slave.driver.rdev)
        self.pty = pty

    def open(self, path: VfsPath, flags: int) -> "File":
        return self.pty.open_node(path, flags)


class DevptsSuperBlock(SuperBlock):
    fs_type = "devpts"
    magic = DEVPTS_SUPER_MAGIC

    def __init__(self, kernel: "Kernel", host_terminal: "ChrdevOpen | None" = None) -> None:
        """`host_terminal`: give the host terminal pynix runs on its node here, opened by this function (the
        console driver's) or, when it returns None, as the host terminal itself."""
        super().__init__()
        from pynix.fs.devfs import TTY_GID
        self.kernel = kernel
        self.tty_gid = TTY_GID
        self.root = root = DevptsDir(self)
        root.entries[b"ptmx"] = PtmxInode(self, st.S_IFCHR, rdev=PTMX_RDEV)
        self.used: set[int] = set()                    # indices of live pairs (and the host terminal's)
        self.open_host_terminal = host_terminal
        if host_terminal is not None:
            self._add_host_pts()

    def _add_host_pts(self) -> None:
        """Give the host terminal (if the guest runs on one) its /dev/pts/N node."""
        from pynix.fs.devfs import HostPtsInode, host_terminal_fd
        fd = host_terminal_fd()
        if fd is None:
            return
        try:
            name = os.ttyname(fd)
            info = os.fstat(fd)
        except OSError:
            return
        if name.startswith("/dev/pts/") and name[9:].isdigit():
            self.root.entries[name[9:].encode()] = HostPtsInode(self, fd, info)
            self.used.add(int(name[9:]))

    # ---------------------------------------------------------------------------------- for tty/pty.py
    def alloc_index(self) -> int:
        """The lowest free pair number (devpts_new_index)."""
        index = 0
        while index in self.used:
            index += 1
        self.used.add(index)
        return index

    def free_index(self, index: int) -> None:
        self.used.discard(index)

    def add_node(self, pty: "Pty", uid: int) -> None:
        pty.node = PtsInode(self, pty, uid, self.tty_gid)
        self.root.entries[b"%d" % pty.index] = pty.node

    def remove_node(self, pty: "Pty") -> None:
        """devpts_pty_kill: the node goes (open slave files keep working)."""
        if pty.node is not None:
            self.root.entries.pop(b"%d" % pty.index, None)
            self.root.nlink = 2
            pty.node = None

    def mount_of(self, kernel: "Kernel") -> "Mount | None":
        """A mount of this instance's root (to open a slave by path from its master)."""
        for m in kernel.mounts.mounts:
            if m.sb is self and m.root.inode is self.root:
                return m
        return None

    def statfs(self) -> dict[str, int]:
        info = super().statfs()
        info.update(bsize=1024, frsize=1024)
        return info


def devpts_of_ptmx(kernel: "Kernel", path: VfsPath) -> DevptsSuperBlock:
    """devpts_acquire for /dev/ptmx opened at `path`: the devpts instance mounted at "pts" in the same
    directory (ENODEV without one)."""
    from pynix.fs.vfs import Walker
    parent = path.dentry.parent
    task = kernel.current
    if parent is None or task is None:
        raise KernelError(errno.ENODEV)
    try:
        pts = Walker(task.group.fs).resolve(VfsPath(path.mount, parent), b"pts")
    except KernelError:
        raise KernelError(errno.ENODEV) from None
    sb = pts.inode.sb
    if not isinstance(sb, DevptsSuperBlock) or pts.inode is not sb.root:
        raise KernelError(errno.ENODEV)
    return sb
