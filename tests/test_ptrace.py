"""Differential tests of ptrace (issue #16) under pynix against native Linux: the x86_64-musl build runs
natively as the reference for every target (qemu-user has no ptrace), so the programs print nothing that
depends on the ISA."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from harness import GUEST_DIR, assert_no_traceback, assert_same_as_native, host_isa, need, run_pynix


def test_syscall_stops_memory_registers(target):
    out = assert_same_as_native("ptrace_syscalls.c", target)
    assert b"enter write (info size 80) pc matches 1 count 7 -> 3 (0)\nAAA  exit" in out
    assert b"child: getpid -> 4242, close -> -1 ENOSYS, value 0x5555, constant 0xbeef\n" in out
    assert b"peek unmapped: -1 EIO\n" in out and b"register views agree: 1\n" in out
    assert b"fp regset: defaults, set and read back: 1\n" in out
    assert b"exited 3 after enough stops\n" in out


def _names_by_pid(lines, pattern: str) -> dict[int, list[str]]:
    """pid -> the names of the syscalls it started, in order, from strace-format lines (resumptions skipped)."""
    calls: dict[int, list[str]] = {}
    for line in lines:
        m = re.match(pattern, line)
        if m:
            calls.setdefault(int(m.group(1)), []).append(m.group(2))
    return calls


def test_debian_strace_inside_pynix():
    """Debian's strace -f runs as a guest: its log of `sh -c 'ls | wc -l'` names, for every process, the same
    syscalls as pynix's own --strace (from the traced shell's execve on: strace logs nothing before it)."""
    need(host_isa() == "x86_64" and Path("/usr/bin/strace").exists(), "needs an x86_64 host with strace")
    script = "strace -f -o /tmp/log sh -c 'ls | wc -l'; cat /tmp/log"
    got = run_pynix("/bin/sh", ["-c", script], extra=["--strace="], cwd=GUEST_DIR)
    assert_no_traceback(got)
    assert got.returncode == 0, got.describe()
    count, *log = got.stdout.decode().splitlines()
    assert int(count) == len(os.listdir(GUEST_DIR)), got.describe()
    traced = _names_by_pid(log, r"^(\d+) +(\w+)\(")
    ours = _names_by_pid(got.stderr.decode().splitlines(), r"^\[pid +(\d+)\] (\w+)\(")
    assert len(traced) == 3, traced.keys()                  # sh, ls, wc
    for pid, names in traced.items():
        mine = ours[pid]
        if names[0] == "execve":
            mine = mine[mine.index("execve"):]
        assert names == mine, f"pid {pid}:\nstrace: {names}\npynix:  {mine}"
        assert len(names) > 20 and names[-1] == "exit_group"


def test_signals_events_seize_errors(target):
    out = assert_same_as_native("ptrace_events.c", target)
    assert b"  next: stopped by User defined signal 2\n  next: stopped by Terminated\n" in out
    assert b"  end: killed by Terminated\n" in out
    assert b"event FORK, message is the new pid 1; it is stopped by Stopped (signal), traced 1\n" in out
    assert b"child stopped by Trace/breakpoint trap event EXEC, message is the pid 1\n" in out
    assert b"  interrupt: stopped by Trace/breakpoint trap event STOP\n" in out
    assert b"  after SIGCONT: stopped by Trace/breakpoint trap event STOP\n" in out
    assert b"singlestep: 5 traps, then exited 4\n" in out
    assert b"  unprivileged attach to root: -1 EPERM\n" in out and b"ALL DONE\n" in out
    assert b"tracer exits: the tracee exited 9\n" in out
    assert b"tracer exits with EXITKILL: the tracee killed by Killed\n" in out


def test_displaced_step(target):
    """gdb's displaced stepping at the ptrace level: an instruction written into the tracee's memory where the
    tracer maps data, nothing, or the same text, stepped there; the tracer runs on unharmed."""
    out = assert_same_as_native("ptrace_displaced_step.c", target)
    assert out.count(b"stopped with SIGTRAP code 2, pc moved by one instruction 1, reads back 1\n") == 5
    assert out.count(b"tracer runs on: 0 mismatches\n") == 5
    assert out.count(b"tracer's own text unchanged 1") == 2
    assert out.endswith(b"tracee: shared text still works: 45\ntracee exited 0\n")


def test_sigmask_peeksiginfo_exit_vfork_done_seccomp_events(target):
    out = assert_same_as_native("ptrace_more_events.c", target)
    assert b"setsigmask {USR2, KILL, STOP}: 0, now USR1 0 USR2 1 KILL 0 STOP 0\n" in out
    assert b"  peeksiginfo own queue: 4 USR1(1) USR2(2) RTMIN+0(3) RTMIN+0(4)\n" in out
    assert b"  peeksiginfo process queue: 2 URG(5) RTMIN+1(6)\n" in out
    assert b"  then: stopped by TRAP, event EXIT\n  event message: the wait status to be, killed by SEGV\n" in out
    assert b"  tracee: stopped by TRAP, event VFORK_DONE\n  event message is the vfork child's id: 1\n" in out
    assert b"vfork with only TRACEVFORKDONE: stopped by TRAP, event VFORK_DONE\n" in out
    assert b"seccomp getppid: stopped by TRAP event SECCOMP, message 0x123, syscall info op 3 size 84" in out
    assert b"  syscall entry stop, getegid\n  seccomp stop, getegid\n  syscall exit stop, a result\n" in out
    assert b"  tracee: getppid -> 777, getuid became getpid 1, getgid ran 1\n" in out
    assert b"untraced: getppid under RET_TRACE -> -1 ENOSYS\n" in out and out.endswith(b"ALL DONE\n")


def test_gdb_inside_pynix_on_a_crash(tmp_path):
    """Debian's gdb runs as a guest with its defaults (displaced stepping on: it steps over the breakpoint in
    the dynamic loader from a copy of the instruction at the program's entry point), runs a program to its
    SIGSEGV and prints the backtrace and registers as it does natively."""
    need(host_isa() == "x86_64" and shutil.which("gdb") is not None and shutil.which("gcc") is not None,
         "needs an x86_64 host with gdb and gcc")
    exe = tmp_path / "crash"
    subprocess.run(["gcc", "-g", "-O0", "-o", str(exe), str(GUEST_DIR / "ptrace_crash.c")], check=True)
    args = ["-batch", "-ex", "run", "-ex", "bt",
            "-ex", "info registers rip rdi cs ss", str(exe)]
    native = subprocess.run(["gdb", *args], capture_output=True, cwd=tmp_path, timeout=120)
    got = run_pynix("/usr/bin/gdb", args, cwd=tmp_path)
    assert_no_traceback(got)
    assert b"Program received signal SIGSEGV, Segmentation fault." in native.stdout
    assert b"in caller (depth=41) at " in native.stdout
    assert got.stdout == native.stdout, got.describe() + "\n=== native ===\n" + native.stdout.decode()
    assert got.returncode == native.returncode
