"""AF_NETLINK sockets (Linux's net/netlink/af_netlink.c), with the kernel side of NETLINK_ROUTE only.

A netlink socket is a datagram socket whose peer is the kernel: every message sent to port 0 is handed to the
protocol's handler (rtnetlink.py), and its answer -- one datagram holding all the messages of a dump and the
closing NLMSG_DONE, or an NLMSG_ERROR -- is queued on the sender.  Port ids follow Linux: the first socket of a
process that binds to 0 (or sends unbound) gets the process id, later ones a negative number; an explicit port
in use is EADDRINUSE.  Multicast groups are accepted and remembered, but nothing is ever broadcast.

Differences from Linux: only NETLINK_ROUTE exists (other protocols are EPROTONOSUPPORT), messages between user
sockets are not delivered, and SOL_NETLINK options are ENOPROTOOPT.
"""
from __future__ import annotations

import errno
import itertools
import struct
from typing import TYPE_CHECKING

from pynix.errors import KernelError
from pynix.net.core.datagram import Datagrams, Message
from pynix.net.socket import (AF_NETLINK, MSG_DONTWAIT, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM, SOCK_DGRAM,
                              SOCK_RAW, Ancillary, Received, Socket, register_family, sock_wait)

if TYPE_CHECKING:
    from pynix.task.task import Task

NETLINK_ROUTE, MAX_LINKS = 0, 32
SOCKADDR_NL = struct.Struct("<HHIi")          # family, pad, pid, groups
_negative_ports = itertools.count(-4096, -1)


class NetlinkSocket(Socket):
    family = AF_NETLINK

    def __init__(self, task: "Task", sock_type: int, protocol: int, flags: int) -> None:
        super().__init__(task, sock_type, protocol, flags)
        self.rx = Datagrams(self.read_wq)
        self.portid = 0
        self.groups = 0
        self.tgid = task.group.pid
        self.net.sockets.add(self)

    def _ports(self) -> dict[int, "NetlinkSocket"]:
        return self.net.netlink_ports

    def _autobind(self) -> None:
        if self.portid:
            return
        ports = self._ports()
        port = self.tgid if self.tgid not in ports else next(p for p in _negative_ports if p not in ports)
        ports[port] = self
        self.portid = port

    def bind(self, task: "Task", addr: bytes) -> None:
        if len(addr) < SOCKADDR_NL.size:
            raise KernelError(errno.EINVAL)
        family, _pad, pid, groups = SOCKADDR_NL.unpack_from(addr)
        if family != AF_NETLINK:
            raise KernelError(errno.EINVAL)
        if self.portid:
            if pid and pid != self.portid:
                raise KernelError(errno.EINVAL)
        elif pid:
            if pid in self._ports():
                raise KernelError(errno.EADDRINUSE)
            self._ports()[pid] = self
            self.portid = pid
        else:
            self._autobind()
        self.groups = groups

    def connect(self, task: "Task", addr: bytes) -> None:
        if len(addr) < 2:
            raise KernelError(errno.EINVAL)
        if struct.unpack_from("<H", addr)[0] != AF_NETLINK:
            if struct.unpack_from("<H", addr)[0] == 0:
                return                                      # AF_UNSPEC: disconnect (to the kernel again)
            raise KernelError(errno.EINVAL)
        self._autobind()

    def getname(self, peer: bool) -> bytes:
        if peer:
            return SOCKADDR_NL.pack(AF_NETLINK, 0, 0, 0)
        return SOCKADDR_NL.pack(AF_NETLINK, 0, self.portid & 0xFFFFFFFF, self.groups)

    def sendmsg(self, task: "Task", views: list[memoryview], flags: int, addr: bytes | None,
                anc: Ancillary) -> int:
        data = b"".join(views)
        if addr is not None:
            if len(addr) < SOCKADDR_NL.size or struct.unpack_from("<H", addr)[0] != AF_NETLINK:
                raise KernelError(errno.EINVAL)
            if SOCKADDR_NL.unpack_from(addr)[2] != 0:
                raise KernelError(errno.ECONNREFUSED)     # no user-space netlink peers here
        self._autobind()
        from pynix.net.netlink.rtnetlink import rtnetlink_rcv
        reply = rtnetlink_rcv(self.net, data, self.portid)
        if reply:
            self.rx.push(Message(reply, None, SOCKADDR_NL.pack(AF_NETLINK, 0, 0, 0)))
        return len(data)

    def recvmsg(self, task: "Task", size: int, flags: int) -> Received:
        if not self.rx.messages:
            if self.nonblocking or flags & MSG_DONTWAIT:
                raise KernelError(errno.EAGAIN)
            sock_wait(task, self.rcvtimeo, self.read_wq, self.state_wq)
        return self.rx.pop(size, flags)

    def do_shutdown(self, how: int) -> None:
        """netlink_ops has no shutdown (sock_no_shutdown)."""
        raise KernelError(errno.EOPNOTSUPP)

    def bytes_available(self) -> int:
        return self.rx.bytes_available()

    def poll_mask(self) -> int:
        return (POLLIN | POLLRDNORM if self.rx.messages else 0) | POLLOUT | POLLWRNORM

    def release(self) -> None:
        ports = self._ports()
        if ports.get(self.portid) is self:
            del ports[self.portid]
        self.rx.purge()
        self.net.sockets.discard(self)


def netlink_create(task: "Task", sock_type: int, protocol: int, flags: int) -> NetlinkSocket:
    if sock_type not in (SOCK_RAW, SOCK_DGRAM):
        raise KernelError(errno.ESOCKTNOSUPPORT)
    if protocol < 0 or protocol >= MAX_LINKS or protocol != NETLINK_ROUTE:
        raise KernelError(errno.EPROTONOSUPPORT)
    return NetlinkSocket(task, sock_type, protocol, flags)


register_family(AF_NETLINK, netlink_create)
