"""The conformance suite (tests/conformance, run by pynix.devtools.conformance) as a CI gate.

The suite measures; it is not expected to be green until pynix implements everything it exercises.  So this
test runs the whole suite for one ISA, prints each outcome and the summary line, and asserts only
  (a) that the tests themselves are sound: every program built, and its reference run (native x86_64, or
      qemu-riscv64) exited with the status the program declares -- a test that fails on Linux is a bug in the
      test, not in pynix;
  (b) that nothing regressed: every test listed in tests/conformance/EXPECTED_PASS for this ISA still passes
      under pynix.
When a change to pynix makes more tests pass, add them to EXPECTED_PASS (the runner's --json output, or
`python -m pynix.devtools.conformance` and its PASS lines, list them).

PYNIX_TEST_SELFCHECK=1 compares two reference runs instead (the tests' determinism); (b) is then vacuous.
"""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from harness import ROOT, host_isa, need, selfcheck, toolchain_missing

sys.path.insert(0, str(ROOT))
from pynix.devtools import conformance  # noqa: E402

EXPECTED_PASS = Path(__file__).resolve().parent / "conformance" / "EXPECTED_PASS"
TIMEOUT = float(os.environ.get("PYNIX_CONFORMANCE_TIMEOUT", "60"))
JOBS = int(os.environ.get("PYNIX_CONFORMANCE_JOBS", "2"))


def expected_pass(arch: str) -> set[str]:
    """Names listed for `arch`: lines `name` (both ISAs) or `name arch` (one ISA); `#` starts a comment."""
    names = set()
    for line in EXPECTED_PASS.read_text().splitlines():
        words = line.split("#", 1)[0].split()
        if words and (len(words) == 1 or arch in words[1:]):
            names.add(words[0])
    return names


def test_expected_pass_names_exist():
    programs = {p.name for p in conformance.discover()}
    listed = expected_pass("x86_64") | expected_pass("riscv64")
    assert not listed - programs, f"EXPECTED_PASS names unknown tests: {sorted(listed - programs)}"


@pytest.mark.parametrize("arch", conformance.ARCHES)
def test_conformance_suite(arch, capsys):
    need(host_isa() == "x86_64", "the conformance references need an x86_64 host (native x86_64 runs)")
    missing = toolchain_missing(conformance.TARGET[arch])
    need(missing is None, missing or "")
    if arch != host_isa():
        need(shutil.which(f"qemu-{arch}") is not None,
             f"qemu-{arch} is not installed (Debian package qemu-user): no reference for {arch}")

    programs = conformance.discover()
    outcomes = conformance.run_suite(programs, [arch], jobs=JOBS, timeout=TIMEOUT, selfcheck=selfcheck())
    outcomes.sort(key=lambda o: o.name)
    with capsys.disabled():
        print()
        for o in outcomes:
            print("    " + conformance.format_line(o))
        print(f"    {arch}: {conformance.summary(outcomes)}")

    invalid = [o for o in outcomes if not o.reference_valid]
    assert not invalid, "tests that fail on their reference (bugs in the tests):\n" + "\n".join(
        f"  {conformance.format_line(o)}\n    reference stdout: {o.reference_stdout[-500:]!r}" for o in invalid)

    by_name = {o.name: o for o in outcomes}
    regressed = [by_name[name] for name in sorted(expected_pass(arch)) if name in by_name
                 and not by_name[name].passed]
    assert not regressed, "tests listed in EXPECTED_PASS no longer pass under pynix:\n" + "\n".join(
        f"  {conformance.format_line(o)}\n    pynix stderr: {o.pynix_stderr[-500:]!r}" for o in regressed)


def test_coverage_map_names_the_tests():
    """`pynix syscalls` finds the conformance tests of a syscall through libc names, SYS_ numbers and headers."""
    from pynix.cli import syscalls
    x86 = syscalls.tests_by_syscall("x86_64")
    rv = syscalls.tests_by_syscall("riscv64")
    assert "pipe_basic" in x86["pipe2"] and "pipe_basic" in rv["pipe2"]          # pipe2(...) by name
    assert "futex_wait_wake" in x86["futex"]                                         # SYS_futex
    assert "mem_malloc_stress" in rv["brk"]                                          # // syscalls: header
    assert "file_rename_unlink" in rv["renameat2"] and "open" not in rv              # riscv64 has no open
    rows = syscalls._rows("x86_64", {"pipe2", "mmap"}, {"mmap": "no file mappings"}, x86)
    status = {name: (st, note) for _, name, st, note, _ in rows}
    assert status["pipe2"] == (syscalls.IMPLEMENTED, "") and status["mmap"] == (syscalls.PARTIAL, "no file mappings")
    assert status["kill"][0] == syscalls.MISSING
