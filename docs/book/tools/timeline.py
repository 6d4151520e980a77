"""Print, per process, what a `pynix run --trace-out` timeline recorded: its name, its system calls in order,
its lifecycle events (fork, exec, exit) and how many page faults, TLB flushes and timer interrupts it took.

    python3 docs/book/tools/timeline.py TRACE.json

The book's chapter 8 uses it; the events are written by pynix/trace/timeline.py (Chrome's trace event format).
"""
from __future__ import annotations

import json
import sys
from collections import Counter


def main(path: str) -> None:
    events = json.load(open(path))
    events = events["traceEvents"] if isinstance(events, dict) else events
    names = {e["pid"]: e["args"]["name"] for e in events if e.get("name") == "process_name"}
    calls: dict[int, list[str]] = {}
    life: dict[int, list[str]] = {}
    counts: dict[int, Counter] = {}
    for e in sorted((e for e in events if "ts" in e), key=lambda e: e["ts"]):
        pid = e["pid"]
        if e.get("cat") == "syscall":
            calls.setdefault(pid, []).append(e["name"])
        elif e.get("cat") == "process" and e.get("ph") == "i":
            life.setdefault(pid, []).append(e["name"])
        elif e.get("ph") == "i":
            counts.setdefault(pid, Counter())[e["name"]] += 1
    for n, pid in enumerate(sorted(set(calls) | set(life))):
        print(f"process {n + 1} ({names.get(pid, '?')}): {' '.join(life.get(pid, []))}")
        print(f"  syscalls: {' '.join(calls.get(pid, []))}")
        c = counts.get(pid, Counter())
        print(f"  {c['page fault']} page faults, {c['TLB flush']} TLB flushes, {c['timer interrupt']} timer interrupts")


if __name__ == "__main__":
    main(sys.argv[1])
