"""mkfs for FAT32 (what `pynix mkfs.fat` runs): a fresh, empty, fsck-clean image."""
from __future__ import annotations

import os
import struct

from pynix.fs.fat.layout import (ATTR_VOLUME, ENTRY_META, FSINFO_LEAD, FSINFO_STRUCT, FSINFO_TRAIL, MAX_CLUSTERS,
                                 MIN_FAT32_CLUSTERS)
from pynix.fs.fat.names import ns_to_fat_time
from pynix.fs.vfs import now_ns


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
            f.write(label + bytes([ATTR_VOLUME, 0]) + ENTRY_META.pack(tenth, tm, date, date, 0, tm, date, 0, 0))
    return {"sectors": total, "sectors_per_cluster": spc, "fat_sectors": fatsz, "clusters": clusters,
            "data_start": data_start, "volume_id": volume_id}
