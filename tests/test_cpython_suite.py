"""CPython's own regression tests as a judge (pynix/devtools/cpython_tests.py): small, fast modules of Debian's
libpython3.11-testsuite run natively and under pynix; every case that passes natively must pass under pynix.
The slower modules of issue 21 (test_os, test_posix, test_subprocess...) are run by hand with
`python -m pynix.devtools.cpython_tests MODULE...`."""
from __future__ import annotations

from pathlib import Path

import pytest

import harness

from pynix.devtools.cpython_tests import PYTHON, judge, regrtest_args  # noqa: E402

TESTSUITE = Path("/usr/lib/python3.11/test")


def test_regrtest_args_select_ignore_and_enable_resources():
    assert regrtest_args("test_socket", ["*UDP*"], ["*VSOCK*"], ["network"]) == \
        ["-m", "test", "-v", "-m", "*UDP*", "-i", "*VSOCK*", "-u", "network", "test_socket"]


@pytest.mark.parametrize("module,match,use", [("test_posixpath", [], []), ("test_genericpath", [], []),
                                              ("test_glob", ["test_selflink"], []),  # a symlink loop: ELOOP at 40
                                              ("test_epoll", [], []), ("test_stat", [], []),   # issue 13
                                              ("test_socketserver", [], ["network"]),
                                              # issue 21: files, descriptors, terminals, processes and signals
                                              ("test_mmap", [], []), ("test_select", [], []),
                                              ("test_fileio", [], []), ("test_file", [], []),
                                              ("test_fcntl", [], []), ("test_tempfile", [], []),
                                              ("test_pty", [], []), ("test_resource", [], []),
                                              ("test_thread", [], []), ("test_eintr", [], []),
                                              ("test_wait4", [], []), ("test_fork1", [], []),
                                              ("test_popen", [], [])])
def test_natively_passing_cases_pass_under_pynix(module, match, use, tmp_path, monkeypatch):
    harness.need(Path(PYTHON).exists() and (TESTSUITE / f"{module}.py").exists(),
                 f"{PYTHON} with CPython's test suite is needed (Debian package libpython3.11-testsuite)")
    if harness.selfcheck():
        pytest.skip("PYNIX_TEST_SELFCHECK=1: this test only runs pynix")
    monkeypatch.chdir(tmp_path)                   # regrtest makes its temporary directory in the cwd
    native, _pynix, diffs = judge(module, PYTHON, timeout=harness.PYNIX_TIMEOUT, match=match, pynix_args=[],
                                   use=use)
    assert not native.timed_out and any(o.status == "pass" for o in native.outcomes.values()), native.output
    assert diffs == [], "\n".join(f"{case}: {o.status}: {o.reason}" for case, o in diffs)
