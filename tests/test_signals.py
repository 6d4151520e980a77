"""Differential tests of signals: handlers and their frames, masks, faults, EINTR, default actions."""
from __future__ import annotations

import signal
import subprocess

import pytest

from harness import assert_same, assert_same_as_native, pynix_command, pynix_env


def test_signals(guest):
    got, _ = assert_same(guest("signals.c"))
    assert b"read interrupted: -1 EINTR got=14\n" in got.stdout
    assert b"segv longjmp: 2\n" in got.stdout


def test_rseq(target):
    """rseq registration rules and a critical section aborted by a signal delivered inside it (native Linux is
    the reference for every target: qemu-user has no rseq)."""
    out = assert_same_as_native("rseq.c", target)
    assert b"signal inside the section: handled 1, section aborted, rseq_cs cleared 1\n" in out


@pytest.mark.parametrize("sig, handle, status", [
    (signal.SIGINT, True, 3), (signal.SIGTERM, True, 3), (signal.SIGINT, False, 128 + signal.SIGINT),
    (signal.SIGHUP, False, 128 + signal.SIGHUP)])
def test_host_signals_reach_the_program(guest, sig, handle, status):
    """Without a console (stdin not a terminal), a signal sent to pynix itself goes to the program, as under
    qemu-user: its handler runs, or its default action ends it and pynix exits as a shell reports that."""
    argv = pynix_command(guest("host_signal.c"), ["handle"] if handle else [])
    with subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          env=pynix_env(None)) as proc:
        try:
            assert proc.stdout.readline() == b"ready\n"
            proc.send_signal(sig)
            out, err = proc.communicate(timeout=30)
        finally:
            proc.kill()
    assert b"Traceback" not in err, err.decode()
    assert proc.returncode == status, (proc.returncode, out, err)
    if handle:
        assert out == f"caught {signal.Signals(sig).name}\n".encode()
