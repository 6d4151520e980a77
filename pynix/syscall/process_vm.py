"""process_vm_readv, process_vm_writev (Linux's mm/process_vm_access.c) and kcmp (kernel/kcmp.c): looking into
another process, with ptrace access (PTRACE_MODE_ATTACH_REALCREDS / PTRACE_MODE_READ_REALCREDS)."""
from __future__ import annotations

import errno

from pynix.errors import KernelError
from pynix.hal import ACCESS_READ, ACCESS_WRITE
from pynix.mm.frame_alloc import PAGE_SIZE
from pynix.mm.uaccess import read_iovec, user_buffers
from pynix.syscall.registry import s32, syscall
from pynix.task.cred import ptrace_may_access
from pynix.task.task import Task, ThreadGroup

KCMP_FILE, KCMP_VM, KCMP_FILES, KCMP_FS, KCMP_SIGHAND, KCMP_IO, KCMP_SYSVSEM, KCMP_EPOLL_TFD = range(8)


def _target(task: Task, pid: int) -> ThreadGroup:
    """find_get_task_by_vpid + mm_access: ESRCH for no such (living) task, EPERM without ptrace access."""
    thread = task.kernel.tasks.get(s32(pid))
    if thread is None or thread.group.exit_status is not None:
        raise KernelError(errno.ESRCH)
    group = thread.group
    if not ptrace_may_access(task.group.creds, group.creds, bool(group.dumpable)):
        raise KernelError(errno.EPERM)
    return group


def _pieces(mm, vectors: list[tuple[int, int]], access: int):
    """The user memory of `vectors` as page-sized views, in order; stops at the first unmapped part (a fault)."""
    for base, length in vectors:
        addr, end = base, base + length
        while addr < end:
            n = min(end, (addr & ~(PAGE_SIZE - 1)) + PAGE_SIZE) - addr
            try:
                views = user_buffers(mm, addr, n, access)
            except KernelError:
                return
            for view in views:
                yield view
            addr += n


def _process_vm_rw(task: Task, pid: int, lvec: int, liovcnt: int, rvec: int, riovcnt: int, flags: int,
                   write: bool) -> int:
    """Copy between the caller's `lvec` and process `pid`'s `rvec`; the byte count moved before the first fault
    in either space (EFAULT if nothing moved because of one)."""
    if flags:
        raise KernelError(errno.EINVAL)
    local = read_iovec(task.mm, lvec, s32(liovcnt))
    remote = read_iovec(task.mm, rvec, s32(riovcnt))
    if not sum(n for _, n in local):
        return 0
    group = _target(task, pid)
    src = _pieces(group.mm if not write else task.mm, remote if not write else local,
                  ACCESS_READ)
    dst = _pieces(task.mm if not write else group.mm, local if not write else remote, ACCESS_WRITE)
    moved, out, wanted = 0, None, min(sum(n for _, n in local), sum(n for _, n in remote))
    pending = memoryview(b"")
    while moved < wanted:
        if not pending:
            pending = next(src, None)
            if pending is None:
                break
        if out is None or not len(out):
            out = next(dst, None)
            if out is None:
                break
        n = min(len(pending), len(out))
        out[:n] = pending[:n]
        pending, out, moved = pending[n:], out[n:], moved + n
    if moved == 0 and wanted:
        raise KernelError(errno.EFAULT)
    return moved


@syscall
def sys_process_vm_readv(task: Task, pid: int, lvec: int, liovcnt: int, rvec: int, riovcnt: int, flags: int) -> int:
    return _process_vm_rw(task, pid, lvec, liovcnt, rvec, riovcnt, flags, write=False)


@syscall
def sys_process_vm_writev(task: Task, pid: int, lvec: int, liovcnt: int, rvec: int, riovcnt: int,
                          flags: int) -> int:
    return _process_vm_rw(task, pid, lvec, liovcnt, rvec, riovcnt, flags, write=True)


def _order(a: object, b: object) -> int:
    """kcmp_ptr: 0 for the same object, else 1 or 2 by an (arbitrary but consistent) order of the two."""
    if a is b:
        return 0
    return 1 if id(a) < id(b) else 2


@syscall
def sys_kcmp(task: Task, pid1: int, pid2: int, type_: int, idx1: int, idx2: int) -> int:
    """Do two processes share a resource?  ESRCH / EPERM as for ptrace, EBADF for KCMP_FILE's descriptors,
    EINVAL for an unknown type.  KCMP_IO compares the tasks' I/O contexts (none until ioprio_set makes one),
    KCMP_SYSVSEM the processes' SEM_UNDO lists (none until a SEM_UNDO operation)."""
    t1, t2 = task.kernel.tasks.get(s32(pid1)), task.kernel.tasks.get(s32(pid2))
    if t1 is None or t2 is None:
        raise KernelError(errno.ESRCH)
    for t in (t1, t2):
        if not ptrace_may_access(task.group.creds, t.group.creds, bool(t.group.dumpable)):
            raise KernelError(errno.EPERM)
    g1, g2 = t1.group, t2.group
    type_ = s32(type_)
    if type_ == KCMP_FILE:
        return _order(g1.fds.get(s32(idx1)), g2.fds.get(s32(idx2)))
    if type_ == KCMP_VM:
        return _order(g1.mm, g2.mm)
    if type_ == KCMP_FILES:
        return _order(g1.fds, g2.fds)
    if type_ == KCMP_FS:
        return _order(g1.fs, g2.fs)
    if type_ == KCMP_SIGHAND:
        return _order(g1.sigactions, g2.sigactions)
    if type_ == KCMP_IO:
        return _order(t1.io_context, t2.io_context)
    if type_ == KCMP_SYSVSEM:
        undo = task.nsproxy.ipc.sem_undo
        return _order(undo.get(g1.pid), undo.get(g2.pid))
    raise KernelError(errno.EINVAL)
