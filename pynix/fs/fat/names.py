"""FAT's names and times (Linux's fs/fat/namei_vfat.c and misc.c): 8.3 short names with their case bits,
VFAT long names in UTF-16 slots tied to the short entry by a checksum, and the 2-second local-time stamps."""
from __future__ import annotations

import calendar
import errno
import struct
import time
import zlib

from pynix.fs.fat.layout import ATTR_LFN, CASE_LOWER_BASE, CASE_LOWER_EXT, LFN_MAX, fat_error



_SHORT_OK = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'()-@^_`{}~")
_LFN_BAD = frozenset(b'*?<>|":\\/') | frozenset(range(0x20))

# ------------------------------------------------------------------------------------------------ times
def fat_time_to_ns(date: int, tm: int = 0, tenth: int = 0) -> int:
    """FAT local date/time (+ creation tenths: units of 10 ms, 0..199) -> ns since the epoch."""
    if date == 0:
        return 0
    year, month, day = 1980 + (date >> 9), (date >> 5) & 15, date & 31
    month, day = min(max(month, 1), 12), min(max(day, 1), 31)
    hour, minute, sec = min(tm >> 11, 23), min((tm >> 5) & 63, 59), min((tm & 31) * 2, 58)
    try:
        secs = int(time.mktime((year, month, day, hour, minute, sec, 0, 0, -1)))
    except (OverflowError, ValueError):
        secs = calendar.timegm((year, month, day, hour, minute, sec, 0, 0, 0))
    tenth = min(tenth, 199)
    return (secs + tenth // 100) * 10**9 + (tenth % 100) * 10**7


def ns_to_fat_time(ns: int) -> tuple[int, int, int]:
    """ns since the epoch -> (date, time, tenths) in local time, clamped to FAT's 1980..2107 range."""
    secs = ns // 10**9
    try:
        t = time.localtime(secs)
    except (OverflowError, ValueError, OSError):
        t = None
    if t is None or t.tm_year < 1980:
        return (0 << 9) | (1 << 5) | 1, 0, 0
    if t.tm_year > 2107:
        return (127 << 9) | (12 << 5) | 31, (23 << 11) | (59 << 5) | 29, 199
    date = ((t.tm_year - 1980) << 9) | (t.tm_mon << 5) | t.tm_mday
    sec = min(t.tm_sec, 59)
    tm = (t.tm_hour << 11) | (t.tm_min << 5) | (sec // 2)
    tenth = (sec % 2) * 100 + (ns % 10**9) // 10**7
    return date, tm, tenth


def lfn_checksum(short: bytes) -> int:
    s = 0
    for c in short:
        s = (((s & 1) << 7) + (s >> 1) + c) & 0xFF
    return s


def short_display(short: bytes, lcase: int) -> str:
    """The name an 8.3 entry shows (`README  TXT` -> `README.TXT`; NT's lower-case flags honoured)."""
    base, ext = short[:8].rstrip(b" "), short[8:11].rstrip(b" ")
    if base[:1] == b"\x05":
        base = b"\xe5" + base[1:]
    b, e = base.decode("cp437"), ext.decode("cp437")
    if lcase & CASE_LOWER_BASE:
        b = b.lower()
    if lcase & CASE_LOWER_EXT:
        e = e.lower()
    return f"{b}.{e}" if e else b


def name_key(name: str) -> str:
    return name.lower()


def check_long_name(raw: bytes) -> str:
    """A new entry's name as vfat takes it: UTF-8, trailing dots dropped, none of `*?<>|":\\` or controls,
    at most 255 UTF-16 units (EINVAL / ENAMETOOLONG otherwise)."""
    name = raw.rstrip(b".")
    if not name:
        raise fat_error(errno.EINVAL)
    if any(c in _LFN_BAD for c in name):
        raise fat_error(errno.EINVAL)
    try:
        text = name.decode("utf-8")
    except UnicodeDecodeError:
        raise fat_error(errno.EINVAL) from None
    if len(text.encode("utf-16-le", "surrogatepass")) // 2 > LFN_MAX:
        raise fat_error(errno.ENAMETOOLONG)
    return text


def plain_short_name(text: str) -> bytes | None:
    """The 11-byte entry name when `text` is already an upper-case 8.3 name (stored without a long name,
    like vfat's shortname=mixed); None otherwise."""
    if not text or text != text.upper() or text.startswith("."):
        return None
    try:
        raw = text.encode("ascii")
    except UnicodeEncodeError:
        return None
    base, dot, ext = raw.partition(b".")
    if not base or len(base) > 8 or len(ext) > 3 or (dot and not ext) or b"." in ext:
        return None
    if not all(c in _SHORT_OK for c in base + ext):
        return None
    return base.ljust(8) + ext.ljust(3)


def make_short_name(text: str, taken, exclude: bytes | None = None) -> bytes:
    """A `BASIS~N.EXT` alias for a long name, not in `taken` (the directory's short names) unless it is
    `exclude`.  Like Windows: ~1..~4, then two letters of the basis, four hex digits of a hash of the long
    name and ~1..~9 (so that many similar names do not cost a search each), then any free number."""
    def clean(part: str) -> bytes:
        out = bytearray()
        for ch in part.upper():
            if ch in " .":
                continue
            code = ord(ch)
            out.append(code if code < 128 and code in _SHORT_OK else ord("_"))
        return bytes(out)

    def free(candidate: bytes) -> bool:
        return candidate not in taken or candidate == exclude

    stripped = text.lstrip(".")
    base_s, dot, ext_s = stripped.rpartition(".")
    if not dot:
        base_s, ext_s = stripped, ""
    base, ext = clean(base_s) or b"_", clean(ext_s)[:3].ljust(3)
    for n in range(1, 5):
        candidate = (base[:8 - 2] + b"~%d" % n).ljust(8) + ext
        if free(candidate):
            return candidate
    digest = zlib.crc32(text.encode("utf-8", "surrogatepass"))
    for salt in range(4):
        h = b"%04X" % ((digest >> (salt * 4)) & 0xFFFF)
        for n in range(1, 10):
            candidate = base[:2] + h + b"~%d" % n + ext
            if free(candidate):
                return candidate
    for n in range(5, 1000000):
        tail = b"~%d" % n
        candidate = (base[:8 - len(tail)] + tail).ljust(8) + ext
        if free(candidate):
            return candidate
    raise fat_error(errno.EEXIST)


def lfn_slots(text: str, checksum: int) -> list[bytes]:
    """The long-name entries for `text`, in on-disk order (last part first)."""
    units = list(struct.unpack(f"<{len(text.encode('utf-16-le', 'surrogatepass')) // 2}H",
                               text.encode("utf-16-le", "surrogatepass")))
    count = (len(units) + 12) // 13
    if len(units) % 13:
        units.append(0)
        units += [0xFFFF] * (count * 13 - len(units))
    slots = []
    for i in range(count, 0, -1):
        part = units[(i - 1) * 13:i * 13]
        b = bytearray(32)
        b[0] = i | (0x40 if i == count else 0)
        struct.pack_into("<5H", b, 1, *part[0:5])
        b[11], b[12], b[13] = ATTR_LFN, 0, checksum
        struct.pack_into("<6H", b, 14, *part[5:11])
        struct.pack_into("<2H", b, 28, *part[11:13])
        slots.append(bytes(b))
    return slots
