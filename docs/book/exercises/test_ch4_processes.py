"""Chapter 4 exercises (docs/book/processes.md)."""
import pytest

from conftest import pynix_sh

pytestmark = pytest.mark.exercise


def test_sched_lottery_policy():
    """4.1: a third policy for the normal tasks, `--sched lottery`: each runnable task holds tickets (more for
    a lower nice value) and pick_next draws one at random (Waldspurger and Weihl's lottery scheduling)."""
    assert pynix_sh("echo a | cat; nice -n 5 echo b", "--sched", "lottery") == "a\nb\n"


def test_proc_pid_schedstat():
    """4.2: /proc/PID/schedstat: time on the CPU (ns), time waiting runnable (ns), number of time slices."""
    fields = pynix_sh("cat /proc/self/schedstat").split()
    assert len(fields) == 3 and int(fields[0]) > 0 and int(fields[2]) > 0
