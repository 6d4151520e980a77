"""lsm_list_modules (Linux's security/lsm_syscalls.c): the security modules in force.  pynix's only one is the
POSIX capability model (each process's capability sets: task/capability.py), Linux's "capability" LSM, which has no
attributes -- so lsm_get_self_attr/lsm_set_self_attr stay ENOSYS rather than answering for modules that are not
there."""
from __future__ import annotations

import errno

from pynix.errors import KernelError
from pynix.mm.uaccess import copy_from_user, copy_to_user
from pynix.syscall.registry import syscall
from pynix.task.task import Task

LSM_ID_CAPABILITY = 100
ACTIVE = (LSM_ID_CAPABILITY,)


@syscall
def sys_lsm_list_modules(task: Task, ids: int, size: int, flags: int) -> int:
    """The u64 ids of the active modules; E2BIG (with the size needed written back) for a buffer too small."""
    if flags & 0xFFFFFFFF:
        raise KernelError(errno.EINVAL)
    usize = int.from_bytes(copy_from_user(task.mm, size, 4), "little")
    total = 8 * len(ACTIVE)
    if usize < total:
        copy_to_user(task.mm, size, total.to_bytes(4, "little"))
        raise KernelError(errno.E2BIG)
    copy_to_user(task.mm, ids, b"".join(i.to_bytes(8, "little") for i in ACTIVE))
    copy_to_user(task.mm, size, total.to_bytes(4, "little"))
    return len(ACTIVE)
