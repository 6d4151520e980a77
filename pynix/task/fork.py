"""Creating processes and threads (Linux's kernel/fork.c): copy_process, and mm_release, which a task's exit
and exec both do when it lets go of its address space."""
from __future__ import annotations

import errno
from typing import TYPE_CHECKING

from pynix.errors import KernelError
from pynix.fs.vfs import allow_write_access, deny_write_access
from pynix.mm.address_space import AddressSpace
from pynix.mm.uaccess import copy_to_user
from pynix.sync.wait import WaitQueue
from pynix.task.nsproxy import CLONE_NEWNS_ALL, copy_namespaces
from pynix.task.pid_namespace import alloc_pid, attach_pid
from pynix.task.sched import sched_fork
from pynix.task.task import IoContext, SigAction, Task, ThreadGroup
from pynix.uapi.capability import CAP_SYS_ADMIN
from pynix.uapi.signal import SIGCHLD
from pynix.task.user_namespace import create_user_ns, ns_capable
from pynix.uapi.sched import (CLONE_CHILD_CLEARTID, CLONE_CHILD_SETTID, CLONE_DETACHED, CLONE_FILES, CLONE_FS,
                              CLONE_IO, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWUSER, CLONE_PARENT, CLONE_PARENT_SETTID,
                              CLONE_PIDFD, CLONE_SETTLS, CLONE_SIGHAND, CLONE_SYSVSEM, CLONE_THREAD, CLONE_VFORK,
                              CLONE_VM, CSIGNAL)

if TYPE_CHECKING:
    from pynix.kernel import Kernel

SUPPORTED = (CSIGNAL | CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_PIDFD | CLONE_VFORK | CLONE_PARENT
             | CLONE_THREAD | CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID | CLONE_DETACHED
             | CLONE_CHILD_SETTID | CLONE_IO | CLONE_NEWNS_ALL | CLONE_NEWUSER)
RLIMIT_NPROC = 6


def copy_process(kernel: "Kernel", parent: Task, flags: int, stack: int, ptid: int, ctid: int, tls: int) -> int:
    """Linux's copy_process for the flag combinations fork, vfork and pthread_create use: a new task, in a new
    process unless CLONE_THREAD, starting from the caller's registers as its syscall returns (0 in the child).
    A thread needs CLONE_SIGHAND, shared handlers need CLONE_VM (EINVAL); a thread's exit signal (the CSIGNAL
    byte) is ignored.  CLONE_NEW* flags give the child new namespaces (task/nsproxy.py): not with CLONE_FS for
    a mount or user namespace, nor for a thread for a pid or user namespace (EINVAL); without CLONE_NEWUSER they
    need CAP_SYS_ADMIN over the caller's user namespace (EPERM).  Returns the new task's kernel-wide id (the
    syscall layer translates it into the caller's pid namespace)."""
    if flags & ~SUPPORTED:
        raise KernelError(errno.EINVAL)          # ptrace, CLONE_NEWCGROUP...: not supported, never ignored
    if flags & CLONE_THREAD and not flags & CLONE_SIGHAND:
        raise KernelError(errno.EINVAL)
    if flags & CLONE_SIGHAND and not flags & CLONE_VM:
        raise KernelError(errno.EINVAL)
    if flags & CLONE_FS and flags & (CLONE_NEWNS | CLONE_NEWUSER):
        raise KernelError(errno.EINVAL)
    if flags & CLONE_THREAD and (flags & (CLONE_NEWUSER | CLONE_NEWPID)
                                 or parent.nsproxy.pid_for_children is not parent.pid_link.ns):
        raise KernelError(errno.EINVAL)
    pg = parent.group
    creds = create_user_ns(pg.creds) if flags & CLONE_NEWUSER else pg.creds
    if flags & CLONE_NEWNS_ALL and not ns_capable(creds, creds.user_ns, CAP_SYS_ADMIN):
        raise KernelError(errno.EPERM)
    fs = None if flags & CLONE_THREAD else pg.fs if flags & CLONE_FS else pg.fs.copy()
    nsproxy = copy_namespaces(parent.nsproxy, flags, creds.user_ns, None if flags & CLONE_FS else fs,
                              parent.nsproxy.pid_for_children)
    pid = alloc_pid(kernel, parent.pid_link.ns if flags & CLONE_THREAD else nsproxy.pid_for_children)
    tid = pid.numbers[0][1]
    uid = pg.creds.uid
    if not flags & CLONE_THREAD and uid != 0:     # RLIMIT_NPROC, which root is exempt from
        if sum(1 for g in kernel.groups.values() if g.creds.uid == uid) >= pg.rlimits[RLIMIT_NPROC][0]:
            raise KernelError(errno.EAGAIN)
    if flags & CLONE_VM:
        mm = parent.mm
        mm.users += 1
    else:
        mm = kernel.new_mm(parent.mm.fork())
        if parent.mm.exe_file is not None:    # dup_mm_exe_file: the copy runs the same file
            deny_write_access(parent.mm.exe_file)
            mm.exe_file = parent.mm.exe_file
    if flags & CLONE_THREAD:
        group = pg
    else:
        fds = pg.fds if flags & CLONE_FILES else pg.fds.copy()
        fds.users += 1 if flags & CLONE_FILES else 0
        sigactions = pg.sigactions if flags & CLONE_SIGHAND else \
            {n: SigAction(a.handler, a.flags, a.restorer, a.mask) for n, a in pg.sigactions.items()}
        real_parent = pg.parent if flags & CLONE_PARENT and pg.parent else pg
        group = ThreadGroup(pid=tid, parent=real_parent, arch=pg.arch, mm=mm, fds=fds, fs=fs, exe=pg.exe,
                            creds=creds, rlimits=dict(pg.rlimits), sigactions=sigactions, pgid=pg.pgid,
                            sid=pg.sid, nice=pg.nice, exit_signal=flags & CSIGNAL)
        group.inherit_prctl(pg)
        real_parent.children.append(group)
        kernel.groups[tid] = group
    child = Task(tid=tid, group=group, kernel=kernel, sigmask=parent.sigmask, comm=parent.comm,
                 timer_slack_ns=parent.timer_slack_ns, default_timer_slack_ns=parent.timer_slack_ns,
                 nsproxy=nsproxy)
    attach_pid(child, pid, thread=bool(flags & CLONE_THREAD))
    if not flags & CLONE_VM:                  # a forked child keeps its registration (at the same address)
        child.rseq, child.rseq_len, child.rseq_sig = parent.rseq, parent.rseq_len, parent.rseq_sig
    if flags & (CLONE_VM | CLONE_VFORK) != CLONE_VM:   # the alternate stack too, unless a new thread's
        child.altstack_sp, child.altstack_size, child.altstack_flags = \
            parent.altstack_sp, parent.altstack_size, parent.altstack_flags
    group.tasks.append(child)
    kernel.tasks[tid] = child
    if flags & CLONE_CHILD_CLEARTID:
        child.clear_child_tid = ctid
    if flags & CLONE_PARENT_SETTID:                # the id in the parent's pid namespace, and in the child's own
        copy_to_user(parent.mm, ptid, pid.nr_in(parent.pid_link.ns).to_bytes(4, "little"))
    if flags & CLONE_CHILD_SETTID:
        copy_to_user(mm, ctid, pid.numbers[-1][1].to_bytes(4, "little"))
    arch = kernel.arch
    ctx = kernel.cpu.save_context()            # the parent's registers as the syscall returns them
    ctx.write(arch.return_register, 0)
    if stack:
        ctx.write("sp", stack)
    if flags & CLONE_SETTLS:
        ctx.write(arch.tls_register, tls)
    child.context = ctx
    sched_fork(parent, child)                      # the scheduling policy, unless SCHED_RESET_ON_FORK
    child.mempolicy = parent.mempolicy             # mpol_dup (a policy is immutable)
    child.cpus_allowed = parent.cpus_allowed       # the CPU affinity (dup_task_struct)
    child.seccomp = parent.seccomp                 # copy_seccomp: every child, thread or not (immutable too)
    child.update_syscall_work()
    if group is not pg:
        group.personality = pg.personality
        group.oom_score_adj, group.oom_score_adj_min = pg.oom_score_adj, pg.oom_score_adj_min   # copy_signal
    if parent.io_context is not None:              # copy_io: shared with CLONE_IO, else copied
        child.io_context = parent.io_context if flags & CLONE_IO else IoContext(parent.io_context.ioprio)
    if parent.ptrace is not None:              # PTRACE_O_TRACEFORK and friends: the child is traced too
        from pynix.task import ptrace          # (task/ptrace.py needs the signal code, which needs this module)
        ptrace.fork_event(kernel, parent, child, vfork=bool(flags & CLONE_VFORK),
                          clone=(flags & CSIGNAL) != SIGCHLD)
    kernel.scheduler.enqueue(child)
    if kernel.tracer is not None:
        kernel.tracer.sched_process_fork(parent, child)
    if flags & CLONE_VFORK:                   # the parent sleeps until the child execs or exits, then the
        child.vfork_done = WaitQueue()        # syscall returns (it is not run again)
        kernel.block(parent, (child.vfork_done,), None, None, rewind=False)
    return tid


def vfork_release(task: Task) -> None:
    """A vfork child lets its parent go on (it exec'd or exited): the vfork half of Linux's mm_release."""
    if task.vfork_done is not None:
        done, task.vfork_done = task.vfork_done, None
        done.wake_all()


def release_mm(mm: AddressSpace) -> None:
    """Drop one user of `mm`; the last one out frees it and lets its executable be written again (mmput)."""
    mm.users -= 1
    if mm.users == 0:
        if mm.exe_file is not None:
            allow_write_access(mm.exe_file)
            mm.exe_file = None
        mm.destroy()
