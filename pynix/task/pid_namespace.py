"""Pid namespaces (Linux's kernel/pid.c and kernel/pid_namespace.c): nested pid numbering.

Every task has a `Pid` (struct pid): one number per level, from the machine's namespace (level 0) down to the
namespace it was created in, its active one.  The kernel keys its tables by the level-0 number (`Task.tid`,
`ThreadGroup.pid`, pgids and sids): the syscall layer translates what crosses the boundary -- `pid_vnr` gives
the number a task has in the caller's namespace (0 when it is not visible there, as for the parent of a
namespace's first process), `find_vpid` looks a number up in it.

The first process created in a namespace is its pid 1, its child reaper: orphans of the namespace are re-parented
to it; signals whose action is the default one are not delivered to it from inside the namespace (SIGKILL and
SIGSTOP from an ancestor namespace are); when it exits every other process of the namespace is killed
(`zap_pid_ns_processes`) and no process can be created in it any more (fork: ENOMEM).
"""
from __future__ import annotations

import errno
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from pynix.errors import KernelError
from pynix.fs.ns_common import NsCommon
from pynix.uapi.sched import CLONE_NEWPID
from pynix.uapi.signal import SIGKILL, SIGSTOP

if TYPE_CHECKING:
    from pynix.kernel import Kernel
    from pynix.task.task import Task, ThreadGroup

PID_MAX = 32768                         # (as the kernel's own allocator, kernel.py)
MAX_PID_NS_LEVEL = 32
NO_PID = 1 << 40                        # a kernel id no task has (kernel_id's answer for an unknown number)


@dataclass(eq=False)
class PidNamespace(NsCommon):
    parent: "PidNamespace | None" = None
    level: int = 0
    tasks: "dict[int, Task]" = field(default_factory=dict)   # number here -> task (level 0: the kernel's table)
    last_pid: int = 0
    child_reaper: "ThreadGroup | None" = None               # its pid 1 (level 0: the kernel's init)
    adding: bool = True                                     # PIDNS_ADDING: false once its pid 1 has exited

    ns_type = CLONE_NEWPID
    ns_name = "pid"
    init_inum = 0xEFFFFFFC

    def ns_parent(self) -> "PidNamespace | None":
        return self.parent

    def _alloc_nr(self) -> int:
        nr = self.last_pid
        for _ in range(PID_MAX):
            nr = nr + 1 if nr + 1 < PID_MAX else 2
            if nr not in self.tasks:
                self.last_pid = nr
                return nr
        raise KernelError(errno.EAGAIN)


@dataclass(frozen=True, eq=False)
class Pid:
    """struct pid: (namespace, number) per level, level 0 first; the last is the task's active namespace."""
    numbers: tuple[tuple[PidNamespace, int], ...]

    @property
    def ns(self) -> PidNamespace:
        return self.numbers[-1][0]

    def nr_in(self, ns: PidNamespace) -> int:
        """pid_nr_ns: the number in `ns`, 0 when the task is not visible there."""
        if ns.level < len(self.numbers) and self.numbers[ns.level][0] is ns:
            return self.numbers[ns.level][1]
        return 0


def create_pid_ns(parent: PidNamespace, owner: object) -> PidNamespace:
    """create_pid_namespace: a child of `parent`, for pids of children created after it (EUSERS past 32
    levels)."""
    if parent.level + 1 >= MAX_PID_NS_LEVEL:
        raise KernelError(errno.EUSERS)
    ns = PidNamespace(parent=parent, level=parent.level + 1)
    ns.mark_copied(owner)
    return ns


def alloc_pid(kernel: "Kernel", ns: PidNamespace) -> Pid:
    """A number in `ns` and in each of its ancestors (level 0: the kernel's own allocator, which also enforces
    the task limit); ENOMEM when a namespace on the way has lost its pid 1."""
    chain = []
    cur: PidNamespace | None = ns
    while cur is not None:
        if not cur.adding:
            raise KernelError(errno.ENOMEM)
        chain.append(cur)
        cur = cur.parent
    chain.reverse()
    numbers = [(chain[0], kernel.alloc_pid())]
    numbers += [(level_ns, level_ns._alloc_nr()) for level_ns in chain[1:]]
    return Pid(tuple(numbers))


def attach_pid(task: "Task", pid: Pid, thread: bool) -> None:
    """Register `task` under its numbers in the nested namespaces (level 0 is the kernel's own table); a new
    process that is number 1 of its namespace becomes the namespace's child reaper."""
    task.pid_link = pid
    for ns, nr in pid.numbers[1:]:
        ns.tasks[nr] = task
    if not thread and pid.ns.level > 0 and pid.numbers[-1][1] == 1:
        pid.ns.child_reaper = task.group


def detach_pid(task: "Task") -> None:
    """The task is released: its numbers in the nested namespaces are free again."""
    for ns, nr in task.pid_link.numbers[1:]:
        if ns.tasks.get(nr) is task:
            del ns.tasks[nr]


def task_active_pid_ns(task: "Task") -> PidNamespace:
    return task.pid_link.ns


def group_pid(group: "ThreadGroup") -> Pid:
    """The process's pid: its leader's (the first task of the group)."""
    return group.tasks[0].pid_link


def pid_vnr(caller: "Task", kernel_id: int) -> int:
    """The number the task or process with level-0 id `kernel_id` has in `caller`'s namespace (0: none)."""
    ns = caller.pid_link.ns
    if ns.level == 0:
        return kernel_id
    target = caller.kernel.tasks.get(kernel_id)
    return target.pid_link.nr_in(ns) if target is not None else 0


def find_vpid(caller: "Task", nr: int) -> "Task | None":
    """find_task_by_vpid: the task numbered `nr` in `caller`'s namespace."""
    ns = caller.pid_link.ns
    return ns.tasks.get(nr) if ns.level > 0 else caller.kernel.tasks.get(nr)


def vpid_to_kernel(caller: "Task", nr: int) -> int | None:
    """The level-0 id of the task `nr` names in `caller`'s namespace (None: no such task there)."""
    task = find_vpid(caller, nr)
    return task.tid if task is not None else None


def in_ns(group: "ThreadGroup", ns: PidNamespace) -> bool:
    return bool(group.tasks) and group_pid(group).nr_in(ns) != 0


def child_reaper(kernel: "Kernel", group: "ThreadGroup") -> "ThreadGroup | None":
    """Who adopts the orphans of exiting `group`: its namespace's pid 1, or None when that is `group` itself
    (its namespace is being torn down)."""
    ns = group_pid(group).ns
    reaper = ns.child_reaper if ns.level > 0 else kernel.init
    return None if reaper is group else reaper


def zap_pid_ns_processes(kernel: "Kernel", ns: PidNamespace, kill: "Callable[[ThreadGroup], None]") -> None:
    """The namespace's pid 1 is exiting: no new process may enter, and every other one is killed by SIGKILL
    (`kill(group)`), nested namespaces included."""
    ns.adding = False
    for task in list(ns.tasks.values()):
        group = task.group
        if group is not ns.child_reaper and group.exit_status is None:
            kill(group)


def signal_unkillable(sender: "Task", group: "ThreadGroup", sig: int, handler_default: bool) -> bool:
    """A pid namespace's pid 1 ignores a signal with the default action (SIGNAL_UNKILLABLE) unless it is
    SIGKILL or SIGSTOP sent from an ancestor namespace (sig_task_ignored with `force`)."""
    if not group.tasks:
        return False
    ns = group_pid(group).ns
    if ns.level == 0 or ns.child_reaper is not group or not handler_default:
        return False
    from_outside = sender.pid_link.ns is not ns and not sender.pid_link.ns.is_visible_from(ns)
    return not (from_outside and sig in (SIGKILL, SIGSTOP))


def kernel_id(caller: "Task", nr: int) -> int:
    """The level-0 id of what `nr` names in `caller`'s pid namespace -- a task, or a process group or session
    whose leader still exists -- and NO_PID (which names nothing) when nothing there has that number."""
    if caller.pid_link.ns.level == 0 or nr <= 0:
        return nr
    task = find_vpid(caller, nr)
    return task.tid if task is not None else NO_PID
