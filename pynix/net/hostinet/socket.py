"""`pynix run --net host`: AF_INET and AF_INET6 sockets that are host sockets (gVisor's hostinet).

Every guest socket of those families owns one non-blocking host socket, and its calls are the host's calls on
it, given the guest's own bytes: sockaddrs, option values and control messages cross unchanged (they have the
same layout on x86_64 and riscv64), so the host kernel checks them and its errno is the guest's.  The guest's
AF_UNIX and netlink sockets stay the machine's own.

Blocking is pynix's, not the host's: a call the host answers with EAGAIN sleeps on the socket's read or write
queue (or fails with EAGAIN for a non-blocking socket), and the kernel's host-I/O loop polls the host socket for
the direction someone waits on (`Kernel.watch_host_events`), then wakes that queue.  A direction is polled only
while its readiness is unknown (the last call found it not ready), so a readable socket nobody reads does not
make the loop spin.  SO_RCVTIMEO / SO_SNDTIMEO bound those sleeps; other options pass through an allow-list of
those that carry no pointers (anything else: ENOPROTOOPT).

Differences from Linux (as gVisor's hostinet): /proc/net and the netlink/ioctl interface lists show the
machine's own devices and sockets, not the host's; a blocking send that the host takes in part returns when the
rest is taken (as Linux), but one interrupted by a signal returns the part sent; MSG_WAITALL data already
received when a signal interrupts the call is returned by the next receive; F_SETOWN does not route the host's
SIGURG to the guest; close() with SO_LINGER does not wait (the host sends what is left in the background); a
blocking connect() interrupted by a signal is finished by the next connect() (Linux: EALREADY until it is).
"""
from __future__ import annotations

import ctypes
import errno
import os
import select
import struct
from typing import TYPE_CHECKING

from pynix.errors import KernelError
from pynix.net.core.sock import SO_RCVTIMEO_NEW, SO_RCVTIMEO_OLD, SO_SNDTIMEO_NEW, SO_SNDTIMEO_OLD
from pynix.net.socket import (AF_INET, AF_INET6, MSG_DONTWAIT, MSG_NOSIGNAL, MSG_PEEK, MSG_TRUNC, MSG_WAITALL, POLLERR,
                              POLLHUP, POLLIN, POLLOUT, POLLRDHUP, POLLPRI, SOCK_DGRAM, SOCK_STREAM, SOL_SOCKET,
                              Ancillary, Received, Socket, sock_wait)
from pynix.sync.wait import Block
from pynix.task.signal import send_sigpipe

if TYPE_CHECKING:
    from pynix.net.namespace import NetNamespace
    from pynix.task.task import Task

_libc = ctypes.CDLL(None, use_errno=True)
SOCK_NONBLOCK, SOCK_CLOEXEC = 0o4000, 0o2000000
MSG_CMSG_CLOEXEC, MSG_ERRQUEUE = 0x40000000, 0x2000
IPPROTO_IP, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_IPV6 = 0, 6, 17, 41
SO_LINGER = 13
FIONREAD, SIOCOUTQ, SIOCATMARK = 0x541B, 0x5411, 0x8905
SOCKADDR_MAX = 128
CONTROL_MAX = 1024
RECV_MAX = 1 << 20                       # the most one receive takes from the host at a time
CMSGHDR = struct.Struct("<Qii")
# Options passed to the host socket (none holds a pointer); SO_RCVTIMEO / SO_SNDTIMEO are pynix's own.
PASSED = {
    SOL_SOCKET: {2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 18, 19, 25, 29, 30, 36, 38, 39, 46, 49, 57},
    IPPROTO_TCP: {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 18, 19, 23, 25, 30, 36},
    IPPROTO_IP: {1, 2, 3, 4, 7, 8, 10, 11, 12, 13, 14, 15, 19, 20, 24, 32, 33, 34, 35, 36, 49},
    IPPROTO_IPV6: {16, 17, 18, 19, 20, 21, 23, 24, 25, 26, 49, 50, 51, 52, 57, 60, 62, 66, 67, 74},
    IPPROTO_UDP: {1, 103, 104},
}
_LOCAL = (SO_RCVTIMEO_OLD, SO_RCVTIMEO_NEW, SO_SNDTIMEO_OLD, SO_SNDTIMEO_NEW)


class _Iovec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]


class _Msghdr(ctypes.Structure):
    _fields_ = [("name", ctypes.c_void_p), ("namelen", ctypes.c_uint32), ("iov", ctypes.POINTER(_Iovec)),
                ("iovlen", ctypes.c_size_t), ("control", ctypes.c_void_p), ("controllen", ctypes.c_size_t),
                ("flags", ctypes.c_int)]


def _host(ret: int) -> int:
    """A host call's result, or its errno as the guest's error."""
    if ret < 0:
        raise KernelError(ctypes.get_errno())
    return ret


class HostSocket(Socket):
    """A guest AF_INET / AF_INET6 socket backed by a host socket."""

    def __init__(self, task: "Task", family: int, sock_type: int, protocol: int, flags: int,
                 fd: int | None = None) -> None:
        super().__init__(task, sock_type, protocol, flags)
        self.family = family
        if fd is None:
            fd = _host(_libc.socket(family, sock_type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol))
        self.fd = fd
        self.kernel = task.kernel
        self.host_readable = self.host_writable = False    # as the host last said (False: unknown, poll)
        self.connecting = False                 # a blocking connect waits for the host's handshake
        self.waitall = b""                      # what a MSG_WAITALL receive took before it slept
        self.kernel.watch_host_events(fd, self)

    # ---------------------------------------------------------------------------------- host readiness
    def host_interest(self) -> int:
        events = 0
        if not self.host_readable and (self.read_wq.waiters or self.read_wq.callbacks):
            events |= POLLIN | POLLRDHUP
        if not self.host_writable and (self.write_wq.waiters or self.write_wq.callbacks):
            events |= POLLOUT
        return events

    def host_ready(self, revents: int) -> None:
        if revents & (POLLIN | POLLRDHUP | POLLERR | POLLHUP):
            self.host_readable = True
            self.read_wq.wake_all(revents)
        if revents & (POLLOUT | POLLERR | POLLHUP):
            self.host_writable = True
            self.write_wq.wake_all(revents)

    def poll_mask(self) -> int:
        """The host's poll bits (the same as Linux's, being Linux's)."""
        poller = select.poll()
        poller.register(self.fd, POLLIN | POLLOUT | POLLPRI | POLLRDHUP)
        ready = poller.poll(0)
        mask = ready[0][1] if ready else 0
        self.host_readable = bool(mask & (POLLIN | POLLRDHUP | POLLERR | POLLHUP))
        self.host_writable = bool(mask & (POLLOUT | POLLERR | POLLHUP))
        return mask

    def poll_queues(self, task: "Task") -> tuple:
        return self.read_wq, self.write_wq

    def _wait(self, task: "Task", write: bool, flags: int = 0, expired: int = errno.EAGAIN) -> None:
        """The host said EAGAIN: fail so for a non-blocking call, else sleep until the host is ready."""
        if write:
            self.host_writable = False               # (poll it again: an edge-triggered epoll waits for that)
        else:
            self.host_readable = False
        if self.nonblocking or flags & MSG_DONTWAIT:
            raise KernelError(errno.EAGAIN)
        if write:
            sock_wait(task, self.sndtimeo, self.write_wq, expired=expired)
        sock_wait(task, self.rcvtimeo, self.read_wq, expired=expired)

    # ------------------------------------------------------------------------------------------- names
    def bind(self, task: "Task", addr: bytes) -> None:
        _host(_libc.bind(self.fd, addr, len(addr)))

    def listen(self, task: "Task", backlog: int) -> None:
        _host(_libc.listen(self.fd, backlog))

    def connect(self, task: "Task", addr: bytes) -> None:
        if not self.connecting:
            if _libc.connect(self.fd, addr, len(addr)) == 0:
                return
            err = ctypes.get_errno()
            if err != errno.EINPROGRESS or self.nonblocking:
                raise KernelError(err)
            self.connecting = True
        if not self.poll_mask() & (POLLOUT | POLLERR | POLLHUP):
            self._wait(task, write=True, expired=errno.EINPROGRESS)
        self.connecting = False
        err = struct.unpack("<i", self._getsockopt(SOL_SOCKET, 4, 4))[0]     # SO_ERROR: the outcome
        if err:
            raise KernelError(err)

    def accept(self, task: "Task", flags: int) -> "HostSocket":
        fd = _libc.accept4(self.fd, None, None, SOCK_NONBLOCK | SOCK_CLOEXEC)
        if fd < 0:
            err = ctypes.get_errno()
            if err != errno.EAGAIN:
                raise KernelError(err)
            self._wait(task, write=False)
        self.host_readable = False                        # (another connection may or may not be queued)
        child = HostSocket(task, self.family, self.type, self.protocol, 0, fd)
        child.rcvtimeo, child.sndtimeo = self.rcvtimeo, self.sndtimeo
        return child

    def getname(self, peer: bool) -> bytes:
        buf = ctypes.create_string_buffer(SOCKADDR_MAX)
        size = ctypes.c_uint32(SOCKADDR_MAX)
        call = _libc.getpeername if peer else _libc.getsockname
        _host(call(self.fd, buf, ctypes.byref(size)))
        return buf.raw[:size.value]

    def do_shutdown(self, how: int) -> None:
        _host(_libc.shutdown(self.fd, how))
        self.read_wq.wake_all()
        self.write_wq.wake_all()

    # --------------------------------------------------------------------------------------- send/recv
    def sendmsg(self, task: "Task", views: list[memoryview], flags: int, addr: bytes | None,
                anc: Ancillary) -> int:
        done = task.restart_data if isinstance(task.restart_data, int) else 0
        data = b"".join(views)
        control = b"".join(CMSGHDR.pack(CMSGHDR.size + len(body), level, kind) + body.ljust((len(body) + 7) & ~7,
                                                                                             b"\0")
                           for level, kind, body in anc.proto)
        while True:
            try:
                n = self._sendmsg(data[done:], flags, addr, control)
            except KernelError as err:
                if done:
                    return done                      # (the error comes with the next call)
                if err.errno == errno.EAGAIN:
                    self._wait(task, write=True, flags=flags)
                if err.errno == errno.EPIPE and not flags & MSG_NOSIGNAL:
                    send_sigpipe(task)
                raise
            done += n
            if done >= len(data) or self.type != SOCK_STREAM or self.nonblocking or flags & MSG_DONTWAIT \
                    or self.sndtimeo:
                return done
            self.host_writable = False                    # the host took a part: wait for room for the rest
            raise Block(self.write_wq, data=done, on_interrupt=lambda: done)

    def _sendmsg(self, data: bytes, flags: int, addr: bytes | None, control: bytes) -> int:
        buf = ctypes.create_string_buffer(data, len(data))
        iov = _Iovec(ctypes.cast(buf, ctypes.c_void_p), len(data))
        msg = _Msghdr(None, 0, ctypes.pointer(iov), 1, None, 0, 0)
        if addr:
            name = ctypes.create_string_buffer(addr, len(addr))
            msg.name, msg.namelen = ctypes.cast(name, ctypes.c_void_p), len(addr)
        if control:
            ctl = ctypes.create_string_buffer(control, len(control))
            msg.control, msg.controllen = ctypes.cast(ctl, ctypes.c_void_p), len(control)
        return _host(_libc.sendmsg(self.fd, ctypes.byref(msg), flags | MSG_DONTWAIT | MSG_NOSIGNAL))

    def recvmsg(self, task: "Task", size: int, flags: int) -> Received:
        waitall = flags & MSG_WAITALL and self.type == SOCK_STREAM and not flags & (MSG_PEEK | MSG_DONTWAIT) \
            and not self.nonblocking
        host_flags = flags & ~(MSG_WAITALL | MSG_CMSG_CLOEXEC)
        if self.type == SOCK_DGRAM:
            host_flags |= MSG_TRUNC                  # the host then returns a datagram's whole length
        want = min(size, RECV_MAX)
        try:
            data, length, name, cmsgs = self._recvmsg(want - len(self.waitall), host_flags)
        except KernelError as err:
            if err.errno == errno.EAGAIN:
                self._wait(task, write=False, flags=flags)
            if self.waitall:
                return self._take_waitall()          # an error after part of a MSG_WAITALL receive
            raise
        self.host_readable = False                        # (more may or may not be there)
        if self.waitall or waitall and data and len(data) < want:
            self.waitall += data
            if data and len(self.waitall) < want:
                sock_wait(task, self.rcvtimeo, self.read_wq)
            return self._take_waitall()
        return Received(data, None, length, name or None, cmsgs=cmsgs)

    def _take_waitall(self) -> Received:
        data, self.waitall = self.waitall, b""
        return Received(data, None, len(data))

    def _recvmsg(self, size: int, flags: int) -> tuple[bytes, int, bytes, list[tuple[int, int, bytes]]]:
        buf = ctypes.create_string_buffer(max(size, 1))
        iov = _Iovec(ctypes.cast(buf, ctypes.c_void_p), size)
        name = ctypes.create_string_buffer(SOCKADDR_MAX)
        ctl = ctypes.create_string_buffer(CONTROL_MAX)
        msg = _Msghdr(ctypes.cast(name, ctypes.c_void_p), SOCKADDR_MAX, ctypes.pointer(iov), 1,
                      ctypes.cast(ctl, ctypes.c_void_p), CONTROL_MAX, 0)
        n = _host(_libc.recvmsg(self.fd, ctypes.byref(msg), flags | MSG_DONTWAIT))
        control = ctl.raw[:msg.controllen]
        cmsgs, offset = [], 0
        while offset + CMSGHDR.size <= len(control):
            cmsg_len, level, kind = CMSGHDR.unpack_from(control, offset)
            if cmsg_len < CMSGHDR.size:
                break
            cmsgs.append((level, kind, control[offset + CMSGHDR.size:offset + cmsg_len]))
            offset += (cmsg_len + 7) & ~7
        data = buf.raw[:min(n, size)] if not (flags & MSG_TRUNC and self.type == SOCK_STREAM) else b""
        return data, n, name.raw[:msg.namelen], cmsgs

    # ----------------------------------------------------------------------------------------- options
    def getsockopt(self, level: int, name: int, size: int) -> bytes:
        if level == SOL_SOCKET and name in _LOCAL:
            return super().getsockopt(level, name, size)
        if name not in PASSED.get(level, ()):
            raise KernelError(errno.ENOPROTOOPT)
        return self._getsockopt(level, name, size)

    def _getsockopt(self, level: int, name: int, size: int) -> bytes:
        buf = ctypes.create_string_buffer(max(size, 1))
        length = ctypes.c_uint32(size)
        _host(_libc.getsockopt(self.fd, level, name, buf, ctypes.byref(length)))
        return buf.raw[:length.value]

    def setsockopt(self, task: "Task", level: int, name: int, value: bytes) -> None:
        if level == SOL_SOCKET and name in _LOCAL:
            return super().setsockopt(task, level, name, value)
        if name not in PASSED.get(level, ()):
            raise KernelError(errno.ENOPROTOOPT)
        _host(_libc.setsockopt(self.fd, level, name, value, len(value)))

    # ------------------------------------------------------------------------------------ file interface
    def _ioctl_int(self, request: int) -> int:
        value = ctypes.c_int(0)
        _host(_libc.ioctl(self.fd, request, ctypes.byref(value)))
        return value.value

    def bytes_available(self) -> int:
        return self._ioctl_int(FIONREAD)

    def outq(self) -> int:
        return self._ioctl_int(SIOCOUTQ)

    def at_mark(self) -> int:
        """SIOCATMARK."""
        return self._ioctl_int(SIOCATMARK)

    @property
    def accepting(self) -> bool:
        return bool(struct.unpack("<i", self._getsockopt(SOL_SOCKET, 30, 4))[0])

    def release(self) -> None:
        self.kernel.watch_host_events(self.fd, None)
        linger = struct.unpack("<ii", self._getsockopt(SOL_SOCKET, SO_LINGER, 8))
        if linger[0] and linger[1]:                  # the host would block in close() for the linger time
            _libc.setsockopt(self.fd, SOL_SOCKET, SO_LINGER, struct.pack("<ii", 0, 0), 8)
        os.close(self.fd)
        self.fd = -1
        self.read_wq.wake_all()
        self.write_wq.wake_all()


def hostinet_create(task: "Task", family: int, sock_type: int, protocol: int, flags: int) -> Socket:
    """socket(2) of an inet family under --net host: stream and datagram sockets are the host's."""
    if sock_type not in (SOCK_STREAM, SOCK_DGRAM):
        from pynix.net.inet.af_inet import inet_create
        return inet_create(task, family, sock_type, protocol, flags)
    return HostSocket(task, family, sock_type, protocol, flags)


def use_host_network(net: "NetNamespace") -> None:
    """Make `net`'s AF_INET and AF_INET6 sockets host sockets."""
    for family in (AF_INET, AF_INET6):
        net.families[family] = lambda task, t, p, f, family=family: hostinet_create(task, family, t, p, f)
