"""Physical frame allocator: Linux's binary buddy system over the frames of the RAM arena.

Free memory is kept as blocks of 2**order contiguous frames, aligned to their size, one free list per order.
Allocating order k takes a block from list k, or splits a larger one, putting the unused halves back; freeing a
block merges it with its "buddy" (the block whose frame number differs only in bit k) for as long as the buddy is
free too.  Single frames (order 0) are by far the most common request; larger orders serve contiguous needs.

As in Linux, a freed single frame first goes to a short per-CPU list (`pcp`, Linux's per_cpu_pages), and the next
single-frame allocation takes it back from there: a process that exits and a process being forked free and
allocate the same few frames, and splitting and merging buddies for each of them would be wasted work.  The list
gives its frames back to the buddy lists (merging them) when a larger block cannot be found otherwise.

Every allocated frame carries a reference count: a frame shared copy-on-write by several address spaces is freed
when its last user drops it (`put`).

When no block is left, `alloc` first asks the `shrinkers` (the page cache: clean pages nobody maps) to give frames
back, as Linux's reclaim does, and fails with ENOMEM only if that frees nothing.

Frames that were ever mapped executable are marked in `code`: the emulator keeps translated code keyed by
physical page, and host-side writes do not invalidate it, so when such a frame is freed it is queued in
`stale_code` and the kernel discards its translations before any guest code runs again (DESIGN.md §5, pitfall 6).
"""
from __future__ import annotations

import copy
import errno
import mmap
import struct
from typing import Callable

from pynix.errors import KernelError

PAGE_SHIFT = 12
PAGE_SIZE = 1 << PAGE_SHIFT
MAX_ORDER = 10                      # largest block: 2**10 frames = 4 MiB, as in Linux
PCP_HIGH = 64                       # single frames kept on the per-CPU list at most


def _lazy_table(count: int, fmt: str) -> memoryview:
    """`count` zeroed items of struct format `fmt` in an anonymous host mapping: the host allocates its pages
    when they are first written, so per-frame tables cost nothing up front, however large RAM is (an array
    would be filled at once: ~10 ms and 5 MiB for 4 GiB of RAM)."""
    return memoryview(mmap.mmap(-1, count * struct.calcsize(fmt))).cast(fmt)


class FrameAllocator:
    def __init__(self, total_frames: int, reserved: int = 1) -> None:
        """Manage frames [reserved, total_frames).  Frame 0 stays reserved so that physical address 0 is never
        handed out (it would read as "no frame" in a page-table entry)."""
        self.total_frames = total_frames
        self.free_lists: list[set[int]] = [set() for _ in range(MAX_ORDER + 1)]
        self.pcp: list[int] = []                         # freed single frames, reused last-in first-out
        self.refcount = _lazy_table(total_frames, "I")
        self.code = _lazy_table(total_frames, "B")
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

    def __deepcopy__(self, memo: dict) -> "FrameAllocator":
        """The same allocation state in tables of its own (a copy of the machine: the Python API's snapshots;
        the frames' contents are RAM's, copied by the snapshot itself)."""
        other = copy.copy(self)
        memo[id(self)] = other
        other.free_lists = [set(s) for s in self.free_lists]
        other.pcp, other.stale_code = list(self.pcp), list(self.stale_code)
        other.refcount, other.code = _lazy_table(self.total_frames, "I"), _lazy_table(self.total_frames, "B")
        other.refcount[:], other.code[:] = self.refcount, self.code
        other.shrinkers = copy.deepcopy(self.shrinkers, memo)
        return other

    def in_use(self) -> list[int]:
        """The allocated frames, in order."""
        refcount = self.refcount
        return [pfn for pfn in range(self.total_frames) if refcount[pfn]]

    def alloc(self, order: int = 0) -> int:
        """Allocate 2**order contiguous frames; return the first frame number.  ENOMEM when none is left even
        after reclaim."""
        if order == 0 and self.pcp:
            pfn = self.pcp.pop()
            self.free_frames -= 1
            self.refcount[pfn] = 1
            return pfn
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
        if self.pcp:                        # the single frames parked there may merge into a block
            self._drain_pcp()
            return self.alloc(order)
        if sum(shrink() for shrink in self.shrinkers):
            return self.alloc(order)        # a shrinker that freed nothing ends the retries
        raise KernelError(errno.ENOMEM, "out of physical memory")

    def alloc_upto(self, order: int) -> tuple[int, int]:
        """(first frame, order) of the largest block of at most 2**order contiguous frames that is free now
        without reclaiming (a single frame, reclaiming if need be, when no block is); each frame of it has its
        own reference, to be put separately.  The page cache fills runs of a file with these, so that
        consecutive pages of the file are consecutive in RAM and copy as one piece."""
        for k in range(order, 0, -1):
            if any(self.free_lists[j] for j in range(k, MAX_ORDER + 1)):
                return self.alloc(k), k
        return self.alloc(), 0

    def free(self, pfn: int, order: int = 0) -> None:
        """Return a block: a single frame to the per-CPU list while it has room, anything else to the free
        lists."""
        for f in range(pfn, pfn + (1 << order)):
            self.refcount[f] = 0
            if self.code[f]:
                self.code[f] = 0
                self.stale_code.append(f)
        self.free_frames += 1 << order
        if order == 0 and len(self.pcp) < PCP_HIGH:
            self.pcp.append(pfn)
        else:
            self._free_block(pfn, order)

    def _drain_pcp(self) -> None:
        """Move the per-CPU list's frames to the free lists (Linux's drain_all_pages)."""
        for pfn in self.pcp:
            self._free_block(pfn, 0)
        self.pcp = []

    def _free_block(self, pfn: int, order: int) -> None:
        """Put a free block on the free lists, merging it with free buddies (Linux's __free_one_page)."""
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
