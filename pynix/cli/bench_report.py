"""The report of `pynix bench` (see cli/bench.py): the medians of a session's runs, the tables with the
slowdown of the subject runner against the others and their footnotes, the JSON record and the --plot chart.
"""
from __future__ import annotations

from __future__ import annotations

import argparse
import datetime
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from pynix.cli.bench_runners import Outcome
from pynix.cli.bench_suite import AnyBenchmark, ARCHES, Benchmark, QEMU, ROOT, Startup, STARTUP_RUNNERS, STARTUPS


# ------------------------------------------------------------------------------------------------ aggregation

@dataclass
class Cell:
    """All repeats of one RESULT under one runner for one arch."""
    values: list[float] = field(default_factory=list)
    unit: str = ""
    errors: list[str] = field(default_factory=list)
    runs: int = 0

    @property
    def median(self) -> float | None:
        return statistics.median(self.values) if self.values and not self.errors else None


@dataclass
class Session:
    arches: list[str]
    runners: dict[str, list[str]]            # arch -> runners that run there
    benches: list[AnyBenchmark]
    cells: dict[tuple[str, str, str], Cell] = field(default_factory=dict)      # (arch, result, runner)
    walls: dict[tuple[str, str, str], list[float]] = field(default_factory=dict)  # (arch, bench, runner)
    skipped: list[str] = field(default_factory=list)
    absent: dict[tuple[str, str], str] = field(default_factory=dict)  # (arch, bench) not run there -> why

    def runners_of(self, arch: str, bench: AnyBenchmark) -> list[str]:
        """The runners `bench` runs under on `arch` (start-up commands: not under qiling; the floor: only the
        benchmarks that have one)."""
        if (arch, bench.name) in self.absent:
            return []
        if isinstance(bench, Startup):
            return [r for r in self.runners[arch] if r in STARTUP_RUNNERS]
        return [r for r in self.runners[arch] if r != "floor" or bench.floor]

    def cell(self, arch: str, result: str, runner: str) -> Cell:
        return self.cells.setdefault((arch, result, runner), Cell())

    def record(self, arch: str, bench: AnyBenchmark, runner: str, outcome: Outcome) -> None:
        self.walls.setdefault((arch, bench.name, runner), []).append(outcome.wall)
        for name in bench.results:
            cell = self.cell(arch, name, runner)
            cell.runs += 1
            if name in outcome.results:
                value, unit = outcome.results[name]
                cell.values.append(value)
                cell.unit = unit
            else:
                cell.errors.append(outcome.error or "no RESULT line")


def unit_of(session: Session, arch: str, result: str) -> str:
    for runner in session.runners[arch]:
        unit = session.cells.get((arch, result, runner), Cell()).unit
        if unit:
            return unit
    if result in STARTUPS:
        return "ms"
    return "MB/s" if result in ("pipe_bw", "tcp_bw", "file_read_1m", "file_read_4k", "cpu") else "us/op"


def slowdown(subject: float, other: float, unit: str) -> float:
    """How many times slower `subject` is than `other` (> 1: slower), for latencies and bandwidths alike."""
    return other / subject if unit == "MB/s" else subject / other


def fmt(value: float) -> str:
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    if value >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def subject_runner(runners: list[str]) -> str | None:
    if "pynix" in runners:
        return "pynix"
    return runners[-1] if len(runners) > 1 else None


@dataclass
class Footnotes:
    """Failure footnotes and caveats shared by all tables of a report."""
    numbers: dict[tuple[str, str], int] = field(default_factory=dict)  # (runner, reason) -> footnote number
    where: dict[int, dict[str, list[str]]] = field(default_factory=dict)  # number -> arch -> benchmarks
    caveats: list[str] = field(default_factory=list)

    def failed(self, runner: str, reason: str, arch: str, bench: str) -> int:
        n = self.numbers.setdefault((runner, reason), len(self.numbers) + 1)
        names = self.where.setdefault(n, {}).setdefault(arch, [])
        if bench not in names:
            names.append(bench)
        return n


def _value(session: Session, arch: str, result: str, runner: str) -> float | None:
    cell = session.cells.get((arch, result, runner))
    return cell.median if cell is not None else None


def _table(session: Session, arch: str, benches: list[AnyBenchmark], runners: list[str], notes: Footnotes,
           difference: bool) -> list[str]:
    """One aligned Markdown table: a row per result, a column per runner, then the subject runner's slowdown
    against each other runner and, with `difference`, its excess over the first one (in the result's unit)."""
    subject = subject_runner(runners)
    others = [r for r in runners if r != subject] if subject else []
    header = ["benchmark", "unit", *runners, *(f"{subject}/{o}" for o in others)]
    if difference and others:
        header.append(f"{subject}-{others[0]}")
    rows = []
    for bench in benches:
        for result in bench.results:
            unit = unit_of(session, arch, result)
            row = [result, unit]
            for runner in runners:
                cell = session.cells.get((arch, result, runner))
                if cell is None or cell.runs == 0:
                    row.append("-")
                elif cell.errors:
                    reason = cell.errors[0]
                    if len(cell.errors) < cell.runs:
                        reason += f" ({len(cell.errors)} of {cell.runs} runs failed)"
                    row.append(f"failed[{notes.failed(runner, reason, arch, bench.name)}]")
                else:
                    row.append(fmt(cell.median))
                if runner in bench.notes and cell is not None and cell.runs:
                    caveat = f"{bench.name} under {runner}: {bench.notes[runner]}"
                    if caveat not in notes.caveats:
                        notes.caveats.append(caveat)
            a = _value(session, arch, result, subject) if subject else None
            for other in others:
                b = _value(session, arch, result, other)
                row.append(f"{slowdown(a, b, unit):.1f}x" if a and b and a > 0 and b > 0 else "-")
            if difference and others:
                b = _value(session, arch, result, others[0])
                row.append("-" if a is None or b is None else ("-" if a < b else "") + fmt(abs(a - b)))
            rows.append(row)
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    numeric = [i >= 2 for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.rjust(w) if numeric[i] else c.ljust(w)
                                 for i, (c, w) in enumerate(zip(cells, widths))) + " |"

    return [line(header),
            "|" + "|".join(("-" * (w + 1) + ":") if numeric[i] else ("-" * (w + 2)) for i, w in enumerate(widths))
            + "|",
            *(line(r) for r in rows), ""]


def startup_overhead(session: Session, arch: str) -> str | None:
    """pynix's own start-up on `arch`: start_static under pynix minus natively (under qemu where no native)."""
    pynix = _value(session, arch, "start_static", "pynix")
    refs = [(r, v) for r in ("native", "qemu") if (v := _value(session, arch, "start_static", r)) is not None]
    if pynix is None or not refs:
        return None
    runner, ref = refs[0]
    return (f"pynix start-up overhead, {arch}: {fmt(pynix - ref)} ms (start_static: pynix {fmt(pynix)} ms, "
            f"{runner} {fmt(ref)} ms)")


def render(session: Session) -> str:
    """Per arch, the micro-benchmark table and the start-up table as aligned Markdown, then numbered failure
    footnotes, caveats and what was skipped."""
    out: list[str] = []
    notes = Footnotes()
    for arch in session.arches:
        runners = session.runners[arch]
        if not runners:
            continue
        micro = [b for b in session.benches if isinstance(b, Benchmark)]
        if micro:
            out += [f"### {arch}", "", *_table(session, arch, micro, runners, notes, difference=False)]
        startup = [b for b in session.benches if isinstance(b, Startup) and session.runners_of(arch, b)]
        if startup:
            out += [f"### {arch} start-up (whole commands timed from the host, median ms)", "",
                    *_table(session, arch, startup, [r for r in runners if r in STARTUP_RUNNERS], notes,
                            difference=True)]
            overhead = startup_overhead(session, arch)
            if overhead:
                out += [overhead, ""]
    skipped = session.skipped + [f"{name} on {arch}: {why}" for (arch, name), why in session.absent.items()]
    if notes.numbers or notes.caveats or skipped:
        for (runner, reason), n in notes.numbers.items():
            where = "; ".join(
                f"{arch} {'all benchmarks' if len(names) == len(session.benches) > 1 else ', '.join(names)}"
                for arch, names in notes.where[n].items())
            out.append(f"[{n}] {runner} ({where}): {reason}")
        for caveat in notes.caveats:
            out.append(f"note: {caveat}")
        for skip in skipped:
            out.append(f"skipped: {skip}")
        out.append("")
    return "\n".join(out)


def render_walls(session: Session) -> str:
    """Median wall-clock seconds of whole runs of the micro-benchmarks (process start to exit, start-up
    included), per program and runner."""
    out = []
    micro = [b for b in session.benches if isinstance(b, Benchmark)]
    for arch in session.arches:
        runners = session.runners[arch]
        if not runners or not micro:
            continue
        out.append(f"wall-clock seconds per run, {arch} (median, including start-up):")
        for bench in micro:
            walls = [session.walls.get((arch, bench.name, r)) for r in runners]
            out.append(f"  {bench.name:10} " + "  ".join(
                f"{r} {statistics.median(w):.2f}" if w else f"{r} -" for r, w in zip(runners, walls)))
    return "\n".join(out)


# ----------------------------------------------------------------------------------------------- json and plot

def _tool_version(cmd: list[str]) -> str | None:
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = (proc.stdout or proc.stderr).strip().splitlines()
    return lines[0] if lines else None


def machine_info() -> dict:
    info = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "host": platform.platform(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
    }
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        from importlib.metadata import version
        info["unicorn"] = version("unicorn")
    except Exception:  # noqa: BLE001 -- metadata is optional
        pass
    for arch in ARCHES:
        if shutil.which(QEMU[arch]):
            info[QEMU[arch]] = _tool_version([QEMU[arch], "--version"])
    commit = _tool_version(["git", "-C", str(ROOT), "rev-parse", "HEAD"])
    if commit and re.fullmatch(r"[0-9a-f]{40}", commit):
        info["pynix_commit"] = commit
    return info


def to_json(session: Session, args: argparse.Namespace, binaries: dict) -> dict:
    results = []
    for arch in session.arches:
        for bench in session.benches:
            for result in bench.results:
                for runner in session.runners[arch]:
                    cell = session.cells.get((arch, result, runner))
                    if cell is None or cell.runs == 0:
                        continue
                    results.append({
                        "arch": arch, "benchmark": bench.name, "result": result, "runner": runner,
                        "kind": "startup" if isinstance(bench, Startup) else "micro",
                        "unit": unit_of(session, arch, result), "median": cell.median, "values": cell.values,
                        "runs": cell.runs, "errors": cell.errors,
                        "wall_s": session.walls.get((arch, bench.name, runner), []),
                    })
    return {
        "meta": {**machine_info(), "argv": sys.argv, "repeat": args.repeat, "quick": args.quick,
                 "args": {k: v for k, v in args.bench_args.items()}},
        "binaries": {f"{a} {n}": str(p) for (a, n), p in binaries.items() if isinstance(p, Path)},
        "results": results,
        "skipped": session.skipped + [f"{n} on {a}: {why}" for (a, n), why in session.absent.items()],
    }


def plot(session: Session, path: str) -> None:
    """Log-scale grouped bars: one row per arch; latencies (us/op), bandwidths (MB/s), start-up commands (ms)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    arches = [a for a in session.arches if session.runners[a]]
    panels = {"us/op": ("latency", "time per operation, us (lower is better)"),
              "MB/s": ("bandwidth", "bandwidth, MB/s (higher is better)"),
              "ms": ("start-up", "whole command, ms (lower is better)")}
    fig, axes = plt.subplots(len(arches), 3, figsize=(18, 4.5 * len(arches)), squeeze=False,
                             gridspec_kw={"width_ratios": [3, 1, 1.5]})
    colors = {"native": "#4c72b0", "qemu": "#55a868", "pynix": "#c44e52", "qiling": "#8172b2"}
    for row, arch in enumerate(arches):
        runners = session.runners[arch]
        for col, (unit, (title, ylabel)) in enumerate(panels.items()):
            ax = axes[row][col]
            names = [r for b in session.benches if session.runners_of(arch, b) for r in b.results
                     if unit_of(session, arch, r) == unit]
            width = 0.8 / max(1, len(runners))
            lowest = highest = None
            for i, runner in enumerate(runners):
                xs, ys = [], []
                for j, name in enumerate(names):
                    cell = session.cells.get((arch, name, runner))
                    if cell and cell.median is not None and cell.median > 0:
                        xs.append(j + (i - (len(runners) - 1) / 2) * width)
                        ys.append(cell.median)
                ax.bar(xs, ys, width, label=runner, color=colors.get(runner))
                if ys:
                    lowest = min(ys + ([lowest] if lowest is not None else []))
                    highest = max(ys + ([highest] if highest is not None else []))
            if lowest is not None:  # bars grow from a power of ten below the smallest, not from an arbitrary edge
                ax.set_ylim(10 ** math.floor(math.log10(lowest)), highest * 1.5)
            ax.set_xticks(range(len(names)))
            ax.set_xticklabels(names, rotation=30, ha="right")
            ax.set_yscale("log")
            ax.set_ylabel(ylabel)
            ax.set_title(f"{arch}: {title}")
            ax.grid(axis="y", which="both", alpha=0.3)
            if names:
                ax.legend(fontsize="small")
    fig.suptitle("pynix bench (median of repeats; missing bars = failed or not run)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
