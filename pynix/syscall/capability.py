"""capget(2) and capset(2) (kernel/capability.c): a task's effective, permitted and inheritable capability sets.

The header is { u32 version; s32 pid; }; the data one { u32 effective, permitted, inheritable; } per 32-bit word
of capabilities: one word for _LINUX_CAPABILITY_VERSION_1, two for versions 2 and 3.  An unknown version is
answered by writing the preferred one (3) into the header: EINVAL, or success when the data pointer is NULL (the
way libcap probes).  capset changes only the caller (pid 0 or its own, else EPERM), under cap_capset's rules
(task/capability.py); bits above CAP_LAST_CAP are ignored.
"""
from __future__ import annotations

import errno
import struct

from pynix.errors import KernelError
from pynix.mm.uaccess import copy_from_user, copy_to_user
from pynix.syscall.registry import s32, syscall
from pynix.task.capability import cap_capset
from pynix.task.cred import Credentials, commit_creds
from pynix.task.task import Task
from pynix.uapi.capability import (CAP_VALID_MASK, _LINUX_CAPABILITY_VERSION_1, _LINUX_CAPABILITY_VERSION_2,
                                   _LINUX_CAPABILITY_VERSION_3)

_DATA = struct.Struct("<III")


def _validate_magic(task: Task, header: int) -> int:
    """cap_validate_magic: the number of data structs the header's version uses, or (after writing version 3
    into the header) EINVAL."""
    version = struct.unpack("<I", copy_from_user(task.mm, header, 4))[0]
    if version == _LINUX_CAPABILITY_VERSION_1:
        return 1
    if version in (_LINUX_CAPABILITY_VERSION_2, _LINUX_CAPABILITY_VERSION_3):
        return 2
    copy_to_user(task.mm, header, struct.pack("<I", _LINUX_CAPABILITY_VERSION_3))
    raise KernelError(errno.EINVAL)


def _header_pid(task: Task, header: int) -> int:
    return s32(struct.unpack("<I", copy_from_user(task.mm, header + 4, 4))[0])


def _target_creds(task: Task, pid: int) -> Credentials:
    """cap_get_target_pid: the caller's credentials for pid 0, else those of the thread `pid` (ESRCH)."""
    if pid in (0, task.tid):
        return task.group.creds
    found = task.kernel.tasks.get(pid)
    if found is None:
        raise KernelError(errno.ESRCH)
    return found.group.creds


@syscall
def sys_capget(task: Task, header: int, data: int) -> int:
    try:
        words = _validate_magic(task, header)
    except KernelError as err:
        if err.errno == errno.EINVAL and not data:
            return 0                               # a version probe
        raise
    if not data:
        return 0
    pid = _header_pid(task, header)
    if pid < 0:
        raise KernelError(errno.EINVAL)
    creds = _target_creds(task, pid)
    copy_to_user(task.mm, data, b"".join(
        _DATA.pack(creds.cap_effective >> 32 * i & 0xFFFFFFFF, creds.cap_permitted >> 32 * i & 0xFFFFFFFF,
                   creds.cap_inheritable >> 32 * i & 0xFFFFFFFF) for i in range(words)))
    return 0


@syscall
def sys_capset(task: Task, header: int, data: int) -> int:
    words = _validate_magic(task, header)
    pid = _header_pid(task, header)
    if pid not in (0, task.tid):
        raise KernelError(errno.EPERM)             # only the caller itself
    raw = copy_from_user(task.mm, data, _DATA.size * words)
    effective = permitted = inheritable = 0
    for i in range(words):
        e, p, inh = _DATA.unpack_from(raw, _DATA.size * i)
        effective, permitted, inheritable = \
            effective | e << 32 * i, permitted | p << 32 * i, inheritable | inh << 32 * i
    commit_creds(task, cap_capset(task.group.creds, effective & CAP_VALID_MASK, inheritable & CAP_VALID_MASK,
                                  permitted & CAP_VALID_MASK))
    return 0
