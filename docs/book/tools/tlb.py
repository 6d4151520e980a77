"""Count the TLB refills of each time slice in a `pynix run --trace-out` timeline, split into the slices that
began by switching to another address space (the scheduler flushed the TLB: a `TLB flush` event with reason
`address space switch` inside the slice) and the others (the previous task shared the address space: a
thread of the same process, or the same task again).

    python3 docs/book/tools/tlb.py TRACE.json PAGES

PAGES is how many pages the program reads in each slice: the tool says whether the median slice refilled at
least that many translations.  The book's chapter 2 uses it; the `tlb fills` of each running span are written
by pynix/trace/timeline.py (Cpu.tlb_fills, counted by the TLB-miss hook of pynix/hal/cpu.py).
"""
from __future__ import annotations

import json
import statistics
import sys


def main(path: str, pages: int) -> None:
    events = json.load(open(path))
    events = events["traceEvents"] if isinstance(events, dict) else events
    switches = [e for e in events if e.get("name") == "TLB flush" and e["args"]["reason"] == "address space switch"]
    kinds: dict[str, list[int]] = {"after an address-space switch": [], "in the same address space": []}
    for run in (e for e in events if e.get("cat") == "sched" and e["name"] == "running"):
        switched = any(f["pid"] == run["pid"] and run["ts"] <= f["ts"] <= run["ts"] + run["dur"] for f in switches)
        kinds["after an address-space switch" if switched else "in the same address space"].append(
            run["args"]["tlb fills"])
    for kind, fills in kinds.items():
        median = round(statistics.median(fills)) if fills else 0
        print(f"{kind}: {len(fills)} slices, median {median} TLB fills "
              f"(at least {pages}: {'yes' if median >= pages else 'no'})")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
