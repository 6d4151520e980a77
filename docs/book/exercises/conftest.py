"""Helpers of the book's exercises: run a shell script under pynix (busybox's sh, x86_64) and read its output."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "tests"))

import harness  # noqa: E402


def pynix_sh(script: str, *options: str) -> str:
    """Run `script` with /bin/sh -c in a fresh pynix machine; its stdout (a non-zero exit status fails)."""
    harness.need(Path("/bin/busybox").exists(), "/bin/busybox is missing (Debian package busybox-static)")
    r = subprocess.run([sys.executable, "-m", "pynix", "run", *options, "/bin/busybox", "sh", "-c", script],
                       cwd=ROOT, capture_output=True, text=True, timeout=harness.PYNIX_TIMEOUT)
    assert r.returncode == 0, f"exit status {r.returncode}\n{r.stdout}{r.stderr}"
    return r.stdout
