"""Shared fixtures.  The helpers themselves live in tests/harness.py (importable from any test module)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402


@pytest.fixture(params=harness.TARGETS)
def target(request) -> str:
    """Each differential test runs once per guest target: riscv64-musl, x86_64-musl, x86_64-glibc."""
    return request.param


@pytest.fixture
def guest(target):
    """guest("hello.c") -> path of tests/guest/hello.c built for the current target (cached under build/)."""
    return lambda name: harness.build(name, target)


def pytest_report_header(config):
    import shutil
    lines = [f"pynix tests: PYNIX_REQUIRE_ALL={'1 (missing tools fail)' if harness.require_all() else 'unset (missing tools skip)'}"]
    for target in harness.TARGETS:
        missing = harness.toolchain_missing(target)
        lines.append(f"  {target}: toolchain {'ok' if missing is None else 'MISSING (' + missing + ')'}")
    for isa in ("x86_64", "riscv64"):
        if isa == harness.host_isa():
            lines.append(f"  {isa} reference: native")
        else:
            lines.append(f"  {isa} reference: qemu-{isa} {'ok' if shutil.which('qemu-' + isa) else 'MISSING'}")
    return lines
