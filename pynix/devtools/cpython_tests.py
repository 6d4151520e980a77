"""CPython's regression tests as a judge: each module natively and under pynix, compared case by case.

    python -m pynix.devtools.cpython_tests [--timeout S] [--match PATTERN] [--python PATH]
                                           [--pynix-arg ARG] [--verbose] [--save DIR] MODULE...

Debian's `libpython3.11-testsuite` (installed by ./tools/test) holds CPython's own test suite.  For each MODULE
the runner runs `/usr/bin/python3.11 -m test -v MODULE` natively and under `python -m pynix run`, reads every
test case's outcome from regrtest's verbose output, and prints the cases that pass natively but not under pynix
(failed, error, skipped, or never finished because the run timed out or died), each with the last line of its
traceback as the reason.  A summary line per module gives the counts and both durations.  The exit status is 0
when no natively-passing case differs, 1 otherwise.

`--match` is passed on to regrtest (`-m PATTERN`, a subset of the cases, repeatable); `--pynix-arg` adds an
option to `pynix run` (e.g. `--pynix-arg=--mem=1G`).  Both runs start in the current directory; regrtest makes
its own temporary directory there (for pynix, in the guest's in-memory root layer).  pynix is this checkout's.
"""
from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTHON = "/usr/bin/python3.11"
DEFAULT_TIMEOUT = 1800.0

# unittest's verbose lines: "test_name (package.module.Class.test_name) ... STATUS" (3.11's str(TestCase)),
# with the first line of the docstring, if any, on a line of its own before " ... "; the status may come on a
# later line when the test itself printed something.
_CASE = re.compile(r"^(?:  )?(test\w*) \(((?:[\w]+\.)+\w+)\)(?: \(([^\n]*?)\))?(?:\n[^\n]*?)? \.\.\. ", re.M)
_STATUS = re.compile(r"(?:^|\.\.\. )(ok|FAIL|ERROR|skipped .*|expected failure|unexpected success)$", re.M)
_SUMMARY = re.compile(r"^={70}\n(ERROR|FAIL): (test\w*) \(((?:[\w]+\.)+\w+)\)(?: \(([^\n]*)\))?\n-{70}\n"
                      r"(.*?)(?=^={70}\n|^-{70}\nRan |\Z)", re.M | re.S)


@dataclass
class Outcome:
    status: str                 # "pass", "fail", "skip", "unfinished"
    reason: str = ""


@dataclass
class Run:
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    seconds: float = 0.0
    returncode: int | None = None
    timed_out: bool = False
    output: str = ""


def parse(output: str) -> dict[str, Outcome]:
    """Every case of a verbose regrtest run: started cases, their status, failures from the summary blocks."""
    outcomes: dict[str, Outcome] = {}
    starts = list(_CASE.finditer(output))
    for i, m in enumerate(starts):
        if m.group(3):                       # a subtest's own line: its failure comes from the summary
            continue
        case = m.group(2)
        end = starts[i + 1].start() if i + 1 < len(starts) else len(output)
        status = _STATUS.search(output, m.end() - 4, end)
        word = status.group(1) if status else ""
        if word.startswith("skipped"):
            outcomes[case] = Outcome("skip", word[len("skipped "):])
        elif word in ("ok", "expected failure"):
            outcomes.setdefault(case, Outcome("pass"))
        elif word:
            outcomes[case] = Outcome("fail", word)
        else:
            outcomes.setdefault(case, Outcome("unfinished", "no result (the run timed out or died here)"))
    for m in _SUMMARY.finditer(output):
        lines = [line for line in m.group(5).splitlines() if line.strip()]
        reason = f"{m.group(1)}: {lines[-1].strip() if lines else '?'}"
        if m.group(4):
            reason += f" [subtest {m.group(4)}]"
        outcomes[m.group(3)] = Outcome("fail", reason)
    return outcomes


def run(command: list[str], timeout: float, cwd: str | None = None) -> Run:
    """Run COMMAND in its own session (so that a timeout kills the whole tree) and parse its output."""
    start = time.monotonic()
    proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True, cwd=cwd)
    result = Run()
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        result.timed_out = True
    result.seconds = time.monotonic() - start
    result.returncode = proc.returncode
    result.output = out.decode(errors="replace")
    result.outcomes = parse(result.output)
    return result


def regrtest_args(module: str, match: list[str], ignore: list[str] = (), use: list[str] = ()) -> list[str]:
    """regrtest's command line: -m selects cases, -i deselects them, -u enables resources (e.g. network)."""
    options = [(flag, value) for flag, values in (("-m", match), ("-i", ignore), ("-u", use)) for value in values]
    return ["-m", "test", "-v", *[a for option in options for a in option], module]


def compare(native: Run, pynix: Run) -> list[tuple[str, Outcome]]:
    """The cases that pass natively and do not pass under pynix."""
    return [(case, pynix.outcomes.get(case, Outcome("unfinished", "never started under pynix")))
            for case, outcome in native.outcomes.items()
            if outcome.status == "pass" and pynix.outcomes.get(case, Outcome("")).status != "pass"]


def judge(module: str, python: str, timeout: float, match: list[str], pynix_args: list[str],
          verbose: bool = False, save: Path | None = None, ignore: list[str] = (),
          use: list[str] = ()) -> tuple[Run, Run, list[tuple[str, Outcome]]]:
    args = regrtest_args(module, match, ignore, use)
    native = run([python, *args], timeout)
    # pynix itself runs from the project's root (so that `-m pynix` is this checkout), the guest in our cwd.
    pynix = run([sys.executable, "-m", "pynix", "run", "-w", os.getcwd(), *pynix_args, python, *args], timeout,
                cwd=str(ROOT))
    if save is not None:
        save.mkdir(parents=True, exist_ok=True)
        (save / f"{module}.native.txt").write_text(native.output)
        (save / f"{module}.pynix.txt").write_text(pynix.output)
    diffs = compare(native, pynix)
    passed = sum(o.status == "pass" for o in native.outcomes.values())
    for case, outcome in diffs:
        print(f"  {module}: {case}: {outcome.status}: {outcome.reason}")
    note = " (pynix timed out)" if pynix.timed_out else ""
    note += " (native timed out)" if native.timed_out else ""
    print(f"{module}: {len(native.outcomes)} cases, {passed} pass natively, {len(diffs)} of them do not under "
          f"pynix; native {native.seconds:.1f} s, pynix {pynix.seconds:.1f} s{note}", flush=True)
    if not native.outcomes or not pynix.outcomes or verbose:
        for name, r in (("native", native), ("pynix", pynix)):
            tail = "\n".join(r.output.splitlines()[-15:])
            print(f"--- {module} {name} (exit {r.returncode}), last lines:\n{tail}")
    return native, pynix, diffs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pynix.devtools.cpython_tests",
                                     description=__doc__.split("\n\n")[2],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("modules", nargs="+", metavar="MODULE", help="regression test module, e.g. test_os")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                        help=f"seconds per run (default {DEFAULT_TIMEOUT:.0f})")
    parser.add_argument("--match", "-m", action="append", default=[], metavar="PATTERN",
                        help="only the cases regrtest's -m PATTERN selects (repeatable)")
    parser.add_argument("--ignore", "-i", action="append", default=[], metavar="PATTERN",
                        help="leave out the cases regrtest's -i PATTERN deselects (repeatable)")
    parser.add_argument("--use", "-u", action="append", default=[], metavar="RESOURCE",
                        help="enable a regrtest resource, e.g. network (repeatable)")
    parser.add_argument("--python", default=PYTHON, help=f"the interpreter to test with (default {PYTHON})")
    parser.add_argument("--pynix-arg", action="append", default=[], metavar="ARG",
                        help="an option for `pynix run` (repeatable)")
    parser.add_argument("--verbose", action="store_true", help="print the last lines of both runs")
    parser.add_argument("--save", type=Path, metavar="DIR", help="write both runs' full output to DIR")
    ns = parser.parse_args(argv)
    if not os.path.exists(ns.python):
        parser.error(f"{ns.python} not found")
    failed = False
    for module in ns.modules:
        native, pynix, diffs = judge(module, ns.python, ns.timeout, ns.match, ns.pynix_arg, ns.verbose, ns.save,
                                     ns.ignore, ns.use)
        failed |= bool(diffs) or not native.outcomes
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
