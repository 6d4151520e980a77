"""The conformance suite: each program of tests/conformance/ run by the reference and by pynix, compared.

    python -m pynix.devtools.conformance [--arch x86_64|riscv64|both] [-k PATTERN] [--json FILE]
                                         [--jobs N] [--timeout S] [--verbose] [--list]

Each tests/conformance/<name>.c tests one area of the Linux ABI and prints deterministic lines.  The runner
builds it for x86_64-musl and riscv64-musl (through pynix.devtools.guestcc, cached under build/), runs it under
the reference -- natively for x86_64, under qemu-riscv64 for riscv64 -- and under `python -m pynix run`, and
compares stdout and exit status.  It prints one line per test and ISA, PASS or FAIL with a short hint (the
first differing line, the exit statuses, the syscalls pynix reported as unimplemented), a summary per ISA, and
finally the line `N passed, N failed`.  The exit status is 0 when everything passed, 1 otherwise.

A test that cannot be judged counts as failed: a reference run that does not exit with the expected status
("reference invalid"), a build failure, a timeout on either side.

Header directives, as `// key: value` comment lines anywhere before the first non-comment line:
  // args: ...            arguments (shell words); $SELF is the absolute path of the binary being run
  // exit: N              the reference's expected exit status (default 0)
  // reference: x86_64    the x86_64 binary run natively is the reference for riscv64 too: for programs that
                          execve themselves, which qemu-riscv64 cannot follow without binfmt_misc (their
                          output is ISA-independent by construction)
  // timeout: S           per-run timeout in seconds (default: --timeout)
  // syscalls: NAME...     syscalls the test exercises through libc functions that `pynix syscalls` cannot
                          map by name (e.g. malloc's brk/mmap); informational, for the coverage map
  // expect-diff: /REGEX/ REASON
                          lines matching REGEX are left out on both sides before comparing; only for places
                          where Linux itself differs between versions (say which)

Local headers (`#include "conf.h"`) are inlined before compiling, so that guestcc's cache key (the source text)
covers them.
"""
from __future__ import annotations

import argparse
import fnmatch
import json
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pynix.devtools.guestcc import compile_guest

ROOT = Path(__file__).resolve().parents[2]
SUITE = ROOT / "tests" / "conformance"
ARCHES = ("x86_64", "riscv64")
TARGET = {"x86_64": "x86_64-musl", "riscv64": "riscv64-musl"}
DEFAULT_TIMEOUT = 60.0
UNIMPLEMENTED = re.compile(r"pynix: unimplemented syscall (\w+)")


# --------------------------------------------------------------------------------------------- the programs

@dataclass
class Program:
    name: str                         # file stem
    source: Path
    args: list[str] = field(default_factory=list)
    exit: int = 0
    reference: str | None = None      # "x86_64": the native x86_64 run is the reference for every ISA
    timeout: float | None = None
    expect_diff: list[tuple[re.Pattern, str]] = field(default_factory=list)


_DIRECTIVE = re.compile(r"^\s*//\s*(args|exit|reference|timeout|expect-diff)\s*:\s*(.*?)\s*$")


def parse_program(source: Path) -> Program:
    prog = Program(source.stem, source)
    for line in source.read_text().splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith(("//", "/*", "*")):
            break
        m = _DIRECTIVE.match(line)
        if not m:
            continue
        key, value = m.groups()
        if key == "args":
            prog.args = shlex.split(value)
        elif key == "exit":
            prog.exit = int(value)
        elif key == "reference":
            if value not in ARCHES:
                raise ValueError(f"{source.name}: reference must be one of {ARCHES}, not {value!r}")
            prog.reference = value
        elif key == "timeout":
            prog.timeout = float(value)
        elif key == "expect-diff":
            dm = re.match(r"/(.*)/\s*(.*)$", value)
            if not dm or not dm.group(2):
                raise ValueError(f"{source.name}: expect-diff needs /REGEX/ and a reason: {value!r}")
            prog.expect_diff.append((re.compile(dm.group(1)), dm.group(2)))
    return prog


def discover(pattern: str | None = None, suite: Path = SUITE) -> list[Program]:
    """The suite's programs, sorted by name.  `pattern` is a comma-separated list of words: a program is kept
    when its name contains one of them or matches it as a glob."""
    programs = [parse_program(p) for p in sorted(suite.glob("*.c"))]
    if pattern:
        words = [w.strip() for w in pattern.split(",") if w.strip()]
        programs = [p for p in programs if any(w in p.name or fnmatch.fnmatch(p.name, w) for w in words)]
    return programs


# --------------------------------------------------------------------------------------------- building

def build_all(programs: list[Program], targets: list[str], jobs: int = 2) -> dict[tuple[str, str], Path | str]:
    """(name, target) -> binary path, or the error text of a failed build.  One program per target is built
    first on its own: the first build of a target compiles musl and must not race itself."""
    results: dict[tuple[str, str], Path | str] = {}

    def one(prog: Program, target: str) -> None:
        try:
            results[prog.name, target] = compile_guest(prog.source, target)    # keyed on its local headers too
        except (RuntimeError, OSError) as err:
            results[prog.name, target] = str(err).strip() or repr(err)

    if not programs:
        return results
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        list(pool.map(lambda t: one(programs[0], t), targets))
        list(pool.map(lambda job: one(*job), [(p, t) for t in targets for p in programs[1:]]))
    return results


# --------------------------------------------------------------------------------------------- running

@dataclass
class Run:
    status: int | None                # normalised: 128+N for a death by signal N; None for a timeout
    stdout: bytes
    stderr: bytes
    seconds: float


def host_isa() -> str:
    m = platform.machine().lower()
    return {"amd64": "x86_64", "x86-64": "x86_64"}.get(m, m)


def reference_command(binary: Path, isa: str) -> list[str] | None:
    if isa == host_isa():
        return [str(binary)]
    emulator = shutil.which(f"qemu-{isa}")
    return [emulator, str(binary)] if emulator else None


def pynix_command(binary: Path, isa: str) -> list[str]:
    return [sys.executable, "-m", "pynix", "run", "--arch", isa, str(binary)]


def environment() -> dict[str, str]:
    """The environment of both sides: the host's, with pynix importable (the same dict for both)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def execute(argv: list[str], timeout: float) -> Run:
    start = time.monotonic()
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=environment(), cwd="/", start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
        status = 128 - proc.returncode if proc.returncode < 0 else proc.returncode
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, 9)      # the whole session: the program and anything it forked
        except ProcessLookupError:
            pass
        out, err = proc.communicate()
        status = None
    return Run(status, out, err, time.monotonic() - start)


def _args(prog: Program, binary: Path) -> list[str]:
    return [str(binary.resolve()) if a == "$SELF" else a.replace("$SELF", str(binary.resolve())) for a in prog.args]


def _filtered(prog: Program, data: bytes) -> list[str]:
    lines = data.decode("utf-8", "replace").splitlines()
    return [line for line in lines if not any(rx.search(line) for rx, _ in prog.expect_diff)]


@dataclass
class Outcome:
    name: str
    arch: str
    passed: bool
    hint: str                         # why it failed ("" when it passed)
    reference_valid: bool             # the reference exited with the expected status (the test itself is sound)
    reference_status: int | None = None
    pynix_status: int | None = None
    reference_seconds: float = 0.0
    pynix_seconds: float = 0.0
    unimplemented: list[str] = field(default_factory=list)
    reference_stdout: str = ""
    pynix_stdout: str = ""
    pynix_stderr: str = ""


def _clip(text: str, limit: int = 70) -> str:
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _first_difference(ref: list[str], got: list[str]) -> str:
    for i in range(max(len(ref), len(got))):
        a = ref[i] if i < len(ref) else None
        b = got[i] if i < len(got) else None
        if a != b:
            if a is None:
                return f"line {i + 1}: extra output {_clip(b)!r}"
            if b is None:
                return f"line {i + 1}: output ends; expected {_clip(a)!r}"
            same = next((k for k, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
            cut = max(0, same - 30)              # show where they differ, not a long common prefix
            a, b = ("..." + a[cut:], "..." + b[cut:]) if cut else (a, b)
            return f"line {i + 1}: expected {_clip(a)!r}, got {_clip(b)!r}"
    return ""


def run_one(prog: Program, arch: str, binaries: dict, timeout: float, selfcheck: bool = False) -> Outcome:
    timeout = prog.timeout or timeout
    target = TARGET[arch]
    ref_arch = prog.reference or arch
    binary, ref_binary = binaries.get((prog.name, target)), binaries.get((prog.name, TARGET[ref_arch]))
    for b in (binary, ref_binary):
        if not isinstance(b, Path):
            return Outcome(prog.name, arch, False, f"build failed: {_clip(str(b).splitlines()[-1] if b else '?', 200)}",
                           False)
    ref_cmd = reference_command(ref_binary, ref_arch)
    if ref_cmd is None:
        return Outcome(prog.name, arch, False, f"no reference: qemu-{ref_arch} is not installed", False)
    ref = execute(ref_cmd + _args(prog, ref_binary), timeout)
    if selfcheck:                            # the test, not pynix: a second reference run must agree
        got = execute(ref_cmd + _args(prog, ref_binary), timeout)
    else:
        got = execute(pynix_command(binary, arch) + _args(prog, binary), timeout)
    stderr = got.stderr.decode("utf-8", "replace")
    missing = sorted(set(UNIMPLEMENTED.findall(stderr)))
    outcome = Outcome(prog.name, arch, False, "", ref.status == prog.exit, ref.status, got.status,
                      round(ref.seconds, 3), round(got.seconds, 3), missing,
                      ref.stdout.decode("utf-8", "replace"), got.stdout.decode("utf-8", "replace"), stderr)
    hints = []
    if ref.status is None:
        hints.append(f"reference timed out after {timeout:.0f} s")
    elif ref.status != prog.exit:
        hints.append(f"reference invalid: exit {ref.status}, expected {prog.exit}")
    if got.status is None:
        hints.append(f"pynix timed out after {timeout:.0f} s")
    ref_lines, got_lines = _filtered(prog, ref.stdout), _filtered(prog, got.stdout)
    diff = _first_difference(ref_lines, got_lines)
    if diff and got.status is not None:
        hints.append(diff)
    if got.status is not None and ref.status is not None and got.status != ref.status:
        hints.append(f"exit {got.status}, expected {ref.status}")
    if "Traceback (most recent call last)" in stderr:
        last = [line for line in stderr.splitlines() if line.strip()][-1]
        hints.append(f"pynix traceback: {_clip(last, 100)}")
    if hints and missing:
        hints.append("unimplemented: " + ",".join(missing))
    outcome.passed = not hints
    outcome.hint = "; ".join(hints)
    return outcome


def run_suite(programs: list[Program], arches: list[str], jobs: int = 2, timeout: float = DEFAULT_TIMEOUT,
              report=None, selfcheck: bool = False) -> list[Outcome]:
    """Build and run every program for every ISA; `report(outcome)` is called as each finishes.  With
    `selfcheck` the reference runs twice instead of reference + pynix, checking that the tests are deterministic."""
    targets = sorted({TARGET[a] for a in arches} | {TARGET[p.reference] for p in programs if p.reference})
    binaries = build_all(programs, targets, jobs)
    jobs_list = [(p, a) for a in arches for p in programs]
    outcomes: list[Outcome] = []

    def one(job):
        outcome = run_one(job[0], job[1], binaries, timeout, selfcheck)
        if report:
            report(outcome)
        return outcome

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        outcomes = list(pool.map(one, jobs_list))
    return outcomes


def summary(outcomes: list[Outcome]) -> str:
    passed = sum(o.passed for o in outcomes)
    return f"{passed} passed, {len(outcomes) - passed} failed"


def format_line(o: Outcome) -> str:
    line = f"{'PASS' if o.passed else 'FAIL'} {o.arch:<7} {o.name}"
    return line + (f": {o.hint}" if o.hint else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pynix.devtools.conformance",
                                     description="Run the conformance suite (tests/conformance) against the "
                                                 "reference (native x86_64, qemu-riscv64) and pynix.")
    parser.add_argument("--arch", choices=(*ARCHES, "both"), default="both")
    parser.add_argument("-k", dest="pattern", help="only the tests whose name contains PATTERN or matches it as a "
                                                   "glob; several patterns separated by commas")
    parser.add_argument("--json", type=Path, help="write every outcome (with both outputs) to FILE")
    parser.add_argument("--jobs", type=int, default=2, help="builds and runs in parallel (default 2)")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="per run, seconds (default 60)")
    parser.add_argument("--verbose", "-v", action="store_true", help="show both outputs of each failure")
    parser.add_argument("--list", action="store_true", help="list the tests and exit")
    parser.add_argument("--selfcheck", action="store_true",
                        default=os.environ.get("PYNIX_TEST_SELFCHECK") == "1",
                        help="check the tests, not pynix: run the reference twice and compare (also "
                             "PYNIX_TEST_SELFCHECK=1)")
    args = parser.parse_args(argv)

    programs = discover(args.pattern)
    if args.list:
        for p in programs:
            print(p.name)
        return 0
    if not programs:
        print("no tests match", file=sys.stderr)
        print(summary([]))
        return 1
    arches = list(ARCHES) if args.arch == "both" else [args.arch]

    def report(o: Outcome) -> None:
        print(format_line(o), flush=True)
        if args.verbose and not o.passed:
            for title, text in (("reference stdout", o.reference_stdout), ("pynix stdout", o.pynix_stdout),
                                ("pynix stderr", o.pynix_stderr)):
                print(f"    --- {title} ---")
                for line in text.splitlines()[-40:]:
                    print(f"    {line}")

    outcomes = run_suite(programs, arches, args.jobs, args.timeout, report, args.selfcheck)
    if len(arches) > 1:
        for arch in arches:
            print(f"{arch}: {summary([o for o in outcomes if o.arch == arch])}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps([asdict(o) for o in outcomes], indent=1) + "\n")
    print(summary(outcomes))
    return 0 if all(o.passed for o in outcomes) else 1


if __name__ == "__main__":
    raise SystemExit(main())
