"""Chapter 8 exercises (docs/book/tracing.md)."""
import json
import re

import pytest

from conftest import pynix_run

pytestmark = pytest.mark.exercise


def test_strace_prints_statfs():
    """8.1: a printer for statfs(2) in pynix/syscall/strace/: the path and, on success, the struct statfs as
    strace prints it (f_type by its magic's name, f_fsid as {val=[..., ...]}, f_flags as ST_* names)."""
    r = pynix_run("/bin/busybox", "df", "/", options=("--strace=-e trace=statfs",))
    assert re.search(r'^statfs\("/", \{f_type=\w+, f_bsize=\d+, f_blocks=\d+, f_bfree=\d+, f_bavail=\d+, '
                     r'f_files=\d+, f_ffree=\d+, f_fsid=\{val=\[0x[0-9a-f]+, 0x[0-9a-f]+\]\}, f_namelen=\d+, '
                     r'f_frsize=\d+, f_flags=[A-Z_|]+\}\) += 0$', r.stderr, re.M), r.stderr


def test_timeline_task_rename(tmp_path):
    """8.2: a `task_rename` tracepoint (Linux's task:task_rename), called wherever a task's comm changes
    (prctl(PR_SET_NAME), a write to /proc/PID/comm): the timeline shows it as an instant with the old and the
    new name, and renames the task's tracks."""
    trace = tmp_path / "trace.json"
    r = pynix_run("/bin/busybox", "sh", "-c", "echo worker > /proc/$$/comm",
                  options=("--trace-out", str(trace)))
    assert r.returncode == 0, r.stderr
    events = json.loads(trace.read_text())["traceEvents"]
    renames = [e for e in events if e.get("name") == "task_rename"]
    assert [(e["args"]["oldcomm"], e["args"]["newcomm"]) for e in renames] == [("busybox", "worker")], renames
    threads = [e["args"]["name"] for e in events if e.get("name") == "thread_name" and e["pid"] == renames[0]["pid"]]
    assert any(name.startswith("worker ") for name in threads), threads
