"""Chapter 4 exercises (docs/book/processes.md)."""
import pytest

from conftest import pynix_sh

pytestmark = pytest.mark.exercise


def test_sched_fifo_policy():
    """4.1: a third scheduling policy, `--sched fifo`: run each task until it blocks or exits, in the order
    they became runnable (no time slices)."""
    assert pynix_sh("echo a | cat; echo b", "--sched", "fifo") == "a\nb\n"


def test_proc_pid_schedstat():
    """4.2: /proc/PID/schedstat: time on the CPU (ns), time waiting runnable (ns), number of time slices."""
    fields = pynix_sh("cat /proc/self/schedstat").split()
    assert len(fields) == 3 and int(fields[0]) > 0 and int(fields[2]) > 0
