"""Block devices and the buffer cache.

A `BlockDevice` is an array of 512-byte sectors; a driver supplies `_read`/`_write` of whole byte ranges inside
it (Linux's submit_bio, synchronous here).  Everything above the driver goes through the device's
`BufferCache`: 4 KiB pages of the device, read on first use, written back on `sync` (sync(2), syncfs, fsync of
the device or of a file on it, unmount, the end of `pynix run`) or when the cache is full and a dirty page must
make room -- as Linux's writeback under memory pressure.  A host image is therefore written only through its
device: a guest that dies between two syncs leaves the image as a power cut would leave a disk.

Differences from Linux: the cache pages are Python bytearrays, not RAM frames shared with the page cache; the
cache is bounded by a page count (CACHE_PAGES) instead of memory pressure.  Reads and writes outside the device
are EIO before reaching the driver, so nothing is ever written past the end of an image.
"""
from __future__ import annotations

import errno
import fcntl
import os
from collections import OrderedDict

from pynix.errors import KernelError

SECTOR_SIZE = 512
PAGE_SIZE = 4096
CACHE_PAGES = 8192                  # 32 MiB of cached device pages per device


class BlockDevice:
    """One block device: its name (vda, loop0), device number, size and read-only state, and its cache."""

    sector_size = SECTOR_SIZE

    def __init__(self, name: str, rdev: int, size: int, readonly: bool = False) -> None:
        self.name, self.rdev = name, rdev
        self.size = size - size % SECTOR_SIZE
        self.readonly = readonly
        self.block_size = PAGE_SIZE        # the soft block size (BLKBSZGET); a filesystem mounted on it sets its own
        self.holder: object | None = None  # the superblock mounted from this device (one per device, as sget)
        self.cache = BufferCache(self)

    # --- the driver ------------------------------------------------------------------------------------
    def _read(self, offset: int, length: int) -> bytes:
        raise KernelError(errno.EIO)

    def _write(self, offset: int, data: bytes | memoryview) -> None:
        raise KernelError(errno.EIO)

    def close(self) -> None:
        """Write back everything and let go of the backing store."""
        self.cache.sync()

    def release_holder(self) -> None:
        """The filesystem mounted from the device was unmounted."""
        self.holder = None

    # --- checked access ---------------------------------------------------------------------------------
    def check_range(self, offset: int, length: int) -> None:
        if offset < 0 or length < 0 or offset + length > self.size:
            raise KernelError(errno.EIO, f"{self.name}: access beyond end of device "
                                         f"(sector {offset // SECTOR_SIZE}, {length} bytes)")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} {self.size} bytes{' ro' if self.readonly else ''}>"


class BufferCache:
    """The cached pages of one block device (Linux's bdev mapping with its buffer heads, in 4 KiB pages)."""

    def __init__(self, dev: BlockDevice, capacity: int = CACHE_PAGES) -> None:
        self.dev = dev
        self.capacity = capacity
        self.pages: OrderedDict[int, bytearray] = OrderedDict()     # page index -> bytes, least recent first
        self.dirty: set[int] = set()

    def _valid(self, index: int) -> int:
        """How many bytes of page `index` lie inside the device."""
        return max(0, min(PAGE_SIZE, self.dev.size - index * PAGE_SIZE))

    def _page(self, index: int, fill: bool = True) -> bytearray:
        page = self.pages.get(index)
        if page is not None:
            self.pages.move_to_end(index)
            return page
        n = self._valid(index)
        page = bytearray(self.dev._read(index * PAGE_SIZE, n)) if fill and n else bytearray(n)
        if len(page) < PAGE_SIZE:
            page.extend(bytes(PAGE_SIZE - len(page)))
        self.pages[index] = page
        while len(self.pages) > self.capacity:
            old, data = self.pages.popitem(last=False)
            if old in self.dirty:
                self._writeback(old, data)
        return page

    def _writeback(self, index: int, page: bytearray) -> None:
        self.dirty.discard(index)
        n = self._valid(index)
        if n:
            self.dev._write(index * PAGE_SIZE, memoryview(page)[:n])

    def read(self, offset: int, length: int) -> bytes:
        """`length` bytes of the device at `offset` (EIO outside it)."""
        self.dev.check_range(offset, length)
        index, start = divmod(offset, PAGE_SIZE)
        if start + length <= PAGE_SIZE:
            return bytes(self._page(index)[start:start + length])
        out = bytearray()
        while length > 0:
            n = min(PAGE_SIZE - start, length)
            out += self._page(index)[start:start + n]
            index, start, length = index + 1, 0, length - n
        return bytes(out)

    def write(self, offset: int, data: bytes | memoryview) -> None:
        """Store `data` at `offset` (EIO outside the device, EROFS on a read-only one); written back later."""
        if self.dev.readonly:
            raise KernelError(errno.EROFS)
        length = len(data)
        self.dev.check_range(offset, length)
        view = memoryview(data).cast("B") if isinstance(data, memoryview) else memoryview(data)
        index, start = divmod(offset, PAGE_SIZE)
        done = 0
        while done < length:
            n = min(PAGE_SIZE - start, length - done)
            page = self._page(index, fill=not (start == 0 and n >= self._valid(index)))
            page[start:start + n] = view[done:done + n]
            self.dirty.add(index)
            index, start, done = index + 1, 0, done + n

    def sync(self) -> None:
        """Write every dirty page to the device (sync, fsync, unmount)."""
        for index in sorted(self.dirty):
            self._writeback(index, self.pages[index])

    def drop(self) -> None:
        """BLKFLSBUF: write back, then forget every cached page (the next read goes to the driver)."""
        self.sync()
        self.pages.clear()


class ImageDevice(BlockDevice):
    """A disk whose sectors are a host image file (`--disk IMAGE`).  The image is locked (flock) for as long as
    it is attached, so two pynix machines never write one image."""

    def __init__(self, name: str, rdev: int, image: str, readonly: bool = False) -> None:
        self.image = image
        try:
            self.fd = os.open(image, os.O_RDONLY if readonly else os.O_RDWR)
        except OSError as exc:
            raise KernelError(exc.errno or errno.EIO, f"{image}: {exc.strerror}") from None
        try:
            fcntl.flock(self.fd, (fcntl.LOCK_SH if readonly else fcntl.LOCK_EX) | fcntl.LOCK_NB)
            size = os.fstat(self.fd).st_size
        except OSError:
            os.close(self.fd)
            raise KernelError(errno.EBUSY, f"{image}: in use by another process") from None
        super().__init__(name, rdev, size, readonly)

    def _read(self, offset: int, length: int) -> bytes:
        try:
            data = os.pread(self.fd, length, offset)
        except OSError as exc:
            raise KernelError(errno.EIO, f"{self.image}: {exc.strerror}") from None
        if len(data) != length:
            raise KernelError(errno.EIO, f"{self.image}: short read at {offset}")
        return data

    def _write(self, offset: int, data: bytes | memoryview) -> None:
        view = memoryview(data)
        try:
            while view:
                n = os.pwrite(self.fd, view, offset)
                view, offset = view[n:], offset + n
        except OSError as exc:
            raise KernelError(errno.EIO, f"{self.image}: {exc.strerror}") from None

    def close(self) -> None:
        if self.fd >= 0:
            try:
                super().close()
            finally:
                os.close(self.fd)
                self.fd = -1
