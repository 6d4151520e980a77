"""ext2/ext3/ext4 on-disk structures (Linux's fs/ext2/ext2.h and fs/ext4/ext4.h): the superblock, group
descriptors, inodes, directory entries, feature bits, and the crc32c checksums of metadata_csum.

Only the fields pynix reads or writes are named; the rest of every structure is kept as raw bytes and written
back unchanged.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass

EXT2_SUPER_MAGIC = 0xEF53
SUPERBLOCK_OFFSET = 1024
ROOT_INO = 2
GOOD_OLD_FIRST_INO, GOOD_OLD_INODE_SIZE = 11, 128
NDIR_BLOCKS, IND_BLOCK, DIND_BLOCK, TIND_BLOCK = 12, 12, 13, 14

# s_state
VALID_FS, ERROR_FS = 1, 2

# features (s_feature_compat / incompat / ro_compat): all of Linux's names, so that the bits in a log line can be
# looked up here
COMPAT_DIR_PREALLOC, COMPAT_HAS_JOURNAL, COMPAT_EXT_ATTR, COMPAT_RESIZE_INODE = 0x1, 0x4, 0x8, 0x10
COMPAT_DIR_INDEX = 0x20
INCOMPAT_COMPRESSION, INCOMPAT_FILETYPE, INCOMPAT_RECOVER, INCOMPAT_JOURNAL_DEV = 0x1, 0x2, 0x4, 0x8
INCOMPAT_META_BG, INCOMPAT_EXTENTS, INCOMPAT_64BIT, INCOMPAT_MMP, INCOMPAT_FLEX_BG = 0x10, 0x40, 0x80, 0x100, 0x200
INCOMPAT_EA_INODE, INCOMPAT_DIRDATA, INCOMPAT_CSUM_SEED, INCOMPAT_LARGEDIR = 0x400, 0x1000, 0x2000, 0x4000
INCOMPAT_INLINE_DATA, INCOMPAT_ENCRYPT, INCOMPAT_CASEFOLD = 0x8000, 0x10000, 0x20000
RO_COMPAT_SPARSE_SUPER, RO_COMPAT_LARGE_FILE, RO_COMPAT_BTREE_DIR, RO_COMPAT_HUGE_FILE = 0x1, 0x2, 0x4, 0x8
RO_COMPAT_GDT_CSUM, RO_COMPAT_DIR_NLINK, RO_COMPAT_EXTRA_ISIZE = 0x10, 0x20, 0x40
RO_COMPAT_METADATA_CSUM = 0x400

# What pynix can read (a mount with anything else in incompat is refused), and what it can also write
# (Linux's ext2 driver: EXT2_FEATURE_INCOMPAT_SUPP, EXT2_FEATURE_RO_COMPAT_SUPP).
INCOMPAT_READ = (INCOMPAT_FILETYPE | INCOMPAT_EXTENTS | INCOMPAT_64BIT | INCOMPAT_FLEX_BG | INCOMPAT_CSUM_SEED
                 | INCOMPAT_LARGEDIR | INCOMPAT_MMP)
INCOMPAT_WRITE = INCOMPAT_FILETYPE
RO_COMPAT_WRITE = RO_COMPAT_SPARSE_SUPER | RO_COMPAT_LARGE_FILE | RO_COMPAT_BTREE_DIR

# inode flags
NOATIME_FL, INDEX_FL = 0x80, 0x1000
HUGE_FILE_FL, EXTENTS_FL, INLINE_DATA_FL = 0x40000, 0x80000, 0x10000000

# directory entry file types
FT_REG, FT_DIR, FT_CHR, FT_BLK, FT_FIFO, FT_SOCK, FT_SYMLINK = 1, 2, 3, 4, 5, 6, 7
DIRENT_HEADER = struct.Struct("<IHBB")         # inode, rec_len, name_len, file_type
EXTENT_MAGIC = 0xF30A
EXTENT_HEADER = struct.Struct("<HHHHI")        # magic, entries, max, depth, generation
EXTENT_ENTRY = struct.Struct("<IHHI")          # leaf: ee_block, ee_len, ee_start_hi, ee_start_lo
EXTENT_INDEX = struct.Struct("<IIHH")          # index: ei_block, ei_leaf_lo, ei_leaf_hi, unused
INIT_MAX_LEN = 32768


def dirent_size(name_len: int) -> int:
    """EXT2_DIR_REC_LEN: the bytes an entry with a name of this length needs."""
    return (8 + name_len + 3) & ~3


# ------------------------------------------------------------------------------------------- crc32c
def _crc_table() -> list[int]:
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC32C = _crc_table()


def crc32c(crc: int, data: bytes | memoryview) -> int:
    """Linux's crc32c_le(crc, data): the raw CRC-32C register, no final inversion (what ext4_chksum returns)."""
    table = _CRC32C
    for b in bytes(data):
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc


# ---------------------------------------------------------------------------------------- superblock
# (offset, struct format, name) of the superblock fields used here
_SB_FIELDS = (
    (0x00, "I", "inodes_count"), (0x04, "I", "blocks_count_lo"), (0x08, "I", "r_blocks_count_lo"),
    (0x0C, "I", "free_blocks_count_lo"), (0x10, "I", "free_inodes_count"), (0x14, "I", "first_data_block"),
    (0x18, "I", "log_block_size"), (0x20, "I", "blocks_per_group"), (0x28, "I", "inodes_per_group"),
    (0x2C, "I", "mtime"), (0x30, "I", "wtime"), (0x34, "H", "mnt_count"), (0x38, "H", "magic"),
    (0x3A, "H", "state"), (0x4C, "I", "rev_level"), (0x54, "I", "first_ino"), (0x58, "H", "inode_size"),
    (0x5C, "I", "feature_compat"), (0x60, "I", "feature_incompat"), (0x64, "I", "feature_ro_compat"),
    (0x68, "16s", "uuid"), (0xCE, "H", "reserved_gdt_blocks"), (0xE0, "I", "journal_inum"),
    (0xFE, "H", "desc_size"), (0x150, "I", "blocks_count_hi"), (0x154, "I", "r_blocks_count_hi"),
    (0x158, "I", "free_blocks_count_hi"), (0x175, "B", "checksum_type"), (0x270, "I", "checksum_seed"),
    (0x3FC, "I", "checksum"),
)


_SB_INDEX = {name: (offset, struct.Struct("<" + fmt)) for offset, fmt, name in _SB_FIELDS}


@dataclass
class SuperBlockFields:
    """The 1024 bytes of the on-disk superblock, with the fields above readable as attributes."""
    raw: bytearray

    def __getattr__(self, name: str):
        try:
            offset, fmt = _SB_INDEX[name]
        except KeyError:
            raise AttributeError(name) from None
        return fmt.unpack_from(self.raw, offset)[0]

    def set(self, name: str, value) -> None:
        offset, fmt = _SB_INDEX[name]
        fmt.pack_into(self.raw, offset, value)


# ------------------------------------------------------------------------------------ group descriptors
@dataclass
class GroupDesc:
    """One block group's descriptor (ext4_group_desc; the _hi halves only with 64bit)."""
    block_bitmap: int
    inode_bitmap: int
    inode_table: int
    free_blocks: int
    free_inodes: int
    used_dirs: int
    flags: int
    raw: bytearray

    @classmethod
    def parse(cls, raw: bytes) -> "GroupDesc":
        bb, ib, it, fb, fi, ud, flags = struct.unpack_from("<IIIHHHH", raw, 0)
        if len(raw) >= 64:
            bbh, ibh, ith, fbh, fih, udh = struct.unpack_from("<IIIHHH", raw, 0x20)
            bb, ib, it = bb | bbh << 32, ib | ibh << 32, it | ith << 32
            fb, fi, ud = fb | fbh << 16, fi | fih << 16, ud | udh << 16
        return cls(bb, ib, it, fb, fi, ud, flags, bytearray(raw))

    def pack(self) -> bytes:
        raw = self.raw
        struct.pack_into("<HHH", raw, 0x0C, self.free_blocks & 0xFFFF, self.free_inodes & 0xFFFF,
                         self.used_dirs & 0xFFFF)
        if len(raw) >= 64:
            struct.pack_into("<HHH", raw, 0x2C, self.free_blocks >> 16, self.free_inodes >> 16, self.used_dirs >> 16)
        return bytes(raw)


# -------------------------------------------------------------------------------------------- inodes
INODE_BASE = struct.Struct("<HHIIIIIHHIII60sIIII12s")
# i_mode, i_uid, i_size_lo, i_atime, i_ctime, i_mtime, i_dtime, i_gid, i_links_count, i_blocks_lo, i_flags,
# osd1, i_block, i_generation, i_file_acl_lo, i_size_high, i_faddr, osd2 (blocks_hi, file_acl_hi, uid_hi,
# gid_hi, checksum_lo, reserved)
OSD2 = struct.Struct("<HHHHHH")
EXTRA_TIMES = struct.Struct("<HHIIIII")        # i_extra_isize, i_checksum_hi, ctime/mtime/atime_extra, crtime(+extra)


def decode_time(seconds: int, extra: int | None) -> int:
    """An inode time in ns: 32 signed bits of seconds, with the extra field's 2 epoch bits and 30 ns bits."""
    secs = seconds - (1 << 32) if seconds & 0x80000000 else seconds
    if extra is None:
        return secs * 10**9
    secs += (extra & 3) << 32
    return secs * 10**9 + min(extra >> 2, 999_999_999)


def encode_time(ns: int) -> tuple[int, int]:
    """(seconds field, extra field) for a time in ns (ext4_encode_extra_time)."""
    secs, nsec = divmod(ns, 10**9)
    low = secs & 0xFFFFFFFF
    signed = low - (1 << 32) if low & 0x80000000 else low
    return low, ((secs - signed) >> 32 & 3) | nsec << 2
