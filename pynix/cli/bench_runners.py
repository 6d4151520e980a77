"""The runners of `pynix bench` (see cli/bench.py): native, qemu-user, floor, pynix and qiling -- which are
available, the command each runs, one timed run and what its output says (RESULT lines, the reason it failed),
and the preparation and command of a start-up benchmark.
"""
from __future__ import annotations

from __future__ import annotations

import errno as errno_mod
import importlib.util
import os
import platform
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from pynix.cli.bench_suite import Benchmark, QEMU, ROOT, Startup, STARTUP_FILES, SYSROOTS
from pynix.cli.run import _elf_arch_name


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
