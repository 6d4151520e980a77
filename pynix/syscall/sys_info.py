"""uname, sethostname, setdomainname, sysinfo."""
from __future__ import annotations

import errno
import math
import struct
import time

from pynix.errors import KernelError
from pynix.fs.proc import ProcValues
from pynix.kernel import PID_MAX
from pynix.mm.frame_alloc import PAGE_SIZE
from pynix.mm.uaccess import copy_from_user, copy_to_user
from pynix.syscall.registry import s32, syscall
from pynix.syscall.personality import PER_LINUX32, PER_MASK, UNAME26, uname26_release
from pynix.task.task import Task
from pynix.task.user_namespace import INIT_USER_NS, ns_capable
from pynix.task.uts import NEW_UTS_LEN
from pynix.uapi.capability import CAP_SYS_ADMIN

RELEASE = "6.1.0-pynix"
VERSION = "#1 SMP PREEMPT_DYNAMIC pynix"
FIELD = NEW_UTS_LEN + 1


def proc_values() -> ProcValues:
    """What a new procfs instance shows of the kernel's identity and limits."""
    return ProcValues(pid_max=PID_MAX, release=RELEASE, version=VERSION)


@syscall
def sys_uname(task: Task, buf: int) -> int:
    uts = task.nsproxy.uts
    release = uname26_release(RELEASE) if task.group.personality & UNAME26 else RELEASE
    machine = task.arch.compat_machine if task.group.personality & PER_MASK == PER_LINUX32 else task.arch.name
    fields = (b"Linux", uts.nodename, release.encode(), VERSION.encode(), machine.encode(), uts.domainname)
    copy_to_user(task.mm, buf, b"".join(f.ljust(FIELD, b"\0") for f in fields))
    return 0


def _set_name(task: Task, name: int, length: int) -> bytes:
    """sethostname/setdomainname: EPERM without CAP_SYS_ADMIN over the UTS namespace's owner, EINVAL outside
    0..64, then EFAULT."""
    if not ns_capable(task.group.creds, task.nsproxy.uts.owner or INIT_USER_NS, CAP_SYS_ADMIN):
        raise KernelError(errno.EPERM)
    length = s32(length)
    if length < 0 or length > NEW_UTS_LEN:
        raise KernelError(errno.EINVAL)
    return copy_from_user(task.mm, name, length) if length else b""


@syscall
def sys_sethostname(task: Task, name: int, length: int) -> int:
    task.nsproxy.uts.nodename = _set_name(task, name, length)
    return 0


@syscall
def sys_setdomainname(task: Task, name: int, length: int) -> int:
    task.nsproxy.uts.domainname = _set_name(task, name, length)
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
