"""Pseudo-terminals: /dev/ptmx, /dev/pts and a pty as a controlling terminal, natively (or under qemu-riscv64)
and under pynix; and `script`, a real program that lives on them."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import harness


def test_pty_differential(guest):
    """openpt/grantpt/unlockpt/ptsname, the master ioctls, canonical and raw I/O with echo, poll, FIONREAD,
    ^C and SIGWINCH through the master, tty_nr, EIO on the master after the slave closes, hangup."""
    harness.assert_same(guest("pty.c"), stdin=Path("/dev/null"))


def test_devpts_mount_and_listing(guest):
    """devpts shows in /proc/filesystems and /proc/mounts, a second mount is a new instance with its own
    ptmx, and /dev/pts lists the slave of an open master."""
    harness.assert_same(guest("pty_devpts.c"), stdin=Path("/dev/null"))


def test_script_runs_a_command_on_a_pty():
    """util-linux's script(1): a dynamic program that opens a pty pair, forks a shell on the slave as its
    controlling terminal and copies the master to its output."""
    script = shutil.which("script")
    harness.need(script is not None, "script (util-linux) is not installed")
    harness.need(harness.host_isa() == "x86_64", "the host's script is an x86_64 program")
    ref = harness.run_reference(script, ["-qc", "echo hi; tty | sed 's/[0-9]*$/N/'", "/dev/null"],
                                stdin=subprocess.DEVNULL)
    got = harness.run_pynix(script, ["-qc", "echo hi; tty | sed 's/[0-9]*$/N/'", "/dev/null"],
                            stdin=subprocess.DEVNULL)
    harness.assert_no_traceback(got)
    assert b"hi\r\n" in got.stdout
    assert (got.returncode, got.stdout) == (ref.returncode, ref.stdout), got.describe() + ref.describe()
