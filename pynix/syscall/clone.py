"""clone, clone3, fork, vfork: new processes and threads (the work is done by task/fork.py)."""
from __future__ import annotations

import errno
import struct

from pynix.errors import KernelError
from pynix.mm.uaccess import copy_from_user
from pynix.syscall.registry import syscall
from pynix.task.fork import copy_process
from pynix.task.task import Task
from pynix.uapi.sched import CLONE_DETACHED, CLONE_PARENT, CLONE_THREAD, CLONE_VFORK, CLONE_VM, CSIGNAL
from pynix.uapi.signal import SIGCHLD

CLONE_ARGS_SIZE_VER0 = 64


@syscall
def sys_clone(task: Task, flags: int, stack: int, arg3: int, arg4: int, arg5: int) -> int:
    # The raw argument order differs by ISA: (ptid, tls, ctid) on riscv64, (ptid, ctid, tls) on x86_64.
    if task.arch.clone_tls_before_child_tid:
        ptid, tls, ctid = arg3, arg4, arg5
    else:
        ptid, ctid, tls = arg3, arg4, arg5
    return copy_process(task.kernel, task, flags & 0xFFFFFFFF, stack, ptid, ctid, tls)


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
    return copy_process(task.kernel, task, flags | exit_signal, stack + stack_size if stack else 0, parent_tid,
                        child_tid, tls)


@syscall
def sys_fork(task: Task) -> int:
    return copy_process(task.kernel, task, SIGCHLD, 0, 0, 0, 0)


@syscall
def sys_vfork(task: Task) -> int:
    return copy_process(task.kernel, task, CLONE_VFORK | CLONE_VM | SIGCHLD, 0, 0, 0, 0)
