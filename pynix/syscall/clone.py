"""clone, clone3, fork, vfork: new processes and threads (the work is done by task/fork.py)."""
from __future__ import annotations

import errno
import struct

from pynix.errors import KernelError
from pynix.mm.uaccess import copy_from_user, copy_to_user
from pynix.syscall.pidfd import open_pidfd
from pynix.syscall.registry import syscall
from pynix.task.fork import copy_process
from pynix.task.task import Task
from pynix.uapi.sched import CLONE_DETACHED, CLONE_PARENT_SETTID, CLONE_PIDFD, CLONE_THREAD, CLONE_VFORK, CLONE_VM, CSIGNAL
from pynix.uapi.signal import SIGCHLD

CLONE_ARGS_SIZE_VER0 = 64


def do_clone(task: Task, flags: int, stack: int, ptid: int, ctid: int, tls: int, pidfd: int = 0) -> int:
    """copy_process, and with CLONE_PIDFD a pidfd of the child stored (an int) at `pidfd`."""
    if flags & CLONE_PIDFD and flags & (CLONE_THREAD | CLONE_DETACHED):
        raise KernelError(errno.EINVAL)
    tid = copy_process(task.kernel, task, flags, stack, ptid, ctid, tls)
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
    return copy_process(task.kernel, task, SIGCHLD, 0, 0, 0, 0)


@syscall
def sys_vfork(task: Task) -> int:
    return copy_process(task.kernel, task, CLONE_VFORK | CLONE_VM | SIGCHLD, 0, 0, 0, 0)
