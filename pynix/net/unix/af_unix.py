"""AF_UNIX sockets (Linux's net/unix/af_unix.c): SOCK_STREAM, SOCK_DGRAM and SOCK_SEQPACKET.

Names.  A socket binds to a filesystem name (bind creates an S_IFSOCK inode, mode 0777 & ~umask; EADDRINUSE if
the name exists; unlink removes the name and the socket stays bound), to an abstract name (sun_path starts with
NUL: a name in the namespace's table, gone when the socket closes), or -- addrlen 2, or a connect/send with
SO_PASSCRED -- autobinds to an abstract 5-hex-digit name.  Addresses are reported with Linux's lengths: 2 for
an unnamed socket, 2 + strlen + 1 for a path, 2 + name length for an abstract name.

Connections.  connect() on a stream or seqpacket socket finds a listener (ENOENT: no such name; ECONNREFUSED: not
a socket, not bound or not listening; EPROTOTYPE: another type), creates the server's end at once (Linux's
embryo) and queues it for accept; the client is connected straight away and may send before the accept.  A
backlog of N queues N+1 connections; past that a blocking connect waits for accept, a non-blocking one fails with
EAGAIN.  Closing a listener resets the queued connections (their clients get ECONNRESET).  Datagram sockets
connect to a peer (one way; AF_UNSPEC disconnects), send to a named socket that is not connected elsewhere
(EPERM), and find a closed peer with ECONNREFUSED once, then ENOTCONN.

Streams move bytes through net/core/stream.py; messages through net/core/datagram.py (a short read truncates,
MSG_TRUNC, EMSGSIZE above the send buffer, a seqpacket peer's close is end-of-file).  Shutdown is mirrored to
the peer; a peer closed with data unread gets ECONNRESET; EPIPE comes with SIGPIPE unless MSG_NOSIGNAL.
SCM_RIGHTS descriptors travel in flight (Linux's scm_fp_list); SCM_CREDENTIALS are attached to every message
and reported when the receiver has SO_PASSCRED; SO_PEERCRED is the peer's credentials at connect/listen time.

Differences from Linux: buffers count payload bytes, a stream pair holds as much as a pipe of the receive
buffer's size, and SCM_CREDENTIALS of a stream read are those of the last write before it.  MSG_OOB is
EOPNOTSUPP and SIOCATMARK ENOTTY, as in a kernel built without CONFIG_AF_UNIX_OOB (Linux's stream urgent byte is
a queue segment of its own, which these byte-stream buffers do not keep).
"""
from __future__ import annotations

import errno
import itertools
import stat as stat_mod
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from pynix.errors import KernelError
from pynix.fs.pipe import Pipe
from pynix.task.signal import send_sigpipe
from pynix.net.core.datagram import Datagrams, Message
from pynix.net.core.stream import (close_rx, drop_marks, dup_inflight, join, new_rx, stop_tx, stream_recv,
                                   stream_send)
from pynix.net.socket import (AF_UNIX, AF_UNSPEC, MSG_DONTWAIT, MSG_NOSIGNAL, MSG_OOB, MSG_TRUNC, POLLERR, POLLHUP, POLLIN,
                              POLLOUT, POLLRDHUP, POLLRDNORM, POLLWRBAND, POLLWRNORM, RCV_SHUTDOWN, SEND_SHUTDOWN,
                              SHUTDOWN_MASK, SOCK_DGRAM, SOCK_RAW, SOCK_SEQPACKET, SOCK_STREAM, SK_WMEM_DEFAULT,
                              SOMAXCONN, Ancillary, Received, Socket, register_family, sock_wait)

if TYPE_CHECKING:
    from pynix.fs.vfs import Inode
    from pynix.task.task import Task

UNIX_PATH_MAX = 108
SUN_PATH_OFFSET = 2
MAX_DGRAM_QLEN = 10                    # /proc/sys/net/unix/max_dgram_qlen
TCP_ESTABLISHED, TCP_CLOSE, TCP_LISTEN = 1, 7, 10
_autobind_numbers = itertools.count(1)


@dataclass
class PathOps:
    """How AF_UNIX reaches the filesystem (Linux's af_unix calls the VFS): supplied by the syscall layer, which
    owns path walking.  `create` makes the socket inode (errors as mknod, EEXIST included); `lookup` resolves a
    name for connect/send and checks write permission on it."""
    create: Callable[["Task", bytes, int], "Inode"]
    lookup: Callable[["Task", bytes], "Inode"]


path_ops: PathOps | None = None


def set_path_ops(ops: PathOps) -> None:
    global path_ops
    path_ops = ops


class UnixSocket(Socket):
    family = AF_UNIX

    def __init__(self, task: "Task", sock_type: int, flags: int = 0) -> None:
        super().__init__(task, sock_type, 0, flags)
        self.rx: Pipe | Datagrams = new_rx(self, SK_WMEM_DEFAULT) if sock_type == SOCK_STREAM \
            else Datagrams(self.read_wq)
        self.peer: UnixSocket | None = None
        self.shutdown = 0
        self.marks: list = []
        self.taken = 0
        self.addr: bytes | None = None           # the bound sockaddr_un, exactly as getsockname reports it
        self.key: tuple | None = None            # where the name is registered in the namespace
        self.listening = False
        self.backlog = 0
        self.accept_queue: deque[UnixSocket] = deque()
        self.peercred: tuple[int, int, int] | None = None
        self.last_creds = self.cred              # stream: the credentials of the last write received
        self.dead = False
        self.net.sockets.add(self)

    @property
    def stream(self) -> bool:
        return self.type == SOCK_STREAM

    @property
    def connection(self) -> bool:
        return self.type != SOCK_DGRAM

    @property
    def accepting(self) -> bool:
        return self.listening

    def proc_state(self) -> int:
        return TCP_LISTEN if self.listening else TCP_ESTABLISHED if self.peer is not None else TCP_CLOSE

    # ------------------------------------------------------------------------------------------- names
    def bind(self, task: "Task", addr: bytes) -> None:
        _check_addr(addr)
        if len(addr) == SUN_PATH_OFFSET:
            if self.addr is None:
                self._autobind()                       # (an already bound socket: nothing to do)
            return
        if addr[2] == 0:
            if self.addr is not None:
                raise KernelError(errno.EINVAL)
            name = addr[2:]
            if name in self.net.unix_abstract:
                raise KernelError(errno.EADDRINUSE)
            self.net.unix_abstract[name] = self
            self.addr, self.key = addr, ("abstract", name)
            return
        path = _bsd_path(addr)
        assert path_ops is not None
        if self.addr is not None:                      # Linux makes the inode first: EADDRINUSE wins
            try:
                path_ops.lookup(task, path)
            except KernelError:
                raise KernelError(errno.EINVAL) from None
            raise KernelError(errno.EADDRINUSE)
        try:
            inode = path_ops.create(task, path, stat_mod.S_IFSOCK | 0o777)
        except KernelError as err:
            raise KernelError(errno.EADDRINUSE if err.errno == errno.EEXIST else err.errno) from None
        key = (inode.sb, inode.ino)
        self.net.unix_by_inode[key] = self
        self.addr, self.key = addr[:2] + path + b"\0", ("inode", key)

    def _autobind(self) -> None:
        while True:
            name = b"\0%05x" % (next(_autobind_numbers) & 0xFFFFF)
            if name not in self.net.unix_abstract:
                break
        self.net.unix_abstract[name] = self
        self.addr, self.key = b"\x01\x00" + name, ("abstract", name)

    def _unbind(self) -> None:
        if self.key is None:
            return
        table = self.net.unix_abstract if self.key[0] == "abstract" else self.net.unix_by_inode
        if table.get(self.key[1]) is self:
            del table[self.key[1]]
        self.key = None

    def _find(self, task: "Task", addr: bytes) -> "UnixSocket":
        """unix_find_other: the socket bound to `addr`."""
        _check_addr(addr)
        if len(addr) == SUN_PATH_OFFSET:
            raise KernelError(errno.EINVAL)
        if addr[2] == 0:
            other = self.net.unix_abstract.get(addr[2:])
        else:
            assert path_ops is not None
            inode = path_ops.lookup(task, _bsd_path(addr))
            if not stat_mod.S_ISSOCK(inode.mode):
                raise KernelError(errno.ECONNREFUSED)
            other = self.net.unix_by_inode.get((inode.sb, inode.ino))
        if other is None or other.dead:
            raise KernelError(errno.ECONNREFUSED)
        if other.type != self.type:
            raise KernelError(errno.EPROTOTYPE)
        return other

    def getname(self, peer: bool) -> bytes:
        if peer:
            if self.peer is None:
                raise KernelError(errno.ENOTCONN)
            return self.peer.addr or b"\x01\x00"
        return self.addr or b"\x01\x00"

    # ------------------------------------------------------------------------------------- connections
    def listen(self, task: "Task", backlog: int) -> None:
        if not self.connection:
            raise KernelError(errno.EOPNOTSUPP)
        if self.addr is None or self.peer is not None:
            raise KernelError(errno.EINVAL)
        self.backlog = backlog if 0 <= backlog <= SOMAXCONN else SOMAXCONN
        self.listening = True
        self.peercred = self.cred = (task.group.pid, task.group.creds.euid, task.group.creds.egid)
        self.wake_state()                        # a larger backlog lets waiting connects in

    def connect(self, task: "Task", addr: bytes) -> None:
        if not self.connection:
            self._dgram_connect(task, addr)
            return
        other = self._find(task, addr)
        if not other.listening or other.shutdown & RCV_SHUTDOWN:
            raise KernelError(errno.ECONNREFUSED)
        if len(other.accept_queue) > other.backlog:
            if self.nonblocking:
                raise KernelError(errno.EAGAIN)
            sock_wait(task, self.sndtimeo, other.state_wq, self.state_wq)
        if self.peer is not None:
            raise KernelError(errno.EISCONN)
        if self.listening:
            raise KernelError(errno.EINVAL)
        if self.passcred and self.addr is None:
            self._autobind()
        embryo = UnixSocket(task, self.type)
        embryo.addr = other.addr
        embryo.peercred = embryo.cred = (task.group.pid, task.group.creds.euid, task.group.creds.egid)
        embryo.sndbuf, embryo.rcvbuf, embryo.passcred = other.sndbuf, other.rcvbuf, other.passcred
        self.peercred = other.cred
        _pair(self, embryo)
        other.accept_queue.append(embryo)
        other.wake_state()

    def _dgram_connect(self, task: "Task", addr: bytes) -> None:
        if len(addr) >= 2 and int.from_bytes(addr[:2], "little") == AF_UNSPEC:
            self.peer = None                                 # disconnect
            return
        other = self._find(task, addr)
        if self.passcred and self.addr is None:
            self._autobind()
        self.peer = other

    def accept(self, task: "Task", flags: int) -> "UnixSocket":
        if not self.connection:
            raise KernelError(errno.EOPNOTSUPP)
        if not self.listening:
            raise KernelError(errno.EINVAL)
        if not self.accept_queue:
            if self.nonblocking:
                raise KernelError(errno.EAGAIN)
            sock_wait(task, self.rcvtimeo, self.state_wq)
        new = self.accept_queue.popleft()
        self.wake_state()                                    # room for a waiting connect
        new.uid, new.gid = task.group.creds.euid, task.group.creds.egid
        return new

    # -------------------------------------------------------------------------------------------- send
    def sendmsg(self, task: "Task", views: list[memoryview], flags: int, addr: bytes | None,
                anc: Ancillary) -> int:
        if flags & MSG_OOB:
            raise KernelError(errno.EOPNOTSUPP)                # (a kernel without CONFIG_AF_UNIX_OOB)
        if self.connection:
            if addr is not None and self.stream:
                raise KernelError(errno.EISCONN if self.peer is not None else errno.EOPNOTSUPP)
            return self._send_connected(task, views, flags, anc)
        if self.err:
            raise KernelError(self.take_error())
        if self.shutdown & SEND_SHUTDOWN:
            _epipe(task, flags)
        if addr is not None:
            other = self._find(task, addr)
            if other.peer is not None and other.peer is not self:
                raise KernelError(errno.EPERM)                # unix_may_send
        else:
            other = self.peer
            if other is None:
                raise KernelError(errno.ENOTCONN)
            if other.dead:
                self.peer = None
                raise KernelError(errno.ECONNREFUSED)
        if self.passcred and self.addr is None:
            self._autobind()
        if other.shutdown & RCV_SHUTDOWN:
            _epipe(task, flags)
        data = b"".join(views)
        self._check_size(len(data))
        q = other.rx
        assert isinstance(q, Datagrams)
        full = q.bytes >= self.sndbuf or (other.peer is not self and len(q) > MAX_DGRAM_QLEN)
        if full:
            if self.nonblocking or flags & MSG_DONTWAIT:
                raise KernelError(errno.EAGAIN)
            sock_wait(task, self.sndtimeo, q.write_queue, self.state_wq)
        q.push(Message(data, anc.files, self.addr, anc.creds or self.cred))
        return len(data)

    def _check_size(self, size: int) -> None:
        if size > self.sndbuf - 32:
            raise KernelError(errno.EMSGSIZE)

    def _send_connected(self, task: "Task", views: list[memoryview], flags: int, anc: Ancillary) -> int:
        if self.err and not self.stream:
            raise KernelError(self.take_error())
        peer = self.peer
        if self.shutdown & SEND_SHUTDOWN or (peer is not None and peer.shutdown & RCV_SHUTDOWN):
            _epipe(task, flags)
        if peer is None:
            raise KernelError(errno.ENOTCONN)
        creds = anc.creds or self.cred
        if self.stream:
            peer.last_creds = creds
            return stream_send(self, task, views, flags, anc.files)
        data = b"".join(views)
        self._check_size(len(data))
        q = peer.rx
        assert isinstance(q, Datagrams)
        if q.bytes >= self.sndbuf:
            if self.nonblocking or flags & MSG_DONTWAIT:
                raise KernelError(errno.EAGAIN)
            sock_wait(task, self.sndtimeo, q.write_queue, self.state_wq)
        q.push(Message(data, anc.files, None, creds))
        return len(data)

    # -------------------------------------------------------------------------------------------- recv
    def recvmsg(self, task: "Task", size: int, flags: int) -> Received:
        rx = self.rx
        if self.stream:
            assert isinstance(rx, Pipe)
            if self.listening or (self.peer is None and not self.shutdown):
                raise KernelError(errno.EINVAL)                # not connected (TCP_ESTABLISHED)
            if flags & MSG_OOB:
                raise KernelError(errno.EOPNOTSUPP)
            if not rx.bytes_available() and self.err:
                raise KernelError(self.take_error())
            got = stream_recv(self, task, size, flags & ~MSG_TRUNC, eof=bool(self.shutdown & RCV_SHUTDOWN))
            got.creds = self.last_creds
            return got
        assert isinstance(rx, Datagrams)
        if flags & MSG_OOB:
            if self.type == SOCK_SEQPACKET and self.peer is None and not self.shutdown:
                raise KernelError(errno.ENOTCONN)
            raise KernelError(errno.EOPNOTSUPP)
        if not rx.messages:
            if self.err:
                raise KernelError(self.take_error())
            if self.shutdown & RCV_SHUTDOWN:
                return Received(b"")
            if self.connection and self.peer is None and not self.listening:
                raise KernelError(errno.ENOTCONN)
            if self.nonblocking or flags & MSG_DONTWAIT:
                raise KernelError(errno.EAGAIN)
            sock_wait(task, self.rcvtimeo, self.read_wq, self.state_wq)
        got = rx.pop(size, flags, dup_inflight)
        if self.connection:
            got.addr = None
        return got

    # ---------------------------------------------------------------------------------------- shutdown
    def do_shutdown(self, how: int) -> None:
        """shutdown(2): mirrored onto a connected peer as Linux's unix_shutdown does."""
        mode = how + 1                                     # RCV_SHUTDOWN, SEND_SHUTDOWN or both
        self.shutdown |= mode
        peer = self.peer
        if peer is not None and self.connection:
            peer_mode = (RCV_SHUTDOWN if mode & SEND_SHUTDOWN else 0) | (SEND_SHUTDOWN if mode & RCV_SHUTDOWN else 0)
            peer.shutdown |= peer_mode
            peer._shut_wake()
        self._shut_wake()

    def _shut_wake(self) -> None:
        if self.stream:
            if self.shutdown & RCV_SHUTDOWN:
                close_rx(self)
                stop_tx(self)            # (a writer into a shut-down reader gets EPIPE)
            if self.shutdown & SEND_SHUTDOWN and self.peer is not None:
                close_rx(self.peer)
        self.wake_state()

    def release(self, embryo: bool = False) -> None:
        """The last descriptor closed (or, `embryo`, a queued connection of a closing listener is reset)."""
        self.dead = True
        self._unbind()
        self.net.sockets.discard(self)
        for embryo in self.accept_queue:                   # queued connections are reset
            embryo.release(embryo=True)
        self.accept_queue.clear()
        peer = self.peer
        self.shutdown = SHUTDOWN_MASK
        if peer is not None and self.connection:
            if self._unread() or embryo:
                peer.err = errno.ECONNRESET
            peer.shutdown = SHUTDOWN_MASK
            peer._shut_wake()
        self.peer = None
        drop_marks(self)
        if isinstance(self.rx, Datagrams):
            self.rx.purge()
        else:
            self.rx.buffers.clear()
            close_rx(self)
            stop_tx(self)
        self.wake_state()

    def _unread(self) -> bool:
        return bool(self.rx.bytes_available() or (isinstance(self.rx, Datagrams) and self.rx.messages))

    # ------------------------------------------------------------------------------------ file interface
    def bytes_available(self) -> int:
        """FIONREAD/SIOCINQ: unread bytes (stream) or the size of the next message."""
        if self.listening:
            raise KernelError(errno.EINVAL)
        return self.rx.bytes_available()

    def outq(self) -> int:
        peer = self.peer
        if peer is None:
            return 0
        return peer.rx.bytes_available() if self.stream else peer.rx.bytes

    def poll_mask(self) -> int:
        """Linux's unix_poll / unix_dgram_poll."""
        mask = POLLERR if self.err else 0
        if self.shutdown == SHUTDOWN_MASK:
            mask |= POLLHUP
        if self.shutdown & RCV_SHUTDOWN:
            mask |= POLLRDHUP | POLLIN | POLLRDNORM
        if self.listening:
            return mask | (POLLIN | POLLRDNORM if self.accept_queue else 0)
        if self._unread():
            mask |= POLLIN | POLLRDNORM
        if self.connection and self.peer is None:
            mask |= POLLHUP                                    # not connected (TCP_CLOSE)
        peer = self.peer
        if self.stream:
            writable = peer is None or not peer.rx.full()
        else:
            writable = self.sndbuf >= 4 * (peer.rx.bytes if peer is not None else 0)
            if peer is not None and not self.connection and peer.peer is not self and len(peer.rx) > MAX_DGRAM_QLEN:
                writable = False
        if writable:
            mask |= POLLOUT | POLLWRNORM | POLLWRBAND
        return mask

    def poll_queues(self, task: "Task") -> tuple:
        queues = super().poll_queues(task)
        if self.peer is not None and not self.stream:
            queues += (self.peer.rx.write_queue,)               # room in the peer's queue (peer_wait)
        return queues


def _pair(a: UnixSocket, b: UnixSocket) -> None:
    if a.stream:
        join(a, b)
    else:
        a.peer, b.peer = b, a


def _epipe(task: "Task", flags: int) -> None:
    if not flags & MSG_NOSIGNAL:
        send_sigpipe(task)
    raise KernelError(errno.EPIPE)


def _check_addr(addr: bytes) -> None:
    """unix_validate_addr: a sockaddr_un of at least sun_family, at most the whole struct, family AF_UNIX."""
    if len(addr) < SUN_PATH_OFFSET or len(addr) > SUN_PATH_OFFSET + UNIX_PATH_MAX:
        raise KernelError(errno.EINVAL)
    if int.from_bytes(addr[:2], "little") != AF_UNIX:
        raise KernelError(errno.EINVAL)


def _bsd_path(addr: bytes) -> bytes:
    """unix_mkname_bsd: sun_path up to its first NUL."""
    return addr[2:].split(b"\0", 1)[0]


def socket_pair(task: "Task", sock_type: int, flags: int) -> tuple[UnixSocket, UnixSocket]:
    a, b = UnixSocket(task, sock_type, flags), UnixSocket(task, sock_type, flags)
    _pair(a, b)
    a.peercred = b.peercred = a.cred
    return a, b


def unix_type(sock_type: int, protocol: int) -> int:
    """unix_create's checks: protocol 0 (or PF_UNIX); SOCK_RAW is a datagram socket."""
    if protocol and protocol != AF_UNIX:
        raise KernelError(errno.EPROTONOSUPPORT)
    if sock_type == SOCK_RAW:
        sock_type = SOCK_DGRAM
    if sock_type not in (SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET):
        raise KernelError(errno.ESOCKTNOSUPPORT)
    return sock_type


def unix_create(task: "Task", sock_type: int, protocol: int, flags: int) -> UnixSocket:
    return UnixSocket(task, unix_type(sock_type, protocol), flags)


register_family(AF_UNIX, unix_create)
