"""`pynix run --trace-out FILE.json`: the Chrome trace event file of `busybox sh -c 'ls -l /usr/bin | wc -l'`.

Checks the file against the trace event format's schema (the subset pynix writes), that both processes of the
pipeline are there with their syscalls, that the reader's blocking on the pipe shows, and that the events are in
the kernel's order: one CPU, so running spans never overlap; each task's scheduler spans follow each other and
its syscalls do not overlap; the reader's end-of-file read ends after the writer exited; each event is written
when it ends, so the file's order is the order of the events' end times.
"""
from __future__ import annotations

import json
import os
import re
import shutil

import pytest

from harness import assert_no_traceback, need, run_pynix, selfcheck

PIPELINE = ["sh", "-c", "ls -l /usr/bin | wc -l"]
PHASES = {"X", "i", "s", "f", "M"}
EPSILON = 0.01                                    # microseconds: timestamps are rounded to nanoseconds


def run_traced(tmp_path, extra=(), pipeline=PIPELINE, lines=None):
    need(os.path.exists("/bin/busybox"), "/bin/busybox is missing (Debian package busybox-static)")
    if selfcheck():
        pytest.skip("PYNIX_TEST_SELFCHECK=1: this test only runs pynix")
    out = tmp_path / "trace.json"
    result = run_pynix("/bin/busybox", pipeline, extra=["--trace-out", str(out), *extra], cwd=tmp_path)
    assert_no_traceback(result)
    assert result.returncode == 0, result.describe()
    expected = len(os.listdir("/usr/bin")) + 1 if lines is None else lines     # "total N", then one a file
    assert int(result.stdout) == expected, result.describe()
    with open(out) as f:
        return json.load(f), result


def check_schema(trace: dict) -> list[dict]:
    assert set(trace) == {"traceEvents", "displayTimeUnit", "otherData"} and trace["displayTimeUnit"] == "ns"
    events = trace["traceEvents"]
    assert isinstance(events, list) and events
    for e in events:
        assert e["ph"] in PHASES, e
        assert isinstance(e["pid"], int) and isinstance(e["tid"], int) and isinstance(e["name"], str), e
        if e["ph"] == "M":
            assert e["name"] in ("process_name", "thread_name", "thread_sort_index") and isinstance(e["args"], dict)
            continue
        assert isinstance(e["ts"], (int, float)) and e["ts"] >= 0, e
        if e["ph"] == "X":
            assert isinstance(e["dur"], (int, float)) and e["dur"] >= 0 and isinstance(e["args"], dict), e
        elif e["ph"] == "i":
            assert e["s"] == "t" and isinstance(e["args"], dict), e
        else:
            assert isinstance(e["id"], int) and e.get("bp", "e") == "e", e
    return [e for e in events if e["ph"] != "M"]


def spans(events, cat, pid=None):
    return [e for e in events if e["ph"] == "X" and e["cat"] == cat and (pid is None or e["pid"] == pid)]


def test_pipeline_trace(tmp_path):
    trace, _ = run_traced(tmp_path)
    events = check_schema(trace)
    names = {(e["pid"], e["tid"]): e["args"]["name"] for e in trace["traceEvents"]
             if e["ph"] == "M" and e["name"] == "thread_name"}
    syscalls = spans(events, "syscall")
    by_pid: dict[int, list[dict]] = {}
    for e in syscalls:
        by_pid.setdefault(e["pid"], []).append(e)
    writer = [pid for pid, calls in by_pid.items() if any(c["name"] == "getdents64" for c in calls)]
    reader = [pid for pid, calls in by_pid.items()
              if any(c["name"] == "read" and c["args"]["call"].startswith("read(0,") for c in calls)]
    assert len(writer) == 1 and len(reader) == 1 and writer != reader, sorted(by_pid)
    writer, reader = writer[0], reader[0]
    assert (writer, writer) in names and (reader, reader) in names
    # their syscalls, with the call and result as strace prints them
    assert any(re.fullmatch(r'write\(1, ".*"\.\.\., \d+\)', c["args"]["call"]) for c in by_pid[writer])
    eof = [c for c in by_pid[reader] if c["name"] == "read" and c["args"]["result"] == "0"]
    assert eof and eof[-1]["args"]["call"].startswith("read(0,")
    # the pipe's blocking: the reader sleeps in read, and something wakes it to run again
    sched = spans(events, "sched")
    sleeping = [e for e in sched if e["pid"] == reader and e["name"] == "sleeping"]
    assert any(e["args"].get("in") == "read" for e in sleeping), sleeping
    wakeups = [e for e in events if e["name"] == "wakeup"]          # ... and the writer's write wakes it
    woken = {e["id"] for e in wakeups if e["ph"] == "f" and e["pid"] == reader}
    assert any(e["ph"] == "s" and e["pid"] == writer and e["id"] in woken for e in wakeups), wakeups
    # fork arrows from the shell to both children, exit instants for every process
    forks = [e for e in events if e["name"] == "fork"]
    starts = {e["id"]: e for e in forks if e["ph"] == "s"}
    ends = {e["id"]: e for e in forks if e["ph"] == "f"}
    assert {ends[i]["pid"] for i in ends} >= {writer, reader} and set(starts) == set(ends)
    assert all(starts[i]["ts"] <= ends[i]["ts"] + EPSILON for i in ends)
    exits = {e["pid"]: e for e in events if e["ph"] == "i" and e["name"] == "exit"}
    assert exits[writer]["args"] == exits[reader]["args"] == {"status": 0}

    # --- order: what the kernel did, in the order it did it
    running = sorted((e for e in sched if e["name"] == "running"), key=lambda e: e["ts"])
    for a, b in zip(running, running[1:]):             # one CPU: one task runs at a time
        assert a["ts"] + a["dur"] <= b["ts"] + EPSILON, (a, b)
    for tid in {e["tid"] for e in sched}:              # a task's states follow each other without gaps
        mine = [e for e in sched if e["tid"] == tid]   # (in the file's order, which is the kernel's)
        for a, b in zip(mine, mine[1:]):
            assert abs(a["ts"] + a["dur"] - b["ts"]) <= EPSILON, (a, b)
    for tid in {e["tid"] for e in syscalls}:           # a task makes one call at a time
        mine = [e for e in syscalls if e["tid"] == tid]
        for a, b in zip(mine, mine[1:]):
            assert a["ts"] + a["dur"] <= b["ts"] + EPSILON, (a, b)
    assert eof[-1]["ts"] + eof[-1]["dur"] >= exits[writer]["ts"]     # end of file comes after the writer exits
    ends_at = [e["ts"] + e.get("dur", 0) for e in events]
    assert all(a <= b + EPSILON for a, b in zip(ends_at, ends_at[1:]))
    # so are page faults and TLB flushes
    assert any(e["name"] == "page fault" for e in events) and any(e["name"] == "TLB flush" for e in events)


def test_ls_wc(tmp_path):
    """The issue's own pipeline, `ls | wc -l` (here in a directory of three files): valid, both processes with
    their syscalls.  (Whether wc sleeps on the empty pipe depends on who runs first: the test above makes sure.)"""
    for name in ("a", "b"):
        (tmp_path / name).write_text(name)
    trace, _ = run_traced(tmp_path, pipeline=["sh", "-c", "ls | wc -l"], lines=3)          # a, b, trace.json
    events = check_schema(trace)
    calls = spans(events, "syscall")
    lister = {e["pid"] for e in calls if e["name"] == "getdents64"}
    counter = {e["pid"] for e in calls if e["name"] == "read" and e["args"]["call"].startswith("read(0,")}
    assert len(lister) == 1 and len(counter) == 1 and lister != counter, calls
    assert any(e["name"] == "write" and e["pid"] in lister for e in calls)
    assert any(e["name"] == "wait4" and e["pid"] == min(e["pid"] for e in events) for e in calls)


def test_ring_buffer_bounds_the_file(tmp_path):
    trace, _ = run_traced(tmp_path, ["--trace-max", "0.05"])
    events = check_schema(trace)
    assert trace["otherData"]["dropped_events"] > 0
    assert os.path.getsize(tmp_path / "trace.json") < 0.05 * (1 << 20) + 8192    # + the track names
    # the newest events are the ones kept: the shell's exit is among the last (then its last spans end)
    shell = min(e["pid"] for e in events)
    assert any(e["name"] == "exit" and e["pid"] == shell for e in events[-3:]), events[-3:]


def test_with_strace(tmp_path):
    """--strace and --trace-out together: both outputs."""
    trace, result = run_traced(tmp_path, ["--strace=-e trace=wait4"])
    check_schema(trace)
    assert re.search(rb"wait4\(-1, \[\{WIFEXITED\(s\) && WEXITSTATUS\(s\) == 0\}\]", result.stderr), result.describe()


def test_unwritable_trace_file():
    if selfcheck():
        pytest.skip("PYNIX_TEST_SELFCHECK=1: this test only runs pynix")
    need(shutil.which("true") is not None, "no true(1)")
    result = run_pynix(shutil.which("true"), extra=["--trace-out", "/nonexistent-dir/trace.json"])
    assert result.returncode == 2 and b"--trace-out /nonexistent-dir/trace.json" in result.stderr, result.describe()


def test_running_spans_count_tlb_fills(tmp_path):
    """Each running span says how many TLB misses the kernel filled during it (Cpu.tlb_fills): a page fault
    starts as a TLB miss, so a process's fills are at least its faults.  (The book's chapter 2 shows the refills
    after a switch of address space, tests/guest/book_tlb.c.)"""
    trace, _ = run_traced(tmp_path, pipeline=["sh", "-c", "ls | wc -l"], lines=1)          # trace.json
    events = check_schema(trace)
    running = [e for e in spans(events, "sched") if e["name"] == "running"]
    assert running and all(isinstance(e["args"]["tlb fills"], int) and e["args"]["tlb fills"] >= 0
                           for e in running), running
    for pid in {e["pid"] for e in running}:
        faults = sum(1 for e in events if e["ph"] == "i" and e["name"] == "page fault" and e["pid"] == pid)
        assert sum(e["args"]["tlb fills"] for e in running if e["pid"] == pid) >= faults > 0
