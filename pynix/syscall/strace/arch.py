"""What the strace formatter needs to know of an ISA (StraceArch) and of user memory (UserMemoryReader)."""
from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Protocol

class UserMemoryReader(Protocol):
    def read(self, addr: int, size: int) -> bytes:
        """``size`` bytes at user address ``addr``; raises KernelError on a bad address."""
        ...

    def read_cstring(self, addr: int, limit: int) -> bytes:
        """Bytes up to (not including) the NUL, at most ``limit``; raises KernelError on a fault."""
        ...


@dataclass(frozen=True)
class StraceArch:
    """The ISA-dependent facts the formatter needs.  ``None`` means unknown: the argument is printed as a
    pointer.  Each architecture provides its own instance (this module holds no ISA's values)."""

    #: byte offsets of st_mode (u32), st_rdev (u64) and st_size (s64) in the ``struct stat`` filled by
    #: fstat / newfstatat / stat / lstat
    stat_mode_offset: int | None = None
    stat_rdev_offset: int | None = None
    stat_size_offset: int | None = None
    #: whether the kernel's ``struct sigaction`` has ``sa_restorer`` (between sa_flags and sa_mask)
    sigaction_has_restorer: bool | None = None
    #: raw ``clone`` argument order: True = flags, stack, parent_tid, tls, child_tid (CLONE_BACKWARDS);
    #: False = flags, stack, parent_tid, child_tid, tls
    clone_tls_before_child_tid: bool | None = None
    #: mmap flags that only this ISA defines, e.g. ((0x40, "MAP_32BIT"),)
    extra_mmap_flags: tuple[tuple[int, str], ...] = ()


_DEFAULT_ARCH = StraceArch()
_ARCH_CACHE: dict[int, tuple[object, StraceArch]] = {}


def strace_arch(arch: object | None) -> StraceArch:
    """The StraceArch for ``arch``: a StraceArch as is, or one derived from a kernel ``Arch`` object (its
    ``stat_layout``, ``sigaction_has_restorer`` and, when present, ``clone_tls_before_child_tid`` and
    ``extra_mmap_flags``).  None gives the all-unknown default."""
    if arch is None:
        return _DEFAULT_ARCH
    if isinstance(arch, StraceArch):
        return arch
    cached = _ARCH_CACHE.get(id(arch))
    if cached is not None and cached[0] is arch:
        return cached[1]
    offsets = _stat_offsets(getattr(arch, "stat_layout", None))
    derived = StraceArch(
        stat_mode_offset=offsets.get("mode"), stat_rdev_offset=offsets.get("rdev"),
        stat_size_offset=offsets.get("size"),
        sigaction_has_restorer=getattr(arch, "sigaction_has_restorer", None),
        clone_tls_before_child_tid=getattr(arch, "clone_tls_before_child_tid", None),
        extra_mmap_flags=tuple(getattr(arch, "extra_mmap_flags", ())))
    _ARCH_CACHE[id(arch)] = (arch, derived)
    return derived


def _stat_offsets(layout: object) -> dict[str, int]:
    """Field name -> byte offset for a layout with ``fmt`` (a struct format, one code per field) and
    ``fields`` (names, None for padding)."""
    fmt, fields = getattr(layout, "fmt", None), getattr(layout, "fields", None)
    if not fmt or not fields:
        return {}
    order = fmt[0] if fmt[0] in "<>=!@" else ""
    codes = [ch for ch in fmt[len(order):] if not ch.isspace()]
    if any(ch.isdigit() for ch in codes) or len(codes) != len(fields):
        return {}
    return {name: struct.calcsize(order + "".join(codes[:i])) for i, name in enumerate(fields) if name}
