"""What filesystem a device holds, from its superblock (what blkid does for `mount` without -t)."""
from __future__ import annotations

import struct

from pynix.block.device import BlockDevice
from pynix.errors import KernelError
from pynix.fs.ext2 import layout as L

EXT4_ONLY = L.INCOMPAT_EXTENTS | L.INCOMPAT_64BIT | L.INCOMPAT_FLEX_BG


def probe(dev: BlockDevice) -> str | None:
    """"ext2", "ext3", "ext4", "vfat" or None (nothing recognised, or the device cannot be read)."""
    try:
        if dev.size >= 2048:
            sb = dev.cache.read(L.SUPERBLOCK_OFFSET, 1024)
            if struct.unpack_from("<H", sb, 0x38)[0] == L.EXT2_SUPER_MAGIC:
                compat, incompat = struct.unpack_from("<II", sb, 0x5C)
                if incompat & EXT4_ONLY:
                    return "ext4"
                return "ext3" if compat & L.COMPAT_HAS_JOURNAL else "ext2"
        if dev.size >= 512:
            boot = dev.cache.read(0, 512)
            if boot[510:512] == b"\x55\xaa" and boot[82:90] == b"FAT32   ":
                return "vfat"
    except KernelError:
        return None
    return None
