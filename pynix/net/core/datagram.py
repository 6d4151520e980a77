"""A receive queue of whole messages (Linux's sk_receive_queue as net/core/datagram.c reads it), shared by
AF_UNIX SOCK_DGRAM / SOCK_SEQPACKET, UDP and netlink sockets.

A message keeps its boundaries: a short read truncates it (the rest is lost; MSG_TRUNC reports the real length),
MSG_PEEK leaves it queued.  `bytes` is the payload queued, which senders compare against their buffer size.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from pynix.fs.file import FdTable
from pynix.net.socket import MSG_PEEK, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM, Received
from pynix.sync.wait import WaitQueue


@dataclass(eq=False)
class Message:
    data: bytes
    files: FdTable | None = None              # in-flight descriptors (SCM_RIGHTS)
    addr: bytes | None = None                 # the sender's sockaddr (None: unnamed)
    creds: tuple[int, int, int] | None = None  # the sender's (pid, uid, gid)
    meta: tuple | None = None                  # what the protocol's receive control messages report


class Datagrams:
    def __init__(self, read_queue: WaitQueue | None = None) -> None:
        self.messages: deque[Message] = deque()
        self.bytes = 0
        self.read_queue = read_queue or WaitQueue(POLLIN | POLLRDNORM)
        self.write_queue = WaitQueue(POLLOUT | POLLWRNORM)     # senders waiting for room (Linux's peer_wait)

    def __len__(self) -> int:
        return len(self.messages)

    def bytes_available(self) -> int:
        """FIONREAD: the size of the next message."""
        return len(self.messages[0].data) if self.messages else 0

    def push(self, msg: Message) -> None:
        self.messages.append(msg)
        self.bytes += len(msg.data)
        self.read_queue.wake_all()

    def pop(self, size: int, flags: int, dup_files=None) -> Received:
        """The next message, truncated to `size`; MSG_PEEK leaves it (and hands out new descriptor references
        through `dup_files`)."""
        msg = self.messages[0]
        if flags & MSG_PEEK:
            files = dup_files(msg.files) if dup_files and msg.files is not None else None
            return Received(msg.data[:size], files, len(msg.data), msg.addr, msg.creds, meta=msg.meta)
        self.messages.popleft()
        self.bytes -= len(msg.data)
        self.write_queue.wake_all()
        return Received(msg.data[:size], msg.files, len(msg.data), msg.addr, msg.creds, meta=msg.meta)

    def purge(self) -> None:
        for msg in self.messages:
            if msg.files is not None:
                msg.files.close_all()
        self.messages.clear()
        self.bytes = 0
        self.write_queue.wake_all()
