"""Network namespaces (Linux's struct net): the devices, and the tables that find sockets by name.

The machine starts with one (Kernel.init_nsproxy: where `pynix run -p` publishes ports); clone/unshare with
CLONE_NEWNET makes a fresh one with only a loopback device, which is down until `ip link set lo up`, as Linux's
is.  A socket belongs to the namespace of the task that made it (net/socket.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from weakref import WeakSet

from pynix.fs.ns_common import NsCommon
from pynix.net.core.dev import NetDevice, loopback_device
from pynix.uapi.sched import CLONE_NEWNET

if TYPE_CHECKING:
    from pynix.net.inet.hashtables import PortTable
    from pynix.net.socket import Creator, Socket
    from pynix.net.unix.af_unix import UnixSocket


@dataclass(eq=False)
class NetNamespace(NsCommon):
    devices: list[NetDevice] = field(default_factory=lambda: [loopback_device()])
    unix_by_inode: dict[tuple[object, int], "UnixSocket"] = field(default_factory=dict)   # (sb, ino) -> socket
    unix_abstract: dict[bytes, "UnixSocket"] = field(default_factory=dict)               # name -> socket
    netlink_ports: dict[int, "Socket"] = field(default_factory=dict)                    # port id -> socket
    sockets: "WeakSet[Socket]" = field(default_factory=WeakSet)        # every open socket, for /proc/net
    tcp: "PortTable | None" = None
    udp: "PortTable | None" = None
    udplite: "PortTable | None" = None
    families: dict[int, "Creator"] = field(default_factory=dict)     # families made differently here (--net host)

    ns_type = CLONE_NEWNET
    ns_name = "net"

    def copy_ns(self) -> "NetNamespace":
        """A fresh network: a loopback device, down."""
        return NetNamespace(devices=[loopback_device(up=False)])

    def __post_init__(self) -> None:
        from pynix.net.inet.hashtables import PortTable
        self.tcp, self.udp, self.udplite = PortTable(tcp=True), PortTable(tcp=False), PortTable(tcp=False)

    def device(self, index: int) -> NetDevice | None:
        return next((d for d in self.devices if d.index == index), None)

    def device_named(self, name: bytes) -> NetDevice | None:
        return next((d for d in self.devices if d.name == name), None)

