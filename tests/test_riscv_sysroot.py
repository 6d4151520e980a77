"""Debian 13 riscv64 programs from a sysroot built by tools/riscv64-sysroot: static busybox, dynamic lua5.4,
sqlite3 and redis (glibc's ld.so finding its libraries through `pynix run -L SYSROOT`), each compared with the same
command under `qemu-riscv64 -L SYSROOT` (given as QEMU_LD_PREFIX, which both sides then see in the guest's
environment).  Skipped when the sysroot cannot be built (no network), unless PYNIX_REQUIRE_ALL=1.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

import harness
from harness import ROOT, assert_same

SYSROOT = ROOT / "build" / "riscv64-sysroot"
SCRIPT = ROOT / "tools" / "riscv64-sysroot"


@pytest.fixture(scope="session")
def sysroot() -> Path:
    try:
        proc = subprocess.run([str(SCRIPT), str(SYSROOT)], capture_output=True, timeout=600)
        problem = proc.stderr.decode(errors="replace").strip()[-500:] if proc.returncode else None
    except subprocess.TimeoutExpired:
        problem = "it took more than 600 s"
    harness.need(problem is None, f"tools/riscv64-sysroot could not build the sysroot: {problem}")
    return SYSROOT


def same_with_sysroot(sysroot: Path, program: str, args: list[str], options: tuple[str, ...] = ("-L",)):
    """`program args` from the sysroot under pynix (with `options` SYSROOT) and under qemu-riscv64 -L SYSROOT."""
    return assert_same(sysroot / program.lstrip("/"), args, env={"QEMU_LD_PREFIX": str(sysroot)},
                       extra=[*options, str(sysroot)])


@pytest.mark.parametrize("script", [
    "for i in 1 2 3; do echo $i; done | sort -r | head -n 2",
    "x=$(echo hi); echo $x; y=`echo $x | tr a-z A-Z`; echo $y",
    "(sleep 0.2; echo background) & echo foreground; wait $!; echo waited $?",
    "false & wait $!; echo status $?; exit 7",
], ids=["pipeline", "command-substitution", "background-wait", "wait-status"])
def test_busybox_sh(sysroot, script):
    got, _ = same_with_sysroot(sysroot, "usr/bin/busybox", ["sh", "-c", script])
    assert got.stdout, got.describe()


def test_lua(sysroot):
    code = ('print(_VERSION, string.format("%5.2f", math.pi), #arg, table.concat({1, 2, 3}, ","));'
            'local t = {} for w in ("b a c"):gmatch("%a") do t[#t + 1] = w end table.sort(t);'
            'print(table.concat(t), ("x"):rep(3), 2^10, 7 // 2, math.type(1), os.getenv("QEMU_LD_PREFIX") ~= nil)')
    got, _ = same_with_sysroot(sysroot, "usr/bin/lua5.4", ["-e", code])
    assert got.returncode == 0 and got.stdout.startswith(b"Lua 5.4"), got.describe()


def test_lua_error_status(sysroot):
    got, _ = same_with_sysroot(sysroot, "usr/bin/lua5.4", ["-e", "os.exit(3)"])
    assert got.returncode == 3


def test_sqlite3(sysroot):
    sql = ("create table t(x integer, s text); insert into t values (1, 'one'), (2, 'two'), (3, 'three');"
           "select sum(x), group_concat(s, '+') from t; select upper(s) from t where x > 1 order by x desc;"
           "select sqlite_version() like '3.%', printf('%.3f', 22.0 / 7);")
    got, _ = same_with_sysroot(sysroot, "usr/bin/sqlite3", [":memory:", sql])
    assert got.returncode == 0 and b"6|one+two+three" in got.stdout, got.describe()


def test_sqlite3_error_status(sysroot):
    got, _ = same_with_sysroot(sysroot, "usr/bin/sqlite3", [":memory:", "select * from missing;"])
    assert got.returncode != 0


def test_root_sysroot(sysroot):
    """`--root SYSROOT`: the sysroot is the guest's whole / and the program a path inside it."""
    help_text = subprocess.run(harness.pynix_command("--help")[:-1] + ["--help"], capture_output=True).stdout
    harness.need(b"--root" in help_text, "pynix run has no --root option yet")
    code = 'print(_VERSION, 6 * 7)'
    ref = harness.run_reference(sysroot / "usr/bin/lua5.4", ["-e", code], env={"QEMU_LD_PREFIX": str(sysroot)})
    got = harness.run_pynix("/usr/bin/lua5.4", ["-e", code], arch="riscv64", extra=["--root", str(sysroot)],
                            env={"QEMU_LD_PREFIX": str(sysroot)})
    harness.assert_no_traceback(got)
    assert (got.returncode, got.stdout) == (ref.returncode, ref.stdout), got.describe() + "\n" + ref.describe()


REDIS_SESSION = """
redis-server --port {port} --bind 127.0.0.1 --save '' --appendonly no --daemonize no --logfile '' > /dev/null &
i=0
until redis-cli -p {port} PING > /dev/null 2>&1; do i=$((i+1)); [ $i -gt 300 ] && exit 9; busybox sleep 0.2; done
redis-cli -p {port} PING
redis-cli -p {port} SET greeting hello
redis-cli -p {port} GET greeting
redis-cli -p {port} INCR counter
redis-cli -p {port} INCRBY counter 41
redis-cli -p {port} RPUSH list a b c
redis-cli -p {port} LRANGE list 0 -1
redis-cli -p {port} SHUTDOWN NOSAVE
wait
echo server exited $?
"""


def test_redis(sysroot):
    """Debian 13's riscv64 redis-server and redis-cli (dynamic, jemalloc, an epoll loop on 127.0.0.1) inside one
    pynix machine, driven by the sysroot's busybox sh, print what the host's x86_64 redis prints natively for the
    same session (qemu-riscv64 cannot be the reference: its busybox cannot exec riscv64 programs without
    binfmt_misc)."""
    harness.need(Path("/usr/bin/redis-server").exists() and Path("/bin/busybox").exists(),
                 "no host redis-server (Debian package redis-server) or busybox for the reference")
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        script = REDIS_SESSION.format(port=probe.getsockname()[1])
    ref = harness.run_reference(Path("/bin/sh"), ["-c", script])
    assert ref.stdout == b"PONG\nOK\nhello\n1\n42\n3\na\nb\nc\nserver exited 0\n", ref.describe()
    got = harness.run_pynix(sysroot / "usr/bin/busybox", ["sh", "-c", script], extra=["-L", str(sysroot)])
    harness.assert_no_traceback(got)
    assert (got.returncode, got.stdout) == (ref.returncode, ref.stdout), got.describe()
