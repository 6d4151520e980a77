"""Chapter 5 exercises (docs/book/files.md)."""
import pytest

from conftest import pynix_sh

pytestmark = pytest.mark.exercise


def test_meminfo_cached():
    """5.1: /proc/meminfo's `Cached:` counts the pages of all page caches (pynix/mm/page_cache.py)."""
    out = pynix_sh("cat /bin/busybox >/dev/null; grep ^Cached: /proc/meminfo")
    assert int(out.split()[1]) >= 1024           # busybox (about 2 MiB) was just read through the cache


def test_proc_pid_io():
    """5.2: /proc/PID/io: rchar and wchar, the bytes the process's read and write calls moved."""
    out = pynix_sh("read -r line < /etc/passwd; cat /proc/$$/io")      # the shell's own read(2)s
    io = dict(line.split(": ") for line in out.splitlines())
    assert int(io["rchar"]) > 0 and int(io["wchar"]) >= 0
