"""The kernel log: guests read it through syslog(2) and /dev/kmsg as on Linux, and the host sees it only when
asked (-v, --log FILE), so a program's output is never interleaved with kernel messages."""
from __future__ import annotations

from harness import assert_no_traceback, assert_same, run_pynix


def test_syslog_and_dev_kmsg(guest):
    got, _ = assert_same(guest("kmsg.c"))
    assert b"found through /dev/kmsg: 1\n" in got.stdout and b"found through syslog: 1\n" in got.stdout
    assert b"record: prefix 13, one line 1\n" in got.stdout      # <5> from a user: LOG_USER | LOG_NOTICE


def test_kernel_messages_go_to_the_log_not_stderr(guest, tmp_path):
    program = guest("enosys_log.c")
    quiet = run_pynix(program)
    assert_no_traceback(quiet)
    assert quiet.stdout == b"syscall 1000: -1 ENOSYS\nlogged: 1\n", quiet.describe()
    assert quiet.stderr == b"", quiet.describe()
    verbose = run_pynix(program, extra=["-v"])
    assert verbose.stdout == quiet.stdout
    assert b"pynix: unimplemented syscall syscall_1000 (1000): returning -ENOSYS\n" in verbose.stderr, \
        verbose.describe()
    log = tmp_path / "kernel.log"
    logged = run_pynix(program, extra=["--log", str(log)])
    assert logged.stderr == b"" and b"unimplemented syscall syscall_1000" in log.read_bytes()
