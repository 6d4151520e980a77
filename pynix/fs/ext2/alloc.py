"""Block and inode allocation with the group bitmaps (Linux's fs/ext2/balloc.c and ialloc.c, simplified).

Blocks: the first free block at or after a goal (the block after the file's last one, or the start of the
inode's group), searching group after group.  Inodes: a directory goes to the group with the most free inodes
(spreading directories, as Orlov's allocator aims to), anything else to its parent's group or the next one
with room.  Every allocation and release updates the bitmap, the group descriptor and the superblock's counters
in the buffer cache at once, so the image is consistent whenever it is synced.  Freeing a block or inode whose
bit is already clear is a filesystem error (logged, EUCLEAN), never a double count.
"""
from __future__ import annotations

import errno
from typing import TYPE_CHECKING

from pynix.errors import KernelError

if TYPE_CHECKING:
    from pynix.fs.ext2.super import Ext2SuperBlock


def find_zero_bit(bitmap: bytes, start: int, end: int) -> int:
    """The first clear bit in [start, end) of `bitmap`, or -1."""
    i = start
    while i < end and i & 7:
        if not bitmap[i >> 3] >> (i & 7) & 1:
            return i
        i += 1
    if i >= end:
        return -1
    rest = bitmap[i >> 3:(end + 7) >> 3]
    i += (len(rest) - len(rest.lstrip(b"\xff"))) * 8
    while i < end:
        if not bitmap[i >> 3] >> (i & 7) & 1:
            return i
        i += 1
    return -1


def _set_bit(sb: "Ext2SuperBlock", bitmap_block: int, bit: int, value: bool) -> bool:
    """Set or clear one bitmap bit in the cache; False if it already had that value."""
    offset = bitmap_block * sb.block_size + (bit >> 3)
    byte = sb.bdev.cache.read(offset, 1)[0]
    mask = 1 << (bit & 7)
    if bool(byte & mask) == value:
        return False
    sb.bdev.cache.write(offset, bytes([byte | mask if value else byte & ~mask]))
    return True


def group_blocks(sb: "Ext2SuperBlock", g: int) -> tuple[int, int]:
    """(first block, number of blocks) of block group `g`."""
    first = sb.first_data_block + g * sb.bpg
    return first, min(sb.bpg, sb.blocks_count - first)


def alloc_block(sb: "Ext2SuperBlock", goal: int) -> int:
    """A free block, as close after `goal` as possible (ENOSPC when none is left)."""
    if sb.free_blocks <= 0:
        raise KernelError(errno.ENOSPC)
    if not sb.first_data_block <= goal < sb.blocks_count:
        goal = sb.first_data_block
    g0 = (goal - sb.first_data_block) // sb.bpg
    for step in range(sb.groups_count + 1):
        g = (g0 + step) % sb.groups_count
        desc = sb.groups[g]
        if desc.free_blocks == 0:
            continue
        first, count = group_blocks(sb, g)
        start = goal - first if step == 0 else 0
        bitmap = sb.bread(desc.block_bitmap)
        bit = find_zero_bit(bitmap, start, count)
        if bit < 0 and start:
            bit = find_zero_bit(bitmap, 0, start)
        if bit < 0:
            continue
        block = first + bit
        if block in (desc.block_bitmap, desc.inode_bitmap) or \
                desc.inode_table <= block < desc.inode_table + sb.itable_blocks:
            raise sb.error("ext2_new_blocks", f"allocating block in system zone - block = {block}")
        _set_bit(sb, desc.block_bitmap, bit, True)
        desc.free_blocks -= 1
        sb.free_blocks -= 1
        sb.write_group(g)
        sb.write_super()
        return block
    raise KernelError(errno.ENOSPC)


def free_blocks(sb: "Ext2SuperBlock", blocks: list[int]) -> None:
    """Give `blocks` back to their groups."""
    touched = set()
    for block in blocks:
        sb.check_block(block, "ext2_free_blocks")
        g, bit = divmod(block - sb.first_data_block, sb.bpg)
        desc = sb.groups[g]
        if not _set_bit(sb, desc.block_bitmap, bit, False):
            sb.error("ext2_free_blocks", f"bit already cleared for block {block}")
            continue
        desc.free_blocks += 1
        sb.free_blocks += 1
        touched.add(g)
    for g in touched:
        sb.write_group(g)
    if touched:
        sb.write_super()


def alloc_inode(sb: "Ext2SuperBlock", parent_ino: int, is_dir: bool) -> int:
    """A free inode number (ENOSPC when none is left)."""
    if sb.free_inodes <= 0:
        raise KernelError(errno.ENOSPC)
    parent_group = (parent_ino - 1) // sb.ipg
    if is_dir:
        order = sorted(range(sb.groups_count), key=lambda g: (-sb.groups[g].free_inodes, g))
    else:
        order = [(parent_group + i) % sb.groups_count for i in range(sb.groups_count)]
    for g in order:
        desc = sb.groups[g]
        if desc.free_inodes == 0:
            continue
        bitmap = sb.bread(desc.inode_bitmap)
        start = sb.first_ino - 1 if g == 0 else 0
        bit = find_zero_bit(bitmap, start, sb.ipg)
        if bit < 0:
            continue
        _set_bit(sb, desc.inode_bitmap, bit, True)
        desc.free_inodes -= 1
        desc.used_dirs += is_dir
        sb.free_inodes -= 1
        sb.write_group(g)
        sb.write_super()
        return g * sb.ipg + bit + 1
    raise KernelError(errno.ENOSPC)


def free_inode(sb: "Ext2SuperBlock", ino: int, is_dir: bool) -> None:
    g, bit = divmod(ino - 1, sb.ipg)
    desc = sb.groups[g]
    if ino < sb.first_ino or not _set_bit(sb, desc.inode_bitmap, bit, False):
        sb.error("ext2_free_inode", f"bit already cleared for inode {ino}")
        return
    desc.free_inodes += 1
    desc.used_dirs -= is_dir
    sb.free_inodes += 1
    sb.write_group(g)
    sb.write_super()
