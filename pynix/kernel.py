"""The kernel object's state and its trap loop: scheduling, blocking and waking, timers, host descriptors and
host signals, and the trap handler.  The machine is built in boot.py; processes are created in task/fork.py,
end in task/exit.py and change program in task/exec.py.

Syscalls and resolvable page faults are served by the dispatcher and the TLB-fill callback while the guest runs.
Anything else that stops the running task -- it blocked, exited or exec'd, a signal is to be delivered, a fatal
fault, the end of its time slice -- goes to the trap handler `Kernel._on_stop`, which finishes the task's slice
(`_after_run`) and picks and switches to the next task (`_schedule`), like the return-to-user path of a real
kernel.  For a stop inside a syscall all of that happens within the syscall trap, without leaving the emulator.
`Kernel.run` is only the outer loop that idles while no task can run.

With several CPUs (pynix/smp.py) each runs that same loop on a host thread of its own -- the boot CPU in
`run`, the others in `_secondary` -- under the big kernel lock, which swaps the per-CPU fields below
(`current`, `cpu`, the slice state) to the CPU in the kernel; the scheduler then picks only tasks that CPU may
run (`Smp.eligible`).  Work that must touch the registers of
the stopped task (a forked child's context, a fresh exec image, rewinding a blocked syscall) is queued by the
syscall handler and done by `_after_run`.
"""
from __future__ import annotations

import errno
import heapq
import itertools
import math
import os
import select
import signal as host_signal
import time
from typing import TYPE_CHECKING, Callable, Protocol

from pynix.arch import Arch
from pynix.errors import KernelError
from pynix.hal import Cpu, PhysicalMemory, Trap, TrapKind
from pynix.ipc.util import IpcNamespace
from pynix.net.namespace import NetNamespace
from pynix.printk import KernelLog
from pynix.mm.address_space import AddressSpace
from pynix.mm.frame_alloc import FrameAllocator
from pynix.sync.wait import WaitQueue
from pynix.task import ptrace, rseq, signal
from pynix.task.exit import exit_group, fatal_trap
from pynix.smp import IDLE_RECHECK_S, Smp, SmpRunQueue
from pynix.task.sched import Scheduler
from pynix.task.task import Task, TaskState, ThreadGroup
from pynix.task.nsproxy import NsProxy
from pynix.task.pid_namespace import PidNamespace
from pynix.task.uts import UtsNamespace
from pynix.task.timer import check_rlimit_cpu
from pynix.uapi.signal import SIGBUS, SIGFPE, SIGILL, SIGKILL, SIGSEGV, SIGTRAP

if TYPE_CHECKING:
    from pynix.fs.vfs import MountTable
    from pynix.trace.tracepoints import Tracepoints

PID_MAX = 32768
MAX_TASKS = 4096                       # default kernel-wide task limit: a fork bomb gets EAGAIN, the kernel survives
HOST_POLL_NS = 10_000_000              # how often host descriptors are polled while guests compute

_TRAP_SIGNALS = {TrapKind.PAGE_FAULT: SIGSEGV, TrapKind.ILLEGAL_INSTRUCTION: SIGILL,
                 TrapKind.BREAKPOINT: SIGTRAP, TrapKind.DIVIDE_ERROR: SIGFPE, TrapKind.SINGLE_STEP: SIGTRAP,
                 TrapKind.WATCHPOINT: SIGTRAP}


class HostPoller(Protocol):
    """What watch_host_events polls for: the events wanted now, and what to do when some happened."""

    def host_interest(self) -> int: ...

    def host_ready(self, revents: int) -> None: ...


class Kernel:
    """The kernel's state (tasks, processes, timers, host descriptors) and its trap loop.  boot.py builds it
    over a machine's RAM and CPU and gives it its mount tree, init and the program."""

    def __init__(self, arch: Arch, ram: PhysicalMemory, frames: FrameAllocator, cpu: Cpu, scheduler: Scheduler,
                 pids_max: int = MAX_TASKS, smp: "Smp | None" = None, secondary: tuple[Cpu, ...] = ()) -> None:
        self.arch = arch
        self.ram = ram
        self.frames = frames
        self.cpu = cpu
        self.scheduler = scheduler
        self.mounts: MountTable | None = None     # the first mount namespace (boot.py: its filesystems need the kernel)
        self.tracer: Tracepoints | None = None    # pynix/trace: called at its tracepoints when set (Machine.trace)
        self.pids_max = pids_max
        self.boot_time = time.monotonic()
        self.tasks: dict[int, Task] = {}           # tid -> task, until released
        self.groups: dict[int, ThreadGroup] = {}   # pid -> process, until reaped
        self.init: ThreadGroup | None = None       # pid 1 (task/init.py): its end is the machine's
        self.program: ThreadGroup | None = None    # the program `pynix run` started: init's child
        self.current: Task | None = None
        self.futexes: dict[object, list] = {}      # futex key -> waiters (task/futex.py)
        self.init_pid_ns = PidNamespace(tasks=self.tasks)   # level 0: its numbers are the kernel's ids
        self.init_nsproxy: NsProxy | None = None   # the machine's first namespaces (set_root_mounts)
        self._timers: list[tuple[int, int, Callable[[], None]]] = []
        self._timer_seq = itertools.count()
        self._host_waits: dict[int, WaitQueue] = {}
        self._host_readers: dict[int, Callable[[], None]] = {}   # watch_host_fd: host fd -> callback
        self._host_pollers: dict[int, HostPoller] = {}            # watch_host_events: host fd -> its owner
        self.console = None                        # the console (tty/console.py) when run on a terminal
        self.ttys: list = []                       # every terminal device (tty/tty.py's Tty)
        self._after_stop: list[Callable[[], None]] = []
        self._host_signal_fd: int | None = None    # forward_host_signals: where the host's signals arrive
        self._host_signal_pending = False
        self._rewind = False
        self._until: Callable[[], bool] | None = None    # run's `until` while it runs
        self._slice_start = 0                      # perf_counter_ns() when the running slice was last charged
        self._slice_begin = 0                      # perf_counter_ns() when the running slice began
        self._last_pid = 0
        self._logged: set[str] = set()
        self.klog = KernelLog()                    # the kernel log: dmesg, /dev/kmsg, -v
        self.cpu_busy_ns = [0] * (1 + len(secondary))   # per CPU: time it ran tasks (/proc/stat)
        self.smp = smp                             # SMP (pynix/smp.py): the CPUs and the big kernel lock
        self._eligible = None                      # SMP: the scheduler's filter of what this CPU may run
        if smp is not None:
            self.scheduler = SmpRunQueue(scheduler, smp)
            self._eligible = smp.eligible
            smp.attach(self, (cpu,) + tuple(secondary))

    def set_root_mounts(self, mounts: "MountTable") -> None:
        """The machine's mount tree (boot.py), and with it its first namespaces: init's and the program's
        (task/nsproxy.py; tasks reach theirs through `task.nsproxy`)."""
        self.mounts = mounts
        self.init_nsproxy = NsProxy(uts=UtsNamespace(), ipc=IpcNamespace(), mnt=mounts,
                                    pid_for_children=self.init_pid_ns, net=NetNamespace())
        _ = mounts.inum, self.init_nsproxy.net.inum   # numbered first, as at a Linux boot (proc_alloc_inum)

    def online_cpus(self) -> int:
        """num_online_cpus(): the CPUs guest code runs on (sysfs's CPU lists, nproc, getcpu ask here)."""
        return len(self.cpu_busy_ns)

    def pick_next(self) -> Task | None:
        """The task the scheduler would run next on this CPU (on SMP: one this CPU may run, smp.eligible)."""
        return self.scheduler.pick_next(self._eligible)

    def kick(self, task: Task) -> None:
        """`task` has something to notice (a signal, a stop): if another CPU runs it, interrupt that CPU so
        that it enters the kernel (smp.py's IPI).  Nothing to do on one CPU."""
        if self.smp is not None:
            self.smp.kick_task(task)

    def log(self, message: str, console: bool = False) -> None:
        """printk: a record in the kernel log (pynix/printk.py), which the host sees under -v or --log; with
        `console`, a message explaining why the program failed, which always reaches stderr too."""
        self.klog.printk(message, console=console)

    def log_once(self, message: str) -> None:
        if message not in self._logged:
            self._logged.add(message)
            self.log(message)

    def alloc_pid(self) -> int:
        if len(self.tasks) >= self.pids_max:
            raise KernelError(errno.EAGAIN)
        pid = self._last_pid
        while True:                                # increasing, wrapping at pid_max, skipping ids in use
            pid = pid + 1 if pid + 1 < PID_MAX else 2
            if pid not in self.tasks and pid not in self.groups:
                self._last_pid = pid
                return pid

    def new_mm(self, mm: AddressSpace | None = None) -> AddressSpace:
        """Wire the address space `mm` (by default a new, empty one) to the CPU."""
        mm = mm or AddressSpace(self.arch, self.ram, self.frames)
        if self.smp is None:
            mm.on_code_freed = self.cpu.stop       # stale translations are dropped before guest code runs again
            mm.on_tlb_flush = self.cpu.flush_tlb   # (a flush for a space that is not current is only wasted)
        else:                                      # the CPU in the kernel, and the others that run `mm`
            mm.on_code_freed = lambda: self.cpu.stop()
            mm.on_tlb_flush = lambda: self.smp.tlb_flush(mm)
            mm.on_shared_map = lambda: self.cpu.stop()     # its run group may have changed: pick again
        if self.tracer is not None:                # traced: its faults and flushes are tracepoints too
            self._trace_mm(mm, self.tracer)
        return mm

    def _trace_mm(self, mm: AddressSpace, tracer: "Tracepoints") -> None:
        untraced = mm.on_tlb_flush

        def flush() -> None:
            tracer.tlb_flush("mapping change")
            untraced()
        mm.on_tlb_flush = flush
        mm.on_fault = tracer.page_fault

    # ------------------------------------------------------------------------------------------ blocking
    def block(self, task: Task, queues: tuple[WaitQueue, ...], deadline: int | None, data: object,
              rewind: bool = True) -> None:
        """Put the running task to sleep (see sync/wait.py).  With `rewind` its syscall runs again on wake-up."""
        task.restart_data = data
        task.state = TaskState.SLEEPING
        task.wait_queues = queues
        for q in queues:
            q.waiters.append(task)
        task.deadline = deadline
        task.timed_out = False
        if deadline is not None:
            self.add_timer(deadline, lambda: self._sleep_timeout(task, deadline))
        self.scheduler.dequeue(task)
        self._rewind = self._rewind or rewind
        self.cpu.stop()
        if rewind and signal.has_deliverable(task):   # a signal is already waiting: do not sleep through it
            task.interrupted = True
            self.wake(task)

    def stop_traced(self, task: Task, rewind: bool) -> None:
        """ptrace (task/ptrace.py): `task` stops in TASK_TRACED until its tracer resumes it; with `rewind`, the
        syscall it is in runs again then (the syscall-entry stop)."""
        task.state = TaskState.TRACED
        self.scheduler.dequeue(task)
        if task is self.current:
            self._rewind = self._rewind or rewind
            self.cpu.stop()
        else:
            self.kick(task)

    def wake(self, task: Task) -> None:
        if task.state is not TaskState.SLEEPING:
            return
        for q in task.wait_queues:
            if task in q.waiters:
                q.waiters.remove(task)
        task.wait_queues = ()
        task.deadline = None
        task.state = TaskState.RUNNABLE
        if self.tracer is not None:
            self.tracer.sched_wakeup(task)
        if not task.stopped:
            self.scheduler.enqueue(task)

    def host_fd_queue(self, fd: int) -> WaitQueue:
        """The queue of tasks waiting for host descriptor `fd` to become readable."""
        return self._host_waits.setdefault(fd, WaitQueue())

    def watch_host_fd(self, fd: int, callback: Callable[[], None] | None) -> None:
        """Call `callback` from the scheduler loop whenever host descriptor `fd` is readable, whether or not a
        task waits for it -- a device's receive interrupt (`None` stops watching).  The console uses it so that
        every key goes through the line discipline as it arrives and ^C reaches a busy program.  While anything
        is watched, guest time slices are cut to HOST_POLL_NS and an idle machine waits for input instead of
        reporting a deadlock (someone at the keyboard can still wake it)."""
        if callback is None:
            self._host_readers.pop(fd, None)
        else:
            self._host_readers[fd] = callback

    def watch_host_events(self, fd: int, owner: "HostPoller | None") -> None:
        """Poll host descriptor `fd` for the events `owner.host_interest()` names at each round of the host-I/O
        loop (none: not polled this round) and hand what happened to `owner.host_ready(revents)`; `None` stops.
        For a host object that is waited on both ways, such as a --net host socket (net/hostinet)."""
        if owner is None:
            self._host_pollers.pop(fd, None)
        else:
            self._host_pollers[fd] = owner

    def add_timer(self, deadline: int, callback: Callable[[], None]) -> None:
        """Call `callback` once CLOCK_MONOTONIC reaches `deadline` (ns).  Callbacks check themselves whether
        they still matter (a woken sleeper, a re-armed itimer), so nothing needs cancelling."""
        heapq.heappush(self._timers, (deadline, next(self._timer_seq), callback))
        # A running slice was sized before this deadline existed: end it after the current syscall, so that the
        # next one is cut at the deadline (a busy loop would otherwise run past it).  Harmless outside a slice.
        self.cpu.stop()

    def _sleep_timeout(self, task: Task, deadline: int) -> None:
        if task.state is TaskState.SLEEPING and task.deadline == deadline:
            task.timed_out = True
            self.wake(task)

    def _expire_timers(self) -> None:
        now = time.monotonic_ns()
        while self._timers and self._timers[0][0] <= now:
            _, _, callback = heapq.heappop(self._timers)
            callback()

    def forward_host_signals(self, signals: tuple[int, ...]) -> None:
        """Pass the host signals `signals` sent to pynix itself on to the machine, as qemu-user passes them to
        its guest: each goes to init's process group (so ^C on a terminal that is not the guest's console
        reaches the program).  Python runs a signal handler between any two bytecodes of the kernel, so the
        handler only raises a flag; the signal number reaches a pipe (signal.set_wakeup_fd), which also
        wakes an idle machine, and `_schedule` delivers it within a time slice."""
        read_end, write_end = os.pipe()
        os.set_blocking(read_end, False)
        os.set_blocking(write_end, False)
        self._host_signal_fd = read_end
        host_signal.set_wakeup_fd(write_end)

        def arrived(_signum: int, _frame: object) -> None:
            self._host_signal_pending = True
        for sig in signals:
            host_signal.signal(sig, arrived)

    def _deliver_host_signals(self) -> None:
        self._host_signal_pending = False
        try:
            numbers = os.read(self._host_signal_fd, 256)
        except BlockingIOError:
            return
        for sig in numbers:
            signal.kill_pgrp(self, self.program.pgid, sig, signal.SI_USER)

    def _poll_host(self, timeout: float | None) -> None:
        """Wake the tasks whose host descriptors are ready, waiting up to `timeout` seconds (None: forever)."""
        interest = {fd: select.POLLIN for fd, q in self._host_waits.items() if q.waiters or q.callbacks}
        for fd in self._host_readers:
            interest[fd] = select.POLLIN
        if self._host_signal_fd is not None:
            interest[self._host_signal_fd] = select.POLLIN
        for fd, owner in self._host_pollers.items():
            events = owner.host_interest()
            if events:
                interest[fd] = interest.get(fd, 0) | events
        smp = self.smp
        if smp is not None and timeout != 0:       # an idle CPU: another one's wake-up ends the wait too
            interest[smp.kick_read] = select.POLLIN
        if not interest:
            if timeout:
                time.sleep(timeout)
            return
        poller = select.poll()
        for fd, events in interest.items():
            poller.register(fd, events)
        if smp is not None and timeout != 0:
            with smp.unlocked():
                ready = poller.poll(None if timeout is None else math.ceil(timeout * 1000))
        else:
            ready = poller.poll(None if timeout is None else math.ceil(timeout * 1000))
        for fd, revents in ready:                  # (POLLNVAL: a closed descriptor -- its reader sees the error)
            if smp is not None and fd == smp.kick_read:
                smp.drain_kicks()
                continue
            if fd == self._host_signal_fd:
                self._host_signal_pending = True   # (the handler may not have run yet)
                continue
            owner = self._host_pollers.get(fd)
            if owner is not None:
                owner.host_ready(revents)
            if not revents & ~select.POLLOUT:
                continue                           # (only an owner asked for writability)
            callback = self._host_readers.get(fd)  # watched descriptors first (watch_host_fd) ...
            if callback is not None:
                callback()
            queue = self._host_waits.get(fd)       # ... then the tasks waiting for it
            if queue is not None:
                queue.wake_all()

    def after_stop(self, action: Callable[[], None]) -> None:
        """Run `action` once the CPU has stopped after the current syscall, when registers may be rewritten
        freely (x86's `syscall` adjusts RIP after the hook; a new context must come after that)."""
        self._after_stop.append(action)
        self.cpu.stop()

    # ----------------------------------------------------------------------------------------- the loop
    def _switch_to(self, task: Task) -> None:
        prev = self.current
        if prev is task:
            return
        if prev is not None and prev.state is not TaskState.ZOMBIE:
            self.cpu.update_context(prev.context)
            if prev.rseq and prev.state is TaskState.RUNNABLE:    # preempted (not asleep in a syscall): it
                prev.rseq_preempted = True                         # may have been inside a critical section
        self.current = task
        self.cpu.restore_context(task.context)
        if self.smp is not None:
            if prev is not None:
                self.smp.notify_idle()             # (prev's group may run elsewhere now)
            if task.cpu != self.cpu.index:         # a migration: its rseq area names the new CPU
                task.cpu = self.cpu.index
                if task.rseq:
                    try:
                        rseq.write_cpu_fields(task, task.cpu, task.cpu)
                    except KernelError:
                        pass                       # (an area unmapped since: the thread's own problem)
        mm = task.group.mm
        if prev is None or prev.group.mm is not mm or prev.state is TaskState.ZOMBIE:
            self.cpu.on_tlb_fill = mm.tlb_fill
            self.cpu.flush_tlb()
            if self.tracer is not None:
                self.tracer.tlb_flush("address space switch")

    def run(self, until: Callable[[], bool] | None = None) -> int | None:
        """Schedule until init has exited (when the program has, task/init.py); return its wait status.

        The CPU hands every stop to `_on_stop` (the trap handler), which finishes the task's slice and, usually
        without leaving the emulator, switches to the next task.  `cpu.run` returns here only when nothing can
        run: then the machine idles until a timer or a host descriptor wakes a task.

        `until` (the Python API's Machine.run): asked at every scheduling point, a True answer pauses the
        machine -- the running task's registers go back to its context and run returns None; a later run
        goes on from there."""
        self.cpu.on_stop = self._on_stop
        self._until = until
        init = self.init
        smp = self.smp
        if smp is not None:
            smp.start(self._secondary)             # (takes the kernel lock for this, the boot CPU)
        try:
            while init.exit_status is None:
                if until is not None and until():
                    self._park()
                    return None
                if self._schedule():
                    self.cpu.run()
                elif init.exit_status is None and not (until is not None and until()):
                    self._idle()
        finally:
            self._until = None
            if smp is not None:
                smp.stop()                         # the secondary CPUs park their tasks and end
        self.current = None
        return init.exit_status

    def _secondary(self) -> None:
        """A secondary CPU's loop (its own host thread, holding the kernel lock but while guest code runs or
        it idles): run what the scheduler gives it, else wait for a wake-up."""
        smp = self.smp
        self.cpu.on_stop = self._on_stop
        while self.init.exit_status is None and not smp.stopping:
            if self._schedule():
                self.cpu.run()
            elif self.init.exit_status is None and not smp.stopping:
                self._park()
                smp.idle_wait()
        self._park()

    def _park(self) -> None:
        """Pausing (run's `until`): the CPU's registers are the current task's; keep them in its context, so
        that the next switch to any task starts from saved contexts only."""
        task = self.current
        if task is not None and task.state is not TaskState.ZOMBIE:
            self.cpu.update_context(task.context)
        self.current = None
        if task is not None and self.smp is not None:
            self.smp.notify_idle()                 # (its group may run elsewhere now)

    def _schedule(self) -> bool:
        """Make the next runnable task current (Linux's schedule() plus the return to user mode): expire
        timers, look at host descriptors, pick a task, switch to it, deliver its signals, and arm its time
        slice.  False when no task can run now, or init has exited."""
        while self.init.exit_status is None:
            if self._until is not None and self._until():
                return False                       # run(until=...) pauses here
            if self.smp is not None and self.smp.stopping:
                return False
            if self._host_signal_pending:
                self._deliver_host_signals()
            if self._timers:
                self._expire_timers()
            if self._host_waits or self._host_readers:
                self._poll_host(0)
            task = self.pick_next()
            if task is None:
                if self.smp is not None:           # its registers go to its context now: the kernel lock is
                    self._park()                   # let go before this CPU idles, and others may resume it
                return False
            if self.tracer is not None:
                self.tracer.sched_switch(self.current, task)
            self._switch_to(task)
            if task.interrupted or task.pending or task.group.shared_pending or task.ptrace is not None:
                signal.deliver_signals(self, task)
                if task.state is not TaskState.RUNNABLE or task.stopped:
                    continue
                if task.ptrace is not None and task.ptrace.step:
                    self.cpu.single_step()             # PTRACE_SINGLESTEP: one instruction, then SIGTRAP
            if self.frames.stale_code:
                if self.smp is not None:
                    self.smp.code_freed(self.frames.stale_code)
                self.cpu.invalidate_code(self.frames.stale_code)
                self.frames.stale_code = []
            if self.smp is not None and self.smp.active.stale_code:
                self.cpu.invalidate_code(self.smp.take_stale_code())
            if task.rseq_preempted:
                task.rseq_preempted = False
                if not rseq.abort_critical_section(self, task):
                    rseq.rseq_fault(self, task)
                    continue
            self.cpu.set_timeslice(self._timeslice(task) // 1000)
            self._slice_start = self._slice_begin = time.perf_counter_ns()
            return True
        return False

    def _on_stop(self, trap: Trap) -> bool:
        """The trap handler: the current task stopped (`trap` says why).  Finish its slice, then schedule;
        True if a task (the same or another) is ready to run on the CPU."""
        task = self.current
        end = time.perf_counter_ns()
        if self.tracer is not None:
            self.tracer.sched_slice_end(task, trap)
        task.utime_ns += end - self._slice_start       # what account_running has not charged yet
        self.cpu_busy_ns[self.cpu.index] += end - self._slice_begin
        self._slice_start = 0
        self._charge_faults(task)
        self._after_run(task, trap, end - self._slice_begin)
        return self._schedule()

    def account_running(self) -> None:
        """Charge the running task for its slice so far, so that a CPU-time reading made from inside a syscall
        (getrusage, times, clock_gettime of a CPU clock) includes the time up to the call."""
        task = self.current
        if task is not None and self._slice_start:
            now = time.perf_counter_ns()
            task.utime_ns += now - self._slice_start
            self._slice_start = now
            self._charge_faults(task)

    @staticmethod
    def _charge_faults(task: Task) -> None:
        """Page faults are resolved while the task's slice is running: move the time they took (which its mm
        measured) from its user time to its system time, as Linux charges the fault handler's time to stime,
        and count them as the task's (min_flt, maj_flt: Linux's mm_account_fault charges `current`; a fault
        another process's access made here, ptrace or /proc/PID/mem, is counted as this task's)."""
        mm = task.mm
        if mm.min_flt or mm.maj_flt:
            task.min_flt += mm.min_flt
            task.maj_flt += mm.maj_flt
            mm.min_flt = mm.maj_flt = 0
        if mm.fault_ns:
            moved = min(mm.fault_ns, max(task.utime_ns, 0))
            mm.fault_ns = 0
            task.utime_ns -= moved
            task.stime_ns += moved

    def _timeslice(self, task: Task) -> int:
        """How long `task` may run before the kernel wants the CPU back: the rest of its time slice, cut short by
        the earliest timer and, while host descriptors are watched, by the host polling interval.  The tick
        runs even for a task alone on the run queue (as Linux's does): a task it wakes without blocking itself
        (a pipe write, a futex wake, a fork) then gets the CPU within a slice however long it computes."""
        limit = self.scheduler.timeslice_ns(task)
        if self._timers:
            limit = min(limit, self._timers[0][0] - time.monotonic_ns())
        if self._watching_host():
            limit = min(limit, HOST_POLL_NS)
        return max(limit, 1000)

    def _watching_host(self) -> bool:
        """Some host descriptor is watched (watch_host_fd) or has a task or callback waiting for it."""
        return bool(self._host_readers or self._host_waits
                    and any(q.waiters or q.callbacks for q in self._host_waits.values())
                    or self._host_pollers and any(owner.host_interest() for owner in self._host_pollers.values()))

    def _idle(self) -> None:
        """Nothing is runnable: sleep until the earliest timer or a host descriptor event.  With other CPUs
        (the boot CPU's idle loop), also until one of them makes a task runnable (the kick pipe); nothing to run
        here is no deadlock while another CPU runs a task or the run queue holds tasks only others may run."""
        timeout = None
        if self._timers:
            timeout = max(self._timers[0][0] - time.monotonic_ns(), 0) / 1e9
        smp = self.smp
        if smp is None:
            if timeout is None and not self._watching_host():
                self._deadlock()
                return
            self._poll_host(timeout)
            return
        self._park()                               # (its task may run on another CPU meanwhile)
        if smp.busy_elsewhere() or len(self.scheduler):   # (runnable tasks this CPU may not run: others may)
            timeout = IDLE_RECHECK_S if timeout is None else min(timeout, IDLE_RECHECK_S)
        elif timeout is None and not self._watching_host():
            self._deadlock()
            return
        smp.active.idle = True
        try:
            self._poll_host(timeout)
        finally:
            smp.active.idle = False

    def _deadlock(self) -> None:
        self.log("deadlock: every task is asleep with nothing that can wake it; stopping", console=True)
        exit_group(self, self.program, SIGKILL)

    def _after_run(self, task: Task, trap: Trap, ran: int) -> None:
        if self._rewind:                           # a blocked syscall: run the instruction again on wake-up
            self._rewind = False
            self.cpu.rewind_pc(self.arch.syscall_insn_size)
        if self._after_stop:
            actions, self._after_stop = self._after_stop, []
            for action in actions:
                action()
        if trap.kind is TrapKind.TIMER:
            if not self.cpu.exact_preemption:
                self.log_once("warning: this Unicorn build cannot be told to stop only between instructions; "
                              "a preempted read-modify-write instruction may take effect twice")
        sig = _TRAP_SIGNALS.get(trap.kind) if trap.kind is not TrapKind.KERNEL_STOP else None   # (an Enum's
        if sig is not None and task.state is not TaskState.ZOMBIE:                        # hash is Python code)
            if self.tracer is None or not self.tracer.trap_signal(task, trap, sig):   # (a debugger may take it)
                self._trap_signal(task, trap, sig)
        if task.state is TaskState.RUNNABLE and not task.stopped:
            check_rlimit_cpu(self, task.group)
            if task.pending or task.group.shared_pending:
                signal.deliver_signals(self, task)
            self.scheduler.tick(task, ran)

    def _trap_signal(self, task: Task, trap: Trap, sig: int) -> None:
        """A fault in user code: the signal goes to the faulting thread.  With a handler that does not block
        it, the handler runs (si_addr/si_code filled in); otherwise the process dies, as force_sig does."""
        if trap.kind is TrapKind.PAGE_FAULT and task.mm.bus_error(trap.addr):
            sig = SIGBUS                           # a file mapping past the end of its file (BUS_ADRERR below)
        action = task.group.sigactions.get(sig)
        addr = trap.addr if trap.kind is TrapKind.PAGE_FAULT else trap.pc
        code = 1                                   # SEGV_MAPERR, ILL_ILLOPC, FPE_INTDIV, TRAP_BRKPT
        if trap.kind is TrapKind.PAGE_FAULT and task.mm.find_vma(trap.addr) is not None:
            code = 2                               # SEGV_ACCERR: mapped, but not for this access
        elif trap.kind is TrapKind.BREAKPOINT:
            code = task.arch.breakpoint_si_code
        if task.ptrace is not None:                # traced: the tracer sees the signal before anything happens --
            if trap.kind is TrapKind.SINGLE_STEP:      # forced (unblocked, SIG_DFL if blocked or ignored), as
                if task.ptrace.step:                   # force_sig_fault does: a step out of raise(SIGSTOP) runs
                    signal.force_sig_info(self, task, sig, ptrace.step_done(task))   # with every signal blocked
                return
            signal.force_sig_info(self, task, sig, signal.siginfo(sig, code, addr=addr))
            return
        if action is not None and action.handler > signal.SIG_IGN and not task.sigmask & signal.bit(sig):
            if trap.kind is TrapKind.PAGE_FAULT:
                try:
                    task.mm.handle_fault(trap.addr, trap.access)
                except KernelError as err:
                    if err.errno == errno.ENOMEM:
                        fatal_trap(self, task, trap, SIGKILL)
                        return
            task.pending.setdefault(sig, []).append(signal.siginfo(sig, code, addr=addr))
            return
        fatal_trap(self, task, trap, sig)
