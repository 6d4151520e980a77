"""ext2 (read-write) and ext4 (read-only) on a block device: layout.py (on-disk structures, crc32c), super.py
(mount, features, statfs, sync), alloc.py (bitmaps), inode.py (block mapping, data, symlinks), dir.py
(directories and namespace operations)."""
