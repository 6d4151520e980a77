"""/sys/block and /sys/dev/block: one directory per block device, as sysfs shows them (util-linux's losetup,
mount and blkid read these), named vda/loop0 in the first and MAJOR:MINOR in the second (Linux has symlinks
there).  Mounted over the host's directories at boot, so the host's own devices do not show through (as the
trees of fs/sysfs.py are; the rest of /sys is still the host's).

Per device: dev ("MAJOR:MINOR"), size (in 512-byte sectors), ro, removable, queue/logical_block_size,
queue/physical_block_size, queue/hw_sector_size; a bound loop device also has loop/backing_file, offset,
sizelimit, autoclear, partscan and dio.  Everything is read-only and computed when read.
"""
from __future__ import annotations

import stat as st
from typing import Callable

from pynix.block.device import BlockDevice
from pynix.block.genhd import BLKDEVS
from pynix.fs.devfs import dev_major, dev_minor
from pynix.fs.proc import ProcDir, ProcInode, TreeDir
from pynix.fs.sysfs import SysfsSuperBlock
from pynix.fs.vfs import Inode


def _device_tree(dev: BlockDevice) -> dict:
    def text(value: Callable[[], object]):
        return (lambda: f"{value()}\n".encode(), 0o444, None)

    tree = {b"dev": text(lambda: f"{dev_major(dev.rdev)}:{dev_minor(dev.rdev)}"),
            b"size": text(lambda: dev.size // 512), b"ro": text(lambda: int(dev.readonly)),
            b"removable": text(lambda: 0),
            b"queue": {b"logical_block_size": text(lambda: dev.sector_size),
                       b"physical_block_size": text(lambda: dev.sector_size),
                       b"hw_sector_size": text(lambda: dev.sector_size)}}
    if getattr(dev, "backing", None) is not None:                  # a bound loop device
        tree[b"loop"] = {b"backing_file": text(lambda: dev.file_name.decode(errors="replace")),
                         b"offset": text(lambda: dev.offset), b"sizelimit": text(lambda: dev.sizelimit),
                         b"autoclear": text(lambda: int(bool(dev.flags & 4))),
                         b"partscan": text(lambda: int(bool(dev.flags & 8))), b"dio": text(lambda: 0)}
    return tree


class SysBlockRoot(ProcDir):
    sb: "SysBlockSuperBlock"

    def __init__(self, sb: "SysBlockSuperBlock") -> None:
        ProcInode.__init__(self, sb, ("root",), st.S_IFDIR | 0o755)

    def children(self) -> dict[bytes, Callable[[], Inode]]:
        def name(dev: BlockDevice) -> bytes:
            return f"{dev_major(dev.rdev)}:{dev_minor(dev.rdev)}".encode() if self.sb.by_number else dev.name.encode()
        return {name(dev): (lambda dev=dev: TreeDir(self.sb, ("dev", dev.rdev), _device_tree(dev)))
                for dev in sorted(BLKDEVS.values(), key=lambda d: d.rdev)}


class SysBlockSuperBlock(SysfsSuperBlock):
    def __init__(self, by_number: bool = False) -> None:
        super().__init__()
        self.by_number = by_number                 # /sys/dev/block: the same directories named MAJOR:MINOR
        self.root = SysBlockRoot(self)
