"""capget(2) (kernel/capability.c).

pynix models privilege as "effective uid 0 holds every capability" (task/cred.py), so the sets capget reports
follow from the ids: root has all of them permitted and effective, anyone else none; nothing is inheritable.
capset, which would need real capability sets, is not offered (ENOSYS).
"""
from __future__ import annotations

import errno
import struct

from pynix.errors import KernelError
from pynix.mm.uaccess import copy_from_user, copy_to_user
from pynix.syscall.registry import s32, syscall
from pynix.task.cred import ALL_CAPS
from pynix.task.task import Task

VERSION_1, VERSION_2, VERSION_3 = 0x19980330, 0x20071026, 0x20080522


@syscall
def sys_capget(task: Task, header: int, data: int) -> int:
    version, pid = struct.unpack("<Ii", copy_from_user(task.mm, header, 8))
    if version not in (VERSION_1, VERSION_2, VERSION_3):
        copy_to_user(task.mm, header, struct.pack("<I", VERSION_3))     # tell the caller what we speak
        if data:
            raise KernelError(errno.EINVAL)
        return 0
    if not data:                                  # a version probe
        return 0
    if s32(pid) < 0:
        raise KernelError(errno.EINVAL)
    group = task.group if pid in (0, task.group.pid) else task.kernel.groups.get(pid)
    if group is None:
        found = task.kernel.tasks.get(pid)
        if found is None:
            raise KernelError(errno.ESRCH)
        group = found.group
    caps = ALL_CAPS if group.creds.euid == 0 else 0
    words = 1 if version == VERSION_1 else 2
    out = b"".join(struct.pack("<III", (caps >> (32 * i)) & 0xFFFFFFFF, (caps >> (32 * i)) & 0xFFFFFFFF, 0)
                   for i in range(words))
    copy_to_user(task.mm, data, out)
    return 0
