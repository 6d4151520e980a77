"""ext2 directories: entries in the directory's blocks, lookup, readdir and every namespace change (Linux's
fs/ext2/dir.c and namei.c).

A directory block is a chain of entries (inode, rec_len, name_len, file_type, name) that covers the block
exactly; an entry with inode 0 is free space.  The first lookup in a directory reads all of its blocks once and
checks every entry (rec_len too small, unaligned, crossing the block, an inode number past the end: EUCLEAN
with an "ext2_check_page" log line), keeping an index name -> (inode, block, offset) and the largest free gap
of each block, so later lookups and inserts do not scan the directory again.

With metadata_csum, a leaf block's checksum tail is verified when the block is read (EBADMSG on a mismatch).
htree (dir_index) directories are read through their leaf blocks, which are ordinary directory blocks (the
index blocks look like one empty entry to a linear reader); pynix does not use the hash index for lookups.
Changing an indexed directory clears its INDEX_FL, as a kernel without htree support must (e2fsck accepts it
and may rebuild the index).  A directory found under a second parent (a hard-linked directory: a loop in the
tree) is EIO with a log line, as Linux's d_splice_alias refuses it.
"""
from __future__ import annotations

import errno
import stat as st
import struct
from typing import TYPE_CHECKING, Iterator

from pynix.errors import KernelError
from pynix.fs.ext2 import layout as L
from pynix.fs.ext2.alloc import alloc_inode
from pynix.fs.ext2.super import guard
from pynix.fs.vfs import DT_UNKNOWN, Inode, NAME_MAX, dtype_of, now_ns

if TYPE_CHECKING:
    from pynix.fs.ext2.inode import Ext2Inode

RENAME_NOREPLACE, RENAME_EXCHANGE = 1, 2
LINK_MAX = 65000
_FT_OF_MODE = {st.S_IFREG: L.FT_REG, st.S_IFDIR: L.FT_DIR, st.S_IFCHR: L.FT_CHR, st.S_IFBLK: L.FT_BLK,
               st.S_IFIFO: L.FT_FIFO, st.S_IFSOCK: L.FT_SOCK, st.S_IFLNK: L.FT_SYMLINK}
_MODE_OF_FT = {ft: mode for mode, ft in _FT_OF_MODE.items()}
DIRENT_TAIL = L.DIRENT_HEADER.pack(0, 12, 0, 0xDE)       # ext4_dir_entry_tail: inode 0, rec_len 12, "0xDE"


class Ext2Dir:
    """The directory half of Ext2Inode (a mixin: `self` is an Ext2Inode)."""

    # --- reading --------------------------------------------------------------------------------------
    def _entries(self: "Ext2Inode", lblock: int, data: bytes) -> Iterator[tuple[int, int, int, int, bytes]]:
        """(offset, inode, rec_len, file_type, name) of every entry of directory block `lblock`, checked."""
        sb, bs = self.sb, self.sb.block_size
        offset = 0
        while offset < bs:
            ino, rec_len, name_len, ftype = L.DIRENT_HEADER.unpack_from(data, offset)
            problem = None
            if rec_len < 12 and not (rec_len == 8 and name_len == 0 and offset + 8 == bs):
                problem = "rec_len is smaller than minimal"
            elif rec_len & 3:
                problem = "unaligned directory entry"
            elif rec_len < L.dirent_size(name_len):
                problem = "rec_len is too small for name_len"
            elif offset + rec_len > bs:
                problem = "directory entry across blocks"
            elif ino > sb.inodes_count:
                problem = "inode out of bounds"
            if problem:
                raise sb.error("ext2_check_page", f"bad entry in directory #{self.ino}: {problem} - "
                                                  f"offset={lblock * bs + offset}, inode={ino}, rec_len={rec_len}, "
                                                  f"name_len={name_len}")
            yield offset, ino, rec_len, ftype, bytes(data[offset + 8:offset + 8 + name_len])
            offset += rec_len

    def _dir_block(self: "Ext2Inode", lblock: int) -> tuple[int, bytes]:
        block = self.bmap(lblock)
        if not block:
            raise self.sb.error("ext2_get_page", f"directory #{self.ino} has a hole at block {lblock}")
        data = self.sb.bread(block)
        bs = self.sb.block_size
        if self.sb.csum and data[bs - 12:bs - 4] == DIRENT_TAIL:     # a leaf block with its checksum tail
            self.verify_tail(block, data, bs - 12, bs - 4, "ext4_dirblock_csum_verify")
        return block, data

    def _scan(self: "Ext2Inode") -> dict[bytes, tuple[int, int, int]]:
        """The directory's index (built once): name -> (inode, logical block, offset); and free gaps."""
        if self.dir_index is not None:
            return self.dir_index
        if not self.is_dir:
            raise KernelError(errno.ENOTDIR)
        index: dict[bytes, tuple[int, int, int]] = {}
        self.dir_free: dict[int, int] = {}
        for lblock in range(self._size // self.sb.block_size):
            _block, data = self._dir_block(lblock)
            self._index_block(lblock, data, index)
        self.dir_index = index
        return index

    def _index_block(self: "Ext2Inode", lblock: int, data: bytes, index: dict) -> None:
        gap = 0
        for offset, ino, rec_len, _ftype, name in self._entries(lblock, data):
            if ino:
                index[name] = (ino, lblock, offset)
                gap = max(gap, rec_len - L.dirent_size(len(name)))
            else:
                gap = max(gap, rec_len)
        self.dir_free[lblock] = gap

    @guard
    def lookup(self: "Ext2Inode", name: bytes) -> Inode | None:
        return self._lookup(name)

    def _lookup(self: "Ext2Inode", name: bytes) -> Inode | None:
        entry = self._scan().get(name)
        if entry is None:
            return None
        child = self.sb.iget(entry[0])
        if child.is_dir and name not in (b".", b".."):
            if child.ino == self.ino or child.ino == L.ROOT_INO or (child.parent_ino and child.parent_ino != self.ino):
                raise self.sb.error("ext2_lookup", f"directory #{child.ino} found in #{self.ino} and elsewhere: "
                                                   "a loop in the directory tree", errno.EIO)
            child.parent_ino = self.ino
        return child

    @guard
    def readdir(self: "Ext2Inode") -> list[tuple[bytes, int, int]]:
        if not self.is_dir:
            raise KernelError(errno.ENOTDIR)
        typed = bool(self.sb.incompat & L.INCOMPAT_FILETYPE)
        out = []
        for lblock in range(self._size // self.sb.block_size):
            _block, data = self._dir_block(lblock)
            for _offset, ino, _rec_len, ftype, name in self._entries(lblock, data):
                if ino and name not in (b".", b".."):
                    out.append((name, ino, dtype_of(_MODE_OF_FT.get(ftype, 0)) if typed else DT_UNKNOWN))
        self.touch_atime()
        return out

    # --- changing entries -----------------------------------------------------------------------------
    def _ftype(self: "Ext2Inode", mode: int) -> int:
        return _FT_OF_MODE.get(st.S_IFMT(mode), 0) if self.sb.incompat & L.INCOMPAT_FILETYPE else 0

    def _dir_changed(self: "Ext2Inode") -> None:
        self.mtime_ns = self.ctime_ns = now_ns()
        self.flags &= ~L.INDEX_FL
        self.store()

    def add_entry(self: "Ext2Inode", name: bytes, ino: int, mode: int) -> None:
        """ext2_add_link: put `name` -> `ino` in the first gap big enough, or in a new block at the end."""
        if len(name) > NAME_MAX:
            raise KernelError(errno.ENAMETOOLONG)
        index = self._scan()
        if name in index:
            raise KernelError(errno.EEXIST)
        sb, bs = self.sb, self.sb.block_size
        need = L.dirent_size(len(name))
        lblock = next((b for b, gap in self.dir_free.items() if gap >= need), None)
        if lblock is None:
            lblock = self._size // bs
            block, _new = self.bmap_alloc(lblock)
            sb.bwrite(block, L.DIRENT_HEADER.pack(0, bs, 0, 0) + bytes(bs - 8))
            self._size += bs
            self.dir_free[lblock] = bs
        block, data = self._dir_block(lblock)
        data = bytearray(data)
        for offset, old_ino, rec_len, _ftype, old_name in self._entries(lblock, bytes(data)):
            used = L.dirent_size(len(old_name)) if old_ino else 0
            if rec_len - used >= need:
                if used:                                  # split: the old entry keeps what it needs
                    struct.pack_into("<H", data, offset + 4, used)
                    offset, rec_len = offset + used, rec_len - used
                data[offset:offset + 8 + len(name)] = L.DIRENT_HEADER.pack(ino, rec_len, len(name),
                                                                           self._ftype(mode)) + name
                break
        else:
            raise sb.error("ext2_add_link", f"directory #{self.ino}: no room in block {lblock} after all")
        sb.bwrite(block, data)
        for key in [k for k, v in index.items() if v[1] == lblock]:
            del index[key]
        self._index_block(lblock, bytes(data), index)
        self._dir_changed()

    def remove_entry(self: "Ext2Inode", name: bytes) -> None:
        """ext2_delete_entry: the previous entry of the block absorbs it, or it becomes free (inode 0)."""
        index = self._scan()
        _ino, lblock, where = index[name]
        block, data = self._dir_block(lblock)
        data = bytearray(data)
        previous = None
        for offset, _ino2, rec_len, _ftype, _name in self._entries(lblock, bytes(data)):
            if offset == where:
                if previous is None:
                    struct.pack_into("<I", data, offset, 0)
                else:
                    prev_len = struct.unpack_from("<H", data, previous + 4)[0]
                    struct.pack_into("<H", data, previous + 4, prev_len + rec_len)
                break
            previous = offset
        self.sb.bwrite(block, data)
        del index[name]
        self._index_block(lblock, bytes(data), {})
        self._dir_changed()

    def set_entry(self: "Ext2Inode", name: bytes, ino: int, mode: int) -> None:
        """ext2_set_link: the existing entry `name` now names inode `ino`."""
        index = self._scan()
        _old, lblock, where = index[name]
        block = self._dir_block(lblock)[0]
        self.sb.bwrite(block, struct.pack("<I", ino), where)
        self.sb.bwrite(block, bytes([self._ftype(mode)]), where + 7)
        index[name] = (ino, lblock, where)
        self._dir_changed()

    # --- namespace operations -------------------------------------------------------------------------
    def _new_child(self: "Ext2Inode", name: bytes, mode: int, uid: int, gid: int, rdev: int = 0) -> "Ext2Inode":
        self.writable()
        if self.nlink == 0:
            raise KernelError(errno.ENOENT)
        if name in self._scan():
            raise KernelError(errno.EEXIST)
        if len(name) > NAME_MAX:
            raise KernelError(errno.ENAMETOOLONG)
        sb = self.sb
        ino = alloc_inode(sb, self.ino, st.S_ISDIR(mode))
        inode = sb.inode_class.new(sb, ino, mode, uid, gid, rdev)
        try:
            if inode.is_dir:
                inode.parent_ino = self.ino
                block, _new = inode.bmap_alloc(0)
                bs = sb.block_size
                ft = self._ftype(st.S_IFDIR)
                sb.bwrite(block, L.DIRENT_HEADER.pack(ino, 12, 1, ft) + b".\0\0\0"
                          + L.DIRENT_HEADER.pack(self.ino, bs - 12, 2, ft) + b"..\0\0" + bytes(bs - 24))
                inode._size, inode.nlink = bs, 2
                inode.store()
            self.add_entry(name, ino, mode)
        except KernelError:
            inode.nlink = 0
            inode.evict()
            raise
        if inode.is_dir:
            self.nlink += 1
            self.store()
        return inode

    @guard
    def create(self: "Ext2Inode", name: bytes, mode: int, uid: int, gid: int) -> Inode:
        return self._new_child(name, st.S_IFREG | (mode & 0o7777), uid, gid)

    @guard
    def mkdir(self: "Ext2Inode", name: bytes, mode: int, uid: int, gid: int) -> Inode:
        if self.nlink >= LINK_MAX:
            raise KernelError(errno.EMLINK)
        return self._new_child(name, st.S_IFDIR | (mode & 0o7777), uid, gid)

    @guard
    def mknod(self: "Ext2Inode", name: bytes, mode: int, rdev: int, uid: int, gid: int) -> Inode:
        keep = rdev if st.S_ISCHR(mode) or st.S_ISBLK(mode) else 0
        return self._new_child(name, mode, uid, gid, keep)

    @guard
    def symlink(self: "Ext2Inode", name: bytes, target: bytes, uid: int, gid: int) -> Inode:
        if len(target) + 1 > self.sb.block_size:
            raise KernelError(errno.ENAMETOOLONG)
        inode = self._new_child(name, st.S_IFLNK | 0o777, uid, gid)
        if len(target) < 60:                              # a fast symlink: the target lives in i_block
            inode.i_block = list(struct.unpack("<15I", target.ljust(60, b"\0")))
        else:
            inode._write_range(0, target)
        inode._size = len(target)
        inode.store()
        return inode

    @guard
    def link(self: "Ext2Inode", name: bytes, inode: "Ext2Inode") -> None:
        self.writable()
        if inode.sb is not self.sb:
            raise KernelError(errno.EXDEV)
        if inode.nlink >= LINK_MAX:
            raise KernelError(errno.EMLINK)
        self.add_entry(name, inode.ino, inode.mode)
        inode.nlink += 1
        inode.ctime_ns = now_ns()
        inode.store()

    def _existing(self: "Ext2Inode", name: bytes) -> "Ext2Inode":
        child = self._lookup(name)
        if child is None:
            raise KernelError(errno.ENOENT)
        return child

    @guard
    def unlink(self: "Ext2Inode", name: bytes) -> None:
        self.writable()
        child = self._existing(name)
        if child.is_dir:
            raise KernelError(errno.EISDIR)
        self.remove_entry(name)
        child.drop_link()

    def is_empty_dir(self: "Ext2Inode") -> bool:
        return all(name in (b".", b"..") for name in self._scan())

    @guard
    def rmdir(self: "Ext2Inode", name: bytes) -> None:
        self.writable()
        child = self._existing(name)
        if not child.is_dir:
            raise KernelError(errno.ENOTDIR)
        if not child.is_empty_dir():
            raise KernelError(errno.ENOTEMPTY)
        self.remove_entry(name)
        self._drop_dir(child)
        self.nlink -= 1
        self.store()

    def _drop_dir(self: "Ext2Inode", child: "Ext2Inode") -> None:
        """An empty directory lost its name: both its links (the name and its ".") go."""
        child.nlink = 1
        child.dir_index, child.parent_ino = {}, 0
        child.dir_free = {}
        child.drop_link()

    @guard
    def rename(self: "Ext2Inode", name: bytes, new_dir: "Ext2Inode", new_name: bytes, flags: int) -> None:
        self.writable()
        if new_dir.sb is not self.sb:
            raise KernelError(errno.EXDEV)
        inode = self._existing(name)
        target = new_dir._lookup(new_name)
        if flags & RENAME_EXCHANGE:
            if target is None:
                raise KernelError(errno.ENOENT)
            self.set_entry(name, target.ino, target.mode)
            new_dir.set_entry(new_name, inode.ino, inode.mode)
            if new_dir is not self:
                for moved, old_parent, new_parent in ((inode, self, new_dir), (target, new_dir, self)):
                    if moved.is_dir:
                        moved._reparent(old_parent, new_parent)
            inode.ctime_ns = target.ctime_ns = now_ns()
            inode.store()
            target.store()
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
            if target.is_dir and not target.is_empty_dir():
                raise KernelError(errno.ENOTEMPTY)
            new_dir.set_entry(new_name, inode.ino, inode.mode)
            if target.is_dir:
                self._drop_dir(target)
                new_dir.nlink -= 1
                new_dir.store()
            else:
                target.drop_link()
        else:
            if inode.is_dir and new_dir is not self and new_dir.nlink >= LINK_MAX:
                raise KernelError(errno.EMLINK)
            new_dir.add_entry(new_name, inode.ino, inode.mode)
        self.remove_entry(name)
        if inode.is_dir and new_dir is not self:
            inode._reparent(self, new_dir)
        inode.ctime_ns = now_ns()
        inode.store()

    def _reparent(self: "Ext2Inode", old_parent: "Ext2Inode", new_parent: "Ext2Inode") -> None:
        """A directory moved from `old_parent` to `new_parent`: its ".." and both link counts follow."""
        self.set_entry(b"..", new_parent.ino, st.S_IFDIR)
        self.parent_ino = new_parent.ino
        old_parent.nlink -= 1
        new_parent.nlink += 1
        old_parent.store()
        new_parent.store()
