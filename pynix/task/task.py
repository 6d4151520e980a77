"""Task control blocks.

`Task` is a thread: its saved registers, thread id, signal mask, TLS-related addresses.  `ThreadGroup` is a
process: pid, address space, descriptor table, credentials, resource limits, signal handlers, exit status.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from pynix.arch import Arch
from pynix.fs.file import FdTable
from pynix.fs.vfs import FsContext
from pynix.hal import CpuContext
from pynix.mm.address_space import AddressSpace
from pynix.mm.mempolicy import MemPolicy
from pynix.sync.wait import WaitQueue
from pynix.task.cred import Credentials

if TYPE_CHECKING:
    from pynix.kernel import Kernel
    from pynix.task.ptrace import PtraceLink
    from pynix.task.seccomp import Seccomp
    from pynix.task.nsproxy import NsProxy
    from pynix.task.pid_namespace import Pid
    from pynix.task.signal import DeferredInfo
    from pynix.task.timer import IntervalTimer, PosixTimer

RLIM_INFINITY = (1 << 64) - 1
DEFAULT_TIMER_SLACK_NS = 50_000           # init's timer slack (include/linux/init_task.h)
# Resource limit numbers (include/uapi/asm-generic/resource.h; the same on riscv64 and x86_64).
RLIMIT_CPU, RLIMIT_STACK, RLIMIT_NPROC, RLIMIT_NOFILE = 0, 3, 6, 7


def default_rlimits() -> dict[int, tuple[int, int]]:
    """The limits a Linux login shell typically starts with (soft, hard), by RLIMIT_* number 0..15."""
    limits = {r: (RLIM_INFINITY, RLIM_INFINITY) for r in range(16)}
    limits[RLIMIT_STACK] = (8 << 20, RLIM_INFINITY)
    limits[RLIMIT_NOFILE] = (1024, 4096)
    limits[4] = (0, RLIM_INFINITY)           # RLIMIT_CORE
    limits[8] = (8 << 20, 8 << 20)           # RLIMIT_MEMLOCK
    limits[RLIMIT_NPROC] = (4096, 4096)
    limits[11] = (4096, 4096)                # RLIMIT_SIGPENDING
    limits[12] = (819200, 819200)            # RLIMIT_MSGQUEUE
    limits[13] = (0, 0)                      # RLIMIT_NICE
    limits[14] = (0, 0)                      # RLIMIT_RTPRIO
    return limits


class TaskState(enum.Enum):
    RUNNABLE = "R"
    SLEEPING = "S"
    ZOMBIE = "Z"          # exited; for a thread group, not yet reaped by its parent
    TRACED = "t"          # in a ptrace stop (task/ptrace.py): only its tracer (or SIGKILL) resumes it


@dataclass(eq=False)
class SigAction:
    handler: int = 0          # SIG_DFL
    flags: int = 0
    restorer: int = 0
    mask: int = 0


@dataclass(eq=False)
class ThreadGroup:
    pid: int
    parent: "ThreadGroup | None"
    arch: Arch
    mm: AddressSpace
    fds: FdTable
    fs: FsContext
    exe: str                              # host path of the executable (/proc/self/exe)
    creds: Credentials = field(default_factory=Credentials)
    rlimits: dict[int, tuple[int, int]] = field(default_factory=default_rlimits)
    sigactions: dict[int, SigAction] = field(default_factory=dict)
    pgid: int = 0
    sid: int = 0
    nice: int = 0
    exit_status: int | None = None        # a wait status: (code << 8) for exit, signal number if killed
    exit_signal: int = 17                 # sent to the parent on exit (SIGCHLD unless clone said otherwise)
    tasks: list["Task"] = field(default_factory=list)
    children: list["ThreadGroup"] = field(default_factory=list)
    child_exit: WaitQueue = field(default_factory=WaitQueue)   # wait4() sleeps here
    shared_pending: dict[int, list["bytes | DeferredInfo"]] = field(default_factory=dict)   # process-directed
    stopped: bool = False                 # job-control stop (SIGSTOP, SIGTSTP...)
    wait_report: int | None = None        # a stop/continue wait status not yet collected by the parent
    itimers: dict[int, "IntervalTimer"] = field(default_factory=dict)   # setitimer/alarm, by ITIMER_* number
    posix_timers: dict[int, "PosixTimer"] = field(default_factory=dict)  # timer_create, by timer id
    next_timer_id: int = 0
    signalfd_wait: WaitQueue = field(default_factory=WaitQueue)   # signalfd readers/pollers: a signal was queued
    # prctl state (syscall/prctl.py)
    dumpable: int = 1                     # PR_SET_DUMPABLE (SUID_DUMP_USER)
    no_new_privs: bool = False            # PR_SET_NO_NEW_PRIVS: sticky, inherited, kept across exec
    child_subreaper: bool = False         # PR_SET_CHILD_SUBREAPER: orphaned descendants are re-parented here
    thp_disable: bool = False             # PR_SET_THP_DISABLE (inherited over fork and exec)
    mce_kill: int = 2                     # PR_MCE_KILL policy: PR_MCE_KILL_DEFAULT, or LATE (0) / EARLY (1)
    membarrier_registered: int = 0        # MEMBARRIER_CMD_REGISTER_* commands done (syscall/membarrier.py)
    personality: int = 0                  # personality(2): PER_LINUX plus flags (inherited, kept across exec)
    oom_score_adj: int = 0                # /proc/PID/oom_score_adj (inherited); below oom_score_adj_min only
    oom_score_adj_min: int = 0            # with CAP_SYS_RESOURCE, whose writes also set the minimum
    utime_ns: int = 0                     # CPU time of exited threads (live threads keep their own)
    stime_ns: int = 0
    children_utime_ns: int = 0            # reaped children, for getrusage(RUSAGE_CHILDREN) and times()
    children_stime_ns: int = 0
    min_flt: int = 0                      # page faults of exited threads, minor and major (signal_struct's)
    maj_flt: int = 0
    cmin_flt: int = 0                     # of reaped children (and theirs): RUSAGE_CHILDREN, stat's cminflt
    cmaj_flt: int = 0
    ptraced: list["Task"] = field(default_factory=list)   # the tasks this process traces (task/ptrace.py)
    exit_notify_pending: bool = False     # exited, but the real parent hears of it once the tracer has

    @property
    def ppid(self) -> int:
        return self.parent.pid if self.parent is not None else 0

    def inherit_prctl(self, parent: "ThreadGroup") -> None:
        """The prctl state a forked child inherits (dumpable, no_new_privs, THP, MCE policy; the securebits
        and capability sets are in the credentials)."""
        self.dumpable, self.no_new_privs = parent.dumpable, parent.no_new_privs
        self.thp_disable, self.mce_kill = parent.thp_disable, parent.mce_kill

    @property
    def live_tasks(self) -> list["Task"]:
        return [t for t in self.tasks if t.state is not TaskState.ZOMBIE]

    def cpu_time_ns(self) -> tuple[int, int]:
        """(user, system) CPU time of the whole process: its exited threads plus the live ones."""
        live = self.live_tasks
        return self.utime_ns + sum(t.utime_ns for t in live), self.stime_ns + sum(t.stime_ns for t in live)

    def fault_counts(self) -> tuple[int, int]:
        """(minor, major) page faults of the whole process: its exited threads plus the live ones."""
        live = self.live_tasks
        return self.min_flt + sum(t.min_flt for t in live), self.maj_flt + sum(t.maj_flt for t in live)


@dataclass(eq=False)
class IoContext:
    """struct io_context: the I/O priority (class << 13 | level) a task's requests carry (syscall/ioprio.py)."""
    ioprio: int


@dataclass(eq=False)
class Task:
    tid: int
    group: ThreadGroup
    kernel: "Kernel"
    context: CpuContext | None = None
    state: TaskState = TaskState.RUNNABLE
    sigmask: int = 0
    clear_child_tid: int = 0
    robust_list: int = 0
    robust_list_len: int = 0
    comm: str = ""                        # the thread's name (TASK_COMM_LEN - 1 bytes): set by exec, PR_SET_NAME
    pdeath_signal: int = 0                # PR_SET_PDEATHSIG: sent to this process when its parent dies
    rseq: int = 0                         # the registered struct rseq (task/rseq.py), its length and signature
    rseq_len: int = 0
    rseq_sig: int = 0
    rseq_preempted: bool = False          # preempted since it last ran: check for a critical section to abort
    timer_slack_ns: int = DEFAULT_TIMER_SLACK_NS           # PR_SET_TIMERSLACK (kept and reported, not applied)
    default_timer_slack_ns: int = DEFAULT_TIMER_SLACK_NS   # what PR_SET_TIMERSLACK 0 restores: the creator's slack
    cpus_allowed: int = -1                # sched_setaffinity's mask: bit n = may run on CPU n (inherited)
    cpu: int = 0                          # the CPU it last ran on (Linux's task_cpu)
    # signals (task/signal.py)
    pending: dict[int, list["bytes | DeferredInfo"]] = field(default_factory=dict)   # thread-directed signals
    saved_sigmask: int | None = None      # the mask to restore after sigsuspend/ppoll's temporary one
    sigwait: int = 0                      # signals rt_sigtimedwait is waiting for
    altstack_sp: int = 0
    altstack_size: int = 0
    altstack_flags: int = 0
    interrupted: bool = False             # a signal woke this task from a blocking syscall
    stopped: bool = False
    # blocking (sync/wait.py)
    restart_data: object = None           # what a blocked syscall kept for its re-run
    restartable: bool = True              # may SA_RESTART restart the syscall it sleeps in
    on_interrupt: Callable[[], int] | None = None   # result of that syscall if a handler interrupts it
    wait_queues: tuple[WaitQueue, ...] = ()
    deadline: int | None = None           # CLOCK_MONOTONIC ns at which a sleep ends
    timed_out: bool = False
    vfork_done: WaitQueue | None = None   # the vfork parent sleeps here until this child execs or exits
    # ptrace (task/ptrace.py): the tracer link
    ptrace: "PtraceLink | None" = None
    # Linux's syscall_work: every syscall of this task takes the dispatcher's slow path (traced or under
    # seccomp), so that other tasks' calls test one flag and nothing else.  Kept by update_syscall_work.
    syscall_work: bool = False
    # accounting
    utime_ns: int = 0
    stime_ns: int = 0
    min_flt: int = 0                      # page faults this thread took: resolved without I/O (minor),
    maj_flt: int = 0                      # or after reading the page from its file (major)
    vruntime: int = 0                     # for the CFS policy
    # scheduling class (task/sched.py): SCHED_* policy, real-time priority 1..99, SCHED_RESET_ON_FORK
    policy: int = 0
    rt_priority: int = 0
    sched_reset_on_fork: bool = False
    io_context: "IoContext | None" = None   # ioprio_set's I/O priority; shared with CLONE_IO children
    mempolicy: "MemPolicy | None" = None    # set_mempolicy's NUMA policy (mm/mempolicy.py); None: default
    seccomp: "Seccomp | None" = None      # task/seccomp.py: None is SECCOMP_MODE_DISABLED

    def update_syscall_work(self) -> None:
        """Call after `ptrace` or `seccomp` changed."""
        self.syscall_work = self.ptrace is not None or self.seccomp is not None
    # namespaces (task/nsproxy.py, task/pid_namespace.py): set when the task is created
    nsproxy: "NsProxy" = None               # its UTS, IPC, mount and network namespaces, children's pid one
    pid_link: "Pid" = None                  # its pid numbers, one per pid namespace level

    @property
    def mm(self) -> AddressSpace:
        return self.group.mm

    @property
    def arch(self) -> Arch:
        return self.group.arch
