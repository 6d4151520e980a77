"""`pynix run --strace`: every syscall is printed to stderr in strace's format; the guest's stdout is unchanged."""
from __future__ import annotations

import re

from harness import assert_no_traceback, run_pynix


def strace_lines(result) -> list[str]:
    return result.stderr.decode("utf-8", "replace").splitlines()


def test_strace_hello(guest):
    result = run_pynix(guest("hello.c"), ["traced"], extra=["--strace"])
    assert_no_traceback(result)
    assert result.returncode == 0, result.describe()
    assert result.stdout.startswith(b"hello, world\nargc=2\n"), result.describe()
    lines = strace_lines(result)
    write = [i for i, line in enumerate(lines) if re.fullmatch(r'write\(1, "hello, world\\n", 13\)\s*= 13', line)]
    assert write, "no `write(1, \"hello, world\\n\", 13) = 13` line\n" + result.describe()
    exits = [i for i, line in enumerate(lines) if re.match(r"exit_group\(0\)(\s*= \?)?\s*$", line)]
    assert exits, "no `exit_group(0)` line\n" + result.describe()
    assert exits[-1] > write[0], "exit_group must come after the write\n" + result.describe()
    # nothing that looks like a syscall follows exit_group
    assert not any(re.match(r"[a-z_0-9]+\(.*\)\s*= ", line) for line in lines[exits[-1] + 1:]), result.describe()


def test_strace_openat_enoent(guest):
    result = run_pynix(guest("open_enoent.c"), extra=["--strace"])
    assert_no_traceback(result)
    assert result.returncode == 0, result.describe()
    assert result.stdout == b"openat: -1 ENOENT\nopenat below a missing directory: -1 ENOENT\n", result.describe()
    pattern = (r'openat\(AT_FDCWD, "/nonexistent-pynix-test", O_RDONLY(\|O_LARGEFILE)?\)\s*= '
               r"-1 ENOENT \(No such file or directory\)")
    assert any(re.fullmatch(pattern, line) for line in strace_lines(result)), result.describe()


def test_without_strace_stderr_is_quiet(guest):
    """Control for the two tests above: the syscall lines come from --strace, not from the program."""
    result = run_pynix(guest("hello.c"), ["traced"])
    assert_no_traceback(result)
    assert result.returncode == 0, result.describe()
    assert b"exit_group(" not in result.stderr and b"write(1," not in result.stderr, result.describe()


def test_strace_execve_shows_arguments():
    """A successful execve replaces the memory its arguments were in: they are printed as they were passed."""
    result = run_pynix("/bin/busybox", ["sh", "-c", "/bin/busybox true x; exit 0"], extra=["--strace"])
    assert_no_traceback(result)
    # (the shell's child prints it: two tasks live, so the line has strace -f's "[pid N] " prefix)
    pattern = (r'(\[pid +\d+\] )?execve\("/bin/busybox", \["/bin/busybox", "true", "x"\], 0x[0-9a-f]+ '
               r'/\* \d+ vars \*/\)\s*= 0')
    assert any(re.fullmatch(pattern, line) for line in strace_lines(result)), result.describe()
