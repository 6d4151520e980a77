"""Page tables and address spaces on their own: the scan of used entries (present_slots) across the tables'
used spans, after munmap, and through fork's copy-on-write sharing."""
from __future__ import annotations

import pytest

from pynix.arch import arch_by_name
from pynix.hal import ACCESS_READ, ACCESS_WRITE, PhysicalMemory
from pynix.mm.address_space import AddressSpace
from pynix.mm.frame_alloc import PAGE_SHIFT, PAGE_SIZE, FrameAllocator
from pynix.mm.uaccess import copy_from_user, copy_to_user

REGION = 0x40000000                       # a 2 MiB-aligned region: one last-level table covers it


@pytest.fixture(params=["x86_64", "riscv64"])
def mm(request):
    ram = PhysicalMemory(8 << 20)
    space = AddressSpace(arch_by_name(request.param), ram, FrameAllocator((8 << 20) >> PAGE_SHIFT))
    yield space
    space.destroy()


def present(space: AddressSpace) -> list[int]:
    return [va for va, _slot in space.page_table.present_slots(0, space.arch.task_size)]


def test_used_entries_at_both_ends_of_a_table_and_after_munmap(mm):
    mm.map(REGION, 512 * PAGE_SIZE, 3)
    ends = [REGION, REGION + 511 * PAGE_SIZE, REGION + 200 * PAGE_SIZE]
    for va in ends:
        mm.translate(va, ACCESS_WRITE)                  # demand-zero: the page gets its entry
    assert present(mm) == sorted(ends)
    mm.unmap(REGION + 511 * PAGE_SIZE, PAGE_SIZE)       # the highest entry is cleared again
    mm.unmap(REGION, PAGE_SIZE)                          # and the lowest
    assert present(mm) == [REGION + 200 * PAGE_SIZE]
    mm.translate(REGION + 300 * PAGE_SIZE, ACCESS_WRITE)
    assert present(mm) == [REGION + 200 * PAGE_SIZE, REGION + 300 * PAGE_SIZE]


def test_fork_shares_pages_copy_on_write(mm):
    mm.map(REGION, 4 * PAGE_SIZE, 3)
    copy_to_user(mm, REGION + 8, b"parent")
    mm.translate(REGION + 3 * PAGE_SIZE, ACCESS_READ)
    child = mm.fork()
    try:
        assert present(child) == present(mm) == [REGION, REGION + 3 * PAGE_SIZE]
        assert copy_from_user(child, REGION + 8, 6) == b"parent"
        copy_to_user(child, REGION + 8, b"child!")      # the child's first store copies the page
        assert copy_from_user(mm, REGION + 8, 6) == b"parent"
        assert copy_from_user(child, REGION + 8, 6) == b"child!"
        copy_to_user(mm, REGION + 8, b"again!")         # the parent's own store: the frame is its own now
        assert copy_from_user(child, REGION + 8, 6) == b"child!"
    finally:
        child.destroy()


def test_fork_marks_every_private_entry_of_a_table_copy_on_write(mm):
    """fork rewrites a table's entries all at once: each private entry in use -- writable, read-only or kept
    by PROT_NONE -- gets the cow mark and loses its write permission, empty entries stay empty, and every
    frame gets the child's reference.  A shared mapping's entries stay as they were."""
    fmt, words = mm.fmt, mm.ram.words
    mm.map(REGION, 512 * PAGE_SIZE, 3)
    touched = [0, 1, 2, 7, 100, 101, 300, 510, 511]
    for i in touched:
        mm.translate(REGION + i * PAGE_SIZE, ACCESS_WRITE)
    mm.protect(REGION + 100 * PAGE_SIZE, 2 * PAGE_SIZE, 0)           # PROT_NONE: kept, not present
    mm.protect(REGION + 300 * PAGE_SIZE, PAGE_SIZE, 1)               # read-only
    shared = REGION + (2 << 20)
    mm.map(shared, 4 * PAGE_SIZE, 3, shared=True)
    mm.translate(shared + PAGE_SIZE, ACCESS_WRITE)
    slot = mm.page_table.leaf_slot
    before = {i: words[slot(REGION + i * PAGE_SIZE)] for i in range(512)}
    shared_before = words[slot(shared + PAGE_SIZE)]
    refs = {i: mm.frames.refcount[fmt.pfn(pte)] for i, pte in before.items() if pte}
    write = fmt.leaf_bits(3) & ~fmt.leaf_bits(1)
    child = mm.fork()
    try:
        for space in (mm, child):
            for i, pte in before.items():
                got = words[space.page_table.leaf_slot(REGION + i * PAGE_SIZE)]
                assert got == ((pte | fmt.cow_bit) & ~write if pte else 0), (space is mm, i)
            assert words[space.page_table.leaf_slot(shared + PAGE_SIZE)] == shared_before
        for i, count in refs.items():
            assert mm.frames.refcount[fmt.pfn(before[i])] == count + 1
    finally:
        child.destroy()
