"""clone, clone3, fork, vfork: new processes and threads (the work is done by Kernel.clone); unshare."""
from __future__ import annotations

import errno
import struct

from pynix.errors import KernelError
from pynix.ipc.sem import exit_sem
from pynix.kernel import (CLONE_CHILD_CLEARTID, CLONE_CHILD_SETTID, CLONE_FILES, CLONE_FS, CLONE_PARENT,
                          CLONE_PARENT_SETTID, CLONE_SETTLS, CLONE_SIGHAND, CLONE_THREAD, CLONE_VFORK, CLONE_VM)
from pynix.mm.uaccess import copy_from_user, copy_to_user
from pynix.syscall.pidfd import open_pidfd
from pynix.syscall.registry import syscall
from pynix.task.sched import sched_fork
from pynix.task.task import IoContext, Task

SIGCHLD = 17
CSIGNAL = 0xFF
CLONE_PIDFD, CLONE_SYSVSEM, CLONE_DETACHED, CLONE_IO = 0x1000, 0x40000, 0x400000, 0x80000000
SUPPORTED = (CSIGNAL | CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_PIDFD | CLONE_VFORK | CLONE_PARENT
             | CLONE_THREAD | CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID
             | CLONE_DETACHED | CLONE_CHILD_SETTID | CLONE_IO)
CLONE_ARGS_SIZE_VER0 = 64


def do_clone(task: Task, flags: int, stack: int, ptid: int, ctid: int, tls: int, pidfd: int = 0) -> int:
    """Validate the flags as Linux's copy_process does, then create the task; with CLONE_PIDFD, a pidfd of the
    child is stored (an int) at `pidfd`."""
    if flags & ~SUPPORTED:
        raise KernelError(errno.EINVAL)          # namespaces, ptrace, pidfd...: not supported, never ignored
    if flags & CLONE_THREAD and not flags & CLONE_SIGHAND:
        raise KernelError(errno.EINVAL)
    if flags & CLONE_SIGHAND and not flags & CLONE_VM:
        raise KernelError(errno.EINVAL)
    if flags & CLONE_THREAD and flags & CSIGNAL:
        raise KernelError(errno.EINVAL)
    if flags & CLONE_PIDFD and flags & (CLONE_THREAD | CLONE_DETACHED):
        raise KernelError(errno.EINVAL)
    tid = task.kernel.clone(task, flags, stack, ptid, ctid, tls)
    child = task.kernel.tasks[tid]
    sched_fork(task, child)
    child.mempolicy = task.mempolicy                 # copy_process: mpol_dup (the policy is immutable)
    if child.group is not task.group:
        child.group.personality = task.group.personality
    if task.io_context is not None:                  # copy_io: shared with CLONE_IO, else copied
        child.io_context = task.io_context if flags & CLONE_IO else IoContext(task.io_context.ioprio)
    if flags & CLONE_PIDFD:
        copy_to_user(task.mm, pidfd, open_pidfd(task, tid, 0).to_bytes(4, "little"))
    return tid


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
    if flags & CSIGNAL or exit_signal > 64 or (stack == 0) != (stack_size == 0):
        raise KernelError(errno.EINVAL)
    return do_clone(task, flags | exit_signal, stack + stack_size if stack else 0, parent_tid, child_tid, tls,
                    pidfd=pidfd)


@syscall
def sys_fork(task: Task) -> int:
    return do_clone(task, SIGCHLD, 0, 0, 0, 0)


@syscall
def sys_vfork(task: Task) -> int:
    return do_clone(task, CLONE_VFORK | CLONE_VM | SIGCHLD, 0, 0, 0, 0)


CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = \
    0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000
CLONE_NEWTIME = 0x80
CLONE_NEW_ANY = (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID
                 | CLONE_NEWNET | CLONE_NEWTIME)


@syscall
def sys_unshare(task: Task, flags: int) -> int:
    """ksys_unshare: stop sharing the descriptor table (CLONE_FILES), the cwd/root/umask (CLONE_FS) or the
    SEM_UNDO list (CLONE_SYSVSEM: its adjustments are applied now, as Linux's exit_sem); CLONE_THREAD,
    CLONE_SIGHAND and CLONE_VM only succeed when there is nothing to unshare.  Namespaces do not exist here:
    CLONE_NEW* is EPERM without privilege, else EINVAL (Linux built without them)."""
    flags &= 0xFFFFFFFF
    if flags & CLONE_NEWUSER:
        flags |= CLONE_THREAD | CLONE_FS
    if flags & CLONE_VM:
        flags |= CLONE_SIGHAND
    if flags & CLONE_SIGHAND:
        flags |= CLONE_THREAD
    if flags & CLONE_NEWNS:
        flags |= CLONE_FS
    if flags & ~(CLONE_THREAD | CLONE_FS | CLONE_SIGHAND | CLONE_VM | CLONE_FILES | CLONE_SYSVSEM | CLONE_NEW_ANY):
        raise KernelError(errno.EINVAL)
    group = task.group
    if flags & (CLONE_THREAD | CLONE_SIGHAND | CLONE_VM) and len(group.live_tasks) > 1:
        raise KernelError(errno.EINVAL)
    if flags & (CLONE_SIGHAND | CLONE_VM):
        sharing = any(g is not group and g.sigactions is group.sigactions for g in task.kernel.groups.values())
        if sharing or flags & CLONE_VM and task.mm.users > 1:
            raise KernelError(errno.EINVAL)
    if flags & CLONE_NEW_ANY:
        raise KernelError(errno.EINVAL if group.creds.privileged else errno.EPERM)
    if flags & CLONE_FS and any(g is not group and g.fs is group.fs for g in task.kernel.groups.values()):
        group.fs = group.fs.copy()
    if flags & CLONE_FILES and group.fds.users > 1:
        group.fds.users -= 1
        group.fds = group.fds.copy()
    if flags & CLONE_SYSVSEM:
        exit_sem(task.kernel.ipc, group.pid)
    return 0
