"""hostfs: a host directory seen inside the guest, confined to that directory.

Confinement is the point.  The guest's path walk asks this filesystem for one name at a time, and each name is
looked up with lstat() in a host directory that was itself reached that way, so a host path is only ever built
from real directories below the mounted one: `..` is handled by the guest VFS (it never reaches the host), a
host symlink is returned to the guest as a symlink and resolved in the guest's namespace (an absolute target
means the guest's root, not the host's), and files are opened with O_NOFOLLOW.  Names containing "/" or NUL,
"." and ".." never reach this code.  Read-only for now: writes reach the host only through an explicit
read-write mount (to come with --mount).
"""
from __future__ import annotations

import errno
import os
import stat as st

from pynix.errors import KernelError
from pynix.fs.vfs import Inode, SuperBlock, dtype_of

_O_READ = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | getattr(os, "O_NOCTTY", 0)


class HostfsSuperBlock(SuperBlock):
    fs_type = "hostfs"
    magic = 0x00C0FFEE

    def __init__(self, host_root: str, readonly: bool = True) -> None:
        super().__init__(readonly)
        self.host_root = os.fsencode(os.path.realpath(host_root))
        info = os.stat(self.host_root)
        if not st.S_ISDIR(info.st_mode):
            raise KernelError(errno.ENOTDIR)
        self.root = HostfsInode(self, self.host_root, info)

    def statfs(self) -> dict[str, int]:
        info = super().statfs()
        try:
            v = os.statvfs(self.host_root)
            info.update(bsize=v.f_bsize, frsize=v.f_frsize, blocks=v.f_blocks, bfree=v.f_bfree, bavail=v.f_bavail,
                        files=v.f_files, ffree=v.f_ffree, namelen=v.f_namemax)
        except OSError:
            pass
        return info


def _host_error(e: OSError) -> KernelError:
    return KernelError(e.errno or errno.EIO)


class HostfsInode(Inode):
    def __init__(self, sb: HostfsSuperBlock, host_path: bytes, info: os.stat_result) -> None:
        super().__init__(sb, info.st_mode, info.st_uid, info.st_gid, info.st_rdev, ino=info.st_ino)
        self.host_path = host_path
        self._apply(info)

    def _apply(self, info: os.stat_result) -> None:
        self.mode, self.uid, self.gid, self.nlink = info.st_mode, info.st_uid, info.st_gid, info.st_nlink
        self.atime_ns, self.mtime_ns, self.ctime_ns = info.st_atime_ns, info.st_mtime_ns, info.st_ctime_ns
        self._size = info.st_size
        self._blocks, self._blksize, self._host_dev = info.st_blocks, info.st_blksize, info.st_dev

    def _refresh(self) -> None:
        try:
            self._apply(os.lstat(self.host_path))
        except OSError:
            pass                                     # deleted on the host: keep the last known attributes

    @property
    def size(self) -> int:
        return self._size

    def stat(self) -> dict[str, int]:
        self._refresh()
        info = super().stat()
        info.update(blocks=self._blocks, blksize=self._blksize)   # what the host's disk really uses
        return info

    def lookup(self, name: bytes) -> Inode | None:
        if not self.is_dir:
            raise KernelError(errno.ENOTDIR)
        if b"/" in name or b"\0" in name or name in (b".", b".."):
            raise KernelError(errno.EINVAL)
        path = os.path.join(self.host_path, name)
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            return None
        except OSError as e:
            if e.errno in (errno.ENOTDIR, errno.ENAMETOOLONG):
                return None
            raise _host_error(e) from None
        return HostfsInode(self.sb, path, info)

    def readdir(self):
        if not self.is_dir:
            raise KernelError(errno.ENOTDIR)
        try:
            with os.scandir(self.host_path) as it:
                entries = []
                for entry in it:
                    try:
                        mode = entry.stat(follow_symlinks=False).st_mode
                    except OSError:
                        mode = 0
                    entries.append((os.fsencode(entry.name), entry.inode(), dtype_of(mode)))
                return entries
        except OSError as e:
            raise _host_error(e) from None

    def readlink(self) -> bytes:
        if not self.is_symlink:
            raise KernelError(errno.EINVAL)
        try:
            return os.readlink(self.host_path)
        except OSError as e:
            raise _host_error(e) from None

    def read_at(self, offset: int, size: int) -> bytes:
        if self.is_dir:
            raise KernelError(errno.EISDIR)
        try:
            fd = os.open(self.host_path, _O_READ)
            try:
                return os.pread(fd, size, offset)
            finally:
                os.close(fd)
        except OSError as e:
            raise _host_error(e) from None
