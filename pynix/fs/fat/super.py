"""The FAT32 superblock (Linux's fs/fat/inode.c and fatent.c): the boot sector's geometry, the cached FAT and
its cluster chains, FSInfo, and the inode cache keyed by directory-entry location."""
from __future__ import annotations

import errno
import fcntl
import itertools
import os
import stat as st
import struct
import sys
from array import array
from typing import Iterable

from pynix.block.device import BlockDevice
from pynix.errors import KernelError
from pynix.fs.fat.inode import FatInode
from pynix.fs.fat.layout import (ATTR_DIR, ATTR_RO, FAT_BAD, FAT_EOC, FAT_EOC_WRITE, FAT_MASK, FSINFO_LEAD,
                                 FSINFO_STRUCT, FSINFO_TRAIL, LFN_MAX, MAX_CLUSTERS, MSDOS_SUPER_MAGIC, fat_error)
from pynix.fs.vfs import SuperBlock


class Fat32SuperBlock(SuperBlock):
    fs_type = "vfat"
    magic = MSDOS_SUPER_MAGIC
    maxbytes = 0xFFFFFFFF                 # a FAT directory entry holds a 32-bit size

    def __init__(self, image: "str | BlockDevice", readonly: bool = False, uid: int = 0, gid: int = 0,
                 fmask: int = 0o022, dmask: int = 0o022) -> None:
        """Mount the FAT32 image at host path `image`, or on the block device `image` (then every access goes
        through its buffer cache and reaches the disk on sync and unmount): EINVAL if it is not a sound FAT32,
        EIO if it cannot be read, EBUSY if another process has it mounted read-write.  uid, gid, fmask and dmask
        are vfat's mount options: every file is 0777 & ~fmask, every directory 0777 & ~dmask; both default to
        the umask, so 0755, and programs on the image can be run, as on Linux."""
        self.bdev = image if isinstance(image, BlockDevice) else None
        super().__init__(readonly or (self.bdev is not None and self.bdev.readonly))
        self.image = f"/dev/{image.name}" if self.bdev is not None else image
        self.uid, self.gid = uid, gid
        self.fmask, self.dmask = fmask & 0o777, dmask & 0o777
        self.dirty_sectors: set[int] = set()
        self.fsinfo_stale = False
        self.fd = -1
        self.closed = False
        if self.bdev is not None:
            self.source, self.dev = self.image, self.bdev.rdev
            try:
                self._mount()
            except (OSError, ValueError, IndexError, struct.error, OverflowError) as exc:
                raise fat_error(errno.EIO, f"{self.image}: {exc}") from None
            self.bdev.holder = self
            return
        try:
            self.fd = os.open(image, os.O_RDONLY if readonly else os.O_RDWR)
        except OSError as exc:
            raise fat_error(exc.errno or errno.EIO, f"{image}: {exc.strerror}") from None
        try:
            try:
                fcntl.flock(self.fd, (fcntl.LOCK_SH if readonly else fcntl.LOCK_EX) | fcntl.LOCK_NB)
            except OSError:
                raise fat_error(errno.EBUSY, f"{image}: in use by another process") from None
            self._mount()
        except KernelError:
            self.close()
            raise
        except (OSError, ValueError, IndexError, struct.error, OverflowError) as exc:
            self.close()
            raise fat_error(errno.EIO, f"{image}: {exc}") from None

    # --- mounting -------------------------------------------------------------------------------------
    def _mount(self) -> None:
        def bad(why: str) -> KernelError:
            return fat_error(errno.EINVAL, f"{self.image}: not a valid FAT32 image: {why}")

        file_size = self.bdev.size if self.bdev is not None else os.fstat(self.fd).st_size
        if file_size < 512:
            raise bad("shorter than a boot sector")
        bs = self._pread(0, 512)
        if bs[510:512] != b"\x55\xaa":
            raise bad("no boot sector signature")
        (bps, spc, reserved, nfats, root_entries, total16, _media, fatsz16, _spt, _heads, _hidden, total32,
         fatsz32, ext_flags, _version, root_cluster, fsinfo, _backup) = struct.unpack_from(
            "<HBHBHHBHHHIIIHHIHH", bs, 11)
        if bps not in (512, 1024, 2048, 4096):
            raise bad(f"{bps} bytes per sector")
        if spc == 0 or spc & (spc - 1):
            raise bad(f"{spc} sectors per cluster")
        if nfats < 1:
            raise bad("no FAT")
        if reserved < 1:
            raise bad("no reserved sectors")
        if fatsz16 != 0 or root_entries != 0 or fatsz32 == 0:
            raise bad("a FAT12/FAT16 boot sector, not FAT32")
        total = total16 or total32
        data_start = reserved + nfats * fatsz32
        if total <= data_start:
            raise bad("no room for data clusters")
        count = (total - data_start) // spc
        if count < 1 or count > MAX_CLUSTERS:
            raise bad(f"{count} clusters")
        if fatsz32 * bps // 4 < count + 2:
            raise bad("FAT too small for the clusters")
        if not 2 <= root_cluster < count + 2:
            raise bad(f"root cluster {root_cluster}")
        if total * bps > file_size:
            raise bad(f"truncated: {file_size} bytes, the file system needs {total * bps}")
        self.bps, self.spc, self.nfats, self.count = bps, spc, nfats, count
        self.cluster_size = bps * spc
        self.fat_sectors = fatsz32
        self.fat_offset = reserved * bps
        self.data_offset = data_start * bps
        self.eps = bps // 4                                   # FAT entries per sector
        self.root_cluster = root_cluster
        if ext_flags & 0x80:                                  # mirroring off: only the active FAT is used
            active = ext_flags & 0x0F
            if active >= nfats:
                raise bad("active FAT out of range")
            self.fats = [active]
        else:
            self.fats = list(range(nfats))
        raw = self._pread(self.fat_offset + self.fats[0] * fatsz32 * bps, (count + 2) * 4)
        fat = array("I")
        fat.frombytes(raw)
        if sys.byteorder == "big":
            fat.byteswap()
        self._fat_hi: dict[int, int] = {}
        if fat and max(fat) > FAT_MASK:
            self._fat_hi = {i: v & ~FAT_MASK for i, v in enumerate(fat) if v > FAT_MASK}
            fat = array("I", (v & FAT_MASK for v in fat))
        self.fat = fat
        self.free = fat.count(0) - (fat[0] == 0) - (fat[1] == 0)
        # FSInfo: kept up to date only when it is one (Linux ignores a bad one as well)
        self.fsinfo_offset = None
        hint = 0
        if 1 <= fsinfo < reserved:
            info = self._pread(fsinfo * bps, 512)
            lead, = struct.unpack_from("<I", info, 0)
            sig, _free, hint = struct.unpack_from("<III", info, 484)
            trail, = struct.unpack_from("<I", info, 508)
            if lead == FSINFO_LEAD and sig == FSINFO_STRUCT and trail == FSINFO_TRAIL:
                self.fsinfo_offset = fsinfo * bps
                self.fsinfo_on_disk = (_free, hint)
        self.hint = hint if self.fsinfo_offset is not None and 2 <= hint < count + 2 else 2
        if self.fsinfo_offset is not None and self.fsinfo_on_disk != self._fsinfo_values():
            self.fsinfo_stale = not self.readonly
        self._icache: dict[int, FatInode] = {}                # entry location -> inode
        self._inos: dict[int, FatInode] = {}                  # inode number -> inode, while it lives
        self._spare_inos = itertools.count(1 << 40)
        self.root = FatInode(self, None, -1, 0, None)
        self.chain(root_cluster)                              # a broken root chain fails the mount
        self.root._dir()
        if self.fsinfo_stale:
            self.flush()

    def close(self) -> None:
        """Write what is pending and let go of the image (a later mount sees everything written)."""
        if self.closed:
            return
        try:
            if self.dirty_sectors or self.fsinfo_stale:
                self.flush()
        finally:
            self.closed = True
            if self.bdev is not None:
                self.bdev.cache.sync()
                self.bdev.release_holder()
            elif self.fd >= 0:
                os.close(self.fd)
                self.fd = -1

    def statfs(self) -> dict[str, int]:
        info = super().statfs()
        info.update(bsize=self.cluster_size, frsize=self.cluster_size, blocks=self.count, bfree=self.free,
                    bavail=self.free, files=0, ffree=0, namelen=LFN_MAX)
        return info

    # --- raw I/O ----------------------------------------------------------------------------------------
    def _pread(self, offset: int, size: int) -> bytes:
        if self.bdev is not None:
            return self.bdev.cache.read(offset, size)
        data = os.pread(self.fd, size, offset)
        if len(data) != size:
            raise fat_error(errno.EIO, f"{self.image}: short read at {offset}")
        return data

    def _pwrite(self, offset: int, data: bytes | memoryview) -> None:
        if self.readonly:
            raise fat_error(errno.EROFS)
        if self.bdev is not None:
            self.bdev.cache.write(offset, data)
            return
        view = memoryview(data)
        while view:
            n = os.pwrite(self.fd, view, offset)
            if n <= 0:
                raise fat_error(errno.EIO)
            view, offset = view[n:], offset + n

    def cluster_pos(self, cluster: int) -> int:
        return self.data_offset + (cluster - 2) * self.cluster_size

    def runs(self, chain: list[int], offset: int, length: int) -> Iterable[tuple[int, int, int]]:
        """(image offset, offset in the request, bytes) of the contiguous pieces of bytes offset..offset+length
        of a chain's data."""
        cs = self.cluster_size
        ci, within, done = offset // cs, offset % cs, 0
        if length > 0 and (offset + length + cs - 1) // cs > len(chain):
            raise fat_error(errno.EIO, "data beyond the end of the cluster chain")
        while done < length:
            j = ci + 1
            nbytes = cs - within
            want = length - done
            while nbytes < want and chain[j] == chain[j - 1] + 1:
                nbytes += cs
                j += 1
            nbytes = min(nbytes, want)
            yield self.cluster_pos(chain[ci]) + within, done, nbytes
            done += nbytes
            ci, within = j, 0

    def read_chain(self, chain: list[int], offset: int, length: int) -> bytes:
        parts = [self._pread(pos, n) for pos, _, n in self.runs(chain, offset, length)]
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def write_chain(self, chain: list[int], offset: int, data: bytes | memoryview) -> None:
        view = memoryview(data)
        for pos, at, n in self.runs(chain, offset, len(view)):
            self._pwrite(pos, view[at:at + n])

    # --- the FAT ----------------------------------------------------------------------------------------
    def chain(self, start: int) -> list[int]:
        """The clusters of the chain starting at `start` (EIO for a broken or looping chain)."""
        if start == 0:
            return []
        fat, limit, out = self.fat, self.count + 2, []
        c = start
        while True:
            if not 2 <= c < limit:
                raise fat_error(errno.EIO, f"cluster {c} out of range")
            out.append(c)
            if len(out) > self.count:
                raise fat_error(errno.EIO, "cluster chain loops")
            c = fat[c]
            if c >= FAT_EOC:
                return out
            if c == FAT_BAD:
                raise fat_error(errno.EIO, "bad cluster in a chain")

    def _set(self, cluster: int, value: int) -> None:
        self.fat[cluster] = value
        self.dirty_sectors.add(cluster // self.eps)

    def alloc(self, n: int, after: int = 0) -> list[int]:
        """Take `n` free clusters, chain them (after cluster `after` when given) and end the chain."""
        if n <= 0:
            return []
        if self.readonly:
            raise fat_error(errno.EROFS)
        if n > self.free:
            raise fat_error(errno.ENOSPC)
        fat, end = self.fat, self.count + 2
        start = self.hint + 1 if 2 <= self.hint + 1 < end else 2
        got: list[int] = []
        for lo, hi in ((start, end), (2, start)):
            pos = lo
            while len(got) < n:
                try:
                    c = fat.index(0, pos, hi)
                except ValueError:
                    break
                got.append(c)
                pos = c + 1
            if len(got) == n:
                break
        if len(got) < n:                                      # the free count was wrong: trust the FAT
            self.free = fat.count(0) - (fat[0] == 0) - (fat[1] == 0)
            self.fsinfo_stale = True
            raise fat_error(errno.ENOSPC)
        prev = after
        for c in got:
            if prev:
                self._set(prev, c)
            prev = c
        self._set(got[-1], FAT_EOC_WRITE)
        self.free -= n
        self.hint = got[-1]
        self.fsinfo_stale = True
        return got

    def release(self, clusters: list[int]) -> None:
        for c in clusters:
            self._set(c, 0)
        self.free += len(clusters)
        self.fsinfo_stale = True

    def truncate_chain(self, chain: list[int], keep: int) -> None:
        """Free all but the first `keep` clusters of `chain` (ending it at the last kept one)."""
        if keep < len(chain):
            if keep:
                self._set(chain[keep - 1], FAT_EOC_WRITE)
            self.release(chain[keep:])
            del chain[keep:]

    def _fsinfo_values(self) -> tuple[int, int]:
        return self.free, self.hint

    def flush(self) -> None:
        """Write the changed FAT sectors to every FAT copy, and the FSInfo free count and hint."""
        if self.readonly or self.closed:
            self.dirty_sectors.clear()
            self.fsinfo_stale = False
            return
        sectors = sorted(self.dirty_sectors)
        self.dirty_sectors.clear()
        eps, bps, total = self.eps, self.bps, len(self.fat)
        i = 0
        while i < len(sectors):
            j = i + 1
            while j < len(sectors) and sectors[j] == sectors[j - 1] + 1:
                j += 1
            first, last = sectors[i], sectors[j - 1]
            lo, hi = first * eps, min((last + 1) * eps, total)
            seg = self.fat[lo:hi]
            for c, bits in self._fat_hi.items():
                if lo <= c < hi:
                    seg[c - lo] |= bits
            if sys.byteorder == "big":
                seg.byteswap()
            data = seg.tobytes()
            for f in self.fats:
                self._pwrite(self.fat_offset + f * self.fat_sectors * bps + first * bps, data)
            i = j
        if self.fsinfo_stale and self.fsinfo_offset is not None:
            values = self._fsinfo_values()
            if values != self.fsinfo_on_disk:
                self._pwrite(self.fsinfo_offset + 488, struct.pack("<II", *values))
                self.fsinfo_on_disk = values
        self.fsinfo_stale = False

    # --- inodes -----------------------------------------------------------------------------------------
    def mode_for(self, attr: int) -> int:
        """fat_make_mode: the mount's masks; the read-only attribute takes a file's write bits away."""
        if attr & ATTR_DIR:
            return st.S_IFDIR | (0o777 & ~self.dmask)
        mode = st.S_IFREG | (0o777 & ~self.fmask)
        return mode & ~0o222 if attr & ATTR_RO else mode

    def iget(self, parent: "FatInode", slot: int) -> "FatInode":
        """The one inode of the entry at `slot` of directory `parent`."""
        pos = parent._slot_pos(slot)
        inode = self._icache.get(pos)
        if inode is None:
            inode = FatInode(self, parent, slot, pos, parent._dir().buf[slot * 32:slot * 32 + 32])
            self._icache[pos] = inode
        return inode

    def _ino_for(self, pos: int) -> int:
        ino = pos // 32
        return next(self._spare_inos) if ino in self._inos else ino
