"""Schedulers: who runs next.  The kernel talks to a policy only through this interface:

    enqueue(task)    a task became runnable          dequeue(task)  it stopped being runnable
    pick_next()      the task to run now (or None)   tick(task, ran_ns)  it used CPU time; True = preempt it
    yield_(task)     it gave up the CPU voluntarily  timeslice_ns(task) how long it may run before a tick

Two policies prove the interface: round robin (the default) and a simplified CFS that honours nice values.
"""
from __future__ import annotations

import heapq
import itertools
from collections import deque
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pynix.task.task import Task

TIMESLICE_NS = 10_000_000          # 10 ms, a typical Linux timeslice at HZ=100..1000


class Scheduler:
    def enqueue(self, task: "Task") -> None:
        raise NotImplementedError

    def dequeue(self, task: "Task") -> None:
        raise NotImplementedError

    def pick_next(self) -> "Task | None":
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
    """One FIFO run queue; the running task stays at the head until its slice is used up or it blocks."""

    def __init__(self) -> None:
        self.queue: deque["Task"] = deque()
        self.used: dict[int, int] = {}

    def enqueue(self, task: "Task") -> None:
        if task not in self.queue:
            self.queue.append(task)

    def dequeue(self, task: "Task") -> None:
        if task in self.queue:
            self.queue.remove(task)
        self.used.pop(task.tid, None)

    def pick_next(self) -> "Task | None":
        return self.queue[0] if self.queue else None

    def tick(self, task: "Task", ran_ns: int) -> bool:
        used = self.used.get(task.tid, 0) + ran_ns
        if used < TIMESLICE_NS:
            self.used[task.tid] = used
            return False
        self.used.pop(task.tid, None)
        self.yield_(task)
        return True

    def yield_(self, task: "Task") -> None:
        if self.queue and self.queue[0] is task:
            self.queue.rotate(-1)

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

    def pick_next(self) -> "Task | None":
        return self.heap[0][2] if self.heap else None

    def tick(self, task: "Task", ran_ns: int) -> bool:
        weight = NICE_TO_WEIGHT[task.group.nice + 20]
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


POLICIES = {"rr": RoundRobin, "cfs": Cfs}
