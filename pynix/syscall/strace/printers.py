"""Small value formatters (numbers, flags, C-escaped strings, signal sets) and the call being formatted."""
from __future__ import annotations

import struct
from typing import Callable, Sequence

from pynix.errors import KernelError
from pynix.syscall.strace import xlat
from pynix.syscall.strace.arch import StraceArch, UserMemoryReader
from pynix.syscall.strace.xlat import MAX_STRLEN

def s32(v: int) -> int:
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v & 0x80000000 else v


def s64(v: int) -> int:
    v &= (1 << 64) - 1
    return v - (1 << 64) if v >> 63 else v


def hexnum(v: int) -> str:
    """C's ``%#lx``: 0 prints as ``0``."""
    v &= (1 << 64) - 1
    return "0" if v == 0 else f"{v:#x}"


def pointer(v: int) -> str:
    v &= (1 << 64) - 1
    return "NULL" if v == 0 else f"{v:#x}"


def octal(v: int) -> str:
    """C's ``%#03o``."""
    s = "0" if v == 0 else f"0{v:o}"
    return s.rjust(3, "0")


def flag_names(value: int, table: Sequence[tuple[int, str]], zero: str = "0") -> str:
    if value == 0:
        return zero
    parts = []
    rest = value
    for bit, name in table:
        if bit and rest & bit == bit:
            parts.append(name)
            rest &= ~bit
    if rest:
        parts.append(f"{rest:#x}")
    return "|".join(parts)


def xlat_name(value: int, table: dict[int, str], unknown: str) -> str:
    name = table.get(value)
    return name if name is not None else f"{hexnum(value)} /* {unknown} */"


def signal_name(sig: int) -> str:
    """strace's name of signal `sig`: SIGINT, SIGRTMIN, SIGRT_3, or the number."""
    name = xlat.SIGNALS.get(sig)
    if name:
        return name
    if sig == 32:
        return "SIGRTMIN"
    if 32 < sig <= xlat.NSIG:
        return f"SIGRT_{sig - 32}"
    return str(sig)


def mode_type(mode: int) -> str:
    ftype = xlat.FILE_TYPES.get(mode & xlat.S_IFMT)
    if ftype is None:
        return octal(mode)
    parts = [ftype] + [name for bit, name in xlat.MODE_SPECIAL if mode & bit]
    return "|".join(parts) + "|" + octal(mode & 0o777)


def open_flags(flags: int) -> str:
    flags &= 0xFFFFFFFF
    acc = xlat.O_ACCMODE_NAMES[flags & 3]
    rest = flags & ~3
    return acc if rest == 0 else acc + "|" + flag_names(rest, xlat.OPEN_FLAGS)


# String quoting (strace's string_quote, default style): printable ASCII as is, \" \\ \f \n \r \t \v,
# other bytes as octal, three digits when the next byte is an octal digit.
_ESCAPES = {0x22: '\\"', 0x5C: "\\\\", 0x0C: "\\f", 0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t", 0x0B: "\\v"}
_SHORT = [(_ESCAPES.get(b) or (chr(b) if 0x20 <= b < 0x7F else f"\\{b:o}")) for b in range(256)]
_LONG = [(_ESCAPES.get(b) or (chr(b) if 0x20 <= b < 0x7F else f"\\{b:03o}")) for b in range(256)]


def quote_bytes(data: bytes, truncated: bool = False, force_hex: bool = False) -> str:
    """``data`` as a quoted C string the way strace prints it; ``...`` follows when ``truncated``."""
    if force_hex:
        body = "".join(f"\\x{b:02x}" for b in data)
    else:
        out = []
        n = len(data)
        for i, b in enumerate(data):
            if i + 1 < n and 0x30 <= data[i + 1] <= 0x37:
                out.append(_LONG[b])
            else:
                out.append(_SHORT[b])
        body = "".join(out)
    return f'"{body}"' + ("..." if truncated else "")




FdPath = Callable[[int], "bytes | None"]


class Call:
    __slots__ = ("name", "args", "result", "mem", "arch", "ok", "strlen", "fd_path")

    def __init__(self, name: str, args: Sequence[int], result: int | None, mem: UserMemoryReader,
                 arch: StraceArch, strlen: int = MAX_STRLEN, fd_path: FdPath | None = None) -> None:
        self.name = name
        self.args = [a & ((1 << 64) - 1) for a in args]
        self.result = result
        self.mem = mem
        self.arch = arch
        self.ok = result is not None and not (-xlat.MAX_ERRNO <= result < 0)
        self.strlen = strlen                   # -s: bytes of strings and buffers shown
        self.fd_path = fd_path                 # -y: descriptor -> what it refers to (AT_FDCWD: the cwd)

    def arg(self, i: int) -> int:
        return self.args[i] if i < len(self.args) else 0

    # memory access that never raises
    def read(self, addr: int, size: int) -> bytes | None:
        if addr == 0:
            return None
        try:
            data = bytes(self.mem.read(addr, size))
        except KernelError:
            return None
        return data if len(data) == size else None

    def u32(self, addr: int) -> int | None:
        data = self.read(addr, 4)
        return None if data is None else struct.unpack("<I", data)[0]

    def u64(self, addr: int) -> int | None:
        data = self.read(addr, 8)
        return None if data is None else struct.unpack("<Q", data)[0]

    def cstring(self, addr: int, limit: int) -> tuple[bytes, bool] | None:
        """(bytes, truncated) of the NUL-terminated string at addr, at most ``limit`` bytes shown."""
        if addr == 0:
            return None
        try:
            s = bytes(self.mem.read_cstring(addr, limit + 1))
        except KernelError:
            # a reader may refuse a string longer than its limit: try a bounded plain read
            data = self.read(addr, limit)
            if data is None:
                return None
            nul = data.find(b"\0")
            return (data, True) if nul < 0 else (data[:nul], False)
        nul = s.find(b"\0")
        if nul >= 0:
            s = s[:nul]
        return (s[:limit], True) if len(s) > limit else (s, False)

    # composite printers
    def string(self, addr: int, limit: int | None = None) -> str:
        if addr == 0:
            return "NULL"
        got = self.cstring(addr, self.strlen if limit is None else limit)
        return hexnum(addr) if got is None else quote_bytes(*got)

    def buffer(self, addr: int, length: int, force_hex: bool = False) -> str:
        if addr == 0:
            return "NULL"
        shown = min(length, self.strlen)
        data = self.read(addr, shown) if shown else b""
        if data is None:
            return hexnum(addr)
        return quote_bytes(data, length > self.strlen, force_hex)

    def fd(self, fd: int) -> str:
        return fd_text(fd, self.fd_path)


    def sigset(self, addr: int, size: int) -> str:
        if addr == 0:
            return "NULL"
        if not 0 < size <= 128:
            return hexnum(addr)
        data = self.read(addr, size)
        if data is None:
            return hexnum(addr)
        return format_sigset(int.from_bytes(data, "little"), min(size * 8, xlat.NSIG))


def fd_text(fd: int, fd_path: FdPath | None) -> str:
    """A descriptor, followed by ``<path>`` under -y (strace's printfd)."""
    if fd_path is None or (fd < 0 and fd != xlat.AT_FDCWD):
        return str(fd)
    path = fd_path(fd)
    return str(fd) if path is None else f"{fd}<{quote_bytes(path)[1:-1]}>"

def format_sigset(bits: int, nbits: int = xlat.NSIG) -> str:
    """A signal set as strace prints it: ``[INT TERM]``, or ``~[...]`` for the complement when shorter."""
    members = [n for n in range(1, nbits + 1) if bits >> (n - 1) & 1]
    prefix = ""
    if len(members) > nbits // 2:
        prefix = "~"
        members = [n for n in range(1, nbits + 1) if not bits >> (n - 1) & 1]
    return prefix + "[" + " ".join(signal_name(n)[3:] for n in members) + "]"
