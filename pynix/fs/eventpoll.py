"""epoll instances (Linux's fs/eventpoll.c).

An `EventPoll` keeps one `EpItem` per registered (open file, descriptor number) pair.  An item hangs a callback
on the wait queues the file names in `poll_queues` (Linux's ep_ptable_queue_proc); a wake-up of one of them
whose key matches the item's events puts the item on the ready list and wakes the instance's own queue (where
epoll_wait sleeps, and what makes an epoll file pollable and nestable).  Collecting events re-asks each ready
file for its `poll_mask`, as ep_send_events does: level-triggered items go back to the tail of the ready list,
edge-triggered ones leave it until the next wake-up, EPOLLONESHOT disables the item until EPOLL_CTL_MOD.
Items whose open file description is released (last descriptor closed) are removed (`eventpoll_release`).

An EPOLLEXCLUSIVE item hangs an exclusive callback (task/wait.py): a wake-up of the file's queue goes to the
exclusive items in registration order only until one whose instance has a sleeper in epoll_wait is woken
(Linux's ep_poll_callback returning ewake); the items before it are still made ready.

Differences from Linux: every epoll_wait sleeper of one instance is woken where Linux wakes one at a time (each
re-checks the ready list and sleeps again if another took the events, so what they return is the same),
EPOLLWAKEUP is accepted and ignored (no autosleep), and max_user_watches is not enforced.
"""
from __future__ import annotations

import errno
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pynix.errors import KernelError
from pynix.fs.anon_inodes import AnonInodeFile
from pynix.fs.file import File
from pynix.sync.wait import WaitQueue
from pynix.uapi.fcntl import O_NONBLOCK, O_RDWR
from pynix.uapi.poll import POLLIN, POLLRDNORM

if TYPE_CHECKING:
    from pynix.task.task import Task

EPOLLIN, EPOLLOUT, EPOLLERR, EPOLLHUP = 0x1, 0x4, 0x8, 0x10
EPOLLEXCLUSIVE, EPOLLWAKEUP, EPOLLONESHOT, EPOLLET = 1 << 28, 1 << 29, 1 << 30, 1 << 31
EP_PRIVATE_BITS = EPOLLWAKEUP | EPOLLONESHOT | EPOLLET | EPOLLEXCLUSIVE
EPOLLEXCLUSIVE_OK_BITS = EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE
EP_MAX_NESTS = 4                     # deepest chain of epoll instances watching epoll instances


def file_can_poll(file: File) -> bool:
    """Linux's file_can_poll: the file has a poll method.  Here: it names wait queues (regular files and
    directories do not, so epoll refuses them with EPERM)."""
    return type(file).poll_queues is not File.poll_queues


@dataclass(eq=False)
class EpItem:
    """One registration (Linux's struct epitem)."""
    ep: "EventPoll"
    file: File
    fd: int
    events: int
    data: int
    queues: tuple[WaitQueue, ...] = field(default=())

    def woken(self, key: int) -> None:
        """A queue of the file was woken (Linux's ep_poll_callback)."""
        if not self.events & ~EP_PRIVATE_BITS:
            return                                   # disabled by EPOLLONESHOT
        if key and not key & self.events:
            return                                   # a wake-up for events this item does not watch
        self.ep.make_ready(self)

    def woken_exclusive(self, key: int) -> bool:
        """The same for an EPOLLEXCLUSIVE item: True if it woke a sleeper of its instance for an event it
        watches, which ends the exclusive part of the wake-up."""
        if not self.events & ~EP_PRIVATE_BITS or key and not key & self.events:
            return False
        sleepers = bool(self.ep.queue.waiters)
        self.ep.make_ready(self)
        return sleepers
    woken_exclusive.exclusive = True                 # type: ignore[attr-defined]

    @property
    def callback(self):
        return self.woken_exclusive if self.events & EPOLLEXCLUSIVE else self.woken

    def revents(self) -> int:
        return self.file.poll_mask() & self.events


class EventPoll(AnonInodeFile):
    """An epoll instance (Linux's struct eventpoll)."""

    anon_name = b"eventpoll"

    def __init__(self, flags: int) -> None:
        super().__init__(O_RDWR | (flags & O_NONBLOCK))
        self.items: dict[tuple[File, int], EpItem] = {}
        self.ready: dict[EpItem, None] = {}          # the ready list, in order (an ordered set)
        self.queue = WaitQueue(POLLIN | POLLRDNORM)  # epoll_wait sleepers and pollers of this instance

    # ------------------------------------------------------------------------------------ registrations
    def find(self, file: File, fd: int) -> EpItem | None:
        return self.items.get((file, fd))

    def insert(self, task: "Task", file: File, fd: int, events: int, data: int) -> None:
        if isinstance(file, EventPoll):
            self._check_loops(file)
        item = EpItem(self, file, fd, events, data)
        item.queues = tuple(file.poll_queues(task))
        for q in item.queues:
            q.callbacks.append(item.callback)
        self.items[(file, fd)] = item
        if file.epitems is None:
            file.epitems = []
        file.epitems.append(item)
        if item.revents():
            self.make_ready(item)

    def modify(self, item: EpItem, events: int, data: int) -> None:
        item.events, item.data = events, data
        if item.revents():
            self.make_ready(item)

    def remove(self, item: EpItem) -> None:
        for q in item.queues:
            q.callbacks.remove(item.callback)
        item.queues = ()
        del self.items[(item.file, item.fd)]
        self.ready.pop(item, None)
        item.file.epitems.remove(item)

    def _check_loops(self, target: "EventPoll") -> None:
        """ELOOP if adding `target` would make a cycle or a chain deeper than EP_MAX_NESTS (ep_loop_check)."""
        def depth(ep: EventPoll, level: int) -> int:
            if ep is self or level > EP_MAX_NESTS:
                raise KernelError(errno.ELOOP)
            nested = [i.file for i in ep.items.values() if isinstance(i.file, EventPoll)]
            return 1 + max((depth(n, level + 1) for n in nested), default=0)
        depth(target, 1)

    # -------------------------------------------------------------------------------------- readiness
    def make_ready(self, item: EpItem) -> None:
        if item not in self.ready:
            self.ready[item] = None
        self.queue.wake_all()

    def collect(self, maxevents: int) -> list[tuple[EpItem, int]]:
        """The ready items and their events, at most `maxevents`, without changing anything (the caller copies
        them out, then calls `consumed`).  Items found not ready any more leave the ready list."""
        out = []
        for item in list(self.ready):
            if len(out) == maxevents:
                break
            revents = item.revents()
            if revents:
                out.append((item, revents))
            else:
                del self.ready[item]
        return out

    def consumed(self, reported: list[tuple[EpItem, int]]) -> None:
        """The events of `reported` reached the user: one-shot items are disabled, edge-triggered ones leave
        the ready list, level-triggered ones move to its tail (after the items not reported this time)."""
        for item, _ in reported:
            del self.ready[item]
            if item.events & EPOLLONESHOT:
                item.events &= EP_PRIVATE_BITS
            elif not item.events & EPOLLET:
                self.ready[item] = None

    # ----------------------------------------------------------------------------------- file interface
    def poll_mask(self) -> int:
        for item in list(self.ready):
            if item.revents():
                return POLLIN | POLLRDNORM
            del self.ready[item]
        return 0

    def poll_queues(self, task: "Task") -> tuple[WaitQueue]:
        return (self.queue,)

    def release(self) -> None:
        for item in list(self.items.values()):
            self.remove(item)


def eventpoll_release(file: File) -> None:
    """The last reference to `file` is gone: remove it from every epoll instance watching it."""
    for item in list(file.epitems or ()):
        item.ep.remove(item)
