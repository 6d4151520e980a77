"""Chapter 2 exercises (docs/book/memory.md)."""
import pytest

import harness
from conftest import pynix_sh

pytestmark = pytest.mark.exercise


def test_fault_around():
    """2.1: a read fault in a file mapping also maps the neighbouring pages already in the page cache, up to 16
    pages in the 64 KiB-aligned window around the fault and inside the area (Linux's do_fault_around): reading
    a 32-page file mapping byte by byte takes as many faults as on Linux (guest/fault_around.c: 2)."""
    harness.assert_same_as_native("fault_around.c", "x86_64-musl")


def test_proc_buddyinfo():
    """2.2: /proc/buddyinfo: the number of free blocks of each order 0..MAX_ORDER of the buddy allocator."""
    line = pynix_sh("cat /proc/buddyinfo").splitlines()[0]
    assert line.startswith("Node 0, zone")
    counts = [int(v) for v in line.split()[4:]]
    assert len(counts) == 11 and sum(counts) > 0


# The shell's pagemap entries of the top page of its stack (present: it holds argv and the environment) and
# of page 0 (never mapped), as 16 hex digits each.
PAGEMAP = r"""set -- $(grep '\[stack\]' /proc/$$/maps); end=${1#*-}; top=$(( 0x$end / 4096 - 1 ))
dd if=/proc/$$/pagemap bs=8 skip=$top count=1 2>/dev/null | od -An -tx8
dd if=/proc/$$/pagemap bs=8 count=1 2>/dev/null | od -An -tx8"""


def test_proc_pid_pagemap():
    """2.3: /proc/PID/pagemap: one 64-bit entry per virtual page, at offset 8 * (address / 4096): bit 63 set if
    the page is present, bits 0-54 its frame number; 0 for a page not mapped."""
    stack, page0 = (int(v, 16) for v in pynix_sh(PAGEMAP).split())
    assert stack >> 63 == 1 and stack & ((1 << 55) - 1) > 0
    assert page0 == 0
