"""The machine's init, pid 1: a process the kernel provides, as a container runtime's init (tini, docker --init)
is one, without any guest code.

- It is the parent of the program `pynix run` starts (pid 2: its getppid() is 1, as under a real init).
- It adopts orphans and reaps every child of its own as soon as it dies, as an init waiting in a wait() loop
  does (exit.py's forget_original_parent and _init_reaps).  It is the child reaper of the machine's pid
  namespace; a nested pid namespace's pid 1 is a guest process (task/pid_namespace.py).
- It is protected from signals as Linux protects an init that installed no handlers (SIGNAL_UNKILLABLE): every
  signal sent to it, SIGKILL and SIGSTOP included, is dropped; kill(-1, ...) skips it.  It runs as root, so
  another user's kill(1, ...) is EPERM.
- When the program ends, init ends with the program's wait status, and the machine with it (Kernel.run).

It never runs on the CPU: its one thread sleeps for ever, with an empty address space and no open files, as a
kernel thread shows in /proc (no command line, no executable).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from pynix.fs.file import FdTable
from pynix.fs.vfs import FsContext
from pynix.task.cred import Credentials
from pynix.task.pid_namespace import Pid
from pynix.task.task import Task, TaskState, ThreadGroup

if TYPE_CHECKING:
    from pynix.kernel import Kernel

INIT_PID = 1


def start_init(kernel: "Kernel", fs: FsContext) -> ThreadGroup:
    """Create pid 1 in the root directory `fs` and make it the kernel's init."""
    pid = kernel.alloc_pid()
    assert pid == INIT_PID, "init is the first process"
    init = ThreadGroup(pid=pid, parent=None, arch=kernel.arch, mm=kernel.new_mm(), fds=FdTable(), fs=fs, exe="",
                       creds=Credentials(), pgid=pid, sid=pid)
    task = Task(tid=pid, group=init, kernel=kernel, comm="init", nsproxy=kernel.init_nsproxy,
                pid_link=Pid(((kernel.init_pid_ns, pid),)))
    task.state = TaskState.SLEEPING           # on no wait queue and in no run queue: it never runs
    init.tasks.append(task)
    kernel.groups[pid], kernel.tasks[pid] = init, task
    kernel.init = kernel.init_pid_ns.child_reaper = init
    return init

