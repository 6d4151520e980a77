"""Print, per process, where a `pynix run --trace-out` timeline saw it block: the system calls it slept in,
how many times, and which processes woke it (the timeline's `wakeup` arrows, drawn from the call that woke a
sleeper: a pipe write to its reader, a read to a writer waiting for room).

    python3 docs/book/tools/blocking.py TRACE.json

The book's chapter 4 uses it; the events are written by pynix/trace/timeline.py (Chrome's trace event format).
"""
from __future__ import annotations

import json
import sys
from collections import Counter


def main(path: str) -> None:
    events = json.load(open(path))
    events = events["traceEvents"] if isinstance(events, dict) else events
    names = {e["pid"]: e["args"]["name"] for e in events if e.get("name") == "process_name"}
    slept: dict[int, Counter] = {}
    for e in events:
        if e.get("cat") == "sched" and e["name"] == "sleeping":
            slept.setdefault(e["pid"], Counter())[e["args"].get("in", "?")] += 1
    wakers = {e["id"]: e["pid"] for e in events if e.get("ph") == "s" and e["name"] == "wakeup"}
    woken: dict[int, Counter] = {}
    for e in events:
        if e.get("ph") == "f" and e["name"] == "wakeup" and e["id"] in wakers:
            woken.setdefault(e["pid"], Counter())[wakers[e["id"]]] += 1
    pids = sorted(names)
    number = {pid: n + 1 for n, pid in enumerate(pids)}
    for pid in pids:
        calls = ", ".join(f"{name} {count}" for name, count in sorted(slept.get(pid, Counter()).items()))
        by = ", ".join(f"process {number.get(w, '?')} {count}" for w, count in sorted(woken.get(pid, Counter()).items()))
        print(f"process {number[pid]} ({names[pid]}): slept in {calls or 'nothing'}"
              + (f"; woken by {by}" if by else ""))


if __name__ == "__main__":
    main(sys.argv[1])
