"""SOL_SOCKET options (Linux's sock_getsockopt / sock_setsockopt in net/core/sock.c).

Values are stored on the `Socket` and reported back as Linux reports them: buffer sizes doubled and clamped
(SO_SNDBUF/SO_RCVBUF), timeouts as struct timeval (0 = none), SO_LINGER as struct linger, SO_PEERCRED as
struct ucred.  A value shorter than the option is cut to the caller's length (optlen says how much was
written); setting an int option with optlen < 4 is EINVAL, an unknown option ENOPROTOOPT.

SO_PASSCRED exists only for AF_UNIX and AF_NETLINK and SO_REUSEPORT only for inet sockets (EOPNOTSUPP), as in
Linux 6.18.  Differences from Linux: timeouts are kept to the microsecond (Linux rounds them to jiffies).
"""
from __future__ import annotations

import errno
import struct
from typing import TYPE_CHECKING

from pynix.errors import KernelError
from pynix.net.socket import AF_INET, AF_INET6, AF_NETLINK, AF_UNIX, SK_WMEM_DEFAULT, Socket
from pynix.task.capability import capable
from pynix.uapi.capability import CAP_NET_ADMIN, CAP_NET_RAW

if TYPE_CHECKING:
    from pynix.task.task import Task

SOL_SOCKET = 1
(SO_DEBUG, SO_REUSEADDR, SO_TYPE, SO_ERROR, SO_DONTROUTE, SO_BROADCAST, SO_SNDBUF, SO_RCVBUF, SO_KEEPALIVE,
 SO_OOBINLINE, SO_NO_CHECK, SO_PRIORITY, SO_LINGER, SO_BSDCOMPAT, SO_REUSEPORT, SO_PASSCRED, SO_PEERCRED,
 SO_RCVLOWAT, SO_SNDLOWAT, SO_RCVTIMEO_OLD, SO_SNDTIMEO_OLD) = range(1, 22)
SO_BINDTODEVICE, SO_TIMESTAMP_OLD, SO_ACCEPTCONN, SO_PEERSEC = 25, 29, 30, 31
SO_SNDBUFFORCE, SO_RCVBUFFORCE, SO_PASSSEC, SO_MARK, SO_PROTOCOL, SO_DOMAIN = 32, 33, 34, 36, 38, 39
SO_RXQ_OVFL, SO_PEEK_OFF, SO_BUSY_POLL, SO_INCOMING_CPU, SO_COOKIE = 40, 42, 46, 49, 57
SO_RCVTIMEO_NEW, SO_SNDTIMEO_NEW = 66, 67
SOCK_MIN_SNDBUF, SOCK_MIN_RCVBUF = 4608, 2304
OVERFLOW_ID = 65534
INT_MAX = 0x7FFFFFFF
IFNAMSIZ = 16
SCM_FAMILIES = (AF_UNIX, AF_NETLINK)      # the families that take SO_PASSCRED (sk_may_scm_recv)
_BOOLS = {SO_REUSEADDR: "reuseaddr", SO_REUSEPORT: "reuseport", SO_KEEPALIVE: "keepalive",
          SO_BROADCAST: "broadcast", SO_OOBINLINE: "oobinline", SO_PASSCRED: "passcred",
          SO_DONTROUTE: "dontroute", SO_TIMESTAMP_OLD: "timestamp"}
_ZERO = (SO_DEBUG, SO_NO_CHECK, SO_BSDCOMPAT, SO_PASSSEC, SO_RXQ_OVFL, SO_BUSY_POLL)


def _timeval(ns: int) -> bytes:
    us = ns // 1000
    return struct.pack("<qq", us // 1_000_000, us % 1_000_000)


def sock_getsockopt(sock: Socket, name: int, size: int) -> bytes:
    """The option's value, cut to `size` bytes."""
    if name == SO_PASSCRED and sock.family not in SCM_FAMILIES:
        raise KernelError(errno.EOPNOTSUPP)
    if name in _BOOLS:
        value = struct.pack("<i", int(getattr(sock, _BOOLS[name])))
    elif name in _ZERO:
        value = struct.pack("<i", 0)
    elif name == SO_ERROR:
        value = struct.pack("<i", sock.take_error())
    elif name == SO_PEERCRED:
        cred = getattr(sock, "peercred", None) or (0, OVERFLOW_ID, OVERFLOW_ID)
        value = struct.pack("<iII", *cred)
    elif name == SO_LINGER:
        value = struct.pack("<ii", *sock.linger)
    elif name in (SO_RCVTIMEO_OLD, SO_RCVTIMEO_NEW):
        value = _timeval(sock.rcvtimeo)
    elif name in (SO_SNDTIMEO_OLD, SO_SNDTIMEO_NEW):
        value = _timeval(sock.sndtimeo)
    elif name == SO_BINDTODEVICE:
        if size < IFNAMSIZ:
            raise KernelError(errno.EINVAL)
        value = sock.bound_dev + b"\0" if sock.bound_dev else b""
    elif name == SO_COOKIE:
        value = struct.pack("<Q", sock.ino)
    elif name == SO_PEEK_OFF:
        if not hasattr(sock, "peek_off"):
            raise KernelError(errno.EOPNOTSUPP)
        value = struct.pack("<i", sock.peek_off)
    else:
        ints = {SO_TYPE: sock.type, SO_SNDBUF: sock.sndbuf, SO_RCVBUF: sock.rcvbuf, SO_DOMAIN: sock.family,
                SO_PROTOCOL: sock.protocol, SO_ACCEPTCONN: int(sock.accepting), SO_PRIORITY: sock.priority,
                SO_RCVLOWAT: sock.rcvlowat, SO_SNDLOWAT: 1, SO_MARK: sock.mark, SO_INCOMING_CPU: -1}
        if name not in ints:
            raise KernelError(errno.ENOPROTOOPT)
        value = struct.pack("<i", ints[name])
    return value[:size]


def _timeout(value: bytes) -> int:
    """sock_set_timeout: a struct timeval in ns (0 = for ever); EDOM for a bad tv_usec."""
    if len(value) < 16:
        raise KernelError(errno.EINVAL)
    sec, usec = struct.unpack_from("<qq", value)
    if usec < 0 or usec >= 1_000_000:
        raise KernelError(errno.EDOM)
    if sec < 0:
        return 0
    return (sec * 1_000_000 + usec) * 1000


def sock_setsockopt(task: "Task", sock: Socket, name: int, value: bytes) -> None:
    privileged = capable(task, CAP_NET_ADMIN)
    if name == SO_BINDTODEVICE:
        devname = value[:IFNAMSIZ].split(b"\0", 1)[0]
        if devname and sock.net.device_named(devname) is None:
            raise KernelError(errno.ENODEV)
        sock.bound_dev = devname
        return
    if name in (SO_RCVTIMEO_OLD, SO_RCVTIMEO_NEW):
        sock.rcvtimeo = _timeout(value)
        return
    if name in (SO_SNDTIMEO_OLD, SO_SNDTIMEO_NEW):
        sock.sndtimeo = _timeout(value)
        return
    if len(value) < 4:
        raise KernelError(errno.EINVAL)
    val = struct.unpack_from("<i", value)[0]
    if (name == SO_PASSCRED and sock.family not in SCM_FAMILIES) or \
            (name == SO_REUSEPORT and sock.family not in (AF_INET, AF_INET6)):
        raise KernelError(errno.EOPNOTSUPP)
    if name in _BOOLS:
        setattr(sock, _BOOLS[name], val != 0)
    elif name in (SO_SNDBUF, SO_SNDBUFFORCE, SO_RCVBUF, SO_RCVBUFFORCE):
        if name in (SO_SNDBUFFORCE, SO_RCVBUFFORCE) and not privileged:
            raise KernelError(errno.EPERM)
        # (SO_*BUF compare as u32: a negative value is the maximum)
        val = max(val, 0) if name in (SO_SNDBUFFORCE, SO_RCVBUFFORCE) else min(val & 0xFFFFFFFF, SK_WMEM_DEFAULT)
        if name in (SO_SNDBUF, SO_SNDBUFFORCE):
            sock.sndbuf = max(val * 2, SOCK_MIN_SNDBUF)
        else:
            sock.rcvbuf = max(val * 2, SOCK_MIN_RCVBUF)
        sock.buffers_changed()
    elif name == SO_LINGER:
        if len(value) < 8:
            raise KernelError(errno.EINVAL)
        onoff, seconds = struct.unpack_from("<ii", value)
        sock.linger = (1 if onoff else 0, seconds if onoff else sock.linger[1])
    elif name == SO_PRIORITY:
        if (val < 0 or val > 6) and not (privileged or capable(task, CAP_NET_RAW)):
            raise KernelError(errno.EPERM)
        sock.priority = val
    elif name == SO_RCVLOWAT:
        sock.rcvlowat = (INT_MAX if val < 0 else val) or 1
    elif name == SO_MARK:
        if not (privileged or capable(task, CAP_NET_RAW)):
            raise KernelError(errno.EPERM)
        sock.mark = val & 0xFFFFFFFF
    elif name == SO_PEEK_OFF:
        if not hasattr(sock, "peek_off"):
            raise KernelError(errno.EOPNOTSUPP)
        sock.peek_off = val
    elif name in (SO_DEBUG, SO_NO_CHECK, SO_BSDCOMPAT, SO_PASSSEC, SO_RXQ_OVFL, SO_BUSY_POLL):
        if name == SO_DEBUG and val and not privileged:
            raise KernelError(errno.EPERM)
    else:
        raise KernelError(errno.ENOPROTOOPT)
