"""Differential tests: each program in tests/guest/ runs under pynix and under the reference (native x86_64 or
qemu-riscv64), once per target (riscv64-musl, x86_64-musl, x86_64-glibc); stdout and exit status must match."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from harness import assert_same, assert_same_as_native, target_isa

HELLO_ENV = {
    "PYNIX_TEST_GREETING": "bonjour",
    "PYNIX_TEST_EMPTY": "",
    "PYNIX_TEST_SPACES": "a b  c\td",
    "PYNIX_TEST_UTF8": "héllo wörld ✓",
}


def assert_all_ok(result):
    """For the self-checking programs: every check passed (so equality with the reference means something)."""
    text = result.stdout.decode("utf-8", "replace")
    assert "ALL OK" in text and "FAIL" not in text, "a check failed:\n" + result.describe()


def test_hello(guest):
    hello = guest("hello.c")
    got, ref = assert_same(hello, ["first", "with space", "", "ünïcødé", "--flag=1"], env=HELLO_ENV)
    assert got.stdout.startswith(b"hello, world\nargc=6\n")
    assert b"env PYNIX_TEST_UTF8=[h\xc3\xa9llo w\xc3\xb6rld \xe2\x9c\x93]" in got.stdout


def test_hello_relative_path(guest):
    """argv[0] is the path exactly as given, and a relative program path is resolved against the cwd."""
    hello = guest("hello.c")
    got, _ = assert_same(f"./{hello.name}", ["x"], cwd=hello.parent, env=HELLO_ENV)
    assert f"argv[0]=[./{hello.name}]".encode() in got.stdout


def test_hello_many_args_and_big_env(guest):
    """A large initial stack: 400 arguments and a 100 KiB environment variable."""
    hello = guest("hello.c")
    args = [f"argument-{i}-" + "x" * (i % 37) for i in range(400)]
    env = dict(HELLO_ENV, PYNIX_TEST_SPACES="s" * 100_000)
    got, _ = assert_same(hello, args, env=env)
    assert b"argc=401\n" in got.stdout


def test_hello_explicit_arch(guest, target):
    """--arch naming the binary's own ISA changes nothing."""
    hello = guest("hello.c")
    assert_same(hello, ["arch"], env=HELLO_ENV, arch=target_isa(target))


def test_printf(guest):
    got, _ = assert_same(guest("printf.c"))
    assert b"long long -9223372036854775808 18446744073709551615 fedcba9876543210\n" in got.stdout
    assert b"double[4]: 3|3e+00|3 3.1|3.1e+00|3 3.142|3.142e+00|3.14 " in got.stdout


@pytest.mark.parametrize("code,how", [(0, "exit"), (1, "return"), (42, "_exit"), (255, "exit"), (256, "exit"),
                                      (-1, "return"), (77, "return"), (200, "_exit")])
def test_exit_code(guest, code, how):
    got, ref = assert_same(guest("exit_code.c"), [str(code), how])
    assert got.returncode == code & 0xFF
    line = f"exiting with {code} via {how}\n".encode()
    if how == "_exit":  # _exit skips stdio's flush; whether the line was already written depends on the libc
        assert got.stdout in (b"", line)
    else:
        assert got.stdout == line


def test_null_deref_is_sigsegv(guest):
    got, ref = assert_same(guest("null_deref.c"))
    assert got.returncode == 128 + 11
    assert got.stdout == b"about to dereference NULL\n"


def test_malloc_stress(guest):
    got, _ = assert_same(guest("malloc_stress.c"))
    assert b"phase 1: 80 MiB live" in got.stdout
    assert b"\nOK: 0 corrupt blocks" in got.stdout and got.returncode == 0


def test_cxx(guest):
    got, _ = assert_same(guest("cxx.cc"))
    assert b"caught ParseError: bad token at depth 5 line 50, guards destroyed 6\n" in got.stdout
    assert b"caught std::out_of_range\n" in got.stdout
    assert b"this line goes to stderr\n" in got.stderr


READV_INPUTS = {
    "empty": b"",
    "small": b"The quick brown fox jumps over the lazy dog\n" * 3,
    "large": bytes((i * 7 + (i >> 10)) & 0xFF for i in range(300_000)),
}


@pytest.mark.parametrize("stdin", READV_INPUTS.values(), ids=READV_INPUTS.keys())
def test_readv_writev(guest, stdin):
    got, _ = assert_same(guest("readv_writev.c"), stdin=stdin)
    assert f"readv read {len(stdin)} bytes".encode() in got.stdout
    assert b"writev big returned 100000\n" in got.stdout


def test_uname_ids(guest, target):
    got, _ = assert_same(guest("uname_ids.c"))
    assert b"sysname=Linux\n" in got.stdout
    assert f"machine={target_isa(target)}\n".encode() in got.stdout
    assert b": no\n" not in got.stdout.replace(b"uid is root: no\n", b"")


def test_time(guest):
    got, _ = assert_same(guest("time.c"))
    assert_all_ok(got)


def test_getrandom(guest):
    got, _ = assert_same(guest("getrandom.c"))
    assert_all_ok(got)


def test_mmap(guest):
    got, _ = assert_same(guest("mmap.c"))
    assert_all_ok(got)


def test_brk(guest):
    got, _ = assert_same(guest("brk.c"))
    assert_all_ok(got)


def test_fstat_std_pipes(guest):
    got, _ = assert_same(guest("fstat_std.c"), stdin=b"some input\n")
    assert got.stdout.startswith(b"fd 0: fifo nlink>0=1\nfd 1: fifo nlink>0=1\nfd 2: fifo nlink>0=1\n")
    assert b"fstat(99): -1 EBADF\n" in got.stdout


def test_fstat_std_regular_file_stdin(guest, tmp_path):
    data = tmp_path / "input.txt"
    data.write_bytes(b"0123456789" * 1234)
    got, _ = assert_same(guest("fstat_std.c"), stdin=data)
    assert got.stdout.startswith(b"fd 0: reg size=12340 nlink>0=1 blksize>0=1\n")


def test_fstat_std_dev_null_stdin(guest):
    got, _ = assert_same(guest("fstat_std.c"), stdin=Path(os.devnull))
    assert got.stdout.startswith(b"fd 0: chr ")


@pytest.mark.parametrize("perm", [0o640, 0o604])
def test_fstat_mode_host_file_stdin(guest, tmp_path, perm):
    """fstat of an inherited host descriptor reports the host's st_mode, permission bits included."""
    data = tmp_path / "stdin"
    data.write_bytes(b"x")
    data.chmod(perm)
    got, _ = assert_same(guest("fstat_mode.c"), stdin=data)
    assert got.stdout.startswith(b"fd 0: mode %06o\n" % (0o100000 | perm))


def test_fstat_mode_host_pipe_stdin(guest):
    got, _ = assert_same(guest("fstat_mode.c"), stdin=b"some input\n")
    assert got.stdout.startswith(b"fd 0: mode 010600\n")


def test_isatty_on_pipes(guest):
    got, _ = assert_same(guest("isatty.c"), stdin=b"")
    assert b"isatty(1) = 0 ENOTTY\n" in got.stdout
    assert b"ioctl(1, TIOCGWINSZ) = -1 ENOTTY\n" in got.stdout


def test_readlink_self(guest):
    binary = guest("readlink_self.c")
    got, _ = assert_same(binary)
    assert b"absolute: yes\n" in got.stdout
    assert f"ends with /{binary.name}: yes\n".encode() in got.stdout
    assert b": no\n" not in got.stdout


def test_readlink_self_relative(guest):
    """/proc/self/exe is absolute even when the program was started by a relative path."""
    binary = guest("readlink_self.c")
    got, _ = assert_same(f"./{binary.name}", cwd=binary.parent)
    assert b"absolute: yes\n" in got.stdout and b": no\n" not in got.stdout


def test_openat_enoent(guest):
    got, _ = assert_same(guest("open_enoent.c"))
    assert got.stdout == b"openat: -1 ENOENT\nopenat below a missing directory: -1 ENOENT\n"



def test_fpu_env(guest, target):
    """The initial floating-point state (x87 control word 0x37f and MXCSR 0x1f80 on x86_64, fcsr 0 on riscv64)."""
    got, _ = assert_same(guest("fpu_env.c"))
    if target_isa(target) == "x86_64":
        assert b"x87 control word 0x37f, MXCSR 0x1f80\n" in got.stdout
    else:
        assert b"fcsr 0\n" in got.stdout


def test_ppoll_pselect_temporary_sigmask(target):
    """ppoll and pselect6 install their signal mask for the wait (make -j waits for SIGCHLD this way): a signal
    it lets through ends the wait with EINTR -- also one pending before the call -- and the old mask returns."""
    out = assert_same_as_native("pselect_sigmask.c", target)
    assert out.count(b"-1 EINTR, handler ran 1, SIGCHLD blocked again 1\n") == 3, out
    assert b"ppoll timeout with SIGCHLD blocked: 0, handler ran 0\n" in out
