"""hostfs (pynix/fs/hostfs.py): a read-write --mount is confined to its host directory; writes through it reach
the host, a read-only one refuses them (EROFS).  Escape attempts are checked on the host tree afterwards."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import harness

BUSYBOX = Path("/bin/busybox")
EROFS, ENOENT, EXDEV, ELOOP, ENOTDIR = 30, 2, 18, 40, 20


def host_tree(top: Path) -> dict[str, str]:
    """Every path below `top` with what it is (file contents, symlink targets, 'dir')."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(top):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            rel = str(p.relative_to(top))
            if p.is_symlink():
                out[rel] = "-> " + os.readlink(p)
            elif p.is_dir():
                out[rel] = "dir"
            else:
                out[rel] = p.read_text(errors="replace")
    return out


@pytest.fixture
def layout(tmp_path):
    share, outside, root = tmp_path / "share", tmp_path / "outside", tmp_path / "root"
    for d in (share, outside, root):
        d.mkdir()
    (outside / "secret").write_text("secret\n")
    return share, outside, root


def test_escapes_fail_and_touch_nothing_outside(layout):
    share, outside, root = layout
    binary = harness.build("hostfs_escape.c", "x86_64-musl")
    before = host_tree(outside)
    argv = harness.pynix_command("/prog/" + binary.name, ["/mnt/share", str(outside)],
                                 extra=["--root", str(root), "--mount", f"{share}:/mnt/share:rw",
                                        "--mount", f"{binary.parent}:/prog"])
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=harness.pynix_env())
    lines = []
    while (line := proc.stdout.readline()) and line != b"ready\n":
        lines.append(line.decode())
    assert line == b"ready\n", "".join(lines) + proc.stderr.read().decode()
    # the host swaps what the guest has looked up for symlinks pointing out of the mount
    os.rename(share / "sub", share / "sub_old")
    os.symlink(outside, share / "sub")
    os.rename(share / "f", share / "f_old")
    os.symlink(outside / "secret", share / "f")
    rest, err = proc.communicate(b"go\n", timeout=harness.PYNIX_TIMEOUT)
    assert b"Traceback" not in err, err.decode()
    results = dict(line.rsplit(None, 1) for line in lines + rest.decode().splitlines())
    results = {k.strip(): int(v) for k, v in results.items()}
    expected = {"symlink rel": 0, "write via rel": ENOENT, "symlink dotdot": 0, "write via up": ENOENT,
                "symlink abs": 0, "write via abs": ENOENT, "write via ..": ENOENT, "create a": 0,
                "rename out": ENOENT, "link out": ENOENT, "link in": ENOENT, "rename via ..": EXDEV,
                "create f": 0, "write f after swap": ELOOP}
    assert {k: results[k] for k in expected} == expected, results
    # what was opened before the swap is the directory itself (it moved to sub_old, inside the mount)
    for name in ("write sub/g after swap", "openat dfd after swap", "write sub/secret"):
        assert results[name] == 0, results
    assert host_tree(outside) == before
    assert (outside / "secret").read_text() == "secret\n"
    assert sorted(os.listdir(share / "sub_old")) == ["g", "h", "secret"]
    assert (share / "sub_old" / "secret").read_text() == "pwned\n"
    # symlinks are stored verbatim on the host
    assert os.readlink(share / "rel") == "../outside/secret"
    assert os.readlink(share / "abs") == f"{outside}/secret"


SCRIPT = r"""
set -e
mkdir -p d1/d2/d3
echo one > d1/f1
echo two > d1/d2/f2
ln -s f1 d1/link
cp -r d1 copy
tar cf t.tar d1
mkdir untar
cd untar && tar xf ../t.tar && cd ..
tar tf t.tar | sort
rm t.tar
rm -r d1/d2
mv copy/f1 copy/f1.moved
chmod 600 copy/f1.moved
ln copy/f1.moved hard
echo appended >> hard
truncate -s 2 untar/d1/f1 2>/dev/null || : > untar/d1/f1
find . | sort
cat hard untar/d1/f1 copy/d2/f2
ls -l hard | cut -c1-10
"""


def test_busybox_on_a_rw_mount_matches_native(tmp_path):
    """cp -r, rm -r, mkdir -p, tar, mv, ln on a read-write mount: same output and the same host tree as the
    same script run natively in a directory of its own."""
    harness.need(BUSYBOX.exists(), "/bin/busybox is not installed")
    native, guest = tmp_path / "native", tmp_path / "guest"
    native.mkdir()
    guest.mkdir()
    ref = harness.run_reference(BUSYBOX, ["sh", "-c", SCRIPT], cwd=native)
    got = harness.run_pynix(BUSYBOX, ["sh", "-c", SCRIPT], cwd=guest, extra=["--mount", f"{guest}:{guest}:rw"])
    harness.assert_no_traceback(got)
    assert (got.returncode, got.stdout) == (ref.returncode, ref.stdout), got.describe() + ref.describe()
    assert host_tree(guest) == host_tree(native)
    assert (guest / "copy" / "f1.moved").stat().st_mode & 0o777 == 0o600


def test_read_only_mount_gives_erofs(tmp_path):
    harness.need(BUSYBOX.exists(), "/bin/busybox is not installed")
    (tmp_path / "f").write_text("data\n")
    before = host_tree(tmp_path)
    script = ("cat /mnt/ro/f; for c in 'touch /mnt/ro/new' 'mkdir /mnt/ro/d' 'rm /mnt/ro/f' 'chmod 0 /mnt/ro/f' "
              "'ln -s x /mnt/ro/l' 'mv /mnt/ro/f /mnt/ro/g'; do $c 2>&1 | grep -c 'Read-only file system'; done; "
              "echo x >> /mnt/ro/f")
    got = harness.run_pynix(BUSYBOX, ["sh", "-c", script], extra=["--mount", f"{tmp_path}:/mnt/ro"])
    harness.assert_no_traceback(got)
    assert got.stdout == b"data\n" + b"1\n" * 6, got.describe()
    assert b"Read-only file system" in got.stderr
    assert got.returncode != 0
    assert host_tree(tmp_path) == before


def test_root_directory_and_program_path_in_the_guest(tmp_path):
    """--root DIR: the guest's / is DIR (its own files only); the program path is a guest path."""
    harness.need(BUSYBOX.exists(), "/bin/busybox is not installed")
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "busybox").write_bytes(BUSYBOX.read_bytes())
    (tmp_path / "bin" / "busybox").chmod(0o755)
    (tmp_path / "hello").write_text("from the root dir\n")
    script = "busybox cat /hello; busybox ls /; echo new > /hello; busybox cat /hello"
    got = harness.run_pynix("/bin/busybox", ["sh", "-c", script],
                            extra=["--root", str(tmp_path)])
    harness.assert_no_traceback(got)
    assert got.returncode == 0, got.describe()
    names = got.stdout.decode().splitlines()
    assert names[0] == "from the root dir" and names[-1] == "new"
    assert {"bin", "dev", "hello", "proc"} <= set(names[1:-1])
    assert (tmp_path / "hello").read_text() == "from the root dir\n"      # the overlay kept the change
