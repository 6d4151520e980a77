"""Network devices (Linux's struct net_device, net/core/dev.c).

A machine has the loopback device `lo` (index 1, 127.0.0.1/8 and ::1/128).  A device owns its addresses; the
routing decision (net/inet/route.py) picks a device for every destination, so a second device (a host
interface) is one more entry in the namespace's list with its addresses and routes.  Loopback moves no packets:
connections are modelled as Linux behaves from outside, and the device only counts what went through it
(/proc/net/dev).
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

IFF_UP, IFF_BROADCAST, IFF_LOOPBACK, IFF_RUNNING, IFF_MULTICAST = 0x1, 0x2, 0x8, 0x40, 0x1000
IFF_LOWER_UP = 0x10000
ARPHRD_LOOPBACK = 772
IFNAMSIZ = 16


@dataclass
class IfAddr:
    """One address of a device (Linux's in_ifaddr / inet6_ifaddr)."""
    address: ipaddress.IPv4Address | ipaddress.IPv6Address
    prefixlen: int
    label: bytes
    scope: int                      # RT_SCOPE_HOST (254) for loopback

    @property
    def is_v4(self) -> bool:
        return self.address.version == 4


@dataclass(eq=False)
class NetDevice:
    name: bytes
    index: int
    flags: int
    mtu: int
    type: int
    hwaddr: bytes = bytes(6)
    addrs: list[IfAddr] = field(default_factory=list)
    tx_packets: int = 0
    tx_bytes: int = 0
    qdisc: bytes = b"noqueue"

    def account(self, nbytes: int) -> None:
        """A packet went out (and, on loopback, came straight back in)."""
        self.tx_packets += 1
        self.tx_bytes += nbytes

    @property
    def rx_packets(self) -> int:
        return self.tx_packets if self.flags & IFF_LOOPBACK else 0

    @property
    def rx_bytes(self) -> int:
        return self.tx_bytes if self.flags & IFF_LOOPBACK else 0

    def v4_addrs(self) -> list[IfAddr]:
        return [a for a in self.addrs if a.is_v4]

    def v6_addrs(self) -> list[IfAddr]:
        return [a for a in self.addrs if not a.is_v4]


RT_SCOPE_HOST = 254


def loopback_device(up: bool = True) -> NetDevice:
    """`lo` as a Linux boot brings it up; not `up`: as a new network namespace has it (down, no addresses, no
    queueing discipline)."""
    if not up:
        return NetDevice(b"lo", 1, IFF_LOOPBACK, 65536, ARPHRD_LOOPBACK, qdisc=b"noop")
    return NetDevice(b"lo", 1, IFF_UP | IFF_LOOPBACK | IFF_RUNNING | IFF_LOWER_UP, 65536, ARPHRD_LOOPBACK,
                     addrs=[IfAddr(ipaddress.IPv4Address("127.0.0.1"), 8, b"lo", RT_SCOPE_HOST),
                            IfAddr(ipaddress.IPv6Address("::1"), 128, b"lo", RT_SCOPE_HOST)])
