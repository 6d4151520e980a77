"""The routing decision (Linux's ip_route_output / ip6_route_output, reduced to the local table).

Every address is kept as 16 bytes: IPv6 as it is, IPv4 as its v4-mapped form (::ffff:a.b.c.d), so one table
serves both families.  A destination is routed to the device that owns it (an address of the device, or for
IPv4 anything in the device's prefix, as Linux's `local 127.0.0.0/8 dev lo` route does), with that device's
address of the same family as the source.  There is no default route: anything else is ENETUNREACH.  A second
device is routed the same way, from its own addresses.
"""
from __future__ import annotations

import errno
import ipaddress
from typing import TYPE_CHECKING

from pynix.errors import KernelError

if TYPE_CHECKING:
    from pynix.net.core.dev import NetDevice
    from pynix.net.namespace import NetNamespace

V4_MAPPED = bytes(10) + b"\xff\xff"
ANY6 = bytes(16)
ANY4 = V4_MAPPED + bytes(4)
LOOPBACK4 = V4_MAPPED + bytes([127, 0, 0, 1])
LOOPBACK6 = bytes(15) + b"\x01"


def is_v4(addr: bytes) -> bool:
    return addr[:12] == V4_MAPPED


def is_any(addr: bytes) -> bool:
    return addr in (ANY4, ANY6)


def to_ip(addr: bytes) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    return ipaddress.IPv4Address(addr[12:]) if is_v4(addr) else ipaddress.IPv6Address(addr)


def owner(net: "NetNamespace", addr: bytes) -> "NetDevice | None":
    """The device `addr` is local to (Linux's inet_addr_type == RTN_LOCAL), or None."""
    ip = to_ip(addr)
    for dev in net.devices:
        for a in dev.addrs:
            if a.address.version != ip.version:
                continue
            if a.address == ip or (ip.version == 4 and ip in ipaddress.ip_network(f"{a.address}/{a.prefixlen}",
                                                                                   strict=False)):
                return dev
    return None


def route_output(net: "NetNamespace", dst: bytes) -> tuple["NetDevice", bytes]:
    """(device, source address) for sending to `dst`; a wildcard destination means this machine."""
    if is_any(dst):
        dst = LOOPBACK4 if is_v4(dst) else LOOPBACK6
    dev = owner(net, dst)
    if dev is None:
        raise KernelError(errno.ENETUNREACH)
    v4 = is_v4(dst)
    if v4 and to_ip(dst) in [a.address for a in dev.v4_addrs()]:
        return dev, dst
    for a in dev.addrs:
        if a.is_v4 == v4:
            return dev, (V4_MAPPED + a.address.packed) if v4 else a.address.packed
    raise KernelError(errno.ENETUNREACH)


def local_dst(dst: bytes) -> bytes:
    """Where a connection to `dst` arrives: a wildcard destination is the loopback address."""
    if is_any(dst):
        return LOOPBACK4 if is_v4(dst) else LOOPBACK6
    return dst
