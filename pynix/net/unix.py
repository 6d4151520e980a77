"""AF_UNIX socket pairs (Linux's net/unix/af_unix.c, socketpair only: nothing binds, listens or connects yet).

A SOCK_STREAM pair is two pipes in opposite directions (fs/pipe.py's buffers, blocking and restartable partial
writes) plus socket semantics: shutdown(2) in either direction, mirrored to the peer as Linux does; EPIPE with
SIGPIPE unless MSG_NOSIGNAL; ECONNRESET for a peer that closed with data unread; MSG_PEEK, MSG_WAITALL.
SOCK_DGRAM and SOCK_SEQPACKET pairs carry whole messages (`Datagrams`): a short read truncates (MSG_TRUNC), a
message larger than the send buffer is EMSGSIZE, and a SEQPACKET peer's close is end-of-file.  SCM_RIGHTS
descriptors travel with the data: the sent files are held by an in-flight descriptor table (Linux's
scm_fp_list), and a stream read that takes them stops at the end of the write that carried them.

Differences from Linux: buffer accounting counts payload bytes (Linux counts skb truesize, so how much fits
before EAGAIN differs), a stream pair holds as much as a pipe of SO_SNDBUF bytes, and a blocked sender that loses
its reader gets SIGPIPE even under MSG_NOSIGNAL (the pipe's rule).
"""
from __future__ import annotations

import errno
import itertools
import stat as stat_mod
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pynix.errors import KernelError
from pynix.fs.file import O_NONBLOCK, O_RDWR, POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM
from pynix.fs.file import FdTable, File
from pynix.fs.pipe import PAGE_SIZE, Pipe, _sigpipe
from pynix.sync.wait import Block, WaitQueue

if TYPE_CHECKING:
    from pynix.mm.iov_iter import IovIter
    from pynix.task.task import Task

AF_UNIX = 1
SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET = 1, 2, 5
RCV_SHUTDOWN, SEND_SHUTDOWN, SHUTDOWN_MASK = 1, 2, 3
MSG_PEEK, MSG_TRUNC, MSG_DONTWAIT, MSG_WAITALL, MSG_NOSIGNAL = 0x2, 0x20, 0x40, 0x100, 0x4000
POLLRDHUP, POLLWRBAND = 0x2000, 0x200
SK_WMEM_DEFAULT = 212992           # /proc/sys/net/core/wmem_default and rmem_default
SOCK_MIN_SNDBUF, SOCK_MIN_RCVBUF = 4608, 2304
SOCKFS_DEV = 0x08
_inode_numbers = itertools.count(0x20000)


@dataclass(eq=False)
class Message:
    data: bytes
    files: FdTable | None          # in-flight descriptors (SCM_RIGHTS)


class Datagrams:
    """The receive queue of a SOCK_DGRAM / SOCK_SEQPACKET socket: whole messages."""

    def __init__(self) -> None:
        self.messages: deque[Message] = deque()
        self.bytes = 0                                       # payload queued: the sender's send-buffer use
        self.read_queue = WaitQueue(POLLIN | POLLRDNORM)
        self.write_queue = WaitQueue(POLLOUT | POLLWRNORM)

    def bytes_available(self) -> int:
        return len(self.messages[0].data) if self.messages else 0

    def purge(self) -> None:
        for msg in self.messages:
            if msg.files is not None:
                msg.files.close_all()
        self.messages.clear()
        self.bytes = 0


@dataclass
class Received:
    data: bytes
    files: FdTable | None = None
    length: int = 0                # the whole message's length (larger than data when truncated)


class UnixSocket(File):
    """One end of a connected AF_UNIX pair."""

    def __init__(self, sock_type: int, flags: int, uid: int, gid: int, pid: int) -> None:
        super().__init__(O_RDWR | (flags & O_NONBLOCK))
        self.type = sock_type
        self.rx: Pipe | Datagrams = Pipe(uid, gid) if sock_type == SOCK_STREAM else Datagrams()
        self.tx: Pipe | Datagrams = self.rx                # the peer's rx (set by socket_pair)
        self.peer: UnixSocket | None = None
        self.shutdown = 0
        self.err = 0
        self.sndbuf = self.rcvbuf = SK_WMEM_DEFAULT
        self.marks: deque[list] = deque()                  # stream: [start, end, files] of SCM_RIGHTS writes
        self.taken = 0                                     # stream: bytes ever read from rx
        self.ino = next(_inode_numbers)
        self.uid, self.gid, self.pid = uid, gid, pid
        if isinstance(self.rx, Pipe):
            self.rx.max_usage = SK_WMEM_DEFAULT // PAGE_SIZE

    @property
    def stream(self) -> bool:
        return self.type == SOCK_STREAM

    # -------------------------------------------------------------------------------------------- send
    def send(self, task: "Task", views: list[memoryview], flags: int, files: FdTable | None = None) -> int:
        nonblocking = self.nonblocking or bool(flags & MSG_DONTWAIT)
        total = sum(len(v) for v in views)
        if self.err and not self.stream:                   # sock_alloc_send_pskb reports a pending error
            err, self.err = self.err, 0
            raise KernelError(err)
        peer = self.peer
        if self.shutdown & SEND_SHUTDOWN or (peer is not None and peer.shutdown & RCV_SHUTDOWN):
            if self.stream and not flags & MSG_NOSIGNAL:
                _sigpipe(task)
            raise KernelError(errno.EPIPE)
        if peer is None:                                   # a datagram peer that is gone
            raise KernelError(errno.ECONNREFUSED)
        if not self.stream:
            return self._send_message(task, b"".join(views), files, nonblocking)
        rx = self.tx
        assert isinstance(rx, Pipe)
        if files is not None and task.restart_data is None:
            start = peer.taken + rx.bytes_available()
            peer.marks.append([start, start + total, files])
        n = rx.write(task, views, nonblocking, packet=False)
        if files is not None and n < total:
            peer.marks[-1][1] = peer.marks[-1][0] + n
        return n

    def _send_message(self, task: "Task", data: bytes, files: FdTable | None, nonblocking: bool) -> int:
        if len(data) > self.sndbuf - 32:
            raise KernelError(errno.EMSGSIZE)
        q = self.tx
        assert isinstance(q, Datagrams)
        if q.bytes >= self.sndbuf:
            if nonblocking:
                raise KernelError(errno.EAGAIN)
            raise Block(q.write_queue)
        q.messages.append(Message(data, files))
        q.bytes += len(data)
        q.read_queue.wake_all()
        return len(data)

    # -------------------------------------------------------------------------------------------- recv
    def recv(self, task: "Task", size: int, flags: int) -> Received:
        nonblocking = self.nonblocking or bool(flags & MSG_DONTWAIT)
        rx = self.rx
        if not rx.bytes_available() and not (isinstance(rx, Datagrams) and rx.messages):
            if self.err:
                err, self.err = self.err, 0
                raise KernelError(err)
            if self.shutdown & RCV_SHUTDOWN:
                return Received(b"")
            if nonblocking:
                raise KernelError(errno.EAGAIN)
            raise Block(rx.read_queue)
        if isinstance(rx, Datagrams):
            return self._recv_message(rx, size, flags)
        available = rx.bytes_available()
        if (flags & MSG_WAITALL and not nonblocking and available < min(size, rx.capacity)
                and not self.shutdown & RCV_SHUTDOWN):
            raise Block(rx.read_queue)
        files = None
        if self.marks and self.marks[0][0] < self.taken + size:
            start, end, files = self.marks[0]
            size = min(size, end - self.taken)
            if not flags & MSG_PEEK:
                self.marks.popleft()
        if flags & MSG_PEEK:
            return Received(b"".join(bytes(b.data) for b in rx.buffers)[:size], _dup_inflight(files))
        data = rx.read(task, size, True)
        self.taken += len(data)
        return Received(data, files, len(data))

    def _recv_message(self, q: Datagrams, size: int, flags: int) -> Received:
        msg = q.messages[0]
        if flags & MSG_PEEK:
            return Received(msg.data[:size], _dup_inflight(msg.files), len(msg.data))
        q.messages.popleft()
        q.bytes -= len(msg.data)
        q.write_queue.wake_all()
        return Received(msg.data[:size], msg.files, len(msg.data))

    # ---------------------------------------------------------------------------------------- shutdown
    def do_shutdown(self, how: int) -> None:
        """shutdown(2): SHUT_RD=0, SHUT_WR=1, SHUT_RDWR=2; a connected pair mirrors it onto the peer."""
        mode = how + 1                                     # RCV_SHUTDOWN, SEND_SHUTDOWN or both
        self.shutdown |= mode
        peer = self.peer
        if peer is not None and self.type != SOCK_DGRAM:
            peer.shutdown |= (RCV_SHUTDOWN if mode & SEND_SHUTDOWN else 0) | \
                             (SEND_SHUTDOWN if mode & RCV_SHUTDOWN else 0)
        if mode & RCV_SHUTDOWN:
            _close_direction(self.rx)
        if mode & SEND_SHUTDOWN:
            _close_direction(self.tx)

    def release(self) -> None:
        peer = self.peer
        self.shutdown = SHUTDOWN_MASK
        if peer is not None:
            if self.type != SOCK_DGRAM:
                if self.rx.bytes_available() or (isinstance(self.rx, Datagrams) and self.rx.messages):
                    peer.err = errno.ECONNRESET
                peer.shutdown = SHUTDOWN_MASK
            peer.peer = None if self.type == SOCK_DGRAM else peer.peer
            self.peer = None
        for mark in self.marks:
            mark[2].close_all()
        self.marks.clear()
        if isinstance(self.rx, Datagrams):
            self.rx.purge()
        else:
            self.rx.buffers.clear()
        _close_direction(self.rx)
        _close_direction(self.tx)

    # ------------------------------------------------------------------------------------ file interface
    def read_iter(self, task: "Task", to: "IovIter") -> int:
        if to.count:
            to.map(min(to.count, PAGE_SIZE))               # EFAULT before anything is received
        return to.copy_to(self.recv(task, to.count, 0).data)

    def write_iter(self, task: "Task", source: "IovIter") -> int:
        n = self.send(task, source.map(source.count), 0)
        source.advance(n)
        return n

    def bytes_available(self) -> int:
        """FIONREAD/SIOCINQ: unread bytes (stream) or the size of the next message."""
        return self.rx.bytes_available()

    def poll_mask(self) -> int:
        """Linux's unix_poll / unix_dgram_poll."""
        mask = POLLERR if self.err else 0
        if self.shutdown == SHUTDOWN_MASK:
            mask |= POLLHUP
        if self.shutdown & RCV_SHUTDOWN:
            mask |= POLLRDHUP | POLLIN | POLLRDNORM
        if self.rx.bytes_available() or (isinstance(self.rx, Datagrams) and self.rx.messages):
            mask |= POLLIN | POLLRDNORM
        tx = self.tx
        writable = not tx.full() if isinstance(tx, Pipe) else tx.bytes * 4 <= self.sndbuf
        if writable:
            mask |= POLLOUT | POLLWRNORM | POLLWRBAND
        return mask

    def poll_queues(self, task: "Task") -> tuple[WaitQueue, WaitQueue]:
        return self.rx.read_queue, self.tx.write_queue

    def stat(self) -> dict[str, int]:
        return {"dev": SOCKFS_DEV, "ino": self.ino, "mode": stat_mod.S_IFSOCK | 0o777, "nlink": 1,
                "uid": self.uid, "gid": self.gid, "rdev": 0, "size": 0, "blksize": PAGE_SIZE, "blocks": 0,
                "atime": 0, "atime_nsec": 0, "mtime": 0, "mtime_nsec": 0, "ctime": 0, "ctime_nsec": 0}

    def proc_link_name(self) -> bytes:
        return b"socket:[%d]" % self.ino


def _close_direction(q: Pipe | Datagrams) -> None:
    """No more data will flow through `q`: readers see end-of-file, blocked writers EPIPE."""
    if isinstance(q, Pipe):
        q.readers = q.writers = 0
    q.read_queue.wake_all()
    q.write_queue.wake_all()


def _dup_inflight(files: FdTable | None) -> FdTable | None:
    """MSG_PEEK hands out new references to in-flight descriptors (Linux's scm_fp_dup)."""
    if files is None:
        return None
    copy = FdTable()
    for fd, entry in files.entries.items():
        copy.install_at(fd, entry.file)
    return copy


def socket_pair(sock_type: int, flags: int, uid: int, gid: int, pid: int) -> tuple[UnixSocket, UnixSocket]:
    a = UnixSocket(sock_type, flags, uid, gid, pid)
    b = UnixSocket(sock_type, flags, uid, gid, pid)
    a.peer, b.peer = b, a
    a.tx, b.tx = b.rx, a.rx
    for s in (a, b):
        if isinstance(s.rx, Pipe):
            s.rx.readers = s.rx.writers = 1
    return a, b
