"""pynix's own /sys trees (fs/sysfs.py): the CPU lists glibc and nproc read, and the transparent-hugepage
settings.  The host has its own CPUs and THP mode, so these compare pynix's answers with each other and with
the shape of the host's files rather than with their contents."""
from __future__ import annotations

import re
from pathlib import Path

from harness import assert_no_traceback, host_isa, need, run_pynix

from pynix.fs.sysfs import cpulist

CPU = "/sys/devices/system/cpu"
THP = "/sys/kernel/mm/transparent_hugepage"
SCRIPT = (f"cd {CPU} && ls -d online possible present offline cpu[0-9]* && cat online possible present offline && "
          "ls cpu0/topology && nproc --all && getconf _NPROCESSORS_CONF && getconf _NPROCESSORS_ONLN && "
          f"python3 -c 'import os; print(os.cpu_count())' && cat {THP}/enabled {THP}/defrag")


def test_cpu_lists_and_thp_modes():
    need(host_isa() == "x86_64", "runs the host's shell, coreutils and python3")
    got = run_pynix("/bin/sh", ["-c", SCRIPT])
    assert_no_traceback(got)
    assert got.returncode == 0, got.describe()
    lines = got.stdout.decode().splitlines()
    cpus = [name for name in lines if re.fullmatch(r"cpu\d+", name)]
    n = len(cpus)
    assert n >= 1 and cpus == [f"cpu{i}" for i in range(n)], got.describe()
    rest = lines[4 + n:]
    online, possible, present, offline = rest[:4]
    assert online == possible == present == cpulist(range(n)) and offline == "", got.describe()
    assert rest[4:11] == ["core_cpus_list", "core_id", "core_siblings_list", "die_id", "package_cpus_list",
                          "physical_package_id", "thread_siblings_list"], got.describe()
    assert rest[11:15] == [str(n)] * 4, "glibc (nproc, getconf) and CPython count the sysfs CPUs" + got.describe()
    enabled, defrag = rest[15:17]
    assert enabled.split() == ["always", "madvise", "[never]"] and "[never]" in defrag.split(), got.describe()
    host = Path(THP, "defrag")
    if host.exists():                              # the same modes as the host's kernel offers, one selected
        assert defrag.replace("[", "").replace("]", "") == host.read_text().strip().replace("[", "").replace("]", "")


def test_cpulist_format():
    """Linux's "%*pbl": a single CPU, a range, nothing."""
    assert (cpulist(range(1)), cpulist(range(4)), cpulist(range(0))) == ("0", "0-3", "")
