"""pidfd_open, pidfd_send_signal, pidfd_getfd (the descriptor itself is task/pidfd.py; CLONE_PIDFD is in
syscall/clone.py and waitid(P_PIDFD) in syscall/wait.py)."""
from __future__ import annotations

import errno
import struct

from pynix.errors import KernelError
from pynix.fs.file import O_NONBLOCK
from pynix.fs.file_ops import DirectoryFile
from pynix.fs.proc import PidDir
from pynix.mm.uaccess import copy_from_user
from pynix.syscall.registry import s32, syscall
from pynix.syscall.signal import kill_process
from pynix.task.cred import ptrace_may_access
from pynix.task.pid_namespace import find_vpid
from pynix.task.pidfd import PidFd
from pynix.task.signal import SI_TKILL, SI_USER, siginfo
from pynix.task.task import Task, ThreadGroup

PIDFD_NONBLOCK = O_NONBLOCK
PIDFD_SIGNAL_THREAD, PIDFD_SIGNAL_THREAD_GROUP, PIDFD_SIGNAL_PROCESS_GROUP = 1, 2, 4
NSIG = 64


def pidfd_of(task: Task, fd: int) -> PidFd:
    """The pidfd open at `fd`: EBADF if none, or if it is another kind of file (pidfd_to_pid)."""
    file = task.group.fds.get(s32(fd))
    if not isinstance(file, PidFd):
        raise KernelError(errno.EBADF)
    return file


def signal_target(task: Task, fd: int) -> ThreadGroup:
    """pidfd_to_pid: the process a pidfd names, or that an open /proc/<pid> directory names (Linux accepts
    those too, for the sake of programs that held such descriptors before pidfds existed); EBADF for any other
    file, ESRCH once the process has been reaped."""
    file = task.group.fds.get(s32(fd))
    if isinstance(file, PidFd):
        return file.live_group(task)
    inode = getattr(file, "inode", None)
    if isinstance(file, DirectoryFile) and isinstance(inode, PidDir) and not inode.in_task_dir:
        inode.check()
        return inode.group
    raise KernelError(errno.EBADF)


def open_pidfd(task: Task, pid: int, flags: int) -> int:
    """A new pidfd for thread-group `pid`, close-on-exec as Linux's always are."""
    group = task.kernel.groups.get(pid)
    return task.group.fds.install(PidFd(group, flags), cloexec=True)


@syscall
def sys_pidfd_open(task: Task, pid: int, flags: int) -> int:
    """EINVAL for unknown flags or a pid <= 0, ESRCH for no such process, ENOENT for a thread that is not its
    process's leader (PIDFD_THREAD, which would allow it, is not supported: EINVAL)."""
    pid, flags = s32(pid), flags & 0xFFFFFFFF
    if flags & ~PIDFD_NONBLOCK or pid <= 0:
        raise KernelError(errno.EINVAL)
    thread = find_vpid(task, pid)
    if thread is None or task.kernel.groups.get(thread.group.pid) is not thread.group:
        raise KernelError(errno.ESRCH)
    if thread.group.pid != thread.tid:
        raise KernelError(errno.ENOENT)           # not a thread-group leader (Linux >= 6.9; EINVAL before)
    return open_pidfd(task, thread.tid, flags)


@syscall
def sys_pidfd_send_signal(task: Task, pidfd: int, sig: int, info: int, flags: int) -> int:
    """kill() through a pidfd, to the process (PIDFD_SIGNAL_THREAD_GROUP, the default), its leader thread
    (PIDFD_SIGNAL_THREAD) or its process group (PIDFD_SIGNAL_PROCESS_GROUP).  A siginfo may be given, whose
    si_code must be negative (and not SI_TKILL) unless the caller signals its own process.  An exited process
    not reaped yet takes the signal silently, as Linux's zombie does; a reaped one is ESRCH."""
    flags &= 0xFFFFFFFF
    if flags & ~(PIDFD_SIGNAL_THREAD | PIDFD_SIGNAL_THREAD_GROUP | PIDFD_SIGNAL_PROCESS_GROUP) \
            or bin(flags).count("1") > 1:
        raise KernelError(errno.EINVAL)
    sig = s32(sig)
    group = signal_target(task, pidfd)
    if info:
        data = copy_from_user(task.mm, info, 128)
        signo, _errno, code = struct.unpack_from("<iii", data)
        if signo != sig:
            raise KernelError(errno.EINVAL)
        if (group is not task.group or flags & PIDFD_SIGNAL_PROCESS_GROUP) and (code >= 0 or code == SI_TKILL):
            raise KernelError(errno.EPERM)
        payload = data
    else:
        code = SI_TKILL if flags & PIDFD_SIGNAL_THREAD else SI_USER
        payload = siginfo(sig, code, pid=task.group.pid, uid=task.group.creds.uid)
    if not 0 <= sig <= NSIG:
        raise KernelError(errno.EINVAL)
    if flags & PIDFD_SIGNAL_PROCESS_GROUP:
        targets = [g for g in task.kernel.groups.values() if g.pgid == group.pgid and g.exit_status is None]
    else:
        targets = [group]
    for target in targets:
        leader = next((t for t in target.tasks if t.tid == target.pid), None)
        kill_process(task, target, sig, payload, thread=leader if flags & PIDFD_SIGNAL_THREAD else None)
    return 0


@syscall
def sys_pidfd_getfd(task: Task, pidfd: int, targetfd: int, flags: int) -> int:
    """A duplicate of another process's descriptor `targetfd` (close-on-exec): EINVAL for flags, EPERM without
    ptrace access, EBADF if the target has no such descriptor (or has exited and closed them all)."""
    if flags & 0xFFFFFFFF:
        raise KernelError(errno.EINVAL)
    group = signal_target(task, pidfd)
    if not ptrace_may_access(task.group.creds, group.creds, bool(group.dumpable)):
        raise KernelError(errno.EPERM)
    if group.exit_status is not None:
        raise KernelError(errno.EBADF)
    file = group.fds.get(s32(targetfd))
    return task.group.fds.install(file, cloexec=True)
