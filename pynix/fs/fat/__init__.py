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

The package follows Linux's fs/fat/: `layout` (on-disk constants), `names` (short and long names, times),
`super` (the superblock, the FAT and its chains), `dir` (a directory's entries in memory), `inode` (files and
directories), and `mkfs` (a fresh empty FAT32 image, what `pynix mkfs.fat` runs).
"""
from __future__ import annotations

from pynix.fs.fat.mkfs import mkfs
from pynix.fs.fat.super import Fat32SuperBlock

__all__ = ["Fat32SuperBlock", "mkfs"]
