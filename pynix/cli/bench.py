"""`pynix bench`: run the guest benchmarks (bench/*.c) and the start-up benchmarks under pynix and the reference
runners, print a table.

    pynix bench [NAMES...] [--arch x86_64|riscv64] [--runners native,qemu,floor,pynix,qiling] [--repeat N]
                [--json FILE] [--plot FILE.png] [--quick] [--args NAME=ARGS] [--timeout S] [--strict] [--list]

NAMES are benchmarks or the groups `micro` (the guest programs) and `startup` (whole commands); default: all.

Runners:
  native  the binary on the host CPU (x86_64 only, and only on an x86_64 host)
  qemu    qemu-user (`qemu-x86_64` / `qemu-riscv64`, Debian's qemu-user), when on PATH
  floor   pynix's CPU without a kernel (`python -m pynix.cli.floor BINARY ARGS`): the `cpu` benchmark's compute
          loop, the program's own function, on the CPU pynix builds with a flat address translation and no
          timer -- what guest code cannot beat under pynix (pynix/floor near 1.0x: the kernel costs nothing)
  pynix   `python -m pynix run --arch ARCH BINARY ARGS`
  qiling  the Qiling framework in a separate interpreter, only when `qiling` is importable (never required;
          guest programs only)

Micro-benchmarks: every runner executes the very same static musl binary (built by pynix.devtools.guestcc).  The
benchmarks time themselves inside the guest and print `RESULT <name> <value> <unit>` lines (unit us/op or MB/s);
the runner also records each run's wall-clock time.

Start-up benchmarks (`start_*`): a whole command -- the host's /bin/true, python3, busybox, gcc, or the riscv64
busybox of build/riscv64-sysroot -- timed end to end from the host as hyperfine does: one untimed warm-up, then
several runs per repeat, the median in ms.  `start_static` (a static program that exits at once) isolates each
runner's own start-up: for pynix the interpreter, the kernel's boot and the ELF load.

Within each repeat all runners run a benchmark back to back, in an order that rotates from one repeat to the next,
so slow drift of the machine hits every runner alike.  The tables show the median over the repeats and how many
times slower the subject runner (pynix, when it is selected) is than each other runner -- for bandwidths too
(reference MB/s divided by pynix MB/s), so a bigger number is always worse; the start-up table also gives the
difference in ms.  A run that exits non-zero, prints `FAIL`/`ERROR`, misses a RESULT line or times out is a
failure: its cell says "failed[n]" and footnote n says why; the other runs go on.
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
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from pynix.cli.run import _elf_arch_name

ROOT = Path(__file__).resolve().parents[2]
BENCH_DIR = ROOT / "bench"
ARCHES = ("x86_64", "riscv64")
RUNNERS = ("native", "qemu", "floor", "pynix", "qiling")
TARGET = {"x86_64": "x86_64-musl", "riscv64": "riscv64-musl"}
QEMU = {"x86_64": "qemu-x86_64", "riscv64": "qemu-riscv64"}


@dataclass(frozen=True)
class Benchmark:
    name: str                 # bench/<name>.c
    results: tuple[str, ...]  # the RESULT names it prints, in order
    summary: str              # one line for --list and docs/performance.md
    quick: tuple[str, ...]    # arguments for --quick (a smoke test, not a measurement)
    notes: dict[str, str] = field(default_factory=dict)  # runner -> caveat printed under the table
    floor: bool = False       # the floor runner (pynix/cli/floor.py) runs its compute loop too
    program: str = ""         # bench/<program>.c when not bench/<name>.c (the --scale cases share one)
    args: tuple[str, ...] = ()  # its arguments when --args gives none


BENCHMARKS: dict[str, Benchmark] = {b.name: b for b in (
    Benchmark("syscall", ("syscall",), "getpid() via syscall(SYS_getpid) in a loop: null syscall latency", ("2000",)),
    Benchmark("ctxsw", ("ctxsw",), "two processes pinned to one CPU ping-pong a byte over two pipes: per switch",
              ("100",)),
    Benchmark("pipe_lat", ("pipe_self", "pipe_lat"),
              "1-byte write+read on one pipe in one process; round trip between two processes", ("100",)),
    Benchmark("pipe_bw", ("pipe_bw",), "64 KiB chunks from a child to its parent through a pipe", ("2",)),
    Benchmark("tcp", ("tcp_lat", "tcp_bw"), "1-byte round trip between two processes over 127.0.0.1 TCP; "
              "64 KiB chunks from a child to its parent over one connection", ("100", "2")),
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
    Benchmark("cpu", ("cpu",), "CRC-32 (slicing-by-8) over 64 MiB of generated data: guest code speed, no syscalls", ("1",),
              floor=True),
)}


# The riscv64 file tree made by tools/riscv64-sysroot: its programs run under `qemu-riscv64 -L` / `pynix run -L`.
SYSROOTS = {"riscv64": ROOT / "build" / "riscv64-sysroot"}
STARTUP_FILES = BENCH_DIR / "startup"


@dataclass(frozen=True)
class Startup:
    """A whole command timed end to end from the host, as hyperfine does: the median wall time of many runs, in ms.

    `commands` maps an arch to the argvs run one after the other (their times add up).  A bare program name is
    looked up in PATH; `{guest}` is bench/<name>.c built like a micro-benchmark, `{sysroot}` the arch's
    SYSROOTS entry (the program then runs with `-L SYSROOT` under qemu and pynix).  An arch without commands has
    no such program: the benchmark is skipped there with a note.  With `files`, the runs start in a fresh
    scratch directory holding those files of bench/startup/, which pynix sees read-write (`--mount`), so a
    step's output is the next step's input.  qemu-user runs the programs a guest exec's natively; `qemu_tools`
    are gcc helpers that are run under qemu too, through `gcc -B DIR/` scripts (see `qemu_wrappers`)."""
    name: str
    summary: str
    commands: dict[str, tuple[tuple[str, ...], ...]]
    runs: int                                         # timed runs per repeat, after one untimed warm-up
    files: tuple[str, ...] = ()
    qemu_tools: tuple[str, ...] = ()
    notes: dict[str, str] = field(default_factory=dict)
    pynix_options: tuple[str, ...] = ()               # `pynix run` options of this row (--cpus N)

    @property
    def results(self) -> tuple[str, ...]:
        return (self.name,)


# start_cc_j2_*: make -j2 by hand (GNU make's -j2 under pynix waits for ever in pselect: a SIGCHLD that its
# temporary mask unblocks does not end the wait -- a kernel bug of its own, not of SMP).
PARALLEL_BUILD = ("gcc -O2 -c smp_main.c & gcc -O2 -c smp_crc.c & wait; gcc -O2 -c smp_sort.c & "
                  "gcc -O2 -c smp_fib.c & wait; gcc -o smp smp_main.o smp_crc.o smp_sort.o smp_fib.o && ./smp")

STARTUPS: dict[str, Startup] = {s.name: s for s in (
    Startup("start_static", "a static musl program that returns 0 at once: the runner's own start-up",
            {"x86_64": (("{guest}",),), "riscv64": (("{guest}",),)}, runs=10),
    Startup("start_true", "the host's /bin/true (dynamic glibc: ld.so, libc)",
            {"x86_64": (("/bin/true",),)}, runs=10),
    Startup("start_busybox", "busybox sh -c true: the host's static busybox; riscv64: build/riscv64-sysroot's",
            {"x86_64": (("/bin/busybox", "sh", "-c", "true"),),
             "riscv64": (("{sysroot}/usr/bin/busybox", "sh", "-c", "true"),)}, runs=10),
    Startup("start_python3", "the host's python3 -c pass (dynamic glibc; imports site, encodings)",
            {"x86_64": (("/usr/bin/python3", "-c", "pass"),)}, runs=5),
    Startup("start_gcc", "the host's gcc -O2 -c hello.c, then gcc -o hello hello.o: driver, cc1, as, collect2, ld",
            {"x86_64": (("gcc", "-O2", "-c", "hello.c"), ("gcc", "-o", "hello", "hello.o"))}, runs=2,
            files=("hello.c",), qemu_tools=("cc1", "as", "collect2", "ld"),
            notes={"qemu": "qemu-user runs exec'd programs natively; gcc is given -B DIR/ with scripts that run "
                           "cc1, as, collect2 and ld under qemu too (each through a native /bin/sh)"}),
    *(Startup(f"start_cc_j2_cpus{cpus}", f"a 4-file C project built two compiles at a time (as make -j2 would) "
              f"with the host's gcc, then linked; pynix with --cpus {cpus} (the two rows' ratio is pynix's SMP "
              f"scaling)", {"x86_64": (("sh", "-c", PARALLEL_BUILD),)}, runs=1,
              files=("smp_main.c", "smp_crc.c", "smp_sort.c", "smp_fib.c"), pynix_options=("--cpus", str(cpus)),
              notes={"qemu": "qemu-user runs the programs sh exec's (gcc, cc1, as, ld) natively"})
      for cpus in (1, 2)),
)}

AnyBenchmark = Benchmark | Startup
ALL: dict[str, AnyBenchmark] = {**BENCHMARKS, **STARTUPS}
GROUPS = {"micro": tuple(BENCHMARKS), "startup": tuple(STARTUPS)}
STARTUP_RUNNERS = ("native", "qemu", "pynix")


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
    if runner in ("pynix", "floor"):
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
    if runner == "floor":
        return [sys.executable, "-m", "pynix.cli.floor", str(binary), *args]
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


@dataclass
class Finished:
    """One process run to its end: exit status (None when it timed out or did not start) and its output."""
    returncode: int | None
    stdout: str
    stderr: str
    wall: float
    problem: str | None  # could not start / timed out


def execute(cmd: list[str], timeout: float, cwd: Path | None = None) -> Finished:
    """Run `cmd` with pynix importable, stdin from /dev/null, output captured; kill its whole session on timeout."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    t0 = time.perf_counter()
    try:
        # A session of its own, so a timeout can kill the benchmark's child processes too.
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=env, cwd=cwd, start_new_session=True)
    except OSError as exc:
        return Finished(None, "", "", time.perf_counter() - t0, f"could not start: {exc}")
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except KeyboardInterrupt:  # the run is in its own session: Ctrl-C does not reach it by itself
        _kill_group(proc)
        raise
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        stdout, stderr = proc.communicate()
        return Finished(None, stdout.decode(errors="replace"), stderr.decode(errors="replace"),
                        time.perf_counter() - t0, f"timed out after {timeout:g} s")
    wall = time.perf_counter() - t0
    return Finished(proc.returncode, stdout.decode(errors="replace"), stderr.decode(errors="replace"), wall, None)


def run_once(cmd: list[str], bench: Benchmark, timeout: float) -> Outcome:
    done = execute(cmd, timeout)
    out, err = done.stdout, done.stderr
    results = _parse(out)
    if done.problem is not None:
        return Outcome(results, done.wall, done.problem)
    error = None
    if done.returncode != 0 or any(ln.startswith(("FAIL ", "ERROR ")) for ln in err.splitlines()):
        error = explain_failure(done.returncode, out, err)
    elif any(name not in results for name in bench.results):
        missing = [n for n in bench.results if n not in results]
        error = f"no RESULT line for {', '.join(missing)} (exit 0)"
    return Outcome(results, done.wall, error)


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


# ------------------------------------------------------------------------------------------- start-up commands

@dataclass
class Prepared:
    """A start-up benchmark made concrete for one arch: resolved argvs and what the runners need around them."""
    steps: list[list[str]]
    sysroot: Path | None = None    # given as -L to qemu and pynix
    workdir: Path | None = None    # scratch working directory (Startup.files), read-write for pynix
    wrappers: Path | None = None   # -B directory of qemu_tools scripts, for the qemu runner
    pynix_options: tuple[str, ...] = ()   # Startup.pynix_options


def qemu_wrappers(driver: str, tools: tuple[str, ...], qemu: str, into: Path) -> Path:
    """Scripts named after the gcc `tools` that exec the real program (`driver -print-prog-name=TOOL`) under
    `qemu`, so that `qemu-user driver -B INTO/ ...` emulates the whole process tree: qemu-user's execve starts the
    new program natively, and gcc looks for its helpers (collect2 for ld too) in -B directories first."""
    into.mkdir(parents=True, exist_ok=True)
    for tool in tools:
        name = subprocess.run([driver, f"-print-prog-name={tool}"], capture_output=True, text=True,
                              timeout=30).stdout.strip()
        real = name if os.path.isabs(name) else shutil.which(name)
        if not real:
            raise FileNotFoundError(f"{driver} -print-prog-name={tool} gave {name!r}, which is not a program")
        script = into / tool
        script.write_text(f'#!/bin/sh\nexec {shlex.quote(qemu)} {shlex.quote(real)} "$@"\n')
        script.chmod(0o755)
    return into


def prepare_startup(bench: Startup, arch: str, scratch: Path, guest: Path | str | None) -> Prepared | str:
    """Resolve `bench`'s commands for `arch`, or say why it cannot run there (the reason is printed as a skip).

    `guest` is bench/<name>.c built for `arch` (or why it could not be), when a command uses `{guest}`."""
    if arch not in bench.commands:
        return f"no {arch} counterpart of this command"
    sysroot = SYSROOTS.get(arch)
    prep = Prepared(steps=[], pynix_options=bench.pynix_options)
    for argv in bench.commands[arch]:
        program = argv[0]
        if program == "{guest}":
            if not isinstance(guest, Path):
                return str(guest)
            program = str(guest)
        elif program.startswith("{sysroot}"):
            if sysroot is None:
                return f"no sysroot for {arch}"
            program = str(sysroot) + program[len("{sysroot}"):]
            if not os.access(program, os.X_OK):
                return f"{program} is missing: build it with tools/riscv64-sysroot"
            prep.sysroot = sysroot
        else:
            found = shutil.which(program)
            if found is None:
                return f"{program} is not installed"
            program = found
        actual = _elf_arch_name(program)
        if actual != arch:
            return f"{program} is {actual or 'not an ELF program'}, not {arch}"
        prep.steps.append([program, *argv[1:]])
    try:
        if bench.files:
            prep.workdir = scratch / arch / bench.name
            prep.workdir.mkdir(parents=True, exist_ok=True)
            for name in bench.files:
                shutil.copyfile(STARTUP_FILES / name, prep.workdir / name)
        if bench.qemu_tools and shutil.which(QEMU[arch]):
            prep.wrappers = qemu_wrappers(prep.steps[0][0], bench.qemu_tools, shutil.which(QEMU[arch]),
                                          scratch / arch / f"{bench.name}-qemu-bin")
    except (OSError, subprocess.SubprocessError) as exc:
        return f"cannot set it up: {exc}"
    return prep


def startup_command(runner: str, arch: str, prep: Prepared, argv: list[str]) -> list[str]:
    """`argv` as `runner` runs it; the same program and arguments for all, only the runner's own options differ."""
    sysroot = ["-L", str(prep.sysroot)] if prep.sysroot else []
    if runner == "native":
        return argv
    if runner == "qemu":
        wrap = ["-B", f"{prep.wrappers}/"] if prep.wrappers else []
        return [QEMU[arch], *sysroot, argv[0], *wrap, *argv[1:]]
    if runner == "pynix":
        work = ["--mount", f"{prep.workdir}:{prep.workdir}:rw", "-w", str(prep.workdir)] if prep.workdir else []
        return [sys.executable, "-m", "pynix", "run", "--arch", arch, *prep.pynix_options, *sysroot, *work, *argv]
    raise ValueError(f"start-up benchmarks do not run under {runner}")


def run_startup(runner: str, arch: str, bench: Startup, prep: Prepared, timeout: float) -> Outcome:
    """All steps of `bench` under `runner`, each timed from the host; the result is the sum in ms."""
    if prep.workdir is not None:  # every run does the same work: only the input files are there
        for entry in prep.workdir.iterdir():
            if entry.name not in bench.files:
                shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
    wall = 0.0
    for i, argv in enumerate(prep.steps):
        done = execute(startup_command(runner, arch, prep, argv), timeout, cwd=prep.workdir)
        wall += done.wall
        if done.problem is not None or done.returncode != 0:
            step = f"step {i + 1} ({shlex.join([os.path.basename(argv[0]), *argv[1:]])}): " \
                if len(prep.steps) > 1 else ""
            return Outcome({}, wall, step + (done.problem or explain_failure(done.returncode, done.stdout,
                                                                              done.stderr)))
    return Outcome({bench.name: (wall * 1000, "ms")}, wall, None)


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


def build(bench: AnyBenchmark, arch: str) -> Path | str:
    """The benchmark's binary for `arch`, or a string saying why it could not be built."""
    from pynix.devtools.guestcc import compile_guest

    header = (BENCH_DIR / "bench.h").read_bytes()
    # compile_guest keys its cache on the source and the flags: put the header's hash in the flags too.
    flags = ("-O2", f"-DBENCH_H_SHA256={hashlib.sha256(header).hexdigest()[:12]}")
    try:
        return compile_guest(BENCH_DIR / f"{getattr(bench, 'program', '') or bench.name}.c", TARGET[arch], flags)
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
        "bench", help="run the guest and start-up benchmarks under pynix and reference runners",
        description=__doc__.split("\n\n", 2)[2], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("names", nargs="*", metavar="NAME",
                   help=f"benchmarks or groups to run (default: all): {', '.join([*GROUPS, *ALL])}")
    p.add_argument("--arch", default=",".join(ARCHES),
                   help="x86_64, riscv64 or both comma-separated (default: both)")
    p.add_argument("--runners", default=",".join(RUNNERS),
                   help="comma-separated subset of native,qemu,floor,pynix,qiling (default: all that are available)")
    p.add_argument("--repeat", type=int, default=None, metavar="N",
                   help="repeats of every benchmark under every runner (default 3, with --quick 1); a start-up "
                        "benchmark runs several times per repeat")
    p.add_argument("--json", metavar="FILE", help="write every value, the medians and the machine to FILE")
    p.add_argument("--plot", metavar="FILE.png", help="draw a log-scale grouped bar chart (needs matplotlib)")
    p.add_argument("--timeout", type=float, default=300, metavar="S", help="seconds before a run is killed")
    p.add_argument("--quick", action="store_true",
                   help="a smoke test that everything runs, not a measurement: tiny iteration counts, one "
                        "repeat, start-up commands once each without warm-up")
    p.add_argument("--args", action="append", default=[], metavar="NAME=ARGS",
                   help="arguments for one benchmark program, e.g. --args syscall=1000000 --args cpu=16")
    p.add_argument("--scale", action="store_true",
                   help="run the scale cases instead (pynix/cli/bench_scale.py): fork with touched memory, "
                        "switches among many runnable processes, stat in big directories and deep paths, "
                        "host memory per sleeping process; NAMES are then scale cases (scale_fork_64...) or "
                        "`sleepers`")
    p.add_argument("--strict", action="store_true", help="exit 1 if any run failed")
    p.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    p.set_defaults(func=main, _parser=p)


def _guarded(run, *args) -> Outcome:
    """`run(*args)`, with a crash of the runner's own code reported as that run's failure instead of ending the
    whole session."""
    try:
        return run(*args)
    except Exception as exc:  # noqa: BLE001 -- the table says what went wrong, the other runs go on
        return Outcome({}, 0.0, f"pynix bench: {type(exc).__name__}: {exc}")


def _progress(rep: int, repeat: int, arch: str, name: str, runner: str, outcomes: list[Outcome]) -> None:
    walls = [o.wall for o in outcomes]
    wall = f"{statistics.median(walls):6.2f} s" + (f" (median of {len(walls)})" if len(walls) > 1 else "")
    errors = [o.error for o in outcomes if o.error is not None]
    if errors:
        status = f"FAILED: {errors[0]}" + (f" ({len(errors)} of {len(outcomes)} runs)" if len(outcomes) > 1 else "")
    else:  # the median of every result, like the wall time
        status = ", ".join(f"{n}={fmt(statistics.median(o.results[n][0] for o in outcomes))} {u}"
                           for n, (_, u) in outcomes[0].results.items())
    print(f"[{rep + 1}/{repeat}] {arch:7} {name:13} {runner:6} {wall}  {status}", file=sys.stderr, flush=True)


def main(args: argparse.Namespace) -> int:
    parser: argparse.ArgumentParser = args._parser
    if args.list:
        for b in ALL.values():
            print(f"{b.name:13} {b.summary}  [{', '.join(b.results)}]")
        for group, names in GROUPS.items():
            print(f"{group:13} group: {' '.join(names)}")
        return 0
    unknown = [] if args.scale else [n for n in args.names if n not in ALL and n not in GROUPS]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join([*GROUPS, *ALL])}")
    if args.repeat is None:
        args.repeat = 1 if args.quick else 3
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

    if args.scale:
        from pynix.cli.bench_scale import SCALE
        benches = [b for b in SCALE if not args.names or b.name in args.names or b.program in args.names]
    else:
        names = [m for n in (args.names or ALL) for m in GROUPS.get(n, (n,))]
        benches = [ALL[n] for n in dict.fromkeys(names)]
    session = Session(arches=arches, runners={}, benches=benches)
    for arch in arches:
        session.runners[arch] = []
        for runner in wanted:
            why = runner_unavailable(runner, arch)
            if why is None:
                session.runners[arch].append(runner)
            elif (explicit or runner != "qiling") and not (runner == "native" and arch != "x86_64"):
                session.skipped.append(f"{runner} for {arch}: {why}")
    if any("qiling" in session.runners[a] for a in arches) and any(isinstance(b, Startup) for b in benches):
        session.skipped.append("qiling for the start-up benchmarks: they run under native, qemu and pynix only")

    with tempfile.TemporaryDirectory(prefix="pynix-bench-") as scratch:
        binaries: dict[tuple[str, str], Path | str] = {}
        prepared: dict[tuple[str, str], Prepared] = {}
        for arch in arches:
            if not session.runners[arch]:
                continue
            for bench in benches:
                if isinstance(bench, Benchmark) or any(a[0] == "{guest}" for a in bench.commands.get(arch, ())):
                    binaries[(arch, bench.name)] = build(bench, arch)
                if isinstance(bench, Startup):
                    prep = prepare_startup(bench, arch, Path(scratch), binaries.get((arch, bench.name)))
                    if isinstance(prep, str):
                        session.absent[(arch, bench.name)] = prep
                    else:
                        prepared[(arch, bench.name)] = prep
        try:
            for rep in range(args.repeat):
                for arch in arches:
                    for bench in benches:
                        runners = session.runners_of(arch, bench)
                        if not runners:
                            continue
                        k = rep % len(runners)
                        order = runners[k:] + runners[:k]  # rotate the order: drift hits every runner alike
                        if isinstance(bench, Startup):
                            _run_startup_repeat(session, args, rep, arch, bench, prepared[(arch, bench.name)],
                                                order)
                            continue
                        binary = binaries[(arch, bench.name)]
                        argv = bench_args.get(bench.name, list(bench.quick) if args.quick else list(bench.args))
                        for runner in order:
                            if isinstance(binary, str):
                                outcome = Outcome({}, 0.0, binary)
                            else:
                                outcome = _guarded(lambda: run_once(runner_command(runner, arch, binary, argv),
                                                                    bench, args.timeout))
                            session.record(arch, bench, runner, outcome)
                            _progress(rep, args.repeat, arch, bench.name, runner, [outcome])
        except KeyboardInterrupt:
            print("\npynix bench: interrupted; the results so far:", file=sys.stderr)
            session.skipped.append("the rest: interrupted")

    print()
    print(render(session))
    walls = render_walls(session)
    if walls and not args.scale:
        print(walls)
    if args.scale and "pynix" in wanted and (not args.names or "sleepers" in args.names):
        from pynix.cli.bench_scale import sleepers_report
        print(sleepers_report(arches, args.quick, args.timeout))
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


def _run_startup_repeat(session: Session, args: argparse.Namespace, rep: int, arch: str, bench: Startup,
                        prep: Prepared, order: list[str]) -> None:
    """One repeat of a start-up benchmark: a warm-up run per runner (the first repeat, unless --quick; a failed
    warm-up is recorded and that runner sits out the repeat), then `bench.runs` timed runs, the runners taking
    turns run by run."""
    runs = 1 if args.quick else bench.runs
    outcomes: dict[str, list[Outcome]] = {r: [] for r in order}
    active = list(order)
    if rep == 0 and not args.quick:
        for runner in order:
            warm = _guarded(run_startup, runner, arch, bench, prep, args.timeout)
            if warm.error is not None:
                session.record(arch, bench, runner, warm)
                outcomes[runner].append(warm)
                active.remove(runner)
    for _ in range(runs):
        for runner in active:
            outcome = _guarded(run_startup, runner, arch, bench, prep, args.timeout)
            session.record(arch, bench, runner, outcome)
            outcomes[runner].append(outcome)
    for runner in order:
        _progress(rep, args.repeat, arch, bench.name, runner, outcomes[runner])
