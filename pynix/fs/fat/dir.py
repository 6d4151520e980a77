"""A FAT directory held in memory (Linux's fs/fat/dir.c): its 32-byte entries and a name index."""
from __future__ import annotations
from pynix.fs.fat.layout import ATTR_DIR, ATTR_LFN, ATTR_VOLUME, DELETED, DOTDOT_NAME, DOT_NAME
from pynix.fs.fat.names import lfn_checksum, name_key, short_display





class FatDir:
    """A directory's bytes and their index, read once and kept up to date."""
    __slots__ = ("buf", "chain", "names", "by_long", "by_short", "shorts", "end", "deleted", "subdirs", "dups")

    def __init__(self, chain: list[int], buf: bytearray) -> None:
        self.chain = chain
        self.buf = buf
        self.names: dict[int, tuple[str, int]] = {}    # short-entry slot -> (name shown, first slot incl. LFN)
        self.by_long: dict[str, int] = {}
        self.by_short: dict[str, int] = {}
        self.shorts: dict[bytes, int] = {}
        self.end = len(buf) // 32                       # first slot of the free tail (a 0x00 entry)
        self.deleted: set[int] = set()
        self.subdirs = 0
        self.dups = False                               # two entries share a name (only foreign images)
        self._parse()

    def _parse(self) -> None:
        buf = self.buf
        lfn: dict[int, bytes] = {}
        expect = chk = first = 0
        for slot in range(len(buf) // 32):
            o = slot * 32
            b0 = buf[o]
            if b0 == 0:
                self.end = slot
                break
            if b0 == DELETED:
                self.deleted.add(slot)
                expect = 0
                continue
            attr = buf[o + 11]
            if attr & 0x3F == ATTR_LFN:
                n = b0 & 0x3F
                if b0 & 0x40 and 1 <= n <= 20:
                    lfn, expect, chk, first = {}, n, buf[o + 13], slot
                    lfn[n] = bytes(buf[o + 1:o + 11] + buf[o + 14:o + 26] + buf[o + 28:o + 32])
                elif expect and n == expect - 1 and buf[o + 13] == chk and not b0 & 0x40:
                    lfn[n] = bytes(buf[o + 1:o + 11] + buf[o + 14:o + 26] + buf[o + 28:o + 32])
                    expect = n
                else:
                    expect = 0
                continue
            short = bytes(buf[o:o + 11])
            if attr & ATTR_VOLUME or short in (DOT_NAME, DOTDOT_NAME):
                expect = 0
                continue
            name = None
            if expect == 1 and lfn_checksum(short) == chk:
                units = b"".join(lfn[i] for i in range(1, len(lfn) + 1))
                for k in range(0, len(units), 2):
                    if units[k] == 0 and units[k + 1] == 0:
                        units = units[:k]
                        break
                name = units.decode("utf-16-le", "surrogatepass") or None
                start = first
            if name is None:
                name, start = short_display(short, buf[o + 12]), slot
            expect = 0
            self._index(slot, name, start, short, bool(attr & ATTR_DIR))

    def _index(self, slot: int, name: str, first: int, short: bytes, is_dir: bool) -> None:
        self.names[slot] = (name, first)
        for index, key in ((self.by_long, name_key(name)), (self.by_short, name_key(short_display(short, 0)))):
            if index.setdefault(key, slot) != slot:
                self.dups = True
        self.shorts[short] = slot
        if is_dir:
            self.subdirs += 1

    def find(self, name: str) -> int | None:
        key = name_key(name)
        slot = self.by_long.get(key)
        return slot if slot is not None else self.by_short.get(key)

    def forget(self, slot: int) -> None:
        name, first = self.names.pop(slot)
        o = slot * 32
        short = bytes(self.buf[o:o + 11])
        for index, key in ((self.by_long, name_key(name)), (self.by_short, name_key(short_display(short, 0)))):
            if index.get(key) == slot:
                del index[key]
                if not self.dups:
                    continue
                for other, (n2, _f) in self.names.items():      # a shadowed duplicate (foreign image) shows again
                    s2 = bytes(self.buf[other * 32:other * 32 + 11])
                    k2 = name_key(n2) if index is self.by_long else name_key(short_display(s2, 0))
                    if k2 == key:
                        index[key] = other
                        break
        if self.shorts.get(short) == slot:
            del self.shorts[short]
        if self.buf[o + 11] & ATTR_DIR:
            self.subdirs -= 1
