"""AF_INET and AF_INET6 sockets: what TCP and UDP share (Linux's af_inet.c, af_inet6.c, ip_sockglue.c,
ipv6_sockglue.c).

Addresses are kept as 16 bytes (route.py: IPv4 as v4-mapped), so an AF_INET6 socket without IPV6_V6ONLY serves
IPv4 peers through ::ffff:a.b.c.d addresses exactly as Linux's dual-stack sockets do, and each family reports
its own sockaddr (sockaddr_in: 16 bytes, sockaddr_in6: 28).  Binding checks the address (EADDRNOTAVAIL unless it
is a wildcard or local), the family (EAFNOSUPPORT) and the length (EINVAL), then takes the port from the
protocol's table (hashtables.py).  IP-level and IPv6-level options are stored and reported with Linux's defaults.

Differences from Linux: IP_OPTIONS, multicast membership and IP_PKTINFO control messages are not implemented
(ENOPROTOOPT); options that only shape packets (IP_TOS, IP_TTL...) are stored and reported, nothing more.
"""
from __future__ import annotations

import errno
import struct
from typing import TYPE_CHECKING

from pynix.errors import KernelError
from pynix.net.inet.route import ANY4, ANY6, V4_MAPPED, is_any, is_v4, owner
from pynix.net.socket import (AF_INET, AF_INET6, AF_UNSPEC, SOCK_DGRAM, SOCK_RAW, SOCK_STREAM, Socket,
                              register_family)
from pynix.task.capability import capable
from pynix.uapi.capability import CAP_NET_RAW

if TYPE_CHECKING:
    from pynix.net.inet.hashtables import PortTable
    from pynix.task.task import Task

IPPROTO_IP, IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_IPV6, IPPROTO_UDPLITE, IPPROTO_MAX = 0, 1, 6, 17, 41, 136, 263
SIN_SIZE, SIN6_SIZE, SIN6_LEN_RFC2133 = 16, 28, 24
# IPPROTO_IP options: name -> default
IP_TOS, IP_TTL, IP_HDRINCL, IP_OPTIONS, IP_PKTINFO, IP_MTU_DISCOVER, IP_RECVERR = 1, 2, 3, 4, 8, 10, 11
IP_RECVTTL, IP_RECVTOS, IP_MTU, IP_FREEBIND, IP_TRANSPARENT, IP_BIND_ADDRESS_NO_PORT = 12, 13, 14, 15, 19, 24
IP_MULTICAST_TTL, IP_MULTICAST_LOOP = 33, 34
IP_DEFAULTS = {IP_TOS: 0, IP_TTL: 64, IP_PKTINFO: 0, IP_MTU_DISCOVER: 1, IP_RECVERR: 0, IP_RECVTTL: 0,
               IP_RECVTOS: 0, IP_FREEBIND: 0, IP_TRANSPARENT: 0, IP_BIND_ADDRESS_NO_PORT: 0,
               IP_MULTICAST_TTL: 1, IP_MULTICAST_LOOP: 1, IP_HDRINCL: 0}
IPV6_UNICAST_HOPS, IPV6_MULTICAST_HOPS, IPV6_MULTICAST_LOOP, IPV6_MTU_DISCOVER = 16, 18, 19, 23
IPV6_RECVERR, IPV6_V6ONLY, IPV6_RECVPKTINFO, IPV6_PKTINFO, IPV6_RECVHOPLIMIT, IPV6_HOPLIMIT = 25, 26, 49, 50, 51, 52
IPV6_RECVTCLASS, IPV6_TCLASS, IPV6_DONTFRAG, IPV6_RECVPATHMTU = 66, 67, 62, 60
IPV6_DEFAULTS = {IPV6_UNICAST_HOPS: 64, IPV6_MULTICAST_HOPS: 1, IPV6_MULTICAST_LOOP: 1, IPV6_MTU_DISCOVER: 1,
                 IPV6_RECVERR: 0, IPV6_RECVPKTINFO: 0, IPV6_RECVHOPLIMIT: 0, IPV6_RECVTCLASS: 0, IPV6_TCLASS: 0,
                 IPV6_DONTFRAG: 0, IPV6_RECVPATHMTU: 0}


def pack_sockaddr(family: int, addr: bytes, port: int) -> bytes:
    """The sockaddr a socket of `family` reports for (addr, port)."""
    if family == AF_INET:
        return struct.pack("<H", AF_INET) + struct.pack(">H", port) + addr[12:] + bytes(8)
    return struct.pack("<H", AF_INET6) + struct.pack(">HI", port, 0) + addr + struct.pack("<I", 0)


def unpack_sockaddr(family: int, raw: bytes) -> tuple[bytes, int]:
    """(16-byte address, port) of a sockaddr given to a socket of `family` (EINVAL short, EAFNOSUPPORT other
    family)."""
    if family == AF_INET:
        if len(raw) < SIN_SIZE:
            raise KernelError(errno.EINVAL)
        if struct.unpack_from("<H", raw)[0] != AF_INET:
            raise KernelError(errno.EAFNOSUPPORT)
        return V4_MAPPED + raw[4:8], struct.unpack_from(">H", raw, 2)[0]
    if len(raw) < SIN6_LEN_RFC2133:
        raise KernelError(errno.EINVAL)
    if struct.unpack_from("<H", raw)[0] != AF_INET6:
        raise KernelError(errno.EAFNOSUPPORT)
    return raw[8:24], struct.unpack_from(">H", raw, 2)[0]


def family_of(raw: bytes) -> int:
    return struct.unpack_from("<H", raw)[0] if len(raw) >= 2 else -1


class InetSocket(Socket):
    """What TCP and UDP sockets share: addresses, ports, IP-level options."""

    time_wait = False                      # (a TIME_WAIT entry in a port table is not a socket: timewait.py)

    def __init__(self, task: "Task", family: int, sock_type: int, protocol: int, flags: int) -> None:
        super().__init__(task, sock_type, protocol, flags)
        self.family = family
        self.laddr = ANY4 if family == AF_INET else ANY6
        self.lport = 0
        self.raddr = self.laddr
        self.rport = 0
        self.user_bound = False            # bind() chose the port (SOCK_BINDPORT_LOCK): kept over a disconnect
        self.hashed = False                # lport is in the protocol's port table
        self.v6only = False
        self.ip_opts = dict(IP_DEFAULTS)
        self.ipv6_opts = dict(IPV6_DEFAULTS)
        self.net.sockets.add(self)

    @property
    def table(self) -> "PortTable":
        raise NotImplementedError

    @property
    def is_listening(self) -> bool:
        return False

    # ------------------------------------------------------------------------------------------- names
    def bind(self, task: "Task", raw: bytes) -> None:
        if self.family == AF_INET and len(raw) >= SIN_SIZE and family_of(raw) == AF_UNSPEC \
                and raw[4:8] == bytes(4):
            raw = struct.pack("<H", AF_INET) + raw[2:]          # AF_UNSPEC + INADDR_ANY: accepted as AF_INET
        addr, port = unpack_sockaddr(self.family, raw)
        if self.family == AF_INET6 and is_v4(addr) and self.v6only:
            raise KernelError(errno.EINVAL)
        if not is_any(addr) and owner(self.net, addr) is None:
            raise KernelError(errno.EADDRNOTAVAIL)
        if self.hashed or self.state_bound():
            raise KernelError(errno.EINVAL)
        self.laddr = addr
        try:
            self.lport = self.table.get_port(task, self, port)
            self.hashed = True
        except KernelError:
            self.laddr = ANY4 if self.family == AF_INET else ANY6
            raise
        self.user_bound = True

    def state_bound(self) -> bool:
        """The socket is past the state where bind() is allowed (Linux: sk_state != TCP_CLOSE)."""
        return False

    def autobind(self, task: "Task", src: bytes | None = None) -> None:
        """Take an ephemeral port (connect, or a send from an unbound socket)."""
        if self.lport and self.hashed:
            return
        if src is not None and is_any(self.laddr):
            self.laddr = src if self.family == AF_INET6 or is_v4(src) else self.laddr
        self.lport = self.table.get_port(task, self, 0)
        self.hashed = True

    def unhash(self) -> None:
        if self.hashed:
            self.table.remove(self, self.lport)
            self.hashed = False

    def getname(self, peer: bool) -> bytes:
        if peer:
            if not self.rport:
                raise KernelError(errno.ENOTCONN)
            return pack_sockaddr(self.family, self.raddr, self.rport)
        return pack_sockaddr(self.family, self.laddr, self.lport)

    def dest(self, raw: bytes) -> tuple[bytes, int]:
        """A destination address given to connect/sendto, checked for this socket's family."""
        addr, port = unpack_sockaddr(self.family, raw)
        if self.family == AF_INET6 and is_v4(addr) and self.v6only:
            raise KernelError(errno.ENETUNREACH)
        return addr, port

    # ----------------------------------------------------------------------------------------- options
    def getsockopt_proto(self, level: int, name: int, size: int) -> bytes:
        if level == IPPROTO_IP:
            if name == IP_MTU:
                if not self.rport:
                    raise KernelError(errno.ENOTCONN)
                value = 65536
            elif name in self.ip_opts:
                value = self.ip_opts[name]
            else:
                raise KernelError(errno.ENOPROTOOPT)
            return struct.pack("<i", value)[:size]
        if level == IPPROTO_IPV6 and self.family == AF_INET6:
            if name == IPV6_V6ONLY:
                value = int(self.v6only)
            elif name in self.ipv6_opts:
                value = self.ipv6_opts[name]
            else:
                raise KernelError(errno.ENOPROTOOPT)
            if size < 4:
                raise KernelError(errno.EINVAL)
            return struct.pack("<i", value)
        # an unknown level: ip_getsockopt says EOPNOTSUPP, ipv6_getsockopt ENOPROTOOPT
        raise KernelError(errno.EOPNOTSUPP if self.family == AF_INET else errno.ENOPROTOOPT)

    def setsockopt_proto(self, task: "Task", level: int, name: int, value: bytes) -> None:
        if level == IPPROTO_IP:
            if name not in self.ip_opts:
                raise KernelError(errno.ENOPROTOOPT)
            if len(value) >= 4:
                val = struct.unpack_from("<i", value)[0]
            elif value:
                val = value[0]
            else:
                raise KernelError(errno.EINVAL)
            if name in (IP_TTL, IP_MULTICAST_TTL):
                if val == -1:
                    val = IP_DEFAULTS[name]
                elif not (1 if name == IP_TTL else 0) <= val <= 255:
                    raise KernelError(errno.EINVAL)
            elif name == IP_TOS:
                val &= 0xFF
            elif name == IP_MTU_DISCOVER:
                if not 0 <= val <= 5:
                    raise KernelError(errno.EINVAL)
            else:
                val = int(val != 0)
            self.ip_opts[name] = val
            return
        if level == IPPROTO_IPV6 and self.family == AF_INET6:
            if len(value) < 4:
                raise KernelError(errno.EINVAL)
            val = struct.unpack_from("<i", value)[0]
            if name == IPV6_V6ONLY:
                if self.lport:
                    raise KernelError(errno.EINVAL)
                self.v6only = val != 0
                return
            if name not in self.ipv6_opts:
                raise KernelError(errno.ENOPROTOOPT)
            if name in (IPV6_UNICAST_HOPS, IPV6_MULTICAST_HOPS):
                if val < -1 or val > 255:
                    raise KernelError(errno.EINVAL)
                val = (64 if name == IPV6_UNICAST_HOPS else 1) if val == -1 else val
            elif name == IPV6_TCLASS:
                if val < -1 or val > 0xFF:
                    raise KernelError(errno.EINVAL)
                val = max(val, 0)
            else:
                val = int(val != 0) if name != IPV6_MTU_DISCOVER else val
            self.ipv6_opts[name] = val
            return
        raise KernelError(errno.ENOPROTOOPT)

    def release(self) -> None:
        self.unhash()
        self.net.sockets.discard(self)


def inet_create(task: "Task", family: int, sock_type: int, protocol: int, flags: int) -> Socket:
    """inet_create / inet6_create: the protocol switch (inetsw) for the type."""
    if protocol < 0 or protocol >= IPPROTO_MAX:
        raise KernelError(errno.EINVAL)
    if sock_type == SOCK_STREAM:
        if protocol not in (0, IPPROTO_TCP):
            raise KernelError(errno.EPROTONOSUPPORT)
        from pynix.net.inet.tcp import TcpSocket
        return TcpSocket(task, family, flags)
    if sock_type == SOCK_DGRAM:
        if protocol not in (0, IPPROTO_UDP, IPPROTO_UDPLITE):
            raise KernelError(errno.EPROTONOSUPPORT)
        from pynix.net.inet.udp import UdpSocket
        return UdpSocket(task, family, flags, protocol or IPPROTO_UDP)
    if sock_type == SOCK_RAW:
        if not capable(task, CAP_NET_RAW):
            raise KernelError(errno.EPERM)
        task.kernel.log_once("socket(): raw IP sockets are not implemented (EPROTONOSUPPORT)")
        raise KernelError(errno.EPROTONOSUPPORT)
    raise KernelError(errno.ESOCKTNOSUPPORT)


register_family(AF_INET, lambda task, t, p, f: inet_create(task, AF_INET, t, p, f))
register_family(AF_INET6, lambda task, t, p, f: inet_create(task, AF_INET6, t, p, f))
