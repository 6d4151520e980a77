"""Test harness: build guest programs, run them under pynix and under a reference, compare.

The reference for a binary is what a Linux user would get without pynix:
  x86_64  -- run natively on an x86_64 host (under `qemu-x86_64` elsewhere)
  riscv64 -- run under `qemu-riscv64` (Debian's qemu-user)

Exit statuses are normalised the shell's way: a process killed by signal N reports 128+N (subprocess gives -N).

A missing toolchain or reference skips the test with a reason, except when the environment variable
PYNIX_REQUIRE_ALL=1 is set (CI): then it fails, so nothing is skipped silently.

PYNIX_TEST_SELFCHECK=1 checks the tests themselves instead of pynix: every differential test compares the
reference with a second reference run (so its output must be deterministic, and the test's own expectations
must hold for the reference), and the tests that only run pynix are skipped.
"""
from __future__ import annotations

import functools
import os
import platform
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GUEST_DIR = Path(__file__).resolve().parent / "guest"

if str(ROOT) not in sys.path:  # so `pynix.devtools.guestcc` imports without an installed package
    sys.path.insert(0, str(ROOT))

from pynix.devtools.guestcc import TARGETS, compile_guest  # noqa: E402

PYNIX_TIMEOUT = float(os.environ.get("PYNIX_TEST_TIMEOUT", "120"))
REFERENCE_TIMEOUT = 60.0

ELF_MACHINE = {62: "x86_64", 243: "riscv64"}


# --------------------------------------------------------------------------------------------- skipping

def require_all() -> bool:
    return os.environ.get("PYNIX_REQUIRE_ALL") == "1"


def selfcheck() -> bool:
    return os.environ.get("PYNIX_TEST_SELFCHECK") == "1"


def need(condition: bool, reason: str) -> None:
    """Skip the current test unless `condition`; under PYNIX_REQUIRE_ALL=1 fail instead of skipping."""
    if condition:
        return
    if require_all():
        pytest.fail(f"PYNIX_REQUIRE_ALL=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def host_isa() -> str:
    m = platform.machine().lower()
    return {"amd64": "x86_64", "x86-64": "x86_64", "riscv64": "riscv64"}.get(m, m)


def target_isa(target: str) -> str:
    return target.split("-")[0]


# --------------------------------------------------------------------------------------------- building

def _have_zig() -> bool:
    try:
        import ziglang  # noqa: F401
    except ImportError:
        return False
    return True


def toolchain_missing(target: str, cplusplus: bool = False) -> str | None:
    """Why `target` cannot be built here, or None if it can."""
    if target not in TARGETS:
        raise ValueError(f"unknown target {target!r}")
    if target.endswith("-musl"):
        return None if _have_zig() else "the ziglang package (zig cc) is not installed"
    compiler = "g++" if cplusplus else "gcc"
    if shutil.which(compiler) is None:
        return f"{compiler} is not installed (needed for {target})"
    for library in ("libc.a", "libstdc++.a") if cplusplus else ("libc.a",):
        if not _static_library_present(compiler, library):
            return f"{compiler} has no static {library} (Debian: libc6-dev / libstdc++-dev), needed for {target}"
    return None


@functools.lru_cache(maxsize=None)
def _static_library_present(compiler: str, library: str) -> bool:
    proc = subprocess.run([compiler, f"-print-file-name={library}"], capture_output=True, text=True)
    path = proc.stdout.strip()
    return proc.returncode == 0 and os.path.isabs(path) and os.path.exists(path)


def build(name: str, target: str) -> Path:
    """Compile tests/guest/<name> for `target` (cached by guestcc); skip/fail if the toolchain is missing.

    A build that fails with the toolchain present is an error in the test program: it raises.
    """
    source = GUEST_DIR / name
    cplusplus = source.suffix in (".cc", ".cpp", ".cxx")
    missing = toolchain_missing(target, cplusplus)
    need(missing is None, missing or "")
    return compile_guest(source, target)     # its cache key covers the local headers it includes


# --------------------------------------------------------------------------------------------- running

@dataclass
class Result:
    returncode: int
    stdout: bytes
    stderr: bytes
    argv: list[str]

    def __iter__(self):  # (returncode, stdout, stderr) unpacking
        return iter((self.returncode, self.stdout, self.stderr))

    def describe(self) -> str:
        return (f"$ {' '.join(self.argv)}\nexit status {self.returncode}\n"
                f"--- stdout ({len(self.stdout)} bytes) ---\n{_clip(self.stdout)}\n"
                f"--- stderr ({len(self.stderr)} bytes) ---\n{_clip(self.stderr)}")


def _clip(data: bytes, limit: int = 4000) -> str:
    text = data.decode("utf-8", "replace")
    if len(text) > limit:
        text = text[:limit // 2] + f"\n[... {len(text) - limit} characters cut ...]\n" + text[-limit // 2:]
    return text


def normalise_status(returncode: int) -> int:
    """subprocess reports death by signal N as -N; a shell (and pynix) reports 128+N."""
    return 128 - returncode if returncode < 0 else returncode


def pynix_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for both sides of a differential run: the host's plus `env`, with pynix importable.

    The same dict goes to the reference so that the guest sees an identical environment either way.
    """
    result = dict(os.environ)
    path = result.get("PYTHONPATH")
    result["PYTHONPATH"] = str(ROOT) + (os.pathsep + path if path else "")
    if env:
        result.update(env)
    return result


def _run(argv: list[str], stdin, env, cwd, timeout: float) -> Result:
    kwargs = dict(stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=cwd, timeout=timeout)
    if isinstance(stdin, (bytes, bytearray)):
        kwargs["input"] = bytes(stdin)
    else:  # an open file, subprocess.DEVNULL, or None (inherit)
        kwargs["stdin"] = stdin
    try:
        proc = subprocess.run(argv, **kwargs)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"timed out after {timeout:.0f} s: {' '.join(argv)}\n"
                    f"--- stdout so far ---\n{_clip(e.stdout or b'')}\n"
                    f"--- stderr so far ---\n{_clip(e.stderr or b'')}", pytrace=False)
    return Result(normalise_status(proc.returncode), proc.stdout, proc.stderr, argv)


def pynix_command(binary, args=(), arch: str | None = None, extra=()) -> list[str]:
    argv = [sys.executable, "-m", "pynix", "run"]
    if arch:
        argv += ["--arch", arch]
    argv += list(extra)
    argv += [str(binary)] + [str(a) for a in args]
    return argv


def run_pynix(binary, args=(), stdin=b"", arch: str | None = None, extra=(), env=None, cwd=None,
              timeout: float = PYNIX_TIMEOUT, prefix=()) -> Result:
    """Run `binary args...` under `python -m pynix run` (itself run by `prefix`, e.g. setpriv, if given);
    returns Result(returncode, stdout, stderr)."""
    if selfcheck():
        pytest.skip("PYNIX_TEST_SELFCHECK=1: this test only runs pynix")
    return _run(list(prefix) + pynix_command(binary, args, arch, extra), stdin, pynix_env(env), cwd, timeout)


def elf_isa(binary, cwd=None) -> str:
    with open(Path(cwd or ".") / binary, "rb") as f:
        header = f.read(20)
    if header[:4] != b"\x7fELF":
        raise ValueError(f"{binary} is not an ELF file")
    machine = int.from_bytes(header[18:20], "little")
    return ELF_MACHINE.get(machine, f"e_machine={machine}")


def reference_command(binary, cwd=None) -> list[str]:
    """The command that runs `binary` the ordinary way; skips/fails if that is impossible here."""
    isa = elf_isa(binary, cwd)
    if isa == host_isa():
        return [str(binary)]
    emulator = f"qemu-{isa}"
    need(shutil.which(emulator) is not None,
         f"{emulator} is not installed (Debian package qemu-user): no reference for {isa} binaries")
    return [emulator, str(binary)]


def run_reference(binary, args=(), stdin=b"", env=None, cwd=None, timeout: float = REFERENCE_TIMEOUT) -> Result:
    """Run `binary args...` natively or under qemu-user, with the same environment pynix's guest would see."""
    argv = reference_command(binary, cwd) + [str(a) for a in args]
    return _run(argv, stdin, pynix_env(env), cwd, timeout)


def run_under_init(binary, args=(), stdin=b"", env=None, timeout: float = REFERENCE_TIMEOUT) -> Result:
    """Run the x86_64 `binary` natively as the child of an init, as pynix runs its program: in a new pid namespace
    (`unshare --pid --fork --mount-proc`, which needs root) whose pid 1 is sh.  Skips where that is impossible."""
    need(host_isa() == "x86_64", "the native reference needs an x86_64 host")
    unshare = ["unshare", "--pid", "--fork", "--mount-proc"]
    need(shutil.which("unshare") is not None and os.geteuid() == 0 and
         subprocess.run(unshare + ["true"], capture_output=True).returncode == 0,
         "no new pid namespace here (unshare --pid as root): no reference run under an init")
    argv = unshare + ["/bin/sh", "-c", '"$0" "$@"; exit $?', str(binary)] + [str(a) for a in args]
    return _run(argv, stdin, pynix_env(env), None, timeout)


def run_guest(binary, args=(), stdin=b"", env=None, cwd=None) -> Result:
    """For tests with a fixed expected output: run under pynix, or under the reference in self-check mode."""
    if selfcheck():
        return run_reference(binary, args, stdin, env=env, cwd=cwd)
    return run_pynix(binary, args, stdin, env=env, cwd=cwd)


def guest_command(binary, args=()) -> list[str]:
    """The argv that runs `binary` under pynix, or under the reference in self-check mode (for Popen)."""
    if selfcheck():
        return reference_command(binary) + [str(a) for a in args]
    return pynix_command(binary, args)


def assert_no_traceback(result: Result) -> None:
    assert b"Traceback" not in result.stderr, "pynix printed a Python traceback:\n" + result.describe()


def assert_same_as_native(name: str, target: str, args_for=lambda target: ()) -> bytes:
    """Differential check against native Linux for every target: `tests/guest/NAME` built for `target` runs
    under pynix, the x86_64-musl build of the same source runs natively, and stdout and exit status must match
    (no traceback from pynix).  For programs whose output does not depend on the ISA, where qemu-user is no
    reference (it cannot follow a riscv64 execve without binfmt_misc, and emulates some calls unlike Linux).
    `args_for(target)` gives the arguments of each side.  Returns pynix's stdout."""
    need(host_isa() == "x86_64", "the native reference needs an x86_64 host")
    got = run_guest(build(name, target), args_for(target))
    ref = run_reference(build(name, "x86_64-musl"), args_for("x86_64-musl"))
    assert_no_traceback(got)
    report = f"\n=== pynix ===\n{got.describe()}\n=== reference ===\n{ref.describe()}"
    assert got.stdout == ref.stdout, "stdout differs from the reference" + report
    assert got.returncode == ref.returncode, "exit status differs from the reference" + report
    return got.stdout


def assert_same(binary, args=(), stdin=b"", env=None, cwd=None, arch: str | None = None,
                compare_stderr: bool = False, extra=()) -> tuple[Result, Result]:
    """Differential check: stdout and exit status under pynix equal the reference's; no traceback from pynix.

    `stdin` may be bytes, or a Path: then each side gets the file itself as its stdin (opened afresh).
    `extra`: options for `pynix run` (the reference gets them through `env`, e.g. QEMU_LD_PREFIX for -L).
    Returns (pynix_result, reference_result) for further checks.
    """
    def side(run, **kw):
        if isinstance(stdin, Path):
            with open(stdin, "rb") as f:
                return run(binary, args, f, env=env, cwd=cwd, **kw)
        return run(binary, args, stdin, env=env, cwd=cwd, **kw)

    ref = side(run_reference)
    got = side(run_reference) if selfcheck() else side(run_pynix, arch=arch, extra=extra)
    assert_no_traceback(got)
    report = f"\n=== pynix ===\n{got.describe()}\n=== reference ===\n{ref.describe()}"
    assert got.stdout == ref.stdout, "stdout differs from the reference" + report
    assert got.returncode == ref.returncode, "exit status differs from the reference" + report
    if compare_stderr:
        assert got.stderr == ref.stderr, "stderr differs from the reference" + report
    return got, ref
