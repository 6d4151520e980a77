"""Page tables in the real hardware format, stored in guest RAM frames.

The format (SV39 or x86-64 4-level) comes from `arch.page_table`; this module only knows that a table is a frame
of 512 eight-byte entries indexed by 9 bits of the virtual address per level.  Entries are read and written
through `ram.words` (RAM as 64-bit words), so the same tables could be walked by real hardware.
"""
from __future__ import annotations

from typing import Iterator

from pynix.arch import PageTableFormat
from pynix.hal import PhysicalMemory
from pynix.mm.frame_alloc import PAGE_SHIFT, PAGE_SIZE, FrameAllocator

ZERO_PAGE = bytes(PAGE_SIZE)


class PageTable:
    def __init__(self, fmt: PageTableFormat, ram: PhysicalMemory, frames: FrameAllocator) -> None:
        self.fmt = fmt
        self.ram = ram
        self.frames = frames
        self.words = ram.words
        # Shift of the index field of each level, top level first: e.g. SV39 -> (30, 21, 12).
        self.shifts = tuple(PAGE_SHIFT + 9 * i for i in reversed(range(fmt.levels)))
        self.root = self._new_table()        # physical frame number of the top-level table

    def _new_table(self) -> int:
        pfn = self.frames.alloc()
        pa = pfn << PAGE_SHIFT
        self.ram.mv[pa:pa + PAGE_SIZE] = ZERO_PAGE
        return pfn

    def leaf_slot(self, va: int) -> int:
        """Word index (into RAM) of the last-level entry for `va`, or -1 if an upper level is missing."""
        fmt, words = self.fmt, self.words
        table = self.root
        for shift in self.shifts[:-1]:
            pte = words[(table << 9) | ((va >> shift) & 511)]
            if not pte & fmt.present_bit:
                return -1
            table = (pte >> fmt.pfn_shift) & fmt.pfn_mask
        return (table << 9) | ((va >> PAGE_SHIFT) & 511)

    def ensure_slot(self, va: int) -> int:
        """Like `leaf_slot`, creating missing intermediate tables (may raise ENOMEM)."""
        fmt, words = self.fmt, self.words
        table = self.root
        for shift in self.shifts[:-1]:
            index = (table << 9) | ((va >> shift) & 511)
            pte = words[index]
            if pte & fmt.present_bit:
                table = (pte >> fmt.pfn_shift) & fmt.pfn_mask
            else:
                table = self._new_table()
                words[index] = fmt.make_table(table)
        return (table << 9) | ((va >> PAGE_SHIFT) & 511)

    def present_slots(self, start: int, end: int) -> Iterator[tuple[int, int]]:
        """Yield (va, slot) for every leaf entry in [start, end) that holds a frame (present, or kept
        non-present by PROT_NONE), skipping empty subtrees."""
        yield from self._walk(self.root, 0, start, end, 0)

    def _walk(self, table: int, level: int, start: int, end: int, base: int) -> Iterator[tuple[int, int]]:
        shift = self.shifts[level]
        span = 1 << shift
        fmt, words = self.fmt, self.words
        first = max(start - base, 0) >> shift
        last = min((end - 1 - base) >> shift, 511)
        row = table << 9
        entries = words[row + first:row + last + 1]
        used = [i for i, pte in enumerate(entries, first) if pte]    # one C-speed pass over the table
        if level == len(self.shifts) - 1:
            for i in used:
                yield base + i * span, row | i
            return
        for i in used:
            pte = words[row | i]
            if pte & fmt.present_bit:
                yield from self._walk((pte >> fmt.pfn_shift) & fmt.pfn_mask, level + 1, start, end, base + i * span)

    def destroy(self) -> None:
        """Free the table frames themselves (the caller has already dropped the leaf frames)."""
        self._free_tables(self.root, 0)

    def _free_tables(self, table: int, level: int) -> None:
        if level < len(self.shifts) - 1:
            fmt, words = self.fmt, self.words
            for pte in words[table << 9:(table + 1) << 9]:
                if pte & fmt.present_bit:
                    self._free_tables((pte >> fmt.pfn_shift) & fmt.pfn_mask, level + 1)
        self.frames.put(table)
