"""Socket ioctls (Linux's sock_ioctl, sock_do_ioctl and net/core/dev_ioctl.c).

FIONREAD/SIOCINQ and SIOCOUTQ ask the socket; the SIOCGIF* requests ask the namespace's devices and work on a
socket of any family, as in Linux: SIOCGIFCONF (IPv4 addresses, one struct ifreq each; a NULL buffer asks for
the length), SIOCGIFFLAGS, SIOCGIFADDR / NETMASK / BRDADDR (EADDRNOTAVAIL without an IPv4 address), SIOCGIFMTU,
SIOCGIFHWADDR, SIOCGIFINDEX, SIOCGIFNAME, SIOCGIFTXQLEN, SIOCGIFMETRIC.  Changing a device (SIOCSIF*) is EPERM
without privilege and EOPNOTSUPP with it: devices are fixed at boot.
"""
from __future__ import annotations

import errno
import struct
from typing import TYPE_CHECKING

from pynix.errors import KernelError
from pynix.mm.uaccess import copy_from_user, copy_to_user
from pynix.net.core.dev import IFNAMSIZ, NetDevice
from pynix.task.capability import capable
from pynix.uapi.capability import CAP_NET_ADMIN

if TYPE_CHECKING:
    from pynix.net.socket import Socket
    from pynix.task.task import Task

FIONREAD, SIOCOUTQ, SIOCATMARK, TCGETS = 0x541B, 0x5411, 0x8905, 0x5401
SIOCGIFNAME, SIOCGIFCONF, SIOCGIFFLAGS, SIOCSIFFLAGS, SIOCGIFADDR = 0x8910, 0x8912, 0x8913, 0x8914, 0x8915
SIOCGIFBRDADDR, SIOCGIFNETMASK, SIOCGIFMETRIC, SIOCGIFMTU, SIOCGIFHWADDR = 0x8919, 0x891B, 0x891D, 0x8921, 0x8927
SIOCGIFINDEX, SIOCGIFTXQLEN, SIOCDEVPRIVATE = 0x8933, 0x8942, 0x89F0
SIOCSIF_LAST = 0x8960
IFREQ_SIZE = 40
AF_INET = 2


def _ifreq(name: bytes, body: bytes) -> bytes:
    return name.ljust(IFNAMSIZ, b"\0") + body.ljust(IFREQ_SIZE - IFNAMSIZ, b"\0")


def _sockaddr_in(packed: bytes) -> bytes:
    return struct.pack("<H", AF_INET) + bytes(2) + packed + bytes(8)


def _v4(dev: NetDevice, what: int) -> bytes:
    addrs = dev.v4_addrs()
    if not addrs:
        raise KernelError(errno.EADDRNOTAVAIL)
    a = addrs[0]
    if what == SIOCGIFADDR:
        return _sockaddr_in(a.address.packed)
    mask = (0xFFFFFFFF << (32 - a.prefixlen)) & 0xFFFFFFFF
    if what == SIOCGIFNETMASK:
        return _sockaddr_in(mask.to_bytes(4, "big"))
    return _sockaddr_in(bytes(4))                         # no broadcast address on loopback


def sock_ioctl(task: "Task", sock: "Socket", request: int, arg: int) -> int:
    mm = task.mm
    if request == FIONREAD:
        copy_to_user(mm, arg, struct.pack("<i", sock.bytes_available()))
        return 0
    if request == SIOCOUTQ:
        copy_to_user(mm, arg, struct.pack("<i", sock.outq()))
        return 0
    if request == SIOCATMARK:
        copy_to_user(mm, arg, struct.pack("<i", sock.at_mark()))
        return 0
    if request == SIOCGIFCONF:
        return _ifconf(task, sock, arg)
    if SIOCGIFNAME <= request <= SIOCSIF_LAST and request not in (SIOCGIFNAME, SIOCGIFFLAGS, SIOCGIFADDR,
                                                                  SIOCGIFBRDADDR, SIOCGIFNETMASK, SIOCGIFMETRIC,
                                                                  SIOCGIFMTU, SIOCGIFHWADDR, SIOCGIFINDEX,
                                                                  SIOCGIFTXQLEN):
        if not capable(task, CAP_NET_ADMIN):
            raise KernelError(errno.EPERM)
        raise KernelError(errno.EOPNOTSUPP)
    if request == SIOCGIFNAME:
        req = copy_from_user(mm, arg, IFREQ_SIZE)
        dev = sock.net.device(struct.unpack_from("<i", req, IFNAMSIZ)[0])
        if dev is None:
            raise KernelError(errno.ENODEV)
        copy_to_user(mm, arg, dev.name.ljust(IFNAMSIZ, b"\0"))
        return 0
    if request in (SIOCGIFFLAGS, SIOCGIFADDR, SIOCGIFBRDADDR, SIOCGIFNETMASK, SIOCGIFMETRIC, SIOCGIFMTU,
                   SIOCGIFHWADDR, SIOCGIFINDEX, SIOCGIFTXQLEN):
        req = copy_from_user(mm, arg, IFREQ_SIZE)
        name = req[:IFNAMSIZ].split(b"\0", 1)[0]
        dev = sock.net.device_named(name)
        if dev is None:
            raise KernelError(errno.ENODEV)
        if request == SIOCGIFFLAGS:
            body = struct.pack("<H", dev.flags & 0xFFFF)
        elif request in (SIOCGIFADDR, SIOCGIFBRDADDR, SIOCGIFNETMASK):
            body = _v4(dev, request)
        elif request == SIOCGIFHWADDR:
            body = struct.pack("<H", dev.type) + dev.hwaddr
        else:
            body = struct.pack("<i", {SIOCGIFMETRIC: 0, SIOCGIFMTU: dev.mtu, SIOCGIFINDEX: dev.index,
                                      SIOCGIFTXQLEN: 1000}[request])
        copy_to_user(mm, arg + IFNAMSIZ, body)
        return 0
    if SIOCDEVPRIVATE <= request <= SIOCDEVPRIVATE + 15:      # a device's private ioctl: none has one
        req = copy_from_user(mm, arg, IFREQ_SIZE)
        if sock.net.device_named(req[:IFNAMSIZ].split(b"\0", 1)[0]) is None:
            raise KernelError(errno.ENODEV)
        raise KernelError(errno.EOPNOTSUPP)
    raise KernelError(errno.ENOTTY)


def _ifconf(task: "Task", sock: "Socket", arg: int) -> int:
    """SIOCGIFCONF (inet_gifconf): one struct ifreq per IPv4 address, as many as fit."""
    length, buf = struct.unpack("<i4xQ", copy_from_user(task.mm, arg, 16))
    entries = [_ifreq(a.label, _sockaddr_in(a.address.packed)) for d in sock.net.devices for a in d.v4_addrs()]
    if not buf:
        copy_to_user(task.mm, arg, struct.pack("<i", len(entries) * IFREQ_SIZE))
        return 0
    fit = entries[:max(length, 0) // IFREQ_SIZE]
    if fit:
        copy_to_user(task.mm, buf, b"".join(fit))
    copy_to_user(task.mm, arg, struct.pack("<i", len(fit) * IFREQ_SIZE))
    return 0
