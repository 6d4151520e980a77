"""mount(2)/umount2(2) (pynix/syscall/mount.py): tmpfs mounts, bind mounts, remounts, busy and lazy unmounts and
their errors, against the same program run natively as root (the reference really mounts, in a scratch
directory, and undoes it), and busybox's mount/umount applets."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

import harness

BUSYBOX = Path("/bin/busybox")


def _cleanup_native(scratch: Path) -> None:
    """Whatever the reference left mounted under `scratch` (if it failed half-way), lazily unmounted."""
    with open("/proc/self/mounts") as f:
        points = [line.split()[1] for line in f if line.split()[1].startswith(str(scratch) + "/")]
    for point in sorted(points, key=len, reverse=True):
        subprocess.run(["umount", "-l", point], capture_output=True)


@pytest.mark.parametrize("target", ["x86_64-musl", "x86_64-glibc", "riscv64-musl"])
def test_mount_ops_match_linux(target, tmp_path):
    harness.need(os.geteuid() == 0, "the reference must run as root to mount")
    binary = harness.build("mount_ops.c", target)
    ref_dir, guest_dir = tmp_path / "ref", tmp_path / "guest"
    ref_dir.mkdir()
    guest_dir.mkdir()
    try:
        ref = harness.run_reference(binary, [ref_dir])
    finally:
        _cleanup_native(tmp_path)
    harness.need(b"mount tmpfs                  0" in ref.stdout, "this host does not let root mount tmpfs")
    got = harness.run_pynix(binary, [guest_dir])
    harness.assert_no_traceback(got)
    assert (got.returncode, got.stdout) == (ref.returncode, ref.stdout), got.describe() + ref.describe()


def test_busybox_mount_umount(tmp_path):
    harness.need(BUSYBOX.exists(), "/bin/busybox is not installed")
    script = ("mkdir -p /mnt/x && mount -t tmpfs none /mnt/x && echo hi > /mnt/x/f && "
              "grep -c ' /mnt/x tmpfs ' /proc/mounts && cat /mnt/x/f && "
              "mount --bind /mnt/x /mnt/w && cat /mnt/w/f && umount /mnt/w && "
              "umount /mnt/x && ls -A /mnt/x | wc -l && grep -c ' /mnt/x ' /proc/mounts; "
              "mount -t nosuch none /mnt/x; echo status $?")
    got = harness.run_pynix(BUSYBOX, ["sh", "-c", script], extra=["--mount", f"{tmp_path}:/mnt/w:rw"])
    harness.assert_no_traceback(got)
    assert got.stdout == b"1\nhi\nhi\n0\n0\nstatus 255\n", got.describe()
