"""Character devices (Linux's fs/char_dev.c): which driver opens a device number.

A driver registers an open function for its device numbers (`register_chrdev`, done by the memory devices in
devfs.py and by the terminal drivers when tty_init runs at boot); opening any S_IFCHR inode with that number, in
devfs or wherever mknod(2) made it, reaches the driver (`open_chrdev`, Linux's chrdev_open).  Nothing here
knows the drivers, so filesystems need not import them."""
from __future__ import annotations

import errno
from typing import TYPE_CHECKING, Callable

from pynix.errors import KernelError

if TYPE_CHECKING:
    from pynix.fs.file import File
    from pynix.fs.vfs import VfsPath

ChrdevOpen = Callable[["VfsPath", int], "File"]
_CHRDEVS: dict[int, ChrdevOpen] = {}            # device number (new_encode_dev) -> the driver's open


def register_chrdev(dev: int, open_device: ChrdevOpen) -> None:
    """Make `open_device(path, flags)` the open of character device number `dev`."""
    _CHRDEVS[dev] = open_device


def open_chrdev(path: "VfsPath", flags: int) -> "File":
    """Open the character device `path` names (ENXIO when no driver has its number, as chrdev_open)."""
    open_device = _CHRDEVS.get(path.inode.rdev)
    if open_device is None:
        raise KernelError(errno.ENXIO)
    return open_device(path, flags)
