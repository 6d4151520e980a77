"""The page cache: file pages in RAM frames, one `PageCache` per inode (Linux's struct address_space; named so
that it is not confused with `AddressSpace`, our mm_struct).

A cached page is a frame from the buddy allocator holding one reference of the cache's own.  Mappings map these
very frames: a MAP_SHARED mapping writes into them (so every process mapping the file and every read() sees the
store at once), a MAP_PRIVATE one maps them read-only and copies on the first write.  Pages are filled on demand
from `inode.read_at` (with a little readahead), and written back to the inode by `writeback` (msync, munmap, exit,
exec, fsync).  Dirty pages are found as Linux does it without hardware dirty bits: a shared page is mapped
read-only until its first write fault (`AddressSpace.handle_fault` marks it dirty), and cleaning it write-protects
it again in every process mapping it (page_mkclean).

read()/write() on a file whose inode has a cache go through it (fs/file_ops.py), truncate drops the pages beyond
the new end and unmaps them everywhere (a later touch is SIGBUS, as in Linux).  A cache notices a file changed
behind its back (another host process, on hostfs) by its size and mtime when it is looked up for mmap or exec, and
then forgets its clean pages (pages still mapped stay with their mappers: those keep the old contents).

Under memory pressure the frame allocator asks `reclaim` for clean pages that only the cache holds.
"""
from __future__ import annotations

import weakref
from typing import TYPE_CHECKING

from pynix.hal import PhysicalMemory
from pynix.mm.frame_alloc import PAGE_SHIFT, PAGE_SIZE, FrameAllocator
from pynix.mm.page_table import ZERO_PAGE

if TYPE_CHECKING:
    from pynix.fs.vfs import Inode, SuperBlock
    from pynix.mm.address_space import AddressSpace

READAHEAD = 16                 # pages read from the inode at once on a miss (aligned cluster), memory permitting


def _stamp(inode: "Inode") -> tuple[int, int]:
    info = inode.stat()
    return info["size"], info["mtime"] * 10**9 + info["mtime_nsec"]


class PageCache:
    """The cached pages of one inode."""

    def __init__(self, inode: "Inode", ram: PhysicalMemory, frames: FrameAllocator) -> None:
        self.inode, self.ram, self.frames = inode, ram, frames
        self.pages: dict[int, int] = {}           # page index -> frame (one reference held by the cache)
        self.dirty: set[int] = set()              # pages written through a shared mapping, not yet written back
        self.mappers: weakref.WeakSet[AddressSpace] = weakref.WeakSet()   # address spaces with VMAs of this file
        self.size, self.stamp = 0, (-1, -1)
        self.restamp()

    def restamp(self) -> None:
        """The inode changed through us: remember its new size and mtime."""
        self.stamp = _stamp(self.inode)
        self.size = self.stamp[0]

    # ---------------------------------------------------------------------------------------- lookups
    def page(self, index: int) -> int:
        """The frame holding page `index` (filled from the inode on a miss; bytes past the end are zero)."""
        pfn = self.pages.get(index)
        if pfn is not None:
            return pfn
        wanted = [index]
        if self.frames.free_frames >= 4 * READAHEAD:       # readahead only while memory is plentiful
            first = index & ~(READAHEAD - 1)
            end = min(first + READAHEAD, (self.size + PAGE_SIZE - 1) >> PAGE_SHIFT)
            wanted = [i for i in range(first, end) if i not in self.pages]
            if index not in wanted:
                wanted = [index]
        got = {index: self.frames.alloc()}      # the demanded page first: only its allocation may reclaim
        for i in wanted:
            if i != index:
                got[i] = self.frames.alloc()
        base = wanted[0] << PAGE_SHIFT
        data = self.inode.read_at(base, (wanted[-1] + 1 - wanted[0]) << PAGE_SHIFT) if base < self.size else b""
        mv = self.ram.mv
        for i, frame in got.items():
            chunk = data[(i << PAGE_SHIFT) - base:((i + 1) << PAGE_SHIFT) - base]
            pa = frame << PAGE_SHIFT
            mv[pa:pa + len(chunk)] = chunk
            mv[pa + len(chunk):pa + PAGE_SIZE] = ZERO_PAGE[len(chunk):]
            self.pages[i] = frame
        return self.pages[index]

    def read(self, offset: int, size: int) -> bytes:
        """read(): up to `size` bytes at `offset`, from the cached frames (filled as needed)."""
        size = min(size, self.size - offset)
        if size <= 0:
            return b""
        mv, out = self.ram.mv, []
        while size > 0:
            index, skip = offset >> PAGE_SHIFT, offset & (PAGE_SIZE - 1)
            n = min(size, PAGE_SIZE - skip)
            pa = (self.page(index) << PAGE_SHIFT) + skip
            out.append(mv[pa:pa + n])
            offset += n
            size -= n
        return b"".join(out)

    def read_into(self, offset: int, views: list[memoryview]) -> int:
        """read() into user memory: copy from the cached frames into `views`; return the count."""
        mv, done = self.ram.mv, 0
        for view in views:
            filled = 0
            while filled < len(view):
                pos = offset + done
                n = min(len(view) - filled, PAGE_SIZE - (pos & (PAGE_SIZE - 1)), self.size - pos)
                if n <= 0:
                    return done
                pa = (self.page(pos >> PAGE_SHIFT) << PAGE_SHIFT) + (pos & (PAGE_SIZE - 1))
                view[filled:filled + n] = mv[pa:pa + n]
                filled += n
                done += n
        return done

    # ------------------------------------------------------------------------------- the write path
    def wrote(self, offset: int, data: bytes | memoryview) -> None:
        """The file path wrote `data` at `offset` to the inode: update the cached frames over that range."""
        mv, done = self.ram.mv, 0
        while done < len(data):
            pos = offset + done
            index, skip = pos >> PAGE_SHIFT, pos & (PAGE_SIZE - 1)
            n = min(len(data) - done, PAGE_SIZE - skip)
            pfn = self.pages.get(index)
            if pfn is not None:
                pa = (pfn << PAGE_SHIFT) + skip
                mv[pa:pa + n] = data[done:done + n]
            done += n
        self.restamp()

    def truncated(self) -> None:
        """The inode was truncated (or extended): drop the pages past the new end from the cache and from every
        mapping of them (truncate_pagecache), and zero the tail of the new last page."""
        self.restamp()
        keep = (self.size + PAGE_SIZE - 1) >> PAGE_SHIFT
        gone = [i for i in self.pages if i >= keep]
        if gone:
            self._unmap_from(keep)
            for i in gone:
                self.frames.put(self.pages.pop(i))
                self.dirty.discard(i)
        tail = self.size & (PAGE_SIZE - 1)
        pfn = self.pages.get(self.size >> PAGE_SHIFT)
        if tail and pfn is not None:
            pa = pfn << PAGE_SHIFT
            self.ram.mv[pa + tail:pa + PAGE_SIZE] = ZERO_PAGE[tail:]

    def _unmap_from(self, index: int) -> None:
        for mm in list(self.mappers):
            for vma in list(mm.vmas):
                if vma.file is self:
                    lo = max(vma.start, vma.start + (index << PAGE_SHIFT) - vma.offset)
                    hi = min(vma.end, (vma.image_end + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1))
                    if lo < hi:
                        mm.zap(lo, hi - lo)

    def revalidate(self) -> None:
        """Lookup for mmap/exec: if the file changed behind the cache (size or mtime), forget the clean pages."""
        stamp = _stamp(self.inode)
        if stamp == self.stamp:
            return
        self.stamp, self.size = stamp, stamp[0]
        if not self.dirty:
            for pfn in self.pages.values():
                self.frames.put(pfn)
            self.pages.clear()

    # ---------------------------------------------------------------------------------------- write-back
    def writeback(self, first: int = 0, last: int | None = None) -> None:
        """Write the dirty pages with index in [first, last) to the inode (only the part below the end of the
        file, as Linux), then write-protect them in every mapping so that the next store dirties them again."""
        pages = sorted(i for i in self.dirty if i >= first and (last is None or i < last))
        if not pages:
            return
        mv = self.ram.mv
        for i in pages:
            n = min(PAGE_SIZE, self.size - (i << PAGE_SHIFT))
            if n > 0:
                pa = self.pages[i] << PAGE_SHIFT
                self.inode.write_at(i << PAGE_SHIFT, mv[pa:pa + n])
            self.dirty.discard(i)
        self.restamp()
        for mm in list(self.mappers):
            mm.write_protect_file(self, pages)

    # ---------------------------------------------------------------------------------------------- reclaim
    def reclaim(self) -> int:
        """Drop the clean pages nobody maps; return how many frames were freed."""
        refcount = self.frames.refcount
        idle = [i for i, pfn in self.pages.items() if refcount[pfn] == 1 and i not in self.dirty]
        for i in idle:
            self.frames.put(self.pages.pop(i))
        return len(idle)


# ------------------------------------------------------------------------------------------------ registry
# Caches are found by (superblock, inode number): filesystems may hand out several Inode objects for one file
# (hostfs builds one per lookup).  A superblock that goes away takes its caches with it.
_registry: "weakref.WeakKeyDictionary[SuperBlock, dict[int, PageCache]]" = weakref.WeakKeyDictionary()
_by_allocator: "weakref.WeakKeyDictionary[FrameAllocator, list[PageCache]]" = weakref.WeakKeyDictionary()


def find_page_cache(inode: "Inode") -> PageCache | None:
    """The inode's cache if it has one (the read/write paths use it only then)."""
    caches = _registry.get(inode.sb)
    return caches.get(inode.ino) if caches else None


def page_cache(inode: "Inode", ram: PhysicalMemory, frames: FrameAllocator) -> PageCache:
    """The inode's cache, created on first use (mmap, exec) and revalidated against the inode's size/mtime."""
    caches = _registry.setdefault(inode.sb, {})
    cache = caches.get(inode.ino)
    if cache is not None and cache.frames is frames:
        cache.revalidate()
        return cache
    cache = caches[inode.ino] = PageCache(inode, ram, frames)
    owned = _by_allocator.get(frames)
    if owned is None:
        owned = _by_allocator[frames] = []
        frames.shrinkers.append(lambda: sum(c.reclaim() for c in owned))
    owned.append(cache)
    return cache


def sync_inode(inode: "Inode") -> None:
    """fsync: write back the dirty pages of the inode's cache, if any."""
    cache = find_page_cache(inode)
    if cache is not None:
        cache.writeback()


def file_written(inode: "Inode", offset: int, data: bytes | memoryview) -> None:
    """The write path wrote `data` at `offset` to `inode`: keep its cache (if any) coherent."""
    cache = find_page_cache(inode)
    if cache is not None:
        cache.wrote(offset, data)


def file_truncated(inode: "Inode") -> None:
    """The inode's size was set by truncate/ftruncate/O_TRUNC/fallocate: keep its cache (if any) coherent."""
    cache = find_page_cache(inode)
    if cache is not None:
        cache.truncated()

