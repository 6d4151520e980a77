"""TCP over the machine's own devices (Linux's tcp.c, tcp_ipv4.c, inet_connection_sock.c as seen from outside).

No segments are exchanged: a connection is two sockets joined by byte streams (net/core/stream.py), and every
state change a peer would learn from a SYN, FIN or RST is applied to it directly.  What a program can observe
follows Linux:

- connect() to a port nobody listens on is ECONNREFUSED; a non-blocking connect always says EINPROGRESS and
  reports the outcome through poll (POLLOUT, with POLLERR|POLLHUP on failure) and SO_ERROR; connect again
  returns 0 once after success, then EISCONN (EALREADY while pending; the error or ECONNABORTED after failure).
- listen(N) queues N+1 established connections; further connects wait (blocking: until accept makes room or
  SO_SNDTIMEO passes, then EINPROGRESS) in the listener's SYN queue.  Closing a listener resets what it queued.
- close() with unread data, or with SO_LINGER {1, 0}, resets the connection: the peer's next call fails with
  ECONNRESET, then reads see end-of-file and writes EPIPE.  A normal close is a FIN: the peer reads what is left
  then 0; its first write afterwards succeeds (and is answered by a RST), the next fails with EPIPE + SIGPIPE.
- shutdown(SHUT_WR) sends a FIN (the peer reads 0); SHUT_RD only ends local reads.
- TCP-level options are stored with Linux's defaults (TCP_NODELAY, TCP_MAXSEG, TCP_KEEP*, TCP_CONGESTION...).

- The side that closes first leaves its connection in FIN_WAIT2 / TIME_WAIT (timewait.py) for 60 s, holding the
  port; the passive side's LAST_ACK ends at once (the ACK is immediate on loopback), in CLOSE.

- Urgent data (tcp_urg, tcp_check_urg, tcp_recv_urg): the last byte of a MSG_OOB send is out of band.  Normal
  reads stop at it and then skip it (unless SO_OOBINLINE), FIONREAD counts up to it, SIOCATMARK says a read
  is at it; recv(MSG_OOB) takes it once, never blocking (EINVAL when there is none or it was taken, and with
  SO_OOBINLINE); poll says POLLPRI while it is unread, and POLLIN only for more than it; a newer urgent byte
  makes the older one normal data (or drops it if a read is at it); the F_SETOWN owner gets SIGURG.

Differences from Linux: MSG_PEEK at an urgent byte (without SO_OOBINLINE) shows it; TCP_INFO reports the state and zero counters, and the buffer sizes fit payload bytes, not truesize.
"""
from __future__ import annotations

import errno
import struct
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pynix.errors import KernelError
from pynix.fs.fasync import send_sigurg
from pynix.task.signal import send_sigpipe
from pynix.net.core.stream import close_rx, drop_marks, join, new_rx, stop_tx, stream_recv, stream_send
from pynix.net.inet.af_inet import IPPROTO_TCP, InetSocket
from pynix.net.inet.route import ANY4, ANY6, local_dst, route_output
from pynix.net.inet.timewait import TimeWaitSock
from pynix.net.socket import (AF_INET, AF_UNSPEC, MSG_DONTWAIT, MSG_NOSIGNAL, MSG_OOB, MSG_PEEK, MSG_TRUNC, POLLERR, POLLHUP, POLLIN,
                              POLLOUT, POLLPRI, POLLRDHUP, POLLRDNORM, POLLWRNORM, RCV_SHUTDOWN, SEND_SHUTDOWN,
                              SHUTDOWN_MASK, SOCK_STREAM, SOMAXCONN, Ancillary, Received, _inode_numbers,
                              sock_wait)
from pynix.sync.wait import WaitQueue

if TYPE_CHECKING:
    from pynix.mm.iov_iter import IovIter
    from pynix.net.inet.hashtables import PortTable
    from pynix.task.task import Task

(TCP_ESTABLISHED, TCP_SYN_SENT, TCP_SYN_RECV, TCP_FIN_WAIT1, TCP_FIN_WAIT2, TCP_TIME_WAIT, TCP_CLOSE,
 TCP_CLOSE_WAIT, TCP_LAST_ACK, TCP_LISTEN) = range(1, 11)
SS_UNCONNECTED, SS_CONNECTING, SS_CONNECTED = 1, 2, 3
TCP_RMEM_DEFAULT, TCP_WMEM_DEFAULT = 131072, 16384            # net.ipv4.tcp_rmem[1], tcp_wmem[1]
TCP_BUFFER = 262144                                            # what a stream holds before the writer waits
TCP_NODELAY, TCP_MAXSEG, TCP_CORK, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT, TCP_SYNCNT = 1, 2, 3, 4, 5, 6, 7
TCP_LINGER2, TCP_DEFER_ACCEPT, TCP_WINDOW_CLAMP, TCP_INFO, TCP_QUICKACK, TCP_CONGESTION = 8, 9, 10, 11, 12, 13
TCP_USER_TIMEOUT, TCP_FASTOPEN, TCP_NOTSENT_LOWAT = 18, 23, 25
TCP_DEFAULTS = {TCP_NODELAY: 0, TCP_CORK: 0, TCP_KEEPIDLE: 7200, TCP_KEEPINTVL: 75, TCP_KEEPCNT: 9,
                TCP_SYNCNT: 6, TCP_LINGER2: 60, TCP_DEFER_ACCEPT: 0, TCP_WINDOW_CLAMP: 0, TCP_QUICKACK: 1,
                TCP_USER_TIMEOUT: 0, TCP_FASTOPEN: 0, TCP_NOTSENT_LOWAT: -1}
TCP_RANGES = {TCP_KEEPIDLE: (1, 32767), TCP_KEEPINTVL: (1, 32767), TCP_KEEPCNT: (1, 127), TCP_SYNCNT: (1, 127)}
TCP_MSS_DEFAULT, TCP_MIN_MSS = 536, 88
TCP_MSS_LOOPBACK = 32768                 # mss_cache on lo: half the largest window (tcp_bound_to_half_wnd)
TCP_INFO_SIZE = 232


@dataclass
class Urgent:
    """tp->urg_seq and tp->urg_data: where the urgent byte is in the stream (counted as `taken` counts), its
    value, and whether recv(MSG_OOB) took it (TCP_URG_READ)."""
    seq: int
    byte: int
    read: bool = False


class TcpSocket(InetSocket):
    def __init__(self, task: "Task", family: int, flags: int = 0) -> None:
        super().__init__(task, family, SOCK_STREAM, IPPROTO_TCP, flags)
        self.state = TCP_CLOSE
        self.sock_state = SS_UNCONNECTED
        self.sndbuf, self.rcvbuf = TCP_WMEM_DEFAULT, TCP_RMEM_DEFAULT
        self.rx = new_rx(self, TCP_BUFFER)
        self.peer: TcpSocket | None = None
        self.shutdown = 0
        self.marks: list = []
        self.taken = 0
        self.fin_received = False
        self.backlog = 0
        self.accept_queue: deque[TcpSocket] = deque()
        self.syn_queue: deque[TcpSocket] = deque()          # connects waiting for room in the accept queue
        self.listener: TcpSocket | None = None               # whose syn_queue this socket waits in
        self.tcp_opts = dict(TCP_DEFAULTS)
        self.maxseg = 0
        self.congestion = b"cubic"
        self.kernel = task.kernel

    @property
    def table(self) -> "PortTable":
        return self.net.tcp

    @property
    def is_listening(self) -> bool:
        return self.state == TCP_LISTEN

    @property
    def accepting(self) -> bool:
        return self.state == TCP_LISTEN

    def proc_state(self) -> int:
        return self.state

    def state_bound(self) -> bool:
        return self.state != TCP_CLOSE

    # ------------------------------------------------------------------------------------------ listen
    def listen(self, task: "Task", backlog: int) -> None:
        if self.sock_state != SS_UNCONNECTED or self.state not in (TCP_CLOSE, TCP_LISTEN):
            raise KernelError(errno.EINVAL)
        if self.state != TCP_LISTEN:
            if self.lport:
                self.table.check_listen(self, self.lport)
            else:
                self.autobind(task)
            self.state = TCP_LISTEN
        self.backlog = backlog if 0 <= backlog <= SOMAXCONN else SOMAXCONN
        self._admit()

    def _full(self) -> bool:
        return len(self.accept_queue) > self.backlog

    def _admit(self) -> None:
        """Connections waiting in the SYN queue complete while the accept queue has room."""
        while self.syn_queue and not self._full():
            client = self.syn_queue.popleft()
            client.listener = None
            self._establish(client)

    def _establish(self, client: "TcpSocket") -> None:
        """The three-way handshake with `client`: a child socket joins it and waits in the accept queue."""
        child = TcpSocket.__new__(TcpSocket)
        child.__dict__.update({k: v for k, v in self.__dict__.items()})
        TcpSocket._reset_child(child, self)
        child.laddr = client.raddr                         # the address the client asked for
        child.raddr, child.rport = client.laddr, client.lport
        self.table.add(child, child.lport)
        join(client, child)
        client.state = child.state = TCP_ESTABLISHED
        for s in (client, child):
            s.maxseg = TCP_MSS_LOOPBACK
        self.accept_queue.append(child)
        if child.shutdown & SEND_SHUTDOWN:
            child._send_fin()                               # a listener's SHUT_WR passes to its children
        client.wake_state()
        self.wake_state()

    @staticmethod
    def _reset_child(child: "TcpSocket", parent: "TcpSocket") -> None:
        """sk_clone_lock: the child inherits the listener's options, not its queues or wait queues."""
        child.refs = 0
        child.epitems = None
        child.ino = next(_inode_numbers)
        child.read_wq, child.write_wq = WaitQueue(POLLIN | POLLRDNORM), WaitQueue(POLLOUT | POLLWRNORM)
        child.state_wq = WaitQueue(0)
        child.rx = new_rx(child, TCP_BUFFER)
        child.accept_queue, child.syn_queue, child.marks = deque(), deque(), []
        child.ip_opts, child.ipv6_opts, child.tcp_opts = dict(parent.ip_opts), dict(parent.ipv6_opts), \
            dict(parent.tcp_opts)
        child.state, child.sock_state, child.taken = TCP_SYN_RECV, SS_CONNECTED, 0   # (shutdown is inherited)
        child.err, child.fin_received, child.listener, child.peer = 0, False, None, None
        child.backlog, child.user_bound, child.urg = 0, False, None
        child.net.sockets.add(child)

    def accept(self, task: "Task", flags: int) -> "TcpSocket":
        if self.state != TCP_LISTEN:
            raise KernelError(errno.EINVAL)
        if not self.accept_queue:
            if self.nonblocking:
                raise KernelError(errno.EAGAIN)
            sock_wait(task, self.rcvtimeo, self.state_wq, self.read_wq)
        child = self.accept_queue.popleft()
        self._admit()
        child.uid, child.gid = task.group.creds.euid, task.group.creds.egid
        child.flags = self.flags
        return child

    # ----------------------------------------------------------------------------------------- connect
    def connect(self, task: "Task", raw: bytes) -> None:
        if len(raw) >= 2 and struct.unpack_from("<H", raw)[0] == AF_UNSPEC:
            self._disconnect()
            return
        if self.sock_state == SS_CONNECTED:
            raise KernelError(errno.EISCONN)
        if self.sock_state == SS_CONNECTING:
            return self._connect_progress(task)
        if self.state != TCP_CLOSE:
            raise KernelError(errno.EISCONN)
        dst, port = self.dest(raw)
        _dev, src = route_output(self.net, dst)
        self.autobind(task, src)
        self.raddr, self.rport = local_dst(dst), port
        self.sock_state = SS_CONNECTING
        listener = self.table.lookup(local_dst(dst), port, lambda s: s.is_listening)
        if listener is None:
            self._refused()
        elif listener._full():
            self.state = TCP_SYN_SENT
            self.listener = listener
            listener.syn_queue.append(self)
        else:
            listener._establish(self)
        if self.nonblocking:
            raise KernelError(errno.EINPROGRESS)
        self._connect_progress(task)

    def _connect_progress(self, task: "Task") -> None:
        """The rest of __inet_stream_connect once a connection was started."""
        if self.state == TCP_SYN_SENT:
            if self.nonblocking:
                raise KernelError(errno.EALREADY)
            sock_wait(task, self.sndtimeo, self.state_wq, expired=errno.EINPROGRESS)
        if self.state == TCP_CLOSE:
            self.sock_state = SS_UNCONNECTED
            err = self.take_error() or errno.ECONNABORTED
            raise KernelError(err)
        self.sock_state = SS_CONNECTED

    def _refused(self) -> None:
        """The connection failed: the autobound port goes (getsockname still shows it) and the source
        address is forgotten, as tcp_v4_connect's failure path leaves them."""
        self.state = TCP_CLOSE
        self.err = errno.ECONNREFUSED
        self.rport = 0
        if not self.user_bound:
            self.unhash()
            self.hashed = False
            self.laddr = ANY4 if self.family == AF_INET else ANY6
        self.wake_state()

    def _disconnect(self) -> None:
        """connect(AF_UNSPEC) / tcp_disconnect: abort whatever the socket was doing."""
        if self.state == TCP_LISTEN:
            self._stop_listening()
        elif self.peer is not None:
            self._reset_peer()
        self.state, self.sock_state, self.shutdown = TCP_CLOSE, SS_UNCONNECTED, 0
        self.rport = 0

    # ---------------------------------------------------------------------------------------- send/recv
    def sendmsg(self, task: "Task", views: list[memoryview], flags: int, addr: bytes | None,
                anc: Ancillary) -> int:
        if self.state == TCP_SYN_SENT:
            if self.nonblocking or flags & MSG_DONTWAIT:
                raise KernelError(errno.EAGAIN)
            sock_wait(task, self.sndtimeo, self.state_wq)
        if self.err:
            raise KernelError(self._stream_error(task, flags, self.take_error()))
        if self.shutdown & SEND_SHUTDOWN or self.state not in (TCP_ESTABLISHED, TCP_CLOSE_WAIT):
            raise KernelError(self._stream_error(task, flags, errno.EPIPE))
        peer = self.peer
        assert peer is not None
        if peer.dead:                                       # the peer is gone: it answers with a RST
            n = sum(len(v) for v in views)
            if n and peer.timewait is not None:
                peer.timewait.kill()
            if n:
                self.err = errno.EPIPE if self.fin_received else errno.ECONNRESET
                self.state = TCP_CLOSE
                self.shutdown = SHUTDOWN_MASK
                self.wake_state()
            return n
        n = stream_send(self, task, views, flags)
        self.net.devices[0].account(n)
        if flags & MSG_OOB and n:
            peer.urgent_arrived(peer.taken + peer.rx.bytes_available() - 1, _byte_at(views, n - 1))
        return n

    def urgent_arrived(self, seq: int, byte: int) -> None:
        """tcp_check_urg + tcp_urg: the byte at `seq` is urgent, replacing an older urgent byte (which a read at
        it without SO_OOBINLINE drops); SIGURG to the owner, POLLPRI to pollers."""
        old = self.urg
        if old is not None and old.seq == self.taken and not self.oobinline:
            self.rx._take(1)
            self.taken += 1
        self.urg = Urgent(seq, byte)
        if self.f_owner is not None:
            send_sigurg(self.kernel, self.f_owner)
        self.read_wq.wake_all(POLLIN | POLLRDNORM | POLLPRI)

    def _stream_error(self, task: "Task", flags: int, err: int) -> int:
        """sk_stream_error: EPIPE comes with SIGPIPE unless MSG_NOSIGNAL."""
        if err == errno.EPIPE and not flags & MSG_NOSIGNAL:
            send_sigpipe(task)
        return err

    def recvmsg(self, task: "Task", size: int, flags: int) -> Received:
        if self.state == TCP_LISTEN:
            raise KernelError(errno.ENOTCONN)
        if flags & MSG_OOB:
            return self._recv_urg(size, flags)
        urg = self.urg
        if urg is not None:
            if urg.seq == self.taken and not self.oobinline and not flags & MSG_PEEK and self.rx.buffers:
                self.rx._take(1)                            # skip the urgent byte: the mark is passed
                self.taken += 1
                self.urg = None
            elif urg.seq > self.taken:
                size = min(size, urg.seq - self.taken)      # a read stops at the mark
        if not self.rx.bytes_available():
            if not self.fin_received:
                if self.err:
                    raise KernelError(self.take_error())
                if not self.shutdown & RCV_SHUTDOWN and self.state == TCP_CLOSE:
                    raise KernelError(errno.ENOTCONN)
                if self.state == TCP_SYN_SENT and (self.nonblocking or flags & MSG_DONTWAIT):
                    raise KernelError(errno.EAGAIN)
        eof = self.fin_received or bool(self.shutdown & RCV_SHUTDOWN)
        got = stream_recv(self, task, size, flags, eof)
        if self.urg is not None and self.taken > self.urg.seq:
            self.urg = None                                 # (SO_OOBINLINE: read as normal data)
        return got

    def _recv_urg(self, size: int, flags: int) -> Received:
        """tcp_recv_urg: the urgent byte, once; with a zero-length buffer only MSG_OOB|MSG_TRUNC."""
        urg = self.urg
        if self.oobinline or urg is None or urg.read:
            raise KernelError(errno.EINVAL)
        if not flags & MSG_PEEK:
            urg.read = True
        if size <= 0:
            return Received(b"", length=0, msg_flags=MSG_OOB | MSG_TRUNC)
        return Received(b"" if flags & MSG_TRUNC else bytes([urg.byte]), length=1, msg_flags=MSG_OOB)

    def at_mark(self) -> int:
        """SIOCATMARK."""
        return int(self.urg is not None and self.urg.seq == self.taken)

    def _oob_at_read(self) -> bool:
        """The out-of-band urgent byte is the next byte (poll's POLLIN then needs one more)."""
        urg = self.urg
        return urg is not None and urg.seq == self.taken and not self.oobinline

    # ---------------------------------------------------------------------------------------- shutdown
    def do_shutdown(self, how: int) -> None:
        mode = how + 1
        if self.state == TCP_LISTEN:
            if mode & RCV_SHUTDOWN:
                self._stop_listening()
                self.state = TCP_CLOSE
            return
        if self.state in (TCP_CLOSE, TCP_SYN_SENT):
            if self.state == TCP_SYN_SENT:
                self._leave_syn_queue()
                self.state = TCP_CLOSE
                self.sock_state = SS_UNCONNECTED
                return
            self.shutdown |= mode
            self.wake_state()
            raise KernelError(errno.ENOTCONN)
        self.shutdown |= mode
        if mode & SEND_SHUTDOWN:
            self._send_fin()
        if mode & RCV_SHUTDOWN:
            self.read_wq.wake_all()
        self.wake_state()

    def _send_fin(self) -> None:
        peer = self.peer
        self.state = TCP_FIN_WAIT2 if self.state == TCP_ESTABLISHED else TCP_LAST_ACK
        if peer is not None and not peer.dead:
            peer.fin_received = True
            peer.shutdown |= RCV_SHUTDOWN
            if peer.state == TCP_ESTABLISHED:
                peer.state = TCP_CLOSE_WAIT
            elif peer.state == TCP_FIN_WAIT2:                # it closed first: tcp_time_wait, then tcp_done
                peer.timewait = TimeWaitSock(peer, TCP_TIME_WAIT, peer.kernel.add_timer)
                peer._done()
            close_rx(peer)
            peer.wake_state()
        elif peer is not None and peer.timewait is not None:
            peer.timewait.fin_received()                    # an orphan in FIN_WAIT2
        if self.state == TCP_LAST_ACK:                      # the ACK (or a RST) comes back at once
            self._done()

    def _done(self) -> None:
        """tcp_done: the connection is over; its port goes unless bind() chose it."""
        self.state = TCP_CLOSE
        if not self.user_bound:
            self.unhash()

    def _reset_peer(self) -> None:
        """Send a RST: the peer's next call fails with ECONNRESET (EPIPE if it had seen our FIN)."""
        peer = self.peer
        if peer is not None and peer.timewait is not None:
            peer.timewait.kill()
        if peer is None or peer.dead:
            return
        if peer.state != TCP_CLOSE:
            peer.err = errno.EPIPE if peer.state == TCP_CLOSE_WAIT else errno.ECONNRESET      # tcp_reset
        peer._done()
        peer.shutdown = SHUTDOWN_MASK
        close_rx(peer)
        stop_tx(peer)
        peer.wake_state()

    def _stop_listening(self) -> None:
        for child in self.accept_queue:
            child._reset_peer()
            child.dead = True
            child.unhash()
            child.net.sockets.discard(child)
        self.accept_queue.clear()
        for client in self.syn_queue:
            client.listener = None
            client._refused()
        self.syn_queue.clear()

    def _leave_syn_queue(self) -> None:
        if self.listener is not None and self in self.listener.syn_queue:
            self.listener.syn_queue.remove(self)
        self.listener = None

    dead = False
    urg: Urgent | None = None
    timewait: TimeWaitSock | None = None                  # what is left of the connection (timewait.py)

    def release(self) -> None:
        if self.state == TCP_LISTEN:
            self._stop_listening()
        self._leave_syn_queue()
        if self.peer is not None and self.state not in (TCP_CLOSE,):
            if self.rx.bytes_available() or self.linger == (1, 0):
                self._reset_peer()
            elif not self.shutdown & SEND_SHUTDOWN:
                self._send_fin()
        self.dead = True
        self.rx.buffers.clear()
        drop_marks(self)
        stop_tx(self)
        super().release()
        if self.state == TCP_FIN_WAIT2 and self.peer is not None and not self.peer.dead:
            self.timewait = TimeWaitSock(self, TCP_FIN_WAIT2, self.kernel.add_timer)      # an orphan
        self.wake_state()

    # ------------------------------------------------------------------------------------ file interface
    def read_iter(self, task: "Task", to: "IovIter") -> int:
        """read(2): with data queued and no urgent mark, what recvmsg would do, straight from rx into the user's
        buffer as a pipe read (the socket path must cost no more than a pipe: issue #13's bench target)."""
        if self.rx.buffers and self.urg is None and to.count:
            n = self.rx.read_iter(task, to, True)
            self.taken += n
            return n
        return super().read_iter(task, to)

    def write_iter(self, task: "Task", source: "IovIter") -> int:
        """write(2): on an established connection without a send timeout, what sendmsg would do, into the
        peer's rx as a pipe write."""
        peer = self.peer
        if self.state in (TCP_ESTABLISHED, TCP_CLOSE_WAIT) and not (self.err or self.sndtimeo or self.shutdown
                                                                   & SEND_SHUTDOWN) and not peer.dead:
            n = peer.rx.write_iter(task, source, self.nonblocking, packet=False)
            self.net.devices[0].account(n)
            return n
        return super().write_iter(task, source)

    def bytes_available(self) -> int:
        if self.state == TCP_LISTEN:
            raise KernelError(errno.EINVAL)
        urg = self.urg
        if urg is not None and not self.oobinline and urg.seq >= self.taken:
            return urg.seq - self.taken                     # tcp_ioctl: up to the mark
        return self.rx.bytes_available()

    def outq(self) -> int:
        """SIOCOUTQ: bytes not yet acknowledged -- on loopback, data is acknowledged as it is queued."""
        if self.state == TCP_LISTEN:
            raise KernelError(errno.EINVAL)
        return 0

    def poll_mask(self) -> int:
        """tcp_poll."""
        state = self.state
        if state == TCP_LISTEN:
            return POLLIN | POLLRDNORM if self.accept_queue else 0
        mask = 0
        if self.shutdown == SHUTDOWN_MASK or state == TCP_CLOSE:
            mask |= POLLHUP
        if self.shutdown & RCV_SHUTDOWN:
            mask |= POLLIN | POLLRDNORM | POLLRDHUP
        if state != TCP_SYN_SENT:
            if self.rx.bytes_available() > self._oob_at_read():
                mask |= POLLIN | POLLRDNORM
            if self.urg is not None and not self.urg.read:
                mask |= POLLPRI
            peer = self.peer
            if self.shutdown & SEND_SHUTDOWN or peer is None or peer.dead or not peer.rx.full():
                mask |= POLLOUT | POLLWRNORM
        if self.err:
            mask |= POLLERR
        return mask

    # ------------------------------------------------------------------------------------------ options
    def getsockopt_proto(self, level: int, name: int, size: int) -> bytes:
        if level != IPPROTO_TCP:
            return super().getsockopt_proto(level, name, size)
        if size < 0:
            raise KernelError(errno.EINVAL)
        if name == TCP_CONGESTION:
            return self.congestion.ljust(16, b"\0")[:min(size, 16)]
        if name == TCP_INFO:
            info = bytes([self.state]) + bytes(TCP_INFO_SIZE - 1)
            return info[:size]
        if name == TCP_MAXSEG:
            value = self.maxseg or TCP_MSS_DEFAULT
        elif name in self.tcp_opts:
            value = self.tcp_opts[name]
        else:
            raise KernelError(errno.ENOPROTOOPT)
        return struct.pack("<i", value)[:size]

    def setsockopt_proto(self, task: "Task", level: int, name: int, value: bytes) -> None:
        if level != IPPROTO_TCP:
            return super().setsockopt_proto(task, level, name, value)
        if name == TCP_CONGESTION:
            algo = value[:16].split(b"\0", 1)[0]
            if algo not in (b"cubic", b"reno"):
                raise KernelError(errno.ENOENT)
            self.congestion = algo
            return
        if len(value) < 4:
            raise KernelError(errno.EINVAL)
        val = struct.unpack_from("<i", value)[0]
        if name == TCP_MAXSEG:
            if val and (val < TCP_MIN_MSS or val > 65535):
                raise KernelError(errno.EINVAL)
            self.maxseg = val
            return
        if name not in self.tcp_opts:
            raise KernelError(errno.ENOPROTOOPT)
        low, high = TCP_RANGES.get(name, (None, None))
        if low is not None and not low <= val <= high:
            raise KernelError(errno.EINVAL)
        if name in (TCP_NODELAY, TCP_CORK, TCP_QUICKACK):
            val = int(val != 0)
        self.tcp_opts[name] = val


def _byte_at(views: list[memoryview], index: int) -> int:
    """The byte at `index` of the data `views` hold one after another."""
    for view in views:
        if index < len(view):
            return view[index]
        index -= len(view)
    raise IndexError(index)
