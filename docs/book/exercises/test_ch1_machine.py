"""Chapter 1 exercises (docs/book/machine.md)."""
import pytest

from conftest import pynix_sh

pytestmark = pytest.mark.exercise


def test_proc_pid_syscall():
    """1.1: /proc/PID/syscall: the number of the system call the task is in, its six arguments, its stack
    pointer and its program counter (Linux's proc_pid_syscall).  A task reading its own file is in read(2)."""
    fields = pynix_sh("head -c 200 /proc/self/syscall").split()
    assert len(fields) == 9, fields
    assert fields[0] == "0"                       # x86_64's read
    assert fields[1] == "0x3"                     # the descriptor head opened first after 0, 1, 2
    assert all(f.startswith("0x") for f in fields[1:])


def test_proc_interrupts_counts_timer():
    """1.2: /proc/interrupts with a `LOC:` line counting the timer interrupts that ended time slices."""
    lines = [l.split() for l in pynix_sh("cat /proc/interrupts").splitlines()]
    loc = [l for l in lines if l and l[0] == "LOC:"]
    assert loc and int(loc[0][1]) > 0, lines
