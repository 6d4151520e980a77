"""The physical frame allocator on its own: buddy splitting and merging, the per-CPU list of single frames,
reference counts, reclaim and ENOMEM, and the frames that held code."""
from __future__ import annotations

import errno

import pytest

from pynix.errors import KernelError
from pynix.mm.frame_alloc import MAX_ORDER, PCP_HIGH, FrameAllocator

TOTAL = 4 << MAX_ORDER                # four blocks of the largest order (frame 0 reserved splits the first)


def test_every_frame_once_then_enomem():
    frames = FrameAllocator(TOTAL)
    got = {frames.alloc() for _ in range(TOTAL - 1)}
    assert len(got) == TOTAL - 1 and 0 not in got and max(got) < TOTAL
    assert frames.free_frames == 0
    with pytest.raises(KernelError) as err:
        frames.alloc()
    assert err.value.errno == errno.ENOMEM


def test_freed_single_frames_merge_back_into_the_largest_blocks():
    """Single frames freed go to the per-CPU list first; a request for a big block must still find the
    memory they make up together (the list is drained and its frames merged with their buddies)."""
    frames = FrameAllocator(TOTAL)
    singles = [frames.alloc() for _ in range(TOTAL - 1)]
    for pfn in singles:
        frames.free(pfn)
    assert frames.free_frames == TOTAL - 1
    blocks = [frames.alloc(MAX_ORDER) for _ in range(3)]      # the three blocks frame 0 does not touch
    assert sorted(blocks) == [1 << MAX_ORDER, 2 << MAX_ORDER, 3 << MAX_ORDER]
    assert all(frames.refcount[b + i] == 1 for b in blocks for i in range(1 << MAX_ORDER))


def test_a_freed_single_frame_is_reused_first_and_the_list_is_bounded():
    frames = FrameAllocator(TOTAL)
    pfns = [frames.alloc() for _ in range(PCP_HIGH + 10)]
    for pfn in pfns:
        frames.free(pfn)
    assert len(frames.pcp) == PCP_HIGH                        # the rest went straight to the buddy lists
    assert frames.alloc() == pfns[PCP_HIGH - 1]                # last in, first out


def test_reference_counts_free_with_the_last_put():
    frames = FrameAllocator(TOTAL)
    pfn = frames.alloc()
    frames.get(pfn)
    before = frames.free_frames
    frames.put(pfn)
    assert frames.refcount[pfn] == 1 and frames.free_frames == before
    frames.put(pfn)
    assert frames.refcount[pfn] == 0 and frames.free_frames == before + 1


def test_freed_code_frames_are_reported_stale():
    frames = FrameAllocator(TOTAL)
    code, data = frames.alloc(), frames.alloc()
    frames.code[code] = 1
    frames.put(code)
    frames.put(data)
    assert frames.stale_code == [code] and not frames.code[code]


def test_shrinkers_run_before_enomem():
    frames = FrameAllocator(TOTAL)
    held = [frames.alloc() for _ in range(TOTAL - 1)]
    calls = []

    def shrink() -> int:
        calls.append(1)
        if len(calls) > 1:
            return 0
        frames.put(held.pop())
        return 1
    frames.shrinkers.append(shrink)
    assert frames.alloc() not in held
    with pytest.raises(KernelError):
        frames.alloc()
    assert len(calls) == 2
