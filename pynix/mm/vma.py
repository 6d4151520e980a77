"""Virtual memory areas (Linux's vm_area_struct, include/linux/mm_types.h) and the shared anonymous memory
behind MAP_SHARED (Linux's shmem object): what a range of an address space may map, split and copied as the
VMA list of address_space.py changes (mmap, munmap, mprotect, mremap, fork).
"""
from __future__ import annotations

from dataclasses import dataclass

from pynix.errors import KernelError
from pynix.hal import PhysicalMemory
from pynix.mm.frame_alloc import PAGE_SHIFT, FrameAllocator
from pynix.mm.mempolicy import MemPolicy
from pynix.mm.page_cache import PageCache
from pynix.mm.page_table import ZERO_PAGE


class SharedMemory:
    """The pages of a MAP_SHARED anonymous mapping (Linux's shmem object): every VMA mapping it, in any process,
    maps the same frames, so a write through one is seen through all of them.  Pages are created on first touch
    and live while any VMA refers to the object."""

    def __init__(self, frames: FrameAllocator, ram: PhysicalMemory) -> None:
        self.frames, self.ram = frames, ram
        self.pages: dict[int, int] = {}       # page index -> frame (holding one reference of its own)
        self.users = 1                        # VMAs referring to this object

    def page(self, index: int) -> int:
        pfn = self.pages.get(index)
        if pfn is None:
            pfn = self.pages[index] = self.frames.alloc()
            self.ram.mv[pfn << PAGE_SHIFT:(pfn + 1) << PAGE_SHIFT] = ZERO_PAGE
        return pfn

    def put(self) -> None:
        self.users -= 1
        if self.users == 0:
            for pfn in self.pages.values():
                self.frames.put(pfn)
            self.pages.clear()


@dataclass
class VmArea:
    """A contiguous range [start, end) of user addresses with one protection and one backing.

    `file`, if set, backs the area with a file's page cache: byte `va` of the area is byte `offset + va - start`
    of the file for va < `image_end`, zero above it (the .bss part of an ELF segment; `image_end` is `end` for
    mmap); a page wholly past the end of the file is SIGBUS.  `image` does the same with bytes of the kernel's
    own (the signal trampoline).  Otherwise the area is anonymous (zero-filled on first touch)."""
    start: int
    end: int
    prot: int
    shared: bool = False
    name: str = ""                       # "[heap]", "[stack]", or a file path, as /proc/pid/maps shows
    image: bytes | None = None
    offset: int = 0
    image_end: int = 0
    shmem: SharedMemory | None = None
    file: PageCache | None = None
    may_write: bool = True               # False for a shared mapping of a file not open for writing (VM_MAYWRITE)
    locked: bool = False                 # VM_LOCKED (mlock): counted as VmLck; nothing is ever swapped out here
    accounted: bool = False              # VM_ACCOUNT: private and writable at some time (commit-charged)
    dontfork: bool = False               # VM_DONTCOPY (MADV_DONTFORK): a forked child does not get the area
    wipeonfork: bool = False             # VM_WIPEONFORK (MADV_WIPEONFORK): a forked child gets it empty (zeros)
    growsdown: bool = False              # VM_GROWSDOWN (MAP_GROWSDOWN): a fault just below extends it downwards
    mempolicy: "MemPolicy | None" = None  # mbind's NUMA policy (mm/mempolicy.py); None: the default

    @property
    def backing(self) -> PageCache | bytes | None:
        return self.file if self.file is not None else self.image

    def split(self, at: int) -> "VmArea":
        """Cut this area at `at`: keep [start, at), return [at, end)."""
        upper = self.copy()
        upper.start, upper.offset = at, self.offset + (at - self.start)
        self.end = at
        return upper

    def copy(self) -> "VmArea":
        """Another VMA over the same backing (for split and fork)."""
        if self.shmem is not None:
            self.shmem.users += 1
        twin = VmArea.__new__(VmArea)               # a field-for-field copy (dataclasses.replace re-runs
        twin.__dict__.update(self.__dict__)         # __init__ and costs ~10x more; fork copies every VMA)
        return twin

    def release(self) -> None:
        """This VMA is going away (munmap, exit, exec): a shared file mapping writes its dirty pages back."""
        if self.shmem is not None:
            self.shmem.put()
        if self.file is not None and self.shared:
            try:
                self.file.writeback(*self.file_pages(self.start, self.end))
            except KernelError:
                pass                              # the error is lost, as for a failed write-back in Linux

    def file_pages(self, start: int, end: int) -> tuple[int, int]:
        """The page indexes [first, last) of the file behind [start, end) of this area."""
        return (self.offset + start - self.start) >> PAGE_SHIFT, (self.offset + end - self.start) >> PAGE_SHIFT
