"""FAT32 disk images: Linux's vfat, read-write, on a block device or a host image file (our own implementation).

Layout (Microsoft's "FAT32 File System Specification" 1.03): a boot sector with the BPB, reserved sectors
holding the FSInfo sector and a backup boot sector, `nfats` copies of the File Allocation Table (one 32-bit
entry per cluster: 0 free, 2..0x0FFFFFF6 next cluster, 0x0FFFFFF7 bad, >= 0x0FFFFFF8 end of chain; the top 4
bits are reserved and preserved), then the data clusters numbered from 2.  Directories -- the root included --
are cluster chains of 32-byte entries: 8.3 short entries, preceded by VFAT long-name entries (UTF-16, 13
units each, stored last part first, tied to their short entry by a checksum of its 11-byte name).

How it is kept here:
- The whole FAT is cached in an `array('I')`; changed sectors are written through to every FAT copy when an
  operation ends (`flush`), together with the FSInfo free count and next-free hint, so the image is
  consistent (fsck.fat -n clean) between any two operations.
- One `FatInode` per directory-entry location (Linux's i_pos: the entry's byte offset in the image), so every
  name that reaches an entry -- lookups are case-insensitive like vfat's -- gives the same object.  Inode
  numbers derive from that location (root = 1) and stay with the object when it is renamed.
- A directory's entries are read once into memory (its bytes and a name index) and updated in place; file
  data is read and written straight from the image following the cluster chain, contiguous clusters in one
  host call.
- A file unlinked while open keeps its clusters until the last descriptor closes (Linux's orphan inode).
- Attributes follow vfat's defaults: uid/gid of the mount, directories 0755, files 0644 (0444 with the
  read-only attribute), nlink 1 for files and 2 + subdirectories for directories; times are kept with FAT's
  granularity (2 s for mtime, a day for atime) in local time, as Linux and mtools do.

`mkfs()` writes a fresh empty FAT32 image (what `pynix mkfs.fat` runs).
"""
from __future__ import annotations

import calendar
import errno
import fcntl
import functools
import itertools
import os
import stat as st
import struct
import sys
import time
import zlib
from array import array
from typing import Callable, Iterable

from pynix.block.device import BlockDevice
from pynix.errors import KernelError
from pynix.fs.file_ops import OrphanKeepingFile
from pynix.fs.vfs import DT_DIR, DT_REG, RENAME_EXCHANGE, RENAME_NOREPLACE, Inode, SuperBlock, VfsPath, now_ns

MSDOS_SUPER_MAGIC = 0x4D44

FAT_MASK = 0x0FFFFFFF
FAT_BAD = 0x0FFFFFF7
FAT_EOC = 0x0FFFFFF8            # any value >= this ends a chain
FAT_EOC_WRITE = 0x0FFFFFFF
MAX_CLUSTERS = 0x0FFFFFF5       # largest cluster count a FAT32 can address (clusters 2..0x0FFFFFF6)
MIN_FAT32_CLUSTERS = 65525      # fewer clusters make it a FAT16 for everyone who counts (mtools, Windows)
MAX_FILE_SIZE = 0xFFFFFFFF
MAX_DIR_SLOTS = 65536           # Linux's FAT_MAX_DIR_ENTRIES
LFN_MAX = 255                   # UTF-16 units of a long name

ATTR_RO, ATTR_HIDDEN, ATTR_SYS, ATTR_VOLUME, ATTR_DIR, ATTR_ARCH = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20
ATTR_LFN = 0x0F
CASE_LOWER_BASE, CASE_LOWER_EXT = 0x08, 0x10
DELETED = 0xE5

FSINFO_LEAD, FSINFO_STRUCT, FSINFO_TRAIL = 0x41615252, 0x61417272, 0xAA550000

_DOT = b".          "
_DOTDOT = b"..         "
_SHORT_OK = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'()-@^_`{}~")
_LFN_BAD = frozenset(b'*?<>|":\\/') | frozenset(range(0x20))
_ENTRY_META = struct.Struct("<BHHHHHHHI")     # bytes 13..31: crt tenth/time/date, access date, hi, wtime, wdate, lo, size


def _err(code: int, message: str = "") -> KernelError:
    return KernelError(code, message)


def _guard(method: Callable) -> Callable:
    """Whatever a damaged image makes go wrong inside an operation is EIO, never a Python exception; and the
    FAT/FSInfo changes the operation made reach the image before it returns."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        sb = self.sb
        try:
            return method(self, *args, **kwargs)
        except KernelError:
            raise
        except (OSError, ValueError, IndexError, KeyError, struct.error, OverflowError, UnicodeError) as exc:
            raise _err(errno.EIO, f"fat32: {type(exc).__name__}: {exc}") from exc
        finally:
            if sb.dirty_sectors or sb.fsinfo_stale:
                sb.flush()
    return wrapper


# ------------------------------------------------------------------------------------------------ times
def fat_time_to_ns(date: int, tm: int = 0, tenth: int = 0) -> int:
    """FAT local date/time (+ creation tenths: units of 10 ms, 0..199) -> ns since the epoch."""
    if date == 0:
        return 0
    year, month, day = 1980 + (date >> 9), (date >> 5) & 15, date & 31
    month, day = min(max(month, 1), 12), min(max(day, 1), 31)
    hour, minute, sec = min(tm >> 11, 23), min((tm >> 5) & 63, 59), min((tm & 31) * 2, 58)
    try:
        secs = int(time.mktime((year, month, day, hour, minute, sec, 0, 0, -1)))
    except (OverflowError, ValueError):
        secs = calendar.timegm((year, month, day, hour, minute, sec, 0, 0, 0))
    tenth = min(tenth, 199)
    return (secs + tenth // 100) * 10**9 + (tenth % 100) * 10**7


def ns_to_fat_time(ns: int) -> tuple[int, int, int]:
    """ns since the epoch -> (date, time, tenths) in local time, clamped to FAT's 1980..2107 range."""
    secs = ns // 10**9
    try:
        t = time.localtime(secs)
    except (OverflowError, ValueError, OSError):
        t = None
    if t is None or t.tm_year < 1980:
        return (0 << 9) | (1 << 5) | 1, 0, 0
    if t.tm_year > 2107:
        return (127 << 9) | (12 << 5) | 31, (23 << 11) | (59 << 5) | 29, 199
    date = ((t.tm_year - 1980) << 9) | (t.tm_mon << 5) | t.tm_mday
    sec = min(t.tm_sec, 59)
    tm = (t.tm_hour << 11) | (t.tm_min << 5) | (sec // 2)
    tenth = (sec % 2) * 100 + (ns % 10**9) // 10**7
    return date, tm, tenth


# ------------------------------------------------------------------------------------------------ names
def lfn_checksum(short: bytes) -> int:
    s = 0
    for c in short:
        s = (((s & 1) << 7) + (s >> 1) + c) & 0xFF
    return s


def short_display(short: bytes, lcase: int) -> str:
    """The name an 8.3 entry shows (`README  TXT` -> `README.TXT`; NT's lower-case flags honoured)."""
    base, ext = short[:8].rstrip(b" "), short[8:11].rstrip(b" ")
    if base[:1] == b"\x05":
        base = b"\xe5" + base[1:]
    b, e = base.decode("cp437"), ext.decode("cp437")
    if lcase & CASE_LOWER_BASE:
        b = b.lower()
    if lcase & CASE_LOWER_EXT:
        e = e.lower()
    return f"{b}.{e}" if e else b


def name_key(name: str) -> str:
    return name.lower()


def check_long_name(raw: bytes) -> str:
    """A new entry's name as vfat takes it: UTF-8, trailing dots dropped, none of `*?<>|":\\` or controls,
    at most 255 UTF-16 units (EINVAL / ENAMETOOLONG otherwise)."""
    name = raw.rstrip(b".")
    if not name:
        raise _err(errno.EINVAL)
    if any(c in _LFN_BAD for c in name):
        raise _err(errno.EINVAL)
    try:
        text = name.decode("utf-8")
    except UnicodeDecodeError:
        raise _err(errno.EINVAL) from None
    if len(text.encode("utf-16-le", "surrogatepass")) // 2 > LFN_MAX:
        raise _err(errno.ENAMETOOLONG)
    return text


def plain_short_name(text: str) -> bytes | None:
    """The 11-byte entry name when `text` is already an upper-case 8.3 name (stored without a long name,
    like vfat's shortname=mixed); None otherwise."""
    if not text or text != text.upper() or text.startswith("."):
        return None
    try:
        raw = text.encode("ascii")
    except UnicodeEncodeError:
        return None
    base, dot, ext = raw.partition(b".")
    if not base or len(base) > 8 or len(ext) > 3 or (dot and not ext) or b"." in ext:
        return None
    if not all(c in _SHORT_OK for c in base + ext):
        return None
    return base.ljust(8) + ext.ljust(3)


def make_short_name(text: str, taken, exclude: bytes | None = None) -> bytes:
    """A `BASIS~N.EXT` alias for a long name, not in `taken` (the directory's short names) unless it is
    `exclude`.  Like Windows: ~1..~4, then two letters of the basis, four hex digits of a hash of the long
    name and ~1..~9 (so that many similar names do not cost a search each), then any free number."""
    def clean(part: str) -> bytes:
        out = bytearray()
        for ch in part.upper():
            if ch in " .":
                continue
            code = ord(ch)
            out.append(code if code < 128 and code in _SHORT_OK else ord("_"))
        return bytes(out)

    def free(candidate: bytes) -> bool:
        return candidate not in taken or candidate == exclude

    stripped = text.lstrip(".")
    base_s, dot, ext_s = stripped.rpartition(".")
    if not dot:
        base_s, ext_s = stripped, ""
    base, ext = clean(base_s) or b"_", clean(ext_s)[:3].ljust(3)
    for n in range(1, 5):
        candidate = (base[:8 - 2] + b"~%d" % n).ljust(8) + ext
        if free(candidate):
            return candidate
    digest = zlib.crc32(text.encode("utf-8", "surrogatepass"))
    for salt in range(4):
        h = b"%04X" % ((digest >> (salt * 4)) & 0xFFFF)
        for n in range(1, 10):
            candidate = base[:2] + h + b"~%d" % n + ext
            if free(candidate):
                return candidate
    for n in range(5, 1000000):
        tail = b"~%d" % n
        candidate = (base[:8 - len(tail)] + tail).ljust(8) + ext
        if free(candidate):
            return candidate
    raise _err(errno.EEXIST)


def lfn_slots(text: str, checksum: int) -> list[bytes]:
    """The long-name entries for `text`, in on-disk order (last part first)."""
    units = list(struct.unpack(f"<{len(text.encode('utf-16-le', 'surrogatepass')) // 2}H",
                               text.encode("utf-16-le", "surrogatepass")))
    count = (len(units) + 12) // 13
    if len(units) % 13:
        units.append(0)
        units += [0xFFFF] * (count * 13 - len(units))
    slots = []
    for i in range(count, 0, -1):
        part = units[(i - 1) * 13:i * 13]
        b = bytearray(32)
        b[0] = i | (0x40 if i == count else 0)
        struct.pack_into("<5H", b, 1, *part[0:5])
        b[11], b[12], b[13] = ATTR_LFN, 0, checksum
        struct.pack_into("<6H", b, 14, *part[5:11])
        struct.pack_into("<2H", b, 28, *part[11:13])
        slots.append(bytes(b))
    return slots


# ------------------------------------------------------------------------------------------- superblock
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
                raise _err(errno.EIO, f"{self.image}: {exc}") from None
            self.bdev.holder = self
            return
        try:
            self.fd = os.open(image, os.O_RDONLY if readonly else os.O_RDWR)
        except OSError as exc:
            raise _err(exc.errno or errno.EIO, f"{image}: {exc.strerror}") from None
        try:
            try:
                fcntl.flock(self.fd, (fcntl.LOCK_SH if readonly else fcntl.LOCK_EX) | fcntl.LOCK_NB)
            except OSError:
                raise _err(errno.EBUSY, f"{image}: in use by another process") from None
            self._mount()
        except KernelError:
            self.close()
            raise
        except (OSError, ValueError, IndexError, struct.error, OverflowError) as exc:
            self.close()
            raise _err(errno.EIO, f"{image}: {exc}") from None

    # --- mounting -------------------------------------------------------------------------------------
    def _mount(self) -> None:
        def bad(why: str) -> KernelError:
            return _err(errno.EINVAL, f"{self.image}: not a valid FAT32 image: {why}")

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
            raise _err(errno.EIO, f"{self.image}: short read at {offset}")
        return data

    def _pwrite(self, offset: int, data: bytes | memoryview) -> None:
        if self.readonly:
            raise _err(errno.EROFS)
        if self.bdev is not None:
            self.bdev.cache.write(offset, data)
            return
        view = memoryview(data)
        while view:
            n = os.pwrite(self.fd, view, offset)
            if n <= 0:
                raise _err(errno.EIO)
            view, offset = view[n:], offset + n

    def cluster_pos(self, cluster: int) -> int:
        return self.data_offset + (cluster - 2) * self.cluster_size

    def runs(self, chain: list[int], offset: int, length: int) -> Iterable[tuple[int, int, int]]:
        """(image offset, offset in the request, bytes) of the contiguous pieces of bytes offset..offset+length
        of a chain's data."""
        cs = self.cluster_size
        ci, within, done = offset // cs, offset % cs, 0
        if length > 0 and (offset + length + cs - 1) // cs > len(chain):
            raise _err(errno.EIO, "data beyond the end of the cluster chain")
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
                raise _err(errno.EIO, f"cluster {c} out of range")
            out.append(c)
            if len(out) > self.count:
                raise _err(errno.EIO, "cluster chain loops")
            c = fat[c]
            if c >= FAT_EOC:
                return out
            if c == FAT_BAD:
                raise _err(errno.EIO, "bad cluster in a chain")

    def _set(self, cluster: int, value: int) -> None:
        self.fat[cluster] = value
        self.dirty_sectors.add(cluster // self.eps)

    def alloc(self, n: int, after: int = 0) -> list[int]:
        """Take `n` free clusters, chain them (after cluster `after` when given) and end the chain."""
        if n <= 0:
            return []
        if self.readonly:
            raise _err(errno.EROFS)
        if n > self.free:
            raise _err(errno.ENOSPC)
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
            raise _err(errno.ENOSPC)
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


# ---------------------------------------------------------------------------------------------- entries
class _Dir:
    """A directory's bytes and their index, read once and kept up to date."""
    __slots__ = ("buf", "chain", "names", "by_long", "by_short", "shorts", "end", "deleted", "subdirs", "dups")

    def __init__(self, chain: list[int], buf: bytearray) -> None:
        self.chain = chain
        self.buf = buf
        self.names: dict[int, tuple[str, int]] = {}    # short-entry slot -> (name shown, first slot incl. LFN)
        self.by_long: dict[str, int] = {}
        self.by_short: dict[str, int] = {}
        self.shorts: dict[bytes, int] = {}
        self.end = len(buf) // 32                       # first slot of the free tail (a 0x00 entry)
        self.deleted: set[int] = set()
        self.subdirs = 0
        self.dups = False                               # two entries share a name (only foreign images)
        self._parse()

    def _parse(self) -> None:
        buf = self.buf
        lfn: dict[int, bytes] = {}
        expect = chk = first = 0
        for slot in range(len(buf) // 32):
            o = slot * 32
            b0 = buf[o]
            if b0 == 0:
                self.end = slot
                break
            if b0 == DELETED:
                self.deleted.add(slot)
                expect = 0
                continue
            attr = buf[o + 11]
            if attr & 0x3F == ATTR_LFN:
                n = b0 & 0x3F
                if b0 & 0x40 and 1 <= n <= 20:
                    lfn, expect, chk, first = {}, n, buf[o + 13], slot
                    lfn[n] = bytes(buf[o + 1:o + 11] + buf[o + 14:o + 26] + buf[o + 28:o + 32])
                elif expect and n == expect - 1 and buf[o + 13] == chk and not b0 & 0x40:
                    lfn[n] = bytes(buf[o + 1:o + 11] + buf[o + 14:o + 26] + buf[o + 28:o + 32])
                    expect = n
                else:
                    expect = 0
                continue
            short = bytes(buf[o:o + 11])
            if attr & ATTR_VOLUME or short in (_DOT, _DOTDOT):
                expect = 0
                continue
            name = None
            if expect == 1 and lfn_checksum(short) == chk:
                units = b"".join(lfn[i] for i in range(1, len(lfn) + 1))
                for k in range(0, len(units), 2):
                    if units[k] == 0 and units[k + 1] == 0:
                        units = units[:k]
                        break
                name = units.decode("utf-16-le", "surrogatepass") or None
                start = first
            if name is None:
                name, start = short_display(short, buf[o + 12]), slot
            expect = 0
            self._index(slot, name, start, short, bool(attr & ATTR_DIR))

    def _index(self, slot: int, name: str, first: int, short: bytes, is_dir: bool) -> None:
        self.names[slot] = (name, first)
        for index, key in ((self.by_long, name_key(name)), (self.by_short, name_key(short_display(short, 0)))):
            if index.setdefault(key, slot) != slot:
                self.dups = True
        self.shorts[short] = slot
        if is_dir:
            self.subdirs += 1

    def find(self, name: str) -> int | None:
        key = name_key(name)
        slot = self.by_long.get(key)
        return slot if slot is not None else self.by_short.get(key)

    def forget(self, slot: int) -> None:
        name, first = self.names.pop(slot)
        o = slot * 32
        short = bytes(self.buf[o:o + 11])
        for index, key in ((self.by_long, name_key(name)), (self.by_short, name_key(short_display(short, 0)))):
            if index.get(key) == slot:
                del index[key]
                if not self.dups:
                    continue
                for other, (n2, _f) in self.names.items():      # a shadowed duplicate (foreign image) shows again
                    s2 = bytes(self.buf[other * 32:other * 32 + 11])
                    k2 = name_key(n2) if index is self.by_long else name_key(short_display(s2, 0))
                    if k2 == key:
                        index[key] = other
                        break
        if self.shorts.get(short) == slot:
            del self.shorts[short]
        if self.buf[o + 11] & ATTR_DIR:
            self.subdirs -= 1


# ------------------------------------------------------------------------------------------------ inodes
class FatInode(Inode):
    """A file or directory: the root, or the entry at `slot` of directory `parent`."""

    def __init__(self, sb: Fat32SuperBlock, parent: "FatInode | None", slot: int, pos: int,
                 entry: bytes | bytearray | None) -> None:
        self.parent, self.slot, self.pos = parent, slot, pos
        self.opened = 0
        self.orphan = False
        self.dead = False
        self._chain: list[int] | None = None
        self._dircache: _Dir | None = None
        if entry is None:                                       # the root directory
            self.attr, self.start, self._size = ATTR_DIR, sb.root_cluster, 0
            self.crt = (0, 0, 0)
            super().__init__(sb, st.S_IFDIR | (0o777 & ~sb.dmask), sb.uid, sb.gid, ino=1)
            self.atime_ns = self.mtime_ns = self.ctime_ns = 0
        else:
            self.attr = entry[11]
            ctenth, ctime, cdate, adate, hi, wtime, wdate, lo, size = _ENTRY_META.unpack_from(entry, 13)
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

    @_guard
    def stat(self) -> dict[str, int]:
        info = super().stat()
        info["blksize"] = self.sb.cluster_size
        info["blocks"] = len(self._get_chain()) * self.sb.cluster_size // 512 if not self.dead else 0
        return info

    @_guard
    def setattr(self, *, mode: int | None = None, uid: int | None = None, gid: int | None = None,
                atime_ns: int | None = None, mtime_ns: int | None = None) -> None:
        """vfat's rules: owner and group cannot change; of the mode only the write bits can (clearing them all
        sets the read-only attribute); times round to FAT's granularity."""
        if (uid is not None and uid != self.uid) or (gid is not None and gid != self.gid):
            raise _err(errno.EPERM)
        new_attr = self.attr
        if mode is not None:                                    # fat_sanitize_mode_change
            mask = self.sb.dmask if self.is_dir else self.sb.fmask
            perm = mode & 0o777 & ~mask
            writes = 0o222 & ~mask
            if perm & 0o555 != self.mode & 0o555:
                raise _err(errno.EPERM)
            if perm & 0o222 not in ((0, writes) if not self.is_dir else (writes,)):
                raise _err(errno.EPERM)
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
            raise _err(errno.EROFS)

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
        _ENTRY_META.pack_into(d.buf, o + 13, ctenth, ctime, cdate, adate, self.start >> 16, wtime, wdate,
                              self.start & 0xFFFF, self._size if not self.is_dir else 0)
        parent._write_slots(self.slot, self.slot + 1)

    # --- directories --------------------------------------------------------------------------------------
    def _dir(self) -> _Dir:
        if not self.is_dir:
            raise _err(errno.ENOTDIR)
        if self._dircache is None:
            chain = self._get_chain()
            if not chain:
                raise _err(errno.EIO, "directory without clusters")
            self._dircache = _Dir(chain, bytearray(self.sb.read_chain(chain, 0, len(chain) * self.sb.cluster_size)))
        return self._dircache

    def _slot_pos(self, slot: int) -> int:
        cs = self.sb.cluster_size
        chain = self._dir().chain
        return self.sb.cluster_pos(chain[slot * 32 // cs]) + slot * 32 % cs

    def _write_slots(self, first: int, end: int) -> None:
        d = self._dir()
        self.sb.write_chain(d.chain, first * 32, memoryview(d.buf)[first * 32:end * 32])

    def _alive(self) -> _Dir:
        d = self._dir()
        if self.dead:
            raise _err(errno.ENOENT)
        return d

    @_guard
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

    @_guard
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
                raise _err(errno.ENOSPC)
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
        return bytes([attr, 0]) + _ENTRY_META.pack(tenth, tm, date, date, start >> 16, tm, date, start & 0xFFFF, 0)

    def _name_for_new(self, name: bytes) -> str:
        self._writable()
        d = self._alive()
        text = check_long_name(name)
        if d.find(text) is not None:
            raise _err(errno.EEXIST)
        return text

    @_guard
    def create(self, name: bytes, mode: int, uid: int, gid: int) -> Inode:
        text = self._name_for_new(name)
        attr = ATTR_ARCH | (ATTR_RO if not mode & 0o222 else 0)
        slot = self._add_entry(text, self._new_meta(attr, 0))
        return self.sb.iget(self, slot)

    @_guard
    def mkdir(self, name: bytes, mode: int, uid: int, gid: int) -> Inode:
        text = self._name_for_new(name)
        self._reserve(len(lfn_slots(text, 0)) + 1)            # grow this directory before taking a cluster
        sb = self.sb
        cluster = sb.alloc(1)[0]
        meta = self._new_meta(ATTR_DIR, cluster)
        block = bytearray(sb.cluster_size)
        parent_start = 0 if self.parent is None else self.start
        block[0:32] = _DOT + meta
        block[32:64] = _DOTDOT + meta
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
            raise _err(errno.ENOENT)
        return slot

    def _detach(self, inode: "FatInode") -> None:
        """The entry of `inode` is gone: it keeps its clusters while open, else they are freed."""
        self.sb._icache.pop(inode.pos, None)
        if inode.is_dir:
            inode.dead = True
            self.sb.release(inode._get_chain())
            inode._chain, inode._dircache = [], _Dir([], bytearray())
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

    @_guard
    def unlink(self, name: bytes) -> None:
        self._writable()
        slot = self._find_existing(name)
        inode = self.sb.iget(self, slot)
        if inode.is_dir:
            raise _err(errno.EISDIR)
        self._remove_entry(slot)
        self._detach(inode)

    @_guard
    def rmdir(self, name: bytes) -> None:
        self._writable()
        slot = self._find_existing(name)
        inode = self.sb.iget(self, slot)
        if not inode.is_dir:
            raise _err(errno.ENOTDIR)
        if inode._dir().names:
            raise _err(errno.ENOTEMPTY)
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
        if d.buf[32:43] == _DOTDOT and inode.parent is not None:
            target = 0 if inode.parent.parent is None else inode.parent.start
            struct.pack_into("<H", d.buf, 32 + 20, target >> 16)
            struct.pack_into("<H", d.buf, 32 + 26, target & 0xFFFF)
            inode._write_slots(1, 2)

    @_guard
    def rename_entry(self, name: bytes, new_dir: Inode, new_name: bytes, flags: int) -> None:
        assert isinstance(new_dir, FatInode)
        if flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE) or flags == RENAME_NOREPLACE | RENAME_EXCHANGE:
            raise _err(errno.EINVAL)
        self._writable()
        new_dir._alive()
        slot = self._find_existing(name)
        src = self.sb.iget(self, slot)
        text = check_long_name(new_name)
        dd = new_dir._dir()
        dst_slot = dd.find(text)
        dst = self.sb.iget(new_dir, dst_slot) if dst_slot is not None else None
        if src.is_dir and src._is_ancestor_of(new_dir):
            raise _err(errno.EINVAL)
        if flags & RENAME_EXCHANGE:
            if dst is None:
                raise _err(errno.ENOENT)
            if dst.is_dir and dst._is_ancestor_of(self):
                raise _err(errno.EINVAL)
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

    @_guard
    def read_at(self, offset: int, size: int) -> bytes:
        if self.is_dir:
            raise _err(errno.EISDIR)
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

    @_guard
    def write_at(self, offset: int, data: bytes | memoryview) -> int:
        if self.is_dir:
            raise _err(errno.EISDIR)
        self._writable()
        if self.dead:
            raise _err(errno.ENOENT)
        n = len(data)
        if n == 0:
            return 0
        if offset >= MAX_FILE_SIZE:
            raise _err(errno.EFBIG)
        n = min(n, MAX_FILE_SIZE - offset)
        end = offset + n
        cs = self.sb.cluster_size
        have = len(self._get_chain()) * cs
        if end > have:
            room = have + self.sb.free * cs
            if room <= offset:
                raise _err(errno.ENOSPC)
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

    @_guard
    def truncate(self, size: int) -> None:
        if self.is_dir:
            raise _err(errno.EISDIR)
        self._writable()
        if self.dead:
            raise _err(errno.ENOENT)
        if size < 0:
            raise _err(errno.EINVAL)
        if size > MAX_FILE_SIZE:
            raise _err(errno.EFBIG)
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


# -------------------------------------------------------------------------------------------------- mkfs
SECTOR = 512
RESERVED_SECTORS = 32
NUM_FATS = 2


def _cluster_sectors(total_sectors: int) -> int:
    """Sectors per cluster for a disk of this size (Microsoft's table for 512-byte sectors)."""
    for limit, spc in ((532480, 1), (16777216, 8), (33554432, 16), (67108864, 32)):
        if total_sectors <= limit:
            return spc
    return 64


def _geometry(total: int, spc: int) -> tuple[int, int]:
    """(sectors per FAT, data clusters) for `total` sectors."""
    fatsz = -(-(total - RESERVED_SECTORS) // ((256 * spc + NUM_FATS) // 2))
    while True:
        clusters = (total - RESERVED_SECTORS - NUM_FATS * fatsz) // spc
        if clusters <= 0 or fatsz * (SECTOR // 4) >= clusters + 2:
            return fatsz, clusters
        fatsz += 1


def min_image_size() -> int:
    """The smallest image (a whole number of MiB) that holds a FAT32 with enough clusters to be one."""
    mib = 32
    while _geometry(mib << 11, 1)[1] < MIN_FAT32_CLUSTERS:
        mib += 1
    return mib << 20


def mkfs(path: str, size: int, label: bytes = b"NO NAME", volume_id: int | None = None) -> dict[str, int]:
    """Write an empty FAT32 file system of `size` bytes to host file `path` (created or overwritten).
    ValueError when the size cannot hold a FAT32.  Returns its geometry."""
    total = size // SECTOR
    if total >= 1 << 32:
        raise ValueError(f"{size} bytes is too large for FAT32 with 512-byte sectors (at most 2 TiB)")
    spc = _cluster_sectors(total)
    fatsz, clusters = _geometry(total, spc)
    if clusters < MIN_FAT32_CLUSTERS:
        raise ValueError(f"{size} bytes is too small for FAT32: it needs at least {MIN_FAT32_CLUSTERS} clusters, "
                         f"so at least {min_image_size() >> 20}M")
    if clusters > MAX_CLUSTERS:
        raise ValueError(f"{size} bytes is too large for FAT32")
    if volume_id is None:
        volume_id = int.from_bytes(os.urandom(4), "little")
    label = label.upper()[:11].ljust(11)

    bs = bytearray(SECTOR)
    bs[0:3] = b"\xeb\x58\x90"
    bs[3:11] = b"PYNIX   "
    struct.pack_into("<HBHBHHBHHHIIIHHIHH", bs, 11, SECTOR, spc, RESERVED_SECTORS, NUM_FATS, 0, 0, 0xF8, 0,
                     32, 64, 0, total, fatsz, 0, 0, 2, 1, 6)
    struct.pack_into("<BBBI11s8s", bs, 64, 0x80, 0, 0x29, volume_id, label, b"FAT32   ")
    boot = b"\xfa\xf4\xeb\xfd"                                    # cli; hlt; jmp $-1: not a bootable disk
    bs[90:90 + len(boot)] = boot
    bs[510:512] = b"\x55\xaa"

    info = bytearray(SECTOR)
    struct.pack_into("<I", info, 0, FSINFO_LEAD)
    struct.pack_into("<III", info, 484, FSINFO_STRUCT, clusters - 1, 2)
    struct.pack_into("<I", info, 508, FSINFO_TRAIL)

    fat_head = struct.pack("<III", 0x0FFFFFF8, 0x0FFFFFFF, 0x0FFFFFFF)   # media, clean, root directory's EOC
    data_start = RESERVED_SECTORS + NUM_FATS * fatsz
    with open(path, "wb") as f:
        f.truncate(total * SECTOR)                               # zeros everywhere else (sparse)
        for sector, data in ((0, bs), (1, info), (6, bs), (7, info)):
            f.seek(sector * SECTOR)
            f.write(data)
        for n in range(NUM_FATS):
            f.seek((RESERVED_SECTORS + n * fatsz) * SECTOR)
            f.write(fat_head)
        if label != b"NO NAME    ":                              # a label lives in the root directory too
            date, tm, tenth = ns_to_fat_time(now_ns())
            f.seek(data_start * SECTOR)
            f.write(label + bytes([ATTR_VOLUME, 0]) + _ENTRY_META.pack(tenth, tm, date, date, 0, tm, date, 0, 0))
    return {"sectors": total, "sectors_per_cluster": spc, "fat_sectors": fatsz, "clusters": clusters,
            "data_start": data_start, "volume_id": volume_id}
