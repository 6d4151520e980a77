"""The page cache: file pages in RAM frames, one `PageCache` per inode (Linux's struct address_space, the inode's
`i_mapping`; named so that it is not confused with `AddressSpace`, our mm_struct).

This is the data path of every regular file: read, write, pread/pwrite, readv/writev, sendfile, copy_file_range,
mmap and exec all go through the inode's mapping, and a filesystem supplies only its side of it (Linux's
address_space_operations, methods of its Inode): `readahead` / `readpage` to fill frames from its store,
`writepages` to write a run of pages back, `write_end` to learn that a write grew the file.  tmpfs has no store
(`has_backing_store` False): its pages are the file, a hole is a page not in the cache (reads of it are zeros and
cost nothing), and the pages are charged to the superblock (`charge_pages`: tmpfs `size=`, ENOSPC) and come from
the machine's frames (ENOMEM when `--mem` is used up) -- never from host memory.  Filesystems with a store
(hostfs, FAT32) are written through: write() copies into the cached frames and hands the pages to `writepages`
at once, so the host sees every write; their cache is revalidated against the file's size and mtime on every
lookup, so changes made on the host are seen (clean pages are forgotten; pages still mapped stay with their
mappers, which keep the old contents).

A cached page is a frame from the buddy allocator holding one reference of the cache's own.  Mappings map these
very frames: a MAP_SHARED mapping writes into them (so every process mapping the file and every read() sees the
store at once), a MAP_PRIVATE one maps them read-only and copies on the first write.  Dirty pages of shared
mappings are found as Linux does it without hardware dirty bits: a shared page is mapped read-only until its
first write fault (`AddressSpace.handle_fault` marks it dirty), and `writeback` (msync, munmap, exit, fsync)
cleans it and write-protects it again in every process mapping it (page_mkclean).  Truncation drops the pages
beyond the new end and unmaps them everywhere (a later touch is SIGBUS, as in Linux).

Under memory pressure the frame allocator asks `reclaim` for clean pages of backed files that only the cache
holds.  A mapping dies with its inode and gives its frames back then.
"""
from __future__ import annotations

import copy
import errno
import weakref
from typing import TYPE_CHECKING

from pynix.errors import KernelError
from pynix.hal import PhysicalMemory
from pynix.mm.frame_alloc import PAGE_SHIFT, PAGE_SIZE, FrameAllocator
from pynix.mm.page_table import ZERO_PAGE

if TYPE_CHECKING:
    from pynix.fs.vfs import Inode, SuperBlock
    from pynix.mm.address_space import AddressSpace
    from pynix.mm.iov_iter import IovIter

READAHEAD = 16                 # pages read from the inode at once on a miss (aligned cluster), memory permitting


def _stamp(inode: "Inode") -> tuple[int, int]:
    return inode.data_stamp()


def _free_frames(frames: FrameAllocator, pages: dict[int, int],
                 charged: "weakref.ref[SuperBlock] | None") -> None:
    """A mapping died with its inode: its frames go back (and a tmpfs superblock's charge for them, if it is
    still there: it is held weakly, since through its inodes it holds the mapping itself)."""
    sb = charged() if charged is not None else None
    if sb is not None:
        sb.charge_pages(-len(pages))
    for pfn in pages.values():
        frames.put(pfn)
    pages.clear()


class PageCache:
    """The cached pages of one inode.  `inode` holds the data; `host` is the inode the file was opened as (the
    same, or the overlayfs inode over it): what /proc/pid/maps names."""

    def __init__(self, inode: "Inode", ram: PhysicalMemory, frames: FrameAllocator) -> None:
        self.inode, self.ram, self.frames = inode, ram, frames
        self.host = inode
        self.backed = inode.has_backing_store
        self.pages: dict[int, int] = {}           # page index -> frame (one reference held by the cache)
        self.dirty: set[int] = set()              # pages written through a shared mapping, not yet written back
        # Runs of pages known to sit in consecutive frames: first index -> (first frame, pages).  A hint for
        # `_runs` (one step instead of one per page), forgotten whenever any page leaves the cache.
        self.extents: dict[int, tuple[int, int]] = {}
        self.mappers: weakref.WeakSet[AddressSpace] = weakref.WeakSet()   # address spaces with VMAs of this file
        self.stamp = _stamp(inode) if self.backed else (0, 0)
        weakref.finalize(self, _free_frames, frames, self.pages, None if self.backed else weakref.ref(inode.sb))

    def __deepcopy__(self, memo: dict) -> "PageCache":
        """A copy (a copy of the machine: the Python API's snapshots) that, like this one, gives its frames
        back to its own allocator when it dies."""
        other = object.__new__(PageCache)
        memo[id(self)] = other
        for name, value in vars(self).items():
            setattr(other, name, copy.deepcopy(value, memo))
        charged = None if self.backed else weakref.ref(copy.deepcopy(self.inode.sb, memo))   # (the inode may
        weakref.finalize(other, _free_frames, other.frames, other.pages, charged)              # be half made)
        return other

    @property
    def size(self) -> int:
        return self.inode.size

    def restamp(self) -> None:
        """The file changed through us: remember its new size and mtime."""
        if self.backed:
            self.stamp = _stamp(self.inode)

    def revalidate(self) -> None:
        """If the file changed behind the cache (its size or mtime on the host), forget the clean pages."""
        if not self.backed:
            return
        stamp = _stamp(self.inode)
        if stamp == self.stamp:
            return
        self.stamp = stamp
        self.extents.clear()
        for i in [i for i in self.pages if i not in self.dirty]:
            self.frames.put(self.pages.pop(i))

    # ---------------------------------------------------------------------------------------- lookups
    def _new_frame(self) -> int:
        if not self.backed:
            self.inode.sb.charge_pages(1, self.frames.total_frames)     # tmpfs size= (ENOSPC)
            try:
                return self.frames.alloc()
            except KernelError:
                self.inode.sb.charge_pages(-1)
                raise
        return self.frames.alloc()

    def page(self, index: int, readahead: bool = True) -> int:
        """The frame holding page `index`, filled from the inode on a miss (a tmpfs page starts as zeros)."""
        pfn = self.pages.get(index)
        if pfn is not None:
            return pfn
        wanted = [index]
        if readahead and self.backed and self.frames.free_frames >= 4 * READAHEAD:
            first = index & ~(READAHEAD - 1)      # readahead only while memory is plentiful
            end = min(first + READAHEAD, (self.size + PAGE_SIZE - 1) >> PAGE_SHIFT)
            wanted = [i for i in range(first, end) if i not in self.pages]
            if index not in wanted or wanted[-1] - wanted[0] + 1 != len(wanted):
                wanted = [index]
        got = {index: self._new_frame()}          # the demanded page first: only its allocation may reclaim
        for i in wanted:
            if i != index:
                got[i] = self._new_frame()
        mv = self.ram.mv
        views = [mv[got[i] << PAGE_SHIFT:(got[i] + 1) << PAGE_SHIFT] for i in wanted]
        if not self.backed or wanted[0] << PAGE_SHIFT >= self.size:
            for view in views:
                view[:] = ZERO_PAGE
        else:
            try:
                self.inode.readahead(wanted[0], views)
            except KernelError:
                for pfn in got.values():
                    self.frames.put(pfn)
                raise
        self.pages.update(got)
        return got[index]

    def read(self, offset: int, size: int) -> bytes:
        """A kernel read: up to `size` bytes at `offset` (exec's headers, sendfile's chunks)."""
        size = min(size, self.size - offset)
        if size <= 0:
            return b""
        buf = bytearray(size)
        from pynix.mm.iov_iter import KernelIter
        self.read_iter(offset, KernelIter(buf))
        return bytes(buf)

    def _runs(self, pos: int, size: int, allocate: bool) -> list[list[int]]:
        """The RAM runs [physical address, length] holding file bytes [pos, pos+size), adjacent frames merged.
        A missing page is read in, or for a write (`allocate`) made by `_write_begin`; for a tmpfs read it is a
        hole run [-1, length].  Filling a page may reclaim an earlier one of this file, so after any fill the
        pages are looked up again."""
        end = pos + size
        first, last = pos >> PAGE_SHIFT, (end - 1) >> PAGE_SHIFT
        pages, fill = self.pages, allocate or self.backed
        while True:
            runs: list[list[int]] = []          # [first frame (-1: a hole), pages]
            get, run, prev, filled = pages.get, None, -2, False
            extents, index = self.extents, first
            while index <= last:
                extent = extents.get(index)
                if extent is not None:          # a whole run of consecutive frames at once
                    pfn, n = extent
                    n = min(n, last + 1 - index)
                    if pfn == prev + 1:
                        run[1] += n
                    else:
                        run = [pfn, n]
                        runs.append(run)
                    prev = pfn + n - 1
                    index += n
                    continue
                pfn = get(index)
                index += 1
                if pfn is None and fill:
                    filled = True
                    pfn = self._write_begin(index - 1, pos, end) if allocate else self.page(index - 1)
                if pfn is None:
                    if run is not None and run[0] < 0:
                        run[1] += 1
                    else:
                        run = [-1, 1]
                        runs.append(run)
                    prev = -2
                elif pfn == prev + 1:
                    run[1] += 1
                    prev = pfn
                else:
                    run = [pfn, 1]
                    runs.append(run)
                    prev = pfn
            if not filled:
                break
            fill = False                        # one more pass: every page is there now, unless reclaimed
            if all(get(i) is not None for i in range(first, last + 1)):
                break
            fill = allocate or self.backed
        skip = pos & (PAGE_SIZE - 1)
        out = [[-1 if pfn < 0 else pfn << PAGE_SHIFT, n << PAGE_SHIFT] for pfn, n in runs]
        if out[0][0] >= 0:
            out[0][0] += skip
        out[0][1] -= skip
        out[-1][1] -= ((last + 1) << PAGE_SHIFT) - end
        return out

    def _write_begin(self, index: int, pos: int, end: int) -> int:
        """The frame for page `index` of a write of file bytes [pos, end): read in if the write keeps part of
        its old contents, else new -- with the pages after it that the write covers wholly taken together as
        one contiguous block (they need no zeroing: the write fills them)."""
        start = index << PAGE_SHIFT
        size = self.size
        whole = start >= pos and start + PAGE_SIZE <= end
        if whole:
            count = 1
            while count < 256 and start + (count + 1) * PAGE_SIZE <= end and index + count not in self.pages:
                count += 1
            order = count.bit_length() - 1
            if not self.backed:
                self.inode.sb.charge_pages(1 << order, self.frames.total_frames)
            try:
                pfn, got = self.frames.alloc_upto(order)
            except KernelError:
                if not self.backed:
                    self.inode.sb.charge_pages(-(1 << order))
                raise
            if not self.backed and got < order:
                self.inode.sb.charge_pages((1 << got) - (1 << order))
            for i in range(1 << got):
                self.pages[index + i] = pfn + i
            if got:
                self.extents[index] = (pfn, 1 << got)
            return pfn
        if start >= size or not self.backed or (start >= pos and end >= size):
            pfn = self._new_frame()             # nothing of the old page survives the write: zeros
            self.ram.mv[pfn << PAGE_SHIFT:(pfn + 1) << PAGE_SHIFT] = ZERO_PAGE
            self.pages[index] = pfn
            return pfn
        return self.page(index, readahead=False)

    def read_iter(self, pos: int, to: "IovIter") -> int:
        """filemap_read: copy the file's bytes at `pos` into `to`; the count (short at the end of the file or at
        a fault in the buffer, EFAULT if nothing could be copied).  A tmpfs hole reads as zeros without a page
        being allocated."""
        total = self.inode.size - pos
        if to.count < total:
            total = to.count
        if total <= 0:
            return 0
        views = to.map(total)                     # the user pages first: faulting them in may reclaim
        skip = pos & (PAGE_SIZE - 1)
        if skip + total <= PAGE_SIZE:                           # within one cached page (read_4k's case)
            pfn = self.pages.get(pos >> PAGE_SHIFT)
            if pfn is not None:
                pa, mv = (pfn << PAGE_SHIFT) + skip, self.ram.mv
                done = 0
                for view in views:
                    n = len(view)
                    view[:] = mv[pa + done:pa + done + n]
                    done += n
                to.advance(done)
                return done
        total = len(views[0]) if len(views) == 1 else sum(map(len, views))
        runs = self._runs(pos, total, allocate=False)
        mv = self.ram.mv
        if len(views) == 1 and len(runs) == 1 and runs[0][0] >= 0:
            pa = runs[0][0]
            views[0][:] = mv[pa:pa + total]
        else:
            vi, off = 0, 0
            for pa, n in runs:
                while n:
                    view = views[vi]
                    k = min(len(view) - off, n)
                    view[off:off + k] = mv[pa:pa + k] if pa >= 0 else bytes(k)
                    n -= k
                    off += k
                    if pa >= 0:
                        pa += k
                    if off == len(view):
                        vi, off = vi + 1, 0
        to.advance(total)
        return total

    # ------------------------------------------------------------------------------- the write path
    def write_iter(self, pos: int, source: "IovIter") -> int:
        """generic_perform_write: copy `source` into the cached pages at `pos` (write_begin reads a page that the
        write only partly covers), then `write_end` (tmpfs grows its size) and, for a file with a store, hand
        the written pages to the filesystem at once (write-through).  Short at a fault in the buffer."""
        if not source.count:
            return 0
        views = source.map(source.count)
        total = len(views[0]) if len(views) == 1 else sum(map(len, views))
        size = self.size
        runs = self._runs(pos, total, allocate=True)
        mv = self.ram.mv
        if len(views) == 1 and len(runs) == 1:
            pa = runs[0][0]
            mv[pa:pa + total] = views[0]
        else:
            vi, off = 0, 0
            for pa, n in runs:
                while n:
                    view = views[vi]
                    k = min(len(view) - off, n)
                    mv[pa:pa + k] = view[off:off + k]
                    n -= k
                    off += k
                    pa += k
                    if off == len(view):
                        vi, off = vi + 1, 0
        source.advance(total)
        self.inode.write_end(pos, total)
        if self.backed:
            end = pos + total
            self._write_pages(pos >> PAGE_SHIFT, ((end - 1) >> PAGE_SHIFT) + 1, max(size, end))
            self.restamp()
        return total

    def _write_pages(self, first: int, last: int, size: int) -> None:
        """writepages for the cached pages [first, last) of a file `size` bytes long (runs of present pages)."""
        mv, run_start, run = self.ram.mv, first, []
        for i in range(first, last + 1):
            pfn = self.pages.get(i) if i < last else None
            n = min(PAGE_SIZE, size - (i << PAGE_SHIFT))
            if pfn is not None and n > 0:
                if not run:
                    run_start = i
                run.append(mv[pfn << PAGE_SHIFT:(pfn << PAGE_SHIFT) + n])
                continue
            if run:
                self.inode.writepages(run_start, run)
                run = []

    def truncated(self) -> None:
        """The inode was truncated (or extended): drop the pages past the new end from the cache and from every
        mapping of them (truncate_pagecache), and zero the tail of the new last page."""
        self.restamp()
        size = self.size
        keep = (size + PAGE_SIZE - 1) >> PAGE_SHIFT
        gone = [i for i in self.pages if i >= keep]
        if gone:
            self.extents.clear()
            self._unmap_from(keep)
            for i in gone:
                self.frames.put(self.pages.pop(i))
                self.dirty.discard(i)
            if not self.backed:
                self.inode.sb.charge_pages(-len(gone))
        tail = size & (PAGE_SIZE - 1)
        pfn = self.pages.get(size >> PAGE_SHIFT)
        if tail and pfn is not None:
            pa = pfn << PAGE_SHIFT
            self.ram.mv[pa + tail:pa + PAGE_SIZE] = ZERO_PAGE[tail:]

    def punch(self, start: int, end: int) -> None:
        """A hole in [start, end) of a tmpfs file: the whole pages inside leave the cache and every mapping, the
        parts of pages at the edges become zeros."""
        mv = self.ram.mv
        first, last = (start + PAGE_SIZE - 1) >> PAGE_SHIFT, end >> PAGE_SHIFT
        for pos, stop in ((start, min(end, first << PAGE_SHIFT)), (max(start, last << PAGE_SHIFT), end)):
            pfn = self.pages.get(pos >> PAGE_SHIFT)
            if pos < stop and pfn is not None:
                pa = (pfn << PAGE_SHIFT) + (pos & (PAGE_SIZE - 1))
                mv[pa:pa + stop - pos] = bytes(stop - pos)
        gone = [i for i in self.pages if first <= i < last]
        if gone:
            self.extents.clear()
            self._unmap_from(first, last)
            for i in gone:
                self.frames.put(self.pages.pop(i))
                self.dirty.discard(i)
            self.inode.sb.charge_pages(-len(gone))

    def _unmap_from(self, index: int, stop: int | None = None) -> None:
        """Zap the pages [index, stop) of this file from every mapping of it."""
        for mm in list(self.mappers):
            for vma in list(mm.vmas):
                if vma.file is self:
                    lo = max(vma.start, vma.start + (index << PAGE_SHIFT) - vma.offset)
                    hi = min(vma.end, (vma.image_end + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1))
                    if stop is not None:
                        hi = min(hi, vma.start + (stop << PAGE_SHIFT) - vma.offset)
                    if lo < hi:
                        mm.zap(lo, hi - lo)

    # ---------------------------------------------------------------------------------------- write-back
    def writeback(self, first: int = 0, last: int | None = None) -> None:
        """Write the dirty pages with index in [first, last) to the inode (only the part below the end of the
        file, as Linux), then write-protect them in every mapping so that the next store dirties them again.
        A tmpfs page has nowhere to go: it stays dirty (and mapped writable)."""
        if not self.backed:
            return
        pages = sorted(i for i in self.dirty if i >= first and (last is None or i < last))
        if not pages:
            return
        size, mv = self.size, self.ram.mv
        for i in pages:
            n = min(PAGE_SIZE, size - (i << PAGE_SHIFT))
            if n > 0:
                pa = self.pages[i] << PAGE_SHIFT
                self.inode.writepages(i, [mv[pa:pa + n]])
            self.dirty.discard(i)
        self.restamp()
        for mm in list(self.mappers):
            mm.write_protect_file(self, pages)

    # ---------------------------------------------------------------------------------------------- reclaim
    def reclaim(self) -> int:
        """Drop the clean pages of a backed file that nobody maps; return how many frames were freed."""
        if not self.backed:
            return 0
        refcount = self.frames.refcount
        idle = [i for i, pfn in self.pages.items() if refcount[pfn] == 1 and i not in self.dirty]
        if idle:
            self.extents.clear()
        for i in idle:
            self.frames.put(self.pages.pop(i))
        return len(idle)

    @property
    def resident_pages(self) -> int:
        return len(self.pages)


# ------------------------------------------------------------------------------------------ the machine's memory
# Which RAM and frame allocator new mappings take their frames from: the machine's, made known by its first
# address space (Linux has one page allocator; a process may build several machines only in unit tests).
_machine: list[tuple[PhysicalMemory, FrameAllocator]] = []
_by_allocator: "weakref.WeakKeyDictionary[FrameAllocator, weakref.WeakSet[PageCache]]" = weakref.WeakKeyDictionary()


def bind_memory(ram: PhysicalMemory, frames: FrameAllocator) -> None:
    if not _machine or _machine[0][1] is not frames:
        _machine[:] = [(ram, frames)]


def machine_frames() -> int:
    """How many page frames the bound machine has: tmpfs's default size (statfs f_blocks) is half of them."""
    return _machine[0][1].total_frames if _machine else 0


def page_cache(inode: "Inode", ram: PhysicalMemory | None = None,
               frames: FrameAllocator | None = None) -> PageCache:
    """The inode's mapping (its data inode's, under overlayfs), created on first use and revalidated against
    the file's size and mtime.  `ram`/`frames`: the memory of the caller's machine (default: the bound one)."""
    host, inode = inode, inode.data_inode
    cache = inode.mapping
    if cache is not None and (frames is None or cache.frames is frames):
        if cache.host is not host:
            cache.host = host
        if cache.backed:
            cache.revalidate()
        return cache
    if frames is None:
        if not _machine:
            raise KernelError(errno.ENOMEM, "no machine memory for the page cache")
        ram, frames = _machine[0]
    assert ram is not None
    cache = inode.mapping = PageCache(inode, ram, frames)
    cache.host = host
    owned = _by_allocator.get(frames)
    if owned is None:
        owned = _by_allocator[frames] = weakref.WeakSet()
        frames.shrinkers.append(lambda: sum(c.reclaim() for c in list(owned)))
    owned.add(cache)
    return cache


def sync_inode(inode: "Inode") -> None:
    """fsync: write back the dirty pages of the inode's mapping, if it has one."""
    cache = inode.data_inode.mapping
    if cache is not None:
        cache.writeback()
