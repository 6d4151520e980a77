"""seccomp(2) and prctl's PR_SET_SECCOMP (kernel/seccomp.c's do_seccomp and prctl_set_seccomp): entering
strict mode, attaching a filter, and the two queries.  The filters themselves are task/seccomp.py's."""
from __future__ import annotations

import errno
import struct

from pynix.bpf.filter import BPF_MAXINSNS, SOCK_FILTER, decode
from pynix.errors import KernelError
from pynix.mm.uaccess import copy_from_user, copy_to_user
from pynix.syscall.registry import syscall
from pynix.task.seccomp import (ACTIONS, SECCOMP_DATA, SECCOMP_FILTER_FLAG_MASK, SECCOMP_FILTER_FLAG_NEW_LISTENER,
                                SECCOMP_FILTER_FLAG_TSYNC, SECCOMP_FILTER_FLAG_TSYNC_ESRCH,
                                SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, SECCOMP_MODE_FILTER, SECCOMP_MODE_STRICT,
                                SECCOMP_NOTIF, SECCOMP_NOTIF_RESP, SECCOMP_NOTIF_SIZES, attach_filter,
                                may_install_filter, prepare_filter, set_mode_strict)
from pynix.task.task import Task

SECCOMP_SET_MODE_STRICT, SECCOMP_SET_MODE_FILTER, SECCOMP_GET_ACTION_AVAIL, SECCOMP_GET_NOTIF_SIZES = 0, 1, 2, 3
SOCK_FPROG = struct.Struct("<H6xQ")          # struct sock_fprog { unsigned short len; struct sock_filter *filter; }


@syscall
def sys_seccomp(task: Task, op: int, flags: int, uargs: int) -> int:
    return do_seccomp(task, op & 0xFFFFFFFF, flags & 0xFFFFFFFF, uargs)


def do_seccomp(task: Task, op: int, flags: int, uargs: int) -> int:
    if op == SECCOMP_SET_MODE_STRICT:
        if flags or uargs:
            raise KernelError(errno.EINVAL)
        return set_mode_strict(task)
    if op == SECCOMP_SET_MODE_FILTER:
        return _set_mode_filter(task, flags, uargs)
    if op == SECCOMP_GET_ACTION_AVAIL:
        if flags:
            raise KernelError(errno.EINVAL)
        action = int.from_bytes(copy_from_user(task.mm, uargs, 4), "little")
        if action not in ACTIONS:
            raise KernelError(errno.EOPNOTSUPP)
        return 0
    if op == SECCOMP_GET_NOTIF_SIZES:
        if flags:
            raise KernelError(errno.EINVAL)
        copy_to_user(task.mm, uargs, SECCOMP_NOTIF_SIZES.pack(SECCOMP_NOTIF.size, SECCOMP_NOTIF_RESP.size,
                                                               SECCOMP_DATA.size))
        return 0
    raise KernelError(errno.EINVAL)


def _set_mode_filter(task: Task, flags: int, uargs: int) -> int:
    """seccomp_set_mode_filter: the flags, then the user's sock_fprog (EFAULT), its length (EINVAL), the
    permission (EACCES without no_new_privs or CAP_SYS_ADMIN), its instructions (EFAULT) and their check
    (EINVAL), then the attach (task/seccomp.py)."""
    if flags & ~SECCOMP_FILTER_FLAG_MASK:
        raise KernelError(errno.EINVAL)
    if flags & SECCOMP_FILTER_FLAG_TSYNC and flags & SECCOMP_FILTER_FLAG_NEW_LISTENER \
            and not flags & SECCOMP_FILTER_FLAG_TSYNC_ESRCH:
        raise KernelError(errno.EINVAL)           # a thread id and a descriptor would share the return value
    if flags & SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV and not flags & SECCOMP_FILTER_FLAG_NEW_LISTENER:
        raise KernelError(errno.EINVAL)
    length, address = SOCK_FPROG.unpack(copy_from_user(task.mm, uargs, SOCK_FPROG.size))
    if not 0 < length <= BPF_MAXINSNS:
        raise KernelError(errno.EINVAL, "a seccomp filter has 1 to 4096 instructions")
    if not may_install_filter(task):
        raise KernelError(errno.EACCES, "a seccomp filter needs no_new_privs or CAP_SYS_ADMIN")
    prog = prepare_filter(decode(copy_from_user(task.mm, address, length * SOCK_FILTER.size)))
    return attach_filter(task, prog, flags)


def prctl_set_seccomp(task: Task, mode: int, uargs: int) -> int:
    """PR_SET_SECCOMP: seccomp(2) without flags."""
    if mode == SECCOMP_MODE_STRICT:
        return do_seccomp(task, SECCOMP_SET_MODE_STRICT, 0, 0)
    if mode == SECCOMP_MODE_FILTER:
        return do_seccomp(task, SECCOMP_SET_MODE_FILTER, 0, uargs)
    raise KernelError(errno.EINVAL)
