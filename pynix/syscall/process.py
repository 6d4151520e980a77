"""Process identity and lifetime: exit, exit_group, getpid/gettid/getppid, set_tid_address, set_robust_list,
get_robust_list, prlimit64, arch_prctl (x86_64), riscv_flush_icache (riscv64)."""
from __future__ import annotations

import errno
import struct

from pynix.errors import KernelError
from pynix.mm.uaccess import copy_from_user, copy_to_user, write_u64
from pynix.syscall.registry import NO_RETURN, s32, syscall
from pynix.task.capability import capable
from pynix.task.exit import exit_group, exit_thread
from pynix.task.cred import Credentials, ptrace_may_access
from pynix.task.pid_namespace import find_vpid, pid_vnr
from pynix.task.task import RLIMIT_NOFILE, Task
from pynix.task.user_namespace import ns_capable
from pynix.uapi.capability import CAP_SYS_RESOURCE

ROBUST_LIST_HEAD_SIZE = 24          # struct robust_list_head on 64-bit
NR_OPEN = 1 << 20                   # /proc/sys/fs/nr_open: the most RLIMIT_NOFILE may be


@syscall
def sys_exit(task: Task, status: int) -> None:
    """End the calling thread; the last thread's exit ends the process with `status`."""
    exit_thread(task.kernel, task, (status & 0xFF) << 8)
    return NO_RETURN


@syscall
def sys_exit_group(task: Task, status: int) -> None:
    exit_group(task.kernel, task.group, (status & 0xFF) << 8)
    return NO_RETURN


@syscall
def sys_getpid(task: Task) -> int:
    return pid_vnr(task, task.group.pid)


@syscall
def sys_gettid(task: Task) -> int:
    return pid_vnr(task, task.tid)


@syscall
def sys_getppid(task: Task) -> int:
    """The parent's pid in the caller's pid namespace: 0 for a namespace's pid 1, whose parent is outside."""
    return pid_vnr(task, task.group.ppid)


@syscall
def sys_set_tid_address(task: Task, tidptr: int) -> int:
    """Remember where to write 0 (and futex-wake) when this thread exits; return the caller's tid."""
    task.clear_child_tid = tidptr
    return pid_vnr(task, task.tid)


@syscall
def sys_set_robust_list(task: Task, head: int, length: int) -> int:
    if length != ROBUST_LIST_HEAD_SIZE:
        raise KernelError(errno.EINVAL)
    task.robust_list, task.robust_list_len = head, length
    return 0


@syscall
def sys_get_robust_list(task: Task, pid: int, head_ptr: int, len_ptr: int) -> int:
    """The robust-list head a thread registered: ESRCH for no such thread, EPERM without ptrace access."""
    pid = s32(pid)
    target = task if pid == 0 else find_vpid(task, pid)
    if target is None or pid < 0:
        raise KernelError(errno.ESRCH)
    if not ptrace_may_access(task.group.creds, target.group.creds, bool(target.group.dumpable)):
        raise KernelError(errno.EPERM)
    write_u64(task.mm, len_ptr, ROBUST_LIST_HEAD_SIZE)
    write_u64(task.mm, head_ptr, target.robust_list)
    return 0


@syscall
def sys_prlimit64(task: Task, pid: int, resource: int, new_limit: int, old_limit: int) -> int:
    """Another process's limits too (prlimit(1) -p PID): ESRCH for no such task in the caller's pid namespace,
    EPERM unless check_prlimit_permission passes."""
    pid, resource = s32(pid), s32(resource)
    target = task if pid == 0 else find_vpid(task, pid)
    if target is None or pid < 0:
        raise KernelError(errno.ESRCH)
    if target.group is not task.group and not _may_prlimit(task.group.creds, target.group.creds):
        raise KernelError(errno.EPERM)
    limits = target.group.rlimits
    if resource not in limits:
        raise KernelError(errno.EINVAL)
    new = None
    if new_limit:
        new = struct.unpack("<QQ", copy_from_user(task.mm, new_limit, 16))
        if new[0] > new[1]:
            raise KernelError(errno.EINVAL)
        if new[1] > limits[resource][1] and not capable(task, CAP_SYS_RESOURCE):
            raise KernelError(errno.EPERM)                   # raising a hard limit needs CAP_SYS_RESOURCE
        if resource == RLIMIT_NOFILE and new[1] > NR_OPEN:
            raise KernelError(errno.EPERM)
    if old_limit:
        copy_to_user(task.mm, old_limit, struct.pack("<QQ", *limits[resource]))
    if new is not None:
        limits[resource] = new
        if resource == RLIMIT_NOFILE:                         # the descriptor table enforces the soft limit
            target.group.fds.max_fds = new[0]
    return 0


def _may_prlimit(caller: Credentials, target: Credentials) -> bool:
    """check_prlimit_permission: the caller's real uid and gid are each of the target's real, effective and
    saved ones, or it has CAP_SYS_RESOURCE over the target's user namespace."""
    return (caller.uid == target.uid == target.euid == target.suid
            and caller.gid == target.gid == target.egid == target.sgid) \
        or ns_capable(caller, target.user_ns, CAP_SYS_RESOURCE)


@syscall
def sys_getrlimit(task: Task, resource: int, rlim: int) -> int:
    return sys_prlimit64(task, 0, resource, 0, rlim)


@syscall
def sys_setrlimit(task: Task, resource: int, rlim: int) -> int:
    return sys_prlimit64(task, 0, resource, rlim, 0)


@syscall
def sys_arch_prctl(task: Task, code: int, addr: int) -> int:
    """x86_64 only: the FS/GS segment bases that hold the thread pointer."""
    from pynix.arch.x86_64 import ARCH_GET_FS, ARCH_GET_GS, ARCH_SET_FS, ARCH_SET_GS
    cpu = task.kernel.cpu
    registers = {ARCH_SET_FS: "fs_base", ARCH_GET_FS: "fs_base", ARCH_SET_GS: "gs_base", ARCH_GET_GS: "gs_base"}
    reg = registers.get(s32(code))
    if reg is None:
        raise KernelError(errno.EINVAL)
    if s32(code) in (ARCH_SET_FS, ARCH_SET_GS):
        if addr >= task.arch.task_size:
            raise KernelError(errno.EPERM)
        cpu.write(reg, addr)
    else:
        write_u64(task.mm, addr, cpu.read(reg))
    return 0


@syscall
def sys_riscv_flush_icache(task: Task, start: int, end: int, flags: int) -> int:
    """Guest stores to code are seen by the emulator's self-modifying-code tracking; nothing more to do."""
    if flags & ~1:
        raise KernelError(errno.EINVAL)
    return 0


