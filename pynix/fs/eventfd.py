"""eventfd objects (Linux's fs/eventfd.c): a 64-bit counter read and written 8 bytes at a time.

A read returns the counter and resets it to 0 (EFD_SEMAPHORE: returns 1 and decrements it); it blocks while the
counter is 0, and a buffer shorter than 8 bytes is EINVAL.  A write adds its value; it must be exactly 8 bytes
(Linux 6.x; older kernels took longer buffers), blocks while the sum would exceed 0xfffffffffffffffe, and writing
0xffffffffffffffff is EINVAL.  poll: POLLIN while the counter is not 0, POLLOUT while at least 1 can still be
added.  Wake-ups are keyed like Linux's (a write announces POLLIN, a read POLLOUT), which is what makes EPOLLET
report each write.
"""
from __future__ import annotations

import errno
from typing import TYPE_CHECKING

from pynix.errors import KernelError
from pynix.fs.anon_inodes import AnonInodeFile
from pynix.sync.wait import Block, WaitQueue
from pynix.uapi.fcntl import O_NONBLOCK, O_RDWR
from pynix.uapi.poll import POLLERR, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM

if TYPE_CHECKING:
    from pynix.mm.iov_iter import IovIter
    from pynix.task.task import Task

EFD_SEMAPHORE = 1
ULLONG_MAX = (1 << 64) - 1


class EventFd(AnonInodeFile):
    anon_name = b"eventfd"

    def __init__(self, count: int, flags: int) -> None:
        super().__init__(O_RDWR | (flags & O_NONBLOCK))
        self.count = count
        self.semaphore = bool(flags & EFD_SEMAPHORE)
        self.read_queue = WaitQueue(POLLIN | POLLRDNORM)     # readers waiting for a non-zero count
        self.write_queue = WaitQueue(POLLOUT | POLLWRNORM)   # writers waiting for room

    def read_iter(self, task: "Task", to: "IovIter") -> int:
        if to.count < 8:
            raise KernelError(errno.EINVAL)
        to.map(8)                            # EFAULT before the counter is taken
        if self.count == 0:
            if self.nonblocking:
                raise KernelError(errno.EAGAIN)
            raise Block(self.read_queue)
        value = 1 if self.semaphore else self.count
        self.count -= value
        self.write_queue.wake_all()
        return to.copy_to(value.to_bytes(8, "little"))

    def write_iter(self, task: "Task", source: "IovIter") -> int:
        if source.count != 8:                # Linux 6.x: exactly 8 bytes (older kernels accepted more)
            raise KernelError(errno.EINVAL)
        data = source.copy_from(8)
        if len(data) != 8:                   # copy_from_iter_full
            raise KernelError(errno.EFAULT)
        value = int.from_bytes(data, "little")
        if value == ULLONG_MAX:
            raise KernelError(errno.EINVAL)
        if ULLONG_MAX - self.count <= value:
            if self.nonblocking:
                raise KernelError(errno.EAGAIN)
            raise Block(self.write_queue)
        if value:
            self.count += value
            self.read_queue.wake_all()
        return 8

    def poll_mask(self) -> int:
        mask = 0
        if self.count > 0:
            mask |= POLLIN | POLLRDNORM
        if self.count == ULLONG_MAX:
            mask |= POLLERR
        if ULLONG_MAX - 1 > self.count:
            mask |= POLLOUT | POLLWRNORM
        return mask

    def poll_queues(self, task: "Task") -> tuple[WaitQueue, WaitQueue]:
        return self.read_queue, self.write_queue
