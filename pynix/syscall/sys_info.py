"""uname, sysinfo."""
from __future__ import annotations

import math
import struct
import time

from pynix.mm.frame_alloc import PAGE_SIZE
from pynix.mm.uaccess import copy_to_user
from pynix.syscall.personality import UNAME26, uname26_release
from pynix.syscall.registry import syscall
from pynix.task.task import Task

RELEASE = "6.1.0-pynix"
VERSION = "#1 SMP PREEMPT_DYNAMIC pynix"
NODENAME = "pynix"
FIELD = 65                                      # __NEW_UTS_LEN + 1


@syscall
def sys_uname(task: Task, buf: int) -> int:
    release = uname26_release(RELEASE) if task.group.personality & UNAME26 else RELEASE
    fields = ("Linux", NODENAME, release, VERSION, task.arch.name, "(none)")
    copy_to_user(task.mm, buf, b"".join(f.encode().ljust(FIELD, b"\0") for f in fields))
    return 0


# struct sysinfo on 64-bit: uptime, loads[3], totalram, freeram, sharedram, bufferram, totalswap, freeswap (longs),
# procs (u16, padded), totalhigh, freehigh (longs), mem_unit (u32), padding to 112 bytes.
SYSINFO = struct.Struct("<q3Q6QH6x2QI4x")


@syscall
def sys_sysinfo(task: Task, info: int) -> int:
    """Memory figures come from the frame allocator (mem_unit 1: bytes); no swap, no high memory.  The load
    averages are 0: pynix keeps no run-queue average (/proc/loadavg says the same)."""
    kernel, frames = task.kernel, task.kernel.frames
    uptime = math.ceil(time.monotonic() - kernel.boot_time)   # Linux rounds a started second up
    data = SYSINFO.pack(uptime, 0, 0, 0, frames.total_frames * PAGE_SIZE, frames.free_frames * PAGE_SIZE,
                        0, 0, 0, 0, min(len(kernel.tasks), 0xFFFF), 0, 0, 1)
    copy_to_user(task.mm, info, data)
    return 0
