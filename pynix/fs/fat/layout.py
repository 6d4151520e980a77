"""FAT32's on-disk constants (Microsoft's specification 1.03) and the guard every operation runs under."""
from __future__ import annotations

import errno
import functools
import struct
from typing import Callable

from pynix.errors import KernelError


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

DOT_NAME = b".          "
DOTDOT_NAME = b"..         "
ENTRY_META = struct.Struct("<BHHHHHHHI")     # bytes 13..31: crt tenth/time/date, access date, hi, wtime, wdate, lo, size


def fat_error(code: int, message: str = "") -> KernelError:
    return KernelError(code, message)


def fat_op(method: Callable) -> Callable:
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
            raise fat_error(errno.EIO, f"fat32: {type(exc).__name__}: {exc}") from exc
        finally:
            if sb.dirty_sectors or sb.fsinfo_stale:
                sb.flush()
    return wrapper
