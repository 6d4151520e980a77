"""tmpfs: files, directories, symlinks, hard links and fifos kept in kernel memory.

File data lives only in the inode's page cache (mm/page_cache.py): tmpfs has no store behind it, so a file is as
large as its size says and costs only the pages written (a hole is a page not in the cache).  The pages are
charged to the superblock: `size=` (default: half of the machine's memory, as Linux) bounds them with ENOSPC.
"""
from __future__ import annotations

import errno
import stat as st

from pynix.errors import KernelError
from pynix.fs.vfs import RENAME_EXCHANGE, Inode, SuperBlock, dtype_of, now_ns
from pynix.fs.xattr import SIMPLE_XATTR_PREFIXES, SimpleXattrs, resolve_name
from pynix.mm.page_cache import machine_frames

TMPFS_MAGIC = 0x01021994
SHORT_SYMLINK_LEN = 128         # shmem: a symlink target up to this long (with its NUL) lives in the inode


class TmpfsSuperBlock(SuperBlock):
    fs_type = "tmpfs"
    magic = TMPFS_MAGIC

    def __init__(self, mode: int = 0o1777, readonly: bool = False, max_pages: int | None = None) -> None:
        super().__init__(readonly)
        self.root = TmpfsInode(self, st.S_IFDIR | mode)
        self.max_pages = max_pages               # size= in pages; None: half of the machine's frames
        self.pages_used = 0

    def charge_pages(self, n: int, frames_total: int = 0) -> None:
        """shmem_inode_acct_blocks: ENOSPC when the pages would pass the filesystem's size."""
        limit = self.max_pages if self.max_pages is not None else frames_total // 2
        if n > 0 and self.pages_used + n > limit:
            raise KernelError(errno.ENOSPC)
        self.pages_used += n

    def statfs(self) -> dict[str, int]:
        info = super().statfs()
        blocks = self.max_pages if self.max_pages is not None else machine_frames() // 2   # as charge_pages
        free = max(blocks - self.pages_used, 0)
        info.update(blocks=blocks, bfree=free, bavail=free, files=1 << 20, ffree=1 << 19)
        return info


class TmpfsInode(Inode):
    has_backing_store = False

    def __init__(self, sb: SuperBlock, mode: int, uid: int = 0, gid: int = 0, rdev: int = 0) -> None:
        super().__init__(sb, mode, uid, gid, rdev)
        self.entries: dict[bytes, TmpfsInode] = {}
        self.i_size = 4096 if self.is_dir else 0         # a symlink's is its target's length
        self.target = b""
        self.xattrs = SimpleXattrs()

    @property
    def size(self) -> int:
        return self.i_size

    def stat(self) -> dict[str, int]:
        info = Inode.stat(self)
        if self.is_symlink:             # shmem_symlink: a target shorter than SHORT_SYMLINK_LEN is kept in the
            info["blocks"] = 0 if self.i_size < SHORT_SYMLINK_LEN else 8    # inode, a longer one takes a page
        elif not self.is_dir:                                 # the pages it holds, not its size
            mapping = self.mapping
            info["blocks"] = len(mapping.pages) * 8 if mapping is not None else 0
        return info

    # --- extended attributes: shmem's simple_xattrs (security.*, trusted.*, user.*) --------------------------
    def getxattr(self, name: bytes) -> bytes:
        resolve_name(name, SIMPLE_XATTR_PREFIXES)
        return self.xattrs.get(name)

    def setxattr(self, name: bytes, value: bytes | None, flags: int) -> None:
        resolve_name(name, SIMPLE_XATTR_PREFIXES)
        self.xattrs.set(name, value, flags)
        self.ctime_ns = now_ns()

    def listxattr(self) -> list[bytes]:
        return self.xattrs.names()

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
        inode.i_size = len(target)
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

    def rename_entry(self, name: bytes, new_dir: Inode, new_name: bytes, flags: int) -> None:
        assert isinstance(new_dir, TmpfsInode)
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
        if target is not None:                     # (the VFS has checked that it may be replaced)
            if target.is_dir:
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

    def write_end(self, pos: int, copied: int) -> None:
        if pos + copied > self.i_size:
            self.i_size = pos + copied
        self.mtime_ns = self.ctime_ns = now_ns()

    def truncate(self, size: int) -> None:
        """Set the size; the VFS (truncate_file) then drops the pages past it from the cache."""
        if self.is_dir:
            raise KernelError(errno.EISDIR)
        self.i_size = size
        self.mtime_ns = self.ctime_ns = now_ns()
