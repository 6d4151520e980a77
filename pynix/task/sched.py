"""Schedulers: who runs next.  The kernel talks to a policy only through this interface:

    enqueue(task)    a task became runnable          dequeue(task)  it stopped being runnable
    pick_next(eligible)  the task to run now (or None): on SMP the first, in the policy's order, that
                     `eligible(task)` accepts (one run queue shared by every CPU, see pynix/smp.py)
                                                     tick(task, ran_ns)  it used CPU time; True = preempt it
    yield_(task)     it gave up the CPU voluntarily  timeslice_ns(task) how long it may run before a tick

Two policies prove the interface: round robin (the default) and a simplified CFS that honours nice values.
Either serves the normal tasks (SCHED_OTHER, SCHED_BATCH, SCHED_IDLE) under `SchedClasses`, which puts Linux's
real-time class in front of it: a runnable SCHED_FIFO or SCHED_RR task always runs before every normal one, the
highest priority (1..99) first; FIFO tasks run until they block or yield, RR tasks of one priority take turns
every RR_TIMESLICE.  (Linux's RT throttling -- 5% of each second left to normal tasks -- is not modelled, and a
waking RT task preempts at the next tick rather than at once.)
"""
from __future__ import annotations

import heapq
import itertools
from collections import OrderedDict, deque
from typing import TYPE_CHECKING, Callable, Iterable

if TYPE_CHECKING:
    from pynix.task.task import Task

Eligible = Callable[["Task"], bool]


def _first(tasks: Iterable["Task"], eligible: Eligible) -> "Task | None":
    return next((t for t in tasks if eligible(t)), None)

TIMESLICE_NS = 10_000_000          # 10 ms, a typical Linux timeslice at HZ=100..1000
RR_TIMESLICE_NS = 100_000_000      # SCHED_RR's quantum (Linux's RR_TIMESLICE, 100 ms)

# Scheduling policies (include/uapi/linux/sched.h)
SCHED_OTHER, SCHED_FIFO, SCHED_RR, SCHED_BATCH, SCHED_IDLE, SCHED_DEADLINE = 0, 1, 2, 3, 5, 6
RT_POLICIES = (SCHED_FIFO, SCHED_RR)


class Scheduler:
    def enqueue(self, task: "Task") -> None:
        raise NotImplementedError

    def dequeue(self, task: "Task") -> None:
        raise NotImplementedError

    def pick_next(self, eligible: Eligible | None = None) -> "Task | None":
        raise NotImplementedError

    def tick(self, task: "Task", ran_ns: int) -> bool:
        raise NotImplementedError

    def yield_(self, task: "Task") -> None:
        raise NotImplementedError

    def timeslice_ns(self, task: "Task") -> int:
        return TIMESLICE_NS

    def __len__(self) -> int:
        raise NotImplementedError


class RoundRobin(Scheduler):
    """One FIFO run queue; the running task stays at the head until its slice is used up or it blocks.  The
    queue is an OrderedDict of tasks, so adding, removing, rotating and picking are all O(1): a wake-up or a
    block costs the same with 2 or 1,000 runnable tasks (a deque's membership test and remove scan it)."""

    def __init__(self) -> None:
        self.queue: OrderedDict["Task", None] = OrderedDict()
        self.used: dict[int, int] = {}

    def enqueue(self, task: "Task") -> None:
        self.queue.setdefault(task, None)

    def dequeue(self, task: "Task") -> None:
        self.queue.pop(task, None)
        self.used.pop(task.tid, None)

    def pick_next(self, eligible: Eligible | None = None) -> "Task | None":
        if eligible is not None:
            return _first(self.queue, eligible)
        return next(iter(self.queue), None)

    def tick(self, task: "Task", ran_ns: int) -> bool:
        used = self.used.get(task.tid, 0) + ran_ns
        if used < TIMESLICE_NS:
            self.used[task.tid] = used
            return False
        self.used.pop(task.tid, None)
        self.yield_(task)
        return True

    def yield_(self, task: "Task") -> None:
        if task in self.queue:                     # (SMP: also a task another CPU's ran past)
            self.queue.move_to_end(task)

    def timeslice_ns(self, task: "Task") -> int:
        return TIMESLICE_NS - self.used.get(task.tid, 0)

    def __len__(self) -> int:
        return len(self.queue)


# Linux's sched_prio_to_weight: nice -20..19 -> load weight (nice 0 = 1024, each step ~1.25x).
NICE_TO_WEIGHT = [
    88761, 71755, 56483, 46273, 36291, 29154, 23254, 18705, 14949, 11916,
    9548, 7620, 6100, 4904, 3906, 3121, 2501, 1991, 1586, 1277,
    1024, 820, 655, 526, 423, 335, 272, 215, 172, 137,
    110, 87, 70, 56, 45, 36, 29, 23, 18, 15,
]
WEIGHT_IDLEPRIO = 3                # a SCHED_IDLE task's weight, below nice 19's


class Cfs(Scheduler):
    """A simplified Completely Fair Scheduler: run the task with the least virtual runtime, where virtual
    runtime advances by real runtime * 1024 / weight(nice).  A task that wakes up starts no further back than
    the current minimum, so sleepers cannot hoard credit."""

    def __init__(self) -> None:
        self.heap: list[tuple[int, int, "Task"]] = []
        self.queued: set[int] = set()
        self.counter = itertools.count()
        self.min_vruntime = 0

    def enqueue(self, task: "Task") -> None:
        if task.tid in self.queued:
            return
        task.vruntime = max(task.vruntime, self.min_vruntime)
        heapq.heappush(self.heap, (task.vruntime, next(self.counter), task))
        self.queued.add(task.tid)

    def dequeue(self, task: "Task") -> None:
        if task.tid in self.queued:
            self.queued.discard(task.tid)
            self.heap = [e for e in self.heap if e[2] is not task]
            heapq.heapify(self.heap)

    def pick_next(self, eligible: Eligible | None = None) -> "Task | None":
        if eligible is not None:
            return _first((e[2] for e in sorted(self.heap, key=lambda e: e[:2])), eligible)
        return self.heap[0][2] if self.heap else None

    def tick(self, task: "Task", ran_ns: int) -> bool:
        weight = WEIGHT_IDLEPRIO if task.policy == SCHED_IDLE else NICE_TO_WEIGHT[task.group.nice + 20]
        task.vruntime += ran_ns * 1024 // weight
        if task.tid in self.queued:
            self.dequeue(task)
            self.enqueue(task)
        self.min_vruntime = max(self.min_vruntime, self.heap[0][0] if self.heap else task.vruntime)
        return self.pick_next() is not task

    def yield_(self, task: "Task") -> None:
        if task.tid in self.queued and len(self.heap) > 1:
            task.vruntime = max(task.vruntime, max(e[0] for e in self.heap))
            self.dequeue(task)
            self.enqueue(task)

    def timeslice_ns(self, task: "Task") -> int:
        return max(TIMESLICE_NS // max(len(self.heap), 1), 1_000_000)

    def __len__(self) -> int:
        return len(self.heap)


class SchedClasses(Scheduler):
    """The real-time class (per-priority FIFO queues) in front of a policy for the normal tasks."""

    def __init__(self, fair: Scheduler) -> None:
        self.fair = fair
        self.rt: dict[int, deque["Task"]] = {}          # priority -> runnable RT tasks, head runs
        self.rr_used: dict[int, int] = {}               # tid -> ns of its RR quantum used

    def _rt_queue(self, task: "Task") -> "deque[Task] | None":
        queue = self.rt.get(task.rt_priority)
        return queue if queue is not None and task in queue else None

    def enqueue(self, task: "Task") -> None:
        if task.policy in RT_POLICIES:
            queue = self.rt.setdefault(task.rt_priority, deque())
            if task not in queue:
                queue.append(task)
        else:
            self.fair.enqueue(task)

    def dequeue(self, task: "Task") -> None:
        queue = self._rt_queue(task)
        if queue is not None:
            queue.remove(task)
            if not queue:
                del self.rt[task.rt_priority]
        else:
            self.fair.dequeue(task)
        self.rr_used.pop(task.tid, None)

    def pick_next(self, eligible: Eligible | None = None) -> "Task | None":
        if eligible is not None:
            for priority in sorted(self.rt, reverse=True):
                task = _first(self.rt[priority], eligible)
                if task is not None:
                    return task
            return self.fair.pick_next(eligible)
        if self.rt:
            return self.rt[max(self.rt)][0]
        return self.fair.pick_next()

    def tick(self, task: "Task", ran_ns: int) -> bool:
        if task.policy not in RT_POLICIES:
            preempt = self.fair.tick(task, ran_ns)
            return preempt or bool(self.rt)
        if task.policy == SCHED_RR:
            used = self.rr_used.get(task.tid, 0) + ran_ns
            if used >= RR_TIMESLICE_NS:
                used = 0
                self.yield_(task)
            self.rr_used[task.tid] = used
        return self.pick_next() is not task

    def yield_(self, task: "Task") -> None:
        queue = self._rt_queue(task)
        if queue is None:
            self.fair.yield_(task)
        elif queue[0] is task:
            queue.rotate(-1)

    def timeslice_ns(self, task: "Task") -> int:
        if task.policy == SCHED_RR:
            return RR_TIMESLICE_NS - self.rr_used.get(task.tid, 0)
        if task.policy == SCHED_FIFO:
            return RR_TIMESLICE_NS                      # no quantum: a tick only checks for higher priorities
        return self.fair.timeslice_ns(task)

    def __len__(self) -> int:
        return sum(len(q) for q in self.rt.values()) + len(self.fair)

    def set_policy(self, task: "Task", policy: int, priority: int) -> None:
        """sched_setscheduler's __setscheduler: a runnable task moves to its new class and place (at the tail
        of its new priority's queue)."""
        from pynix.task.task import TaskState
        runnable = task.state is TaskState.RUNNABLE and not task.stopped
        if runnable:
            self.dequeue(task)
        task.policy, task.rt_priority = policy, priority
        if runnable:
            self.enqueue(task)


def sched_fork(parent: "Task", child: "Task") -> None:
    """A new task inherits its creator's policy and priority; SCHED_RESET_ON_FORK gives it SCHED_OTHER (and a
    negative nice back to 0) instead, and the flag does not pass on (Linux's sched_fork)."""
    scheduler = child.kernel.scheduler
    if parent.sched_reset_on_fork:
        if child.group is not parent.group and child.group.nice < 0:
            child.group.nice = 0
        policy, priority = (SCHED_OTHER, 0) if parent.policy in RT_POLICIES else (parent.policy, 0)
    else:
        policy, priority = parent.policy, parent.rt_priority
    if (policy, priority) != (child.policy, child.rt_priority):
        scheduler.set_policy(child, policy, priority)


POLICIES = {"rr": lambda: SchedClasses(RoundRobin()), "cfs": lambda: SchedClasses(Cfs())}
