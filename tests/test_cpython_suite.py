"""CPython's own regression tests as a judge (pynix/devtools/cpython_tests.py): small, fast modules of Debian's
libpython3.11-testsuite run natively and under pynix; every case that passes natively must pass under pynix.
The slower modules of issue 21 (test_os, test_posix, test_subprocess...) are run by hand with
`python -m pynix.devtools.cpython_tests MODULE...`."""
from __future__ import annotations

from pathlib import Path

import pytest

import harness

from pynix.devtools.cpython_tests import PYTHON, judge  # noqa: E402

TESTSUITE = Path("/usr/lib/python3.11/test")


@pytest.mark.parametrize("module", ["test_posixpath", "test_genericpath"])
def test_natively_passing_cases_pass_under_pynix(module, tmp_path, monkeypatch):
    harness.need(Path(PYTHON).exists() and (TESTSUITE / f"{module}.py").exists(),
                 f"{PYTHON} with CPython's test suite is needed (Debian package libpython3.11-testsuite)")
    if harness.selfcheck():
        pytest.skip("PYNIX_TEST_SELFCHECK=1: this test only runs pynix")
    monkeypatch.chdir(tmp_path)                   # regrtest makes its temporary directory in the cwd
    native, _pynix, diffs = judge(module, PYTHON, timeout=harness.PYNIX_TIMEOUT, match=[], pynix_args=[])
    assert not native.timed_out and sum(o.status == "pass" for o in native.outcomes.values()) > 10, native.output
    assert diffs == [], "\n".join(f"{case}: {o.status}: {o.reason}" for case, o in diffs)
