"""Resource usage: getrusage and times (CPU time is measured as time spent running guest code; page faults are
counted where the mm resolves them, see AddressSpace.handle_fault)."""
from __future__ import annotations

import errno
import struct
import time

from pynix.errors import KernelError
from pynix.mm.uaccess import copy_to_user
from pynix.syscall.registry import s32, syscall
from pynix.syscall.wait import rusage_bytes
from pynix.task.task import Task

RUSAGE_SELF, RUSAGE_CHILDREN, RUSAGE_THREAD = 0, -1, 1
CLK_TCK = 100


def _group_times(task: Task) -> tuple[int, int]:
    task.kernel.account_running()
    return task.group.cpu_time_ns()


@syscall
def sys_getrusage(task: Task, who: int, usage: int) -> int:
    who = s32(who)
    group = task.group
    if who == RUSAGE_SELF:
        utime, stime = _group_times(task)
        min_flt, maj_flt = group.fault_counts()
    elif who == RUSAGE_CHILDREN:
        utime, stime = group.children_utime_ns, group.children_stime_ns
        min_flt, maj_flt = group.cmin_flt, group.cmaj_flt
    elif who == RUSAGE_THREAD:
        task.kernel.account_running()
        utime, stime, min_flt, maj_flt = task.utime_ns, task.stime_ns, task.min_flt, task.maj_flt
    else:
        raise KernelError(errno.EINVAL)
    copy_to_user(task.mm, usage, rusage_bytes(utime, stime, min_flt, maj_flt))
    return 0


@syscall
def sys_times(task: Task, buf: int) -> int:
    if buf:
        utime, stime = _group_times(task)
        ticks = [v * CLK_TCK // 10**9 for v in (utime, stime, task.group.children_utime_ns,
                                                 task.group.children_stime_ns)]
        copy_to_user(task.mm, buf, struct.pack("<4q", *ticks))
    return int((time.monotonic() - task.kernel.boot_time) * CLK_TCK) + 1
