"""Helpers of the book's exercises: run a program under pynix (x86_64) and read its output."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "tests"))

import harness  # noqa: E402


def pynix_run(*argv: str, options: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    """Run `argv` in a fresh pynix machine (`pynix run OPTIONS ARGV`); its exit status, stdout and stderr."""
    harness.need(Path(argv[0]).exists(), f"{argv[0]} is missing")
    return subprocess.run([sys.executable, "-m", "pynix", "run", *options, *argv],
                          cwd=ROOT, capture_output=True, text=True, timeout=harness.PYNIX_TIMEOUT)


def pynix_sh(script: str, *options: str) -> str:
    """Run `script` with /bin/sh -c in a fresh pynix machine; its stdout (a non-zero exit status fails)."""
    harness.need(Path("/bin/busybox").exists(), "/bin/busybox is missing (Debian package busybox-static)")
    r = pynix_run("/bin/busybox", "sh", "-c", script, options=options)
    assert r.returncode == 0, f"exit status {r.returncode}\n{r.stdout}{r.stderr}"
    return r.stdout


def pynix_python(program: str) -> str:
    """Run the Python `program` with the host's /usr/bin/python3 inside pynix; its stdout (exit status 0)."""
    r = pynix_run("/usr/bin/python3", "-c", program)
    assert r.returncode == 0, f"exit status {r.returncode}\n{r.stdout}{r.stderr}"
    return r.stdout


def pynix_tty(*argv: str, typed: bytes = b"", after: bytes = b"ready") -> bytes:
    """Run `argv` under pynix with a terminal (a host pty) as its standard input and output; once the program
    has shown `after`, `typed` is written to the terminal's master as if typed.  Everything the terminal
    showed (its master's output)."""
    harness.need(Path(argv[0]).exists(), f"{argv[0]} is missing")
    master, slave = os.openpty()
    p = subprocess.Popen([sys.executable, "-m", "pynix", "run", *argv], cwd=ROOT, stdin=slave, stdout=slave,
                         stderr=slave, start_new_session=True)
    os.close(slave)
    shown = b""
    try:
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:                  # EIO: the last holder of the slave has closed it
                break
            if not data:
                break
            shown += data
            if typed and after in shown:
                os.write(master, typed)
                typed = b""
        assert p.wait(timeout=harness.PYNIX_TIMEOUT) == 0, shown
    finally:
        os.close(master)
        if p.poll() is None:
            p.kill()
    return shown
