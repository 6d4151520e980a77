"""Blocking: wait queues and the `Block` request a syscall handler raises when it must wait.

A handler that cannot complete yet raises `Block(queue..., deadline=..., data=...)`.  The dispatcher puts the
task to sleep on those queues and rewinds its program counter onto the syscall instruction, so when the task is
woken (by a queue, its deadline, or later a signal) it simply executes the same syscall again with the same
arguments -- Linux's -ERESTARTSYS idea.  `data` is kept in `task.restart_data` for that second run (a sleep's
absolute deadline, how much of a write was already done, whether a futex waiter was woken), and cleared when a
syscall completes.  A signal that arrives while a task sleeps turns the restart into EINTR unless SA_RESTART.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from pynix.task.task import Task


class WaitQueue:
    """Tasks sleeping until some condition may have changed (data in a pipe, a child exiting...), and the
    callbacks of waiters that are not tasks (epoll registrations: Linux's wait_queue_entry with a func).

    `events` is the POLL* bits a wake-up of this queue announces (Linux's wake-up key: a pipe's read queue says
    POLLIN); 0 means "anything may have changed".  Callbacks get it on every wake-up, one or all."""

    __slots__ = ("waiters", "events", "callbacks")

    def __init__(self, events: int = 0) -> None:
        self.waiters: list["Task"] = []
        self.events = events
        self.callbacks: list[Callable[[int], None]] = []

    def wake_all(self, key: int | None = None) -> None:
        """Wake every waiter; `key` overrides the queue's events for this wake-up (Linux's wake_up_poll: a
        pipe's writers hear EPOLLERR when the last reader goes)."""
        if self.waiters:
            for task in list(self.waiters):
                task.kernel.wake(task)
        if self.callbacks:
            self._notify(self.events if key is None else key)

    def _notify(self, key: int) -> None:
        """Every callback with the wake-up key, except that of the exclusive ones (marked `exclusive`, Linux's
        WQ_FLAG_EXCLUSIVE) only those up to the first that returns True (it woke a waiter of its own) are called."""
        woke_exclusive = False
        for callback in list(self.callbacks):
            if woke_exclusive and getattr(callback, "exclusive", False):
                continue
            if callback(key):
                woke_exclusive = True

    def wake_one(self) -> bool:
        if self.callbacks:
            self._notify(self.events)
        if self.waiters:
            task = self.waiters[0]
            task.kernel.wake(task)
            return True
        return False


class Block(Exception):
    """Raised by a syscall handler: sleep on `queues` (and/or until `deadline`, a CLOCK_MONOTONIC time in ns),
    then run the syscall again.

    `restartable=False` marks syscalls that a signal handler always interrupts with EINTR, even under
    SA_RESTART (nanosleep, poll, select, pause, sigsuspend -- Linux's ERESTARTNOHAND).  `on_interrupt`, if
    given, computes the syscall's result when a handler interrupts it (the bytes a write already moved,
    nanosleep's remaining time); the default result is -EINTR."""

    def __init__(self, *queues: WaitQueue, deadline: int | None = None, data: object = None,
                 restartable: bool = True, on_interrupt: "Callable[[], int] | None" = None) -> None:
        super().__init__("block")
        self.queues = queues
        self.deadline = deadline
        self.data = data
        self.restartable = restartable
        self.on_interrupt = on_interrupt
