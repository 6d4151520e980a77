"""Physical frame allocator: Linux's binary buddy system over the frames of the RAM arena.

Free memory is kept as blocks of 2**order contiguous frames, aligned to their size, one free list per order.
Allocating order k takes a block from list k, or splits a larger one, putting the unused halves back; freeing a
block merges it with its "buddy" (the block whose frame number differs only in bit k) for as long as the buddy is
free too.  Single frames (order 0) are by far the most common request; larger orders serve contiguous needs.

Every allocated frame carries a reference count: a frame shared copy-on-write by several address spaces is freed
when its last user drops it (`put`).

When no block is left, `alloc` first asks the `shrinkers` (the page cache: clean pages nobody maps) to give frames
back, as Linux's reclaim does, and fails with ENOMEM only if that frees nothing.

Frames that were ever mapped executable are marked in `code`: the emulator keeps translated code keyed by
physical page, and host-side writes do not invalidate it, so when such a frame is freed it is queued in
`stale_code` and the kernel discards its translations before any guest code runs again (DESIGN.md §5, pitfall 6).
"""
from __future__ import annotations

import errno
from array import array
from typing import Callable

from pynix.errors import KernelError

PAGE_SHIFT = 12
PAGE_SIZE = 1 << PAGE_SHIFT
MAX_ORDER = 10                      # largest block: 2**10 frames = 4 MiB, as in Linux


class FrameAllocator:
    def __init__(self, total_frames: int, reserved: int = 1) -> None:
        """Manage frames [reserved, total_frames).  Frame 0 stays reserved so that physical address 0 is never
        handed out (it would read as "no frame" in a page-table entry)."""
        self.total_frames = total_frames
        self.free_lists: list[set[int]] = [set() for _ in range(MAX_ORDER + 1)]
        self.refcount = array("I", bytes(4 * total_frames))
        self.code = bytearray(total_frames)
        self.stale_code: list[int] = []
        self.shrinkers: list[Callable[[], int]] = []    # each frees what it can, returns how many frames
        self.free_frames = 0
        pfn = reserved
        while pfn < total_frames:
            order = MAX_ORDER
            while order and (pfn & ((1 << order) - 1) or pfn + (1 << order) > total_frames):
                order -= 1
            self.free_lists[order].add(pfn)
            self.free_frames += 1 << order
            pfn += 1 << order

    def alloc(self, order: int = 0) -> int:
        """Allocate 2**order contiguous frames; return the first frame number.  ENOMEM when none is left even
        after reclaim."""
        for k in range(order, MAX_ORDER + 1):
            if self.free_lists[k]:
                pfn = self.free_lists[k].pop()
                while k > order:            # split: keep the lower half, free the upper one
                    k -= 1
                    self.free_lists[k].add(pfn + (1 << k))
                self.free_frames -= 1 << order
                for f in range(pfn, pfn + (1 << order)):
                    self.refcount[f] = 1
                return pfn
        if sum(shrink() for shrink in self.shrinkers):
            return self.alloc(order)        # a shrinker that freed nothing ends the retries
        raise KernelError(errno.ENOMEM, "out of physical memory")

    def free(self, pfn: int, order: int = 0) -> None:
        """Return a block to the free lists, merging it with free buddies."""
        for f in range(pfn, pfn + (1 << order)):
            self.refcount[f] = 0
            if self.code[f]:
                self.code[f] = 0
                self.stale_code.append(f)
        self.free_frames += 1 << order
        while order < MAX_ORDER:
            buddy = pfn ^ (1 << order)
            if buddy not in self.free_lists[order]:
                break
            self.free_lists[order].remove(buddy)
            pfn &= ~(1 << order)
            order += 1
        self.free_lists[order].add(pfn)

    def get(self, pfn: int) -> None:
        """Take one more reference on an allocated frame (it is now shared)."""
        self.refcount[pfn] += 1

    def put(self, pfn: int) -> None:
        """Drop one reference; the frame is freed with the last one."""
        count = self.refcount[pfn] - 1
        if count:
            self.refcount[pfn] = count
        else:
            self.free(pfn)
