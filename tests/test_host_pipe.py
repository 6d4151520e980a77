"""Writing to a host pipe whose reader has gone: the guest gets SIGPIPE and EPIPE as on Linux (issue 21).

The guest's standard streams are the host's own descriptors (fs/file.py HostStreamFile).  Each test uses real host
pipes: either the read end is closed before the program starts (tests/guest/host_pipe_write.c, differential
against the native program), or the reader goes away while the program writes (`yes | head -1`), where the
program must end at once, killed by SIGPIPE, as natively -- and pynix itself must not die of a broken stderr.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import harness
from harness import pynix_command, pynix_env

BUSYBOX = Path("/bin/busybox")
SIGPIPE_STATUS = 128 + 13
TIMEOUT = 60


def _run_broken(argv: list[str], fd: int) -> tuple[int, bytes]:
    """Run argv with descriptor `fd` (1 or 2) a pipe whose reader is already closed; the other standard stream
    is captured.  Returns (shell-style exit status, the captured stream)."""
    r, w = os.pipe()
    os.close(r)
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=w if fd == 1 else subprocess.PIPE,
                                stderr=w if fd == 2 else subprocess.PIPE, env=pynix_env())
    finally:
        os.close(w)
    out, err = proc.communicate(timeout=TIMEOUT)
    return harness.normalise_status(proc.returncode), (err if fd == 1 else out)


@pytest.mark.parametrize("fd", [1, 2])
@pytest.mark.parametrize("mode", ["default", "ignore", "handler", "blocked"])
def test_write_to_readerless_host_pipe(target, mode, fd):
    """SIGPIPE (killing by default, caught, ignored or left pending) and EPIPE, for stdout and for stderr."""
    harness.need(harness.host_isa() == "x86_64", "the native reference needs an x86_64 host")
    args = [str(fd), mode]
    ref = _run_broken([str(harness.build("host_pipe_write.c", "x86_64-musl")), *args], fd)
    if harness.selfcheck():
        got = ref
    else:
        got = _run_broken(pynix_command(harness.build("host_pipe_write.c", target), args), fd)
    assert b"Traceback" not in got[1], got[1].decode(errors="replace")
    assert got == ref
    assert ref[0] == (SIGPIPE_STATUS if mode == "default" else 0)


def _reader_goes_away(argv: list[str], keep: int, stderr_to_pipe: bool = False) -> tuple[int, bytes, bytes]:
    """Start argv writing into a host pipe, read `keep` bytes, close the read end (as `head` does) and wait.
    Returns (exit status, the bytes read, stderr)."""
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT if stderr_to_pipe else subprocess.PIPE, env=pynix_env())
    got = proc.stdout.read(keep)
    proc.stdout.close()
    try:
        _, err = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail(f"still writing {TIMEOUT} s after its reader went: {' '.join(argv)}", pytrace=False)
    return harness.normalise_status(proc.returncode), got, err or b""


@pytest.fixture(scope="module")
def busybox() -> Path:
    harness.need(BUSYBOX.exists(), f"{BUSYBOX} is missing (Debian package busybox-static)")
    return BUSYBOX


def _both(argv: list[str], keep: int) -> None:
    ref = _reader_goes_away(argv, keep)
    got = ref if harness.selfcheck() else _reader_goes_away(pynix_command(argv[0], argv[1:]), keep)
    assert b"Traceback" not in got[2], got[2].decode(errors="replace")
    assert got == ref
    assert ref[0] == SIGPIPE_STATUS


def test_yes_head(busybox):
    """`pynix run busybox yes | head -1` ends at once, killed by SIGPIPE, with nothing on stderr."""
    _both([str(busybox), "yes"], 2)


def test_cat_big_file_head(busybox, tmp_path):
    """`pynix run cat big | head -c 10`: the write blocked on a full host pipe fails when the reader goes."""
    big = tmp_path / "big"
    big.write_bytes(b"x" * (8 << 20))
    _both([str(busybox), "cat", str(big)], 10)


def test_strace_to_a_closed_stderr(busybox):
    """With --strace, pynix's own stderr is the broken pipe too: pynix carries on (no traceback, no death by
    the host's SIGPIPE) and ends with the guest's status."""
    if harness.selfcheck():
        pytest.skip("PYNIX_TEST_SELFCHECK=1: this test only runs pynix")
    argv = [sys.executable, "-m", "pynix", "run", "--strace", str(busybox), "yes"]
    status, got, _ = _reader_goes_away(argv, 100, stderr_to_pipe=True)
    assert len(got) == 100
    assert status == SIGPIPE_STATUS
