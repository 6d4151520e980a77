"""The registry of block devices (Linux's gendisk list and bdev map): device number -> device.

Disks attached with `--disk` are vda, vdb, ... with virtio-blk's numbers (major VIRTBLK_MAJOR, 16 minors a disk);
loop devices are loopN, major 7.  devfs instances subscribe (`watch`) and get a node for every device added
later and lose it when the device goes, as devtmpfs does; /proc/partitions and /sys/block read the registry.

The registry is module state, like CHRDEVS: one pynix process runs one machine.
"""
from __future__ import annotations

import errno
import string
import weakref
from typing import Callable

from pynix.block.device import BlockDevice, ImageDevice
from pynix.errors import KernelError
from pynix.printk import printk
from pynix.fs.devfs import dev_major, dev_minor, new_encode_dev

VIRTBLK_MAJOR = 254                 # virtio_blk's dynamic major as Linux usually hands it out
VIRTBLK_MINORS = 16
LOOP_MAJOR = 7


BLKDEVS: dict[int, BlockDevice] = {}
# devfs superblocks to tell about devices coming and going: callback(device, added)
_watchers: "weakref.WeakKeyDictionary[object, Callable[[BlockDevice, bool], None]]" = weakref.WeakKeyDictionary()


def watch(owner: object, callback: Callable[[BlockDevice, bool], None]) -> None:
    """Call `callback(dev, True)` for every device there is and will be, `callback(dev, False)` when one goes,
    for as long as `owner` lives (a method of `owner` is held weakly: it would keep its owner, and with a devfs
    its whole machine, alive for ever)."""
    _watchers[owner] = weakref.WeakMethod(callback) if getattr(callback, "__self__", None) is owner \
        else (lambda: callback)
    for dev in list(BLKDEVS.values()):
        callback(dev, True)


def _tell_watchers(dev: BlockDevice, added: bool) -> None:
    for ref in list(_watchers.values()):
        callback = ref()
        if callback is not None:
            callback(dev, added)


def add_disk(dev: BlockDevice) -> BlockDevice:
    BLKDEVS[dev.rdev] = dev
    _tell_watchers(dev, True)
    return dev


def del_disk(dev: BlockDevice) -> None:
    if BLKDEVS.get(dev.rdev) is dev:
        del BLKDEVS[dev.rdev]
        _tell_watchers(dev, False)


def lookup(rdev: int) -> BlockDevice:
    """The device with number `rdev` (ENXIO when there is none, as blkdev_get_no_open)."""
    dev = BLKDEVS.get(rdev)
    if dev is None:
        raise KernelError(errno.ENXIO)
    return dev


def attach_image(image: str, readonly: bool = False) -> ImageDevice:
    """`--disk IMAGE[:ro]`: the host image as the next virtio disk (vda, vdb, ...)."""
    index = sum(1 for dev in BLKDEVS.values() if isinstance(dev, ImageDevice))
    if index >= len(string.ascii_lowercase):
        raise KernelError(errno.ENOSPC, "too many disks")
    name = "vd" + string.ascii_lowercase[index]
    return add_disk(ImageDevice(name, new_encode_dev(VIRTBLK_MAJOR, index * VIRTBLK_MINORS), image, readonly))


def sync_all_block_devices() -> None:
    """sync(2) and the end of the machine: every device's dirty pages to its backing store."""
    for dev in list(BLKDEVS.values()):
        dev.cache.sync()


def detach_all() -> None:
    """The machine stops: unmount what is still mounted from a device, write everything back, close the
    images.  Loop devices go first, newest first: their files may live on another device's filesystem."""
    loops = [dev for dev in BLKDEVS.values() if dev_major(dev.rdev) == LOOP_MAJOR]
    disks = [dev for dev in BLKDEVS.values() if dev_major(dev.rdev) != LOOP_MAJOR]
    for dev in loops[::-1] + disks:
        try:
            close = getattr(dev.holder, "close", None)
            if close is not None:
                close()                            # a filesystem still mounted from it: unmounted cleanly
            unbind = getattr(dev, "unbind", None)
            if unbind is not None:
                unbind()
            dev.close()
        except KernelError as err:
            printk(f"{dev.name}: writing back at shutdown failed: {err}")
        del_disk(dev)


def proc_partitions() -> bytes:
    """/proc/partitions: major, minor, size in KiB, name of every device."""
    lines = [b"major minor  #blocks  name", b""]
    for dev in sorted(BLKDEVS.values(), key=lambda d: d.rdev):
        lines.append(b"%4d  %7d %10d %s" % (dev_major(dev.rdev), dev_minor(dev.rdev), dev.size // 1024,
                                            dev.name.encode()))
    return b"\n".join(lines) + b"\n"
