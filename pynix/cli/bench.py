"""`pynix bench`: run the guest benchmarks (bench/*.c) under pynix and the reference runners, print a table.

    pynix bench [NAMES...] [--arch x86_64|riscv64] [--runners native,qemu,pynix,qiling] [--repeat N]
                [--json FILE] [--plot FILE.png] [--quick] [--args NAME=ARGS] [--timeout S] [--strict] [--list]

Runners:
  native  the binary on the host CPU (x86_64 only, and only on an x86_64 host)
  qemu    qemu-user (`qemu-x86_64` / `qemu-riscv64`, Debian's qemu-user), when on PATH
  pynix   `python -m pynix run --arch ARCH BINARY ARGS`
  qiling  the Qiling framework in a separate interpreter, only when `qiling` is importable (never required)

Every runner executes the very same static musl binary (built by pynix.devtools.guestcc).  The benchmarks time
themselves inside the guest and print `RESULT <name> <value> <unit>` lines (unit us/op or MB/s); the runner also
records each run's wall-clock time.  Within each repeat all runners run a benchmark back to back, in an order
that rotates from one repeat to the next, so slow drift of the machine hits every runner alike.  The table shows
the median over the repeats and how many times slower the subject runner (pynix, when it is selected) is than
each other runner -- for bandwidths too (reference MB/s divided by pynix MB/s), so a bigger number is always
worse.  A run that exits non-zero, prints `FAIL`/`ERROR`, misses a RESULT line or times out is a failure: its
cell says "failed[n]" and footnote n says why; the other runs go on.
"""
from __future__ import annotations

import argparse
import datetime
import errno as errno_mod
import hashlib
import importlib.util
import json
import math
import os
import platform
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BENCH_DIR = ROOT / "bench"
ARCHES = ("x86_64", "riscv64")
RUNNERS = ("native", "qemu", "pynix", "qiling")
TARGET = {"x86_64": "x86_64-musl", "riscv64": "riscv64-musl"}
QEMU = {"x86_64": "qemu-x86_64", "riscv64": "qemu-riscv64"}


@dataclass(frozen=True)
class Benchmark:
    name: str                 # bench/<name>.c
    results: tuple[str, ...]  # the RESULT names it prints, in order
    summary: str              # one line for --list and docs/performance.md
    quick: tuple[str, ...]    # arguments for --quick (a smoke test, not a measurement)
    notes: dict[str, str] = field(default_factory=dict)  # runner -> caveat printed under the table


BENCHMARKS: dict[str, Benchmark] = {b.name: b for b in (
    Benchmark("syscall", ("syscall",), "getpid() via syscall(SYS_getpid) in a loop: null syscall latency", ("2000",)),
    Benchmark("ctxsw", ("ctxsw",), "two processes pinned to one CPU ping-pong a byte over two pipes: per switch",
              ("100",)),
    Benchmark("pipe_lat", ("pipe_self", "pipe_lat"),
              "1-byte write+read on one pipe in one process; round trip between two processes", ("100",)),
    Benchmark("pipe_bw", ("pipe_bw",), "64 KiB chunks from a child to its parent through a pipe", ("2",)),
    Benchmark("file_read", ("file_read_1m", "file_read_4k"),
              "read() of a 64 MiB /tmp file from the page cache, 1 MiB and 4 KiB at a time", ("2",)),
    Benchmark("stat", ("stat",), "stat() of a file in /tmp", ("200",)),
    Benchmark("fork", ("fork",), "fork + child _exit + waitpid", ("5",)),
    Benchmark("exec", ("exec",), "fork + execve of itself + exit + waitpid", ("2",), notes={
        "qemu": "qemu-user does not follow execve: under qemu-x86_64 the exec'd child runs natively, and "
                "qemu-riscv64 fails with ENOEXEC unless binfmt_misc routes riscv64 binaries back to qemu"}),
    Benchmark("pagefault", ("pagefault",), "write one byte to each page of a fresh 64 MiB anonymous mapping",
              ("2",)),
    Benchmark("mmap", ("mmap",), "mmap 1 MiB anonymous + touch first/last page + munmap", ("100",)),
    Benchmark("cpu", ("cpu",), "CRC-32 (slicing-by-8) over 64 MiB of generated data: guest code speed, no syscalls", ("1",)),
)}


# ---------------------------------------------------------------------------------------------------------- runners

def runner_unavailable(runner: str, arch: str) -> str | None:
    """Why `runner` cannot run `arch` binaries on this host, or None when it can."""
    if runner == "native":
        if arch != "x86_64":
            return "native runs x86_64 only"
        if platform.machine() not in ("x86_64", "AMD64"):
            return f"the host is {platform.machine()}"
        return None
    if runner == "qemu":
        return None if shutil.which(QEMU[arch]) else f"{QEMU[arch]} not found (apt-get install qemu-user)"
    if runner == "pynix":
        return None
    if runner == "qiling":
        return None if importlib.util.find_spec("qiling") else "qiling is not installed"
    return f"unknown runner {runner!r}"


# Qiling (1.4.x) fills tv_nsec with microseconds, which would make every in-guest timing 1000x too fast: the
# script serves clock_gettime itself from the host's clock of the same id.
_QILING = """\
import struct, sys, time
from qiling import Qiling
from qiling.const import QL_INTERCEPT, QL_VERBOSE
ql = Qiling(sys.argv[1:], rootfs="/", verbose=QL_VERBOSE.DISABLED)
def clock_gettime(ql, clock_id, tp, *rest):
    try:
        ns = time.clock_gettime_ns(clock_id)
    except OSError:
        return -22
    if tp:
        ql.mem.write(tp, struct.pack("<qq", ns // 10**9, ns % 10**9))
    return 0
ql.os.set_syscall("clock_gettime", clock_gettime, QL_INTERCEPT.CALL)
ql.run()
code = getattr(ql.os, "exit_code", None)
sys.exit(getattr(ql, "exit_code", 0) if code is None else code)
"""


def runner_command(runner: str, arch: str, binary: Path, args: list[str]) -> list[str]:
    if runner == "native":
        return [str(binary), *args]
    if runner == "qemu":
        return [QEMU[arch], str(binary), *args]
    if runner == "pynix":
        return [sys.executable, "-m", "pynix", "run", "--arch", arch, str(binary), *args]
    if runner == "qiling":
        return [sys.executable, "-c", _QILING, str(binary), *args]
    raise ValueError(runner)


# ------------------------------------------------------------------------------------------------------ one run

@dataclass
class Outcome:
    results: dict[str, tuple[float, str]]  # RESULT name -> (value, unit)
    wall: float                            # seconds, whole process
    error: str | None                      # None: the run succeeded


_RESULT = re.compile(r"^RESULT\s+(\S+)\s+(\S+)\s+(\S+)\s*$")
_ERROR = re.compile(r"^ERROR\s+(.*?)\s+errno=(\d+)")


def _signal_name(num: int) -> str:
    try:
        return signal.Signals(num).name
    except ValueError:
        return f"signal {num}"


def explain_failure(returncode: int | None, stdout: str, stderr: str) -> str:
    """A one-line reason for a failed run, from the benchmark's own FAIL/ERROR lines when it printed any."""
    lines = [ln.strip() for ln in (stderr + "\n" + stdout).splitlines() if ln.strip()]
    status = f"killed by {_signal_name(-returncode)}" if returncode and returncode < 0 else f"exit {returncode}"
    for ln in lines:  # a failed system call is the root cause of whatever follows it
        m = _ERROR.match(ln)
        if m:
            num = int(m.group(2))
            return f"{m.group(1)}: {errno_mod.errorcode.get(num, f'errno {num}')} ({status})"
    for ln in lines:
        if ln.startswith("FAIL "):
            return f"wrong result: {ln[5:]} ({status})"
    tail = [ln for ln in stderr.splitlines() if ln.strip()]
    if returncode == 0:
        return "exit 0 but no RESULT line"
    if tail:
        last = tail[-1].strip()
        return f"{status}: {last[:200]}"
    return status


def run_once(cmd: list[str], bench: Benchmark, timeout: float) -> Outcome:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    t0 = time.perf_counter()
    try:
        # A session of its own, so a timeout can kill the benchmark's child processes too.
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=env, start_new_session=True)
    except OSError as exc:
        return Outcome({}, time.perf_counter() - t0, f"could not start: {exc}")
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except KeyboardInterrupt:  # the run is in its own session: Ctrl-C does not reach it by itself
        _kill_group(proc)
        raise
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        stdout, _ = proc.communicate()
        return Outcome(_parse(stdout.decode(errors="replace")), time.perf_counter() - t0,
                       f"timed out after {timeout:g} s")
    wall = time.perf_counter() - t0
    out, err = stdout.decode(errors="replace"), stderr.decode(errors="replace")
    results = _parse(out)
    error = None
    if proc.returncode != 0 or any(ln.startswith(("FAIL ", "ERROR ")) for ln in err.splitlines()):
        error = explain_failure(proc.returncode, out, err)
    elif any(name not in results for name in bench.results):
        missing = [n for n in bench.results if n not in results]
        error = f"no RESULT line for {', '.join(missing)} (exit 0)"
    return Outcome(results, wall, error)


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        pass
    proc.wait()


def _parse(stdout: str) -> dict[str, tuple[float, str]]:
    results = {}
    for line in stdout.splitlines():
        m = _RESULT.match(line.strip())
        if m:
            try:
                results[m.group(1)] = (float(m.group(2)), m.group(3))
            except ValueError:
                pass
    return results


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
    benches: list[Benchmark]
    cells: dict[tuple[str, str, str], Cell] = field(default_factory=dict)      # (arch, result, runner)
    walls: dict[tuple[str, str, str], list[float]] = field(default_factory=dict)  # (arch, bench, runner)
    skipped: list[str] = field(default_factory=list)

    def cell(self, arch: str, result: str, runner: str) -> Cell:
        return self.cells.setdefault((arch, result, runner), Cell())

    def record(self, arch: str, bench: Benchmark, runner: str, outcome: Outcome) -> None:
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
    return "MB/s" if result in ("pipe_bw", "file_read_1m", "file_read_4k", "cpu") else "us/op"


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


def render(session: Session) -> str:
    """The result tables (one per arch) as aligned Markdown, with numbered failure footnotes and caveats."""
    out: list[str] = []
    notes: dict[tuple[str, str], int] = {}  # (runner, reason) -> footnote number
    failures: dict[int, dict[str, list[str]]] = {}  # footnote number -> arch -> benchmarks it applies to
    caveats: list[str] = []
    for arch in session.arches:
        runners = session.runners[arch]
        if not runners:
            continue
        subject = subject_runner(runners)
        others = [r for r in runners if r != subject] if subject else []
        header = ["benchmark", "unit", *runners, *(f"{subject}/{o}" for o in others)]
        rows = []
        for bench in session.benches:
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
                        n = notes.setdefault((runner, reason), len(notes) + 1)
                        where = failures.setdefault(n, {}).setdefault(arch, [])
                        if bench.name not in where:
                            where.append(bench.name)
                        row.append(f"failed[{n}]")
                    else:
                        row.append(fmt(cell.median))
                    if runner in bench.notes and cell is not None and cell.runs:
                        caveat = f"{bench.name} under {runner}: {bench.notes[runner]}"
                        if caveat not in caveats:
                            caveats.append(caveat)
                for other in others:
                    a = session.cells.get((arch, result, subject))
                    b = session.cells.get((arch, result, other))
                    if a and b and a.median is not None and b.median is not None and a.median > 0 and b.median > 0:
                        row.append(f"{slowdown(a.median, b.median, unit):.1f}x")
                    else:
                        row.append("-")
                rows.append(row)
        widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
        numeric = [i >= 2 for i in range(len(header))]

        def line(cells: list[str]) -> str:
            return "| " + " | ".join(c.rjust(w) if numeric[i] else c.ljust(w)
                                     for i, (c, w) in enumerate(zip(cells, widths))) + " |"

        out.append(f"### {arch}")
        out.append("")
        out.append(line(header))
        out.append("|" + "|".join(("-" * (w + 1) + ":") if numeric[i] else ("-" * (w + 2))
                                  for i, w in enumerate(widths)) + "|")
        out.extend(line(r) for r in rows)
        out.append("")
    if notes or caveats or session.skipped:
        for (runner, reason), n in notes.items():
            where = "; ".join(
                f"{arch} {'all benchmarks' if len(names) == len(session.benches) > 1 else ', '.join(names)}"
                for arch, names in failures[n].items())
            out.append(f"[{n}] {runner} ({where}): {reason}")
        for caveat in caveats:
            out.append(f"note: {caveat}")
        for skip in session.skipped:
            out.append(f"skipped: {skip}")
        out.append("")
    return "\n".join(out)


def render_walls(session: Session) -> str:
    """Median wall-clock seconds of whole runs (process start to exit, start-up included), per program and runner."""
    out = []
    for arch in session.arches:
        runners = session.runners[arch]
        if not runners:
            continue
        out.append(f"wall-clock seconds per run, {arch} (median, including start-up):")
        for bench in session.benches:
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
                        "unit": unit_of(session, arch, result), "median": cell.median, "values": cell.values,
                        "runs": cell.runs, "errors": cell.errors,
                        "wall_s": session.walls.get((arch, bench.name, runner), []),
                    })
    return {
        "meta": {**machine_info(), "argv": sys.argv, "repeat": args.repeat, "quick": args.quick,
                 "args": {k: v for k, v in args.bench_args.items()}},
        "binaries": {f"{a} {n}": str(p) for (a, n), p in binaries.items() if isinstance(p, Path)},
        "results": results,
        "skipped": session.skipped,
    }


def plot(session: Session, path: str) -> None:
    """Log-scale grouped bars: one row per arch, latencies (us/op) left, bandwidths (MB/s) right."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    arches = [a for a in session.arches if session.runners[a]]
    fig, axes = plt.subplots(len(arches), 2, figsize=(14, 4.5 * len(arches)), squeeze=False,
                             gridspec_kw={"width_ratios": [3, 1]})
    colors = {"native": "#4c72b0", "qemu": "#55a868", "pynix": "#c44e52", "qiling": "#8172b2"}
    for row, arch in enumerate(arches):
        runners = session.runners[arch]
        for col, unit in enumerate(("us/op", "MB/s")):
            ax = axes[row][col]
            names = [r for b in session.benches for r in b.results if unit_of(session, arch, r) == unit]
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
            ax.set_ylabel(("time per operation, us (lower is better)" if unit == "us/op"
                           else "bandwidth, MB/s (higher is better)"))
            ax.set_title(f"{arch}: {'latency' if unit == 'us/op' else 'bandwidth'}")
            ax.grid(axis="y", which="both", alpha=0.3)
            if names:
                ax.legend(fontsize="small")
    fig.suptitle("pynix bench (median of repeats; missing bars = failed or not run)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# --------------------------------------------------------------------------------------------------- command

def cpu_reference_crc(mib: int = 64) -> int:
    """zlib.crc32 of the data bench/cpu.c generates (xorshift64*, fixed seed): the source of its CRC_64MIB.

    Pure Python, ~8 s for 64 MiB; run it after changing the generator and paste the value into bench/cpu.c."""
    import struct
    import zlib

    mask = (1 << 64) - 1
    x, crc, out, pack = 0x9E3779B97F4A7C15, 0, [], struct.Struct("<Q").pack
    for _ in range(mib * (1 << 20) // 8):
        x ^= x >> 12
        x = (x ^ (x << 25)) & mask
        x ^= x >> 27
        out.append(pack((x * 0x2545F4914F6CDD1D) & mask))
        if len(out) == 65536:
            crc, out = zlib.crc32(b"".join(out), crc), []
    return zlib.crc32(b"".join(out), crc)


def build(bench: Benchmark, arch: str) -> Path | str:
    """The benchmark's binary for `arch`, or a string saying why it could not be built."""
    from pynix.devtools.guestcc import compile_guest

    header = (BENCH_DIR / "bench.h").read_bytes()
    # compile_guest keys its cache on the source and the flags: put the header's hash in the flags too.
    flags = ("-O2", f"-DBENCH_H_SHA256={hashlib.sha256(header).hexdigest()[:12]}")
    try:
        return compile_guest(BENCH_DIR / f"{bench.name}.c", TARGET[arch], flags)
    except Exception as exc:  # noqa: BLE001 -- reported in the table, the other benchmarks go on
        lines = str(exc).strip().splitlines()
        errors = [ln.strip() for ln in lines if "error" in ln.lower() and not ln.startswith("building ")]
        return f"build failed: {(errors or lines or ['?'])[0][:200]}"


def _split_list(text: str, allowed: tuple[str, ...], what: str, parser: argparse.ArgumentParser) -> list[str]:
    items = [t.strip() for t in text.split(",") if t.strip()]
    bad = [t for t in items if t not in allowed]
    if bad or not items:
        parser.error(f"{what}: expected a comma-separated list of {', '.join(allowed)}; got {text!r}")
    return list(dict.fromkeys(items))


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "bench", help="run the guest benchmarks under pynix and reference runners",
        description=__doc__.split("\n\n", 2)[2], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("names", nargs="*", metavar="NAME",
                   help=f"benchmarks to run (default: all): {', '.join(BENCHMARKS)}")
    p.add_argument("--arch", default=",".join(ARCHES),
                   help="x86_64, riscv64 or both comma-separated (default: both)")
    p.add_argument("--runners", default=",".join(RUNNERS),
                   help="comma-separated subset of native,qemu,pynix,qiling (default: all that are available)")
    p.add_argument("--repeat", type=int, default=3, metavar="N", help="runs per benchmark and runner (default 3)")
    p.add_argument("--json", metavar="FILE", help="write every value, the medians and the machine to FILE")
    p.add_argument("--plot", metavar="FILE.png", help="draw a log-scale grouped bar chart (needs matplotlib)")
    p.add_argument("--timeout", type=float, default=300, metavar="S", help="seconds before a run is killed")
    p.add_argument("--quick", action="store_true",
                   help="tiny iteration counts: a smoke test that everything runs, not a measurement")
    p.add_argument("--args", action="append", default=[], metavar="NAME=ARGS",
                   help="arguments for one benchmark program, e.g. --args syscall=1000000 --args cpu=16")
    p.add_argument("--strict", action="store_true", help="exit 1 if any run failed")
    p.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    p.set_defaults(func=main, _parser=p)


def main(args: argparse.Namespace) -> int:
    parser: argparse.ArgumentParser = args._parser
    if args.list:
        for b in BENCHMARKS.values():
            print(f"{b.name:10} {b.summary}  [{', '.join(b.results)}]")
        return 0
    unknown = [n for n in args.names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    arches = _split_list(args.arch, ARCHES, "--arch", parser)
    wanted = _split_list(args.runners, RUNNERS, "--runners", parser)
    explicit = args.runners != ",".join(RUNNERS)
    bench_args: dict[str, list[str]] = {}
    for item in args.args:
        name, sep, rest = item.partition("=")
        if not sep or name not in BENCHMARKS:
            parser.error(f"--args: expected NAME=ARGS with NAME one of {', '.join(BENCHMARKS)}; got {item!r}")
        bench_args[name] = shlex.split(rest)
    args.bench_args = bench_args
    if args.plot and importlib.util.find_spec("matplotlib") is None:
        print("pynix bench: --plot needs matplotlib, which is not installed (pip install matplotlib)",
              file=sys.stderr)
        return 2

    benches = [BENCHMARKS[n] for n in (dict.fromkeys(args.names) or BENCHMARKS)]
    session = Session(arches=arches, runners={}, benches=benches)
    for arch in arches:
        session.runners[arch] = []
        for runner in wanted:
            why = runner_unavailable(runner, arch)
            if why is None:
                session.runners[arch].append(runner)
            elif (explicit or runner != "qiling") and not (runner == "native" and arch != "x86_64"):
                session.skipped.append(f"{runner} for {arch}: {why}")

    binaries: dict[tuple[str, str], Path | str] = {}
    for arch in arches:
        if session.runners[arch]:
            for bench in benches:
                binaries[(arch, bench.name)] = build(bench, arch)

    for rep in range(args.repeat):
        for arch in arches:
            runners = session.runners[arch]
            for bench in benches:
                binary = binaries[(arch, bench.name)]
                argv = bench_args.get(bench.name, list(bench.quick) if args.quick else [])
                k = rep % len(runners) if runners else 0
                for runner in runners[k:] + runners[:k]:  # rotate the order: drift hits every runner alike
                    if isinstance(binary, str):
                        outcome = Outcome({}, 0.0, binary)
                    else:
                        outcome = run_once(runner_command(runner, arch, binary, argv), bench, args.timeout)
                    session.record(arch, bench, runner, outcome)
                    shown = ", ".join(f"{n}={fmt(v)} {u}" for n, (v, u) in outcome.results.items())
                    status = shown if outcome.error is None else f"FAILED: {outcome.error}"
                    print(f"[{rep + 1}/{args.repeat}] {arch:7} {bench.name:9} {runner:6} {outcome.wall:6.2f} s  "
                          f"{status}", file=sys.stderr, flush=True)

    print()
    print(render(session))
    print(render_walls(session))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(to_json(session, args, binaries), indent=1) + "\n")
        print(f"wrote {args.json}")
    if args.plot:
        Path(args.plot).parent.mkdir(parents=True, exist_ok=True)
        plot(session, args.plot)
        print(f"wrote {args.plot}")
    failed = any(c.errors for c in session.cells.values())
    return 1 if args.strict and failed else 0
