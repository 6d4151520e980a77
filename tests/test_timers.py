"""Differential tests of timers and signal plumbing: POSIX timers (timer_create...), setitimer's CPU-time timers,
signalfd, and waitid/wait4 reports of stopped and continued children.

The programs print ISA-independent text, so the native x86_64 run of the same source is the reference for every
target (as in test_processes.py).  qemu-riscv64 cannot serve as the riscv64 reference here: qemu-user hands out
its own timer ids (0x0caf0000 | n) instead of the kernel's, accepts any signalfd4 sigset size, leaves si_status
unwritten in an empty WNOHANG waitid, and cannot follow a program that re-executes itself without binfmt_misc."""
from __future__ import annotations

import os
import shutil
import subprocess

from harness import assert_no_traceback, assert_same_as_native as differential, build, host_isa, need, run_pynix



def test_posix_timers_and_itimers(target):
    out = differential("timers.c", target)
    assert b"ids: 0 1 2 3\n" in out
    assert b"periodic: sig 1 overrun>20 1 getoverrun==si_overrun 1\n" in out
    assert b"thread got 2: code SI_TIMER 1 value 77\n" in out
    assert b"itimer 1: counting 1 signal SIGVTALRM\n" in out and b"itimer 2: counting 1 signal SIGPROF\n" in out
    assert b"after exec: old timer EINVAL, new id 15\n" in out


def test_signalfd(target):
    out = differential("signalfd.c", target)
    assert b"batch: 4 records: USR1/0 RTMIN/1 RTMIN/2 RTMIN/3\n" in out
    assert b"sigchld: signo 17 code 1 status 7 pid ok 1\n" in out


def test_wait_stopped_continued(target):
    out = differential("waitid_stop.c", target)
    assert b"waitid WSTOPPED|WNOWAIT: ret 0 signo 17 code CLD_STOPPED status 20 pid ok 1\n" in out
    assert b"wait4 WCONTINUED: pid ok 1 status 0xffff stopped 0 (sig 0) continued 1\n" in out


def test_clocks_cannot_be_set(target):
    """clock_settime and settimeofday: Linux's argument checks, then EPERM, as natively for a process without
    CAP_SYS_TIME (both sides drop it from their bounding set when run as root -- the machine's first process
    inherits pynix's bounding set; the program only ever passes the clocks' current time, so nothing would
    change even if it could set them)."""
    need(host_isa() == "x86_64", "the native reference needs an x86_64 host")
    native = [str(build("settime.c", "x86_64-musl"))]
    if os.geteuid() == 0:
        need(shutil.which("setpriv") is not None, "setpriv (util-linux) is missing: cannot drop CAP_SYS_TIME")
        native = ["setpriv", "--bounding-set=-sys_time"] + native
    ref = subprocess.run(native, capture_output=True, timeout=60)
    result = run_pynix(build("settime.c", target), prefix=native[:-1])
    assert_no_traceback(result)
    assert (result.stdout, result.returncode) == (ref.stdout, ref.returncode), result.describe()
    assert result.returncode == 0 and result.stdout.decode().splitlines() == [
        "realtime: -1 Operation not permitted", "realtime bad ts: -1 Invalid argument",
        "realtime efault: -1 Bad address", "monotonic: -1 Invalid argument",
        "process cputime: -1 Invalid argument", "invalid: -1 Invalid argument",
        "settimeofday: -1 Operation not permitted", "settimeofday bad usec: -1 Invalid argument",
        "settimeofday null: -1 Operation not permitted", "settimeofday bad tz: -1 Operation not permitted",
        "settimeofday efault: -1 Bad address"]


def test_clock_setting_as_linux(target):
    """As root (CAP_SYS_TIME) clock_settime/settimeofday/adjtimex succeed -- given the clock's current time, so
    the native run changes nothing that matters -- an unprivileged process gets EPERM, argument errors are
    Linux's, and clock_nanosleep answers each clock as Linux (EOPNOTSUPP for clocks without a sleep)."""
    out = differential("clock_set.c", target)
    assert b"-- unprivileged\nclock_settime now: -1 EPERM\n" in out
    assert b"clock_nanosleep 3: -1 EOPNOTSUPP\n" in out and b"clock_nanosleep 8 abs: -1 EOPNOTSUPP\n" in out
    assert (b"-- root\nclock_settime now: 0 \nsettimeofday now: 0 \n" in out) == (os.geteuid() == 0)


def test_machine_clock_moves_alone(target):
    """The machine's own CLOCK_REALTIME (pynix only: natively this would set the host's clock): set a day
    ahead, stepped, warped by a first time zone, with a TAI offset; every reader follows it (clock_gettime,
    gettimeofday, time, file timestamps), absolute wall-clock sleeps follow it, CLOCK_MONOTONIC does not, and
    the host's clock never moves."""
    need(os.geteuid() == 0, "setting the machine's clock needs its root, which pynix's user being root gives")
    import time
    before = time.time()
    result = run_pynix(build("clock_set.c", target), ["jump"])
    after = time.time()
    assert_no_traceback(result)
    assert result.returncode == 0 and result.stdout.endswith(b"ALL OK\n"), result.describe()
    assert b"OK file timestamps follow\n" in result.stdout
    assert 0 <= after - before < 120, "the host's clock moved"


def test_system_time_is_accounted(target):
    """getrusage and times() report system time: a loop of system calls or of page faults accumulates stime,
    computing utime."""
    out = differential("cpu_times.c", target)
    assert out == (b"computing: user time grew 1, mostly user 1\nsystem calls: system time grew 1\n"
                   b"page faults: system time grew 1\n"
                   b"times: stime > 0 1, utime > 0 1\n")


def test_rlimit_cpu(target):
    """RLIMIT_CPU: SIGXCPU past the soft limit and each second after it (the soft limit moving up), SIGKILL at
    the hard limit; unhandled, SIGXCPU itself ends the process."""
    out = differential("rlimit_cpu.c", target)
    assert out == (b"soft 1 s, no handler: killed by SIGXCPU\nhandler: SIGXCPU twice, soft limit then 2 and 3\n"
                   b"soft 1 s, hard 3 s, handled: killed by SIGKILL\nsoft = hard = 1 s, handled: killed by SIGKILL\n")


def test_dynamic_cpu_clocks(target):
    """pthread_getcpuclockid/clock_getcpuclockid clocks read the named thread's or process's CPU time; a clock
    naming no thread of the caller's process, a reaped process or an invalid kind is EINVAL (ESRCH from
    glibc's clock_getcpuclockid)."""
    out = differential("cpu_clocks.c", target)
    assert out == (b"pthread_getcpuclockid: 0 0\nbusy thread clock ran: 1\nidle thread clock nearly still: 1\n"
                   b"own thread clock matches CLOCK_THREAD_CPUTIME_ID: 1\nclock_getres(thread clock): 0 res 1\n"
                   b"clock_getcpuclockid(self): 0\nprocess clock >= its threads: 1\n"
                   b"clock_getcpuclockid(child): 0\nchild's clock ran: 1\n"
                   b"clock_getcpuclockid(reaped child): ESRCH\nclock of a reaped child: EINVAL\n"
                   b"thread clock of init: EINVAL\nwhich = 3: EINVAL\n")
