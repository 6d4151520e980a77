"""Differential tests of signals: handlers and their frames, masks, faults, EINTR, default actions."""
from __future__ import annotations

import signal
import subprocess

import pytest

from harness import (assert_same, assert_same_as_native, build, host_isa, need, normalise_status, pynix_command,
                     pynix_env)


def test_signals(guest):
    got, _ = assert_same(guest("signals.c"))
    assert b"read interrupted: -1 EINTR got=14\n" in got.stdout
    assert b"segv longjmp: 2\n" in got.stdout


def test_rseq(target):
    """rseq registration rules and a critical section aborted by a signal delivered inside it (native Linux is
    the reference for every target: qemu-user has no rseq)."""
    out = assert_same_as_native("rseq.c", target)
    assert b"signal inside the section: handled 1, section aborted, rseq_cs cleared 1\n" in out


def _interrupted(argv: list[str], sig: int) -> tuple[bytes, int, bytes]:
    """Run `argv` without a terminal, send it `sig` once it says "ready"; (stdout, status, stderr)."""
    with subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          env=pynix_env(None)) as proc:
        try:
            assert proc.stdout.readline() == b"ready\n"
            proc.send_signal(sig)
            out, err = proc.communicate(timeout=30)
        finally:
            proc.kill()
    return out, normalise_status(proc.returncode), err


@pytest.mark.parametrize("sig, handle, status", [
    (signal.SIGINT, True, 3), (signal.SIGTERM, True, 3), (signal.SIGINT, False, 128 + signal.SIGINT),
    (signal.SIGHUP, False, 128 + signal.SIGHUP)])
def test_host_signals_reach_the_program(target, sig, handle, status):
    """Without a console (stdin not a terminal), a signal sent to pynix itself goes to the program, as under
    qemu-user: its handler runs, or its default action ends it, as when the same program runs natively (pynix
    exits with 128+N where the native process dies of signal N, as a shell reports both)."""
    need(host_isa() == "x86_64", "the native reference needs an x86_64 host")
    args = ["handle"] if handle else []
    out, got_status, err = _interrupted(pynix_command(build("host_signal.c", target), args), sig)
    ref_out, ref_status, _ = _interrupted([str(build("host_signal.c", "x86_64-musl"))] + args, sig)
    assert b"Traceback" not in err, err.decode()
    assert (out, got_status) == (ref_out, ref_status) == (
        f"caught {signal.Signals(sig).name}\n".encode() if handle else b"", status), err.decode()
