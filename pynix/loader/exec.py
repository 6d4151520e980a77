"""Building a program image: ELF segments into VMAs, and the initial stack Linux gives a new program.

Segments are not copied at exec time: each PT_LOAD becomes a VMA backed by the file's page cache, and pages are
mapped on first touch by the page-fault path, as Linux's mmap of the file would: read-only pages are the cache's
own frames (every process running the same program or library shares them), written ones are copied first, and
the .bss part beyond a segment's file size is zero: in the last file page only for a writable segment, beyond it
anonymous memory, as Linux's elf_load maps it.
"""
from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pynix.arch import Arch
from pynix.loader.elf import ET_DYN, PAGE, PT_PHDR, ElfFile, parse_elf
from pynix.mm.address_space import PROT_EXEC, PROT_READ, PROT_WRITE, AddressSpace, page_align_up
from pynix.mm.page_cache import PageCache
from pynix.mm.uaccess import copy_to_user

if TYPE_CHECKING:
    from pynix.task.cred import Credentials

# auxv keys (include/uapi/linux/auxvec.h)
AT_NULL, AT_PHDR, AT_PHENT, AT_PHNUM, AT_PAGESZ, AT_BASE, AT_FLAGS, AT_ENTRY = 0, 3, 4, 5, 6, 7, 8, 9
AT_UID, AT_EUID, AT_GID, AT_EGID, AT_PLATFORM, AT_HWCAP, AT_CLKTCK = 11, 12, 13, 14, 15, 16, 17
AT_SECURE, AT_RANDOM, AT_EXECFN = 23, 25, 31

STACK_SIZE = 8 << 20             # RLIMIT_STACK's default; the VMA is demand-paged, so this costs nothing up front


@dataclass(frozen=True)
class ProgramFile:
    """An executable: its parsed headers and the page cache its segments are mapped from."""
    elf: ElfFile
    cache: PageCache

    @property
    def arch(self) -> Arch:
        return self.elf.arch

    @property
    def interpreter(self) -> str | None:
        return self.elf.interpreter


def read_program(cache: PageCache, head: bytes) -> ProgramFile:
    """Parse the executable whose page cache is `cache` and whose first page is `head` (ENOEXEC/EINVAL for
    what Linux would refuse): headers beyond that page are read from the cache as the parse needs them."""
    return ProgramFile(parse_elf(head, cache.size, cache.read), cache)


@dataclass(frozen=True)
class ProgramImage:
    entry: int
    stack_pointer: int
    load_bias: int
    brk_start: int


def load_segments(mm: AddressSpace, program: ProgramFile, name: str,
                  base: int | None = None) -> tuple[int, int, int]:
    """Map the PT_LOAD segments; return (load bias, address of the program headers, end of the highest one).
    An ET_DYN image goes at `base` (default: the arch's ELF_ET_DYN_BASE)."""
    elf = program.elf
    loads = elf.loads
    bias = 0
    if elf.type == ET_DYN:
        low = min(s.vaddr for s in loads) & ~(PAGE - 1)
        bias = (elf.arch.et_dyn_base if base is None else base) - low
    phdr_addr = 0
    end = 0
    for seg in loads:
        vaddr = seg.vaddr + bias
        start = vaddr & ~(PAGE - 1)
        file_stop = page_align_up(vaddr + seg.filesz) if seg.filesz else start
        if seg.filesz:
            # Linux's elf_load: the file's pages up to the one holding the last file byte, all of that page
            # from the file; with .bss, padzero clears the rest of that page -- only in a writable segment
            # (clear_user faults on a read-only page, and Linux ignores that: the file's bytes stay).
            zero_from = vaddr + seg.filesz if seg.memsz > seg.filesz and seg.prot & PROT_WRITE else file_stop
            mm.map(start, file_stop - start, seg.prot, name=name, file=program.cache,
                   offset=seg.offset - (vaddr - start), image_end=zero_from)
        stop = page_align_up(vaddr + seg.memsz)
        if stop > file_stop:
            # The rest of .bss is anonymous memory from vm_brk_flags: readable and writable whatever the
            # segment's flags say, executable if they say so.
            mm.map(file_stop, stop - file_stop, PROT_READ | PROT_WRITE | (seg.prot & PROT_EXEC))
        end = max(end, vaddr + seg.memsz)
        if seg.offset <= elf.phoff < seg.offset + seg.filesz:
            phdr_addr = seg.vaddr + bias + (elf.phoff - seg.offset)
    for seg in elf.segments:
        if seg.type == PT_PHDR:
            phdr_addr = seg.vaddr + bias
    return bias, phdr_addr, end


def build_stack(mm: AddressSpace, arch: Arch, argv: list[bytes], envp: list[bytes], execfn: bytes,
                auxv: list[tuple[int, int]]) -> tuple[int, dict[int, int]]:
    """Lay out argc/argv/envp/auxv and their strings exactly as Linux's create_elf_tables does.

    From the top: an 8-byte NULL, then the strings (argv..., envp..., execfn, in ascending order), then the
    platform string and 16 random bytes (AT_RANDOM), then, 16-byte aligned, argc, argv[], NULL, envp[], NULL,
    auxv pairs ending in AT_NULL.  Returns the initial stack pointer and the addresses given to auxv entries.
    """
    top = arch.stack_top
    mm.map(top - STACK_SIZE, STACK_SIZE, 3, name="[stack]")
    p = top - 8
    strings = bytearray()

    def push(data: bytes) -> int:
        nonlocal p
        p -= len(data)
        strings[:0] = data
        return p

    execfn_addr = push(execfn + b"\0")
    env_addrs = [push(s + b"\0") for s in reversed(envp)][::-1]
    arg_addrs = [push(s + b"\0") for s in reversed(argv)][::-1]
    mm.arg_start, mm.arg_end = p, env_addrs[0] if envp else execfn_addr
    mm.env_start, mm.env_end = mm.arg_end, execfn_addr
    copy_to_user(mm, p, bytes(strings))

    p &= ~15
    extra = {AT_EXECFN: execfn_addr}
    if arch.platform:
        platform = arch.platform.encode() + b"\0"
        p -= len(platform)
        copy_to_user(mm, p, platform)
        extra[AT_PLATFORM] = p
    p -= 16
    copy_to_user(mm, p, os.urandom(16))
    extra[AT_RANDOM] = p

    vector = []                                    # the auxv pairs, flat
    for key, value in auxv:
        vector += (key, extra.get(key, value))
    vector += (AT_NULL, 0)
    words = [len(argv), *arg_addrs, 0, *env_addrs, 0]
    sp = (p - 8 * (len(vector) + len(words))) & ~15
    table = struct.pack(f"<{len(words) + len(vector)}Q", *words, *vector)
    copy_to_user(mm, sp, table)
    mm.start_stack = sp
    mm.saved_auxv = table[8 * len(words):]
    return sp, extra


def _span(elf: ElfFile) -> int:
    loads = elf.loads
    return page_align_up(max(s.vaddr + s.memsz for s in loads)) - (min(s.vaddr for s in loads) & ~(PAGE - 1))


def load_program(mm: AddressSpace, program: ProgramFile, argv: list[bytes], envp: list[bytes], execfn: bytes,
                 creds: Credentials, secure: bool, name: str,
                 interp: tuple[ProgramFile, str] | None = None) -> ProgramImage:
    """Fill a fresh address space with the program (`name`: its path, for /proc/pid/maps) and its stack.

    With `interp` (the PT_INTERP program and its path) the interpreter is mapped too, top-down in the mmap area
    as Linux does, and the program starts at the interpreter's entry point; AT_BASE tells it where it is and
    AT_PHDR/AT_ENTRY describe the main program it must link.  `creds` and `secure` give AT_UID... and AT_SECURE."""
    elf = program.elf
    arch = elf.arch
    bias, phdr_addr, end = load_segments(mm, program, name)
    mm.brk_start = mm.brk = page_align_up(end)
    entry, interp_base = elf.entry + bias, 0
    if interp is not None:
        interp_program, interp_name = interp
        base = mm.get_unmapped_area(_span(interp_program.elf))
        interp_bias, _, _ = load_segments(mm, interp_program, interp_name, base)
        interp_base = base
        entry = interp_program.elf.entry + interp_bias
    auxv = [(AT_HWCAP, arch.hwcap), (AT_PAGESZ, PAGE), (AT_CLKTCK, 100), (AT_PHDR, phdr_addr),
            (AT_PHENT, 56), (AT_PHNUM, elf.phnum), (AT_BASE, interp_base), (AT_FLAGS, 0),
            (AT_ENTRY, elf.entry + bias),
            (AT_UID, creds.uid), (AT_EUID, creds.euid), (AT_GID, creds.gid), (AT_EGID, creds.egid),
            (AT_SECURE, int(secure)), (AT_RANDOM, 0), (AT_EXECFN, 0)]
    if arch.platform:
        auxv.append((AT_PLATFORM, 0))
    auxv += list(arch.extra_auxv)
    sp, _ = build_stack(mm, arch, argv, envp, execfn, auxv)
    trampoline = mm.get_unmapped_area(PAGE)        # the rt_sigreturn trampoline page (a minimal "vDSO")
    mm.map(trampoline, PAGE, 5, name="[vdso]", image=arch.sigreturn_trampoline,
           image_end=trampoline + len(arch.sigreturn_trampoline))
    mm.sigreturn_trampoline = trampoline
    return ProgramImage(entry=entry, stack_pointer=sp, load_bias=bias, brk_start=mm.brk_start)
