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
import struct
from typing import TYPE_CHECKING

from pynix.errors import KernelError
from pynix.net.core.datagram import Datagrams, Message
from pynix.net.inet.af_inet import (IP_PKTINFO, IP_RECVTOS, IP_RECVTTL, IP_TOS, IP_TTL, IPPROTO_IP,
                                    IPPROTO_IPV6, IPPROTO_UDP, IPPROTO_UDPLITE, IPV6_HOPLIMIT, IPV6_PKTINFO,
                                    IPV6_RECVHOPLIMIT, IPV6_RECVPKTINFO, IPV6_RECVTCLASS, IPV6_TCLASS,
                                    IPV6_UNICAST_HOPS, InetSocket, family_of, pack_sockaddr, unpack_sockaddr)
from pynix.net.inet.route import ANY4, ANY6, is_any, is_v4, local_dst, route_output
from pynix.net.socket import (AF_INET, AF_INET6, AF_UNSPEC, MSG_DONTWAIT, MSG_OOB, POLLERR, POLLHUP, POLLIN,
                              POLLOUT, POLLRDHUP, POLLRDNORM, POLLWRBAND, POLLWRNORM, RCV_SHUTDOWN,
                              SEND_SHUTDOWN, SHUTDOWN_MASK, SOCK_DGRAM, Ancillary, Received,
                              sock_wait)

if TYPE_CHECKING:
    from pynix.net.inet.hashtables import PortTable
    from pynix.task.task import Task

UDP_MAX = {AF_INET: 65507, AF_INET6: 65527}
UDP_CORK, UDPLITE_SEND_CSCOV, UDPLITE_RECV_CSCOV = 1, 10, 11
TCP_ESTABLISHED, TCP_CLOSE = 1, 7


class UdpSocket(InetSocket):
    """A UDP (or UDP-Lite: the same datagrams, with a checksum coverage option) socket."""

    def __init__(self, task: "Task", family: int, flags: int = 0, protocol: int = IPPROTO_UDP) -> None:
        super().__init__(task, family, SOCK_DGRAM, protocol, flags)
        self.rx = Datagrams(self.read_wq)
        self.shutdown = 0
        self.udp_opts = {UDP_CORK: 0}
        if protocol == IPPROTO_UDPLITE:
            self.udp_opts.update({UDPLITE_SEND_CSCOV: 0, UDPLITE_RECV_CSCOV: 0})

    @property
    def table(self) -> "PortTable":
        return self.net.udplite if self.protocol == IPPROTO_UDPLITE else self.net.udp

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
        meta = self._send_meta(anc, dst)
        dev.account(len(data))
        target = self.table.lookup(dst, port, lambda s: not s.rport or (s.raddr == src and s.rport == self.lport))
        if target is None:
            if self.rport:
                self.err = errno.ECONNREFUSED             # the ICMP port unreachable of a connected socket
                self.wake_state()
            return len(data)
        if target.rx.bytes + len(data) <= target.rcvbuf and not target.shutdown & RCV_SHUTDOWN:
            target.rx.push(Message(data, None, pack_sockaddr(target.family, src, self.lport), None,
                                   meta + (dst,)))
        return len(data)

    def _send_meta(self, anc: Ancillary, dst: bytes) -> tuple[int, int]:
        """(hop limit / TTL, traffic class / TOS) of a datagram: the socket's, or its control messages'
        (ip_cmsg_send / ip6_datagram_send_ctl: EINVAL for a bad length, value or type)."""
        v6 = self.family == AF_INET6 and not is_v4(dst)
        if v6:
            hops, tclass = self.ipv6_opts[IPV6_UNICAST_HOPS], self.ipv6_opts[IPV6_TCLASS]
        else:
            hops, tclass = self.ip_opts[IP_TTL], self.ip_opts[IP_TOS]
        for level, kind, body in anc.proto:
            if level == IPPROTO_IPV6 and self.family == AF_INET6:
                if kind in (IPV6_HOPLIMIT, IPV6_TCLASS):
                    if len(body) != 4:
                        raise KernelError(errno.EINVAL)
                    val = struct.unpack("<i", body)[0]
                    if val < -1 or val > 255:
                        raise KernelError(errno.EINVAL)
                    if kind == IPV6_HOPLIMIT:
                        hops = 64 if val == -1 else val
                    else:
                        tclass = 0 if val == -1 else val
                elif kind != IPV6_PKTINFO:
                    raise KernelError(errno.EINVAL)
            elif level == IPPROTO_IP and self.family == AF_INET:
                if kind in (IP_TTL, IP_TOS):
                    if len(body) != 4:
                        raise KernelError(errno.EINVAL)
                    val = struct.unpack("<i", body)[0]
                    if kind == IP_TTL and not 1 <= val <= 255 or kind == IP_TOS and not 0 <= val <= 255:
                        raise KernelError(errno.EINVAL)
                    hops, tclass = (val, tclass) if kind == IP_TTL else (hops, val)
                elif kind != IP_PKTINFO:
                    raise KernelError(errno.EINVAL)
        return hops, tclass

    def _recv_cmsgs(self, meta: tuple | None) -> list[tuple[int, int, bytes]]:
        """The control messages the receiver asked for (ip_cmsg_recv / ip6_datagram_recv_ctl), in Linux's
        order: packet info, hop limit / TTL, traffic class / TOS."""
        if meta is None:
            return []
        hops, tclass, dst = meta
        out = []
        if self.family == AF_INET6 and not is_v4(dst):
            o = self.ipv6_opts
            if o[IPV6_RECVPKTINFO]:
                out.append((IPPROTO_IPV6, IPV6_PKTINFO, dst + struct.pack("<i", 1)))
            if o[IPV6_RECVHOPLIMIT]:
                out.append((IPPROTO_IPV6, IPV6_HOPLIMIT, struct.pack("<i", hops)))
            if o[IPV6_RECVTCLASS]:
                out.append((IPPROTO_IPV6, IPV6_TCLASS, struct.pack("<i", tclass)))
            return out
        o = self.ip_opts
        if o[IP_PKTINFO]:
            out.append((IPPROTO_IP, IP_PKTINFO, struct.pack("<i", 1) + dst[12:] + dst[12:]))
        if o[IP_RECVTTL]:
            out.append((IPPROTO_IP, IP_TTL, struct.pack("<i", hops)))
        if o[IP_RECVTOS]:
            out.append((IPPROTO_IP, IP_TOS, bytes([tclass & 0xFF])))
        return out

    # -------------------------------------------------------------------------------------------- recv
    def recvmsg(self, task: "Task", size: int, flags: int) -> Received:
        """udp_recvmsg (which ignores MSG_OOB)."""
        if not self.rx.messages:
            if self.err:
                raise KernelError(self.take_error())
            if self.shutdown & RCV_SHUTDOWN:
                return Received(b"")
            if self.nonblocking or flags & MSG_DONTWAIT:
                raise KernelError(errno.EAGAIN)
            sock_wait(task, self.rcvtimeo, self.read_wq, self.state_wq)
        got = self.rx.pop(size, flags)
        got.cmsgs = self._recv_cmsgs(got.meta)
        return got

    def getsockopt_proto(self, level: int, name: int, size: int) -> bytes:
        if level in (IPPROTO_UDP, IPPROTO_UDPLITE) and (level == self.protocol or level == IPPROTO_UDP):
            if name not in self.udp_opts:
                raise KernelError(errno.ENOPROTOOPT)
            return struct.pack("<i", self.udp_opts[name])[:size]
        return super().getsockopt_proto(level, name, size)

    def setsockopt_proto(self, task: "Task", level: int, name: int, value: bytes) -> None:
        if level in (IPPROTO_UDP, IPPROTO_UDPLITE) and (level == self.protocol or level == IPPROTO_UDP):
            if name not in self.udp_opts:
                raise KernelError(errno.ENOPROTOOPT)
            if len(value) < 4:
                raise KernelError(errno.EINVAL)
            val = struct.unpack_from("<i", value)[0]
            if name in (UDPLITE_SEND_CSCOV, UDPLITE_RECV_CSCOV):
                val = 0 if val == 0 else min(max(val, 8), 0xFFFF)     # (coverage includes the 8-byte header)
            self.udp_opts[name] = val
            return
        super().setsockopt_proto(task, level, name, value)

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
