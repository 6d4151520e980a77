"""clone, clone3, fork, vfork: new processes and threads (the work is done by task/fork.py); unshare."""
from __future__ import annotations

import errno
import struct

from pynix.errors import KernelError
from pynix.mm.uaccess import copy_from_user, copy_to_user
from pynix.syscall.nsproxy import unshare_namespaces
from pynix.syscall.pidfd import open_pidfd
from pynix.syscall.registry import syscall
from pynix.task.fork import copy_process
from pynix.task.pid_namespace import pid_vnr
from pynix.task.task import Task
from pynix.uapi.sched import (CLONE_DETACHED, CLONE_FILES, CLONE_FS, CLONE_NEWCGROUP, CLONE_NEWIPC, CLONE_NEWNET,
                              CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWUSER, CLONE_NEWUTS, CLONE_PARENT,
                              CLONE_PARENT_SETTID, CLONE_PIDFD, CLONE_SIGHAND, CLONE_SYSVSEM, CLONE_THREAD,
                              CLONE_VFORK, CLONE_VM, CSIGNAL)
from pynix.uapi.signal import SIGCHLD

CLONE_ARGS_SIZE_VER0 = 64


def do_clone(task: Task, flags: int, stack: int, ptid: int, ctid: int, tls: int, pidfd: int = 0) -> int:
    """copy_process, and with CLONE_PIDFD a pidfd of the child stored (an int) at `pidfd`."""
    if flags & CLONE_PIDFD and flags & (CLONE_THREAD | CLONE_DETACHED):
        raise KernelError(errno.EINVAL)
    tid = copy_process(task.kernel, task, flags, stack, ptid, ctid, tls)
    if flags & CLONE_PIDFD:
        copy_to_user(task.mm, pidfd, open_pidfd(task, tid, 0).to_bytes(4, "little"))
    return pid_vnr(task, tid)


@syscall
def sys_clone(task: Task, flags: int, stack: int, arg3: int, arg4: int, arg5: int) -> int:
    # The raw argument order differs by ISA: (ptid, tls, ctid) on riscv64, (ptid, ctid, tls) on x86_64.
    if task.arch.clone_tls_before_child_tid:
        ptid, tls, ctid = arg3, arg4, arg5
    else:
        ptid, ctid, tls = arg3, arg4, arg5
    if flags & CLONE_PIDFD and flags & CLONE_PARENT_SETTID:
        raise KernelError(errno.EINVAL)          # clone() returns the pidfd through parent_tid
    return do_clone(task, flags & 0xFFFFFFFF, stack, ptid, ctid, tls, pidfd=ptid)


@syscall
def sys_clone3(task: Task, cl_args: int, size: int) -> int:
    if size < CLONE_ARGS_SIZE_VER0 or size > 4096:
        raise KernelError(errno.EINVAL)
    raw = copy_from_user(task.mm, cl_args, size)
    (flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls) = struct.unpack_from("<8Q", raw)
    if any(raw[CLONE_ARGS_SIZE_VER0:]) and int.from_bytes(raw[64:88].ljust(24, b"\0"), "little"):
        raise KernelError(errno.EINVAL)          # set_tid / cgroup are not supported
    # clone3_args_valid: the CSIGNAL bits and CLONE_DETACHED are not flags of clone3; a thread or a CLONE_PARENT
    # child has no exit signal of its own
    if flags & (CSIGNAL | CLONE_DETACHED) or exit_signal > 64 or (stack == 0) != (stack_size == 0):
        raise KernelError(errno.EINVAL)
    if flags & (CLONE_THREAD | CLONE_PARENT) and exit_signal:
        raise KernelError(errno.EINVAL)
    return do_clone(task, flags | exit_signal, stack + stack_size if stack else 0, parent_tid, child_tid, tls,
                    pidfd=pidfd)


@syscall
def sys_fork(task: Task) -> int:
    return pid_vnr(task, copy_process(task.kernel, task, SIGCHLD, 0, 0, 0, 0))


@syscall
def sys_vfork(task: Task) -> int:
    return pid_vnr(task, copy_process(task.kernel, task, CLONE_VFORK | CLONE_VM | SIGCHLD, 0, 0, 0, 0))
CLONE_NEWTIME = 0x80
CLONE_NEW_ANY = (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID
                 | CLONE_NEWNET | CLONE_NEWTIME)


@syscall
def sys_unshare(task: Task, flags: int) -> int:
    """ksys_unshare: stop sharing the descriptor table (CLONE_FILES), the cwd/root/umask (CLONE_FS) or the
    SEM_UNDO list (CLONE_SYSVSEM: its adjustments are applied now, as Linux's exit_sem); CLONE_THREAD,
    CLONE_SIGHAND and CLONE_VM only succeed when there is nothing to unshare.  CLONE_NEW* moves the caller into
    new namespaces (syscall/nsproxy.py); CLONE_NEWCGROUP and CLONE_NEWTIME are not supported (EINVAL)."""
    flags &= 0xFFFFFFFF
    if flags & CLONE_NEWUSER:
        flags |= CLONE_THREAD | CLONE_FS
    if flags & CLONE_VM:
        flags |= CLONE_SIGHAND
    if flags & CLONE_SIGHAND:
        flags |= CLONE_THREAD
    if flags & CLONE_NEWNS:
        flags |= CLONE_FS
    if flags & CLONE_NEWIPC:
        flags |= CLONE_SYSVSEM
    if flags & ~(CLONE_THREAD | CLONE_FS | CLONE_SIGHAND | CLONE_VM | CLONE_FILES | CLONE_SYSVSEM | CLONE_NEW_ANY):
        raise KernelError(errno.EINVAL)
    group = task.group
    if flags & (CLONE_THREAD | CLONE_SIGHAND | CLONE_VM) and len(group.live_tasks) > 1:
        raise KernelError(errno.EINVAL)
    if flags & (CLONE_SIGHAND | CLONE_VM):
        sharing = any(g is not group and g.sigactions is group.sigactions for g in task.kernel.groups.values())
        if sharing or flags & CLONE_VM and task.mm.users > 1:
            raise KernelError(errno.EINVAL)
    if flags & (CLONE_NEWCGROUP | CLONE_NEWTIME):
        raise KernelError(errno.EINVAL)
    if flags & CLONE_FS and any(g is not group and g.fs is group.fs for g in task.kernel.groups.values()):
        group.fs = group.fs.copy()
    if flags & CLONE_FILES and group.fds.users > 1:
        group.fds.users -= 1
        group.fds = group.fds.copy()
    if flags & CLONE_SYSVSEM:
        task.nsproxy.ipc.exit_sem(group.pid)       # (in the IPC namespace being left, for CLONE_NEWIPC)
    if flags & CLONE_NEW_ANY:
        unshare_namespaces(task, flags)
    return 0
