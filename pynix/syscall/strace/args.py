"""Argument kinds: functions (call, value) -> text, the way strace prints each type; factories take the index
of a related argument (a buffer's length, an iovec count)."""
from __future__ import annotations

import struct
from typing import Callable

from pynix.syscall.strace import xlat
from pynix.syscall.strace.printers import (Call, flag_names, hexnum, mode_type, octal, open_flags, pointer,
                                           quote_bytes, s32, s64, signal_name, xlat_name)
from pynix.syscall.strace.xlat import MAX_ELEMENTS, PATH_MAX

ArgFormatter = Callable[[Call, int], str]


def INT(c: Call, v: int) -> str:
    return str(s32(v))


def FD(c: Call, v: int) -> str:
    return c.fd(s32(v))


def DIRFD(c: Call, v: int) -> str:
    v = s32(v)
    if v != xlat.AT_FDCWD:
        return c.fd(v)
    return "AT_FDCWD" + c.fd(v).removeprefix(str(xlat.AT_FDCWD))     # -y: AT_FDCWD</cwd>


def LONG(c: Call, v: int) -> str:
    return str(s64(v))


def UINT(c: Call, v: int) -> str:
    return str(v & 0xFFFFFFFF)


def SIZE(c: Call, v: int) -> str:
    return str(v)


def HEX(c: Call, v: int) -> str:
    return hexnum(v)


def PTR(c: Call, v: int) -> str:
    return pointer(v)


def PATH(c: Call, v: int) -> str:
    return c.string(v, PATH_MAX)


def STR(c: Call, v: int) -> str:
    return c.string(v)


def MODE(c: Call, v: int) -> str:
    return octal(v & 0xFFFFFFFF)


def OPEN_FLAGS(c: Call, v: int) -> str:
    return open_flags(v)


def O_FLAGS(c: Call, v: int) -> str:
    """Open-style flags without an access mode (pipe2, dup3, ...)."""
    return flag_names(v & 0xFFFFFFFF, xlat.OPEN_FLAGS)


def PROT(c: Call, v: int) -> str:
    return flag_names(v & 0xFFFFFFFF, xlat.PROT_FLAGS, "PROT_NONE")


def MAP_FLAGS(c: Call, v: int) -> str:
    v &= 0xFFFFFFFF
    mtype = v & 0xF
    parts = [xlat.MAP_TYPES.get(mtype, hexnum(mtype))] if mtype or v == 0 else []
    rest = v & ~0xF
    huge = (rest >> xlat.MAP_HUGE_SHIFT) & 0x3F
    rest &= ~(0x3F << xlat.MAP_HUGE_SHIFT)
    table = xlat.MAP_FLAGS_HEAD + tuple(c.arch.extra_mmap_flags) + xlat.MAP_FLAGS_TAIL
    if rest:
        parts.append(flag_names(rest, table))
    if huge:
        parts.append(f"{huge}<<MAP_HUGE_SHIFT")
    return "|".join(parts)


def MREMAP_FLAGS(c: Call, v: int) -> str:
    return flag_names(v & 0xFFFFFFFF, xlat.MREMAP_FLAGS)


def MADVICE(c: Call, v: int) -> str:
    return xlat_name(v & 0xFFFFFFFF, xlat.MADVISE, "MADV_???")


def AT_FLAGS(c: Call, v: int) -> str:
    return flag_names(v & 0xFFFFFFFF, xlat.AT_FLAGS)


def STATX_AT_FLAGS(c: Call, v: int) -> str:
    v &= 0xFFFFFFFF
    sync = xlat.AT_STATX_SYNC[v & 0x6000]
    rest = v & ~0x6000
    return sync if rest == 0 else sync + "|" + flag_names(rest, xlat.AT_FLAGS)


def STATX_MASK(c: Call, v: int) -> str:
    return flag_names(v & 0xFFFFFFFF, xlat.STATX_MASK)


def ACCESS_MODE(c: Call, v: int) -> str:
    return flag_names(v & 0xFFFFFFFF, xlat.ACCESS_MODES, "F_OK")


def WHENCE(c: Call, v: int) -> str:
    return xlat_name(v & 0xFFFFFFFF, xlat.SEEK, "SEEK_???")


def CLOCKID(c: Call, v: int) -> str:
    return xlat_name(v & 0xFFFFFFFF, xlat.CLOCKS, "CLOCK_???")


def TIMER_FLAGS(c: Call, v: int) -> str:
    return flag_names(v & 0xFFFFFFFF, xlat.TIMER_FLAGS)


def GRND_FLAGS(c: Call, v: int) -> str:
    return flag_names(v & 0xFFFFFFFF, xlat.GRND_FLAGS)


def SIGNUM(c: Call, v: int) -> str:
    return signal_name(s32(v))


def SIGHOW(c: Call, v: int) -> str:
    return xlat_name(v & 0xFFFFFFFF, xlat.SIGPROCMASK_HOW, "SIG_???")


def RLIMIT_RES(c: Call, v: int) -> str:
    return xlat_name(v & 0xFFFFFFFF, xlat.RLIMITS, "RLIMIT_???")


def WAIT_OPTIONS(c: Call, v: int) -> str:
    return flag_names(v & 0xFFFFFFFF, xlat.WAIT_OPTIONS)


def IDTYPE(c: Call, v: int) -> str:
    return xlat_name(v & 0xFFFFFFFF, xlat.IDTYPES, "P_???")


def buf_in(length_arg: int) -> ArgFormatter:
    """A buffer the call reads, its length in another argument (write)."""
    return lambda c, v: c.buffer(v, c.arg(length_arg))


def BUF_OUT(c: Call, v: int) -> str:
    """A buffer the call fills, ``result`` bytes long (read); the pointer when the call failed."""
    return c.buffer(v, c.result) if c.ok and c.result is not None else pointer(v)


def BUF_OUT_HEX(c: Call, v: int) -> str:
    return c.buffer(v, c.result, force_hex=True) if c.ok and c.result is not None else pointer(v)


def STR_OUT(c: Call, v: int) -> str:
    """A C string the call fills (getcwd)."""
    return c.string(v, PATH_MAX) if c.ok else pointer(v)


def _iovecs(c: Call, v: int, count: int, limit: int | None) -> str:
    """``limit``: bytes of data to show in total (readv: the result); None: each iov_len (writev)."""
    if v == 0:
        return "NULL"
    if not 0 <= count <= 1024:
        return hexnum(v)
    shown = min(count, MAX_ELEMENTS)
    raw = c.read(v, 16 * shown) if shown else b""
    if raw is None:
        return hexnum(v)
    items = []
    for i in range(shown):
        base, length = struct.unpack_from("<QQ", raw, 16 * i)
        if limit is None:
            data_len = length
        else:
            data_len = min(length, limit)
            limit -= data_len
        items.append(f"{{iov_base={c.buffer(base, data_len)}, iov_len={length}}}")
    if count > shown:
        items.append("...")
    return "[" + ", ".join(items) + "]"


def iov_in(count_arg: int) -> ArgFormatter:
    return lambda c, v: _iovecs(c, v, s32(c.arg(count_arg)), None)


def iov_out(count_arg: int) -> ArgFormatter:
    def fmt(c: Call, v: int) -> str:
        if not c.ok or c.result is None:
            return pointer(v)
        return _iovecs(c, v, s32(c.arg(count_arg)), c.result)
    return fmt


def _timespec(data: bytes, usec: bool = False) -> str:
    sec, frac = struct.unpack_from("<qq", data)
    return f"{{tv_sec={sec}, {'tv_usec' if usec else 'tv_nsec'}={frac}}}"


def TIMESPEC_IN(c: Call, v: int) -> str:
    data = c.read(v, 16)
    return pointer(v) if data is None else _timespec(data)


def TIMESPEC_OUT(c: Call, v: int) -> str:
    return TIMESPEC_IN(c, v) if c.ok else pointer(v)


def TIMEVAL_OUT(c: Call, v: int) -> str:
    data = c.read(v, 16) if c.ok else None
    return pointer(v) if data is None else _timespec(data, usec=True)


def sigset_in(size_arg: int) -> ArgFormatter:
    return lambda c, v: c.sigset(v, c.arg(size_arg))


def sigset_out(size_arg: int) -> ArgFormatter:
    return lambda c, v: c.sigset(v, c.arg(size_arg)) if c.ok else pointer(v)


def _sigaction(c: Call, v: int, sigsetsize: int) -> str:
    restorer = c.arch.sigaction_has_restorer
    if v == 0 or restorer is None or not 0 < sigsetsize <= 128:
        return pointer(v)
    head = c.read(v, 24 if restorer else 16)
    if head is None:
        return hexnum(v)
    handler, flags = struct.unpack_from("<QQ", head)
    mask = c.sigset(v + (24 if restorer else 16), sigsetsize)
    table = ((xlat.SA_RESTORER, "SA_RESTORER"),) + xlat.SA_FLAGS if restorer else xlat.SA_FLAGS
    text = (f"{{sa_handler={xlat.SIG_HANDLERS.get(handler) or hexnum(handler)}, sa_mask={mask}, "
            f"sa_flags={flag_names(flags, table)}")
    if restorer and flags & xlat.SA_RESTORER:
        text += f", sa_restorer={pointer(struct.unpack_from('<Q', head, 16)[0])}"
    return text + "}"


def SIGACTION_IN(c: Call, v: int) -> str:
    return _sigaction(c, v, c.arg(3))


def SIGACTION_OUT(c: Call, v: int) -> str:
    return _sigaction(c, v, c.arg(3)) if c.ok else pointer(v)


def _rlim(v: int) -> str:
    if v == xlat.RLIM_INFINITY:
        return "RLIM64_INFINITY"
    if v > 1024 and v % 1024 == 0:
        return f"{v // 1024}*1024"
    return str(v)


def RLIMIT_IN(c: Call, v: int) -> str:
    data = c.read(v, 16)
    if data is None:
        return pointer(v)
    cur, mx = struct.unpack("<QQ", data)
    return f"{{rlim_cur={_rlim(cur)}, rlim_max={_rlim(mx)}}}"


def RLIMIT_OUT(c: Call, v: int) -> str:
    return RLIMIT_IN(c, v) if c.ok else pointer(v)


def STAT_OUT(c: Call, v: int) -> str:
    a = c.arch
    if v == 0 or not c.ok or None in (a.stat_mode_offset, a.stat_rdev_offset, a.stat_size_offset):
        return pointer(v)
    end = max(a.stat_mode_offset + 4, a.stat_rdev_offset + 8, a.stat_size_offset + 8)
    data = c.read(v, end)
    if data is None:
        return hexnum(v)
    mode = struct.unpack_from("<I", data, a.stat_mode_offset)[0]
    text = f"{{st_mode={mode_type(mode)}, "
    if mode & xlat.S_IFMT in (0o20000, 0o60000):
        text += f"st_rdev={_makedev(struct.unpack_from('<Q', data, a.stat_rdev_offset)[0])}, ...}}"
    else:
        text += f"st_size={struct.unpack_from('<q', data, a.stat_size_offset)[0]}, ...}}"
    return text


def _makedev(dev: int) -> str:
    major = ((dev >> 8) & 0xFFF) | ((dev >> 32) & ~0xFFF & 0xFFFFFFFF)
    minor = (dev & 0xFF) | ((dev >> 12) & ~0xFF & 0xFFFFFFFF)
    return f"makedev({hexnum(major)}, {hexnum(minor)})"


def STATX_OUT(c: Call, v: int) -> str:
    data = c.read(v, 48) if c.ok else None
    if data is None:
        return pointer(v)
    mask, = struct.unpack_from("<I", data, 0)
    attrs, = struct.unpack_from("<Q", data, 8)
    mode, = struct.unpack_from("<H", data, 28)
    size, = struct.unpack_from("<Q", data, 40)
    return (f"{{stx_mask={flag_names(mask, xlat.STATX_MASK)}, stx_attributes={flag_names(attrs, xlat.STATX_ATTRS)}, "
            f"stx_mode={mode_type(mode)}, stx_size={size}, ...}}")


def UTSNAME_OUT(c: Call, v: int) -> str:
    data = c.read(v, 130) if c.ok else None
    if data is None:
        return pointer(v)
    sysname = data[:65].split(b"\0", 1)[0]
    nodename = data[65:130].split(b"\0", 1)[0]
    return f"{{sysname={quote_bytes(sysname)}, nodename={quote_bytes(nodename)}, ...}}"


def CPUSET_OUT(c: Call, v: int) -> str:
    if not c.ok or c.result is None:
        return pointer(v)
    data = c.read(v, min(c.result, 1024)) if c.result else b""
    if data is None:
        return hexnum(v)
    bits = int.from_bytes(data, "little")
    return "[" + " ".join(str(i) for i in range(len(data) * 8) if bits >> i & 1) + "]"


def cpuset_in(size_arg: int) -> ArgFormatter:
    def fmt(c: Call, v: int) -> str:
        data = c.read(v, min(c.arg(size_arg), 1024))
        if data is None:
            return pointer(v)
        bits = int.from_bytes(data, "little")
        return "[" + " ".join(str(i) for i in range(len(data) * 8) if bits >> i & 1) + "]"
    return fmt


def PIPEFDS_OUT(c: Call, v: int) -> str:
    data = c.read(v, 8) if c.ok else None
    if data is None:
        return pointer(v)
    r, w = struct.unpack("<ii", data)
    return f"[{c.fd(r)}, {c.fd(w)}]"


def DIRENTS_OUT(c: Call, v: int) -> str:
    if not c.ok or c.result is None:
        return pointer(v)
    data = c.read(v, min(c.result, 1 << 24)) if c.result else b""
    if data is None:
        return hexnum(v)
    count = pos = 0
    while pos + 18 <= len(data):
        reclen = struct.unpack_from("<H", data, pos + 16)[0]
        if reclen == 0:
            break
        count += 1
        pos += reclen
    return f"{pointer(v)} /* {count} entries */"


def WSTATUS_OUT(c: Call, v: int) -> str:
    if not c.ok or not c.result:
        return pointer(v)
    status = c.u32(v)
    if status is None:
        return hexnum(v)
    return f"[{_format_wstatus(status)}]"


def _format_wstatus(s: int) -> str:
    sig = s & 0x7F
    if sig == 0:
        text = f"WIFEXITED(s) && WEXITSTATUS(s) == {(s >> 8) & 0xFF}"
    elif s & 0xFF == 0x7F:
        text = f"WIFSTOPPED(s) && WSTOPSIG(s) == {signal_name((s >> 8) & 0xFF)}"
    elif s == 0xFFFF:
        text = "WIFCONTINUED(s)"
    else:
        text = f"WIFSIGNALED(s) && WTERMSIG(s) == {signal_name(sig)}"
        if s & 0x80:
            text += " && WCOREDUMP(s)"
    extra = s >> 16
    return "{" + text + "}" + (f" | {extra:#x}<<16" if extra else "")


def _string_array(c: Call, v: int) -> str:
    if v == 0:
        return "NULL"
    items = []
    for i in range(MAX_ELEMENTS + 1):
        p = c.u64(v + 8 * i)
        if p is None:
            return hexnum(v) if i == 0 else "[" + ", ".join(items) + ", ...]"
        if p == 0:
            break
        if i == MAX_ELEMENTS:
            items.append("...")
            break
        items.append(c.string(p))
    return "[" + ", ".join(items) + "]"


def ARGV(c: Call, v: int) -> str:
    return _string_array(c, v)


def ENVP(c: Call, v: int) -> str:
    if v == 0:
        return "NULL"
    n = 0
    while n < 4096:
        p = c.u64(v + 8 * n)
        if p is None:
            return hexnum(v)
        if p == 0:
            break
        n += 1
    return f"{hexnum(v)} /* {n} var{'' if n == 1 else 's'} */"


def INT_OUT(c: Call, v: int) -> str:
    """An int the call stores (ioctl FIONREAD...)."""
    return INT_IN(c, v) if c.ok else pointer(v)


def INT_IN(c: Call, v: int) -> str:
    val = c.u32(v)
    return pointer(v) if val is None else f"[{s32(val)}]"


def WINSIZE_IN(c: Call, v: int) -> str:
    data = c.read(v, 8)
    if data is None:
        return pointer(v)
    row, col, xp, yp = struct.unpack("<HHHH", data)
    return f"{{ws_row={row}, ws_col={col}, ws_xpixel={xp}, ws_ypixel={yp}}}"


def WINSIZE_OUT(c: Call, v: int) -> str:
    return WINSIZE_IN(c, v) if c.ok else pointer(v)


def TERMIOS_IN(c: Call, v: int) -> str:
    data = c.read(v, 16)
    if data is None:
        return pointer(v)
    iflag, oflag, cflag, lflag = struct.unpack("<IIII", data)
    odelay = [names[(oflag & mask) // (mask & -mask)] for mask, names in xlat.TC_ODELAYS]
    obits = flag_names(oflag & ~sum(m for m, _ in xlat.TC_ODELAYS), xlat.TC_OFLAG, "")
    ostr = "|".join(odelay + ([obits] if obits else []))
    return (f"{{c_iflag={flag_names(iflag, xlat.TC_IFLAG)}, c_oflag={ostr}, c_cflag={_cflag(cflag)}, "
            f"c_lflag={flag_names(lflag, xlat.TC_LFLAG)}, ...}}")


def TERMIOS_OUT(c: Call, v: int) -> str:
    return TERMIOS_IN(c, v) if c.ok else pointer(v)


def _baud(bits: int) -> str:
    if bits & 0o10000:
        return xlat.BAUDS_EXT[bits & 0o17]
    return xlat.BAUDS[bits & 0o17]


def _cflag(cflag: int) -> str:
    parts = [_baud(cflag & 0o10017)]
    ibaud = (cflag >> 16) & 0o10017
    if ibaud:
        parts.append(f"{_baud(ibaud)}<<IBSHIFT")
    parts.append(f"CS{5 + ((cflag >> 4) & 3)}")
    rest = cflag & ~(0o10017 | (0o10017 << 16) | 0o60)
    if rest:
        parts.append(flag_names(rest, xlat.TC_CFLAG))
    return "|".join(parts)


def flock_text(c: Call, v: int) -> str:
    data = c.read(v, 32)
    if data is None:
        return pointer(v)
    ltype, whence = struct.unpack_from("<hh", data, 0)
    start, length = struct.unpack_from("<qq", data, 8)
    return (f"{{l_type={xlat_name(ltype & 0xFFFF, xlat.F_LOCK_TYPES, 'F_???')}, "
            f"l_whence={xlat_name(whence & 0xFFFF, xlat.SEEK, 'SEEK_???')}, l_start={start}, l_len={length}}}")
