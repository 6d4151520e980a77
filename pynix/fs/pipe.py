"""Pipes (Linux's fs/pipe.c): a ring of page-sized buffers shared by a read end and a write end.

The buffer is modelled the way Linux keeps it, because programs can observe the difference: a pipe holds up to
`max_usage` buffers (16 by default: 64 KiB), each at most one page.  A write first appends the part of it that is
not a whole number of pages to the last buffer if that fits entirely (that merges small writes and keeps the rest
page-aligned), then fills fresh buffers a page at a time.  So a write of at most PIPE_BUF (4096) bytes is atomic
-- it lands whole in the last buffer or in a new one -- and a pipe filled by 1000-byte writes holds 64000 bytes,
not 65536, exactly as on Linux.  In packet mode (O_DIRECT on the write end) every buffer is one packet that a
read takes whole (discarding what does not fit) and buffers never merge.

Blocking follows sync/wait.py: a reader that finds the pipe empty, or a writer that finds it full, raises
`Block(queue)` and the syscall is run again when the other side wakes it.  A blocking write larger than the free
space writes what fits and blocks with the count already written as restart data, so the re-run continues where
the previous run stopped and no byte is written twice; it returns only once everything is written (or the last
reader has gone, or a signal handler interrupts it, when it returns the partial count as Linux does).

splice, tee and vmsplice (syscall/splice.py) work on the buffers through the methods below: they copy bytes
into buffers of their own, split at page boundaries as Linux's page references would be, and such buffers
never merge with a later write (Linux's PIPE_BUF_FLAG_CAN_MERGE is clear on them).
"""
from __future__ import annotations

import errno
import itertools
import stat as stat_mod
from collections import deque
from typing import TYPE_CHECKING

from pynix.errors import KernelError
from pynix.fs.file import File
from pynix.hal.clock import realtime_ns
from pynix.mm.uaccess import scatter
from pynix.sync.wait import Block, WaitQueue
from pynix.task.signal import send_sigpipe
from pynix.uapi.fcntl import O_NONBLOCK, O_RDONLY, O_WRONLY

if TYPE_CHECKING:
    from pynix.mm.iov_iter import IovIter
    from pynix.task.task import Task

PAGE_SIZE = 4096
PIPE_BUF = 4096                    # writes up to this size are atomic (limits.h)
PIPE_DEF_BUFFERS = 16              # default capacity in buffers: 16 pages = 65536 bytes
PIPE_MAX_SIZE = 1048576            # /proc/sys/fs/pipe-max-size: F_SETPIPE_SZ limit without CAP_SYS_RESOURCE
O_DIRECT = 0o40000                 # the same on x86_64 and riscv64 (asm-generic)

# poll(2) bits (include/uapi/asm-generic/poll.h)
POLLIN, POLLOUT, POLLERR, POLLHUP, POLLRDNORM, POLLWRNORM = 0x1, 0x4, 0x8, 0x10, 0x40, 0x100

PIPEFS_DEV = 0x0D                  # st_dev of pipefs: an anonymous device (0:13 on a typical x86_64 boot)
_inode_numbers = itertools.count(0x10000)


class _Buffer:
    """One pipe buffer: the unread bytes of one page, `start` bytes into it.  `merge`: a later write may append
    to it (Linux's PIPE_BUF_FLAG_CAN_MERGE: not packets, not spliced pages)."""

    __slots__ = ("data", "start", "packet", "merge")

    def __init__(self, data: bytes, packet: bool, start: int = 0, merge: bool = True) -> None:
        self.data = bytearray(data)
        self.start = start
        self.packet = packet
        self.merge = merge and not packet


class Pipe:
    """The pipe itself (Linux's pipe_inode_info): buffers, end counts, wait queues, and its inode's stat."""

    def __init__(self, uid: int = 0, gid: int = 0) -> None:
        self.buffers: deque[_Buffer] = deque()
        self.max_usage = PIPE_DEF_BUFFERS
        self.readers = 0
        self.writers = 0
        self.read_queue = WaitQueue(POLLIN | POLLRDNORM)    # readers waiting for data (or the last writer to go)
        self.write_queue = WaitQueue(POLLOUT | POLLWRNORM)  # writers waiting for room (or the last reader to go)
        self.ino = next(_inode_numbers)
        self.uid, self.gid = uid, gid
        now = realtime_ns()
        self.atime = self.mtime = self.ctime = now

    # ------------------------------------------------------------------------------------------- state
    @property
    def capacity(self) -> int:
        """F_GETPIPE_SZ: the size in bytes."""
        return self.max_usage * PAGE_SIZE

    def bytes_available(self) -> int:
        """FIONREAD: unread bytes in all buffers."""
        return sum([len(b.data) for b in self.buffers])

    def full(self) -> bool:
        return len(self.buffers) >= self.max_usage

    def set_size(self, size: int, privileged: bool = False) -> int:
        """F_SETPIPE_SZ: round `size` up to a power-of-two number of pages; return the new size in bytes.
        EPERM when growing above pipe-max-size without privilege, EBUSY if the data now in the pipe would not fit."""
        if size > 1 << 31:
            raise KernelError(errno.EINVAL)
        nbytes = PAGE_SIZE if size < PAGE_SIZE else 1 << (size - 1).bit_length()
        slots = nbytes // PAGE_SIZE
        if slots > self.max_usage and nbytes > PIPE_MAX_SIZE and not privileged:
            raise KernelError(errno.EPERM)
        if slots < len(self.buffers):
            raise KernelError(errno.EBUSY)
        self.max_usage = slots
        self.write_queue.wake_all()          # more room now, perhaps
        return self.capacity

    def stat(self) -> dict[str, int]:
        def split(ns: int) -> tuple[int, int]:
            return ns // 10**9, ns % 10**9
        (at, atn), (mt, mtn), (ct, ctn) = split(self.atime), split(self.mtime), split(self.ctime)
        return {"dev": PIPEFS_DEV, "ino": self.ino, "mode": stat_mod.S_IFIFO | 0o600, "nlink": 1,
                "uid": self.uid, "gid": self.gid, "rdev": 0, "size": 0, "blksize": PAGE_SIZE, "blocks": 0,
                "atime": at, "atime_nsec": atn, "mtime": mt, "mtime_nsec": mtn, "ctime": ct, "ctime_nsec": ctn}

    # ------------------------------------------------------------------------------------------- data
    def read(self, task: "Task", size: int, nonblocking: bool) -> bytes:
        if size == 0:
            return b""                       # Linux returns before looking at the pipe at all
        if self.buffers:
            return self._take(size)
        if self.writers == 0:
            return b""                       # EOF: empty and no writer left
        if nonblocking:
            raise KernelError(errno.EAGAIN)
        raise Block(self.read_queue)

    def read_iter(self, task: "Task", to: "IovIter", nonblocking: bool) -> int:
        """pipe_read into `to`: `read`, with the destination mapped first, so that a bad buffer gets EFAULT and
        leaves the data in the pipe."""
        buffers = self.buffers
        size = to.count
        if not size or not buffers:
            return len(self.read(task, size, nonblocking))       # nothing to copy: 0, EOF, EAGAIN or Block
        first = buffers[0]
        # What _take will take: from a packet or a lone buffer only that buffer, else up to all there is.
        avail = len(first.data) if first.packet or len(buffers) == 1 else self.bytes_available()
        if avail < size:
            size = avail
        views = to.map_all(size)
        data = self._take(size)                                  # (less, if it meets a packet)
        n = len(data)
        if len(views) == 1:
            views[0][:n] = data
        else:
            scatter(views, data)
        to.advance(n)
        return n

    def _take(self, size: int) -> bytes | bytearray:
        """Consume up to `size` bytes from the (non-empty) buffers and wake the writers.  A packet is
        consumed whole and ends the read; the part of it that did not fit is lost."""
        buffers = self.buffers
        first = buffers[0]
        data = first.data
        if size <= len(data) or first.packet or len(buffers) == 1:     # all from the first buffer
            out = data[:size]
            if first.packet or size >= len(data):
                buffers.popleft()
            else:
                del data[:size]
                first.start += size
        else:                                     # whole buffers as they are, joined once at the end
            parts = []
            while buffers and size > 0:
                buf = buffers[0]
                data = buf.data
                if buf.packet:
                    parts.append(data[:size])
                    buffers.popleft()
                    break
                if size >= len(data):
                    parts.append(data)
                    size -= len(data)
                    buffers.popleft()
                else:
                    parts.append(data[:size])
                    del data[:size]
                    buf.start += size
                    size = 0
            out = b"".join(parts)
        self.atime = realtime_ns()
        self.write_queue.wake_all()
        return out

    def write(self, task: "Task", views: list[memoryview], nonblocking: bool, packet: bool) -> int:
        total = len(views[0]) if len(views) == 1 else sum(map(len, views))
        if total == 0:
            return 0
        buffers = self.buffers
        if total < PAGE_SIZE and len(views) == 1 and self.readers and task.restart_data is None:
            # The common small write, done as the general path below would do it: merged into the last
            # buffer if it fits there whole, else a buffer of its own if there is room.
            tail = buffers[-1] if buffers else None
            if tail is not None and tail.merge and tail.start + len(tail.data) + total <= PAGE_SIZE:
                tail.data += views[0]
            elif len(buffers) < self.max_usage:
                buffers.append(_Buffer(views[0], packet))
            else:
                tail = False
            if tail is not False:
                self.mtime = self.ctime = realtime_ns()
                self.read_queue.wake_all()
                return total
        resumed = task.restart_data
        done = resumed if type(resumed) is int else None     # bytes written by earlier runs of this write
        if self.readers == 0:
            send_sigpipe(task)
            if done:
                return done                  # Linux returns what was written before the reader went
            raise KernelError(errno.EPIPE)
        if done is None:
            done = 0
            # First run only: put the sub-page remainder into the last buffer if it fits there entirely
            # (Linux checks only that the last buffer may merge, not whether this write is a packet).
            chars = total & (PAGE_SIZE - 1)
            if chars and buffers:
                tail = buffers[-1]
                if tail.merge and tail.start + len(tail.data) + chars <= PAGE_SIZE:
                    tail.data += _gather(views, 0, chars)
                    done = chars
        end = min(total, done + (self.max_usage - len(buffers)) * PAGE_SIZE)    # what fits now
        if end > done:                     # gathered once, then cut into pages
            window = memoryview(_gather(views, done, end - done))
            buffers.extend([_Buffer(window[at:at + PAGE_SIZE], packet) for at in range(0, end - done, PAGE_SIZE)])
            done = end
        if done:
            self.mtime = self.ctime = realtime_ns()
            self.read_queue.wake_all()
        if done == total:
            return done
        if nonblocking:
            if done:
                return done
            raise KernelError(errno.EAGAIN)
        raise Block(self.write_queue, data=done, on_interrupt=(lambda: done) if done else None)

    def write_iter(self, task: "Task", source: "IovIter", nonblocking: bool, packet: bool) -> int:
        """pipe_write from `source` (mapped whole: a blocking write re-runs with the same buffer)."""
        views = source.map(source.count)
        n = self.write(task, views, nonblocking, packet)
        source.advance(n)
        return n

    # ------------------------------------------------------------------------- splice (fs/splice.c)
    def wait_for_data(self, nonblocking: bool) -> bool:
        """ipipe_prep / splice_from_pipe_next: True when there are buffers to take, False at EOF (empty, no
        writer left); EAGAIN or Block while empty."""
        if self.buffers:
            return True
        if self.writers == 0:
            return False
        if nonblocking:
            raise KernelError(errno.EAGAIN)
        raise Block(self.read_queue)

    def wait_for_space(self, task: "Task", nonblocking: bool) -> None:
        """wait_for_space / opipe_prep: return once a buffer is free; SIGPIPE and EPIPE without a reader, EAGAIN
        or Block while full."""
        if self.readers == 0:
            send_sigpipe(task)
            raise KernelError(errno.EPIPE)
        if not self.full():
            return
        if nonblocking:
            raise KernelError(errno.EAGAIN)
        raise Block(self.write_queue)

    def peek(self, size: int) -> bytes:
        """Up to `size` bytes from the front, not consumed (what a splice out of the pipe offers its output)."""
        parts, left = [], size
        for buf in self.buffers:
            if left <= 0:
                break
            parts.append(bytes(buf.data[:left]))
            left -= len(parts[-1])
        return b"".join(parts)

    def consume(self, size: int) -> None:
        """Drop the first `size` bytes (what the splice's output took), packet or not, and wake the writers."""
        buffers = self.buffers
        while size > 0:
            buf = buffers[0]
            n = min(size, len(buf.data))
            del buf.data[:n]
            buf.start += n
            size -= n
            if not buf.data:
                buffers.popleft()
        self.atime = realtime_ns()
        self.write_queue.wake_all()

    def splice_in(self, data: bytes | memoryview, pos: int) -> int:
        """Add `data`, which starts at file offset or user address `pos`, as one unmergeable buffer per page it
        spans, while buffers are free (filemap_splice_read / iter_to_pipe); the count added."""
        done = 0
        while done < len(data) and not self.full():
            start = (pos + done) % PAGE_SIZE
            n = min(len(data) - done, PAGE_SIZE - start)
            self.buffers.append(_Buffer(data[done:done + n], False, start, merge=False))
            done += n
        if done:
            self.mtime = self.ctime = realtime_ns()
            self.read_queue.wake_all()
        return done

    def move_to(self, opipe: "Pipe", size: int) -> int:
        """splice_pipe_to_pipe: move up to `size` bytes of buffers into `opipe` while it has room -- whole
        buffers as they are, the last one split (its moved part no longer mergeable); the count moved."""
        moved = 0
        buffers, out = self.buffers, opipe.buffers
        while buffers and moved < size and not opipe.full():
            buf = buffers[0]
            n = len(buf.data)
            if size - moved >= n:
                out.append(buffers.popleft())
            else:
                n = size - moved
                out.append(_Buffer(buf.data[:n], buf.packet, buf.start, merge=False))
                del buf.data[:n]
                buf.start += n
            moved += n
        if moved:
            self.atime = opipe.mtime = opipe.ctime = realtime_ns()
            self.write_queue.wake_all()
            opipe.read_queue.wake_all()
        return moved

    def link_to(self, opipe: "Pipe", size: int) -> int:
        """tee's link_pipe: copy up to `size` bytes of buffers into `opipe` while it has room, leaving them here;
        the copies never merge.  The count copied."""
        copied = 0
        for buf in self.buffers:
            if copied >= size or opipe.full():
                break
            n = min(len(buf.data), size - copied)
            opipe.buffers.append(_Buffer(buf.data[:n], buf.packet, buf.start, merge=False))
            copied += n
        if copied:
            opipe.mtime = opipe.ctime = realtime_ns()
            opipe.read_queue.wake_all()
        return copied

    # ---------------------------------------------------------------------------------------- poll
    def poll_mask(self, reader: bool) -> int:
        """What poll/select would report for this end now (Linux's pipe_poll)."""
        mask = 0
        if reader:
            if self.buffers:
                mask |= POLLIN | POLLRDNORM
            if self.writers == 0:
                mask |= POLLHUP
        else:
            if not self.full():
                mask |= POLLOUT | POLLWRNORM
            if self.readers == 0:
                mask |= POLLERR
        return mask


def _gather(views: list[memoryview], offset: int, size: int) -> bytes | memoryview:
    """Bytes [offset, offset+size) of the concatenation of `views`, without joining the rest."""
    if len(views) == 1:
        return views[0][offset:offset + size]
    parts = []
    for v in views:
        n = len(v)
        if offset >= n:
            offset -= n
            continue
        piece = v[offset:offset + size]
        parts.append(piece)
        size -= len(piece)
        offset = 0
        if size == 0:
            break
    return b"".join(parts)


class PipeFile(File):
    """One end of a pipe."""

    is_fifo = True                # F_SETFL may set O_DIRECT (packet mode) on a pipe, as on any FIFO

    def __init__(self, pipe: Pipe, flags: int) -> None:
        super().__init__(flags)
        self.pipe = pipe

    def stat(self) -> dict[str, int]:
        return self.pipe.stat()

    def bytes_available(self) -> int:
        """FIONREAD (ioctl 0x541B): bytes that a read could take now."""
        return self.pipe.bytes_available()

    def poll_queues(self, task: "Task") -> tuple[WaitQueue, WaitQueue]:
        """(readable, writable) queues, for poll/select/epoll."""
        return self.pipe.read_queue, self.pipe.write_queue


class PipeReadFile(PipeFile):
    def __init__(self, pipe: Pipe, flags: int = 0) -> None:
        super().__init__(pipe, O_RDONLY | (flags & O_NONBLOCK))
        pipe.readers += 1

    def read_iter(self, task: "Task", to: "IovIter") -> int:
        return self.pipe.read_iter(task, to, self.nonblocking)

    def poll_mask(self) -> int:
        return self.pipe.poll_mask(reader=True)

    def release(self) -> None:
        self.pipe.readers -= 1
        if self.pipe.readers == 0:              # blocked writers now get EPIPE, pollers POLLERR (pipe_release)
            self.pipe.write_queue.wake_all(POLLOUT | POLLWRNORM | POLLERR | POLLHUP)


class PipeWriteFile(PipeFile):
    def __init__(self, pipe: Pipe, flags: int = 0) -> None:
        super().__init__(pipe, O_WRONLY | (flags & (O_NONBLOCK | O_DIRECT)))
        pipe.writers += 1

    def write_iter(self, task: "Task", source: "IovIter") -> int:
        views = source.map(source.count)                  # (Pipe.write_iter, inlined: the hot path)
        n = self.pipe.write(task, views, self.nonblocking, bool(self.flags & O_DIRECT))
        source.advance(n)
        return n

    def poll_mask(self) -> int:
        return self.pipe.poll_mask(reader=False)

    def release(self) -> None:
        self.pipe.writers -= 1
        if self.pipe.writers == 0:              # blocked readers now see EOF, pollers POLLHUP
            self.pipe.read_queue.wake_all(POLLIN | POLLRDNORM | POLLHUP)


def create_pipe(flags: int = 0, uid: int = 0, gid: int = 0) -> tuple[PipeReadFile, PipeWriteFile]:
    """The two ends of a new pipe (Linux's create_pipe_files): `flags` may hold O_NONBLOCK (both ends) and
    O_DIRECT (the write end)."""
    pipe = Pipe(uid, gid)
    return PipeReadFile(pipe, flags), PipeWriteFile(pipe, flags)
