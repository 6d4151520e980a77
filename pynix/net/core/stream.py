"""A connected byte stream between two sockets (the part of Linux's net/core/stream.c, tcp_sendmsg/tcp_recvmsg
and unix_stream_sendmsg/recvmsg that is the same for AF_UNIX SOCK_STREAM and TCP).

Each end receives into its own `Pipe` (fs/pipe.py: page buffers, restartable partial writes), whose wait queues
are the receiving socket's read queue and the *sending* socket's write queue, so poll/epoll registrations made
before the connection existed see its wake-ups.  The family decides when a send fails (peer gone, reset) before
calling `stream_send`; these functions move bytes and SCM_RIGHTS marks: a stream read that takes descriptors
stops at the end of the write that carried them, as Linux's unix_stream_read_generic does.

Differences from Linux: buffer accounting counts payload bytes (Linux counts skb truesize), so how much fits
before EAGAIN differs.
"""
from __future__ import annotations

import errno
import time
from typing import TYPE_CHECKING, Protocol

from pynix.errors import KernelError
from pynix.fs.file import FdTable
from pynix.fs.pipe import PAGE_SIZE, Pipe
from pynix.net.socket import MSG_DONTWAIT, MSG_PEEK, MSG_TRUNC, MSG_WAITALL, Received, Timeout, sock_wait
from pynix.sync.wait import Block

if TYPE_CHECKING:
    from pynix.task.task import Task
    from pynix.sync.wait import WaitQueue


class StreamEnd(Protocol):
    rx: Pipe
    peer: "StreamEnd | None"
    shutdown: int
    marks: list                     # [start, end, files] of SCM_RIGHTS writes into rx
    taken: int                      # bytes ever read from rx
    nonblocking: bool
    rcvtimeo: int
    sndtimeo: int
    read_wq: "WaitQueue"
    write_wq: "WaitQueue"
    state_wq: "WaitQueue"


def new_rx(sock: StreamEnd, size: int) -> Pipe:
    """The receive buffer of a stream socket, woken through the socket's own read queue."""
    rx = Pipe(0, 0)
    rx.max_usage = max(size // PAGE_SIZE, 1)
    rx.read_queue = sock.read_wq
    return rx


def join(a: StreamEnd, b: StreamEnd) -> None:
    """Connect two ends: each writes into the other's rx, and room there wakes the writer."""
    a.peer, b.peer = b, a
    a.rx.write_queue, b.rx.write_queue = b.write_wq, a.write_wq
    for s in (a, b):
        s.rx.readers = s.rx.writers = 1


def close_rx(sock: StreamEnd) -> None:
    """No more data will arrive in `sock`'s rx: its reader sees end-of-file once it is empty."""
    sock.rx.writers = 0
    sock.rx.read_queue.wake_all()


def stop_tx(sock: StreamEnd) -> None:
    """Nobody reads what `sock` would send any more: its blocked writers wake (and fail)."""
    sock.rx.readers = 0
    sock.rx.write_queue.wake_all()


def stream_send(sock: StreamEnd, task: "Task", views: list[memoryview], flags: int,
                files: FdTable | None = None) -> int:
    """Queue bytes in the peer's rx; blocks (restartably, without writing anything twice) when it is full."""
    peer = sock.peer
    assert peer is not None
    rx = peer.rx
    total = sum(len(v) for v in views)
    if files is not None and task.restart_data is None:
        start = peer.taken + rx.bytes_available()
        peer.marks.append([start, start + total, files])
    nonblocking = sock.nonblocking or bool(flags & MSG_DONTWAIT)
    if sock.sndtimeo and not nonblocking:
        n = _write_timed(sock, task, rx, views)
    else:
        n = rx.write(task, views, nonblocking, packet=False)
    if files is not None and n < total:
        peer.marks[-1][1] = peer.marks[-1][0] + n
    return n


def _write_timed(sock: StreamEnd, task: "Task", rx: Pipe, views: list[memoryview]) -> int:
    """A blocking write bounded by SO_SNDTIMEO: what was written when it expires, or EAGAIN if nothing."""
    timeout = task.restart_data
    if not isinstance(timeout, Timeout):
        timeout = Timeout(time.monotonic_ns() + sock.sndtimeo)
    task.restart_data = timeout.done                       # what Pipe.write resumes from
    try:
        return rx.write(task, views, False, packet=False)
    except Block as block:
        timeout.done = block.data
        if time.monotonic_ns() >= timeout.deadline:
            if timeout.done:
                return timeout.done
            raise KernelError(errno.EAGAIN) from None
        raise Block(*block.queues, deadline=timeout.deadline, data=timeout, on_interrupt=block.on_interrupt) from None


def stream_recv(sock: StreamEnd, task: "Task", size: int, flags: int, eof: bool) -> Received:
    """Take (or peek at) up to `size` bytes.  `eof`: nothing more will come once rx is empty (the family
    decided, from its shutdown state or a pending error handled before this)."""
    rx = sock.rx
    available = rx.bytes_available()
    nonblocking = sock.nonblocking or bool(flags & MSG_DONTWAIT)
    if not available:
        if eof or size == 0:
            return Received(b"")
        if nonblocking:
            raise KernelError(errno.EAGAIN)
        sock_wait(task, sock.rcvtimeo, sock.read_wq, sock.state_wq)
    if (flags & MSG_WAITALL and not nonblocking and available < min(size, rx.capacity) and not eof
            and not flags & MSG_PEEK):
        sock_wait(task, sock.rcvtimeo, sock.read_wq, sock.state_wq)
    files = None
    if sock.marks and sock.marks[0][0] < sock.taken + size:
        _start, end, files = sock.marks[0]
        size = min(size, end - sock.taken)                  # stop at the end of the write that carried them
        if not flags & MSG_PEEK:
            sock.marks.pop(0)
    if flags & MSG_PEEK:
        data = b"".join(bytes(b.data) for b in rx.buffers)[:size]
        return Received(data, dup_inflight(files), len(data))
    data = bytes(rx._take(size)) if size else b""
    sock.taken += len(data)
    if flags & MSG_TRUNC:
        return Received(b"", files, len(data))              # TCP: discard without copying
    return Received(data, files, len(data))


def drop_marks(sock: StreamEnd) -> None:
    for mark in sock.marks:
        mark[2].close_all()
    sock.marks.clear()


def dup_inflight(files: FdTable | None) -> FdTable | None:
    """MSG_PEEK hands out new references to in-flight descriptors (Linux's scm_fp_dup)."""
    if files is None:
        return None
    copy = FdTable()
    for fd, entry in files.entries.items():
        copy.install_at(fd, entry.file)
    return copy
