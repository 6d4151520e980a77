"""`pynix run` options that shape the first process: --env/--clear-env (docker run -e semantics), --workdir, and
-L SYSROOT (paths looked up in SYSROOT first).  The guest side is compared with native runs of the same program
given the environment or working directory the option stands for."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import harness
from harness import ROOT, assert_no_traceback, run_pynix

ENV = Path("/usr/bin/env")
BUSYBOX = Path("/bin/busybox")
UNSET = "PYNIX_TEST_SURELY_UNSET"


@pytest.fixture(autouse=True)
def x86_64_host():
    harness.need(harness.host_isa() == "x86_64", "these tests compare with native x86_64 runs")


def native(argv: list, env: dict[str, str], cwd=None) -> harness.Result:
    proc = subprocess.run([str(a) for a in argv], capture_output=True, env=env, cwd=cwd, timeout=60)
    return harness.Result(proc.returncode, proc.stdout, proc.stderr, [str(a) for a in argv])


def check(got: harness.Result, ref: harness.Result) -> None:
    assert_no_traceback(got)
    report = f"\n=== pynix ===\n{got.describe()}\n=== native ===\n{ref.describe()}"
    assert (got.returncode, got.stdout) == (ref.returncode, ref.stdout), report


def test_env_adds_overrides_and_passes():
    """--env NAME=VALUE sets (empty values too), --env NAME passes pynix's own value, an unset NAME adds
    nothing; the rest of the environment is pynix's, in its order."""
    assert UNSET not in os.environ
    host = {"PYNIX_TEST_FROM_HOST": "host value", "HOME": "/home/before"}
    got = run_pynix(ENV, env=host, extra=["--env", "PYNIX_TEST_A=1=2", "-e", "PYNIX_TEST_FROM_HOST",
                                          "--env", "PYNIX_TEST_EMPTY=", "--env", UNSET, "--env", "HOME=/home/x"])
    ref = native([ENV], harness.pynix_env({**host, "PYNIX_TEST_A": "1=2", "PYNIX_TEST_EMPTY": "",
                                           "HOME": "/home/x"}))
    check(got, ref)
    assert b"PYNIX_TEST_FROM_HOST=host value\n" in got.stdout and UNSET.encode() not in got.stdout


def test_clear_env():
    got = run_pynix(ENV, extra=["--clear-env", "-e", "X=1", "-e", "HOME", "-e", UNSET])
    check(got, native([ENV], {"X": "1", "HOME": os.environ["HOME"]}))


def test_env_without_name_is_refused():
    got = run_pynix(ENV, extra=["--env", "=value"])
    assert got.returncode == 2 and b"--env =value" in got.stderr, got.describe()


@pytest.mark.parametrize("workdir", ["/usr/share", "/lib", "tests/guest", f"../{ROOT.name}/tests"])
def test_workdir(workdir):
    """The guest starts in DIR (a relative DIR is taken from the current directory, symlinks resolved)."""
    harness.need(BUSYBOX.exists(), f"{BUSYBOX} is missing (Debian package busybox-static)")
    args = ["sh", "-c", "pwd; pwd -P; ls -a | head -n 5; cd ..; pwd"]
    got = run_pynix(BUSYBOX, args, cwd=ROOT, extra=["--workdir", workdir])
    check(got, native([BUSYBOX, *args], harness.pynix_env(), cwd=ROOT / workdir))


@pytest.mark.parametrize("workdir,reason", [("/surely/not/here", b"No such file or directory"),
                                            ("/etc/passwd", b"Not a directory")])
def test_workdir_must_be_a_guest_directory(workdir, reason):
    got = run_pynix(ENV, extra=["--workdir", workdir])
    assert got.returncode == 2 and reason in got.stderr and not got.stdout, got.describe()


def test_sysroot_lookup_order(tmp_path):
    """-L SYSROOT: a name in SYSROOT hides the host's, other names fall through to the host, directories are
    merged, absolute symlinks in SYSROOT resolve in the guest's namespace, and guest writes stay in memory."""
    harness.need(BUSYBOX.exists(), f"{BUSYBOX} is missing (Debian package busybox-static)")
    etc = tmp_path / "etc"
    etc.mkdir()
    (etc / "os-release").write_text("ID=pynix-sysroot\n")
    (etc / "pynix-only-here").write_text("only in the sysroot\n")
    (etc / "pynix-link").symlink_to("/etc/passwd")
    script = ("cat /etc/os-release /etc/pynix-only-here; cd /etc && cat pynix-only-here; head -n 1 pynix-link;"
              "echo changed > /etc/pynix-only-here; cat /etc/pynix-only-here; echo ---; ls -a /etc")
    got = run_pynix(BUSYBOX, ["sh", "-c", script], extra=["-L", str(tmp_path)])
    assert_no_traceback(got)
    assert got.returncode == 0, got.describe()
    head, listing = got.stdout.split(b"---\n")
    with open("/etc/passwd", "rb") as f:
        first_passwd = f.readline()
    assert head == (b"ID=pynix-sysroot\n" + b"only in the sysroot\n" * 2 + first_passwd + b"changed\n"), \
        got.describe()
    assert set(listing.split()) == {b".", b".."} | {os.fsencode(n) for n in os.listdir("/etc")} | {
        b"pynix-only-here", b"pynix-link"}
    assert (etc / "pynix-only-here").read_text() == "only in the sysroot\n"


def test_sysroot_must_be_a_directory(tmp_path):
    got = run_pynix(ENV, extra=["-L", str(tmp_path / "missing")])
    assert got.returncode == 2 and b"-L" in got.stderr, got.describe()


# ------------------------------------------------------------------------------------------- --mem

def test_default_mem_is_a_quarter_of_the_host():
    """Without --mem the machine has a quarter of the host's memory, at most 4 GiB (/proc/meminfo's MemTotal);
    --mem still sets it."""
    from pynix.cli.run import default_mem_size
    host = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    expected = min(host // 4, 4 << 30) & ~((2 << 20) - 1)
    assert default_mem_size() == expected
    got = run_pynix(BUSYBOX, ["head", "-1", "/proc/meminfo"])
    assert_no_traceback(got)
    assert got.stdout.split() == [b"MemTotal:", str(expected >> 10).encode(), b"kB"], got.describe()
    got = run_pynix(BUSYBOX, ["head", "-1", "/proc/meminfo"], extra=["--mem", "64M"])
    assert got.stdout.split() == [b"MemTotal:", b"65536", b"kB"], got.describe()


def test_default_mem_runs_what_256m_could_not():
    """A 300 MiB buffer (dd's bs=300M, all of it written by read() from /dev/zero) fits the default machine as
    natively; in a 256M machine it cannot."""
    from pynix.cli.run import default_mem_size
    harness.need(default_mem_size() >= 512 << 20, "the host has too little memory for a 512M default")
    argv = [BUSYBOX, "dd", "if=/dev/zero", "of=/dev/null", "bs=300M", "count=1"]
    ref = native(argv, harness.pynix_env())
    check(run_pynix(argv[0], argv[1:]), ref)
    assert ref.returncode == 0
    small = run_pynix(argv[0], argv[1:], extra=["--mem", "256M"])
    assert_no_traceback(small)
    assert small.returncode != 0 and b"out of memory" in small.stderr, small.describe()


def test_guest_ram_is_lazy():
    """RAM is a host mapping allocated on first touch: a 4 GiB machine running a small program costs the host
    what the program touches, not 4 GiB.  Measured as the pynix process's own peak RSS (VmHWM of its address
    space, printed at exit): wait4's ru_maxrss would also count the image of the pytest process it was forked
    from, which grows as the suite runs machines in-process."""
    argv = harness.pynix_command(BUSYBOX, ["true"], extra=["--mem", "4096M"])
    hwm = "[line for line in open('/proc/self/status') if line.startswith('VmHWM')][0]"
    report = (f"import atexit, runpy, sys; atexit.register(lambda: sys.stderr.write({hwm})); "
              f"sys.argv = ['pynix'] + {argv[3:]!r}; runpy.run_module('pynix', run_name='__main__')")
    proc = subprocess.run([sys.executable, "-c", report], capture_output=True, env=harness.pynix_env(), timeout=120)
    err = proc.stderr.decode(errors="replace")
    assert proc.returncode == 0, err
    peak_kib = int(err.rsplit("VmHWM:", 1)[1].split()[0])
    assert peak_kib < 200 << 10, f"peak RSS {peak_kib} KiB for a 4 GiB machine running true"
