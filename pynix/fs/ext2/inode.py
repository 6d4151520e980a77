"""ext2 inodes: the on-disk inode, block mapping (direct/indirect blocks read-write, ext4 extents read-only),
file data, symlinks, device nodes, and freeing (Linux's fs/ext2/inode.c and ext4's extents.c lookup).

- An inode is read from its group's inode table once and kept (`sb.icache`); every change is packed back into
  the table through the buffer cache at once (`store`).  With metadata_csum the inode checksum is verified on
  load (a mismatch is EBADMSG, as ext4's EFSBADCRC).
- Times: seconds in the base inode; nanoseconds and the epoch bits in the extra fields of large inodes (new
  inodes get i_extra_isize 32), as ext4 keeps them -- Linux's own ext2 driver keeps whole seconds only.
- Holes read as zeros and take no blocks (sparse files); blocks are allocated on write, indirect blocks as they
  are needed, and zero-filled where a write does not cover them.  truncate frees data and indirect blocks past
  the new end.  i_blocks counts both, in 512-byte units.
- The store side of the page cache is `read_at/write_at/truncate` over the block mapping: the VFS's default
  readahead/writepages (fs/vfs.py) fill and write back the cached pages with them.
- An inode whose last link goes while it is open is an orphan: its blocks and number are freed at the last
  close, or at unmount (ext2 keeps no on-disk orphan list; the next e2fsck would find it as Linux's would).
- Access time follows relatime (or noatime / strictatime of the mount).
"""
from __future__ import annotations

import errno
import stat as st
import struct
from typing import TYPE_CHECKING

from pynix.errors import KernelError
from pynix.fs.ext2 import layout as L
from pynix.fs.ext2.alloc import alloc_block, free_blocks, free_inode
from pynix.fs.ext2.dir import Ext2Dir
from pynix.fs.ext2.super import guard
from pynix.fs.file_ops import OrphanKeepingFile
from pynix.fs.vfs import Inode, VfsPath, now_ns

if TYPE_CHECKING:
    from pynix.fs.ext2.super import Ext2SuperBlock

PAGE_SIZE = 4096
DAY_NS = 24 * 3600 * 10**9
_PTR = struct.Struct("<I")


class Ext2Inode(Ext2Dir, Inode):
    sb: "Ext2SuperBlock"

    def __init__(self, sb: "Ext2SuperBlock", ino: int, raw: bytearray) -> None:
        Inode.__init__(self, sb, 0, ino=ino)
        self.raw = raw
        self.opened = 0                      # open file descriptions (an orphan is freed when this drops to 0)
        self.extents: list[tuple[int, int, int, bool]] | None = None   # (logical, length, physical, unwritten)
        self.parent_ino = 0                  # the directory it was found in (directories: loop detection)
        self.dir_index: dict[bytes, tuple[int, int, int]] | None = None   # see dir.py
        self.last_block = 0                  # allocation goal: the last block given to this file
        (mode, uid, size_lo, atime, ctime, mtime, self.dtime, gid, links, blocks_lo, self.flags, _osd1, block,
         self.generation, acl_lo, size_hi, _faddr, osd2) = L.INODE_BASE.unpack_from(raw, 0)
        blocks_hi, acl_hi, uid_hi, gid_hi, _csum_lo, _res = L.OSD2.unpack(osd2)
        self.mode, self.nlink = mode, links
        self.uid, self.gid = uid | uid_hi << 16, gid | gid_hi << 16
        # i_size_high is the upper half of a regular file's size (ext2's i_dir_acl for anything else, unless
        # largedir lets directories grow past 4 GiB)
        large = st.S_ISREG(mode) or (st.S_ISDIR(mode) and sb.incompat & L.INCOMPAT_LARGEDIR)
        self._size = size_lo | (size_hi << 32 if large else 0)
        if self._size >= 1 << 63:
            raise sb.error("ext2_iget", f"inode #{ino}: bad i_size {self._size}")
        self.i_block = list(struct.unpack("<15I", block))
        self.file_acl = acl_lo | (acl_hi << 32 if sb.is64 else 0)
        self.blocks = blocks_lo | (blocks_hi << 32 if sb.ro_compat & L.RO_COMPAT_HUGE_FILE else 0)
        if self.flags & L.HUGE_FILE_FL:
            self.blocks *= sb.block_size // 512
        self.extra_isize = 0
        extra: list[int | None] = [None, None, None]
        if sb.inode_size > L.GOOD_OLD_INODE_SIZE:
            self.extra_isize = struct.unpack_from("<H", raw, 0x80)[0]
            if self.extra_isize & 3 or L.GOOD_OLD_INODE_SIZE + self.extra_isize > sb.inode_size:
                raise sb.error("ext2_iget", f"inode {ino}: bad extra_isize {self.extra_isize}")
            for i, offset in enumerate((0x84, 0x88, 0x8C)):      # ctime, mtime, atime _extra
                if self.extra_isize >= offset + 4 - 0x80:
                    extra[i] = struct.unpack_from("<I", raw, offset)[0]
        self.ctime_ns = L.decode_time(ctime, extra[0])
        self.mtime_ns = L.decode_time(mtime, extra[1])
        self.atime_ns = L.decode_time(atime, extra[2])
        self.rdev = 0
        if st.S_ISCHR(mode) or st.S_ISBLK(mode):
            old, new = self.i_block[0], self.i_block[1]
            self.rdev = ((old >> 8 & 0xFF) << 8 | (old & 0xFF)) if old else new

    # --- loading and storing --------------------------------------------------------------------------
    @staticmethod
    def location(sb: "Ext2SuperBlock", ino: int) -> int:
        g, index = divmod(ino - 1, sb.ipg)
        return sb.groups[g].inode_table * sb.block_size + index * sb.inode_size

    @classmethod
    def load(cls, sb: "Ext2SuperBlock", ino: int) -> "Ext2Inode":
        raw = bytearray(sb.bdev.cache.read(cls.location(sb, ino), sb.inode_size))
        if sb.csum:
            stored = struct.unpack_from("<H", raw, 0x7C)[0]
            has_hi = sb.inode_size > L.GOOD_OLD_INODE_SIZE and struct.unpack_from("<H", raw, 0x80)[0] >= 4
            if has_hi:
                stored |= struct.unpack_from("<H", raw, 0x82)[0] << 16
            computed = cls.checksum(sb, ino, raw, has_hi)
            if computed != stored:
                raise sb.error("ext4_iget", f"inode #{ino}: checksum invalid", errno.EBADMSG)
        inode = cls(sb, ino, raw)
        if inode.nlink == 0 and (inode.mode == 0 or inode.dtime) and ino != L.ROOT_INO:
            raise sb.error("ext2_iget", f"deleted inode #{ino} referenced", errno.ESTALE)
        if st.S_IFMT(inode.mode) not in (st.S_IFREG, st.S_IFDIR, st.S_IFLNK, st.S_IFCHR, st.S_IFBLK, st.S_IFIFO,
                                         st.S_IFSOCK):
            raise sb.error("ext2_iget", f"inode #{ino}: bogus i_mode ({inode.mode:o})")
        return inode

    @staticmethod
    def checksum(sb: "Ext2SuperBlock", ino: int, raw: bytes | bytearray, has_hi: bool) -> int:
        """ext4_inode_csum: crc32c over the inode with its checksum fields as zeros, seeded per inode."""
        crc = L.crc32c(Ext2Inode.csum_seed_of(sb, ino, struct.unpack_from("<I", raw, 0x64)[0]), raw[:0x7C])
        crc = L.crc32c(crc, b"\0\0")
        crc = L.crc32c(crc, raw[0x7E:L.GOOD_OLD_INODE_SIZE])
        if sb.inode_size > L.GOOD_OLD_INODE_SIZE:
            crc = L.crc32c(crc, raw[0x80:0x82])
            if has_hi:
                crc = L.crc32c(crc, b"\0\0")
                crc = L.crc32c(crc, raw[0x84:sb.inode_size])
            else:
                crc = L.crc32c(crc, raw[0x82:sb.inode_size])
        return crc if has_hi else crc & 0xFFFF

    @staticmethod
    def csum_seed_of(sb: "Ext2SuperBlock", ino: int, generation: int) -> int:
        """ext4's per-inode checksum seed (i_csum_seed): the filesystem's seed over the number and generation."""
        return L.crc32c(L.crc32c(sb.csum_seed, struct.pack("<I", ino)), struct.pack("<I", generation))

    def verify_tail(self, block: int, data: bytes, end: int, stored_at: int, what: str) -> None:
        """metadata_csum: the crc32c (seeded per inode) of `data[:end]` must be the le32 at `stored_at` (a
        directory block's dirent tail, an extent block's tail); EBADMSG otherwise, as EFSBADCRC."""
        if self.sb.csum and struct.unpack_from("<I", data, stored_at)[0] != L.crc32c(
                self.csum_seed_of(self.sb, self.ino, self.generation), data[:end]):
            raise self.sb.error(what, f"inode #{self.ino}: block {block}: checksum invalid", errno.EBADMSG)

    @classmethod
    def new(cls, sb: "Ext2SuperBlock", ino: int, mode: int, uid: int, gid: int, rdev: int = 0) -> "Ext2Inode":
        """A fresh on-disk inode `ino` (just allocated in the bitmap)."""
        raw = bytearray(sb.inode_size)
        if sb.inode_size > L.GOOD_OLD_INODE_SIZE:
            struct.pack_into("<H", raw, 0x80, min(32, sb.inode_size - L.GOOD_OLD_INODE_SIZE))
        old = sb.bdev.cache.read(cls.location(sb, ino), sb.inode_size)
        struct.pack_into("<I", raw, 0x64, (struct.unpack_from("<I", old, 0x64)[0] + 1) & 0xFFFFFFFF)  # generation
        inode = cls(sb, ino, raw)
        inode.mode, inode.uid, inode.gid, inode.nlink = mode, uid, gid, 1
        inode.atime_ns = inode.mtime_ns = inode.ctime_ns = now_ns()
        if inode.extra_isize >= 0x98 - 0x80:                 # i_crtime and its extra field: the birth time
            struct.pack_into("<II", raw, 0x90, *L.encode_time(inode.ctime_ns))
        inode.rdev = rdev
        if rdev:
            major, minor = (rdev >> 8) & 0xFFF, (rdev & 0xFF) | ((rdev >> 12) & 0xFFF00)
            if major < 256 and minor < 256:
                inode.i_block[0] = major << 8 | minor
            else:
                inode.i_block[1] = rdev
        sb.icache[ino] = inode
        inode.store()
        return inode

    def store(self) -> None:
        """Pack the in-memory inode into its slot of the inode table (through the buffer cache)."""
        sb, raw = self.sb, self.raw
        times = [L.encode_time(t) for t in (self.atime_ns, self.ctime_ns, self.mtime_ns)]
        blocks = self.blocks
        struct.pack_into("<HHIIIIIHHII", raw, 0, self.mode & 0xFFFF, self.uid & 0xFFFF, self._size & 0xFFFFFFFF,
                         times[0][0], times[1][0], times[2][0], self.dtime, self.gid & 0xFFFF, self.nlink,
                         blocks & 0xFFFFFFFF, self.flags)
        struct.pack_into("<15I", raw, 0x28, *self.i_block)
        struct.pack_into("<II", raw, 0x68, self.file_acl & 0xFFFFFFFF, self._size >> 32)
        struct.pack_into("<HHHH", raw, 0x74, blocks >> 32 & 0xFFFF, self.file_acl >> 32 & 0xFFFF,
                         self.uid >> 16, self.gid >> 16)
        for (_secs, extra), offset in zip((times[1], times[2], times[0]), (0x84, 0x88, 0x8C)):
            if self.extra_isize >= offset + 4 - 0x80:
                struct.pack_into("<I", raw, offset, extra)
        sb.bdev.cache.write(self.location(sb, self.ino), raw)

    # --- attributes -----------------------------------------------------------------------------------
    @property
    def size(self) -> int:
        return self._size

    def stat(self) -> dict[str, int]:
        info = super().stat()
        info.update(blksize=self.sb.block_size, blocks=self.blocks)
        return info

    @guard
    def setattr(self, **changes) -> None:
        self.writable()
        super().setattr(**changes)
        self.store()

    def writable(self) -> None:
        if self.sb.readonly:
            raise KernelError(errno.EROFS)

    def touch_atime(self) -> None:
        """Reading updates the access time: relatime (once a day, or when older than mtime/ctime) by default."""
        sb = self.sb
        if sb.readonly or sb.noatime or self.flags & L.NOATIME_FL:
            return
        now = now_ns()
        if not sb.strictatime and self.atime_ns > self.mtime_ns and self.atime_ns > self.ctime_ns \
                and now - self.atime_ns < DAY_NS:
            return
        self.atime_ns = now
        self.store()

    def touch(self) -> None:
        self.mtime_ns = self.ctime_ns = now_ns()

    # --- block mapping --------------------------------------------------------------------------------
    @property
    def _per_block(self) -> int:
        return self.sb.block_size // 4

    def _path(self, lblock: int) -> tuple[int, list[int]]:
        """(i_block slot, indices inside each level of indirect blocks) of logical block `lblock`."""
        apb = self._per_block
        if lblock < L.NDIR_BLOCKS:
            return lblock, []
        lblock -= L.NDIR_BLOCKS
        for level, slot in ((1, L.IND_BLOCK), (2, L.DIND_BLOCK), (3, L.TIND_BLOCK)):
            span = apb ** level
            if lblock < span:
                return slot, [(lblock // apb ** (level - 1 - i)) % apb for i in range(level)]
            lblock -= span
        raise KernelError(errno.EFBIG)

    def max_blocks(self) -> int:
        apb = self._per_block
        return L.NDIR_BLOCKS + apb + apb ** 2 + apb ** 3

    def bmap(self, lblock: int) -> int:
        """The disk block holding logical block `lblock` of the file, 0 for a hole."""
        return self.map_block(lblock)[0]

    def map_block(self, lblock: int) -> tuple[int, int]:
        """(disk block of `lblock` or 0 for a hole, how many blocks from `lblock` on the answer covers: 1 for a
        mapped block, the rest of the hole when a missing indirect block or extent makes a longer one)."""
        if self.flags & L.EXTENTS_FL:
            return self._extent_map(lblock)
        if lblock >= self.max_blocks():
            return 0, 1
        slot, indices = self._path(lblock)
        block = self.i_block[slot]
        sb, apb, levels = self.sb, self._per_block, len(indices)
        for depth, index in enumerate(indices):
            if not block:                       # the whole subtree below this pointer is a hole
                inside = sum(i * apb ** (levels - 1 - k) for k, i in enumerate(indices) if k >= depth)
                return 0, apb ** (levels - depth) - inside
            sb.check_block(block, "ext2_get_branch")
            block = _PTR.unpack(sb.bdev.cache.read(block * sb.block_size + index * 4, 4))[0]
        if block:
            sb.check_block(block, "ext2_get_block")
        return block, 1

    def _new_block(self, goal: int) -> int:
        block = alloc_block(self.sb, goal or self._goal())
        self.blocks += self.sb.block_size // 512
        self.last_block = block
        return block

    def _goal(self) -> int:
        if self.last_block:
            return self.last_block + 1
        g = (self.ino - 1) // self.sb.ipg
        return self.sb.first_data_block + g * self.sb.bpg

    def bmap_alloc(self, lblock: int) -> tuple[int, bool]:
        """(disk block, newly allocated) for logical block `lblock`, allocating it and the indirect blocks on
        the way; new indirect blocks are zeroed, a new data block is the caller's to fill."""
        if self.flags & L.EXTENTS_FL:
            raise KernelError(errno.EROFS)
        if lblock >= self.max_blocks():
            raise KernelError(errno.EFBIG)
        sb = self.sb
        slot, indices = self._path(lblock)
        block = self.i_block[slot]
        if not indices:
            if block:
                return block, False
            block = self.i_block[slot] = self._new_block(self.last_block + 1 if self.last_block else 0)
            return block, True
        if not block:
            block = self.i_block[slot] = self._new_block(0)
            sb.bwrite(block, bytes(sb.block_size))
        for depth, index in enumerate(indices):
            sb.check_block(block, "ext2_get_branch")
            where = block * sb.block_size + index * 4
            child = _PTR.unpack(sb.bdev.cache.read(where, 4))[0]
            if child:
                block = child
                continue
            child = self._new_block(block + 1 if depth < len(indices) - 1 else 0)
            if depth < len(indices) - 1:
                sb.bwrite(child, bytes(sb.block_size))
            sb.bdev.cache.write(where, _PTR.pack(child))
            if depth == len(indices) - 1:
                return child, True
            block = child
        return block, False

    def _extent_map(self, lblock: int) -> tuple[int, int]:
        if self.extents is None:
            self.extents = []
            self._load_extents(struct.pack("<15I", *self.i_block), 0)
            self.extents.sort()
        lo, hi = 0, len(self.extents)
        while lo < hi:                                    # the last extent starting at or before lblock
            mid = (lo + hi) // 2
            if self.extents[mid][0] <= lblock:
                lo = mid + 1
            else:
                hi = mid
        if lo:
            start, length, physical, unwritten = self.extents[lo - 1]
            if lblock < start + length:
                if unwritten:                             # allocated, not yet written: reads as zeros
                    return 0, start + length - lblock
                return self.sb.check_block(physical + lblock - start, "ext4_ext_map_blocks"), 1
        following = self.extents[lo][0] if lo < len(self.extents) else lblock + (1 << 32)
        return 0, following - lblock

    def _load_extents(self, node: bytes, depth_seen: int) -> None:
        sb = self.sb
        magic, entries, maximum, depth, _gen = L.EXTENT_HEADER.unpack_from(node, 0)
        if magic != L.EXTENT_MAGIC or entries > maximum or depth > 5 or depth_seen > 5 \
                or 12 + entries * 12 > len(node):
            raise sb.error("ext4_ext_check_inode", f"inode #{self.ino}: pblk 0 bad header/extent: "
                                                   f"magic {magic:x}, entries {entries}, max {maximum}, depth {depth}")
        for i in range(entries):
            offset = 12 + 12 * i
            if depth == 0:
                start, length, hi, lo = L.EXTENT_ENTRY.unpack_from(node, offset)
                unwritten = length > L.INIT_MAX_LEN
                length -= L.INIT_MAX_LEN if unwritten else 0
                physical = lo | hi << 32
                if length and physical + length > sb.blocks_count:
                    raise sb.error("ext4_ext_check", f"inode #{self.ino}: extent past the end (block {physical})")
                self.extents.append((start, length, physical, unwritten))
            else:
                _start, lo, hi, _unused = L.EXTENT_INDEX.unpack_from(node, offset)
                child = sb.check_block(lo | hi << 32, "ext4_ext_find_extent")
                data = sb.bread(child)
                tail = 12 + 12 * L.EXTENT_HEADER.unpack_from(data, 0)[2]
                self.verify_tail(child, data, tail, tail, "ext4_extent_block_csum_verify")
                self._load_extents(data, depth_seen + 1)

    # --- data -----------------------------------------------------------------------------------------
    def _read_range(self, offset: int, size: int) -> bytes:
        """Bytes [offset, offset+size) of the file's blocks (the caller clips to i_size)."""
        sb = self.sb
        bs = sb.block_size
        cache = sb.bdev.cache
        out = bytearray()
        lblock, start = divmod(offset, bs)
        end = offset + size
        while offset < end:
            block, span = self.map_block(lblock)
            if not block:                                 # a hole: zeros, as far as it goes
                n = min(span * bs - start, end - offset)
                out += bytes(n)
                lblock += span - 1
            else:                                         # a run of contiguous blocks in one read
                run = 1
                while offset + (run * bs - start) < end and self.bmap(lblock + run) == block + run:
                    run += 1
                n = min(run * bs - start, end - offset)
                out += cache.read(block * bs + start, n)
                lblock += run - 1
            offset += n
            lblock += 1
            start = 0
        return bytes(out)

    def _write_range(self, offset: int, data: bytes | memoryview) -> None:
        sb = self.sb
        bs = sb.block_size
        view = memoryview(data).cast("B")
        done = 0
        while done < len(view):
            lblock, start = divmod(offset + done, bs)
            n = min(bs - start, len(view) - done)
            block, new = self.bmap_alloc(lblock)
            if new and n < bs:
                sb.bwrite(block, bytes(bs))
            sb.bwrite(block, view[done:done + n], start)
            done += n

    def check_data(self) -> None:
        if self.is_dir:
            raise KernelError(errno.EISDIR)
        if not st.S_ISREG(self.mode):
            raise KernelError(errno.EINVAL)

    @guard
    def read_at(self, offset: int, size: int) -> bytes:
        self.check_data()
        size = min(size, self._size - offset)
        if size <= 0:
            return b""
        data = self._read_range(offset, size)
        self.touch_atime()
        return data

    @guard
    def write_at(self, offset: int, data: bytes | memoryview) -> int:
        self.check_data()
        self.writable()
        if not len(data):
            return 0
        if offset + len(data) > self.max_blocks() * self.sb.block_size:
            raise KernelError(errno.EFBIG)
        try:
            self._write_range(offset, data)
        finally:                                          # ENOSPC part-way: what was written counts
            self._size = max(self._size, offset + len(data))
            self.touch()
            self.store()
        return len(data)

    @guard
    def truncate(self, size: int) -> None:
        self.check_data()
        self.writable()
        if size < 0:
            raise KernelError(errno.EINVAL)
        if size > self.max_blocks() * self.sb.block_size:
            raise KernelError(errno.EFBIG)
        bs = self.sb.block_size
        if size < self._size:
            keep = -(-size // bs)
            self.free_from(keep)
            if size % bs:                                 # the tail of the last block reads as zeros again
                block = self.bmap(size // bs)
                if block:
                    self.sb.bwrite(block, bytes(bs - size % bs), size % bs)
        self._size = size
        self.touch()
        self.store()

    def free_from(self, keep: int) -> None:
        """Free every data block from logical block `keep` on, and the indirect blocks left with nothing."""
        if self.flags & L.EXTENTS_FL:
            raise KernelError(errno.EROFS)
        freed: list[int] = []
        for slot in range(L.NDIR_BLOCKS):
            if slot >= keep and self.i_block[slot]:
                freed.append(self.i_block[slot])
                self.i_block[slot] = 0
        base, apb = L.NDIR_BLOCKS, self._per_block
        for level, slot in ((1, L.IND_BLOCK), (2, L.DIND_BLOCK), (3, L.TIND_BLOCK)):
            if self.i_block[slot] and self._trim(self.i_block[slot], level, keep - base, freed):
                self.i_block[slot] = 0
            base += apb ** level
        free_blocks(self.sb, freed)
        self.blocks -= len(freed) * (self.sb.block_size // 512)
        self.last_block = 0

    def _trim(self, block: int, level: int, keep: int, freed: list[int]) -> bool:
        """Free what the indirect block `block` (of `level`) maps from its logical block `keep` on; True if
        the whole block went (then it is in `freed` too)."""
        sb = self.sb
        sb.check_block(block, "ext2_free_branches")
        apb, span = self._per_block, self._per_block ** (level - 1)
        if keep <= 0:
            if level > 1:
                for child in struct.unpack(f"<{apb}I", sb.bread(block)):
                    if child:
                        self._trim(child, level - 1, 0, freed)
            else:
                freed.extend(c for c in struct.unpack(f"<{apb}I", sb.bread(block)) if c)
            freed.append(block)
            return True
        pointers = list(struct.unpack(f"<{apb}I", sb.bread(block)))
        first = keep // span if level > 1 else keep
        changed = False
        for i in range(first, apb):
            child = pointers[i]
            if not child:
                continue
            if level == 1:
                freed.append(child)
                pointers[i] = 0
                changed = True
            elif self._trim(child, level - 1, keep - i * span, freed):
                pointers[i] = 0
                changed = True
        if changed:
            sb.bwrite(block, struct.pack(f"<{apb}I", *pointers))
        return False

    # --- symlinks -------------------------------------------------------------------------------------
    def is_fast_symlink(self) -> bool:
        acl_blocks = self.sb.block_size // 512 if self.file_acl else 0
        return self.is_symlink and self.blocks - acl_blocks == 0 and not self.flags & L.INLINE_DATA_FL

    @guard
    def readlink(self) -> bytes:
        if not self.is_symlink:
            raise KernelError(errno.EINVAL)
        if self._size > PAGE_SIZE:
            raise self.sb.error("ext2_get_link", f"inode #{self.ino}: symlink of {self._size} bytes")
        if self.is_fast_symlink():
            if self._size > 60:
                raise self.sb.error("ext2_get_link", f"inode #{self.ino}: fast symlink of {self._size} bytes")
            return struct.pack("<15I", *self.i_block)[:self._size]
        return self._read_range(0, self._size)

    # --- lifetime -------------------------------------------------------------------------------------
    def open(self, path: VfsPath, flags: int):
        if st.S_ISREG(self.mode):
            return Ext2File(path, flags)
        if st.S_ISCHR(self.mode):
            from pynix.fs.devfs import open_chrdev
            return open_chrdev(path, flags)
        if st.S_ISBLK(self.mode):
            from pynix.block.fops import open_blkdev
            return open_blkdev(path, flags)
        return super().open(path, flags)

    def drop_link(self) -> None:
        """One name of the inode is gone: free it now, or at its last close if it is open."""
        self.nlink -= 1
        self.ctime_ns = now_ns()
        if self.nlink > 0:
            self.store()
        elif self.opened:
            self.sb.orphans.add(self.ino)
            self.store()
        else:
            self.evict()

    def evict(self) -> None:
        """ext2_evict_inode: the last link and the last user are gone -- free the blocks and the inode."""
        sb = self.sb
        sb.orphans.discard(self.ino)
        if not (st.S_ISLNK(self.mode) and self.is_fast_symlink()) and not st.S_ISCHR(self.mode) \
                and not st.S_ISBLK(self.mode):
            self.free_from(0)
        self.nlink = 0
        self.dtime = now_ns() // 10**9 & 0xFFFFFFFF
        self._size = 0
        self.store()
        free_inode(sb, self.ino, self.is_dir)
        sb.icache.pop(self.ino, None)

    @guard
    def last_close(self) -> None:
        if self.nlink == 0 and not self.opened and self.ino in self.sb.orphans:
            self.evict()


class Ext2File(OrphanKeepingFile):
    """An open ext2 file: an unlinked file lives until the last close."""

    def fsync(self) -> None:
        self.inode.sb.sync()
