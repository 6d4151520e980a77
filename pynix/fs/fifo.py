"""FIFOs (named pipes) opened by path: Linux's fifo_open on top of pipe.py's Pipe.

The pipe hangs off the fifo's inode while anyone has it open or waits to (Linux's i_pipe); its data is dropped
when the last reader and writer have gone.  Opening follows Linux:

- O_RDONLY waits until a writer opens (O_NONBLOCK: returns at once; reads then see EOF while no writer exists);
- O_WRONLY waits until a reader opens (O_NONBLOCK with no reader: ENXIO);
- O_RDWR never waits (POSIX leaves it undefined; Linux allows it).

A waiting open raises `Block` and runs again when woken.  Linux counts a waiting opener as a reader or writer
already; here the waiter sleeps on the pipe's open queue with a `FifoOpen` token as its restart data, and the
partner that arrives creates the waiter's open file (so the partner sees the reader/writer at once -- a writer
that writes straight after its open does not get EPIPE) and hands it over through the token.  A waiter that a
signal interrupts is no longer on the queue, so nobody creates a file for it.  A signal that comes after the
partner but before the waiter has run again does not interrupt the open: the partner ended the wait, so the
open completes with the file it was handed (Linux's wait_for_partner returns 0 once the counter has moved) and
the handler runs after it -- the file is installed through the token's `install`, also from the waiter's
`on_interrupt`.
"""
from __future__ import annotations

import errno
from functools import partial
from typing import TYPE_CHECKING, Callable

from pynix.errors import KernelError
from pynix.fs.file import File
from pynix.fs.pipe import O_DIRECT, Pipe, PipeFile, PipeReadFile, PipeWriteFile
from pynix.sync.wait import Block, WaitQueue
from pynix.uapi.fcntl import O_ACCMODE, O_NONBLOCK, O_RDONLY, O_RDWR, O_WRONLY

if TYPE_CHECKING:
    from pynix.fs.vfs import Inode, VfsPath
    from pynix.mm.iov_iter import IovIter
    from pynix.task.task import Task


class FifoPipe(Pipe):
    def __init__(self, inode: "Inode") -> None:
        super().__init__(inode.uid, inode.gid)
        self.open_readers = WaitQueue()          # O_RDONLY opens waiting for a writer
        self.open_writers = WaitQueue()          # O_WRONLY opens waiting for a reader

    def closed(self) -> None:
        if self.readers == 0 and self.writers == 0:
            self.buffers.clear()                 # Linux frees the pipe (and its data) with its last user


class FifoOpen:
    """The restart data of an open waiting for its partner; `file` is set by the partner that arrives.
    `install` finishes the open with a file (the descriptor it returns is the open's result)."""

    __slots__ = ("pipe", "flags", "install", "file")

    def __init__(self, pipe: FifoPipe, flags: int, install: Callable[[File], int]) -> None:
        self.pipe = pipe
        self.flags = flags
        self.install = install
        self.file: File | None = None


class _FifoMixin:
    """What an opened fifo shares with an ordinary file: it stats as its inode and knows its path."""

    inode: "Inode"

    def _bind(self, path: "VfsPath") -> None:
        self.path = path
        self.inode = path.inode

    def stat(self) -> dict[str, int]:
        return self.inode.stat()


class FifoReadFile(_FifoMixin, PipeReadFile):
    def __init__(self, path: "VfsPath", pipe: FifoPipe, flags: int) -> None:
        PipeReadFile.__init__(self, pipe, flags)
        self._bind(path)

    def release(self) -> None:
        PipeReadFile.release(self)
        self.pipe.closed()


class FifoWriteFile(_FifoMixin, PipeWriteFile):
    def __init__(self, path: "VfsPath", pipe: FifoPipe, flags: int) -> None:
        PipeWriteFile.__init__(self, pipe, flags)
        self._bind(path)

    def release(self) -> None:
        PipeWriteFile.release(self)
        self.pipe.closed()


class FifoReadWriteFile(_FifoMixin, PipeFile):
    """A fifo opened O_RDWR: one reader and one writer at once."""

    def __init__(self, path: "VfsPath", pipe: FifoPipe, flags: int) -> None:
        PipeFile.__init__(self, pipe, O_RDWR | (flags & (O_NONBLOCK | O_DIRECT)))
        self._bind(path)
        pipe.readers += 1
        pipe.writers += 1

    def read_iter(self, task: "Task", to: "IovIter") -> int:
        return self.pipe.read_iter(task, to, self.nonblocking)

    def write_iter(self, task: "Task", source: "IovIter") -> int:
        return self.pipe.write_iter(task, source, self.nonblocking, bool(self.flags & O_DIRECT))

    def poll_mask(self) -> int:
        return self.pipe.poll_mask(reader=True) | self.pipe.poll_mask(reader=False)

    def release(self) -> None:
        self.pipe.readers -= 1
        self.pipe.writers -= 1
        self.pipe.read_queue.wake_all()
        self.pipe.write_queue.wake_all()
        self.pipe.closed()


def _waiting(queue: WaitQueue, pipe: FifoPipe) -> list[tuple["Task", FifoOpen]]:
    waiting = []
    for task in queue.waiters:
        token = task.restart_data
        if isinstance(token, FifoOpen) and token.pipe is pipe and token.file is None:
            waiting.append((task, token))
    return waiting


def _hand_over(task: "Task", token: FifoOpen, file: File) -> None:
    """Give a waiting open its file: its re-run returns it, and so does a handler that interrupts it first."""
    token.file = file
    task.on_interrupt = partial(token.install, file)


def _admit_readers(path: "VfsPath", pipe: FifoPipe) -> None:
    """A writer arrived: every open waiting for one gets its read end now."""
    for task, token in _waiting(pipe.open_readers, pipe):
        _hand_over(task, token, FifoReadFile(path, pipe, token.flags))
    pipe.open_readers.wake_all()


def _admit_writers(path: "VfsPath", pipe: FifoPipe) -> None:
    for task, token in _waiting(pipe.open_writers, pipe):
        _hand_over(task, token, FifoWriteFile(path, pipe, token.flags))
    pipe.open_writers.wake_all()


def fifo_open(task: "Task", path: "VfsPath", flags: int, install: Callable[[File], int]) -> int:
    """Open fifo `path` with `flags` and `install` the open file (its result is the open's); may block (see
    above)."""
    inode = path.inode
    pipe = getattr(inode, "fifo_pipe", None)
    if pipe is None:
        pipe = inode.fifo_pipe = FifoPipe(inode)
    token = task.restart_data
    if isinstance(token, FifoOpen) and token.pipe is pipe and token.file is not None:
        return install(token.file)               # a partner opened while this open slept
    nonblocking = bool(flags & O_NONBLOCK)
    acc = flags & O_ACCMODE
    if acc == O_RDONLY:
        _admit_writers(path, pipe)
        if pipe.writers == 0 and not nonblocking:
            raise Block(pipe.open_readers, data=FifoOpen(pipe, flags, install))
        return install(FifoReadFile(path, pipe, flags))
    if acc == O_WRONLY:
        if pipe.readers == 0 and not _waiting(pipe.open_readers, pipe):
            if nonblocking:
                raise KernelError(errno.ENXIO)
            raise Block(pipe.open_writers, data=FifoOpen(pipe, flags, install))
        writer = FifoWriteFile(path, pipe, flags)
        _admit_readers(path, pipe)
        return install(writer)
    file: File = FifoReadWriteFile(path, pipe, flags)
    _admit_readers(path, pipe)
    _admit_writers(path, pipe)
    return install(file)
