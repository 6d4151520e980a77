"""NETLINK_ROUTE requests (Linux's net/core/rtnetlink.c, devinet.c, addrconf.c, fib_frontend.c): enough for
glibc's and musl's getifaddrs, `ip link`, `ip addr` and `ip route`.

RTM_GETLINK, RTM_GETADDR and RTM_GETROUTE answer from the namespace's devices, as a dump (NLM_F_DUMP: every
object, filtered by the request's family, then NLMSG_DONE) or, for GETLINK, one device by index or IFLA_IFNAME
(ENODEV if none).  Anything that would change the configuration is EPERM without privilege and EOPNOTSUPP
with it; unknown types are EOPNOTSUPP.  Errors and NLM_F_ACK come back as NLMSG_ERROR with the request's header.
"""
from __future__ import annotations

import errno
import struct
from typing import TYPE_CHECKING

from pynix.net.core.dev import IFF_UP, RT_SCOPE_HOST

if TYPE_CHECKING:
    from pynix.net.core.dev import IfAddr, NetDevice
    from pynix.net.namespace import NetNamespace

NLMSGHDR = struct.Struct("<IHHII")
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLM_F_REQUEST, NLM_F_MULTI, NLM_F_ACK, NLM_F_DUMP = 0x1, 0x2, 0x4, 0x300
RTM_NEWLINK, RTM_GETLINK, RTM_NEWADDR, RTM_GETADDR, RTM_NEWROUTE, RTM_GETROUTE = 16, 18, 20, 22, 24, 26
RTM_BASE, RTM_MAX = 16, 127
IFLA_ADDRESS, IFLA_BROADCAST, IFLA_IFNAME, IFLA_MTU, IFLA_QDISC, IFLA_STATS = 1, 2, 3, 4, 6, 7
IFLA_TXQLEN, IFLA_OPERSTATE, IFLA_LINKMODE, IFLA_STATS64, IFLA_GROUP = 13, 16, 17, 23, 27
IFA_ADDRESS, IFA_LOCAL, IFA_LABEL, IFA_CACHEINFO, IFA_FLAGS = 1, 2, 3, 6, 8
IFA_F_PERMANENT = 0x80
RTA_DST, RTA_OIF, RTA_PRIORITY, RTA_PREFSRC, RTA_TABLE = 1, 4, 6, 7, 15
RT_TABLE_MAIN, RT_TABLE_LOCAL = 254, 255
RTN_UNICAST, RTN_LOCAL = 1, 2
RTPROT_KERNEL = 2
AF_UNSPEC, AF_INET, AF_INET6 = 0, 2, 10
IF_OPER_UNKNOWN, IF_OPER_DOWN = 0, 2
INFINITY_LIFE_TIME = 0xFFFFFFFF


def _attr(kind: int, payload: bytes) -> bytes:
    raw = struct.pack("<HH", 4 + len(payload), kind) + payload
    return raw + bytes(-len(raw) % 4)


def _msg(kind: int, flags: int, seq: int, port: int, body: bytes) -> bytes:
    return NLMSGHDR.pack(NLMSGHDR.size + len(body), kind, flags, seq, port & 0xFFFFFFFF) + body


def _link(dev: "NetDevice") -> bytes:
    stats = [dev.rx_packets, dev.tx_packets, dev.rx_bytes, dev.tx_bytes] + [0] * 20
    body = struct.pack("<BxHiII", AF_UNSPEC, dev.type, dev.index, dev.flags, 0)
    body += _attr(IFLA_IFNAME, dev.name + b"\0") + _attr(IFLA_TXQLEN, struct.pack("<I", 1000))
    operstate = IF_OPER_UNKNOWN if dev.flags & IFF_UP else IF_OPER_DOWN
    body += _attr(IFLA_OPERSTATE, bytes([operstate])) + _attr(IFLA_LINKMODE, bytes(1))
    body += _attr(IFLA_GROUP, struct.pack("<I", 0))            # the default device group
    body += _attr(IFLA_MTU, struct.pack("<I", dev.mtu)) + _attr(IFLA_QDISC, dev.qdisc + b"\0")
    body += _attr(IFLA_ADDRESS, dev.hwaddr) + _attr(IFLA_BROADCAST, dev.hwaddr)
    body += _attr(IFLA_STATS, struct.pack("<24I", *[s & 0xFFFFFFFF for s in stats]))
    body += _attr(IFLA_STATS64, struct.pack("<24Q", *stats))
    return body


def _addr(dev: "NetDevice", a: "IfAddr") -> bytes:
    family = AF_INET if a.is_v4 else AF_INET6
    body = struct.pack("<BBBBI", family, a.prefixlen, IFA_F_PERMANENT, a.scope, dev.index)
    packed = a.address.packed
    body += _attr(IFA_ADDRESS, packed)
    if a.is_v4:
        body += _attr(IFA_LOCAL, packed) + _attr(IFA_LABEL, a.label + b"\0")
    body += _attr(IFA_FLAGS, struct.pack("<I", IFA_F_PERMANENT))
    body += _attr(IFA_CACHEINFO, struct.pack("<IIII", INFINITY_LIFE_TIME, INFINITY_LIFE_TIME, 0, 0))
    return body


def _routes(net: "NetNamespace", family: int) -> list[bytes]:
    """The kernel's routes for the devices' addresses: local-table entries, and the main-table prefix routes
    IPv6 adds for ::1 (what `ip route show table all` lists on a machine with only lo)."""
    out = []
    for dev in net.devices:
        for a in dev.addrs:
            fam = AF_INET if a.is_v4 else AF_INET6
            if family not in (AF_UNSPEC, fam):
                continue
            packed = a.address.packed
            full = 32 if a.is_v4 else 128
            entries = [(RT_TABLE_LOCAL, RTN_LOCAL, packed, full, RT_SCOPE_HOST)]
            if a.is_v4 and a.prefixlen < full:
                net_addr = int.from_bytes(packed, "big") & ~((1 << (full - a.prefixlen)) - 1) & 0xFFFFFFFF
                entries.insert(0, (RT_TABLE_LOCAL, RTN_LOCAL, net_addr.to_bytes(4, "big"), a.prefixlen,
                                   RT_SCOPE_HOST))
            if not a.is_v4:
                entries.append((RT_TABLE_MAIN, RTN_UNICAST, packed, full, 0))
            for table, kind, dst, plen, scope in entries:
                body = struct.pack("<BBBBBBBBI", fam, plen, 0, 0, table, RTPROT_KERNEL, scope, kind, 0)
                body += _attr(RTA_TABLE, struct.pack("<I", table)) + _attr(RTA_DST, dst)
                if a.is_v4:
                    body += _attr(RTA_PREFSRC, packed)
                else:
                    body += _attr(RTA_PRIORITY, struct.pack("<I", 0 if table == RT_TABLE_LOCAL else 256))
                body += _attr(RTA_OIF, struct.pack("<I", dev.index))
                out.append(body)
    return out


def _attrs(raw: bytes) -> dict[int, bytes]:
    found = {}
    offset = 0
    while offset + 4 <= len(raw):
        length, kind = struct.unpack_from("<HH", raw, offset)
        if length < 4:
            break
        found[kind & 0x3FFF] = raw[offset + 4:offset + length]
        offset += (length + 3) & ~3
    return found


def _error(code: int, header: bytes, seq: int, port: int) -> bytes:
    return _msg(NLMSG_ERROR, 0, seq, port, struct.pack("<i", -code) + header)


def _one(net: "NetNamespace", kind: int, flags: int, seq: int, port: int, payload: bytes, header: bytes,
         privileged: bool) -> bytes:
    family = payload[0] if payload else AF_UNSPEC
    if kind in (RTM_GETLINK, RTM_GETADDR, RTM_GETROUTE) and flags & NLM_F_DUMP == NLM_F_DUMP:
        if kind == RTM_GETLINK:
            bodies = [(RTM_NEWLINK, _link(d)) for d in net.devices]
        elif kind == RTM_GETADDR:
            bodies = [(RTM_NEWADDR, _addr(d, a)) for d in net.devices for a in d.addrs
                      if family in (AF_UNSPEC, AF_INET if a.is_v4 else AF_INET6)]
        else:
            bodies = [(RTM_NEWROUTE, b) for b in _routes(net, family)]
        return b"".join(_msg(t, NLM_F_MULTI, seq, port, b) for t, b in bodies) + \
            _msg(NLMSG_DONE, NLM_F_MULTI, seq, port, struct.pack("<i", 0))
    if kind == RTM_GETLINK:
        index = struct.unpack_from("<i", payload, 4)[0] if len(payload) >= 16 else 0
        name = _attrs(payload[16:]).get(IFLA_IFNAME, b"").split(b"\0", 1)[0]
        dev = net.device(index) if index else net.device_named(name) if name else None
        if dev is None:
            return _error(errno.ENODEV, header, seq, port)
        reply = _msg(RTM_NEWLINK, 0, seq, port, _link(dev))
        return reply + (_error(0, header, seq, port) if flags & NLM_F_ACK else b"")
    if kind in (RTM_GETADDR, RTM_GETROUTE):
        return _error(errno.EOPNOTSUPP, header, seq, port)
    if RTM_BASE <= kind <= RTM_MAX:
        return _error(errno.EOPNOTSUPP if privileged else errno.EPERM, header, seq, port)
    if kind < RTM_BASE:
        return _error(0, header, seq, port) if flags & NLM_F_ACK else b""        # control messages
    return _error(errno.EOPNOTSUPP, header, seq, port)


def rtnetlink_rcv(net: "NetNamespace", data: bytes, port: int, privileged: bool = False) -> bytes:
    """Every request in `data` (netlink_rcv_skb), answered in order."""
    out = []
    offset = 0
    while offset + NLMSGHDR.size <= len(data):
        length, kind, flags, seq, _pid = NLMSGHDR.unpack_from(data, offset)
        if length < NLMSGHDR.size or offset + length > len(data):
            break
        header = data[offset:offset + NLMSGHDR.size]
        if flags & NLM_F_REQUEST:
            out.append(_one(net, kind, flags, seq, port, data[offset + NLMSGHDR.size:offset + length], header,
                            privileged))
        offset += (length + 3) & ~3
    return b"".join(out)
