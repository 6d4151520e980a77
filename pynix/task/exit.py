"""Ending threads and processes (Linux's kernel/exit.c): do_exit for one thread, do_group_exit, exit_notify
(the parent's SIGCHLD or an autoreap), forget_original_parent (orphans go to a subreaper or init), release of
a reaped zombie, and the death of a process from a fault it has no handler for."""
from __future__ import annotations

import errno
import signal as host_signal
from typing import TYPE_CHECKING

from pynix.errors import KernelError
from pynix.hal import Trap, TrapKind
from pynix.mm.uaccess import copy_to_user
from pynix.task import ptrace, seccomp, signal
from pynix.task.fork import release_mm, vfork_release
from pynix.task.futex import exit_robust_list, futex_wake
from pynix.task.pid_namespace import child_reaper, detach_pid, group_pid, in_ns, zap_pid_ns_processes
from pynix.task.task import Task, TaskState, ThreadGroup

if TYPE_CHECKING:
    from pynix.kernel import Kernel


def do_exit(kernel: "Kernel", task: Task) -> None:
    """What every dying thread does (Linux's do_exit up to exit_notify)."""
    if task.state is TaskState.ZOMBIE:
        return
    if task.state is TaskState.SLEEPING:
        kernel.wake(task)
    kernel.scheduler.dequeue(task)
    task.state = TaskState.ZOMBIE
    # pthread_join waits on this word; as in Linux's mm_release, it is cleared only while other tasks still
    # use the address space (a process's last thread leaves it alone).
    if task.clear_child_tid and task.mm.users > 1:
        try:
            copy_to_user(task.mm, task.clear_child_tid, bytes(4))
            futex_wake(task, task.clear_child_tid, 1)
        except KernelError:
            pass
    if task.robust_list:
        exit_robust_list(task)
    vfork_release(task)
    if task is kernel.current:
        kernel.account_running()               # its slice so far: time and page faults
    group = task.group
    group.utime_ns += task.utime_ns
    group.stime_ns += task.stime_ns
    group.min_flt += task.min_flt
    group.maj_flt += task.maj_flt
    release_mm(task.mm)
    if task is kernel.current:
        kernel.cpu.stop()


def exit_thread(kernel: "Kernel", task: Task, wait_status: int) -> None:
    """exit(): this thread ends; the last one out ends the process with `wait_status`."""
    group = task.group
    do_exit(kernel, task)
    if task.ptrace is not None:
        ptrace.tracee_exited(kernel, task, wait_status)
    if group.live_tasks:
        if task.tid != group.pid:              # a non-leader thread is released at once
            group.tasks.remove(task)
            kernel.tasks.pop(task.tid, None)
            seccomp.seccomp_filter_release(task)
            detach_pid(task)
        return
    _exit_notify(kernel, group, wait_status)


def exit_group(kernel: "Kernel", group: ThreadGroup, wait_status: int) -> None:
    """End every thread of `group` with `wait_status` (Linux's do_group_exit)."""
    for task in list(group.tasks):
        do_exit(kernel, task)
    for task in group.tasks:
        if task.ptrace is not None and task.ptrace.exit_status is None:
            ptrace.tracee_exited(kernel, task, wait_status)
    _exit_notify(kernel, group, wait_status)


def kill_group(kernel: "Kernel", group: ThreadGroup, sig: int) -> None:
    """Terminate `group` by signal `sig` (its default action, whatever the handler): the wait status says so,
    with the core-dump bit where Linux would have dumped core (signal.death_status)."""
    exit_group(kernel, group, signal.death_status(group, sig))


def _exit_notify(kernel: "Kernel", group: ThreadGroup, wait_status: int) -> None:
    """The process is dead: close its files, hand its children on, and tell its parent (or reap it at once
    when the parent will not wait)."""
    if group.exit_status is not None:
        return
    group.exit_status = wait_status
    group.tasks[0].nsproxy.ipc.exit_sem(group.pid)     # SEM_UNDO adjustments
    if kernel.tracer is not None:
        kernel.tracer.sched_process_exit(group, wait_status)
    group.fds.users -= 1
    if group.fds.users == 0:
        group.fds.close_all()
    ns = group_pid(group).ns
    if ns.level > 0 and ns.child_reaper is group:      # a pid namespace's pid 1: the namespace dies with it
        zap_pid_ns_processes(kernel, ns, lambda g: kill_group(kernel, g, signal.SIGKILL))
    forget_original_parent(kernel, group)
    ptrace.tracer_exited(kernel, group)
    if not ptrace.defers_parent(group):
        notify_exit(kernel, group)


def notify_exit(kernel: "Kernel", group: ThreadGroup) -> None:
    """Tell the parent of dead `group` (or reap it at once when the parent will not wait); for a traced
    process, once its tracer has collected its exit (task/ptrace.py)."""
    wait_status = group.exit_status
    parent = group.parent
    if parent is None:
        return
    if parent is kernel.init:
        _init_reaps(kernel, group)
        return
    action = parent.sigactions.get(signal.SIGCHLD)
    # Nobody will wait (SIGCHLD ignored, or SA_NOCLDWAIT): no zombie.  An ignored SIGCHLD is not sent at
    # all; SA_NOCLDWAIT with a handler still runs it (Linux's do_notify_parent autoreap).
    ignored = action is not None and action.handler == signal.SIG_IGN
    if not ignored:
        if wait_status & 0x7F:
            code = signal.CLD_DUMPED if wait_status & 0x80 else signal.CLD_KILLED
            signal.notify_parent(kernel, group, code, wait_status & 0x7F)
        else:
            signal.notify_parent(kernel, group, signal.CLD_EXITED, wait_status >> 8)
    if ignored or (action is not None and action.flags & signal.SA_NOCLDWAIT):
        reap(kernel, group, account=False)
        parent.child_exit.wake_all()


def _init_reaps(kernel: "Kernel", child: ThreadGroup) -> None:
    """init (task/init.py) collects a dead child at once, as its wait() loop would.  When that is the
    machine's program, init itself ends with the program's wait status, which ends the machine."""
    reap(kernel, child)
    if child is kernel.program:
        kernel.init.exit_status = child.exit_status


def forget_original_parent(kernel: "Kernel", group: ThreadGroup) -> None:
    """The children of exiting `group` get a new parent: the nearest living ancestor in the same pid namespace
    that made itself a child subreaper (PR_SET_CHILD_SUBREAPER), else the namespace's pid 1 (the machine's
    init at level 0); those that asked for it (PR_SET_PDEATHSIG) are sent their parent-death signal, as from
    the dying parent.  The children of a pid namespace's dying pid 1 are all dead already
    (zap_pid_ns_processes): it reaps them itself, as its last wait() does."""
    ns_reaper = child_reaper(kernel, group)
    ns = group_pid(group).ns
    reaper = group.parent
    while reaper is not None and reaper is not ns_reaper and in_ns(reaper, ns) \
            and not (reaper.child_subreaper and reaper.exit_status is None):
        reaper = reaper.parent
    if reaper is None or not in_ns(reaper, ns):
        reaper = ns_reaper
    for child in list(group.children):
        if reaper is None and child.exit_status is not None:
            reap(kernel, child)                     # the namespace's end: its pid 1 collects its dead
            continue
        adopter = reaper or kernel.init
        if adopter is not group:
            child.parent = adopter
            adopter.children.append(child)
            if adopter is kernel.init and child.exit_status is not None:
                _init_reaps(kernel, child)          # a zombie orphan: init's wait() collects it
            elif child.exit_status is not None:
                adopter.child_exit.wake_all()       # a zombie orphan for a namespace's pid 1 to wait for
        for thread in child.tasks:
            if thread.pdeath_signal:
                signal.send_signal(kernel, child, thread.pdeath_signal,
                                   signal.siginfo(thread.pdeath_signal, signal.SI_USER, pid=group.pid,
                                                  uid=group.creds.uid))
    group.children = []


def reap(kernel: "Kernel", group: ThreadGroup, account: bool = True) -> None:
    """Release a zombie process after its parent collected its status (or chose not to).  A collected child's
    usage -- CPU time and page faults, its own and its reaped children's -- is added to the parent's children
    totals (Linux's wait_task_zombie); a child nobody waits for (`account` False: SIGCHLD ignored,
    SA_NOCLDWAIT) adds nothing, as in Linux."""
    parent = group.parent
    if parent is not None:
        if group in parent.children:
            parent.children.remove(group)
        if account:
            parent.children_utime_ns += group.utime_ns + group.children_utime_ns
            parent.children_stime_ns += group.stime_ns + group.children_stime_ns
            parent.cmin_flt += group.min_flt + group.cmin_flt
            parent.cmaj_flt += group.maj_flt + group.cmaj_flt
    for task in group.tasks:
        kernel.tasks.pop(task.tid, None)
        seccomp.seccomp_filter_release(task)
        if task.ptrace is not None:            # reaped by a parent that was its tracer too
            ptrace.unlink(kernel, task)
        detach_pid(task)
    kernel.groups.pop(group.pid, None)


def fatal_trap(kernel: "Kernel", task: Task, trap: Trap, sig: int) -> None:
    """A fault nobody handles kills the process with `sig` (SIGKILL when the fault was running out of
    memory, as Linux's OOM killer), with one line in the kernel log saying what faulted where."""
    what = f"{trap.kind.value} at pc {trap.pc:#x}"
    if trap.kind is TrapKind.PAGE_FAULT:
        access = {1: "read", 2: "write", 4: "execute"}.get(trap.access, "access")
        what = f"{access} of {trap.addr:#x} at pc {trap.pc:#x}"
        try:                                    # ask the fault path again why it failed
            task.mm.handle_fault(trap.addr, trap.access)
        except KernelError as err:
            if err.errno == errno.ENOMEM:       # Linux's OOM killer: SIGKILL, not SIGSEGV
                sig, what = signal.SIGKILL, f"out of memory ({what})"
    kernel.log(f"pid {task.group.pid} killed by {host_signal.Signals(sig).name}: {what}",
               console=sig == signal.SIGKILL)       # an OOM kill says why on stderr; a crash is in the log
    kill_group(kernel, task.group, sig)
