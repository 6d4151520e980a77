"""Symmetric multiprocessing (`pynix run --cpus N`): several CPUs, each a hal Cpu -- its own Unicorn instance over
the one RAM buffer -- on a host thread of its own, running guest code in parallel (the emulator releases the
GIL while guest code runs).  docs/smp.md (the text for DESIGN.md's SMP section) has the whole argument and
the measurements; in short:

- **The big kernel lock** (Linux 2.0's): every kernel entry -- each hook the hal hands to the kernel (syscall,
  TLB fill, interrupt, watchpoint) and the trap handling after `emu_start` returns -- takes `Smp.lock`, and a CPU
  lets it go only while it runs guest code or idles.  So only one CPU is ever in the kernel, and taking the lock
  makes it the kernel's CPU: the kernel's per-CPU fields (`kernel.current`, `kernel.cpu` and the trap loop's
  slice state, `PER_CPU_FIELDS`) are swapped to the entering CPU's (`PerCpu`), and the rest of the kernel, which
  reads `kernel.current` and `kernel.cpu`, needs no change.  The lock is re-entrant: the kernel itself makes the
  emulator call its TLB-fill hook (code invalidation).
- **What Unicorn cannot do**: its TCG never runs in QEMU's parallel mode (`curr_cflags()` is 0, so CF_PARALLEL
  is never set), and an x86 `lock` instruction, a riscv64 AMO or LR/SC pair is a plain load-op-store: two
  instances over shared memory lose updates (tests/test_smp.py keeps that measured).  So two CPUs never run
  guest code at the same time in address spaces that share writable memory: `run_key` puts an address space
  in a group -- its own, or the one group of every space with a shared writable mapping (MAP_SHARED, SysV shm,
  memfd: conservative, one group for all of them) -- and a CPU only picks a task whose group no other CPU is
  running (`Smp.eligible`).  Threads of one process therefore run on one CPU at a time; separate processes run
  in parallel.
- **One run queue** shared by every CPU (the policy's, task/sched.py) with that constraint and the tasks' CPU
  affinity applied at pick time: load balancing is implicit.
- **Coherence**: each CPU has its own TLB and translated code.  A mapping change of an address space flushes the
  TLB of the CPU in the kernel at once and, on each other CPU running that space, at its next kernel entry (a
  pending flag plus a kick -- emu_stop, the IPI).  Between the kick and that CPU's entry it may still run the
  rest of a translated block with the old translation (Linux waits for the IPI's acknowledgement; a CPU holding
  the kernel lock here cannot).  Freed code frames are invalidated on every CPU before it next runs guest code
  (each is kicked into its scheduler).
- **Wake-ups and signals**: a task made runnable wakes an idle CPU (a condition, or the boot CPU's kick pipe
  while it polls host descriptors); a signal for a task running on another CPU kicks that CPU.
"""
from __future__ import annotations

import os
import threading
import weakref
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Iterator

from pynix.hal import Cpu
from pynix.mm.address_space import PROT_WRITE

if TYPE_CHECKING:
    from pynix.kernel import Kernel
    from pynix.mm.address_space import AddressSpace
    from pynix.task.sched import Eligible, Scheduler
    from pynix.task.task import Task

MAX_CPUS = 8
IDLE_RECHECK_S = 0.05          # an idle CPU looks at the run queue again at least this often (a safety net)

# The Kernel attributes that belong to the CPU in the kernel: swapped when another CPU takes the lock.
PER_CPU_FIELDS = ("current", "cpu", "_rewind", "_after_stop", "_slice_start", "_slice_begin")

SHARED_WRITABLE = "shared-writable"     # the run group of every address space with a shared writable mapping


def max_cpus() -> int:
    """The most CPUs a machine may have: MAX_CPUS, and no more than the host has cores."""
    return max(1, min(MAX_CPUS, os.cpu_count() or 1))


def _close_pipe(*fds: int) -> None:
    for fd in fds:
        os.close(fd)


def default_cpus() -> int:
    """The CPU count when none is asked for: $PYNIX_CPUS (so that a whole test suite can run on N CPUs), else 1;
    within max_cpus()."""
    try:
        wanted = int(os.environ.get("PYNIX_CPUS", "1"))
    except ValueError:
        wanted = 1
    return max(1, min(wanted, max_cpus()))


def run_key(mm: "AddressSpace") -> object:
    """The group of address spaces among which at most one runs guest code at any time (see the module
    docstring): the space itself, or SHARED_WRITABLE if it maps anything shared that is or may become
    writable."""
    for vma in mm.vmas:
        if vma.shared and (vma.prot & PROT_WRITE or vma.may_write):
            return SHARED_WRITABLE
    return mm


@dataclass(eq=False)
class PerCpu:
    """One CPU's state (Linux's per-CPU runqueue `rq` plus `current`): its hal Cpu, and the kernel's per-CPU
    fields while another CPU is in the kernel."""
    index: int
    cpu: Cpu
    saved: dict = field(default_factory=dict)   # PER_CPU_FIELDS while this CPU is not the kernel's
    flush_pending: bool = False                 # its TLB is stale: flush at its next kernel entry
    stale_code: list[int] = field(default_factory=list)   # freed code frames its emulator may still hold
    idle: bool = False
    busy_ns: int = 0                            # time spent running tasks (/proc/stat's per-CPU lines)
    thread: threading.Thread | None = None


class Smp:
    """The CPUs of a machine, the big kernel lock, and the rules of who may run where.  Its `enter`/`leave`
    are the hal's KernelEntry."""

    def __init__(self) -> None:
        self.kernel: "Kernel | None" = None
        self.lock = threading.RLock()
        self.wakeup = threading.Condition(self.lock)   # idle secondary CPUs wait here
        self.cpus: list[PerCpu] = []
        self.active: PerCpu | None = None             # the CPU in the kernel (holding the lock)
        self.stopping = False                          # Kernel.run is ending: secondary CPUs return
        self._by_cpu: dict[int, PerCpu] = {}
        self.kick_read, self.kick_write = os.pipe()     # wakes the boot CPU out of its host poll
        os.set_blocking(self.kick_read, False)
        os.set_blocking(self.kick_write, False)
        # (the API makes many machines: a dropped one closes its pipe too)
        self._close_kicks = weakref.finalize(self, _close_pipe, self.kick_read, self.kick_write)

    def close(self) -> None:
        """Give the kick pipe back to the host (Machine.close); idempotent.  The machine cannot run afterwards."""
        self._close_kicks()

    def attach(self, kernel: "Kernel", cpus: tuple[Cpu, ...]) -> None:
        """The kernel's CPUs: the first is the boot CPU (the one in the kernel to begin with)."""
        self.kernel = kernel
        for cpu in cpus:
            pc = PerCpu(len(self.cpus), cpu)
            self.cpus.append(pc)
            self._by_cpu[id(cpu)] = pc
            pc.saved = dict(current=None, cpu=cpu, _rewind=False, _after_stop=[], _slice_start=0, _slice_begin=0)
        self.active = self.cpus[0]

    # ------------------------------------------------------------------------- the secondary CPUs' threads
    def start(self, loop: Callable[[], None]) -> None:
        """Kernel.run begins: take the lock for the boot CPU and start a host thread per secondary CPU, each
        running `loop` (Kernel._secondary) as that CPU."""
        self.enter(self.cpus[0].cpu)
        self.stopping = False
        for pc in self.cpus[1:]:
            pc.thread = threading.Thread(target=self._thread, args=(pc, loop), name=f"pynix-cpu{pc.index}",
                                         daemon=True)
            pc.thread.start()

    def _thread(self, pc: PerCpu, loop: Callable[[], None]) -> None:
        self.enter(pc.cpu)
        try:
            loop()
        finally:
            self.notify_idle()                     # (the machine may be over: let the boot CPU see it)
            self.leave(pc.cpu)

    def stop(self) -> None:
        """Kernel.run ends (the boot CPU holds the lock): the secondary CPUs park their tasks and end."""
        self.stopping = True
        for pc in self.cpus[1:]:
            pc.cpu.kick()
        self.wakeup.notify_all()
        with self.unlocked():
            for pc in self.cpus[1:]:
                if pc.thread is not None:
                    pc.thread.join()
                    pc.thread = None
        self.stopping = False
        self.leave(self.cpus[0].cpu)

    def idle_wait(self) -> None:
        """A secondary CPU with nothing to run: wait (without the lock) for a wake-up, then be the kernel's
        CPU again."""
        pc = self.active
        pc.idle = True
        self.wakeup.wait(IDLE_RECHECK_S)           # (Condition.wait retakes the lock, not through enter)
        pc.idle = False
        if self.active is not pc:
            self._switch_cpu(pc)
        if pc.flush_pending:
            pc.flush_pending = False
            pc.cpu.flush_tlb()

    def drain_kicks(self) -> None:
        try:
            os.read(self.kick_read, 4096)
        except BlockingIOError:
            pass

    # ------------------------------------------------------------------------------ the big kernel lock
    def enter(self, cpu: Cpu) -> None:
        """A kernel entry on `cpu`: take the lock, make `cpu` the kernel's CPU, apply a pending TLB flush."""
        self.lock.acquire()
        pc = self._by_cpu[id(cpu)]
        if self.active is not pc:
            self._switch_cpu(pc)
        if pc.flush_pending:
            pc.flush_pending = False
            cpu.flush_tlb()

    def leave(self, cpu: Cpu) -> None:
        self.lock.release()

    def _switch_cpu(self, pc: PerCpu) -> None:
        kernel = self.kernel
        old = self.active
        old.saved = {name: getattr(kernel, name) for name in PER_CPU_FIELDS}
        for name, value in pc.saved.items():
            setattr(kernel, name, value)
        self.active = pc

    @contextmanager
    def unlocked(self) -> Iterator[None]:
        """Let other CPUs into the kernel while this one waits for the host (an idle poll)."""
        cpu = self.kernel.cpu
        self.leave(cpu)
        try:
            yield
        finally:
            self.enter(cpu)

    # ---------------------------------------------------------------------------------- who runs where
    def others(self) -> Iterator[PerCpu]:
        return (pc for pc in self.cpus if pc is not self.active)

    def eligible(self, task: "Task") -> bool:
        """May the CPU in the kernel run `task`?  Its affinity allows this CPU, and no other CPU runs it or an
        address space of its run group (see run_key)."""
        if not task.cpus_allowed >> self.active.index & 1:
            return False
        key = None
        for pc in self.others():
            current = pc.saved["current"]
            if current is None:
                continue
            if current is task:
                return False
            if key is None:
                key = run_key(task.group.mm)
            if run_key(current.group.mm) is key:
                return False
        return True

    def running_on(self, task: "Task") -> PerCpu | None:
        """The other CPU whose current task `task` is, if any."""
        for pc in self.others():
            if pc.saved["current"] is task:
                return pc
        return None

    def busy_elsewhere(self) -> bool:
        """Another CPU has a task (so an empty run queue here is no deadlock)."""
        return any(pc.saved["current"] is not None for pc in self.others())

    # ------------------------------------------------------------------------------------------ IPIs
    def notify_idle(self) -> None:
        """A task became runnable (or eligible): wake the idle CPUs to look at the run queue."""
        for pc in self.others():
            if pc.idle:
                if pc.index == 0:
                    try:
                        os.write(self.kick_write, b"k")
                    except BlockingIOError:
                        pass
                else:
                    self.wakeup.notify_all()

    def kick_task(self, task: "Task") -> None:
        """`task` has news (a signal, a stop) and may be running on another CPU: interrupt that CPU."""
        pc = self.running_on(task)
        if pc is not None:
            pc.cpu.kick()

    def tlb_flush(self, mm: "AddressSpace") -> None:
        """`mm`'s translations changed: flush the TLB of the CPU in the kernel now (as one CPU always has: a
        flush for a space it is not running is only wasted), and of every other CPU running `mm` at its next
        kernel entry, kicking it there."""
        self.kernel.cpu.flush_tlb()
        for pc in self.others():
            current = pc.saved["current"]
            if current is not None and current.group.mm is mm:
                pc.flush_pending = True
                pc.cpu.kick()

    def code_freed(self, frames: list[int]) -> None:
        """Frames that held code were freed (before their reuse): every other CPU drops its translations of
        them before it runs guest code again."""
        for pc in self.others():
            pc.stale_code.extend(frames)
            pc.cpu.kick()

    def take_stale_code(self) -> list[int]:
        """The freed code frames the CPU in the kernel has not yet invalidated (see code_freed)."""
        frames, self.active.stale_code = self.active.stale_code, []
        return frames


class SmpRunQueue:
    """The one run queue of every CPU: the scheduling policy's, which also wakes the idle CPUs whenever a task
    becomes runnable."""

    def __init__(self, policy: "Scheduler", smp: Smp) -> None:
        self.policy = policy
        self.smp = smp

    def enqueue(self, task: "Task") -> None:
        self.policy.enqueue(task)
        self.smp.notify_idle()

    def dequeue(self, task: "Task") -> None:
        self.policy.dequeue(task)

    def pick_next(self, eligible: "Eligible | None" = None) -> "Task | None":
        return self.policy.pick_next(eligible)

    def tick(self, task: "Task", ran_ns: int) -> bool:
        return self.policy.tick(task, ran_ns)

    def yield_(self, task: "Task") -> None:
        self.policy.yield_(task)

    def timeslice_ns(self, task: "Task") -> int:
        return self.policy.timeslice_ns(task)

    def __len__(self) -> int:
        return len(self.policy)

    def __getattr__(self, name: str) -> object:     # the policy's own (SchedClasses.set_policy)
        return getattr(self.policy, name)
