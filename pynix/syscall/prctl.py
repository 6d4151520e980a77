"""prctl(2): the process-control options programs and runtimes use (kernel/sys.c).

Unknown options fail with EINVAL, as Linux answers options it does not know; options that need a subsystem
pynix does not have answer what a kernel built without it does (PR_SET_VMA: EINVAL without
CONFIG_ANON_VMA_NAME; seccomp reports "off").
"""
from __future__ import annotations

import errno

from pynix.errors import KernelError
from pynix.mm.uaccess import copy_from_user, copy_to_user, strncpy_from_user
from pynix.syscall.registry import syscall
from pynix.task.task import Task
from pynix.uapi.signal import NSIG

PR_SET_PDEATHSIG, PR_GET_PDEATHSIG, PR_GET_DUMPABLE, PR_SET_DUMPABLE = 1, 2, 3, 4
PR_SET_NAME, PR_GET_NAME = 15, 16
PR_GET_SECCOMP = 21
PR_CAPBSET_READ = 23
PR_SET_CHILD_SUBREAPER, PR_GET_CHILD_SUBREAPER = 36, 37
PR_SET_NO_NEW_PRIVS, PR_GET_NO_NEW_PRIVS = 38, 39
PR_GET_TID_ADDRESS = 40
PR_SET_VMA = 0x53564D41

CAP_LAST_CAP = 40                     # CAP_CHECKPOINT_RESTORE, Linux 5.9 and later
TASK_COMM_LEN = 16


def _put_int(task: Task, addr: int, value: int) -> int:
    copy_to_user(task.mm, addr, value.to_bytes(4, "little", signed=True))
    return 0


@syscall
def sys_prctl(task: Task, option: int, arg2: int, arg3: int, arg4: int, arg5: int) -> int:
    option &= 0xFFFFFFFF
    group = task.group
    if option == PR_SET_NAME:
        try:                                        # at most 15 bytes are taken, NUL or not
            name = strncpy_from_user(task.mm, arg2, TASK_COMM_LEN)[:TASK_COMM_LEN - 1]
        except KernelError as err:
            if err.errno != errno.ENAMETOOLONG:
                raise
            name = copy_from_user(task.mm, arg2, TASK_COMM_LEN - 1)
        task.comm = name.decode("utf-8", "replace")
        return 0
    if option == PR_GET_NAME:
        copy_to_user(task.mm, arg2, task.comm.encode()[:TASK_COMM_LEN - 1].ljust(TASK_COMM_LEN, b"\0"))
        return 0
    if option == PR_SET_PDEATHSIG:
        if not 0 <= arg2 <= NSIG:
            raise KernelError(errno.EINVAL)
        task.pdeath_signal = arg2
        return 0
    if option == PR_GET_PDEATHSIG:
        return _put_int(task, arg2, task.pdeath_signal)
    if option == PR_GET_DUMPABLE:
        return group.dumpable
    if option == PR_SET_DUMPABLE:
        if arg2 not in (0, 1):                      # SUID_DUMP_DISABLE, SUID_DUMP_USER
            raise KernelError(errno.EINVAL)
        group.dumpable = arg2
        return 0
    if option == PR_SET_CHILD_SUBREAPER:
        group.child_subreaper = bool(arg2)
        return 0
    if option == PR_GET_CHILD_SUBREAPER:
        return _put_int(task, arg2, int(group.child_subreaper))
    if option == PR_SET_NO_NEW_PRIVS:
        if arg2 != 1 or arg3 or arg4 or arg5:
            raise KernelError(errno.EINVAL)
        group.no_new_privs = True
        return 0
    if option == PR_GET_NO_NEW_PRIVS:
        if arg2 or arg3 or arg4 or arg5:
            raise KernelError(errno.EINVAL)
        return int(group.no_new_privs)
    if option == PR_CAPBSET_READ:                   # the bounding set is never reduced here: all capabilities
        if not 0 <= arg2 <= CAP_LAST_CAP:
            raise KernelError(errno.EINVAL)
        return 1
    if option == PR_GET_SECCOMP:
        return 0                                    # SECCOMP_MODE_DISABLED
    if option == PR_GET_TID_ADDRESS:
        copy_to_user(task.mm, arg2, task.clear_child_tid.to_bytes(8, "little"))
        return 0
    task.kernel.log_once(f"prctl option {option} is not supported (EINVAL)")
    raise KernelError(errno.EINVAL)
