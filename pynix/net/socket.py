"""The socket layer (Linux's net/socket.c): `struct socket` as an open file, and the family table.

A `Socket` is the file a socket descriptor points at.  Its subclasses are the protocol families' sockets
(net/unix, net/inet, net/netlink) and implement the proto_ops a syscall reaches through it: bind, connect,
listen, accept, getname, sendmsg, recvmsg, shutdown, poll and the protocol levels of get/setsockopt.  What every
socket shares lives here: its sockfs inode (stat, /proc/PID/fd link), the SOL_SOCKET state of `struct sock`
(buffers, timeouts, SO_REUSEADDR..., the pending error: net/core/sock.py reads and writes it), read/write as
recv/send without flags, and the three wait queues poll and blocking use.

Data crosses this layer as bytes in and bytes out (`sendmsg` takes memoryviews of the sender's buffers,
`recvmsg` returns a `Received`), so the iov_iter adaptation of File's data interface stays in the syscall layer.
"""
from __future__ import annotations

import errno
import importlib
import itertools
import stat as stat_mod
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from pynix.errors import KernelError
from pynix.fs.file import O_NONBLOCK, O_RDWR, File, FdTable
from pynix.sync.wait import Block, WaitQueue

if TYPE_CHECKING:
    from pynix.mm.iov_iter import IovIter
    from pynix.net.namespace import NetNamespace
    from pynix.task.task import Task

AF_UNSPEC, AF_UNIX, AF_INET, AF_INET6, AF_NETLINK, AF_PACKET, NPROTO = 0, 1, 2, 10, 16, 17, 46
SOCK_STREAM, SOCK_DGRAM, SOCK_RAW, SOCK_RDM, SOCK_SEQPACKET, SOCK_PACKET, SOCK_MAX = 1, 2, 3, 4, 5, 10, 11
MSG_OOB, MSG_PEEK, MSG_DONTROUTE, MSG_CTRUNC, MSG_TRUNC, MSG_DONTWAIT, MSG_EOR = 0x1, 0x2, 0x4, 0x8, 0x20, 0x40, 0x80
MSG_WAITALL, MSG_NOSIGNAL, MSG_MORE, MSG_CMSG_CLOEXEC = 0x100, 0x4000, 0x8000, 0x40000000
SHUT_RD, SHUT_WR, SHUT_RDWR = 0, 1, 2
SOL_SOCKET = 1
RCV_SHUTDOWN, SEND_SHUTDOWN, SHUTDOWN_MASK = 1, 2, 3
POLLIN, POLLPRI, POLLOUT, POLLERR, POLLHUP, POLLRDNORM, POLLWRNORM = 0x1, 0x2, 0x4, 0x8, 0x10, 0x40, 0x100
POLLWRBAND, POLLRDHUP = 0x200, 0x2000
SOCKFS_DEV = 0x08
PAGE_SIZE = 4096
SOMAXCONN = 4096                   # /proc/sys/net/core/somaxconn
SK_WMEM_DEFAULT = 212992           # /proc/sys/net/core/wmem_default, rmem_default, wmem_max, rmem_max
_inode_numbers = itertools.count(0x20000)


@dataclass
class Ancillary:
    """What a sendmsg control buffer carried: SCM_RIGHTS files (held in flight), SCM_CREDENTIALS, and the
    protocol-level control messages (level, type, data) the family interprets (IPV6_HOPLIMIT...)."""
    files: FdTable | None = None
    creds: tuple[int, int, int] | None = None       # (pid, uid, gid)
    proto: list[tuple[int, int, bytes]] = field(default_factory=list)


@dataclass
class Received:
    """One receive: the bytes, the whole message's length (larger when truncated), the sender's address
    (a sockaddr, or None), and what travelled with the data."""
    data: bytes
    files: FdTable | None = None
    length: int = 0
    addr: bytes | None = None
    creds: tuple[int, int, int] | None = None
    cmsgs: list[tuple[int, int, bytes]] = field(default_factory=list)     # protocol-level, in order
    meta: tuple | None = None                                             # (the protocol's, to make them)
    msg_flags: int = 0                                                    # recvmsg's msg_flags (MSG_OOB)


class Timeout:
    """The restart data of a wait bounded by SO_RCVTIMEO / SO_SNDTIMEO: its deadline (CLOCK_MONOTONIC ns), and
    for a stream write the bytes earlier runs already wrote."""

    __slots__ = ("deadline", "done")

    def __init__(self, deadline: int) -> None:
        self.deadline = deadline
        self.done: int | None = None


def sock_wait(task: "Task", timeo_ns: int, *queues: WaitQueue, expired: int = errno.EAGAIN) -> None:
    """Sleep on `queues` and run the call again (Linux's sk_wait_event); with a timeout, fail with `expired`
    once it has passed."""
    if not timeo_ns:
        raise Block(*queues)
    data = task.restart_data
    if not isinstance(data, Timeout):
        data = Timeout(time.monotonic_ns() + timeo_ns)
    elif time.monotonic_ns() >= data.deadline:
        raise KernelError(expired)
    raise Block(*queues, deadline=data.deadline, data=data)


class Socket(File):
    """A socket (Linux's struct socket + the family-independent part of struct sock)."""

    family = AF_UNSPEC

    def __init__(self, task: "Task", sock_type: int, protocol: int, flags: int = 0) -> None:
        super().__init__(O_RDWR | (flags & O_NONBLOCK))
        self.net: "NetNamespace" = task.nsproxy.net
        self.type, self.protocol = sock_type, protocol
        creds = task.group.creds
        self.uid, self.gid = creds.euid, creds.egid
        self.cred = (task.group.pid, creds.euid, creds.egid)     # what SO_PEERCRED of a peer reports
        self.ino = next(_inode_numbers)
        # SOL_SOCKET state (net/core/sock.py)
        self.sndbuf = self.rcvbuf = SK_WMEM_DEFAULT
        self.err = 0
        self.reuseaddr = self.reuseport = self.keepalive = self.broadcast = self.oobinline = False
        self.passcred = self.dontroute = self.timestamp = False
        self.linger: tuple[int, int] = (0, 0)
        self.rcvtimeo = self.sndtimeo = 0                         # ns; 0 = wait for ever
        self.rcvlowat, self.priority, self.mark = 1, 0, 0
        self.bound_dev = b""
        # wait queues: data to read, room to write, and any change of state (connected, error, closed)
        self.read_wq = WaitQueue(POLLIN | POLLRDNORM)
        self.write_wq = WaitQueue(POLLOUT | POLLWRNORM)
        self.state_wq = WaitQueue(0)

    # --------------------------------------------------------------------------------------- proto_ops
    def bind(self, task: "Task", addr: bytes) -> None:
        raise KernelError(errno.EOPNOTSUPP)

    def connect(self, task: "Task", addr: bytes) -> None:
        raise KernelError(errno.EOPNOTSUPP)

    def listen(self, task: "Task", backlog: int) -> None:
        raise KernelError(errno.EOPNOTSUPP)

    def accept(self, task: "Task", flags: int) -> "Socket":
        raise KernelError(errno.EOPNOTSUPP)

    def getname(self, peer: bool) -> bytes:
        """The socket's own address (peer=False) or its peer's, as the family's sockaddr."""
        raise KernelError(errno.EOPNOTSUPP)

    def sendmsg(self, task: "Task", views: list[memoryview], flags: int, addr: bytes | None,
                anc: Ancillary) -> int:
        raise KernelError(errno.EOPNOTSUPP)

    def recvmsg(self, task: "Task", size: int, flags: int) -> Received:
        raise KernelError(errno.EOPNOTSUPP)

    def do_shutdown(self, how: int) -> None:
        raise KernelError(errno.EOPNOTSUPP)

    def getsockopt(self, level: int, name: int, size: int) -> bytes:
        """getsockopt(2): SOL_SOCKET options are the socket layer's (net/core/sock.py), others the protocol's."""
        if level == SOL_SOCKET:
            from pynix.net.core.sock import sock_getsockopt
            return sock_getsockopt(self, name, size)
        return self.getsockopt_proto(level, name, size)

    def setsockopt(self, task: "Task", level: int, name: int, value: bytes) -> None:
        if level == SOL_SOCKET:
            from pynix.net.core.sock import sock_setsockopt
            sock_setsockopt(task, self, name, value)
        else:
            self.setsockopt_proto(task, level, name, value)

    def getsockopt_proto(self, level: int, name: int, size: int) -> bytes:
        """A protocol-level option (IPPROTO_TCP, IPPROTO_IP, ...): its value, `size` is the caller's optlen."""
        raise KernelError(errno.EOPNOTSUPP)

    def setsockopt_proto(self, task: "Task", level: int, name: int, value: bytes) -> None:
        raise KernelError(errno.EOPNOTSUPP)

    @property
    def accepting(self) -> bool:
        """SO_ACCEPTCONN: the socket listens."""
        return False

    def at_mark(self) -> int:
        """SIOCATMARK: a read is at the urgent mark (ENOTTY for a family without urgent data)."""
        raise KernelError(errno.ENOTTY)

    def outq(self) -> int:
        """SIOCOUTQ: bytes sent and not yet read by the peer."""
        return 0

    def proc_state(self) -> int:
        """The state number /proc/net shows (TCP_ESTABLISHED...); 7 is TCP_CLOSE."""
        return 7

    # ------------------------------------------------------------------------------------ file interface
    def read_iter(self, task: "Task", to: "IovIter") -> int:
        """read(2) is recv(2) with no flags."""
        to.map(min(to.count, 1 << 16))              # EFAULT before anything is taken off the queue
        return to.copy_to(self.recvmsg(task, to.count, 0).data)

    def write_iter(self, task: "Task", source: "IovIter") -> int:
        """write(2) is send(2) with no flags."""
        n = self.sendmsg(task, source.map(source.count), 0, None, Ancillary())
        source.advance(n)
        return n

    def bytes_available(self) -> int:
        return 0

    def poll_queues(self, task: "Task") -> tuple[WaitQueue, ...]:
        return self.read_wq, self.write_wq, self.state_wq

    def wake_state(self) -> None:
        """Something every waiter may care about changed (connected, error, shut down, a connection queued)."""
        self.state_wq.wake_all()
        self.read_wq.wake_all()
        self.write_wq.wake_all()

    def buffers_changed(self) -> None:
        """SO_SNDBUF / SO_RCVBUF changed."""

    def ioctl(self, task: "Task", request: int, arg: int) -> int:
        from pynix.net.core.dev_ioctl import sock_ioctl
        return sock_ioctl(task, self, request, arg)

    def stat(self) -> dict[str, int]:
        return {"dev": SOCKFS_DEV, "ino": self.ino, "mode": stat_mod.S_IFSOCK | 0o777, "nlink": 1,
                "uid": self.uid, "gid": self.gid, "rdev": 0, "size": 0, "blksize": PAGE_SIZE, "blocks": 0,
                "atime": 0, "atime_nsec": 0, "mtime": 0, "mtime_nsec": 0, "ctime": 0, "ctime_nsec": 0}

    def proc_link_name(self) -> bytes:
        return b"socket:[%d]" % self.ino

    def take_error(self) -> int:
        """sock_error: the pending error, cleared."""
        err, self.err = self.err, 0
        return err


# ------------------------------------------------------------------------------------------ family table
# family -> create(task, type, protocol, flags) -> Socket; EPROTONOSUPPORT/ESOCKTNOSUPPORT are the family's.
Creator = Callable[["Task", int, int, int], Socket]
FAMILIES: dict[int, Creator] = {}


def register_family(family: int, create: Creator) -> None:
    FAMILIES[family] = create


def sock_create(task: "Task", family: int, sock_type: int, protocol: int, flags: int) -> Socket:
    """__sock_create: the family's creator (the network namespace's own first: --net host's hostinet), EAFNOSUPPORT for a family out of range or not built in, EINVAL for a bad type."""
    if family < 0 or family >= NPROTO:
        raise KernelError(errno.EAFNOSUPPORT)
    if sock_type < 0 or sock_type >= SOCK_MAX:
        raise KernelError(errno.EINVAL)
    _load_families()
    create = task.nsproxy.net.families.get(family) or FAMILIES.get(family)
    if create is None:
        raise KernelError(errno.EAFNOSUPPORT)
    return create(task, sock_type, protocol, flags)


FAMILY_MODULES = ("pynix.net.inet.af_inet", "pynix.net.netlink.af_netlink", "pynix.net.unix.af_unix")


def _load_families() -> None:
    """Import every family (each registers itself) the first time a socket is made (importing is idempotent:
    some are already loaded by whoever used them first)."""
    if len(FAMILIES) < len(FAMILY_MODULES) + 1:            # (AF_INET and AF_INET6 come from one module)
        for module in FAMILY_MODULES:
            importlib.import_module(module)
