"""The ext2 superblock: mounting (checks, features), block I/O through the device's buffer cache, statfs,
sync and unmount.

Mounting follows ext2_fill_super/ext4_fill_super: no magic is EINVAL ("can't find an ext2 filesystem"),
incompat features pynix cannot read are EINVAL (for a mount as ext2 or ext3, any ext4 one: mount(8) without -t
then goes on to ext4), a read-write mount of a filesystem with features pynix cannot
write (ext4's extents, 64bit, flex_bg, metadata_csum, huge_file...) is EROFS with a log line -- `mount` then
retries read-only, as it does for a write-protected disk.  A geometry that does not fit the device, group
descriptors pointing outside the filesystem, a bad superblock or group descriptor checksum (metadata_csum)
refuse the mount.  Every later inconsistency (a block number past the end, a corrupt inode, a bad inode
checksum) is an EUCLEAN/EBADMSG/EIO for the operation with an "EXT2-fs error" line (EXT4-fs for a mount as
ext4) in the kernel log.

A read-write mount clears VALID_FS in s_state and counts s_mnt_count, unmount sets it back (as Linux), so an
image that was not cleanly unmounted says so to e2fsck.  Counters (free blocks and inodes, per group and in the
superblock) are written to the cache with every allocation, so a sync at any time leaves a consistent image.
Mount options: ro/rw (MS_RDONLY), noatime (MS_NOATIME; the default is relatime), sync (MS_SYNCHRONOUS: every
change reaches the disk before the call returns); data options errors=continue|remount-ro|panic are accepted,
anything else is EINVAL.
"""
from __future__ import annotations

import errno
import functools
import struct
from typing import Callable

from pynix.block.device import BlockDevice
from pynix.hal.clock import realtime_ns
from pynix.errors import KernelError
from pynix.printk import printk
from pynix.fs.ext2 import layout as L
from pynix.fs.vfs import SuperBlock

MS_RDONLY, MS_SYNCHRONOUS, MS_NOATIME, MS_STRICTATIME = 1, 16, 1024, 1 << 24


class Ext2SuperBlock(SuperBlock):
    fs_type = "ext2"
    magic = L.EXT2_SUPER_MAGIC

    def __init__(self, dev: BlockDevice, readonly: bool = False, fstype: str = "ext2", flags: int = 0,
                 data: bytes | None = None) -> None:
        super().__init__(readonly or dev.readonly)
        self.bdev = dev
        self.dev = dev.rdev                              # st_dev of every file: the device's number, as Linux
        self.source = f"/dev/{dev.name}"
        self.fs_type = fstype
        self.noatime = bool(flags & MS_NOATIME)
        self.strictatime = bool(flags & MS_STRICTATIME)
        self.synchronous = bool(flags & MS_SYNCHRONOUS)
        self._options(data)
        self.icache: dict[int, object] = {}              # inode number -> Ext2Inode while it is in use
        self.orphans: set[int] = set()                   # unlinked inodes still open: freed on the last close
        self._overhead: int | None = None
        self._mount()
        dev.holder = self


    # --- mounting -------------------------------------------------------------------------------------
    def _options(self, data: bytes | None) -> None:
        for option in (data or b"").split(b","):
            key, _, value = option.partition(b"=")
            if key in (b"", b"rw", b"ro", b"defaults", b"user_xattr", b"nouser_xattr", b"acl", b"noacl",
                       b"relatime", b"noatime", b"sync", b"async"):
                self.noatime |= key == b"noatime"
                self.synchronous |= key == b"sync"
                self.readonly |= key == b"ro"
                continue
            if key == b"errors" and value in (b"continue", b"remount-ro", b"panic"):
                continue
            self.log(f"Unrecognized mount option \"{option.decode(errors='replace')}\" or missing value")
            raise KernelError(errno.EINVAL)

    def log(self, message: str) -> None:
        printk(f"{self.fs_type.upper()}-fs ({self.bdev.name}): {message}")

    def error(self, function: str, message: str, code: int = errno.EUCLEAN) -> KernelError:
        """Log a filesystem inconsistency (ext2_error) and give the error the operation fails with."""
        printk(f"{self.fs_type.upper()}-fs error (device {self.bdev.name}): {function}: {message}")
        return KernelError(code, message)

    def _refuse(self, message: str, code: int = errno.EINVAL) -> KernelError:
        self.log(message)
        return KernelError(code, message)

    def _mount(self) -> None:
        dev = self.bdev
        if dev.size < 2048:
            raise self._refuse("VFS: Can't find an ext2 filesystem: device too small")
        self.sbf = sbf = L.SuperBlockFields(bytearray(dev.cache.read(L.SUPERBLOCK_OFFSET, 1024)))
        if sbf.magic != L.EXT2_SUPER_MAGIC:
            raise self._refuse("VFS: Can't find an ext2 filesystem")
        if sbf.log_block_size > 2:
            raise self._refuse(f"error: unsupported blocksize {1024 << min(sbf.log_block_size, 20)}")
        self.block_size = bs = 1024 << sbf.log_block_size
        if sbf.rev_level == 0:
            self.inode_size, self.first_ino = L.GOOD_OLD_INODE_SIZE, L.GOOD_OLD_FIRST_INO
            self.incompat = self.ro_compat = self.compat = 0
        else:
            self.inode_size, self.first_ino = sbf.inode_size, sbf.first_ino
            self.incompat, self.ro_compat, self.compat = sbf.feature_incompat, sbf.feature_ro_compat, sbf.feature_compat
            if (self.inode_size < L.GOOD_OLD_INODE_SIZE or self.inode_size > bs
                    or self.inode_size & (self.inode_size - 1)):
                raise self._refuse(f"error: unsupported inode size: {self.inode_size}")
        unknown = self.incompat & ~(L.INCOMPAT_READ if self.fs_type == "ext4" else L.INCOMPAT_WRITE)
        if unknown:                                      # mounted as ext2/ext3, an ext4 is not one

            raise self._refuse(f"error: couldn't mount because of unsupported optional features ({unknown:x})")
        unwritable = self._unwritable_features()
        if not self.readonly and unwritable:
            raise self._refuse("error: couldn't mount RDWR because of unsupported optional features "
                               f"({unwritable:x}); mount it read-only", errno.EROFS)
        self.is64 = bool(self.incompat & L.INCOMPAT_64BIT)
        self.blocks_count = sbf.blocks_count_lo | (sbf.blocks_count_hi << 32 if self.is64 else 0)
        self.first_data_block = sbf.first_data_block
        self.bpg, self.ipg = sbf.blocks_per_group, sbf.inodes_per_group
        if self.blocks_count * bs > dev.size:
            raise self._refuse(f"error: bad geometry: block count {self.blocks_count} exceeds size of device "
                               f"({dev.size // bs} blocks)")
        if not 0 < self.bpg <= 8 * bs or not 0 < self.ipg <= 8 * bs or self.first_data_block >= self.blocks_count:
            raise self._refuse("error: corrupt superblock: bad blocks or inodes per group")
        if self.first_data_block != (1 if bs == 1024 else 0):
            raise self._refuse(f"error: corrupt superblock: first data block {self.first_data_block}")
        self.groups_count = -(-(self.blocks_count - self.first_data_block) // self.bpg)
        if sbf.inodes_count != self.groups_count * self.ipg:
            raise self._refuse(f"error: corrupt superblock: {sbf.inodes_count} inodes for {self.groups_count} "
                               f"groups of {self.ipg}")
        self.inodes_count = sbf.inodes_count
        self.desc_size = sbf.desc_size if self.is64 else 32
        if self.is64 and (self.desc_size < 64 or self.desc_size > bs or self.desc_size & (self.desc_size - 1)):
            raise self._refuse(f"error: unsupported descriptor size {self.desc_size}")
        self.itable_blocks = -(-self.ipg * self.inode_size // bs)
        self.csum = bool(self.ro_compat & L.RO_COMPAT_METADATA_CSUM)
        if self.csum:
            if sbf.checksum_type != 1:
                raise self._refuse("VFS: Found ext4 filesystem with unknown checksum algorithm.")
            if L.crc32c(0xFFFFFFFF, sbf.raw[:0x3FC]) != sbf.checksum:
                raise self._refuse("VFS: Found ext4 filesystem with invalid superblock checksum.  Run e2fsck?",
                                   errno.EBADMSG)
            self.csum_seed = (sbf.checksum_seed if self.incompat & L.INCOMPAT_CSUM_SEED
                              else L.crc32c(0xFFFFFFFF, sbf.uuid))
        self._read_groups()
        self.free_blocks = sum(g.free_blocks for g in self.groups)
        self.free_inodes = sum(g.free_inodes for g in self.groups)
        dev.block_size = bs
        from pynix.fs.ext2.inode import Ext2Inode
        self.inode_class = Ext2Inode
        try:
            root = self.iget(L.ROOT_INO)
        except KernelError as err:
            raise self._refuse(f"error: corrupt root inode, run e2fsck ({err})") from None
        if not root.is_dir or not root.nlink:
            raise self._refuse("error: corrupt root inode, run e2fsck")
        self.root = root
        if not self.readonly:
            self._begin_writing()

    def _begin_writing(self) -> None:
        """A read-write mount starts: the on-disk state says "not cleanly unmounted" until it ends."""
        sbf = self.sbf
        if not sbf.state & L.VALID_FS:
            self.log("warning: mounting unchecked fs, running e2fsck is recommended")
        elif sbf.state & L.ERROR_FS:
            self.log("warning: mounting fs with errors, running e2fsck is recommended")
        sbf.set("mnt_count", (sbf.mnt_count + 1) & 0xFFFF)
        sbf.set("mtime", (realtime_ns() // 1_000_000_000) & 0xFFFFFFFF)
        sbf.set("state", sbf.state & ~L.VALID_FS)
        self.write_super()
        self.sync()

    def _unwritable_features(self) -> int:
        return (self.incompat & ~L.INCOMPAT_WRITE) | (self.ro_compat & ~L.RO_COMPAT_WRITE) << 32

    def remount(self, readonly: bool) -> None:
        """MS_REMOUNT (ext2_remount): read-only writes everything back and marks the filesystem clean;
        read-write needs a writable device (EACCES) and features pynix can write (EROFS, logged)."""
        if readonly == self.readonly:
            return
        if readonly:
            self._end_writing()
            self.readonly = True
            return
        if self.bdev.readonly:
            raise KernelError(errno.EACCES)
        if self._unwritable_features():
            raise self._refuse("error: couldn't remount RDWR because of unsupported optional features "
                               f"({self._unwritable_features():x})", errno.EROFS)
        self.readonly = False
        self._begin_writing()

    def _end_writing(self) -> None:
        for ino in sorted(self.orphans):
            self.iget(ino).evict()
        self.sbf.set("state", self.sbf.state | L.VALID_FS)
        self.write_super()
        self.sync()

    def _read_groups(self) -> None:
        bs, ds = self.block_size, self.desc_size
        start = (self.first_data_block + 1) * bs
        raw = self.bdev.cache.read(start, self.groups_count * ds) if self.groups_count * ds + start <= self.bdev.size \
            else b""
        if len(raw) != self.groups_count * ds:
            raise self._refuse("error: unable to read group descriptors")
        self.gdt_start = start
        self.groups: list[L.GroupDesc] = []
        for g in range(self.groups_count):
            desc = L.GroupDesc.parse(raw[g * ds:(g + 1) * ds])
            for what, block, length in (("Block bitmap", desc.block_bitmap, 1), ("Inode bitmap", desc.inode_bitmap, 1),
                                        ("Inode table", desc.inode_table, self.itable_blocks)):
                if block < self.first_data_block or block + length > self.blocks_count:
                    raise self._refuse(f"error: ext2_check_descriptors: {what} for group {g} not in group "
                                       f"(block {block})!")
            if self.csum and self.gd_checksum(g, desc.raw) != struct.unpack_from("<H", desc.raw, 0x1E)[0]:
                raise self._refuse(f"error: ext4_check_descriptors: Checksum for group {g} failed", errno.EBADMSG)
            if desc.free_blocks > self.bpg or desc.free_inodes > self.ipg:
                raise self._refuse(f"error: corrupt group descriptor {g}: free counts")
            self.groups.append(desc)

    def gd_checksum(self, group: int, raw: bytes | bytearray) -> int:
        crc = L.crc32c(self.csum_seed, struct.pack("<I", group))
        crc = L.crc32c(crc, raw[:0x1E])
        crc = L.crc32c(crc, b"\0\0")
        return L.crc32c(crc, raw[0x20:self.desc_size]) & 0xFFFF

    # --- block I/O ------------------------------------------------------------------------------------
    def check_block(self, block: int, function: str) -> int:
        """`block` if it lies inside the filesystem's data area, else the operation fails (EUCLEAN)."""
        if not self.first_data_block <= block < self.blocks_count:
            raise self.error(function, f"block number {block} past the end of the filesystem "
                                       f"({self.blocks_count} blocks)")
        return block

    def bread(self, block: int) -> bytes:
        return self.bdev.cache.read(block * self.block_size, self.block_size)

    def bwrite(self, block: int, data: bytes | memoryview, offset: int = 0) -> None:
        """Store `data` at `offset` inside `block` (through the buffer cache)."""
        self.bdev.cache.write(block * self.block_size + offset, data)

    def write_group(self, g: int) -> None:
        desc = self.groups[g]
        raw = desc.pack()
        self.bdev.cache.write(self.gdt_start + g * self.desc_size, raw)

    def write_super(self) -> None:
        """The in-memory counters and state into the primary superblock."""
        sbf = self.sbf
        sbf.set("free_blocks_count_lo", self.free_blocks & 0xFFFFFFFF)
        if self.is64:
            sbf.set("free_blocks_count_hi", self.free_blocks >> 32)
        sbf.set("free_inodes_count", self.free_inodes)
        sbf.set("wtime", (realtime_ns() // 1_000_000_000) & 0xFFFFFFFF)
        self.bdev.cache.write(L.SUPERBLOCK_OFFSET, sbf.raw)

    # --- the filesystem -------------------------------------------------------------------------------
    def iget(self, ino: int):
        """The in-memory inode `ino` (read from the inode table the first time)."""
        inode = self.icache.get(ino)
        if inode is None:
            if not 1 <= ino <= self.inodes_count:
                raise self.error("ext2_iget", f"bad inode number: {ino}")
            inode = self.inode_class.load(self, ino)
            self.icache[ino] = inode
        return inode

    def new_ino(self) -> int:
        raise AssertionError("ext2 inodes are numbered by their allocation")

    def statfs(self) -> dict[str, int]:
        """ext2_statfs/ext4_statfs: f_blocks leaves out the metadata (superblock and descriptor copies, bitmaps,
        inode tables, the journal); f_bavail leaves out the root-reserved blocks and, with extents, the
        clusters ext4 keeps back for itself (2%, at most 4096)."""
        info = super().statfs()
        sbf = self.sbf
        reserved = sbf.r_blocks_count_lo | (sbf.r_blocks_count_hi << 32 if self.is64 else 0)
        if self.incompat & L.INCOMPAT_EXTENTS:
            reserved += min(self.blocks_count * 2 // 100, 4096)
        info.update(bsize=self.block_size, frsize=self.block_size, blocks=self.blocks_count - self.overhead(),
                    bfree=self.free_blocks, bavail=max(self.free_blocks - reserved, 0), files=self.inodes_count,
                    ffree=self.free_inodes, namelen=255)
        return info

    def overhead(self) -> int:
        """Blocks that never hold file data (ext4_calculate_overhead, ext2's statfs)."""
        if self._overhead is None:
            sparse = self.ro_compat & L.RO_COMPAT_SPARSE_SUPER
            gdt = -(-self.groups_count * self.desc_size // self.block_size) + self.sbf.reserved_gdt_blocks
            backups = sum(1 for g in range(self.groups_count) if not sparse or _has_backup(g))
            journal = 0
            if self.compat & L.COMPAT_HAS_JOURNAL and self.sbf.journal_inum:
                journal = self.iget(self.sbf.journal_inum).size // self.block_size
            self._overhead = (self.first_data_block + backups * (1 + gdt)
                              + self.groups_count * (2 + self.itable_blocks) + journal)
        return self._overhead

    def changed(self) -> None:
        """An operation ended: on a `sync` mount, everything it changed goes to the disk now."""
        if self.synchronous:
            self.bdev.cache.sync()

    def sync(self) -> None:
        self.bdev.cache.sync()

    def close(self) -> None:
        """Unmount: free the orphans, mark the filesystem clean, write everything back."""
        if self.bdev.holder is not self:
            return
        try:
            if not self.readonly:
                self._end_writing()
            self.sync()
        finally:
            self.bdev.release_holder()


def _has_backup(group: int) -> bool:
    """sparse_super: groups 0 and 1 and the powers of 3, 5 and 7 hold superblock and descriptor copies."""
    if group <= 1:
        return True
    for base in (3, 5, 7):
        n = base
        while n < group:
            n *= base
        if n == group:
            return True
    return False


def guard(method: Callable) -> Callable:
    """Whatever a damaged image makes go wrong inside an operation is EIO with a log line, never a Python
    exception; on a `sync` mount the operation's changes reach the disk before it returns."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except KernelError:
            raise
        except (ValueError, IndexError, KeyError, struct.error, OverflowError, RecursionError) as exc:
            raise self.sb.error(method.__name__, f"{type(exc).__name__}: {exc}", errno.EIO) from None
        finally:
            self.sb.changed()
    return wrapper


def get_super(dev: BlockDevice, fstype: str, flags: int, data: bytes | None) -> Ext2SuperBlock:
    """mount_bdev: the filesystem on `dev` -- the one already mounted from it (EBUSY if it is another kind),
    or a new mount of it."""
    held = dev.holder
    if held is not None:
        if not isinstance(held, Ext2SuperBlock):
            raise KernelError(errno.EBUSY)
        if not flags & MS_RDONLY and held.readonly:
            raise KernelError(errno.EBUSY)
        return held
    return Ext2SuperBlock(dev, bool(flags & MS_RDONLY), fstype, flags, data)
