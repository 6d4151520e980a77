"""tmpfs: files, directories, symlinks, hard links and fifos kept in kernel memory.

File data is a bytearray per inode.  (DESIGN.md wants file data in RAM frames through the page cache so that
MAP_SHARED mappings and read() see the same bytes; that comes with file-backed mmap.)
"""
from __future__ import annotations

import errno
import stat as st

from pynix.errors import KernelError
from pynix.fs.vfs import Inode, SuperBlock, dtype_of, now_ns

TMPFS_MAGIC = 0x01021994
RENAME_NOREPLACE, RENAME_EXCHANGE = 1, 2


class TmpfsSuperBlock(SuperBlock):
    fs_type = "tmpfs"
    magic = TMPFS_MAGIC

    def __init__(self, mode: int = 0o1777, readonly: bool = False) -> None:
        super().__init__(readonly)
        self.root = TmpfsInode(self, st.S_IFDIR | mode)

    def statfs(self) -> dict[str, int]:
        info = super().statfs()
        info.update(blocks=1 << 20, bfree=1 << 19, bavail=1 << 19, files=1 << 20, ffree=1 << 19)
        return info


class TmpfsInode(Inode):
    def __init__(self, sb: SuperBlock, mode: int, uid: int = 0, gid: int = 0, rdev: int = 0) -> None:
        super().__init__(sb, mode, uid, gid, rdev)
        self.entries: dict[bytes, TmpfsInode] = {}
        self.data = bytearray()
        self.target = b""

    @property
    def size(self) -> int:
        if self.is_symlink:
            return len(self.target)
        if self.is_dir:
            return 4096
        return len(self.data)

    # --- directories ----------------------------------------------------------------------------------
    def lookup(self, name: bytes) -> Inode | None:
        if not self.is_dir:
            raise KernelError(errno.ENOTDIR)
        return self.entries.get(name)

    def readdir(self):
        if not self.is_dir:
            raise KernelError(errno.ENOTDIR)
        return [(name, inode.ino, dtype_of(inode.mode)) for name, inode in self.entries.items()]

    def _add(self, name: bytes, inode: "TmpfsInode") -> "TmpfsInode":
        if not self.is_dir:
            raise KernelError(errno.ENOTDIR)
        if name in self.entries:
            raise KernelError(errno.EEXIST)
        self.entries[name] = inode
        if inode.is_dir:
            self.nlink += 1
        self.mtime_ns = self.ctime_ns = now_ns()
        return inode

    def create(self, name: bytes, mode: int, uid: int, gid: int) -> Inode:
        return self._add(name, TmpfsInode(self.sb, st.S_IFREG | (mode & 0o7777), uid, gid))

    def mkdir(self, name: bytes, mode: int, uid: int, gid: int) -> Inode:
        return self._add(name, TmpfsInode(self.sb, st.S_IFDIR | (mode & 0o7777), uid, gid))

    def mknod(self, name: bytes, mode: int, rdev: int, uid: int, gid: int) -> Inode:
        return self._add(name, TmpfsInode(self.sb, mode, uid, gid, rdev))

    def symlink(self, name: bytes, target: bytes, uid: int, gid: int) -> Inode:
        inode = TmpfsInode(self.sb, st.S_IFLNK | 0o777, uid, gid)
        inode.target = target
        return self._add(name, inode)

    def link(self, name: bytes, inode: Inode) -> None:
        if not isinstance(inode, TmpfsInode) or inode.sb is not self.sb:
            raise KernelError(errno.EXDEV)
        self._add(name, inode)
        inode.nlink += 1
        inode.ctime_ns = now_ns()

    def _take(self, name: bytes) -> "TmpfsInode":
        inode = self.entries.get(name)
        if inode is None:
            raise KernelError(errno.ENOENT)
        return inode

    def unlink(self, name: bytes) -> None:
        inode = self._take(name)
        if inode.is_dir:
            raise KernelError(errno.EISDIR)
        del self.entries[name]
        inode.nlink -= 1
        inode.ctime_ns = self.mtime_ns = self.ctime_ns = now_ns()

    def rmdir(self, name: bytes) -> None:
        inode = self._take(name)
        if not inode.is_dir:
            raise KernelError(errno.ENOTDIR)
        if inode.entries:
            raise KernelError(errno.ENOTEMPTY)
        del self.entries[name]
        inode.nlink = 0
        self.nlink -= 1
        self.mtime_ns = self.ctime_ns = now_ns()

    def rename(self, name: bytes, new_dir: Inode, new_name: bytes, flags: int) -> None:
        if not isinstance(new_dir, TmpfsInode) or new_dir.sb is not self.sb:
            raise KernelError(errno.EXDEV)
        inode = self._take(name)
        target = new_dir.entries.get(new_name)
        if flags & RENAME_EXCHANGE:
            if target is None:
                raise KernelError(errno.ENOENT)
            self.entries[name], new_dir.entries[new_name] = target, inode
            if new_dir is not self and inode.is_dir != target.is_dir:   # a directory changes parent: its ".."
                delta = 1 if inode.is_dir else -1
                new_dir.nlink += delta
                self.nlink -= delta
            self.mtime_ns = new_dir.mtime_ns = inode.ctime_ns = target.ctime_ns = now_ns()
            return
        if target is inode:
            return
        if target is not None:
            if flags & RENAME_NOREPLACE:
                raise KernelError(errno.EEXIST)
            if inode.is_dir and not target.is_dir:
                raise KernelError(errno.ENOTDIR)
            if not inode.is_dir and target.is_dir:
                raise KernelError(errno.EISDIR)
            if target.is_dir:
                if target.entries:
                    raise KernelError(errno.ENOTEMPTY)
                new_dir.nlink -= 1
                target.nlink = 0
            else:
                target.nlink -= 1
        del self.entries[name]
        new_dir.entries[new_name] = inode
        if inode.is_dir and new_dir is not self:
            self.nlink -= 1
            new_dir.nlink += 1
        self.mtime_ns = new_dir.mtime_ns = inode.ctime_ns = now_ns()

    # --- symlinks and data -------------------------------------------------------------------------------
    def readlink(self) -> bytes:
        if not self.is_symlink:
            raise KernelError(errno.EINVAL)
        return self.target

    def read_at(self, offset: int, size: int) -> bytes:
        if self.is_dir:
            raise KernelError(errno.EISDIR)
        with memoryview(self.data) as data:
            return bytes(data[offset:offset + size])

    def read_into(self, offset: int, views: list[memoryview]) -> int:
        """One copy, from the file's bytes straight into user memory."""
        if self.is_dir:
            raise KernelError(errno.EISDIR)
        done, end = 0, len(self.data)
        with memoryview(self.data) as data:        # released before anything can resize the file
            for view in views:
                n = min(len(view), end - offset - done)
                if n <= 0:
                    break
                view[:n] = data[offset + done:offset + done + n]
                done += n
        return done

    def write_at(self, offset: int, data: bytes | memoryview) -> int:
        if self.is_dir:
            raise KernelError(errno.EISDIR)
        end = offset + len(data)
        if end > len(self.data):
            self.data.extend(bytes(end - len(self.data)))
        self.data[offset:end] = data
        self.mtime_ns = self.ctime_ns = now_ns()
        return len(data)

    def truncate(self, size: int) -> None:
        if self.is_dir:
            raise KernelError(errno.EISDIR)
        if size < len(self.data):
            del self.data[size:]
        else:
            self.data.extend(bytes(size - len(self.data)))
        self.mtime_ns = self.ctime_ns = now_ns()
