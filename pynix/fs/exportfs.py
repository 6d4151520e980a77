"""File handles (Linux's fs/exportfs/): how an inode is named without a path, for name_to_handle_at and
fanotify's file ids.

Every filesystem here encodes the same way, FILEID_INO64_GEN: the inode number and a generation of 0, 12 bytes,
meaningful within the filesystem (superblock) the inode belongs to.
"""
from __future__ import annotations

import struct
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pynix.fs.vfs import Inode

FILEID_INO64_GEN = 0x81
HANDLE = struct.Struct("<QI")                     # ino, generation


def encode_fh(inode: "Inode") -> tuple[int, bytes]:
    """exportfs_encode_fh: the handle's type and bytes."""
    return FILEID_INO64_GEN, HANDLE.pack(inode.ino, 0)
