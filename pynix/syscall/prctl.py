"""prctl(2): the process-control options programs and runtimes use (kernel/sys.c, security/commoncap.c).

Besides names, the parent-death signal, dumpable, the child subreaper, no_new_privs and seccomp (PR_SET_SECCOMP is
syscall/seccomp.py's), the options programs commonly read: timer slack (per thread; kept and reported, timers are
not coalesced), keepcaps and securebits, ambient capabilities and the bounding set (in the credentials;
task/capability.py says what they do on setuid and execve), THP disable and the machine-check kill policy (kept).

Unknown options fail with EINVAL, as Linux answers options it does not know; options that need a subsystem
pynix does not have answer what a kernel built without it does (PR_SET_VMA: EINVAL without
CONFIG_ANON_VMA_NAME).
"""
from __future__ import annotations

import errno
from dataclasses import replace

from pynix.errors import KernelError
from pynix.mm.uaccess import copy_from_user, copy_to_user, strncpy_from_user
from pynix.syscall.registry import syscall
from pynix.syscall.seccomp import prctl_set_seccomp
from pynix.task.capability import capable
from pynix.task.cred import Credentials, commit_creds
from pynix.task.seccomp import seccomp_mode
from pynix.task.task import Task
from pynix.uapi.capability import (CAP_LAST_CAP, CAP_SETPCAP, SECURE_ALL_BITS, SECURE_ALL_LOCKS, SECURE_KEEP_CAPS,
                                   SECURE_KEEP_CAPS_LOCKED, SECURE_NO_CAP_AMBIENT_RAISE)
from pynix.uapi.signal import NSIG

PR_SET_PDEATHSIG, PR_GET_PDEATHSIG, PR_GET_DUMPABLE, PR_SET_DUMPABLE = 1, 2, 3, 4
PR_GET_KEEPCAPS, PR_SET_KEEPCAPS = 7, 8
PR_SET_NAME, PR_GET_NAME = 15, 16
PR_GET_SECCOMP, PR_SET_SECCOMP = 21, 22
PR_CAPBSET_READ, PR_CAPBSET_DROP = 23, 24
PR_GET_SECUREBITS, PR_SET_SECUREBITS = 27, 28
PR_SET_TIMERSLACK, PR_GET_TIMERSLACK = 29, 30
PR_MCE_KILL, PR_MCE_KILL_GET = 33, 34
PR_SET_CHILD_SUBREAPER, PR_GET_CHILD_SUBREAPER = 36, 37
PR_SET_NO_NEW_PRIVS, PR_GET_NO_NEW_PRIVS = 38, 39
PR_GET_TID_ADDRESS = 40
PR_SET_THP_DISABLE, PR_GET_THP_DISABLE = 41, 42
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_IS_SET, PR_CAP_AMBIENT_RAISE, PR_CAP_AMBIENT_LOWER, PR_CAP_AMBIENT_CLEAR_ALL = 1, 2, 3, 4
PR_MCE_KILL_CLEAR, PR_MCE_KILL_SET = 0, 1
PR_MCE_KILL_LATE, PR_MCE_KILL_EARLY, PR_MCE_KILL_DEFAULT = 0, 1, 2
PR_SET_VMA = 0x53564D41

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
    if option == PR_CAPBSET_READ:
        if not 0 <= arg2 <= CAP_LAST_CAP:
            raise KernelError(errno.EINVAL)
        return group.creds.cap_bset >> arg2 & 1
    if option in (PR_SET_TIMERSLACK, PR_GET_TIMERSLACK):
        return _timer_slack(task, option, arg2)
    if option in (PR_GET_KEEPCAPS, PR_SET_KEEPCAPS, PR_GET_SECUREBITS, PR_SET_SECUREBITS, PR_CAP_AMBIENT,
                  PR_CAPBSET_DROP):
        return _capability_option(task, option, arg2, arg3, arg4, arg5)
    if option == PR_SET_THP_DISABLE:
        if arg3 or arg4 or arg5:
            raise KernelError(errno.EINVAL)
        group.thp_disable = bool(arg2)
        return 0
    if option == PR_GET_THP_DISABLE:
        if arg2 or arg3 or arg4 or arg5:
            raise KernelError(errno.EINVAL)
        return int(group.thp_disable)
    if option in (PR_MCE_KILL, PR_MCE_KILL_GET):
        return _mce_kill(task, option, arg2, arg3, arg4, arg5)
    if option == PR_GET_SECCOMP:
        return seccomp_mode(task)
    if option == PR_SET_SECCOMP:
        return prctl_set_seccomp(task, arg2, arg3)
    if option == PR_GET_TID_ADDRESS:
        copy_to_user(task.mm, arg2, task.clear_child_tid.to_bytes(8, "little"))
        return 0
    task.kernel.log_once(f"prctl option {option} is not supported (EINVAL)")
    raise KernelError(errno.EINVAL)


def _timer_slack(task: Task, option: int, arg2: int) -> int:
    """The thread's timer slack: 0 restores the slack it started with (its creator's at clone time)."""
    if option == PR_GET_TIMERSLACK:
        return task.timer_slack_ns
    task.timer_slack_ns = arg2 or task.default_timer_slack_ns
    return 0


def _capability_option(task: Task, option: int, arg2: int, arg3: int, arg4: int, arg5: int) -> int:
    """cap_task_prctl: keepcaps, securebits, ambient capabilities and the bounding set."""
    old = task.group.creds
    if option == PR_GET_KEEPCAPS:
        return int(bool(old.securebits & SECURE_KEEP_CAPS))
    if option == PR_SET_KEEPCAPS:
        if arg2 > 1:
            raise KernelError(errno.EINVAL)
        if old.securebits & SECURE_KEEP_CAPS_LOCKED:
            raise KernelError(errno.EPERM)
        bits = old.securebits | SECURE_KEEP_CAPS if arg2 else old.securebits & ~SECURE_KEEP_CAPS
        return _commit(task, replace(old, securebits=bits))
    if option == PR_GET_SECUREBITS:
        return old.securebits
    if option == PR_SET_SECUREBITS:
        locks = old.securebits & SECURE_ALL_LOCKS
        if (locks >> 1) & (old.securebits ^ arg2) or locks & ~arg2 or arg2 & ~(SECURE_ALL_LOCKS | SECURE_ALL_BITS) \
                or not capable(task, CAP_SETPCAP):
            raise KernelError(errno.EPERM)         # a locked bit changes, a lock goes, an unknown bit, no CAP_SETPCAP
        return _commit(task, replace(old, securebits=arg2))
    if option == PR_CAP_AMBIENT:
        if arg2 == PR_CAP_AMBIENT_CLEAR_ALL:
            if arg3 or arg4 or arg5:
                raise KernelError(errno.EINVAL)
            return _commit(task, replace(old, cap_ambient=0))
        if arg3 > CAP_LAST_CAP or arg4 or arg5:
            raise KernelError(errno.EINVAL)
        if arg2 == PR_CAP_AMBIENT_IS_SET:
            return old.cap_ambient >> arg3 & 1
        if arg2 == PR_CAP_AMBIENT_RAISE:            # only what is both permitted and inheritable
            if not old.cap_permitted >> arg3 & old.cap_inheritable >> arg3 & 1 \
                    or old.securebits & SECURE_NO_CAP_AMBIENT_RAISE:
                raise KernelError(errno.EPERM)
            return _commit(task, replace(old, cap_ambient=old.cap_ambient | 1 << arg3))
        if arg2 == PR_CAP_AMBIENT_LOWER:
            return _commit(task, replace(old, cap_ambient=old.cap_ambient & ~(1 << arg3)))
        raise KernelError(errno.EINVAL)
    if not capable(task, CAP_SETPCAP):              # PR_CAPBSET_DROP
        raise KernelError(errno.EPERM)
    if arg2 > CAP_LAST_CAP:
        raise KernelError(errno.EINVAL)
    return _commit(task, replace(old, cap_bset=old.cap_bset & ~(1 << arg2)))


def _commit(task: Task, creds: Credentials) -> int:
    commit_creds(task, creds)
    return 0


def _mce_kill(task: Task, option: int, arg2: int, arg3: int, arg4: int, arg5: int) -> int:
    """The machine-check memory-error kill policy (nothing ever reports a memory error here)."""
    group = task.group
    if option == PR_MCE_KILL_GET:
        if arg2 or arg3 or arg4 or arg5:
            raise KernelError(errno.EINVAL)
        return group.mce_kill
    if arg4 or arg5:
        raise KernelError(errno.EINVAL)
    if arg2 == PR_MCE_KILL_CLEAR:
        if arg3:
            raise KernelError(errno.EINVAL)
        group.mce_kill = PR_MCE_KILL_DEFAULT
        return 0
    if arg2 != PR_MCE_KILL_SET or arg3 not in (PR_MCE_KILL_LATE, PR_MCE_KILL_EARLY, PR_MCE_KILL_DEFAULT):
        raise KernelError(errno.EINVAL)
    group.mce_kill = arg3
    return 0
