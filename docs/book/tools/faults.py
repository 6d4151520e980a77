"""Count the page faults of a `pynix run --trace-out` timeline, per process and kind of access.

    python3 docs/book/tools/faults.py TRACE.json [START END]

Only faults at addresses in [START, END) are counted when a range is given (hexadecimal or decimal).  The book's
chapter 2 uses it; the timeline's "page fault" events are written by pynix/trace/timeline.py.
"""
from __future__ import annotations

import json
import sys
from collections import Counter


def main(argv: list[str]) -> None:
    events = json.load(open(argv[0]))
    events = events["traceEvents"] if isinstance(events, dict) else events
    low, high = (int(argv[1], 0), int(argv[2], 0)) if len(argv) == 3 else (0, 1 << 64)
    names = {e["pid"]: e["args"]["name"] for e in events if e.get("name") == "process_name"}
    per_process: dict[int, Counter] = {}
    for e in events:
        if e.get("name") == "page fault" and low <= int(e["args"]["address"], 16) < high:
            per_process.setdefault(e["pid"], Counter())[e["args"]["access"]] += 1
    for n, (pid, counts) in enumerate(sorted(per_process.items())):
        total = sum(counts.values())
        kinds = ", ".join(f"{counts[k]} {k}" for k in ("read", "write", "execute") if counts[k])
        print(f"process {n + 1}: {total} faults ({kinds})")


if __name__ == "__main__":
    main(sys.argv[1:])
