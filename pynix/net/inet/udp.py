"""UDP over the machine's own devices (Linux's udp.c / udp_ipv6.c as seen from outside).

A send routes the destination (ENETUNREACH off the machine), takes an ephemeral port if the socket has none,
and puts the whole datagram in the receive queue of the socket bound to the destination (an exact address
beats a wildcard; a connected socket only takes datagrams from its peer), with the sender's address as the
receiver's family shows it.  Nobody there: the datagram is lost, and a *connected* sender learns it as Linux's
ICMP port-unreachable tells it -- the next send or receive fails with ECONNREFUSED.  A full receive buffer
drops the datagram.  Datagrams above 65507 bytes (IPv4) / 65527 (IPv6) are EMSGSIZE.

Differences from Linux: the receive buffer counts payload bytes (Linux counts truesize), no broadcast or
multicast delivery, no IP_PKTINFO/IP_RECVERR control messages.
"""
from __future__ import annotations

import errno
from typing import TYPE_CHECKING

from pynix.errors import KernelError
from pynix.net.core.datagram import Datagrams, Message
from pynix.net.inet.af_inet import IPPROTO_UDP, InetSocket, family_of, pack_sockaddr, unpack_sockaddr
from pynix.net.inet.route import ANY4, ANY6, is_any, local_dst, route_output
from pynix.net.socket import (AF_INET, AF_INET6, AF_UNSPEC, MSG_DONTWAIT, MSG_OOB, POLLERR, POLLHUP, POLLIN,
                              POLLOUT, POLLRDHUP, POLLRDNORM, POLLWRBAND, POLLWRNORM, RCV_SHUTDOWN,
                              SEND_SHUTDOWN, SHUTDOWN_MASK, SOCK_DGRAM, Ancillary, Received,
                              sock_wait)

if TYPE_CHECKING:
    from pynix.net.inet.hashtables import PortTable
    from pynix.task.task import Task

UDP_MAX = {AF_INET: 65507, AF_INET6: 65527}
TCP_ESTABLISHED, TCP_CLOSE = 1, 7


class UdpSocket(InetSocket):
    def __init__(self, task: "Task", family: int, flags: int = 0) -> None:
        super().__init__(task, family, SOCK_DGRAM, IPPROTO_UDP, flags)
        self.rx = Datagrams(self.read_wq)
        self.shutdown = 0

    @property
    def table(self) -> "PortTable":
        return self.net.udp

    def proc_state(self) -> int:
        return TCP_ESTABLISHED if self.rport else TCP_CLOSE

    # ----------------------------------------------------------------------------------------- connect
    def connect(self, task: "Task", raw: bytes) -> None:
        if family_of(raw) == AF_UNSPEC:
            self.raddr, self.rport = (ANY4 if self.family == AF_INET else ANY6), 0
            if not self.user_bound:
                self.unhash()
                self.lport = 0
                self.laddr = self.raddr
            return
        dst, port = self._dest(raw)
        _dev, src = route_output(self.net, dst)
        self.autobind(task, src)
        if is_any(self.laddr):
            self.laddr = src if self.family == AF_INET6 or src[:12] == ANY4[:12] else self.laddr
        self.raddr, self.rport = local_dst(dst), port

    def _dest(self, raw: bytes) -> tuple[bytes, int]:
        """A destination: an AF_INET6 socket also takes a sockaddr_in (unless IPV6_V6ONLY)."""
        if self.family == AF_INET6 and family_of(raw) == AF_INET:
            if self.v6only:
                raise KernelError(errno.ENETUNREACH)
            return unpack_sockaddr(AF_INET, raw)
        return self.dest(raw)

    # -------------------------------------------------------------------------------------------- send
    def sendmsg(self, task: "Task", views: list[memoryview], flags: int, addr: bytes | None,
                anc: Ancillary) -> int:
        if flags & MSG_OOB:
            raise KernelError(errno.EOPNOTSUPP)
        if addr is not None:
            dst, port = self._dest(addr)
            if port == 0:
                raise KernelError(errno.EINVAL)
        elif self.rport:
            dst, port = self.raddr, self.rport
        else:
            raise KernelError(errno.EDESTADDRREQ)
        data = b"".join(views)
        if len(data) > UDP_MAX[self.family]:
            raise KernelError(errno.EMSGSIZE)
        if self.shutdown & SEND_SHUTDOWN:
            raise KernelError(errno.EPIPE)
        if self.err:
            raise KernelError(self.take_error())
        dev, src = route_output(self.net, dst)
        self.autobind(task, None)
        if not is_any(self.laddr):
            src = self.laddr
        dst = local_dst(dst)
        dev.account(len(data))
        target = self.table.lookup(dst, port, lambda s: not s.rport or (s.raddr == src and s.rport == self.lport))
        if target is None:
            if self.rport:
                self.err = errno.ECONNREFUSED             # the ICMP port unreachable of a connected socket
                self.wake_state()
            return len(data)
        if target.rx.bytes + len(data) <= target.rcvbuf and not target.shutdown & RCV_SHUTDOWN:
            target.rx.push(Message(data, None, pack_sockaddr(target.family, src, self.lport)))
        return len(data)

    # -------------------------------------------------------------------------------------------- recv
    def recvmsg(self, task: "Task", size: int, flags: int) -> Received:
        if flags & MSG_OOB:
            raise KernelError(errno.EOPNOTSUPP)
        if not self.rx.messages:
            if self.err:
                raise KernelError(self.take_error())
            if self.shutdown & RCV_SHUTDOWN:
                return Received(b"")
            if self.nonblocking or flags & MSG_DONTWAIT:
                raise KernelError(errno.EAGAIN)
            sock_wait(task, self.rcvtimeo, self.read_wq, self.state_wq)
        return self.rx.pop(size, flags)

    def do_shutdown(self, how: int) -> None:
        self.shutdown |= how + 1
        self.wake_state()
        if not self.rport:
            raise KernelError(errno.ENOTCONN)

    def release(self) -> None:
        self.rx.purge()
        super().release()

    # ------------------------------------------------------------------------------------ file interface
    def bytes_available(self) -> int:
        return self.rx.bytes_available()

    def poll_mask(self) -> int:
        """datagram_poll."""
        mask = POLLERR if self.err else 0
        if self.shutdown & RCV_SHUTDOWN:
            mask |= POLLRDHUP | POLLIN | POLLRDNORM
        if self.shutdown == SHUTDOWN_MASK:
            mask |= POLLHUP
        if self.rx.messages:
            mask |= POLLIN | POLLRDNORM
        return mask | POLLOUT | POLLWRNORM | POLLWRBAND
