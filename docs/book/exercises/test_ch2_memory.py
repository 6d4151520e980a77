"""Chapter 2 exercises (docs/book/memory.md)."""
import pytest

from conftest import pynix_sh

pytestmark = pytest.mark.exercise


def test_stat_counts_minor_faults():
    """2.1: /proc/PID/stat field 10 (minflt) counts the faults that AddressSpace.handle_fault resolved, and
    field 11 (cminflt) those of the waited-for children."""
    fields = pynix_sh("cat /proc/self/stat; cat /proc/$$/stat").splitlines()
    child, shell = fields[0].split(), fields[1].split()
    assert int(child[9]) > 0 and int(shell[9]) > 0
    assert int(shell[10]) > 0                     # the first cat was a child of the shell and faulted too


def test_proc_buddyinfo():
    """2.2: /proc/buddyinfo: the number of free blocks of each order 0..MAX_ORDER of the buddy allocator."""
    line = pynix_sh("cat /proc/buddyinfo").splitlines()[0]
    assert line.startswith("Node 0, zone")
    counts = [int(v) for v in line.split()[4:]]
    assert len(counts) == 11 and sum(counts) > 0


def test_proc_pid_smaps():
    """2.3: /proc/PID/smaps: each line of maps followed by Size, Rss, Shared_Clean, Shared_Dirty,
    Private_Clean, Private_Dirty (kB)."""
    out = pynix_sh("cat /proc/self/smaps")
    assert "Rss:" in out and "Private_Dirty:" in out and "Shared_Clean:" in out
