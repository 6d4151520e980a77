"""Page tables in the real hardware format, stored in guest RAM frames.

The format (SV39 or x86-64 4-level) comes from `arch.page_table`; this module only knows that a table is a frame
of 512 eight-byte entries indexed by 9 bits of the virtual address per level.  Entries are read and written
through `ram.words` (RAM as 64-bit words), so the same tables could be walked by real hardware.
"""
from __future__ import annotations

import bisect

from pynix.arch import PageTableFormat
from pynix.hal import PhysicalMemory
from pynix.mm.frame_alloc import PAGE_SHIFT, PAGE_SIZE, FrameAllocator

ZERO_PAGE = bytes(PAGE_SIZE)
LEAF_SHIFT = PAGE_SHIFT + 9                  # a last-level table maps 512 pages: 2 MiB


class PageTable:
    """The tables themselves, plus kernel-side indexes over them (Linux keeps the like in struct page):
    every table frame (`tables`, so teardown frees them without walking), the last-level table of every
    2 MiB region that has one (`leaves`, so finding a page's entry is one dictionary lookup rather than a
    walk from the root, and a range scan visits only tables that exist), and the lowest and highest entry
    ever handed out in each of those tables (`spans`, so a scan skips the unused rest of a table: a stack's
    table, say, is used only at its top)."""

    def __init__(self, fmt: PageTableFormat, ram: PhysicalMemory, frames: FrameAllocator) -> None:
        self.fmt = fmt
        self.ram = ram
        self.frames = frames
        self.words = ram.words
        # Shift of the index field of each level, top level first: e.g. SV39 -> (30, 21, 12).
        self.shifts = tuple(range(PAGE_SHIFT + 9 * (fmt.levels - 1), PAGE_SHIFT - 1, -9))
        self.tables: list[int] = []
        self.leaves: dict[int, int] = {}     # va >> LEAF_SHIFT -> frame of the last-level table covering it
        self.regions: list[int] = []         # the keys of `leaves`, sorted
        self.spans: dict[int, list[int]] = {}   # the same keys -> [lowest, highest] entry index handed out
        self.root = self._new_table()        # physical frame number of the top-level table

    def _new_table(self) -> int:
        pfn = self.frames.alloc()
        pa = pfn << PAGE_SHIFT
        self.ram.mv[pa:pa + PAGE_SIZE] = ZERO_PAGE
        self.tables.append(pfn)
        return pfn

    def leaf_slot(self, va: int) -> int:
        """Word index (into RAM) of the last-level entry for `va`, or -1 if no table covers it yet."""
        table = self.leaves.get(va >> LEAF_SHIFT)
        return -1 if table is None else (table << 9) | ((va >> PAGE_SHIFT) & 511)

    def ensure_slot(self, va: int) -> int:
        """Like `leaf_slot`, creating missing tables on the way down from the root (may raise ENOMEM)."""
        region, index = va >> LEAF_SHIFT, (va >> PAGE_SHIFT) & 511
        table = self.leaves.get(region)
        if table is None:
            table = self._new_leaf(region, [index, index])
        else:
            span = self.spans[region]
            if index < span[0]:
                span[0] = index
            elif index > span[1]:
                span[1] = index
        return (table << 9) | index

    def _new_leaf(self, region: int, span: list[int]) -> int:
        """Create the last-level table of `region` and the tables above it that are missing; return its frame."""
        fmt, words = self.fmt, self.words
        va, table = region << LEAF_SHIFT, self.root
        for shift in self.shifts[:-1]:
            slot = (table << 9) | ((va >> shift) & 511)
            pte = words[slot]
            if pte & fmt.present_bit:
                table = (pte >> fmt.pfn_shift) & fmt.pfn_mask
            else:
                table = self._new_table()
                words[slot] = fmt.make_table(table)
        self.leaves[region] = table
        self.spans[region] = span
        bisect.insort(self.regions, region)
        return table

    def copy_leaves(self, parent: "PageTable") -> None:
        """fork: give this (new, empty) page table a copy of every last-level table of `parent`, entries and
        all (the caller has already taken the references the copied entries hold)."""
        mv = self.ram.mv
        for region, table in parent.leaves.items():
            copy = self._new_leaf(region, list(parent.spans[region])) << PAGE_SHIFT
            mv[copy:copy + PAGE_SIZE] = mv[table << PAGE_SHIFT:(table + 1) << PAGE_SHIFT]

    def leaf_runs(self, start: int, end: int) -> list[tuple[int, int, int, int]]:
        """(va of the table's first page, word index of its first entry, first, last) for every last-level
        table with entries in [start, end): entries first..last (inclusive) of it cover the used part of the
        range, trimmed of empty entries at both ends.  Bulk work (fork, teardown) handles such a run with
        slices of `words` instead of one Python step per page."""
        runs: list[tuple[int, int, int, int]] = []
        if end <= start:
            return runs
        regions, spans, mv = self.regions, self.spans, self.ram.mv
        lo = bisect.bisect_left(regions, start >> LEAF_SHIFT)
        hi = bisect.bisect_right(regions, (end - 1) >> LEAF_SHIFT)
        for region in regions[lo:hi]:
            row = self.leaves[region] << 9
            base = region << LEAF_SHIFT
            low, high = spans[region]
            first = max((start - base) >> PAGE_SHIFT, low)
            last = min((end - 1 - base) >> PAGE_SHIFT, high)
            if first > last:
                continue
            # Skip the entries emptied since (munmap) at both ends at C speed: the entries as one integer,
            # whose lowest and highest set bits bound the used ones.
            used = int.from_bytes(mv[(row + first) << 3:(row + last + 1) << 3], "little")
            if not used:
                continue
            last = first + (used.bit_length() - 1 >> 6)
            first += ((used & -used).bit_length() - 1) >> 6
            runs.append((base, row, first, last))
        return runs

    def present_slots(self, start: int, end: int) -> list[tuple[int, int]]:
        """(va, slot) of every leaf entry in [start, end) that holds a frame (present, or kept non-present by
        PROT_NONE), in address order.  A list rather than a generator: callers change the entries as they go,
        and a comprehension costs a third of what resuming a generator for each entry does."""
        found: list[tuple[int, int]] = []
        words = self.words
        for base, row, first, last in self.leaf_runs(start, end):
            found += [(base + (i << PAGE_SHIFT), row | i)
                      for i, pte in enumerate(words[row + first:row + last + 1], first) if pte]
        return found

    def destroy(self) -> None:
        """Free the table frames themselves (the caller has already dropped the leaf frames)."""
        for table in self.tables:
            self.frames.put(table)
        self.tables, self.leaves, self.regions, self.spans = [], {}, [], {}
