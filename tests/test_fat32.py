"""FAT32 disk images (pynix/fs/fat/): the file system driven directly, checked against the host's tools
(Debian's dosfstools `fsck.fat -n` must find every image clean; mtools reads what we write and we read what it
writes), corrupted images failing cleanly, and one end-to-end run of busybox on a `--disk` mount."""
from __future__ import annotations

import errno
import os
import random
import shutil
import stat
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import harness  # noqa: E402
from pynix.errors import KernelError  # noqa: E402
from pynix.fs.fat import Fat32SuperBlock, mkfs  # noqa: E402
from pynix.fs.fat.layout import ATTR_RO  # noqa: E402
from pynix.fs.vfs import RENAME_EXCHANGE, RENAME_NOREPLACE  # noqa: E402
from pynix.fs.vfs import DT_DIR, DT_REG, Dentry, VfsPath  # noqa: E402

MiB = 1 << 20
SBIN_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
MTOOLS_ENV = dict(os.environ, MTOOLS_SKIP_CHECK="1", MTOOLS_NO_VFAT="0", LC_ALL="C.UTF-8")


# ------------------------------------------------------------------------------------------------ helpers
def fsck(image) -> None:
    """fsck.fat -n must find nothing to repair."""
    tool = shutil.which("fsck.fat", path=SBIN_PATH)
    harness.need(tool is not None, "fsck.fat is not installed (Debian package dosfstools)")
    proc = subprocess.run([tool, "-n", str(image)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"fsck.fat -n {image} found problems:\n{proc.stdout}{proc.stderr}"


def mtool(*argv, stdin: bytes | None = None) -> bytes:
    tool = shutil.which(argv[0])
    harness.need(tool is not None, f"{argv[0]} is not installed (Debian package mtools)")
    proc = subprocess.run([tool, *argv[1:]], input=stdin, capture_output=True, env=MTOOLS_ENV, timeout=120)
    assert proc.returncode == 0, f"{' '.join(argv)}: {proc.stderr.decode(errors='replace')}"
    return proc.stdout


def mtools_tree(image) -> set[str]:
    """Every path mtools sees in the image (directories end in '/')."""
    tool = shutil.which("mdir")
    harness.need(tool is not None, "mdir is not installed (Debian package mtools)")
    proc = subprocess.run([tool, "-i", str(image), "-/", "-b", "::/"], capture_output=True, env=MTOOLS_ENV,
                          timeout=120)
    if proc.returncode == 1 and not proc.stdout and b"not found" in proc.stderr:
        return set()                                                  # mdir -b of an empty root
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    out = proc.stdout.decode("utf-8")
    return {line[3:] for line in out.splitlines() if line.startswith("::/")}


@pytest.fixture
def image(tmp_path) -> Path:
    path = tmp_path / "disk.img"
    mkfs(str(path), 64 * MiB)
    return path


# The unit tests mount with `fmask=0133` (files 0644) so that the execute bits are outside the writable set,
# which the mode rules below exercise; the default (the umask: files 0755) is checked by the --root test.
FMASK = 0o133


@pytest.fixture
def fs(image):
    sb = Fat32SuperBlock(str(image), fmask=FMASK)
    yield sb
    sb.close()


def remount(sb: Fat32SuperBlock) -> Fat32SuperBlock:
    sb.close()
    return Fat32SuperBlock(sb.image, fmask=FMASK)


def walk(sb: Fat32SuperBlock, path: str):
    inode = sb.root
    for part in path.strip("/").split("/"):
        if part:
            inode = inode.lookup(part.encode())
            if inode is None:
                raise FileNotFoundError(path)
    return inode


def put(directory, name: str, data: bytes):
    inode = directory.create(name.encode(), 0o644, 0, 0)
    assert inode.write_at(0, data) == len(data)
    return inode


def read_all(inode) -> bytes:
    return inode.read_at(0, inode.size + 10)


def tree(inode, prefix: str = "") -> dict[str, bytes | None]:
    """path -> contents (None for directories), read through our driver."""
    out: dict[str, bytes | None] = {}
    for name, ino, dtype in inode.readdir():
        child = inode.lookup(name)
        assert child is not None and child.ino == ino
        path = prefix + name.decode()
        if dtype == DT_DIR:
            assert child.is_dir
            out[path + "/"] = None
            out.update(tree(child, path + "/"))
        else:
            assert dtype == DT_REG and not child.is_dir
            out[path] = read_all(child)
    return out


def raises(code: int, fn, *args, **kwargs) -> None:
    with pytest.raises(KernelError) as info:
        fn(*args, **kwargs)
    assert info.value.errno == code, f"expected {errno.errorcode[code]}, got {errno.errorcode.get(info.value.errno)}"


def fsinfo(image) -> tuple[int, int]:
    with open(image, "rb") as f:
        f.seek(512 + 488)
        return struct.unpack("<II", f.read(8))


def fat_copies(image) -> tuple[bytes, bytes]:
    with open(image, "rb") as f:
        bs = f.read(512)
        reserved, nfats = struct.unpack_from("<HB", bs, 14)
        fatsz, = struct.unpack_from("<I", bs, 36)
        assert nfats == 2
        f.seek(reserved * 512)
        return f.read(fatsz * 512), f.read(fatsz * 512)


# ------------------------------------------------------------------------------------------------- mkfs
def test_mkfs_image_is_clean_and_empty(image):
    fsck(image)
    sb = Fat32SuperBlock(str(image))
    assert sb.root.readdir() == []
    info = sb.statfs()
    assert info["type"] == 0x4D44 and info["blocks"] >= 65525 and info["bfree"] == info["blocks"] - 1
    assert sb.root.ino == 1 and stat.S_IMODE(sb.root.mode) == 0o755 and sb.root.nlink == 2
    sb.close()
    assert mtools_tree(image) == set()


@pytest.mark.parametrize("size", [33 * MiB, 300 * MiB, 9 * 1024 * MiB])
def test_mkfs_sizes(tmp_path, size):
    path = tmp_path / "x.img"
    info = mkfs(str(path), size)
    assert path.stat().st_size == size and info["clusters"] >= 65525
    assert path.stat().st_blocks * 512 < 1 * MiB + info["fat_sectors"] * 1024   # sparse
    fsck(path)
    sb = Fat32SuperBlock(str(path))
    put(sb.root, "f", b"x" * 10000)
    assert sb.statfs()["bsize"] == info["sectors_per_cluster"] * 512
    sb.close()
    fsck(path)


def test_mkfs_refuses_small_sizes(tmp_path):
    with pytest.raises(ValueError, match="too small"):
        mkfs(str(tmp_path / "x.img"), 32 * MiB)
    proc = subprocess.run([sys.executable, "-m", "pynix", "mkfs.fat", str(tmp_path / "y.img"), "16M"],
                          capture_output=True, text=True, env=harness.pynix_env())
    assert proc.returncode == 1 and "too small for FAT32" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "y.img").exists()


def test_mkfs_command(tmp_path):
    path = tmp_path / "cli.img"
    proc = subprocess.run([sys.executable, "-m", "pynix", "mkfs.fat", "-n", "PYNIX", str(path), "40M"],
                          capture_output=True, text=True, env=harness.pynix_env())
    assert proc.returncode == 0, proc.stderr
    assert path.stat().st_size == 40 * MiB
    fsck(path)
    assert b"PYNIX" in open(path, "rb").read(512)
    proc = subprocess.run([sys.executable, "-m", "pynix", "mkfs.fat", str(path), "lots"],
                          capture_output=True, text=True, env=harness.pynix_env())
    assert proc.returncode == 2 and "not a size" in proc.stderr


# ---------------------------------------------------------------------------------------- files and dirs
def test_create_write_read_remount(fs, image):
    data = os.urandom(100_000)
    f = put(fs.root, "data.bin", data)
    assert f.size == len(data) and read_all(f) == data
    assert f.read_at(99_990, 100) == data[99_990:] and f.read_at(200_000, 10) == b""
    assert f.write_at(50_000, b"PATCH") == 5
    data = data[:50_000] + b"PATCH" + data[50_005:]
    sb = remount(fs)
    g = walk(sb, "data.bin")
    assert read_all(g) == data and stat.S_IMODE(g.mode) == 0o644 and g.nlink == 1
    assert (g.uid, g.gid) == (0, 0)
    sb.close()
    fsck(image)
    assert mtool("mcopy", "-i", str(image), "::/data.bin", "-") == data


def test_directories(fs, image):
    a = fs.root.mkdir(b"a", 0o755, 0, 0)
    b = a.mkdir(b"b", 0o755, 0, 0)
    put(b, "deep.txt", b"deep")
    assert fs.root.nlink == 3 and a.nlink == 3 and b.nlink == 2
    assert stat.S_ISDIR(a.mode) and stat.S_IMODE(a.mode) == 0o755
    raises(errno.EEXIST, fs.root.mkdir, b"A", 0o755, 0, 0)
    raises(errno.ENOTEMPTY, fs.root.rmdir, b"a")
    raises(errno.ENOTDIR, b.rmdir, b"deep.txt")
    raises(errno.EISDIR, a.unlink, b"b")
    raises(errno.ENOENT, a.rmdir, b"nothing")
    raises(errno.ENOTDIR, walk(fs, "a/b/deep.txt").lookup, b"x")
    sb = remount(fs)
    assert read_all(walk(sb, "a/b/deep.txt")) == b"deep"
    sb.close()
    fsck(image)
    assert mtools_tree(image) == {"a/", "a/b/", "a/b/deep.txt"}
    sb = Fat32SuperBlock(str(image))
    b = walk(sb, "a/b")
    b.unlink(b"deep.txt")
    walk(sb, "a").rmdir(b"b")
    raises(errno.ENOENT, b.create, b"late", 0o644, 0, 0)           # a removed directory takes no new entries
    assert b.readdir() == [] and b.nlink == 0 and b.lookup(b"deep.txt") is None
    sb.root.rmdir(b"a")
    assert sb.root.readdir() == [] and sb.statfs()["bfree"] == sb.statfs()["blocks"] - 1
    sb.close()
    fsck(image)


def test_many_entries_grow_directory(fs, image):
    d = fs.root.mkdir(b"many", 0o755, 0, 0)
    names = [f"file number {i:04d} with a long name.txt" for i in range(300)]
    for i, name in enumerate(names):
        put(d, name, b"%d" % i)
    for name in names[::3]:
        d.unlink(name.encode())
    for i in range(100):                                             # reuse the holes
        put(d, f"n{i}", b"new")
    sb = remount(fs)
    got = tree(walk(sb, "many"))
    want = {n: b"%d" % i for i, n in enumerate(names) if i % 3} | {f"n{i}": b"new" for i in range(100)}
    assert got == want
    sb.close()
    fsck(image)


# ----------------------------------------------------------------------------------------------- names
def test_long_names_case_and_aliases(fs, image):
    names = ["A_long_file_name.txt", "readme.txt", "README2.TXT", "MiXeD.Case", ".hidden", "with space.c",
             "ünïcödé ✓.md", "x" * 200, "a.b.c.d", "UPPER", "lower", "tar.gz.part", "a+b=c[1].txt"]
    for name in names:
        put(fs.root, name, name.encode())
    listed = sorted(n.decode() for n, _, _ in fs.root.readdir())
    assert listed == sorted(names)
    # lookups ignore case and give the same inode
    for name in names:
        for variant in (name, name.upper(), name.lower(), name.swapcase()):
            inode = fs.root.lookup(variant.encode())
            assert inode is not None and inode is fs.root.lookup(name.encode()), variant
    # the 8.3 alias also finds the file; an upper-case 8.3 name has no long-name entry
    assert fs.root.lookup(b"A_LONG~1.TXT") is fs.root.lookup(b"A_long_file_name.txt")
    assert fs.root.lookup(b"readme.txt") is fs.root.lookup(b"README.TXT")
    raw = open(image, "rb").read()
    at = raw.find(b"README2 TXT")
    assert at > 0 and raw[at - 32 + 11] != 0x0F                        # the previous slot is no LFN entry
    raises(errno.EEXIST, fs.root.create, b"ReadMe.TXT", 0o644, 0, 0)
    # invalid and too long names
    for bad in (b"a:b", b"a*b", b"q?", b"<x>", b"p|q", b'"', b"back\\slash", b"ctl\x01", b"\xff\xfe"):
        raises(errno.EINVAL, fs.root.create, bad, 0o644, 0, 0)
    raises(errno.ENAMETOOLONG, fs.root.create, b"y" * 256, 0o644, 0, 0)
    put(fs.root, "trailing...", b"t")                                 # vfat drops trailing dots
    assert fs.root.lookup(b"trailing") is not None
    sb = remount(fs)
    assert {n: d for n, d in tree(sb.root).items()} == {n: n.encode() for n in names} | {"trailing": b"t"}
    sb.close()
    fsck(image)
    assert mtools_tree(image) == set(names) | {"trailing"}
    for name in names:
        if "[" not in name:                                           # mtools takes [...] as a wildcard
            assert mtool("mcopy", "-i", str(image), "::/" + name, "-") == name.encode()


def test_short_name_aliases_are_unique(fs, image):
    for i in range(30):
        put(fs.root, f"Program Files {i}.configuration", b"")
    shorts = set()
    raw = bytes(fs.root._dir().buf)
    for slot in range(len(raw) // 32):
        entry = raw[slot * 32:slot * 32 + 32]
        if entry[0] not in (0, 0xE5) and entry[11] != 0x0F:
            assert entry[:11] not in shorts
            shorts.add(entry[:11])
    assert len(shorts) == 30 and b"PROGRA~1CON" in shorts
    fs.close()
    fsck(image)


# ---------------------------------------------------------------------------------------------- rename
def test_rename(fs, image):
    root = fs.root
    src = put(root, "old name.txt", b"one")
    ino = src.ino
    root.rename(b"old name.txt", root, b"New Name.txt", 0)
    assert root.lookup(b"old name.txt") is None and root.lookup(b"new name.TXT") is src and src.ino == ino
    # across directories, replacing a file
    d = root.mkdir(b"dir", 0o755, 0, 0)
    victim = put(d, "target", b"victim data" * 1000)
    free = fs.statfs()["bfree"]
    root.rename(b"New Name.txt", d, b"target", 0)
    assert d.lookup(b"target") is src and read_all(src) == b"one" and root.lookup(b"New Name.txt") is None
    assert victim.nlink == 0 and fs.statfs()["bfree"] > free
    # a change of case only
    d.rename(b"target", d, b"TARGET", 0)
    assert [n for n, _, _ in d.readdir()] == [b"TARGET"]
    # NOREPLACE and EXCHANGE
    other = put(d, "other", b"two")
    raises(errno.EEXIST, d.rename, b"TARGET", d, b"other", RENAME_NOREPLACE)
    d.rename(b"TARGET", d, b"other", RENAME_EXCHANGE)
    assert d.lookup(b"TARGET") is other and d.lookup(b"other") is src
    raises(errno.ENOENT, d.rename, b"TARGET", d, b"absent", RENAME_EXCHANGE)
    # directories: type checks, emptiness, moving a directory into itself
    sub = root.mkdir(b"sub", 0o755, 0, 0)
    inner = sub.mkdir(b"inner", 0o755, 0, 0)
    put(inner, "f", b"in inner")
    raises(errno.ENOTDIR, root.rename, b"sub", d, b"other", 0)
    raises(errno.EISDIR, d.rename, b"other", root, b"sub", 0)
    raises(errno.EINVAL, root.rename, b"sub", inner, b"loop", 0)
    raises(errno.EINVAL, root.rename, b"sub", sub, b"loop", 0)
    raises(errno.ENOENT, root.rename, b"missing", root, b"x", 0)
    empty = root.mkdir(b"empty", 0o755, 0, 0)
    raises(errno.ENOTEMPTY, root.rename, b"empty", root, b"sub", 0)
    sub.rename(b"inner", d, b"moved inner", 0)                          # '..' must follow
    assert sub.nlink == 2 and d.nlink == 3 and inner.parent is d
    root.rename(b"sub", d, b"sub2", 0)
    root.rename(b"empty", d, b"sub2", 0)                                # replaces an empty directory
    assert d.lookup(b"sub2") is empty and sub.nlink == 0
    sb = remount(fs)
    assert tree(sb.root) == {"dir/": None, "dir/TARGET": b"two", "dir/other": b"one", "dir/moved inner/": None,
                             "dir/moved inner/f": b"in inner", "dir/sub2/": None}
    sb.close()
    fsck(image)
    assert mtools_tree(image) == {"dir/", "dir/TARGET", "dir/other", "dir/moved inner/", "dir/moved inner/f",
                                  "dir/sub2/"}


def test_rename_exchange_directory_and_file_across_directories(fs, image):
    a = fs.root.mkdir(b"a", 0o755, 0, 0)
    b = fs.root.mkdir(b"b", 0o755, 0, 0)
    da = a.mkdir(b"x", 0o755, 0, 0)
    put(da, "in-da", b"1")
    fb = put(b, "y", b"file y")
    a.rename(b"x", b, b"y", RENAME_EXCHANGE)
    assert a.lookup(b"x") is fb and b.lookup(b"y") is da and a.nlink == 2 and b.nlink == 3
    fs.close()
    fsck(image)
    sb = Fat32SuperBlock(str(image))
    assert tree(sb.root) == {"a/": None, "a/x": b"file y", "b/": None, "b/y/": None, "b/y/in-da": b"1"}
    assert walk(sb, "b/y").lookup(b"in-da") is not None
    sb.close()


# ---------------------------------------------------------------------------------------- data and space
def test_truncate_and_holes(fs, image):
    f = put(fs.root, "t", b"abcdefgh" * 1000)
    f.truncate(100)
    assert read_all(f) == (b"abcdefgh" * 1000)[:100]
    f.truncate(5000)
    assert read_all(f) == (b"abcdefgh" * 1000)[:100] + bytes(4900)
    f.truncate(0)
    assert f.size == 0 and f.start == 0 and read_all(f) == b""
    f.write_at(3000, b"end")                                           # a write past the end fills with zeros
    assert read_all(f) == bytes(3000) + b"end"
    free = fs.statfs()["bfree"]
    f.truncate(1)
    assert fs.statfs()["bfree"] == free + 5 and read_all(f) == b"\0"
    raises(errno.EFBIG, f.truncate, 1 << 32)
    raises(errno.EFBIG, f.write_at, (1 << 32) - 1, b"x")
    raises(errno.EISDIR, fs.root.truncate, 0)
    raises(errno.EISDIR, fs.root.read_at, 0, 1)
    fs.close()
    fsck(image)


def test_fragmented_files(fs, image):
    files = [put(fs.root, f"frag{i}", b"") for i in range(3)]
    want = [bytearray() for _ in files]
    rng = random.Random(7)
    for _ in range(200):                                               # interleaved appends fragment the chains
        i = rng.randrange(3)
        chunk = bytes([rng.randrange(256)]) * rng.randrange(1, 1500)
        files[i].write_at(len(want[i]), chunk)
        want[i] += chunk
    chains = [f._get_chain() for f in files]
    assert any(c[k + 1] != c[k] + 1 for c in chains for k in range(len(c) - 1))
    for f, w in zip(files, want):
        assert read_all(f) == w
        assert f.read_at(777, 2000) == w[777:2777]
    files[1].truncate(len(want[1]) // 2)
    fs.root.unlink(b"frag0")
    sb = remount(fs)
    assert read_all(walk(sb, "frag1")) == want[1][:len(want[1]) // 2]
    assert read_all(walk(sb, "frag2")) == want[2]
    sb.close()
    fsck(image)
    assert mtool("mcopy", "-i", str(image), "::/frag2", "-") == want[2]


def test_free_space_fsinfo_and_both_fats(fs, image):
    start_free = fs.statfs()["bfree"]
    put(fs.root, "a", b"a" * 5000)                                     # 10 clusters
    fs.root.mkdir(b"d", 0o755, 0, 0)                                   # 1 cluster
    assert fs.statfs()["bfree"] == start_free - 11
    free, hint = fsinfo(image)
    assert free == start_free - 11 and 2 <= hint < fs.count + 2
    first, second = fat_copies(image)
    assert first == second
    fs.root.unlink(b"a")
    assert fsinfo(image)[0] == start_free - 1 == fs.statfs()["bfree"]
    fs.close()
    fsck(image)


def test_disk_full(tmp_path):
    path = tmp_path / "full.img"
    mkfs(str(path), 33 * MiB)
    sb = Fat32SuperBlock(str(path))
    big = put(sb.root, "big", b"")
    chunk = bytes(1 * MiB)
    written = 0
    while True:
        try:
            n = big.write_at(written, chunk)
        except KernelError as err:
            assert err.errno == errno.ENOSPC
            break
        written += n
        assert n > 0
    assert sb.statfs()["bfree"] == 0 and big.size == written
    raises(errno.ENOSPC, put, sb.root, "more", b"x")
    raises(errno.ENOSPC, big.truncate, written + 1)
    assert sb.root.lookup(b"more").size == 0                            # created, but holds nothing
    big.truncate(written // 2)
    assert sb.root.lookup(b"more").write_at(0, b"y" * 100) == 100
    sb.close()
    fsck(path)
    assert len(mtool("mcopy", "-i", str(path), "::/big", "-")) == written // 2


def test_unlinked_open_file_keeps_its_data(fs, image):
    f = put(fs.root, "open", b"still here" * 100)
    dentry = Dentry(b"open", f, Dentry(b"/", fs.root))
    file = f.open(VfsPath(None, dentry), os.O_RDWR)
    free = fs.statfs()["bfree"]
    fs.root.unlink(b"open")
    assert fs.root.lookup(b"open") is None and f.nlink == 0
    assert f.read_at(0, 10) == b"still here" and fs.statfs()["bfree"] == free
    f.write_at(1000, b"more")
    file.release()
    assert fs.statfs()["bfree"] == free + 2
    fs.close()
    fsck(image)


# -------------------------------------------------------------------------------------------- attributes
def test_inode_identity_and_numbers(fs):
    f = put(fs.root, "x", b"")
    d = fs.root.mkdir(b"d", 0o755, 0, 0)
    entries = {name: ino for name, ino, _ in fs.root.readdir()}
    assert entries == {b"x": f.ino, b"d": d.ino} and f.ino != d.ino and 1 not in entries.values()
    assert fs.root.lookup(b"X") is f
    fs.root.rename(b"x", d, b"y", 0)
    g = put(fs.root, "x", b"")                                         # reuses the old location
    assert d.lookup(b"y") is f and g is not f and g.ino != f.ino
    ino_d = d.ino
    sb = remount(fs)
    assert walk(sb, "d").ino == ino_d                                  # derived from the entry's location


def test_revalidate_spellings(fs):
    """Other spellings of a name reach the same entry; a dentry cached under one goes stale when the entry is
    unlinked or renamed under another (the VFS asks `revalidate`)."""
    f = put(fs.root, "Foo", b"")
    assert fs.root.revalidate(b"FOO", f) and fs.root.revalidate(b"foo", f)
    fs.root.rename(b"foo", fs.root, b"bar", 0)
    assert not fs.root.revalidate(b"FOO", f) and fs.root.revalidate(b"BAR", f)
    fs.root.unlink(b"bar")
    assert not fs.root.revalidate(b"Bar", f)


def test_times_and_modes(fs, image):
    f = put(fs.root, "t", b"")
    now = time.time_ns()
    assert abs(f.mtime_ns - now) < 3 * 10**9 and f.mtime_ns % (2 * 10**9) == 0
    t = 1_700_000_001_234_567_890                                      # 2023-11-14, odd second
    f.setattr(mtime_ns=t, atime_ns=t)
    assert f.mtime_ns == (t // 10**9 - (time.localtime(t // 10**9).tm_sec % 2)) * 10**9
    lt = time.localtime(t // 10**9)
    assert f.atime_ns == int(time.mktime((lt.tm_year, lt.tm_mon, lt.tm_mday, 0, 0, 0, 0, 0, -1))) * 10**9
    f.setattr(mtime_ns=0)                                              # before 1980: clamped
    assert time.localtime(f.mtime_ns // 10**9).tm_year == 1980
    f.setattr(mtime_ns=t)
    # permissions: only the write bits can change; chown is refused
    f.setattr(mode=0o444)
    assert stat.S_IMODE(f.mode) == 0o444 and f.attr & ATTR_RO
    f.setattr(mode=0o644)
    assert stat.S_IMODE(f.mode) == 0o644 and not f.attr & ATTR_RO
    f.setattr(mode=0o666)                                              # masked to 0644, like vfat
    raises(errno.EPERM, f.setattr, mode=0o600)
    f.setattr(mode=0o755)                                              # x bits are outside the mask: ignored
    assert stat.S_IMODE(f.mode) == 0o644
    raises(errno.EPERM, f.setattr, mode=0o200)
    raises(errno.EPERM, f.setattr, uid=1000)
    f.setattr(mode=0o444)
    ro = fs.root.create(b"ro", 0o444, 0, 0)
    assert stat.S_IMODE(ro.mode) == 0o444
    sb = remount(fs)
    g = walk(sb, "t")
    assert g.mtime_ns == f.mtime_ns and stat.S_IMODE(g.mode) == 0o444 and g.stat()["mtime"] == f.mtime_ns // 10**9
    sb.close()
    fsck(image)
    listing = mtool("mdir", "-i", str(image), "::/t").decode()
    assert time.strftime("%Y-%m-%d", lt) in listing


# ---------------------------------------------------------------------------------------------- mtools
def test_mtools_writes_we_read(image, tmp_path):
    payload = os.urandom(300_000)
    (tmp_path / "p").write_bytes(payload)
    (tmp_path / "small").write_bytes(b"small\n")
    mtool("mmd", "-i", str(image), "::/From Mtools")
    mtool("mmd", "-i", str(image), "::/From Mtools/nested")
    mtool("mcopy", "-i", str(image), str(tmp_path / "p"), "::/From Mtools/nested/Payload File.bin")
    mtool("mcopy", "-i", str(image), str(tmp_path / "small"), "::/readme.txt")     # 8.3 with lower-case flags
    mtool("mcopy", "-i", str(image), str(tmp_path / "small"), "::/UPPER.TXT")
    sb = Fat32SuperBlock(str(image))
    assert tree(sb.root) == {"From Mtools/": None, "From Mtools/nested/": None,
                             "From Mtools/nested/Payload File.bin": payload, "readme.txt": b"small\n",
                             "UPPER.TXT": b"small\n"}
    # and we can change what mtools wrote
    walk(sb, "From Mtools/nested").unlink(b"payload file.bin")
    sb.root.rename(b"readme.txt", walk(sb, "From Mtools"), b"Read Me.txt", 0)
    sb.close()
    fsck(image)
    assert mtools_tree(image) == {"From Mtools/", "From Mtools/nested/", "From Mtools/Read Me.txt", "UPPER.TXT"}
    assert mtool("mcopy", "-i", str(image), "::/From Mtools/Read Me.txt", "-") == b"small\n"
    mtool("mdel", "-i", str(image), "::/UPPER.TXT")
    mtool("mrd", "-i", str(image), "::/From Mtools/nested")
    fsck(image)
    sb = Fat32SuperBlock(str(image))
    assert tree(sb.root) == {"From Mtools/": None, "From Mtools/Read Me.txt": b"small\n"}
    sb.close()


def test_random_operations_against_a_model(image):
    """Random creates, writes, truncates, renames, unlinks, mkdirs and rmdirs, compared with a dict model
    after each remount; fsck and mtools check the result."""
    rng = random.Random(1234)
    sb = Fat32SuperBlock(str(image))
    model: dict[str, bytes | None] = {}                               # path -> data, None for directories
    words = ["alpha", "Beta", "GAMMA", "delta file", "ε psilon", "a very long name number", "x", "Y.TXT"]

    def dirs() -> list[str]:
        return [""] + [p for p, v in model.items() if v is None]

    def children(d: str) -> list[str]:
        return [p for p in model if p.rpartition("/")[0] == d.rstrip("/") and p != d]

    def inode_of(path: str):
        return walk(sb, path) if path else sb.root

    def fresh(d: str) -> str:
        while True:
            name = f"{rng.choice(words)} {rng.randrange(1000)}"
            path = f"{d}/{name}" if d else name
            if path.lower() not in {p.lower() for p in model}:
                return path

    for step in range(400):
        op = rng.random()
        files = [p for p, v in model.items() if v is not None]
        if op < 0.25 or not files:
            d = rng.choice(dirs())
            path = fresh(d)
            data = os.urandom(rng.choice([0, 1, 511, 512, 513, 4000, 20000]))
            put(inode_of(d), path.rpartition("/")[2], data)
            model[path] = data
        elif op < 0.40:
            path = rng.choice(files)
            off = rng.randrange(len(model[path]) + 2000)
            data = os.urandom(rng.randrange(1, 3000))
            inode_of(path).write_at(off, data)
            old = model[path]
            old = old + bytes(max(0, off - len(old)))
            model[path] = old[:off] + data + old[off + len(data):]
        elif op < 0.50:
            path = rng.choice(files)
            size = rng.randrange(len(model[path]) * 2 + 10)
            inode_of(path).truncate(size)
            model[path] = model[path][:size].ljust(size, b"\0")
        elif op < 0.60:
            path = rng.choice(files)
            parent, _, name = path.rpartition("/")
            inode_of(parent).unlink(name.encode())
            del model[path]
        elif op < 0.70:
            d = rng.choice(dirs())
            path = fresh(d)
            inode_of(d).mkdir(path.rpartition("/")[2].encode(), 0o755, 0, 0)
            model[path] = None
        elif op < 0.80:
            empty = [p for p in dirs() if p and not children(p)]
            if empty:
                path = rng.choice(empty)
                parent, _, name = path.rpartition("/")
                inode_of(parent).rmdir(name.encode())
                del model[path]
        else:
            path = rng.choice([p for p in model])
            parent, _, name = path.rpartition("/")
            dest_dir = rng.choice([d for d in dirs() if not (d == path or d.startswith(path + "/"))])
            dest = fresh(dest_dir)
            inode_of(parent).rename(name.encode(), inode_of(dest_dir), dest.rpartition("/")[2].encode(), 0)
            moved = {p: v for p, v in model.items() if p == path or p.startswith(path + "/")}
            for p in moved:
                del model[p]
            for p, v in moved.items():
                model[dest + p[len(path):]] = v
        if step % 100 == 99:
            sb.close()
            fsck(image)
            sb = Fat32SuperBlock(str(image))
            got = tree(sb.root)
            assert got == {(p + "/" if v is None else p): v for p, v in model.items()}
    sb.close()
    fsck(image)
    assert mtools_tree(image) == {(p + "/" if v is None else p) for p, v in model.items()}


# ------------------------------------------------------------------------------------- bad images, modes
def _patched(tmp_path: Path, offset: int, data: bytes) -> str:
    out = tmp_path / "bad.img"
    mkfs(str(out), 33 * MiB)
    with open(out, "r+b") as f:
        f.seek(offset)
        f.write(data)
    return str(out)


@pytest.mark.parametrize("offset,data,why", [
    (510, b"\0\0", "no boot signature"),
    (11, struct.pack("<H", 0), "0 bytes per sector"),
    (11, struct.pack("<H", 768), "768 bytes per sector"),
    (11, struct.pack("<H", 8192), "8192 bytes per sector"),
    (13, b"\x03", "3 sectors per cluster"),
    (13, b"\x00", "0 sectors per cluster"),
    (16, b"\x00", "no FAT"),
    (14, b"\x00\x00", "no reserved sectors"),
    (22, struct.pack("<H", 200), "a FAT16 BPB"),
    (17, struct.pack("<H", 512), "root entries of FAT16"),
    (36, struct.pack("<I", 0), "FAT size 0"),
    (36, struct.pack("<I", 2), "FAT too small"),
    (36, struct.pack("<I", 0x7FFFFFFF), "FAT larger than the disk"),
    (32, struct.pack("<I", 0xFFFFFFFF), "more sectors than the file"),
    (44, struct.pack("<I", 0), "root cluster 0"),
    (44, struct.pack("<I", 0x0FFFFFF0), "root cluster beyond the disk"),
])
def test_corrupted_boot_sector_fails_cleanly(tmp_path, offset, data, why):
    path = _patched(tmp_path, offset, data)
    with pytest.raises(KernelError) as info:
        Fat32SuperBlock(path)
    assert info.value.errno == errno.EINVAL, why


def test_truncated_and_foreign_images(image, tmp_path):
    for size in (0, 100, 600, 1 * MiB, 60 * MiB):
        path = tmp_path / f"cut{size}.img"
        with open(image, "rb") as src, open(path, "wb") as dst:
            dst.write(src.read(size))
        with pytest.raises(KernelError) as info:
            Fat32SuperBlock(str(path))
        assert info.value.errno in (errno.EINVAL, errno.EIO)
    path = tmp_path / "random.img"
    path.write_bytes(random.Random(3).randbytes(1 * MiB))
    raises(errno.EINVAL, Fat32SuperBlock, str(path))
    raises(errno.ENOENT, Fat32SuperBlock, str(tmp_path / "absent.img"))
    raises(errno.EISDIR, Fat32SuperBlock, str(tmp_path))


def test_broken_chains_give_eio(fs, image):
    f = put(fs.root, "f", b"z" * 3000)
    d = fs.root.mkdir(b"d", 0o755, 0, 0)
    chain, dchain = list(f._get_chain()), list(d._get_chain())
    fs.close()
    raw = bytearray(image.read_bytes())
    fat_at = 32 * 512
    struct.pack_into("<I", raw, fat_at + chain[2] * 4, chain[0])          # a loop
    struct.pack_into("<I", raw, fat_at + dchain[0] * 4, 0x0FFFFFF7)      # a bad cluster
    image.write_bytes(raw)
    sb = Fat32SuperBlock(str(image))
    raises(errno.EIO, walk(sb, "f").read_at, 0, 10)
    raises(errno.EIO, walk(sb, "d").readdir)
    raises(errno.EIO, walk(sb, "d").lookup, b"x")
    sb.close()
    struct.pack_into("<I", raw, fat_at + 2 * 4, 0)                       # the root chain itself
    struct.pack_into("<I", raw, fat_at + 2 * 4, 0x0FFFFFF7)
    image.write_bytes(raw)
    raises(errno.EIO, Fat32SuperBlock, str(image))


def test_garbage_everywhere_never_tracebacks(tmp_path):
    """Random damage to the FAT and the directories: every operation either works or raises KernelError."""
    path = tmp_path / "fuzz.img"
    mkfs(str(path), 33 * MiB)
    sb = Fat32SuperBlock(str(path))
    for i in range(6):
        d = sb.root.mkdir(b"dir%d" % i, 0o755, 0, 0)
        for j in range(8):
            put(d, f"a long file name {j}.dat", os.urandom(2000))
    fat_at, data_at = sb.fat_offset, sb.data_offset
    sb.close()
    regions = [(fat_at, fat_at + 512 * 4), (data_at, data_at + 512 * 200)]
    with open(path, "rb") as f:
        clean = []
        for lo, hi in regions:
            f.seek(lo)
            clean.append(f.read(hi - lo))
    rng = random.Random(99)
    outcomes = {"mounted": 0, "ok": 0, "errors": 0}
    for trial in range(40):
        with open(path, "r+b") as f:
            for (lo, hi), data in zip(regions, clean):
                damaged = bytearray(data)
                for _ in range(30):
                    damaged[rng.randrange(len(damaged))] = rng.randrange(256)
                f.seek(lo)
                f.write(damaged)
        try:
            sb = Fat32SuperBlock(str(path))
        except KernelError:
            continue
        outcomes["mounted"] += 1
        try:
            stack, seen = [sb.root], set()
            while stack:
                inode = stack.pop()
                if inode.start in seen:                               # damage can make directory loops
                    continue
                seen.add(inode.start)
                try:
                    entries = inode.readdir()
                except KernelError:
                    continue
                for name, _, dtype in entries:
                    try:
                        child = inode.lookup(name)
                        if child is None:
                            continue
                        child.stat()
                        if child.is_dir:
                            stack.append(child)
                            child.create(b"new file", 0o644, 0, 0).write_at(0, b"x" * 700)
                        else:
                            child.read_at(0, 1 << 20)
                            child.write_at(100, b"y" * 600)
                            child.truncate(10)
                        outcomes["ok"] += 1
                    except KernelError:
                        outcomes["errors"] += 1
                try:
                    if entries:
                        inode.rename(entries[0][0], sb.root, b"renamed %d" % trial, 0)
                except KernelError:
                    pass
        finally:
            sb.close()
    assert outcomes["mounted"] >= 10 and outcomes["ok"] >= 50 and outcomes["errors"] >= 10, outcomes


def test_readonly_mount_and_exclusive_use(image):
    sb = Fat32SuperBlock(str(image))
    put(sb.root, "f", b"data")
    raises(errno.EBUSY, Fat32SuperBlock, str(image))                  # one read-write user at a time
    sb.close()
    ro = Fat32SuperBlock(str(image), readonly=True)
    f = ro.root.lookup(b"f")
    assert read_all(f) == b"data" and ro.readonly
    raises(errno.EROFS, ro.root.create, b"g", 0o644, 0, 0)
    raises(errno.EROFS, f.write_at, 0, b"x")
    raises(errno.EROFS, f.truncate, 0)
    raises(errno.EROFS, ro.root.unlink, b"f")
    raises(errno.EROFS, ro.root.mkdir, b"d", 0o755, 0, 0)
    ro.close()


# ------------------------------------------------------------------------------------------ end to end
def _have_namespace_calls() -> bool:
    from pynix import syscall
    return "mkdirat" in syscall.implemented_names()


BUSYBOX = Path("/bin/busybox")


def test_run_disk_errors(tmp_path, image):
    harness.need(BUSYBOX.exists(), f"{BUSYBOX} is missing (Debian package busybox-static)")
    bad = tmp_path / "bad.img"
    bad.write_bytes(b"\0" * 4096)
    for extra, message in ((["--disk", f"{bad}:/mnt"], "cannot mount"),
                           (["--disk", f"{image}:/no/such/dir"], "no directory"),
                           (["--disk", ":/mnt"], "IMAGE:GUEST")):    # `--disk IMAGE` alone attaches /dev/vda
        got = harness.run_pynix(BUSYBOX, ["true"], extra=extra)
        assert got.returncode == 2 and message in got.stderr.decode(), got.stderr
        assert b"Traceback" not in got.stderr


@pytest.mark.skipif(not _have_namespace_calls(),
                    reason="mkdirat/unlinkat/renameat2 (pynix/syscall/fs_namei.py) are not implemented yet")
def test_busybox_on_a_disk(image):
    harness.need(BUSYBOX.exists(), f"{BUSYBOX} is missing (Debian package busybox-static)")
    harness.need(Path("/mnt").is_dir(), "the host has no /mnt to mount the disk on")
    script = ("echo hi > /mnt/A_long_file_name.txt; mkdir /mnt/d; ls /mnt; "
              "busybox cat /mnt/a_long_FILE_name.txt; echo deep > /mnt/d/f; mv /mnt/d/f /mnt/moved; "
              "busybox cat /mnt/moved")
    got = harness.run_pynix(BUSYBOX, ["sh", "-c", script], extra=["--disk", f"{image}:/mnt"])
    harness.assert_no_traceback(got)
    assert got.returncode == 0, got.describe()
    assert got.stdout == b"A_long_file_name.txt\nd\nhi\ndeep\n", got.describe()
    fsck(image)
    assert mtools_tree(image) == {"A_long_file_name.txt", "d/", "moved"}
    assert mtool("mcopy", "-i", str(image), "::/A_long_file_name.txt", "-") == b"hi\n"


def test_busybox_with_an_image_as_the_root(image):
    """--root IMAGE: the machine boots from the FAT32 image (files are 0755 as vfat makes them by default, so
    the busybox copied there runs), its writes land in the image, and devfs/procfs are mounted on top."""
    harness.need(BUSYBOX.exists(), f"{BUSYBOX} is missing (Debian package busybox-static)")
    mtool("mmd", "-i", str(image), "::/bin")
    mtool("mcopy", "-i", str(image), str(BUSYBOX), "::/bin/busybox")
    script = "echo booted; mkdir /made; echo data > /made/file; ls -l /made/file | cut -c1-10; " \
             "grep -c ' / vfat ' /proc/mounts; ls /dev/null"
    got = harness.run_pynix("/bin/busybox", ["sh", "-c", script], extra=["--root", str(image)])
    harness.assert_no_traceback(got)
    assert got.returncode == 0, got.describe()
    assert got.stdout == b"booted\n-rwxr-xr-x\n1\n/dev/null\n", got.describe()
    fsck(image)
    assert mtool("mcopy", "-i", str(image), "::/made/file", "-") == b"data\n"
