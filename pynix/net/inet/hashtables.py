"""Port tables (Linux's inet_hashtables.c / inet_connection_sock.c bind buckets, and udp_lib_get_port).

One table per protocol holds, per port, the sockets bound to it.  Binding follows Linux's conflict rules: two
sockets clash when their addresses overlap (equal, or one a wildcard of the same family; an IPv6 wildcard
without IPV6_V6ONLY covers IPv4 too) unless both set SO_REUSEADDR and (for TCP) neither listens, or both set
SO_REUSEPORT and belong to the same user.  Port 0 picks a free port of the ephemeral range 32768-60999
(/proc/sys/net/ipv4/ip_local_port_range); ports below 1024 need privilege (EACCES).

A TIME_WAIT entry (timewait.py) holds its port as a socket would, with the SO_REUSEADDR its socket had; a socket
that listens does not clash with it when both set SO_REUSEADDR (Linux's relaxed check at listen()).
"""
from __future__ import annotations

import errno
import random
from typing import TYPE_CHECKING

from pynix.errors import KernelError
from pynix.net.inet.route import is_any, is_v4
from pynix.task.capability import capable
from pynix.uapi.capability import CAP_NET_BIND_SERVICE

if TYPE_CHECKING:
    from pynix.net.inet.af_inet import InetSocket

EPHEMERAL_LOW, EPHEMERAL_HIGH = 32768, 60999
PROT_SOCK = 1024


def covers(a: "InetSocket", addr: bytes) -> bool:
    """Does socket `a`'s bound address accept traffic for `addr`?"""
    mine = a.laddr
    if mine == addr:
        return True
    if not is_any(mine):
        return False
    if is_v4(mine):
        return is_v4(addr)
    return not is_v4(addr) or not a.v6only


def overlap(a: "InetSocket", b: "InetSocket") -> bool:
    """inet_rcv_saddr_equal with wildcards: could both sockets receive for some common address?"""
    return covers(a, b.laddr) or covers(b, a.laddr)


class PortTable:
    def __init__(self, tcp: bool = True) -> None:
        self.ports: dict[int, list["InetSocket"]] = {}
        self.tcp = tcp

    def _conflict(self, sock: "InetSocket", port: int, listening: bool) -> bool:
        for other in self.ports.get(port, ()):
            if other is sock or not overlap(sock, other):
                continue
            if sock.reuseaddr and other.reuseaddr and \
                    not (self.tcp and (other.is_listening or listening and not other.time_wait)):
                continue
            if sock.reuseport and other.reuseport and sock.uid == other.uid:
                continue
            return True
        return False

    def get_port(self, task, sock: "InetSocket", port: int) -> int:
        """Bind `sock` (its laddr already set) to `port`, or to an ephemeral port if 0."""
        if port == 0:
            candidates = list(range(EPHEMERAL_LOW, EPHEMERAL_HIGH + 1))
            start = random.randrange(len(candidates))
            for p in candidates[start:] + candidates[:start]:
                if p not in self.ports:
                    port = p
                    break
            else:
                raise KernelError(errno.EADDRINUSE)
        else:
            if port < PROT_SOCK and not capable(task, CAP_NET_BIND_SERVICE):
                raise KernelError(errno.EACCES)
            if self._conflict(sock, port, False):
                raise KernelError(errno.EADDRINUSE)
        self.ports.setdefault(port, []).append(sock)
        return port

    def add(self, sock: "InetSocket", port: int) -> None:
        """A socket that inherits a port (an accepted connection)."""
        self.ports.setdefault(port, []).append(sock)

    def check_listen(self, sock: "InetSocket", port: int) -> None:
        """inet_csk_get_port again at listen(): a bound socket may not listen beside a clashing one."""
        if self._conflict(sock, port, True):
            raise KernelError(errno.EADDRINUSE)

    def remove(self, sock: "InetSocket", port: int) -> None:
        bucket = self.ports.get(port)
        if bucket and sock in bucket:
            bucket.remove(sock)
            if not bucket:
                del self.ports[port]

    def lookup(self, addr: bytes, port: int, want=lambda s: True) -> "InetSocket | None":
        """The socket that receives for (addr, port): an exact address beats a wildcard (Linux's scoring)."""
        best, best_score = None, -1
        for s in self.ports.get(port, ()):
            if not want(s) or not covers(s, addr):
                continue
            score = 2 if s.laddr == addr else 1
            if score > best_score:
                best, best_score = s, score
        return best

    def sockets(self):
        for bucket in self.ports.values():
            yield from bucket
