"""ELF64 parsing and validation (what Linux's load_elf_binary checks before it commits to an exec).

Anything malformed -- not an ELF, truncated, another machine, segments that overlap or make no sense -- is
refused with `ENOEXEC` (or `EINVAL` for insane segments, as Linux does) and a message saying what is wrong.
"""
from __future__ import annotations

import errno
import functools
import os
import struct
from dataclasses import dataclass
from typing import Callable, NamedTuple

from pynix.arch import Arch, arch_for_elf_machine
from pynix.errors import KernelError

ET_EXEC, ET_DYN = 2, 3
PT_LOAD, PT_INTERP, PT_PHDR, PT_GNU_STACK = 1, 3, 6, 0x6474E551
PF_X, PF_W, PF_R = 1, 2, 4
PAGE = 4096
PATH_MAX = 4096

_EHDR = struct.Struct("<16sHHIQQQIHHHHHH")
_PHDR = struct.Struct("<IIQQQQQQ")


class Segment(NamedTuple):
    """One program header (p_paddr left out).  A named tuple: exec makes one per header, and a frozen
    dataclass's __init__ costs several times more."""
    type: int
    flags: int
    offset: int
    vaddr: int
    filesz: int
    memsz: int
    align: int

    @property
    def prot(self) -> int:
        """PF_R/W/X to PROT_READ/WRITE/EXEC (the bit order is reversed)."""
        return (1 if self.flags & PF_R else 0) | (2 if self.flags & PF_W else 0) | (4 if self.flags & PF_X else 0)


@dataclass(frozen=True)
class ElfFile:
    data: bytes
    arch: Arch
    type: int
    entry: int
    phoff: int
    phnum: int
    segments: tuple[Segment, ...]
    interpreter: str | None

    @functools.cached_property
    def loads(self) -> list[Segment]:
        return [s for s in self.segments if s.type == PT_LOAD]


def _refuse(message: str, err: int = errno.ENOEXEC) -> KernelError:
    return KernelError(err, message)


def parse_elf(data: bytes, size: int | None = None, read: Callable[[int, int], bytes] | None = None) -> ElfFile:
    """Parse and validate an executable image; raise KernelError(ENOEXEC/EINVAL, reason) when it is unusable.
    `data` is the file, or its beginning holding the headers when `size` gives the file's size; then
    `read(offset, length)` reads the PT_INTERP string wherever in the file it lies."""
    size = len(data) if size is None else size
    if len(data) < 4 or data[:4] != b"\x7fELF":
        raise _refuse("not an ELF file")
    if len(data) < _EHDR.size:
        raise _refuse("truncated ELF header")
    (ident, e_type, machine, _version, entry, phoff, _shoff, _flags, _ehsize, phentsize, phnum, _shentsize,
     _shnum, _shstrndx) = _EHDR.unpack_from(data)
    if ident[4] != 2 or ident[5] != 1:
        raise _refuse("not a 64-bit little-endian ELF file")
    if e_type not in (ET_EXEC, ET_DYN):
        raise _refuse(f"ELF type {e_type} is not an executable")
    arch = arch_for_elf_machine(machine)
    if arch is None:
        raise _refuse(f"ELF machine {machine} is not supported (riscv64 and x86_64 are)")
    if phentsize != _PHDR.size or not 0 < phnum <= 65536 // _PHDR.size:
        raise _refuse("bad program header table")
    table, table_end = data, phoff + phnum * _PHDR.size
    if table_end > len(data):
        if read is None or table_end > size:
            raise _refuse("truncated program header table")
        table = read(0, table_end)                  # beyond the part read first (load_elf_phdrs' elf_read)
        if len(table) < table_end:
            raise _refuse("truncated program header table")
    segments = tuple(Segment(p_type, p_flags, p_offset, p_vaddr, p_filesz, p_memsz, p_align)
                     for p_type, p_flags, p_offset, p_vaddr, _paddr, p_filesz, p_memsz, p_align
                     in _PHDR.iter_unpack(table[phoff:table_end]))
    interpreter = None
    for seg in segments:
        if seg.type != PT_INTERP:
            continue
        # load_elf_binary: only the first PT_INTERP counts; 2 to PATH_MAX bytes of the file, the last one a NUL
        if not 2 <= seg.filesz <= PATH_MAX:
            raise _refuse("bad PT_INTERP size")
        if seg.offset + seg.filesz > size:
            raise _refuse("PT_INTERP lies past the end of the file", errno.EIO)
        name = data[seg.offset:seg.offset + seg.filesz]
        if len(name) < seg.filesz and read is not None:
            name = read(seg.offset, seg.filesz)        # beyond the headers read first
        if len(name) < seg.filesz:
            raise _refuse("PT_INTERP lies beyond the part of the file given", errno.EIO)
        if name[-1] != 0:
            raise _refuse("PT_INTERP is not NUL-terminated")
        interpreter = os.fsdecode(name[:name.index(0)])     # a C string: up to its first NUL
        break
    elf = ElfFile(data, arch, e_type, entry, phoff, phnum, segments, interpreter)
    _check_loads(elf, size)
    return elf


def _check_loads(elf: ElfFile, size: int) -> None:
    loads = elf.loads
    if not loads:
        raise _refuse("no loadable segments")
    for seg in loads:
        if seg.filesz > seg.memsz:
            raise _refuse("segment file size exceeds its memory size", errno.EINVAL)
        if seg.offset + seg.filesz > size:
            raise _refuse("segment extends past the end of the file (truncated?)")
        if (seg.vaddr - seg.offset) % PAGE:
            raise _refuse("segment address and file offset are not congruent modulo the page size", errno.EINVAL)
        if seg.vaddr + seg.memsz > elf.arch.task_size:
            raise _refuse("segment lies outside user space", errno.EINVAL)
    ordered = sorted(loads, key=lambda s: s.vaddr)
    for lower, upper in zip(ordered, ordered[1:]):
        if lower.vaddr + lower.memsz > upper.vaddr:
            raise _refuse("loadable segments overlap", errno.EINVAL)
    span = ordered[-1].vaddr + ordered[-1].memsz - (ordered[0].vaddr & ~(PAGE - 1))
    if elf.type == ET_DYN and span > elf.arch.task_size - elf.arch.et_dyn_base:
        raise _refuse("segments span more than user space", errno.EINVAL)


_SHDR = struct.Struct("<IIQQQQIIQQ")
_SYM = struct.Struct("<IBBHQQ")
SHT_SYMTAB, SHT_DYNSYM = 2, 11


def elf_symbols(data: bytes) -> dict[str, int]:
    """name -> st_value of the defined symbols in the ELF64 image `data`'s .symtab and .dynsym (the values
    as linked: a PIE's still need its load bias).  Empty for a stripped file; for debuggers and the Python
    API, never for loading."""
    if len(data) < _EHDR.size or data[:4] != b"\x7fELF":
        return {}
    fields = _EHDR.unpack_from(data)
    shoff, shentsize, shnum = fields[6], fields[11], fields[12]
    if not shoff or shentsize != _SHDR.size or shoff + shnum * shentsize > len(data):
        return {}
    sections = [_SHDR.unpack_from(data, shoff + i * shentsize) for i in range(shnum)]
    symbols: dict[str, int] = {}
    for kind in (SHT_DYNSYM, SHT_SYMTAB):             # .symtab last: its names win
        for sh in sections:
            if sh[1] != kind or sh[6] >= shnum:
                continue
            strtab = sections[sh[6]]
            strings = data[strtab[4]:strtab[4] + strtab[5]]
            for at in range(sh[4], min(sh[4] + sh[5], len(data) - _SYM.size + 1), _SYM.size):
                name_at, _info, _other, shndx, value, _size = _SYM.unpack_from(data, at)
                if not shndx or not name_at:
                    continue                          # undefined, or nameless
                end = strings.find(b"\0", name_at)
                symbols[strings[name_at:end if end >= 0 else None].decode(errors="replace")] = value
    return symbols
