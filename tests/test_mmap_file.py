"""File mappings over the page cache (mm/page_cache.py): MAP_SHARED stores seen by other processes, by read() and,
after msync/munmap, by the file; MAP_PRIVATE copy-on-write; SIGBUS past the end of the file; mremap, mincore,
msync, madvise(MADV_DONTNEED) -- differential against native x86_64 and qemu-riscv64.  Unit tests below check what
the output cannot show: read-only file pages are the cache's frames, shared by every mapper; dirty tracking by
write faults; reclaim of clean pages under memory pressure."""
from __future__ import annotations

import errno
import os
import sys
import tempfile
from pathlib import Path

import pytest

from harness import assert_same, assert_same_as_native

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pynix.arch import arch_by_name  # noqa: E402
from pynix.errors import KernelError  # noqa: E402
from pynix.fs.file_ops import read_file, truncate_file, write_file  # noqa: E402
from pynix.fs.hostfs import HostfsSuperBlock  # noqa: E402
from pynix.hal import ACCESS_READ, ACCESS_WRITE, PhysicalMemory  # noqa: E402
from pynix.mm.address_space import PROT_EXEC, PROT_READ, PROT_WRITE, AddressSpace  # noqa: E402
from pynix.mm.frame_alloc import PAGE_SHIFT, PAGE_SIZE, FrameAllocator  # noqa: E402
from pynix.mm.page_cache import page_cache  # noqa: E402

BASE = 0x10000000


def test_mmap_shared(guest):
    got, _ = assert_same(guest("mmap_shared.c"))
    assert b"FAIL" not in got.stdout
    assert b"read() after a store: [STORE]" in got.stdout and b"file after msync: 6 [SYNCED]" in got.stdout
    assert b"read one page past the end: killed by signal 7" in got.stdout


def test_mremap_mincore_msync(target):
    """The reference is the native x86_64 run for every target: qemu-riscv64's own mremap refuses a zero new or
    old size with ENOMEM where Linux says EINVAL (and cannot duplicate a shared mapping); the output is
    ISA-independent."""
    out = assert_same_as_native("mremap.c", target)
    assert b"FAIL" not in out
    assert b"grow in place into free pages: ok, moved=0" in out and b"file after munmap: [YX]" in out


# ------------------------------------------------------------------------------------------------ unit tests
def _machine(mem: int = 8 << 20):
    """RAM, frames and a file with a store of its own (a hostfs file in a fresh host directory): its page cache
    holds copies that writeback and reclaim act on (a tmpfs file's pages are its only copy)."""
    ram = PhysicalMemory(mem)
    frames = FrameAllocator(mem >> PAGE_SHIFT)
    sb = HostfsSuperBlock(tempfile.mkdtemp(prefix="pynix-mmap-"), readonly=False)
    inode = sb.root.create(b"file", 0o644, os.getuid(), os.getgid())
    return ram, frames, inode


def _space(ram, frames) -> AddressSpace:
    return AddressSpace(arch_by_name("x86_64"), ram, frames)


def _pfn(mm: AddressSpace, va: int, access: int = ACCESS_READ) -> int:
    return mm.translate(va, access) >> PAGE_SHIFT


def test_private_read_only_pages_are_the_cache_frames():
    ram, frames, inode = _machine()
    inode.write_at(0, b"T" * (3 * PAGE_SIZE))
    cache = page_cache(inode, ram, frames)
    one, two = _space(ram, frames), _space(ram, frames)
    for mm in (one, two):
        mm.map(BASE, 3 * PAGE_SIZE, PROT_READ | PROT_EXEC, file=cache, image_end=BASE + 3 * PAGE_SIZE)
    assert _pfn(one, BASE) == _pfn(two, BASE) == cache.pages[0]     # text is shared, not copied
    # a writable private mapping copies on the first store and leaves the cache alone
    one.map(BASE, 3 * PAGE_SIZE, PROT_READ | PROT_WRITE, file=cache, image_end=BASE + 3 * PAGE_SIZE)
    assert _pfn(one, BASE + PAGE_SIZE) == cache.pages[1]
    ram.mv[one.translate(BASE + PAGE_SIZE, ACCESS_WRITE)] = ord("P")
    assert _pfn(one, BASE + PAGE_SIZE) != cache.pages[1]
    assert read_file(inode, PAGE_SIZE, 1) == b"T"
    # a segment with .bss: the file part ends mid-page, the rest of that page is zero in a private copy
    two.map(BASE, 2 * PAGE_SIZE, PROT_READ, file=cache, image_end=BASE + 100)
    pa = two.translate(BASE, ACCESS_READ)
    assert bytes(ram.mv[pa:pa + 101]) == b"T" * 100 + b"\0" and pa >> PAGE_SHIFT != cache.pages[0]
    assert bytes(ram.mv[two.translate(BASE + PAGE_SIZE, ACCESS_READ):][:8]) == bytes(8)


def test_shared_pages_are_dirtied_by_write_faults_and_cleaned_by_writeback():
    ram, frames, inode = _machine()
    inode.write_at(0, b"a" * PAGE_SIZE)
    cache = page_cache(inode, ram, frames)
    mm = _space(ram, frames)
    mm.map(BASE, PAGE_SIZE, PROT_READ | PROT_WRITE, shared=True, file=cache, image_end=BASE + PAGE_SIZE)
    mm.translate(BASE, ACCESS_READ)
    assert mm.tlb_fill(BASE, ACCESS_READ) & PROT_WRITE == 0 and not cache.dirty   # read-only until stored to
    ram.mv[mm.translate(BASE, ACCESS_WRITE)] = ord("S")
    assert cache.dirty == {0} and mm.tlb_fill(BASE, ACCESS_WRITE) & PROT_WRITE
    assert read_file(inode, 0, 2) == b"Sa" and inode.read_at(0, 2) == b"aa"        # read() sees the frame
    cache.writeback()
    assert inode.read_at(0, 2) == b"Sa" and not cache.dirty
    assert mm.tlb_fill(BASE, ACCESS_READ) & PROT_WRITE == 0                         # write-protected again
    write_file(inode, 1, b"W")
    assert bytes(ram.mv[mm.translate(BASE, ACCESS_READ):][:2]) == b"SW"             # write() reaches the mapping
    truncate_file(inode, 0)
    with pytest.raises(KernelError) as err:
        mm.translate(BASE, ACCESS_READ)
    assert err.value.errno == errno.EFAULT and mm.bus_error(BASE)


def test_clean_unmapped_pages_are_reclaimed_under_pressure():
    ram, frames, inode = _machine(4 << 20)
    inode.write_at(0, b"x" * (2 << 20))
    cache = page_cache(inode, ram, frames)
    mm = _space(ram, frames)
    mm.map(BASE, PAGE_SIZE, PROT_READ, file=cache, image_end=BASE + PAGE_SIZE)
    mapped = _pfn(mm, BASE)
    assert read_file(inode, 0, 2 << 20) == b"x" * (2 << 20)            # the whole file is in the cache now
    assert len(cache.pages) == 512
    taken = [frames.alloc() for _ in range(frames.free_frames + 400)]   # more than is free: reclaim, no ENOMEM
    assert len(taken) == len(set(taken)) and cache.pages.get(0) == mapped  # a mapped page stays
    assert len(cache.pages) < 512 - 300
    with pytest.raises(KernelError) as err:
        while True:
            taken.append(frames.alloc())
    assert err.value.errno == errno.ENOMEM


def test_mlock(target):
    """mlock/mlock2/munlock/mlockall: argument rules, RLIMIT_MEMLOCK, VmLck, locks not inherited by fork.
    Native Linux is the reference for every target (under qemu-user, VmLck is the emulator's own)."""
    out = assert_same_as_native("mlock.c", target)
    assert b"VmLck: 12 kB" in out and b"child VmLck: 0 kB" in out
