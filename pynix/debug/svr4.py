"""A process's shared libraries as its dynamic linker lists them (<link.h>'s r_debug and link_map, kept by
glibc's and musl's ld.so): the gdb stub's qXfer:libraries-svr4, the list gdb's solib-svr4 would otherwise
read from memory itself, a word at a time.

The program's dynamic section (PT_DYNAMIC, found through the auxiliary vector's AT_PHDR) holds DT_DEBUG, which
the dynamic linker points at its r_debug; r_debug.r_map is the first link_map -- the program itself, named by
main-lm -- and each entry's l_next the next object; `lmid` names the link-map namespace by its r_debug, as
gdbserver does (gdb 13 requires it).  A static program has no DT_DEBUG: the list is empty.
"""
from __future__ import annotations

import struct
from typing import TYPE_CHECKING
from xml.sax.saxutils import quoteattr

from pynix.errors import KernelError
from pynix.mm.uaccess import copy_from_user

if TYPE_CHECKING:
    from pynix.mm.address_space import AddressSpace

AT_PHDR, AT_PHNUM = 3, 5
PT_DYNAMIC, PT_PHDR = 2, 6
DT_DEBUG = 21
MAX_OBJECTS = 1024                   # a corrupt (cyclic) list ends here
_PHDR = struct.Struct("<IIQQQQQQ")


def _word(mm: "AddressSpace", addr: int) -> int:
    return int.from_bytes(copy_from_user(mm, addr, 8), "little")


def r_debug_address(mm: "AddressSpace") -> int:
    """Where the program's r_debug is (0: not dynamically linked, or the dynamic linker has not run yet)."""
    auxv = mm.saved_auxv
    words = struct.unpack(f"<{len(auxv) // 8}Q", auxv[:len(auxv) // 8 * 8])
    aux = dict(zip(words[::2], words[1::2]))
    phdr, phnum = aux.get(AT_PHDR, 0), aux.get(AT_PHNUM, 0)
    if not phdr:
        return 0
    headers = [_PHDR.unpack(copy_from_user(mm, phdr + i * _PHDR.size, _PHDR.size)) for i in range(phnum)]
    bias = next((phdr - h[3] for h in headers if h[0] == PT_PHDR), 0)
    dynamic = next((h for h in headers if h[0] == PT_DYNAMIC), None)
    if dynamic is None:
        return 0
    at = dynamic[3] + bias
    for _ in range(dynamic[5] // 16):
        tag, value = _word(mm, at), _word(mm, at + 8)
        if tag == 0:
            break
        if tag == DT_DEBUG:
            return value
        at += 16
    return 0


def _string(mm: "AddressSpace", addr: int, limit: int = 4096) -> str:
    out = b""
    while addr and len(out) < limit:
        chunk = copy_from_user(mm, addr + len(out), 64 - (addr + len(out)) % 64)
        end = chunk.find(b"\0")
        if end >= 0:
            return (out + chunk[:end]).decode(errors="replace")
        out += chunk
    return out.decode(errors="replace")


def library_list_svr4(mm: "AddressSpace") -> str:
    """The <library-list-svr4> document of gdb's remote protocol for the process of `mm`."""
    try:
        debug = r_debug_address(mm)
        lm = _word(mm, debug + 8) if debug else 0            # r_debug.r_map (after the int r_version)
    except KernelError:
        lm = 0
    if not lm:
        return '<library-list-svr4 version="1.0"/>'
    parts, main_lm, seen = [], lm, 0
    lm = _word(mm, lm + 24)                                  # the program itself is main-lm, not a library
    while lm and seen < MAX_OBJECTS:
        seen += 1
        try:
            l_addr, l_name, l_ld, l_next = (_word(mm, lm + 8 * i) for i in range(4))
            name = _string(mm, l_name)
        except KernelError:
            break
        if name:                                             # (an entry without a name: nothing to load)
            parts.append(f'<library name={quoteattr(name)} lm="{lm:#x}" l_addr="{l_addr:#x}" l_ld="{l_ld:#x}" '
                         f'lmid="{debug:#x}"/>')
        lm = l_next
    return f'<library-list-svr4 version="1.0" main-lm="{main_lm:#x}">' + "".join(parts) + "</library-list-svr4>"
