"""mm/uaccess.py, the kernel's one way into user memory: the shapes its fast paths take (a range inside one page,
over two pages, over many) give the same bytes and the same faults as the general loop -- short at a fault with
`partial`, EFAULT without it -- and strings are found across page boundaries."""
from __future__ import annotations

import errno

import pytest

from fakes import new_machine
from pynix.errors import KernelError
from pynix.hal import ACCESS_READ, ACCESS_WRITE
from pynix.mm.address_space import PROT_READ, PROT_WRITE, AddressSpace
from pynix.mm.uaccess import copy_from_user, copy_to_user, strncpy_from_user, user_buffers

BASE = 0x10000000
PAGES = 4


@pytest.fixture
def mm() -> AddressSpace:
    """Four mapped pages at BASE holding a known pattern, then an unmapped page."""
    arch, ram, frames = new_machine()
    space = AddressSpace(arch, ram, frames)
    space.map(BASE, PAGES * 4096, PROT_READ | PROT_WRITE)
    copy_to_user(space, BASE, PATTERN)
    return space


PATTERN = bytes((i * 7 + i // 251) & 0xFF for i in range(PAGES * 4096))


@pytest.mark.parametrize("offset, size", [(0, 1), (16, 4096), (4095, 2), (0, 8192), (4080, 5000), (16, 12000),
                                          (0, PAGES * 4096), (4096, 4097)])
def test_ranges_read_back_the_bytes_written(mm, offset, size):
    assert copy_from_user(mm, BASE + offset, size) == PATTERN[offset:offset + size]
    views = user_buffers(mm, BASE + offset, size, ACCESS_READ)
    assert sum(map(len, views)) == size


@pytest.mark.parametrize("offset, size", [(16, 4096), (4080, 5000), (100, 3 * 4096)])
def test_writes_land_where_they_were_aimed(mm, offset, size):
    data = bytes(range(256)) * (size // 256 + 1)
    copy_to_user(mm, BASE + offset, data[:size])
    expected = PATTERN[:offset] + data[:size] + PATTERN[offset + size:]
    assert copy_from_user(mm, BASE, PAGES * 4096) == expected


@pytest.mark.parametrize("offset, size", [(PAGES * 4096 - 16, 4096), (PAGES * 4096 - 4096 - 16, 8192)])
def test_a_range_running_into_unmapped_memory(mm, offset, size):
    """With `partial` the views stop at the fault (a read() copies what fits); without it, EFAULT."""
    views = user_buffers(mm, BASE + offset, size, ACCESS_WRITE, partial=True)
    assert sum(map(len, views)) == PAGES * 4096 - offset
    with pytest.raises(KernelError) as err:
        user_buffers(mm, BASE + offset, size, ACCESS_WRITE)
    assert err.value.errno == errno.EFAULT
    with pytest.raises(KernelError):
        user_buffers(mm, BASE + PAGES * 4096, 10, ACCESS_READ, partial=True)   # not even the first byte


def test_an_empty_range_is_no_views(mm):
    assert user_buffers(mm, BASE + PAGES * 4096, 0, ACCESS_READ) == []


@pytest.mark.parametrize("offset, text", [(0, b"abc"), (4094, b"across-a-page"), (4096, b""),
                                          (8192, b"x" * 5000), (3 * 4096 - 4, b"abcd")])
def test_strings(mm, offset, text):
    copy_to_user(mm, BASE + offset, text + b"\0")
    got = strncpy_from_user(mm, BASE + offset, 8192)
    assert got == text and type(got) is bytes


def test_a_string_without_its_nul_in_the_limit(mm):
    copy_to_user(mm, BASE, b"y" * 5000 + b"\0")
    with pytest.raises(KernelError) as err:
        strncpy_from_user(mm, BASE, 4096)
    assert err.value.errno == errno.ENAMETOOLONG
