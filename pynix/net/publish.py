"""`pynix run --publish HOST_PORT:GUEST_PORT[/tcp|/udp]`: a host port forwarded into the machine (what
docker-proxy or gVisor's port forwarding do), inside the kernel's host-I/O poll loop -- no thread per connection.

TCP: pynix listens on the host's 127.0.0.1:HOST_PORT.  Each host connection becomes a connection from
127.0.0.1:<ephemeral> to the guest socket listening on GUEST_PORT (refused -- closed at once -- if none listens or
its backlog is full).  The kernel holds the guest-side client socket (a "bridge"): bytes read from the host go
into the guest connection, and bytes the guest sends are written to the host as they arrive; a FIN either way is
passed on as a shutdown of the other side.  Flow control: while the guest's receive buffer is full the host
socket is not read; while the host does not take data, it waits in the bridge's receive buffer.

UDP: datagrams to the host port arrive at the guest socket bound to GUEST_PORT from a bridge socket per host
sender; what the guest sends back to that bridge goes back to the sender.
"""
from __future__ import annotations

import errno
import socket
import time
from dataclasses import dataclass
from types import SimpleNamespace

from pynix.errors import KernelError
from pynix.net.core.datagram import Message
from pynix.net.inet.af_inet import pack_sockaddr
from pynix.net.inet.route import LOOPBACK4
from pynix.net.inet.tcp import SS_CONNECTED, TcpSocket
from pynix.net.inet.udp import UdpSocket
from pynix.net.socket import AF_INET, MSG_DONTWAIT, MSG_NOSIGNAL, SHUT_WR, Ancillary
from pynix.task.cred import KERNEL_CREDS

CHUNK = 65536
RETRY_NS = 5_000_000


@dataclass(frozen=True)
class PublishSpec:
    host_port: int
    guest_port: int
    proto: str = "tcp"


def parse_publish(text: str) -> PublishSpec:
    """HOST_PORT:GUEST_PORT[/tcp|/udp] (ValueError otherwise)."""
    ports, _, proto = text.partition("/")
    proto = proto or "tcp"
    host, sep, guest = ports.partition(":")
    if not sep or proto not in ("tcp", "udp"):
        raise ValueError(f"expected HOST_PORT:GUEST_PORT[/tcp|/udp], not {text!r}")
    spec = PublishSpec(int(host), int(guest), proto)
    if not (0 < spec.host_port < 65536 and 0 < spec.guest_port < 65536):
        raise ValueError(f"ports must be 1-65535 in {text!r}")
    return spec


def _kernel_side(kernel) -> SimpleNamespace:
    """What a socket the kernel itself owns needs of a task (Linux's kernel sockets belong to no process)."""
    return SimpleNamespace(kernel=kernel, group=SimpleNamespace(pid=0, creds=KERNEL_CREDS), restart_data=None,
                           nsproxy=kernel.init_nsproxy)


class Publisher:
    """One --publish rule: the host socket and what it forwards."""

    def __init__(self, kernel, spec: PublishSpec) -> None:
        self.kernel, self.spec = kernel, spec
        kind = socket.SOCK_STREAM if spec.proto == "tcp" else socket.SOCK_DGRAM
        self.sock = socket.socket(socket.AF_INET, kind)
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.sock.bind(("127.0.0.1", spec.host_port))      # OSError (EADDRINUSE...) for the caller
            if kind == socket.SOCK_STREAM:
                self.sock.listen(128)
        except OSError:
            self.sock.close()
            raise
        self.sock.setblocking(False)
        self.bridges: dict[tuple, UdpBridge] = {}
        kernel.watch_host_fd(self.sock.fileno(), self._accept if kind == socket.SOCK_STREAM else self._datagram)

    def _accept(self) -> None:
        try:
            conn, _ = self.sock.accept()
        except OSError:
            return
        conn.setblocking(False)
        net = self.kernel.init_nsproxy.net                  # ports are published into the machine's network
        listener = net.tcp.lookup(LOOPBACK4, self.spec.guest_port, lambda s: s.is_listening)
        if listener is None or listener._full():
            conn.close()                                    # nobody listens: the host client sees it closed
            return
        TcpBridge(self.kernel, conn, listener)

    def _datagram(self) -> None:
        try:
            data, addr = self.sock.recvfrom(CHUNK)
        except OSError:
            return
        bridge = self.bridges.get(addr)
        if bridge is None:
            bridge = self.bridges[addr] = UdpBridge(self.kernel, self, addr)
        bridge.forward(data)


class TcpBridge:
    """One forwarded connection: a host socket and the kernel-held guest client socket joined to it."""

    def __init__(self, kernel, conn: socket.socket, listener: TcpSocket) -> None:
        self.kernel, self.conn = kernel, conn
        side = _kernel_side(kernel)
        self.task = side
        sock = self.sock = TcpSocket(side, AF_INET)         # the client end, owned by the kernel
        sock.laddr = LOOPBACK4
        sock.autobind(side, LOOPBACK4)
        sock.raddr, sock.rport = LOOPBACK4, listener.lport
        listener._establish(sock)
        sock.sock_state = SS_CONNECTED
        self.pending = b""                                  # read from the host, not yet taken by the guest
        self.out = b""                                      # sent by the guest, not yet taken by the host
        self.host_eof = self.guest_eof = False
        sock.read_wq.callbacks.append(self._guest_sent)
        sock.write_wq.callbacks.append(self._guest_room)
        sock.state_wq.callbacks.append(self._guest_sent)
        kernel.watch_host_fd(conn.fileno(), self._host_readable)

    # host -> guest
    def _host_readable(self) -> None:
        try:
            data = self.conn.recv(CHUNK)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self.host_eof = True
            self.kernel.watch_host_fd(self.conn.fileno(), None)
            if self.sock.state in (1, 8):                   # ESTABLISHED / CLOSE_WAIT: pass the FIN on
                self.sock.do_shutdown(SHUT_WR)
            self._maybe_close()
            return
        self.pending += data
        self._push()

    def _push(self) -> None:
        while self.pending and self.sock.peer is not None and not self.sock.peer.dead:
            try:
                n = self.sock.sendmsg(self.task, [memoryview(self.pending)], MSG_DONTWAIT | MSG_NOSIGNAL, None,
                                      Ancillary())
            except KernelError:
                break
            self.pending = self.pending[n:]
        fd = self.conn.fileno()
        if self.pending:
            self.kernel.watch_host_fd(fd, None)            # the guest's buffer is full: stop reading the host
        elif not self.host_eof and fd >= 0:
            self.kernel.watch_host_fd(fd, self._host_readable)

    def _guest_room(self, _key: int = 0) -> None:
        if self.pending:
            self._push()

    # guest -> host
    def _guest_sent(self, _key: int = 0) -> None:
        rx = self.sock.rx
        while rx.buffers:
            self.out += bytes(rx._take(CHUNK))
        self._flush()

    def _flush(self) -> None:
        if self.conn.fileno() < 0:
            return
        try:
            while self.out:
                n = self.conn.send(self.out[:CHUNK])
                self.out = self.out[n:]
        except BlockingIOError:
            self.kernel.add_timer(time.monotonic_ns() + RETRY_NS, self._flush)
            return
        except OSError:
            self.out = b""
        sock = self.sock
        if not self.out and not self.guest_eof and (sock.fin_received or sock.err or sock.state == 7):
            self.guest_eof = True
            try:
                self.conn.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            self._maybe_close()

    def _maybe_close(self) -> None:
        if self.host_eof and self.guest_eof and self.conn.fileno() >= 0:
            self.kernel.watch_host_fd(self.conn.fileno(), None)
            self.conn.close()
            self.sock.release()


class UdpBridge:
    """One host sender of a UDP rule, seen in the guest as a socket on 127.0.0.1:<ephemeral>."""

    def __init__(self, kernel, publisher: Publisher, addr: tuple) -> None:
        self.publisher, self.addr = publisher, addr
        side = self.task = _kernel_side(kernel)
        self.sock = UdpSocket(side, AF_INET)
        self.sock.laddr = LOOPBACK4
        self.sock.autobind(side, LOOPBACK4)
        self.sock.read_wq.callbacks.append(self._guest_sent)

    def forward(self, data: bytes) -> None:
        dst = pack_sockaddr(AF_INET, LOOPBACK4, self.publisher.spec.guest_port)
        try:
            self.sock.sendmsg(self.task, [memoryview(data)], 0, dst, Ancillary())
        except KernelError:
            pass

    def _guest_sent(self, _key: int = 0) -> None:
        rx = self.sock.rx
        while rx.messages:
            msg: Message = rx.messages.popleft()
            rx.bytes -= len(msg.data)
            try:
                self.publisher.sock.sendto(msg.data, self.addr)
            except OSError as err:
                if err.errno != errno.EAGAIN:
                    break


def publish_all(kernel, specs: list[PublishSpec]) -> list[Publisher]:
    """Open every rule's host socket (OSError names the first port that cannot be had)."""
    return [Publisher(kernel, spec) for spec in specs]
