"""`pynix bench --scale`: how the costs grow with the work (issue 20's "Scale" table, docs/performance.md).

The cases run bench/scale.c under the usual runners, one RESULT each: fork + exit + wait with 1, 64 and 512 MiB
of touched memory in the parent (the copy-on-write set-up per MiB), a switch among 2, 16, 256 and 1,000
runnable processes pinned to one CPU (each calling sched_yield: the scheduler's pick must not grow with the
queue), and stat() in a directory of 10, 1,000 and 100,000 entries and at path depth 1, 8 and 32.  Under
--quick every case runs with a tiny size under the same RESULT name (a smoke test).

`sleepers_report` measures what the table cannot: pynix's host memory (VmRSS of the pynix process) with 1, 100
and 1,000 guest processes asleep in sleep(60), and so the host memory each sleeping process costs.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from pynix.cli.bench_suite import Benchmark, build, ROOT

_CASES = (("fork", "fork_{}m", (1, 64, 512), 1), ("ctxsw", "ctxsw_{}", (2, 16, 256, 1000), 2),
          ("stat", "stat_dir_{}", (10, 1000, 100000), 10), ("depth", "stat_depth_{}", (1, 8, 32), 2))
_SUMMARY = {"fork": "fork + exit + wait, {} MiB touched in the parent", "ctxsw": "switch among {} runnable processes",
            "stat": "stat() in a directory of {} entries", "depth": "stat() {} directories deep"}

SCALE: tuple[Benchmark, ...] = tuple(
    Benchmark(f"scale_{mode}_{n}", (label.format(n),), _SUMMARY[mode].format(n), (mode, str(small), label.format(n)),
              program="scale", args=(mode, str(n)))
    for mode, label, sizes, small in _CASES for n in sizes)
SLEEPERS = (1, 100, 1000)


def _rss_kib(pid: int) -> int | None:
    with open(f"/proc/{pid}/status") as f:
        return next((int(line.split()[1]) for line in f if line.startswith("VmRSS:")), None)   # None: exited


def sleeping_rss(arch: str, binary: str, n: int, timeout: float) -> int | str:
    """VmRSS (KiB) of `pynix run` with `n` guest processes asleep, or why it could not be measured."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p))
    proc = subprocess.Popen([sys.executable, "-m", "pynix", "run", "--arch", arch, binary, "sleepers", str(n)],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + timeout
        line = b""
        while not line.startswith(b"READY") and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                return f"exited with status {proc.wait()}: {proc.stderr.read().decode(errors='replace')[-200:]}"
        if not line.startswith(b"READY"):
            return f"not ready after {timeout:g} s"
        time.sleep(0.2)                           # the last children are asleep now
        rss = _rss_kib(proc.pid)
        return rss if rss is not None else f"exited: {proc.stderr.read().decode(errors='replace')[-200:]}"
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def sleepers_report(arches: list[str], quick: bool, timeout: float) -> str:
    """A Markdown table per arch: pynix's host memory with N sleeping guest processes, and per process."""
    counts = (1, 3) if quick else SLEEPERS
    out = ["### host memory of pynix with sleeping guest processes (VmRSS)", "",
           "| arch | processes | pynix RSS (MiB) | KiB per process beyond the first |",
           "|------|----------:|----------------:|---------------------------------:|"]
    for arch in arches:
        binary = build(SCALE[0], arch)
        if isinstance(binary, str):
            out.append(f"| {arch} | - | {binary} | - |")
            continue
        first = None
        for n in counts:
            rss = sleeping_rss(arch, str(binary), n, timeout)
            if isinstance(rss, str):
                out.append(f"| {arch} | {n} | failed: {rss} | - |")
                continue
            first = rss if first is None and n == counts[0] else first
            per = f"{(rss - first) / (n - counts[0]):.0f}" if first is not None and n > counts[0] else "-"
            out.append(f"| {arch} | {n} | {rss / 1024:.1f} | {per} |")
    return "\n".join(out) + "\n"

