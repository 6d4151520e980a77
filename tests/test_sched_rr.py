"""The round-robin run queue (task/sched.py): FIFO order, yield moves only the head to the back, a task is
queued once, and removing one from the middle keeps the others' order."""
from __future__ import annotations

from pynix.task.sched import TIMESLICE_NS, RoundRobin


class _Task:
    """What the queue uses of a task: its identity and its tid."""
    def __init__(self, tid: int) -> None:
        self.tid = tid


def _tasks(n: int) -> list:
    return [_Task(i) for i in range(n)]


def test_fifo_yield_and_dequeue_keep_the_order():
    rr, (a, b, c, d) = RoundRobin(), _tasks(4)
    for t in (a, b, c, a):                      # a twice: queued once
        rr.enqueue(t)
    assert len(rr) == 3 and rr.pick_next() is a
    rr.yield_(b)                                # not the head (with several CPUs, one runs past the head):
    assert rr.pick_next() is a and list(rr.queue) == [a, c, b]      # it goes to the back all the same
    rr.yield_(a)
    assert [rr.pick_next()] == [c] and list(rr.queue) == [c, b, a]
    rr.dequeue(c)
    rr.enqueue(d)
    assert list(rr.queue) == [b, a, d]
    rr.dequeue(c)                               # not queued: nothing happens
    for _ in range(3):
        rr.dequeue(rr.pick_next())
    assert rr.pick_next() is None and len(rr) == 0


def test_tick_preempts_after_a_slice_and_rotates():
    rr, (a, b) = RoundRobin(), _tasks(2)
    rr.enqueue(a)
    rr.enqueue(b)
    assert rr.tick(a, TIMESLICE_NS // 2) is False and rr.timeslice_ns(a) == TIMESLICE_NS - TIMESLICE_NS // 2
    assert rr.tick(a, TIMESLICE_NS // 2) is True and rr.pick_next() is b
    assert rr.timeslice_ns(a) == TIMESLICE_NS
