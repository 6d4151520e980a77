"""The block layer (pynix/block): --disk images as /dev/vdX (ioctls, reads and writes through the buffer cache,
writes reaching the image only on sync or exit, coherence with a filesystem mounted from the same device),
/proc/partitions and /sys/block, and loop devices driven by busybox's and util-linux's losetup, mke2fs and
`mount -o loop`, checked afterwards with the host's e2fsck."""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import harness  # noqa: E402
from pynix.block.device import BufferCache, ImageDevice  # noqa: E402
from pynix.errors import KernelError  # noqa: E402
from test_ext2 import busybox, debugfs, e2fsck_clean, mke2fs, tool  # noqa: E402

MiB = 1 << 20


# ------------------------------------------------------------------------------------------- unit tests
def test_image_device_writes_reach_the_file_only_on_sync(tmp_path):
    image = tmp_path / "d.img"
    original = bytes(range(256)) * 64 * 40                    # 640 KiB
    image.write_bytes(original)
    dev = ImageDevice("vdz", 0, str(image))
    try:
        assert dev.size == 640 * 1024
        assert dev.cache.read(4090, 12) == bytes(range(250, 256)) + bytes(range(6))
        dev.cache.write(5000, b"pynix")
        assert dev.cache.read(4998, 9) == original[4998:5000] + b"pynix" + original[5005:5007]
        assert image.read_bytes() == original                     # not yet on the image
        dev.cache.sync()
        assert image.read_bytes()[5000:5005] == b"pynix"
        with pytest.raises(KernelError):
            dev.cache.read(dev.size - 4, 8)                       # past the end: EIO, nothing read
        with pytest.raises(KernelError):
            dev.cache.write(dev.size, b"x")                       # nothing is ever written past the end
    finally:
        dev.close()
    assert image.stat().st_size == 640 * 1024


def test_buffer_cache_is_bounded_and_writes_back_what_it_evicts(tmp_path):
    image = tmp_path / "d.img"
    image.write_bytes(bytes(64 * 4096))
    dev = ImageDevice("vdz", 0, str(image))
    try:
        dev.cache = BufferCache(dev, capacity=4)
        for page in range(16):
            dev.cache.write(page * 4096 + 7, bytes([page + 1]))
        assert len(dev.cache.pages) == 4
        data = image.read_bytes()
        assert [data[p * 4096 + 7] for p in range(12)] == list(range(1, 13))   # evicted dirty pages went out
        assert [dev.cache.read(p * 4096 + 7, 1)[0] for p in range(16)] == list(range(1, 17))
    finally:
        dev.close()
    assert [image.read_bytes()[p * 4096 + 7] for p in range(16)] == list(range(1, 17))


def test_a_locked_image_is_busy(tmp_path):
    image = tmp_path / "d.img"
    image.write_bytes(bytes(MiB))
    dev = ImageDevice("vdz", 0, str(image))
    try:
        with pytest.raises(KernelError) as err:
            ImageDevice("vdy", 1, str(image))
        assert "in use" in str(err.value)
    finally:
        dev.close()


# ------------------------------------------------------------------------------------------ /dev/vdX
def test_disk_ioctls_and_proc_sys_entries(tmp_path):
    image = tmp_path / "d.img"
    image.write_bytes(os.urandom(3 * MiB + 512))
    other = tmp_path / "e.img"
    other.write_bytes(bytes(MiB))
    got = busybox("for q in --getsize64 --getsz --getss --getbsz --getro --flushbufs --rereadpt; do "
                  "busybox blockdev $q /dev/vda; done; busybox blockdev --getro /dev/vdb; "
                  "busybox stat -c '%t %T %F' /dev/vda /dev/vdb; busybox grep vd /proc/partitions; "
                  "busybox cat /sys/block/vda/size /sys/block/vdb/ro /sys/dev/block/254:16/dev; "
                  "busybox dd if=/dev/vda bs=4096 skip=5 count=3 2>/dev/null | busybox sha256sum",
                  str(image), f"{other}:ro")
    assert got.returncode == 0, got.describe()
    size = 3 * MiB + 512
    expected = [str(size), str(size // 512), "512", "4096", "0", "1", "fe 0 block special file",
                "fe 10 block special file", f" 254        0       {size // 1024} vda",
                " 254       16       1024 vdb", str(size // 512), "1", "254:16",
                hashlib.sha256(image.read_bytes()[5 * 4096:8 * 4096]).hexdigest() + "  -"]
    assert got.stdout.decode().splitlines() == expected


def test_disk_writes_reach_the_image_on_sync(tmp_path):
    """The guest reads the image file itself through the host view of /: a write to /dev/vda is not in it until
    sync, and is after."""
    image = tmp_path / "d.img"
    image.write_bytes(bytes(MiB))
    script = (f"echo -n pynix-was-here | busybox dd of=/dev/vda bs=1 seek=70000 conv=notrunc 2>/dev/null; "
              f"busybox dd if={image} bs=1 skip=70000 count=14 2>/dev/null | busybox od -An -c | busybox head -1; "
              f"busybox sync; busybox dd if={image} bs=1 skip=70000 count=14 2>/dev/null; echo; "
              f"busybox dd if=/dev/zero of=/dev/vda bs=512 seek=2048 count=1; echo status $?; "
              f"busybox dd if=/dev/vdb of=/dev/null bs=512 count=1 2>/dev/null; echo vdb $?; "
              f"echo x | busybox dd of=/dev/vdb; echo vdb-write $?")
    readonly = tmp_path / "ro.img"
    readonly.write_bytes(bytes(4096))
    got = busybox(script, str(image), f"{readonly}:ro")
    lines = got.stdout.decode().splitlines()
    assert lines[0].split() == ["\\0"] * 14
    assert lines[1:] == ["pynix-was-here", "status 1", "vdb 0", "vdb-write 1"]
    assert b"No space left on device" in got.stderr and b"Operation not permitted" in got.stderr
    assert image.read_bytes()[70000:70014] == b"pynix-was-here" and image.stat().st_size == MiB


def test_filesystem_and_device_are_coherent(tmp_path):
    """A file written on the ext2 mount is in /dev/vda's bytes at once (one cache), before any sync."""
    image = mke2fs(tmp_path / "c.img", "8M")
    got = busybox("echo coherent-cache-marker > /mnt/f; busybox grep -c coherent-cache-marker /dev/vda; "
                  "busybox blockdev --getbsz /dev/vda", f"{image}:/mnt")
    assert got.stdout == b"1\n1024\n", got.describe()
    e2fsck_clean(image)


# ---------------------------------------------------------------------------------------- loop devices
def test_busybox_losetup_mke2fs_and_mount(tmp_path):
    """A loop device over an image kept on the host (a --mount rw directory): busybox makes an ext2 on it,
    mounts it, fills it and cleans up; the host's e2fsck then finds the image clean and debugfs sees the
    files."""
    host = tmp_path / "host"
    host.mkdir()
    script = r"""
set -e
cd /work
busybox dd if=/dev/zero of=disk.img bs=1M count=16 2>/dev/null
dev=$(busybox losetup -f)
busybox losetup $dev disk.img
busybox losetup $dev
busybox mke2fs -q $dev >/dev/null
busybox mount -t ext2 $dev /mnt
busybox mkdir -p /mnt/etc/sub
busybox cp -a /etc/passwd /etc/hostname /mnt/etc/
i=0; while [ $i -lt 200 ]; do echo $i > /mnt/etc/sub/n$i; i=$((i+1)); done
busybox ln -s passwd /mnt/etc/pw
busybox mkfifo /mnt/fifo
busybox grep -c . /sys/block/loop0/loop/backing_file
busybox umount /mnt
busybox losetup -d $dev
busybox losetup -a | busybox wc -l
"""
    got = harness.run_pynix(Path("/bin/busybox"), ["sh", "-c", script], extra=["--mount", f"{host}:/work:rw"],
                            timeout=600)
    harness.assert_no_traceback(got)
    assert got.returncode == 0, got.describe()
    assert got.stdout.decode().splitlines() == ["/dev/loop0: 0 disk.img", "1", "0"]
    image = host / "disk.img"
    e2fsck_clean(image)
    listing = debugfs(image, "ls -l /etc")
    for name in ("passwd", "hostname", "sub", "pw"):
        assert f" {name}" in listing, listing
    assert debugfs(image, "cat /etc/passwd") == Path("/etc/passwd").read_text()
    assert "n199" in debugfs(image, "ls /etc/sub")


def test_util_linux_losetup_mkfs_and_mount_o_loop(tmp_path):
    """The host's own dynamic binaries: `losetup -f --show`, Debian's mkfs.ext2, `mount -o loop`, umount (which
    detaches the autoclear loop device) -- then the host's e2fsck."""
    for name in ("losetup", "mkfs.ext2"):
        tool(name)
    harness.need(shutil.which("mount") is not None and shutil.which("umount") is not None, "util-linux mount")
    host = tmp_path / "host"
    host.mkdir()
    script = r"""
set -e
cd /work
dd if=/dev/zero of=disk.img bs=1M count=32 2>/dev/null
dev=$(losetup -f --show disk.img)
echo $dev
mkfs.ext2 -q $dev
losetup -d $dev
mount -o loop disk.img /mnt
echo via-mount-o-loop > /mnt/hello
mkdir /mnt/dir && cp /etc/hostname /mnt/dir/
losetup -a | sed 's/\[.*\]:[0-9]*/X/'
umount /mnt
losetup -a | wc -l
"""
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
    got = harness.run_pynix(Path("/bin/sh"), ["-c", script], extra=["--mount", f"{host}:/work:rw"], env=env,
                            timeout=600)
    harness.assert_no_traceback(got)
    assert got.returncode == 0, got.describe()
    assert got.stdout.decode().splitlines() == ["/dev/loop0", "/dev/loop0: X (/work/disk.img)", "0"]
    image = host / "disk.img"
    e2fsck_clean(image)
    assert debugfs(image, "cat /hello") == "via-mount-o-loop\n"
    assert "hostname" in debugfs(image, "ls /dir")


def test_loop_device_offset_and_sizelimit(tmp_path):
    """LOOP_SET_STATUS64's offset and sizelimit (busybox losetup -o, util-linux --sizelimit) shape the device."""
    tool("losetup")
    script = r"""
cd /tmp
busybox dd if=/dev/zero of=f bs=1024 count=64 2>/dev/null
echo -n MARK | busybox dd of=f bs=1 seek=8192 conv=notrunc 2>/dev/null
/usr/sbin/losetup -o 8192 --sizelimit 16384 -f --show f
busybox blockdev --getsize64 /dev/loop0
busybox head -c 4 /dev/loop0; echo
/usr/sbin/losetup -c /dev/loop0; echo capacity $?
/usr/sbin/losetup -d /dev/loop0
busybox blockdev --getsize64 /dev/loop0
"""
    got = harness.run_pynix(Path("/bin/busybox"), ["sh", "-c", script], timeout=600)
    harness.assert_no_traceback(got)
    assert got.stdout.decode().splitlines() == ["/dev/loop0", "16384", "MARK", "capacity 0", "0"], got.describe()


def test_issue_acceptance_loop_mkfs_and_file_work(tmp_path):
    """Issue 15's scenario end to end, all under pynix: dd an image, `losetup -f --show`, Debian's mkfs.ext2,
    mount /dev/loop0, tar extract, cp -a, rm -r, mv across directories, ln, mkfifo, 10,000 small files, a
    200 MiB sparse file, unmount -- then the host's e2fsck -fn and debugfs."""
    for name in ("losetup", "mkfs.ext2"):
        tool(name)
    harness.need(shutil.which("tar") is not None, "tar")
    host = tmp_path / "host"
    (host / "src" / "sub").mkdir(parents=True)
    (host / "src" / "a.txt").write_text("alpha\n")
    (host / "src" / "sub" / "b.bin").write_bytes(os.urandom(100_000))
    subprocess.run(["tar", "-cf", str(host / "tree.tar"), "-C", str(host), "src"], check=True)
    script = r"""
set -e
cd /work
dd if=/dev/zero of=disk.img bs=1M count=300 2>/dev/null
dev=$(losetup -f --show disk.img)
mkfs.ext2 -q $dev
mount $dev /mnt
cd /mnt
tar -xf /work/tree.tar
cp -a src copy
rm -r copy/sub
mkdir -p x/y && mv src/a.txt x/y/moved && ln x/y/moved hard && ln -s x/y/moved soft && mkfifo fifo
mkdir many && cd many && i=0 && while [ $i -lt 10000 ]; do : > f$i; i=$((i+1)); done && cd ..
dd if=/dev/zero of=sparse bs=1 count=1 seek=209715199 2>/dev/null
ls many | wc -l
cd /
umount /mnt
losetup -d $dev
"""
    got = harness.run_pynix(Path("/bin/bash"), ["-c", script], extra=["--mount", f"{host}:/work:rw"],
                            env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}, timeout=900)
    harness.assert_no_traceback(got)
    assert got.returncode == 0 and got.stdout == b"10000\n", got.describe()
    image = host / "disk.img"
    e2fsck_clean(image)
    root = debugfs(image, "ls -l /")
    for name in ("src", "copy", "x", "hard", "soft", "fifo", "many", "sparse"):
        assert f" {name}" in root, root
    assert "209715200" in root
    assert debugfs(image, "cat /x/y/moved") == "alpha\n"
    assert _names(debugfs(image, "ls /copy")) == {".", "..", "a.txt"}
    assert _names(debugfs(image, "ls /many")) == {".", ".."} | {f"f{i}" for i in range(10000)}


def _names(listing: str) -> set[str]:
    """The names in debugfs's short `ls` output ("INODE (REC_LEN) NAME ...")."""
    return set(re.findall(r"\(\d+\)\s+(\S+)", listing))


def test_fat32_on_a_block_device(tmp_path):
    """FAT32 sits on the block layer too: `mount -t vfat /dev/vda` from the guest and --disk IMAGE:GUEST both
    go through the device; the host's fsck.fat finds the image clean afterwards."""
    from pynix.fs.fat import mkfs
    fsck = shutil.which("fsck.fat", path=os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"]))
    harness.need(fsck is not None, "fsck.fat is not installed (Debian package dosfstools)")
    image = tmp_path / "fat.img"
    mkfs(str(image), 64 * MiB)
    got = busybox("busybox mount -t vfat /dev/vda /mnt && echo on-vfat > /mnt/Hello.TXT && busybox mkdir /mnt/dir "
                  "&& busybox grep vda /proc/mounts && busybox umount /mnt && echo done", str(image))
    assert got.stdout.decode().splitlines() == ["/dev/vda /mnt vfat rw,relatime 0 0", "done"], got.describe()
    got = busybox("busybox cat /mnt/Hello.TXT; busybox ls /mnt; "
                  "busybox grep vda /proc/mounts | busybox cut -d' ' -f1-3", f"{image}:/mnt")
    assert got.stdout.decode().splitlines() == ["on-vfat", "Hello.TXT", "dir", "/dev/vda /mnt vfat"], got.describe()
    proc = subprocess.run([fsck, "-n", str(image)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_loop_ioctls_match_linux(tmp_path, target):
    """loop_dev.c natively (the host's loop driver: needs root) and under pynix print the same: loop-control's
    ADD/REMOVE/GET_FREE, SET_FD, SET/GET_STATUS64 with offset and sizelimit, I/O through the device,
    SET_CAPACITY, CLR_FD, CONFIGURE read-only."""
    harness.need(os.geteuid() == 0 and os.access("/dev/loop-control", os.R_OK | os.W_OK),
                 "the native reference needs root and the host's /dev/loop-control")
    harness.assert_same_as_native("loop_dev.c", target, lambda _target: [str(tmp_path)])


def test_exit_unmounts_a_loop_on_a_disk_cleanly(tmp_path):
    """Left mounted at exit: an ext2 on a loop device whose file is on the ext2 of /dev/vda.  pynix unmounts the
    loop's filesystem first, then the disk's, so both images are clean and complete."""
    image = mke2fs(tmp_path / "outer.img", "32M")
    got = busybox("set -e; busybox dd if=/dev/zero of=/mnt/inner.img bs=1M count=4 2>/dev/null; "
                  "busybox losetup -f /mnt/inner.img; busybox mke2fs -q /dev/loop0 >/dev/null; "
                  "busybox mount /dev/loop0 /media; echo nested > /media/file", f"{image}:/mnt")
    assert got.returncode == 0, got.describe()
    e2fsck_clean(image)
    inner = tmp_path / "inner.img"
    debugfs(image, f"dump /inner.img {inner}")
    e2fsck_clean(inner)
    assert debugfs(inner, "cat /file") == "nested\n"
