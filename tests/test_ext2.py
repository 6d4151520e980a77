"""ext2/ext4 images (pynix/fs/ext2): images made by the host's e2fsprogs are read back byte-identical under
pynix, what a guest writes on an ext2 image is clean for the host's `e2fsck -fn` and visible to `debugfs`, the
file conformance programs behave on an ext2 mount as on tmpfs natively, and damaged images fail cleanly."""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import harness  # noqa: E402

BUSYBOX = Path("/bin/busybox")
SBIN_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])


def tool(name: str) -> str:
    path = shutil.which(name, path=SBIN_PATH)
    harness.need(path is not None, f"{name} is not installed (Debian package e2fsprogs)")
    return path


def mke2fs(image: Path, size: str, fstype: str = "ext2", source: Path | None = None, *options: str) -> Path:
    argv = [tool("mke2fs"), "-q", "-F", "-t", fstype, *options]
    if source is not None:
        argv += ["-d", str(source)]
    subprocess.run(argv + [str(image), size], check=True, capture_output=True, timeout=120)
    return image


def e2fsck_clean(image: Path) -> None:
    proc = subprocess.run([tool("e2fsck"), "-fn", str(image)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"e2fsck -fn {image} found problems:\n{proc.stdout}{proc.stderr}"


def debugfs(image: Path, request: str, write: bool = False) -> str:
    argv = [tool("debugfs")] + (["-w"] if write else []) + ["-R", request, str(image)]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def busybox(script: str, *disks: str, env: dict | None = None) -> harness.Result:
    harness.need(BUSYBOX.exists(), f"{BUSYBOX} is missing (Debian package busybox-static)")
    # -v: the filesystem's messages (EXT2-fs errors) are kernel-log records; -v copies the log to stderr
    extra = ["-v"] + [arg for disk in disks for arg in ("--disk", disk)]
    got = harness.run_pynix(BUSYBOX, ["sh", "-c", script], extra=extra, env=env, timeout=600)
    harness.assert_no_traceback(got)
    return got


def make_tree(root: Path) -> Path:
    """A tree with the shapes that matter: small, large and sparse files, fast and slow symlinks, hard links,
    a directory big enough to get an htree index from mke2fs."""
    (root / "sub" / "deep").mkdir(parents=True)
    (root / "a.txt").write_text("hello\n")
    (root / "sub" / "big.bin").write_bytes(os.urandom(700_000))
    (root / "sub" / "pattern").write_bytes(bytes(range(256)) * 4099)
    with open(root / "sparse", "wb") as f:
        f.seek(12 << 20)
        f.write(b"the end")
    with open(root / "fragmented", "wb") as f:             # 300 runs between holes: an extent tree of depth 1
        for i in range(300):
            f.seek(i * 65536)
            f.write(bytes([i]) * 4096 if i < 256 else b"z" * 4096)
    os.symlink("a.txt", root / "fast-link")
    os.symlink("s" * 150, root / "slow-link")
    os.link(root / "a.txt", root / "hard-link")
    for i in range(400):
        (root / "sub" / "deep" / f"file-{i:04d}").write_text(f"{i}\n" * (i % 7))
    return root


def tree_digest(root: Path) -> str:
    """What `find . -type f | sort | xargs sha256sum` prints, computed on the host."""
    lines = []
    for path in sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and not p.is_symlink()):
        lines.append(f"{hashlib.sha256((root / path).read_bytes()).hexdigest()}  ./{path}\n")
    return "".join(lines)


DIGEST_SCRIPT = ("cd /mnt && busybox find . -type f ! -path './lost+found*' | busybox sort "
                 "| busybox xargs busybox sha256sum")


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    return make_tree(tmp_path_factory.mktemp("tree") / "src")


# ------------------------------------------------------------------------------------ reading host images
@pytest.mark.parametrize("fstype", ["ext2", "ext4"])
def test_host_image_reads_back_identical(tmp_path, tree, fstype):
    image = mke2fs(tmp_path / f"{fstype}.img", "64M", fstype, tree)
    disk = f"{image}:/mnt" + (":ro" if fstype == "ext4" else "")
    got = busybox(DIGEST_SCRIPT + "; busybox readlink /mnt/fast-link; busybox readlink /mnt/slow-link; "
                  "busybox stat -c '%h %s' /mnt/hard-link; busybox grep ' /mnt ' /proc/mounts", disk)
    assert got.returncode == 0, got.describe()
    lines = got.stdout.decode().splitlines(keepends=True)
    digest = "".join(lines[:-4])
    assert digest == tree_digest(tree)
    assert lines[-4:-1] == ["a.txt\n", "s" * 150 + "\n", "2 6\n"]
    assert lines[-1].split()[:4] == ["/dev/vda", "/mnt", fstype, "ro,relatime" if fstype == "ext4" else "rw,relatime"]


def test_default_ext4_is_mounted_read_only(tmp_path, tree):
    """A default `mke2fs -t ext4` image has features pynix cannot write (extents, 64bit, flex_bg,
    metadata_csum): --disk mounts it read-only with a note, and writes are EROFS."""
    image = mke2fs(tmp_path / "ext4.img", "64M", "ext4", tree)
    before = hashlib.sha256(image.read_bytes()).hexdigest()
    got = busybox("busybox touch /mnt/new; echo status $?; busybox cat /mnt/a.txt", f"{image}:/mnt")
    assert b"mounting read-only" in got.stderr
    assert b"Read-only file system" in got.stderr
    assert got.stdout == b"status 1\nhello\n"
    assert hashlib.sha256(image.read_bytes()).hexdigest() == before


# ------------------------------------------------------------------------------------ writing from the guest
WRITE_SCRIPT = r"""
set -e
cd /mnt
busybox mkdir -p d1/d2 d3
echo hello > d1/f
busybox cp /bin/busybox d1/d2/bb
busybox ln d1/f d3/hardlink
busybox ln -s ../d1/f d3/sym
busybox ln -s $(busybox seq -s y 40) d3/longsym
busybox mkfifo d3/fifo
busybox mknod d3/null c 1 3
i=0; while [ $i -lt 600 ]; do echo $i > d3/small$i; i=$((i+1)); done
i=0; while [ $i -lt 300 ]; do busybox rm d3/small$i; i=$((i+2)); done
busybox mv d1/d2 d3/moved
busybox mv d3/small1 d1/renamed
busybox dd if=/dev/zero of=sparse bs=1 count=1 seek=200000000 2>/dev/null
busybox mkdir gone; busybox rmdir gone
busybox mkdir -p tree/a/b/c; echo x > tree/a/b/c/f; busybox rm -r tree
exec 3<>open-unlinked; echo data >&3; busybox rm open-unlinked; exec 3>&-
busybox truncate -s 5000 d1/f
busybox sync
busybox sha256sum d3/moved/bb
busybox cat d3/sym | busybox head -c 5
echo
busybox stat -c '%s %b' sparse
"""


def test_guest_writes_an_ext2_image(tmp_path):
    image = mke2fs(tmp_path / "w.img", "64M")
    got = busybox(WRITE_SCRIPT, f"{image}:/mnt")
    assert got.returncode == 0, got.describe()
    bb = hashlib.sha256(BUSYBOX.read_bytes()).hexdigest()
    # the sparse file: one 1 KiB data block and its single, double and triple indirect blocks = 8 sectors
    assert got.stdout.decode().splitlines() == [f"{bb}  d3/moved/bb", "hello", "200000001 8"]
    e2fsck_clean(image)
    root = debugfs(image, "ls -l /")
    for name in ("d1", "d3", "sparse", "lost+found"):
        assert re.search(rf"\s{re.escape(name)}\s*$", root, re.M), root
    assert "gone" not in root and "tree" not in root and "open-unlinked" not in root
    d3 = debugfs(image, "ls -l /d3")
    for name in ("hardlink", "sym", "longsym", "fifo", "null", "moved", "small599"):
        assert re.search(rf"\s{name}\s*$", d3, re.M), d3
    assert "small0 " not in d3 and not re.search(r"\ssmall1\s*$", d3, re.M)
    assert debugfs(image, "cat /d1/f")[:6] == "hello\n"
    assert debugfs(image, "stat /d3/null").count("Device major/minor number: 01:03") == 1
    assert "Fast link dest" not in debugfs(image, "stat /d3/longsym")     # 100+ bytes: a slow symlink
    assert 'Fast link dest: "../d1/f"' in debugfs(image, "stat /d3/sym")


def test_what_the_guest_wrote_reads_back_in_a_second_run(tmp_path):
    """Nothing stays only in pynix's memory: a second machine sees the first one's files."""
    image = mke2fs(tmp_path / "w.img", "16M")
    busybox("echo persistent > /mnt/kept; busybox mkdir /mnt/dir; busybox ln -s kept /mnt/dir/link",
            f"{image}:/mnt")
    got = busybox("busybox cat /mnt/kept /mnt/dir/../kept; busybox readlink /mnt/dir/link", f"{image}:/mnt")
    assert got.stdout == b"persistent\npersistent\nkept\n"
    e2fsck_clean(image)


def test_nanosecond_times_and_statfs(tmp_path):
    image = mke2fs(tmp_path / "t.img", "16M")
    got = busybox("/usr/bin/touch -d '2021-02-03 04:05:06.123456789' /mnt/f; /usr/bin/stat -c '%y' /mnt/f; "
                  "busybox stat -f -c '%t %S %b %a %c' /mnt", f"{image}:/mnt", env={"TZ": "UTC"})
    lines = got.stdout.decode().splitlines()
    assert lines[0].startswith("2021-02-03 04:05:06.123456789")
    magic, bsize, blocks, _avail, files = lines[1].split()
    assert (magic, bsize, files) == ("ef53", "1024", "4096")
    assert 15000 < int(blocks) <= 16384
    e2fsck_clean(image)
    assert ":1d6f3454 --" in debugfs(image, "stat /f")             # mtime's extra field: 123456789 ns << 2


# ------------------------------------------------------------------------------ the file conformance programs
@pytest.mark.parametrize("program", ["fs_namei.c", "fs_attr.c", "fs_fifo.c", "fs_locks.c"])
def test_file_programs_on_ext2(tmp_path, target, program):
    """The differential file programs with their scratch directory on an ext2 mount: the same output as the
    reference (natively or under qemu-riscv64) on tmpfs, and the image stays clean."""
    binary = harness.build(program, target)
    image = mke2fs(tmp_path / "c.img", "32M")
    ref = harness.run_reference(binary)
    got = harness.run_pynix(binary, extra=["-e", "FS_SCRATCH=/mnt", "--disk", f"{image}:/mnt"])
    harness.assert_no_traceback(got)
    assert (got.stdout, got.returncode) == (ref.stdout, ref.returncode), got.describe() + ref.describe()
    e2fsck_clean(image)


# ----------------------------------------------------------------------------------------- damaged images
def _inode_offset(image: Path, path: str) -> int:
    out = debugfs(image, f"imap {path}")
    block, offset = re.search(r"located at block (\d+), offset (0x[0-9a-f]+)", out).groups()
    block_size = int(re.search(r"Block size:\s+(\d+)", debugfs(image, "stats")).group(1))
    return int(block) * block_size + int(offset, 16)


def _patch(image: Path, offset: int, data: bytes) -> None:
    with open(image, "r+b") as f:
        f.seek(offset)
        f.write(data)


def test_corrupt_superblock_refuses_the_mount(tmp_path):
    image = mke2fs(tmp_path / "bad.img", "8M")
    _patch(image, 1024 + 0x28, struct.pack("<I", 0))            # s_inodes_per_group = 0
    got = harness.run_pynix(BUSYBOX, ["true"], extra=["--disk", f"{image}:/mnt"])
    harness.assert_no_traceback(got)
    assert got.returncode == 2 and b"corrupt superblock" in got.stderr, got.describe()
    _patch(image, 1024 + 0x38, b"\0\0")                          # no magic at all
    got = harness.run_pynix(BUSYBOX, ["true"], extra=["--disk", f"{image}:/mnt"])
    assert got.returncode == 2 and b"no ext2/ext3/ext4 or FAT32 filesystem" in got.stderr, got.describe()


def test_block_past_the_end_is_euclean(tmp_path, tree):
    image = mke2fs(tmp_path / "bad.img", "16M", "ext2", tree)
    _patch(image, _inode_offset(image, "/a.txt") + 0x28, struct.pack("<I", 10**8))    # i_block[0]
    size = image.stat().st_size
    got = busybox("busybox cat /mnt/a.txt; echo status $?; busybox cat /mnt/sub/deep/file-0008", f"{image}:/mnt")
    assert b"Structure needs cleaning" in got.stderr and b"EXT2-fs error (device vda)" in got.stderr
    assert got.stdout == b"status 1\n" + b"8\n"
    assert image.stat().st_size == size


def test_directory_loop_is_eio(tmp_path, tree):
    image = mke2fs(tmp_path / "loop.img", "16M", "ext2", tree)
    debugfs(image, "link /sub /sub/deep/back", write=True)         # a second name for a directory, inside itself
    got = busybox("busybox ls /mnt/sub/deep/back; echo status $?; busybox find /mnt | busybox wc -l",
                  f"{image}:/mnt:ro")
    assert b"a loop in the directory tree" in got.stderr
    assert got.stdout.startswith(b"status 1\n")


def test_bad_inode_checksum_is_ebadmsg(tmp_path, tree):
    image = mke2fs(tmp_path / "csum.img", "64M", "ext4", tree)
    offset = _inode_offset(image, "/a.txt")
    _patch(image, offset + 0x10, b"\x01\x02\x03\x04")                # i_mtime, leaving the checksum stale
    got = busybox("busybox cat /mnt/a.txt; echo status $?; busybox cat /mnt/hard-link; echo status $?; "
                  "busybox cat /mnt/sub/deep/file-0001", f"{image}:/mnt:ro")
    assert b"checksum invalid" in got.stderr and b"Bad message" in got.stderr
    assert got.stdout == b"status 1\nstatus 1\n1\n"


def test_bad_directory_block_checksum_is_ebadmsg(tmp_path, tree):
    image = mke2fs(tmp_path / "dcsum.img", "64M", "ext4", tree)
    block_size = int(re.search(r"Block size:\s+(\d+)", debugfs(image, "stats")).group(1))
    sub_block = int(debugfs(image, "blocks /sub").split()[0])
    data = image.read_bytes()
    where = data.index(b"big.bin", sub_block * block_size, (sub_block + 1) * block_size)
    _patch(image, where, b"p")                                    # big.bin -> pig.bin, the block's tail now wrong
    got = busybox("busybox cat /mnt/sub/big.bin; echo status $?; busybox cat /mnt/a.txt", f"{image}:/mnt:ro")
    assert b"ext4_dirblock_csum_verify" in got.stderr and b"Bad message" in got.stderr
    assert got.stdout == b"status 1\nhello\n", got.describe()


def test_unsupported_incompat_feature_refuses_the_mount(tmp_path):
    image = mke2fs(tmp_path / "f.img", "8M")
    with open(image, "r+b") as f:
        f.seek(1024 + 0x60)
        incompat, = struct.unpack("<I", f.read(4))
        f.seek(1024 + 0x60)
        f.write(struct.pack("<I", incompat | 0x10000))               # INCOMPAT_ENCRYPT
    got = harness.run_pynix(BUSYBOX, ["true"], extra=["--disk", f"{image}:/mnt"])
    harness.assert_no_traceback(got)
    assert got.returncode == 2 and b"unsupported optional features (10000)" in got.stderr, got.describe()


FUZZ_SCRIPT = ("cd /mnt && busybox find . | busybox wc -l; busybox find . -type f -size -20000k -exec busybox cat {} + "
               "| busybox wc -c; busybox mkdir newdir; echo x > newdir/f; busybox rm -rf sub; busybox ls -R >/dev/null")


@pytest.mark.parametrize("fstype,seed", [("ext2", s) for s in range(3)] + [("ext4", 0)])
def test_random_metadata_damage_never_crashes(tmp_path, tree, fstype, seed):
    """40 random bytes changed in the metadata after the superblock: the mount is refused, or whatever the guest
    does gets answers or errors -- never a Python exception -- and the image does not grow."""
    import random
    image = mke2fs(tmp_path / "fuzz.img", "16M" if fstype == "ext2" else "32M", fstype, tree)
    data = bytearray(image.read_bytes())
    rnd = random.Random(seed)
    for _ in range(40):
        data[rnd.randrange(2048, 300 * 1024)] = rnd.randrange(256)
    image.write_bytes(data)
    got = busybox(FUZZ_SCRIPT, f"{image}:/mnt" + (":ro" if fstype == "ext4" else ""))
    assert got.returncode in (0, 1) or (got.returncode == 2 and b"cannot mount" in got.stderr), got.describe()
    assert image.stat().st_size == len(data)


def test_mount_remount_and_type_detection(tmp_path, tree):
    """mount(2) of /dev/vdX from the guest: read-only then remounted read-write (and back, leaving the image
    clean); an ext4 image without -t is refused as ext2/ext3 and ends up mounted read-only as ext4, and cannot
    be remounted read-write (EROFS)."""
    ext2 = mke2fs(tmp_path / "r.img", "8M")
    ext4 = mke2fs(tmp_path / "e.img", "32M", "ext4", tree)
    script = ("busybox mount -o ro /dev/vda /mnt; echo a > /mnt/x; echo ro $?; busybox mount -o remount,rw /mnt; "
              "echo a > /mnt/x; echo rw $?; busybox mount -o remount,ro /mnt; echo b > /mnt/y; echo ro-again $?; "
              "busybox mount /dev/vdb /srv; echo ext4 $?; busybox cat /srv/a.txt; "
              "busybox mount -o remount,rw /srv; echo ext4-rw $?; busybox grep /dev/vd /proc/mounts")
    got = busybox(script, str(ext2), str(ext4))
    assert got.stdout.decode().splitlines() == [
        "ro 1", "rw 0", "ro-again 1", "ext4 0", "hello", "ext4-rw 255",
        "/dev/vda /mnt ext2 ro,relatime 0 0", "/dev/vdb /srv ext4 ro,relatime 0 0"], got.describe()
    assert b"couldn't remount RDWR because of unsupported optional features" in got.stderr
    e2fsck_clean(ext2)
    assert "Filesystem state:         clean" in subprocess.run([tool("dumpe2fs"), "-h", str(ext2)],
                                                             capture_output=True, text=True).stdout
    assert debugfs(ext2, "cat /x") == "a\n"


def test_htree_directory_read_and_changed(tmp_path, tree):
    """A directory with an htree index (e2fsck -D builds them) reads through its leaf blocks; changing it drops
    the index (INDEX_FL), which e2fsck accepts."""
    image = mke2fs(tmp_path / "h.img", "16M", "ext2", tree)
    subprocess.run([tool("e2fsck"), "-fyD", str(image)], capture_output=True, timeout=120)
    assert "Flags: 0x1000" in debugfs(image, "stat /sub/deep")
    assert "Indirect levels: 0" in debugfs(image, "htree /sub/deep")
    got = busybox("cd /mnt/sub/deep; busybox cat file-0123 file-0399 | busybox wc -l; busybox ls | busybox wc -l; "
                  "busybox rm file-0001; echo new > new-file; busybox ls | busybox wc -l", f"{image}:/mnt")
    assert got.stdout.decode().split() == [str(123 % 7 + 399 % 7), "400", "400"], got.describe()
    e2fsck_clean(image)
    assert "Flags: 0x0" in debugfs(image, "stat /sub/deep")
    assert debugfs(image, "cat /sub/deep/new-file") == "new\n"


def test_mount_options_sync_and_noatime(tmp_path):
    """-o sync: every change is on the image when the call returns (the guest reads the image file itself through
    the host view); the default is written back later.  -o noatime: reading leaves the access time alone, the
    default (relatime) moves it when it is not newer than the modification time."""
    image = mke2fs(tmp_path / "o.img", "8M")
    script = (f"busybox mount /dev/vda /mnt; echo lazy-marker > /mnt/a; busybox grep -c lazy-marker {image}; "
              f"busybox umount /mnt; busybox mount -o sync /dev/vda /mnt; echo sync-marker > /mnt/b; "
              f"busybox grep -c sync-marker {image}; busybox umount /mnt; "
              "busybox mount -o noatime /dev/vda /mnt; t=$(/usr/bin/stat -c %x /mnt/a); busybox cat /mnt/a >/dev/null; "
              "[ \"$t\" = \"$(/usr/bin/stat -c %x /mnt/a)\" ] && echo noatime-kept; busybox umount /mnt; "
              "busybox mount /dev/vda /mnt; t=$(/usr/bin/stat -c %x /mnt/b); busybox cat /mnt/b >/dev/null; "
              "[ \"$t\" != \"$(/usr/bin/stat -c %x /mnt/b)\" ] && echo relatime-moved; busybox umount /mnt")
    got = busybox(script, str(image))
    assert got.stdout.decode().split() == ["0", "1", "noatime-kept", "relatime-moved"], got.describe()
    e2fsck_clean(image)


@pytest.mark.parametrize("fstype", ["ext2", "ext3", "ext4"])
def test_statfs_matches_linux(tmp_path, tree, fstype):
    """statfs of an image mounted by the host's kernel (loop, read-only: needs root) and under pynix agree:
    metadata and journal left out of f_blocks, reserved blocks out of f_bavail."""
    harness.need(os.geteuid() == 0 and os.access("/dev/loop-control", os.W_OK), "a native loop mount needs root")
    image = mke2fs(tmp_path / "s.img", "64M", fstype, tree)
    point = tmp_path / "m"
    point.mkdir()
    fmt = "%t %S %b %f %a %c %d %l"
    mounted = subprocess.run(["mount", "-o", "loop,ro", str(image), str(point)], capture_output=True)
    harness.need(mounted.returncode == 0, f"the host cannot loop-mount: {mounted.stderr!r}")
    try:
        native = subprocess.run(["stat", "-f", "-c", fmt, str(point)], capture_output=True, text=True).stdout
    finally:
        subprocess.run(["umount", str(point)], capture_output=True)
    got = busybox(f"busybox stat -f -c '{fmt}' /mnt", f"{image}:/mnt:ro")
    assert got.stdout.decode() == native, got.describe()


def test_an_ext2_image_as_the_root(tmp_path):
    """--root IMAGE with an ext2 image: the program is looked up in it, it is / (as /dev/vda) and read-write."""
    tree = tmp_path / "root"
    (tree / "bin").mkdir(parents=True)
    shutil.copy(BUSYBOX, tree / "bin" / "busybox")
    image = mke2fs(tmp_path / "root.img", "16M", "ext2", tree)
    got = harness.run_pynix("/bin/busybox", ["sh", "-c", "echo in-root > /hello; busybox ls /; "
                                             "busybox grep ' / ' /proc/mounts"], extra=["--root", str(image)])
    harness.assert_no_traceback(got)
    assert got.stdout.decode().splitlines() == ["bin", "dev", "hello", "lost+found", "proc",
                                                "/dev/vda / ext2 rw,relatime 0 0"], got.describe()
    e2fsck_clean(image)
    assert debugfs(image, "cat /hello") == "in-root\n"


def test_page_cache_store_side(tmp_path):
    """The store side of the page cache on ext2 inodes, driven directly: the VFS's default readahead fills
    frames from read_at (zeros past the end and in holes) and writepages writes pages with write_at, on the same
    block map; the image stays clean."""
    from pynix.block.device import ImageDevice
    from pynix.fs.ext2.super import Ext2SuperBlock
    image = mke2fs(tmp_path / "p.img", "8M")
    dev = ImageDevice("vdz", 0, str(image))
    sb = Ext2SuperBlock(dev)

    def pages(index: int, count: int) -> list[bytes]:
        frames = [memoryview(bytearray(b"x" * 4096)) for _ in range(count)]
        f.readahead(index, frames)
        return [bytes(frame) for frame in frames]
    try:
        f = sb.root.create(b"paged", 0o644, 0, 0)
        f.truncate(3 * 4096 + 100)                                 # a sparse file of four pages
        f.writepages(1, [memoryview(b"A" * 4096)])
        f.writepages(3, [memoryview(b"B" * 100)])                  # the short last page
        assert f.size == 3 * 4096 + 100
        assert pages(0, 4) == [bytes(4096), b"A" * 4096, bytes(4096), b"B" * 100 + bytes(3996)]
        assert pages(7, 1) == [bytes(4096)]
        assert f.read_at(4090, 12) == bytes(6) + b"A" * 6
        f.write_at(2 * 4096 + 1, b"xyz")
        assert pages(2, 1)[0][:5] == b"\0xyz\0"
        # 1 KiB blocks: page 1's four, one each for the bytes in pages 2 and 3 (logical block 12: past the
        # direct blocks, so one indirect block too)
        assert f.stat()["blocks"] == (4 + 1 + 1 + 1) * 2
    finally:
        sb.close()
        dev.close()
    e2fsck_clean(image)
    assert debugfs(image, "cat /paged")[4096:4100] == "AAAA"
