"""Debian's static busybox (x86_64, package busybox-static) under pynix: a real, unmodified glibc program."""
from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

import harness
from harness import assert_no_traceback, assert_same, guest_command, pynix_env, run_guest

BUSYBOX = Path("/bin/busybox")


@pytest.fixture(scope="module")
def busybox() -> Path:
    harness.need(BUSYBOX.exists(), f"{BUSYBOX} is missing (Debian package busybox-static)")
    with open(BUSYBOX, "rb") as f:
        head = f.read(64)
    harness.need(head[:4] == b"\x7fELF" and int.from_bytes(head[18:20], "little") == 62,
                 f"{BUSYBOX} is not an x86_64 ELF")
    harness.need(harness.host_isa() == "x86_64" or shutil.which("qemu-x86_64") is not None,
                 "no x86_64 reference for busybox")
    return BUSYBOX


def test_echo(busybox):
    got, _ = assert_same(busybox, ["echo", "hello", "world"])
    assert (got.returncode, got.stdout) == (0, b"hello world\n")


def test_uname_m(busybox):
    got, _ = assert_same(busybox, ["uname", "-m"])
    assert got.stdout == b"x86_64\n"


def test_uname_s(busybox):
    got, _ = assert_same(busybox, ["uname", "-s"])
    assert got.stdout == b"Linux\n"


@pytest.mark.parametrize("argv,status", [
    (["true"], 0),
    (["false"], 1),
    (["printf", "%d|%5s|%-4x|%c\\n", "42", "ab", "255", "z"], 0),
    (["basename", "/usr/lib/libfoo.so.1", ".1"], 0),
    (["expr", "6", "*", "7"], 0),
    (["seq", "-s", ",", "3", "3", "30"], 0),
    (["sh", "-c", "exit 3"], 3),
], ids=lambda v: v[0] if isinstance(v, list) else None)
def test_applets(busybox, argv, status):
    got, _ = assert_same(busybox, argv)
    assert got.returncode == status


def test_cat_stdin(busybox):
    data = b"".join(b"line %d\n" % i for i in range(5000))
    got, _ = assert_same(busybox, ["cat"], stdin=data)
    assert got.stdout == data


def test_sha256sum_stdin(busybox):
    data = bytes((i * 31 + (i >> 8) * 7) & 0xFF for i in range(1 << 20))
    result = run_guest(busybox, ["sha256sum"], stdin=data)
    assert_no_traceback(result)
    assert result.returncode == 0, result.describe()
    assert result.stdout == f"{hashlib.sha256(data).hexdigest()}  -\n".encode(), result.describe()


def test_seq_pipe_wc(busybox):
    """`busybox seq 1 1000 | busybox wc -l` as two pynix processes joined by a host pipe."""
    env = pynix_env()
    with tempfile.TemporaryFile() as err1, tempfile.TemporaryFile() as err2:
        seq = subprocess.Popen(guest_command(busybox, ["seq", "1", "1000"]), stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=err1, env=env)
        wc = subprocess.Popen(guest_command(busybox, ["wc", "-l"]), stdin=seq.stdout, stdout=subprocess.PIPE,
                              stderr=err2, env=env)
        seq.stdout.close()  # wc holds the only reading end now
        try:
            out, _ = wc.communicate(timeout=harness.PYNIX_TIMEOUT)
            seq_status = seq.wait(timeout=harness.PYNIX_TIMEOUT)
        except subprocess.TimeoutExpired:
            seq.kill()
            wc.kill()
            seq.wait()
            wc.wait()
            pytest.fail("the pipeline timed out")
        err1.seek(0)
        err2.seek(0)
        stderr1, stderr2 = err1.read(), err2.read()
    detail = f"seq status {seq_status} stderr:\n{stderr1!r}\nwc status {wc.returncode} stderr:\n{stderr2!r}"
    assert b"Traceback" not in stderr1 + stderr2, detail
    assert out.strip() == b"1000", f"wc printed {out!r}\n" + detail
    assert (seq_status, wc.returncode) == (0, 0), detail


@pytest.mark.parametrize("script", [
    "for i in 1 2 3; do echo $i; done | sort -r | head -n 2",
    "x=$(echo hi); echo $x",
    "(sleep 0.2; echo background) & echo foreground; wait; echo waited $?",
    "false | true; echo $?; exit 3",
])
def test_shell(busybox, script):
    """busybox sh: pipelines of applets (fork + exec of /bin/busybox), command substitution, a background job
    and `wait`, exit statuses -- compared with native busybox."""
    got, _ = assert_same(busybox, ["sh", "-c", script])
    assert got.stdout


@pytest.mark.parametrize("umask", [0o000, 0o027])
def test_uuencode_mode_from_inherited_umask(busybox, umask):
    """`uuencode NAME < FILE` writes `begin MODE NAME` with MODE = 0666 & ~umask: the guest's first process
    starts with the umask of the process that ran pynix, as a child would (busybox's uuencode.tests)."""
    def side(argv):
        proc = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, env=pynix_env(), umask=umask,
                              timeout=harness.PYNIX_TIMEOUT)
        return harness.normalise_status(proc.returncode), proc.stdout, proc.stderr
    ref = side([str(busybox), "uuencode", "foo"])
    got = ref if harness.selfcheck() else side(guest_command(busybox, ["uuencode", "foo"]))
    assert b"Traceback" not in got[2]
    assert got[:2] == ref[:2]
    assert ref[1].startswith(b"begin %o foo\n" % (0o666 & ~umask))


def test_uuencode_mode_from_fstat(busybox, tmp_path):
    """`uuencode FILE NAME` takes the mode from fstat of the opened host file."""
    src = tmp_path / "src"
    src.write_bytes(b"some data\n")
    src.chmod(0o640)
    got, _ = assert_same(busybox, ["uuencode", str(src), "name"])
    assert got.stdout.startswith(b"begin 640 name\n")


def test_pidof(busybox, tmp_path):
    """busybox pidof finds processes by name through /proc: its own shell script by the script's name (the
    comm of a #! script), a background sleep, busybox itself, and nothing for an unknown name (busybox's
    pidof.tests).  Pids differ between runs, so the script prints whether each expected pid was found."""
    script = tmp_path / "pidof.tests"
    script.write_text(
        f"#!{busybox} sh\n"
        "sleep 5 & s=$!\n"
        "pidof pidof.tests | grep -q -w $$ && echo found self\n"
        "pidof sleep | grep -q -w $s && echo found sleep\n"
        "pidof busybox >/dev/null; echo busybox $?\n"
        "pidof veryunlikelyoccuringbinaryname; echo unknown $?\n"
        "kill $s\n")
    script.chmod(0o755)
    ref = subprocess.run([str(script)], stdin=subprocess.DEVNULL, capture_output=True, env=pynix_env(),
                         timeout=harness.REFERENCE_TIMEOUT)
    assert (ref.returncode, ref.stdout) == (0, b"found self\nfound sleep\nbusybox 0\nunknown 1\n")
    if not harness.selfcheck():
        got = harness.run_pynix(script)
        assert_no_traceback(got)
        assert (got.returncode, got.stdout) == (ref.returncode, ref.stdout), got.describe()
