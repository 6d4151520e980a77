"""The one checked way for the kernel to touch user memory (Linux's copy_from_user / copy_to_user family).

Every access translates through the process's page tables with the permission the guest itself would need
(a kernel write into a read-only user page is EFAULT, as in Linux), resolving demand-zero and copy-on-write faults
on the way.  Bulk data moves as memoryview slices of RAM, page by page: no per-byte Python loops.
"""
from __future__ import annotations

import errno

from pynix.errors import KernelError
from pynix.hal import ACCESS_READ, ACCESS_WRITE
from pynix.mm.address_space import AddressSpace
from pynix.mm.frame_alloc import PAGE_SIZE


def user_buffers(mm: AddressSpace, addr: int, size: int, access: int, partial: bool = False) -> list[memoryview]:
    """RAM views covering user range [addr, addr+size), one per run of physically adjacent pages; EFAULT if any
    byte is not allowed -- or, with `partial`, only if the first one is not, the views then covering the
    allowed prefix (a read() into a buffer that runs into unmapped memory copies what fits, as in Linux)."""
    if 0 < size <= PAGE_SIZE - (addr & (PAGE_SIZE - 1)) and addr >= 0:     # within one page: the common case
        pa = mm.translate(addr, access)                                     # (EFAULT past task_size too)
        return [mm.ram.mv[pa:pa + size]]
    if size < 0 or addr < 0:
        raise KernelError(errno.EFAULT)
    if addr + size > mm.arch.task_size:
        if not partial or addr >= mm.arch.task_size:
            raise KernelError(errno.EFAULT)
        size = mm.arch.task_size - addr
    if not size:
        return []
    translate, mv = mm.translate, mm.ram.mv
    first = PAGE_SIZE - (addr & (PAGE_SIZE - 1))
    if size <= first + PAGE_SIZE:              # two pages (a page-sized buffer that is not page-aligned)
        start = translate(addr, access)
        try:
            pa = translate(addr + first, access)
        except KernelError:
            if not partial:
                raise
            return [mv[start:start + first]]
        if pa == start + first:
            return [mv[start:start + size]]
        return [mv[start:start + first], mv[pa:pa + size - first]]
    runs = mm.translate_runs(addr, size, access, partial)   # longer buffers: runs of adjacent pages
    return [mv[start:end] for start, end in runs]


def copy_from_user(mm: AddressSpace, addr: int, size: int) -> bytes:
    return b"".join(user_buffers(mm, addr, size, ACCESS_READ))


def copy_to_user(mm: AddressSpace, addr: int, data: bytes | bytearray | memoryview) -> None:
    size = len(data)
    if 0 < size <= PAGE_SIZE - (addr & (PAGE_SIZE - 1)) and addr >= 0:     # within one page (a struct): one
        pa = mm.translate(addr, ACCESS_WRITE)                                # slice assignment, no view list
        mm.ram.mv[pa:pa + size] = data
        return
    scatter(user_buffers(mm, addr, size, ACCESS_WRITE), data)


def scatter(views: list[memoryview], data: bytes | bytearray | memoryview) -> None:
    """Copy `data` over `views` (from user_buffers), in order; they hold at least len(data) bytes."""
    if len(views) == 1:
        views[0][:len(data)] = data
        return
    data = memoryview(data)                   # (pieces of it without copies)
    offset = 0
    for view in views:
        if offset >= len(data):
            break
        piece = data[offset:offset + len(view)]
        view[:len(piece)] = piece
        offset += len(piece)


def strncpy_from_user(mm: AddressSpace, addr: int, limit: int) -> bytes:
    """The NUL-terminated string at `addr` (without the NUL).  ENAMETOOLONG if none within `limit` bytes."""
    out = b""
    ram = mm.ram
    while len(out) < limit:
        n = min(PAGE_SIZE - (addr & (PAGE_SIZE - 1)), limit - len(out))
        pa = mm.translate(addr, ACCESS_READ)
        s = ram.cstring(pa, pa + n)
        if s is not None:
            return out + s if out else s
        out += ram.mv[pa:pa + n]
        addr += n
    raise KernelError(errno.ENAMETOOLONG)


def read_u64(mm: AddressSpace, addr: int) -> int:
    if not addr & 7:                      # aligned (the usual case): one word of RAM, inside one page
        return mm.ram.words[mm.translate(addr, ACCESS_READ) >> 3]
    return int.from_bytes(copy_from_user(mm, addr, 8), "little")


def write_u64(mm: AddressSpace, addr: int, value: int) -> None:
    if not addr & 7:
        mm.ram.words[mm.translate(addr, ACCESS_WRITE) >> 3] = value & 0xFFFFFFFFFFFFFFFF
        return
    copy_to_user(mm, addr, (value & 0xFFFFFFFFFFFFFFFF).to_bytes(8, "little"))


def read_iovec(mm: AddressSpace, addr: int, count: int) -> list[tuple[int, int]]:
    """The (base, length) pairs of a user `struct iovec[count]`; EINVAL for a count beyond UIO_MAXIOV."""
    if count < 0 or count > 1024:
        raise KernelError(errno.EINVAL)
    raw = copy_from_user(mm, addr, 16 * count)
    pairs = [(int.from_bytes(raw[i:i + 8], "little"), int.from_bytes(raw[i + 8:i + 16], "little"))
             for i in range(0, len(raw), 16)]
    total = 0
    for _base, length in pairs:
        total += length
        if length > 0x7FFFFFFFFFFFFFFF or total > 0x7FFFFFFFFFFFFFFF:
            raise KernelError(errno.EINVAL)
    return pairs
