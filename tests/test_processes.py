"""Differential tests of processes and threads: fork/wait, copy-on-write, pipe+dup2+execve, vfork, pthreads,
futex timeouts, preemption.

These programs print ISA-independent text, so the x86_64 native run of the same source is the reference for
every target -- also for riscv64, where the qemu-riscv64 reference cannot follow an execve of a riscv64 program
without binfmt_misc (DESIGN.md §6)."""
from __future__ import annotations

import os

import pytest

from harness import assert_no_traceback, assert_same_as_native as differential, build, run_pynix, run_under_init



def test_fork_wait(target):
    out = differential("fork_wait.c", target)
    assert b"sequential: 200/200" in out and b"shared: 2 3" in out and b"cow: global=100 heap=pp" in out


def test_pipe_dup2_execve(target):
    out = differential("pipe_exec.c", target, lambda t: [build("hello.c", t)])
    assert b"child said: argv[2]=[the child]" in out and b"vfork _exit: 9" in out


def test_threads(target):
    out = differential("threads.c", target)
    assert b"counter=160000" in out and b"ETIMEDOUT" in out


def test_preemption(target):
    """A thread that spins forever must not starve the others: the timer preempts it, also when it was alone on
    the CPU until it woke another task."""
    out = differential("preempt.c", target)
    assert out == (b"spinner saw the flag\na woken child ran while its waker spins\n"
                   b"parent ran while a child spins\n")


def test_preemption_is_invisible(target):
    """Timer preemption lands between instructions: an atomic increment preempted by the timer is not repeated."""
    out = differential("atomic_preempt.c", target)
    assert out == b"counter=6000000 expected=6000000\n"


def _same_as_under_init(name: str, target: str) -> bytes:
    """`name` under pynix and natively as the child of an init in a new pid namespace: same stdout and status."""
    got = run_pynix(build(name, target))
    ref = run_under_init(build(name, "x86_64-musl"))
    assert_no_traceback(got)
    report = f"\n=== pynix ===\n{got.describe()}\n=== reference ===\n{ref.describe()}"
    assert (got.stdout, got.returncode) == (ref.stdout, ref.returncode), report
    return got.stdout


def test_program_is_a_child_of_init(target):
    """pid 1 is the machine's init, as in a container with an init: the program is its child, orphans are
    adopted by it, signals to it (SIGKILL too) do nothing, kill(-1, SIGKILL) spares it and the caller, and the
    machine's exit status is the program's."""
    out = _same_as_under_init("init_pid1.c", target)
    assert b"parent is 1: yes" in out and b"kill(-1, SIGKILL) = 0\nchild: killed by 9\norphan gone: yes\n" in out


def test_zombie_is_still_a_process(target):
    """Until it is reaped a zombie can be signalled (kill, tkill, tgkill, sigqueue; also through its process
    group), its process group and session answer, setpgid reaches it, and /proc/PID shows it in state Z."""
    out = differential("zombie.c", target)
    assert b"zombie: kill(pid, SIGTERM) ok\n" in out and b"/proc/PID/stat state: Z\n" in out
    assert b"reaped: kill(pid, 0) ESRCH\n" in out


def test_clone_flag_combinations(target):
    """clone/clone3 accept and refuse the CLONE_THREAD/SIGHAND/VM/PARENT and exit-signal combinations as Linux's
    copy_process and clone3_args_valid do; a legacy clone of a thread with an exit signal makes a thread."""
    out = differential("clone_flags.c", target)
    assert b"clone THREAD|SIGHAND|VM|SIGCHLD: a thread (own tid: yes, waitpid: ECHILD)\n" in out
    assert b"clone3 PARENT + exit signal: EINVAL\n" in out and b"clone3 plain fork: created\n" in out


def test_execveat_fexecve_and_empty_argv(target):
    """execveat through a descriptor (fexecve, AT_EMPTY_PATH) and through a directory descriptor, its errors,
    AT_EXECFN of each, #! scripts found through a descriptor, and execve with an empty argv (argc 1, "")."""
    out = differential("exec_at.c", target)
    assert b"  child: argc 3, AT_EXECFN /dev/fd/3\nfexecve: exit 3\n" in out
    assert b"AT_EXECFN /dev/fd/4/NAME\n" in out and b"  execveat: -1 ELOOP\n" in out
    assert b"  empty argv became: argc 1, argv[0] \"\"\n" in out


def test_etxtbsy(target):
    """A file open for writing cannot be executed; a running program's file cannot be opened for writing or
    truncated until it ends (ETXTBSY)."""
    out = differential("etxtbsy.c", target)
    assert b"exec while it is open for writing: ETXTBSY\n" in out and b"after it ended: open O_WRONLY ok" in out
    assert b"while it runs: open O_WRONLY ETXTBSY, O_RDWR ETXTBSY" in out
    assert b"fexecve of a writable memfd: exit 0\n" in out


@pytest.mark.parametrize("sched", ["rr", "cfs"])
def test_scheduler_policies(sched):
    program = build("threads.c", "x86_64-musl")
    result = run_pynix(program, extra=["--sched", sched])
    assert_no_traceback(result)
    assert result.returncode == 0 and b"counter=160000" in result.stdout, result.describe()


def test_fork_bomb_gets_eagain():
    """A kernel-wide task limit (--pids-max) turns a fork bomb into EAGAIN; the kernel survives and reaps all."""
    program = build("fork_bomb.c", "x86_64-musl")
    result = run_pynix(program, extra=["--pids-max", "64"])
    assert_no_traceback(result)
    assert result.stdout == b"fork failed with EAGAIN; all children reaped\n", result.describe()


def test_credentials(target):
    """set*id/getres*id/setfs*id/setgroups follow Linux's rules, and a dropped privilege is seen by open()."""
    out = differential("creds.c", target)
    assert b"start: uid" in out and b"end: uid" in out


def test_prctl_membarrier_capget(target):
    """prctl names/pdeathsig/subreaper/dumpable/no_new_privs, membarrier's rules, getcpu, capget."""
    out = differential("prctl.c", target)
    assert b"got SIGUSR1, parent is reaper: 1" in out and b"PR_GET_NAME [worker-thread-n]" in out


def test_exec_scripts(target):
    """#! scripts: the interpreter's argv, nesting, ENOEXEC/ELOOP/ENOENT/EACCES."""
    out = differential("exec_script.c", target)
    assert b"[an argument  with spaces] [./witharg] [one] [two words] execfn=witharg" in out
    assert b"loop: execve ELOOP" in out and b"no interpreter: execve ENOEXEC" in out


def test_futex_wake_is_not_lost(target):
    """A futex waiter that was killed, or interrupted by a handler (EINTR), or restarted after its handler made
    a system call, does not take a FUTEX_WAKE meant for a live waiter (the lost wake-up behind the false
    "deadlock" stops in CPython's multiprocessing and asyncio tests)."""
    out = differential("futex_lost_wake.c", target)
    assert out == (b"killed waiter: wake woke 1, second exited 0\ninterrupted wait: -1 EINTR\nrestarted wait: 0 \n"
                   b"last wait: 0 \ninterrupted waiter: handled 2, last wake woke 1\n")


def test_fork_kill_stress(target):
    """Batches of forked children write at random into memory they share copy-on-write with the parent, fork,
    map and unmap, and are SIGKILLed at random moments; the parent's own memory must stay intact."""
    out = differential("fork_kill_stress.c", target)
    assert out == b"12 batches: parent memory intact\n"


def test_prctl_common_options(target):
    """Timer slack (per thread, inherited, 0 restores the creator's), keepcaps, securebits, ambient
    capabilities, PR_CAPBSET_DROP, THP disable, the MCE kill policy -- for root and for an unprivileged child."""
    out = differential("prctl_more.c", target)
    assert b"thread: PR_GET_TIMERSLACK = 1000\n" in out and b"child: PR_GET_TIMERSLACK = 1000\n" in out
    assert b"PR_SET_SECUREBITS 0x10 = -1 EPERM\n" in out
    assert (b"PR_CAPBSET_READ CAP_SYS_TIME = 0\n" in out) == (os.geteuid() == 0)     # the root part runs as root


def test_memory_residency_locks_fork_advice(target):
    """mincore reports resident pages (touched, MAP_POPULATE, what mlock faults in); mlock/mlock2/MAP_LOCKED
    count in VmLck; MADV_DONTFORK and MADV_WIPEONFORK are honoured by fork (and the wipe mark inherited); a
    MAP_GROWSDOWN mapping grows down to a fault below it."""
    out = differential("mem_linux.c", target)
    assert b"after mlock: 1110\n" in out and b"MAP_LOCKED 5 pages: VmLck +20 kB\n" in out
    assert b"child: DONTFORK range mapped 0 (ENOMEM)\nchild: keep kk wipe 0 0 w\ngrandchild: wipe 0 w\n" in out
    assert b"write 5 pages below: faulted 0\n" in out and b"grown range: 100000000\n" in out
