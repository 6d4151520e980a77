"""Differential tests of signals: handlers and their frames, masks, faults, EINTR, default actions."""
from __future__ import annotations

import signal
import subprocess

import pytest

from harness import (assert_same, assert_same_as_native, build, host_isa, need, normalise_status, pynix_command,
                     pynix_env)


def test_signals(guest):
    got, _ = assert_same(guest("signals.c"))
    assert b"read interrupted: -1 EINTR got=14\n" in got.stdout
    assert b"segv longjmp: 2\n" in got.stdout


def test_rseq(target):
    """rseq registration rules and a critical section aborted by a signal delivered inside it (native Linux is
    the reference for every target: qemu-user has no rseq)."""
    out = assert_same_as_native("rseq.c", target)
    assert b"signal inside the section: handled 1, section aborted, rseq_cs cleared 1\n" in out


def _interrupted(argv: list[str], sig: int) -> tuple[bytes, int, bytes]:
    """Run `argv` without a terminal, send it `sig` once it says "ready"; (stdout, status, stderr)."""
    with subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          env=pynix_env(None)) as proc:
        try:
            assert proc.stdout.readline() == b"ready\n"
            proc.send_signal(sig)
            out, err = proc.communicate(timeout=30)
        finally:
            proc.kill()
    return out, normalise_status(proc.returncode), err


@pytest.mark.parametrize("sig, handle, status", [
    (signal.SIGINT, True, 3), (signal.SIGTERM, True, 3), (signal.SIGINT, False, 128 + signal.SIGINT),
    (signal.SIGHUP, False, 128 + signal.SIGHUP)])
def test_host_signals_reach_the_program(target, sig, handle, status):
    """Without a console (stdin not a terminal), a signal sent to pynix itself goes to the program, as under
    qemu-user: its handler runs, or its default action ends it, as when the same program runs natively (pynix
    exits with 128+N where the native process dies of signal N, as a shell reports both)."""
    need(host_isa() == "x86_64", "the native reference needs an x86_64 host")
    args = ["handle"] if handle else []
    out, got_status, err = _interrupted(pynix_command(build("host_signal.c", target), args), sig)
    ref_out, ref_status, _ = _interrupted([str(build("host_signal.c", "x86_64-musl"))] + args, sig)
    assert b"Traceback" not in err, err.decode()
    assert (out, got_status) == (ref_out, ref_status) == (
        f"caught {signal.Signals(sig).name}\n".encode() if handle else b"", status), err.decode()


def test_signal_semantics_as_linux(target):
    """SA_RESETHAND resets only the handler; rt_sigqueueinfo and kill reach a process by any of its thread ids;
    sigtimedwait/sigwaitinfo/sigwait keep working when called again and again (blocked or handled signals,
    after an EINTR); a core-action death sets WCOREDUMP exactly when Linux dumps core (RLIMIT_CORE >= a page,
    dumpable).  Native Linux is the reference (qemu-user writes its own core files); it needs a core_pattern that
    names a file, as Linux's default "core" does, since a pipe ignores RLIMIT_CORE."""
    with open("/proc/sys/kernel/core_pattern") as f:
        need(not f.read().startswith("|"), "core_pattern is a pipe: the native reference would not follow RLIMIT_CORE")
    out = assert_same_as_native("sig_linux.c", target)
    assert b"resethand: caught 1 blocked inside 1 handler dfl 1 siginfo 1 resethand 1 restart 1 mask usr2 1\n" in out
    assert b"sigqueueinfo to a thread id: 0  -> sig 1 code -1 value 43\n" in out
    assert b"sigtimedwait x5: got 15/15 timed out 10/10\n" in out
    assert b"unblocked waits x3: got 3/3 handler ran 0\n" in out
    assert b"interrupted wait 2: -1 EINTR handler ran 5 -> after raise 6\n" in out
    assert b"SIGQUIT core unlimited: signaled 1 sig 3 coredump 1\n" in out
    assert b"SIGQUIT core 0: signaled 1 sig 3 coredump 0\n" in out
    assert b"SIGQUIT not dumpable: signaled 1 sig 3 coredump 0\n" in out


def test_unwritable_alternate_stack(target):
    """A frame that cannot be written to the alternate stack forces SIGSEGV (SI_KERNEL) whose handler runs on
    the ordinary stack, as Linux; SIGSEGV's own frame failing kills; a forked child keeps the alternate stack;
    another thread changing the stack's protection between signals gives the same results."""
    out = assert_same_as_native("sig_altstack.c", target)
    assert b"unwritable: usr1 1 segv 1 code SI_KERNEL\n" in out
    assert b"killed by SIGSEGV 1\nanother thread changing it between signals: usr1 10 segv 10\n" in out


def test_exec_clears_the_alternate_stack(target):
    """fork keeps the alternate signal stack, execve clears it (for a vforked child too): a stale one would put
    the next SA_ONSTACK frame into memory of the old image (CPython's handlers all use SA_ONSTACK)."""
    out = assert_same_as_native("altstack_exec.c", target)
    assert out == (b"forked child: disabled 0 size 65536\nvforked child after exec: disabled 1 size 0\n"
                   b"after exec: disabled 1 size 0\n")


def test_vector_registers_survive_handlers(target):
    """Returning from a signal handler restores the whole 128-bit vector registers: vector arithmetic
    interrupted by a 1 ms timer gives the result it gives with no signals (the cause of the fork + SIGKILL
    stress's parent dying of SIGSEGV: its SIGALRM handler's return corrupted the xmm registers)."""
    out = assert_same_as_native("sig_vector_regs.c", target)
    assert out == b"interrupted by signals 1, same result 1\n"


def test_fault_addresses(guest):
    """A fault's siginfo carries the faulting address itself (si_addr, not its page) and why (si_code): reads and
    writes of unmapped, read-only and PROT_NONE pages at odd offsets, a misaligned access crossing into an
    unmapped page (the first byte of that page), SIGBUS past the end of a file mapping, an instruction fetch
    from a non-executable page (the pc)."""
    got, _ = assert_same(guest("fault_addr.c"))
    for line in [b"read unmapped: SIGSEGV SEGV_MAPERR si_addr=base+0x1123",
                 b"write read-only: SIGSEGV SEGV_ACCERR si_addr=base+0x2009",
                 b"misaligned write across: SIGSEGV SEGV_MAPERR si_addr=base+0x1000",
                 b"mapped bytes after the write: 5a 5a 5a",
                 b"read past the end of a file: SIGBUS BUS_ADRERR si_addr=base+0x1021",
                 b"fetch from a non-executable page: SIGSEGV SEGV_ACCERR si_addr=base+0x10"]:
        assert line + b"\n" in got.stdout, got.describe()


def test_signal_waits_for_a_woken_call_to_finish(target):
    """A child's exit wakes the parent's epoll_wait/poll on a pipe and then sends SIGCHLD: the woken call returns
    its event first and the handler runs after it, its write to a socketpair writing one byte that the next
    wait sees (asyncio's wakeup fd under FastChildWatcher: CPython's test_asyncio.test_subprocess)."""
    out = assert_same_as_native("sig_woken_rerun.c", target)
    assert out.count(b"first wait 1  (pipe events 0x8), handler wrote 1, next wait 2, wakeup byte 1/17\n") == 4
