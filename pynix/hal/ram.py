"""Guest physical memory: one anonymous host mapping, owned by the kernel."""
from __future__ import annotations

import ctypes
import mmap

PAGE_SIZE = 4096


class PhysicalMemory:
    """The RAM arena.  `mv` is a byte memoryview of all of RAM and `words` the same bytes as little-endian
    64-bit words (page tables are read and written through it).  Physical address 0 is the first byte."""

    def __init__(self, size: int) -> None:
        if size <= 0 or size % (2 << 20):
            raise ValueError("RAM size must be a positive multiple of 2 MiB")
        self.size = size
        self._buffer = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
        # Transparent huge pages where the host allows them (enabled=madvise): the host then faults RAM in 2 MiB
        # at a time, where a 4 KiB host fault (~3 us on a VM) under every first touch of a guest frame made up a
        # third of a guest page fault.
        if hasattr(mmap, "MADV_HUGEPAGE"):
            self._buffer.madvise(mmap.MADV_HUGEPAGE)
        self.mv = memoryview(self._buffer)
        self.words = self.mv.cast("Q")
        self.host_address = ctypes.addressof(ctypes.c_char.from_buffer(self._buffer))

    def cstring(self, start: int, end: int) -> bytes | None:
        """The bytes from `start` up to the first NUL in [start, end) (without it), None if there is no NUL
        there: searched in place and copied once (mmap slices are bytes)."""
        nul = self._buffer.find(b"\0", start, end)
        return self._buffer[start:nul] if nul >= 0 else None
