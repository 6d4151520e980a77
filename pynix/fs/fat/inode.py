"""FAT inodes (Linux's fs/fat/inode.c, file.c, namei_vfat.c): one per directory-entry location, with
the file data read and written along the cluster chain."""
from __future__ import annotations

import errno
import stat as st
import struct
from typing import TYPE_CHECKING

from pynix.errors import KernelError
from pynix.fs.fat.dir import FatDir
from pynix.fs.fat.layout import (ATTR_ARCH, ATTR_DIR, ATTR_RO, DELETED, DOTDOT_NAME, DOT_NAME, ENTRY_META,
                                 MAX_DIR_SLOTS, MAX_FILE_SIZE, fat_error, fat_op)
from pynix.fs.fat.names import (check_long_name, fat_time_to_ns, lfn_checksum, lfn_slots, make_short_name,
                                ns_to_fat_time, plain_short_name, short_display)
from pynix.fs.file_ops import OrphanKeepingFile
from pynix.fs.vfs import DT_DIR, DT_REG, RENAME_EXCHANGE, RENAME_NOREPLACE, Inode, VfsPath, now_ns

if TYPE_CHECKING:
    from pynix.fs.fat.super import Fat32SuperBlock


class FatInode(Inode):
    """A file or directory: the root, or the entry at `slot` of directory `parent`."""

    def __init__(self, sb: Fat32SuperBlock, parent: "FatInode | None", slot: int, pos: int,
                 entry: bytes | bytearray | None) -> None:
        self.parent, self.slot, self.pos = parent, slot, pos
        self.opened = 0
        self.orphan = False
        self.dead = False
        self._chain: list[int] | None = None
        self._dircache: FatDir | None = None
        if entry is None:                                       # the root directory
            self.attr, self.start, self._size = ATTR_DIR, sb.root_cluster, 0
            self.crt = (0, 0, 0)
            super().__init__(sb, st.S_IFDIR | (0o777 & ~sb.dmask), sb.uid, sb.gid, ino=1)
            self.atime_ns = self.mtime_ns = self.ctime_ns = 0
        else:
            self.attr = entry[11]
            ctenth, ctime, cdate, adate, hi, wtime, wdate, lo, size = ENTRY_META.unpack_from(entry, 13)
            self.start = (hi << 16) | lo
            self._size = size if not self.attr & ATTR_DIR else 0
            self.crt = (cdate, ctime, ctenth)
            mode = sb.mode_for(self.attr)
            super().__init__(sb, mode, sb.uid, sb.gid, ino=sb._ino_for(pos))
            self.mtime_ns = self.ctime_ns = fat_time_to_ns(wdate, wtime)
            self.atime_ns = fat_time_to_ns(adate)
        sb._inos[self.ino] = self

    sb: Fat32SuperBlock

    # --- attributes -------------------------------------------------------------------------------------
    @property
    def nlink(self) -> int:
        if self.dead or self.orphan:
            return 0
        if self.is_dir:
            try:
                return 2 + self._dir().subdirs
            except KernelError:
                return 2
        return 1

    @nlink.setter
    def nlink(self, value: int) -> None:                        # computed, never stored (Inode.__init__ sets it)
        pass

    @property
    def size(self) -> int:
        if self.is_dir:
            return len(self._get_chain()) * self.sb.cluster_size if not self.dead else 0
        return self._size

    @fat_op
    def stat(self) -> dict[str, int]:
        info = super().stat()
        info["blksize"] = self.sb.cluster_size
        info["blocks"] = len(self._get_chain()) * self.sb.cluster_size // 512 if not self.dead else 0
        return info

    @fat_op
    def setattr(self, *, mode: int | None = None, uid: int | None = None, gid: int | None = None,
                atime_ns: int | None = None, mtime_ns: int | None = None) -> None:
        """vfat's rules: owner and group cannot change; of the mode only the write bits can (clearing them all
        sets the read-only attribute); times round to FAT's granularity."""
        if (uid is not None and uid != self.uid) or (gid is not None and gid != self.gid):
            raise fat_error(errno.EPERM)
        new_attr = self.attr
        if mode is not None:                                    # fat_sanitize_mode_change
            mask = self.sb.dmask if self.is_dir else self.sb.fmask
            perm = mode & 0o777 & ~mask
            writes = 0o222 & ~mask
            if perm & 0o555 != self.mode & 0o555:
                raise fat_error(errno.EPERM)
            if perm & 0o222 not in ((0, writes) if not self.is_dir else (writes,)):
                raise fat_error(errno.EPERM)
            if not self.is_dir:
                new_attr = new_attr | ATTR_RO if not perm & 0o222 else new_attr & ~ATTR_RO
        self._writable()
        if new_attr != self.attr:
            self.attr = new_attr
            if not self.is_dir:
                self.mode = self.sb.mode_for(new_attr)
        if atime_ns is not None:
            self.atime_ns = fat_time_to_ns(ns_to_fat_time(atime_ns)[0])
        if mtime_ns is not None:
            self.mtime_ns = fat_time_to_ns(*ns_to_fat_time(mtime_ns)[:2])
        self.ctime_ns = self.mtime_ns
        self._sync()

    def _writable(self) -> None:
        if self.sb.readonly:
            raise fat_error(errno.EROFS)

    def _touch(self) -> None:
        t = now_ns()
        self.mtime_ns = self.ctime_ns = fat_time_to_ns(*ns_to_fat_time(t)[:2])
        self.attr |= ATTR_ARCH if not self.is_dir else 0

    def _get_chain(self) -> list[int]:
        if self._chain is None:
            self._chain = self.sb.chain(self.start)
        return self._chain

    def _sync(self) -> None:
        """Write this inode's attributes, first cluster and size into its directory entry."""
        parent = self.parent
        if parent is None or self.dead or self.orphan:
            return
        d = parent._dir()
        o = self.slot * 32
        wdate, wtime, _ = ns_to_fat_time(self.mtime_ns)
        adate = ns_to_fat_time(self.atime_ns)[0] if self.atime_ns else wdate
        cdate, ctime, ctenth = self.crt
        d.buf[o + 11] = self.attr
        ENTRY_META.pack_into(d.buf, o + 13, ctenth, ctime, cdate, adate, self.start >> 16, wtime, wdate,
                              self.start & 0xFFFF, self._size if not self.is_dir else 0)
        parent._write_slots(self.slot, self.slot + 1)

    # --- directories --------------------------------------------------------------------------------------
    def _dir(self) -> FatDir:
        if not self.is_dir:
            raise fat_error(errno.ENOTDIR)
        if self._dircache is None:
            chain = self._get_chain()
            if not chain:
                raise fat_error(errno.EIO, "directory without clusters")
            self._dircache = FatDir(chain, bytearray(self.sb.read_chain(chain, 0, len(chain) * self.sb.cluster_size)))
        return self._dircache

    def _slot_pos(self, slot: int) -> int:
        cs = self.sb.cluster_size
        chain = self._dir().chain
        return self.sb.cluster_pos(chain[slot * 32 // cs]) + slot * 32 % cs

    def _write_slots(self, first: int, end: int) -> None:
        d = self._dir()
        self.sb.write_chain(d.chain, first * 32, memoryview(d.buf)[first * 32:end * 32])

    def _alive(self) -> FatDir:
        d = self._dir()
        if self.dead:
            raise fat_error(errno.ENOENT)
        return d

    @fat_op
    def lookup(self, name: bytes) -> Inode | None:
        d = self._dir()
        if self.dead:
            return None
        try:
            text = name.rstrip(b".").decode("utf-8") if name.rstrip(b".") else None
        except UnicodeDecodeError:
            return None
        if text is None:
            return None
        slot = d.find(text)
        return None if slot is None else self.sb.iget(self, slot)

    def revalidate(self, name: bytes, inode: Inode) -> bool:
        """Whether a cached dentry `name` -> `inode` in this directory still holds (Linux's d_revalidate;
        needed here because other spellings of a name reach the same entry, so unlink/rename through one
        spelling leaves the others' dentries stale)."""
        try:
            return self.lookup(name) is inode
        except KernelError:
            return False

    @fat_op
    def readdir(self) -> list[tuple[bytes, int, int]]:
        d = self._dir()
        if self.dead:
            return []
        out = []
        for slot, (name, _first) in sorted(d.names.items()):
            inode = self.sb.iget(self, slot)
            out.append((name.encode("utf-8", "surrogatepass"), inode.ino, DT_DIR if inode.is_dir else DT_REG))
        return out

    def _reserve(self, count: int) -> int:
        """The first of `count` consecutive free slots, growing the directory if it has none."""
        d = self._dir()
        first = d.end                                   # default: the free tail
        run_start, run = -1, 0
        for slot in sorted(d.deleted):
            if run and slot == run_start + run:
                run += 1
            else:
                run_start, run = slot, 1
            if run == count:
                return run_start
        if run and run_start + run == d.end:            # deleted slots just before the tail: use them too
            first = run_start
        slots = len(d.buf) // 32
        if first + count > slots:
            cs = self.sb.cluster_size
            n = ((first + count - slots) * 32 + cs - 1) // cs
            if slots + n * cs // 32 > MAX_DIR_SLOTS:
                raise fat_error(errno.ENOSPC)
            new = self.sb.alloc(n, after=d.chain[-1])
            zero = bytes(cs)
            for c in new:
                self.sb._pwrite(self.sb.cluster_pos(c), zero)
            d.chain.extend(new)
            d.buf.extend(bytes(n * cs))
        return first

    def _add_entry(self, text: str, meta: bytes, exclude_short: bytes | None = None) -> int:
        """Write a new entry for `text` (long-name slots + short slot carrying the 21 bytes `meta` of offsets
        11..31); returns the short entry's slot."""
        d = self._alive()
        short = plain_short_name(text.upper())             # an 8.3 name keeps itself as its alias (no ~N)
        if short is None or (short in d.shorts and short != exclude_short):
            short = make_short_name(text, d.shorts, exclude_short)
        slots: list[bytes] = []
        if short_display(short, 0) != text:                # anything but an upper-case 8.3 name needs a long name
            slots = lfn_slots(text, lfn_checksum(short))
        entry = bytearray(short + meta)
        entry[12] = 0
        slots.append(bytes(entry))
        first = self._reserve(len(slots))
        end = first + len(slots)
        for i, data in enumerate(slots):
            d.buf[(first + i) * 32:(first + i + 1) * 32] = data
            d.deleted.discard(first + i)
        tail_zeroed = False
        if end > d.end:
            d.end = end
            if end < len(d.buf) // 32 and d.buf[end * 32] != 0:       # keep the end marker after us
                d.buf[end * 32:end * 32 + 32] = bytes(32)
                tail_zeroed = True
        self._write_slots(first, end + (1 if tail_zeroed else 0))
        slot = end - 1
        d._index(slot, text, first, short, bool(meta[0] & ATTR_DIR))
        self._touch_dir()
        return slot

    def _remove_entry(self, slot: int) -> None:
        d = self._dir()
        _name, first = d.names[slot]
        d.forget(slot)
        for s in range(first, slot + 1):
            d.buf[s * 32] = DELETED
            d.deleted.add(s)
        self._write_slots(first, slot + 1)
        self._touch_dir()

    def _touch_dir(self) -> None:
        self._touch()
        self._sync()

    def _new_meta(self, attr: int, start: int) -> bytes:
        date, tm, tenth = ns_to_fat_time(now_ns())
        return bytes([attr, 0]) + ENTRY_META.pack(tenth, tm, date, date, start >> 16, tm, date, start & 0xFFFF, 0)

    def _name_for_new(self, name: bytes) -> str:
        self._writable()
        d = self._alive()
        text = check_long_name(name)
        if d.find(text) is not None:
            raise fat_error(errno.EEXIST)
        return text

    @fat_op
    def create(self, name: bytes, mode: int, uid: int, gid: int) -> Inode:
        text = self._name_for_new(name)
        attr = ATTR_ARCH | (ATTR_RO if not mode & 0o222 else 0)
        slot = self._add_entry(text, self._new_meta(attr, 0))
        return self.sb.iget(self, slot)

    @fat_op
    def mkdir(self, name: bytes, mode: int, uid: int, gid: int) -> Inode:
        text = self._name_for_new(name)
        self._reserve(len(lfn_slots(text, 0)) + 1)            # grow this directory before taking a cluster
        sb = self.sb
        cluster = sb.alloc(1)[0]
        meta = self._new_meta(ATTR_DIR, cluster)
        block = bytearray(sb.cluster_size)
        parent_start = 0 if self.parent is None else self.start
        block[0:32] = DOT_NAME + meta
        block[32:64] = DOTDOT_NAME + meta
        struct.pack_into("<H", block, 32 + 20, parent_start >> 16)
        struct.pack_into("<H", block, 32 + 26, parent_start & 0xFFFF)
        try:
            sb._pwrite(sb.cluster_pos(cluster), block)
            slot = self._add_entry(text, meta)
        except KernelError:
            sb.release([cluster])
            raise
        return sb.iget(self, slot)

    def _find_existing(self, name: bytes) -> int:
        d = self._alive()
        stripped = name.rstrip(b".")
        try:
            slot = d.find(stripped.decode("utf-8")) if stripped else None
        except UnicodeDecodeError:
            slot = None
        if slot is None:
            raise fat_error(errno.ENOENT)
        return slot

    def _detach(self, inode: "FatInode") -> None:
        """The entry of `inode` is gone: it keeps its clusters while open, else they are freed."""
        self.sb._icache.pop(inode.pos, None)
        if inode.is_dir:
            inode.dead = True
            self.sb.release(inode._get_chain())
            inode._chain, inode._dircache = [], FatDir([], bytearray())
            self.sb._inos.pop(inode.ino, None)
        elif inode.opened:
            inode.orphan = True
        else:
            inode._free_data()
            inode.dead = True
            self.sb._inos.pop(inode.ino, None)

    def _free_data(self) -> None:
        chain = self._get_chain()
        self.sb.release(list(chain))
        chain.clear()
        self.start = self._size = 0

    @fat_op
    def unlink(self, name: bytes) -> None:
        self._writable()
        slot = self._find_existing(name)
        inode = self.sb.iget(self, slot)
        if inode.is_dir:
            raise fat_error(errno.EISDIR)
        self._remove_entry(slot)
        self._detach(inode)

    @fat_op
    def rmdir(self, name: bytes) -> None:
        self._writable()
        slot = self._find_existing(name)
        inode = self.sb.iget(self, slot)
        if not inode.is_dir:
            raise fat_error(errno.ENOTDIR)
        if inode._dir().names:
            raise fat_error(errno.ENOTEMPTY)
        self._remove_entry(slot)
        self._detach(inode)

    def _is_ancestor_of(self, other: "FatInode") -> bool:
        node: FatInode | None = other
        while node is not None:
            if node is self:
                return True
            node = node.parent
        return False

    def _move(self, inode: "FatInode", new_parent: "FatInode", new_slot: int) -> None:
        """`inode` now lives at `new_slot` of `new_parent`: rehash it and write its entry."""
        cache = self.sb._icache
        if cache.get(inode.pos) is inode:
            del cache[inode.pos]
        inode.parent, inode.slot = new_parent, new_slot
        inode.pos = new_parent._slot_pos(new_slot)
        cache[inode.pos] = inode
        inode._sync()

    @staticmethod
    def _fix_dotdot(inode: "FatInode") -> None:
        """Point the `..` entry of directory `inode` at its (new) parent (0 for the root)."""
        d = inode._dir()
        if d.buf[32:43] == DOTDOT_NAME and inode.parent is not None:
            target = 0 if inode.parent.parent is None else inode.parent.start
            struct.pack_into("<H", d.buf, 32 + 20, target >> 16)
            struct.pack_into("<H", d.buf, 32 + 26, target & 0xFFFF)
            inode._write_slots(1, 2)

    @fat_op
    def rename_entry(self, name: bytes, new_dir: Inode, new_name: bytes, flags: int) -> None:
        assert isinstance(new_dir, FatInode)
        if flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE) or flags == RENAME_NOREPLACE | RENAME_EXCHANGE:
            raise fat_error(errno.EINVAL)
        self._writable()
        new_dir._alive()
        slot = self._find_existing(name)
        src = self.sb.iget(self, slot)
        text = check_long_name(new_name)
        dd = new_dir._dir()
        dst_slot = dd.find(text)
        dst = self.sb.iget(new_dir, dst_slot) if dst_slot is not None else None
        if src.is_dir and src._is_ancestor_of(new_dir):
            raise fat_error(errno.EINVAL)
        if flags & RENAME_EXCHANGE:
            if dst is None:
                raise fat_error(errno.ENOENT)
            if dst.is_dir and dst._is_ancestor_of(self):
                raise fat_error(errno.EINVAL)
            if dst is not src:
                self._exchange(src, dst)
            return
        if dst is src:
            if self._dir().names[slot][0] == text:
                return                                           # same entry, same name
            dst = None                                           # a change of case: rewrite the name
        # (the VFS has checked that dst may be replaced)
        # make room first so that nothing is lost if the directory cannot grow
        exclude = bytes(self._dir().buf[slot * 32:slot * 32 + 11]) if new_dir is self else None
        new_dir._reserve(len(lfn_slots(text, 0)) + 1)
        if dst is not None:
            new_dir._remove_entry(dst_slot)
            new_dir._detach(dst)
        meta = bytes(self._dir().buf[slot * 32 + 11:slot * 32 + 32])
        new_slot = new_dir._add_entry(text, meta, exclude_short=exclude)
        self._remove_entry(slot)
        self._move(src, new_dir, new_slot)
        if src.is_dir and new_dir is not self:
            self._fix_dotdot(src)

    def _exchange(self, a: "FatInode", b: "FatInode") -> None:
        """RENAME_EXCHANGE: the two entries keep their names and swap what they refer to."""
        pa, sa, pb, sb_ = a.parent, a.slot, b.parent, b.slot
        assert pa is not None and pb is not None
        da, db = pa._dir(), pb._dir()
        if a.is_dir != b.is_dir:
            da.subdirs += 1 if b.is_dir else -1
            db.subdirs += 1 if a.is_dir else -1
        cache = self.sb._icache
        cache.pop(a.pos, None)
        cache.pop(b.pos, None)
        a.pos = b.pos = -1
        self._move(a, pb, sb_)
        self._move(b, pa, sa)
        if pa is not pb:
            for inode in (a, b):
                if inode.is_dir:
                    self._fix_dotdot(inode)
        pa._touch_dir()
        if pb is not pa:
            pb._touch_dir()

    # --- data ---------------------------------------------------------------------------------------------
    def open(self, path: VfsPath, flags: int):
        if self.is_dir:
            return super().open(path, flags)
        return FatFile(path, flags)

    @fat_op
    def read_at(self, offset: int, size: int) -> bytes:
        if self.is_dir:
            raise fat_error(errno.EISDIR)
        size = min(size, self._size - offset)
        if size <= 0:
            return b""
        return self.sb.read_chain(self._get_chain(), offset, size)

    def _zero_fill(self, start: int, end: int) -> None:
        chunk = 1 << 20
        zeros = bytes(min(chunk, end - start))
        chain = self._get_chain()
        while start < end:
            n = min(chunk, end - start)
            self.sb.write_chain(chain, start, zeros[:n])
            start += n

    def _grow_chain(self, nbytes: int) -> None:
        """Make the chain hold at least `nbytes` bytes."""
        chain = self._get_chain()
        cs = self.sb.cluster_size
        need = (nbytes + cs - 1) // cs - len(chain)
        if need > 0:
            new = self.sb.alloc(need, after=chain[-1] if chain else 0)
            if not chain:
                self.start = new[0]
            chain.extend(new)

    @fat_op
    def write_at(self, offset: int, data: bytes | memoryview) -> int:
        if self.is_dir:
            raise fat_error(errno.EISDIR)
        self._writable()
        if self.dead:
            raise fat_error(errno.ENOENT)
        n = len(data)
        if n == 0:
            return 0
        if offset >= MAX_FILE_SIZE:
            raise fat_error(errno.EFBIG)
        n = min(n, MAX_FILE_SIZE - offset)
        end = offset + n
        cs = self.sb.cluster_size
        have = len(self._get_chain()) * cs
        if end > have:
            room = have + self.sb.free * cs
            if room <= offset:
                raise fat_error(errno.ENOSPC)
            if end > room:
                end = room
                n = end - offset
        self._grow_chain(end)
        if offset > self._size:
            self._zero_fill(self._size, offset)
        self.sb.write_chain(self._get_chain(), offset, memoryview(data)[:n])
        if end > self._size:
            self._size = end
        self._touch()
        self._sync()
        return n

    @fat_op
    def truncate(self, size: int) -> None:
        if self.is_dir:
            raise fat_error(errno.EISDIR)
        self._writable()
        if self.dead:
            raise fat_error(errno.ENOENT)
        if size < 0:
            raise fat_error(errno.EINVAL)
        if size > MAX_FILE_SIZE:
            raise fat_error(errno.EFBIG)
        cs = self.sb.cluster_size
        chain = self._get_chain()
        if size < self._size:
            keep = (size + cs - 1) // cs
            self.sb.truncate_chain(chain, keep)
            if keep == 0:
                self.start = 0
        elif size > self._size:
            self._grow_chain(size)
            self._zero_fill(self._size, size)
        self._size = size
        self._touch()
        self._sync()

    def last_close(self) -> None:
        if self.orphan and not self.opened and not self.dead:
            self._free_data()
            self.dead = True
            self.sb._inos.pop(self.ino, None)
            self.sb.flush()


class FatFile(OrphanKeepingFile):
    """An open FAT file: an unlinked file's clusters live until the last close."""
