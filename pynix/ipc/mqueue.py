"""POSIX message queues and the mqueue filesystem (Linux's ipc/mqueue.c).

Every queue is an inode of the one mqueue filesystem of the IPC namespace: mq_open and mq_unlink work in its
root through an internal mount, and `mount -t mqueue none /dev/mqueue` shows the same filesystem, where `ls`
lists the queues, `cat` reads a queue's status line (QSIZE, NOTIFY, SIGNO, NOTIFY_PID), open(O_CREAT) makes a
queue with the default attributes and unlink removes one.

A queue holds at most `maxmsg` messages of at most `msgsize` bytes; mq_receive takes the oldest message of the
highest priority.  A sender of a full queue and a receiver of an empty one sleep on the queue's wait queues
(and are woken by the other side, a timeout, or a signal: restarted under SA_RESTART, as Linux's -ERESTARTSYS).
mq_notify registers one process to be sent a signal (SIGEV_SIGNAL) or nothing (SIGEV_NONE) when a message
arrives on the empty queue while nobody waits to receive; the registration is then dropped.

Differences from Linux: no RLIMIT_MSGQUEUE accounting, a registration ends when the owner's last descriptor of
the queue is closed (Linux: any close by the owner), and SIGEV_THREAD, which needs a netlink socket, is refused as
Linux refuses a descriptor that is not one.
"""
from __future__ import annotations

import errno
import stat as st
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from pynix.errors import KernelError
from pynix.fs.file import POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM
from pynix.fs.file_ops import InodeFile
from pynix.fs.sysctl import int_sysctl
from pynix.fs.vfs import Dentry, Inode, Mount, SuperBlock, VfsPath, dtype_of, now_ns
from pynix.hal.clock import realtime_ns
from pynix.sync.wait import Block, WaitQueue

if TYPE_CHECKING:
    from pynix.mm.iov_iter import IovIter
    from pynix.task.task import ThreadGroup

MQUEUE_MAGIC = 0x19800202
MQ_PRIO_MAX = 32768
HARD_MSGMAX, HARD_MSGSIZEMAX = 65536, 16 * 1024 * 1024
SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD = 0, 1, 2
SI_MESGQ = -3
FILENT_SIZE = 80


@dataclass
class MqueueLimits:
    """/proc/sys/fs/mqueue."""
    msg_max: int = 10
    msgsize_max: int = 8192
    queues_max: int = 256
    msg_default: int = 10
    msgsize_default: int = 8192

    def sysctls(self) -> dict[bytes, tuple[Callable[[], bytes], Callable[[bytes], None]]]:
        return {name.encode(): int_sysctl(self, name, 1) for name in
                ("msg_max", "msgsize_max", "queues_max", "msg_default", "msgsize_default")}


@dataclass(eq=False)
class Notification:
    """Who mq_notify registered, and how to tell it."""
    group: "ThreadGroup"
    notify: int
    signo: int
    value: int
    via: "MqueueFile"                      # the descriptor it was made through


class MqueueSuperBlock(SuperBlock):
    fs_type = "mqueue"
    magic = MQUEUE_MAGIC

    def __init__(self, limits: MqueueLimits) -> None:
        super().__init__()
        self.limits = limits
        self.root = MqueueDir(self)
        self.mount = Mount(self, Dentry(b"/", self.root), source="mqueue")   # what mq_open works in

    def statfs(self) -> dict[str, int]:
        info = super().statfs()
        info.update(bsize=4096, frsize=4096)
        return info


class MqueueDir(Inode):
    """The root of the mqueue filesystem, its only directory (mode 01777)."""

    def __init__(self, sb: MqueueSuperBlock) -> None:
        super().__init__(sb, st.S_IFDIR | 0o1777)
        self.entries: dict[bytes, MessageQueue] = {}

    def lookup(self, name: bytes) -> Inode | None:
        return self.entries.get(name)

    def readdir(self):
        return [(name, q.ino, dtype_of(q.mode)) for name, q in self.entries.items()]

    def create(self, name: bytes, mode: int, uid: int, gid: int) -> Inode:
        return self.create_queue(name, mode, uid, gid, None, privileged=uid == 0)

    def create_queue(self, name: bytes, mode: int, uid: int, gid: int, attr: tuple[int, int] | None,
                     privileged: bool) -> "MessageQueue":
        """mqueue_create_attr: ENOSPC past queues_max (root excepted); EINVAL for a non-positive size or one
        past msg_max/msgsize_max (HARD_MSGMAX/HARD_MSGSIZEMAX for root)."""
        limits = self.sb.limits
        if name in self.entries:
            raise KernelError(errno.EEXIST)
        if len(self.entries) >= limits.queues_max and not privileged:
            raise KernelError(errno.ENOSPC)
        maxmsg, msgsize = attr if attr is not None else (limits.msg_default, limits.msgsize_default)
        if maxmsg <= 0 or msgsize <= 0:
            raise KernelError(errno.EINVAL)
        if (maxmsg > HARD_MSGMAX or msgsize > HARD_MSGSIZEMAX) if privileged else \
                (maxmsg > limits.msg_max or msgsize > limits.msgsize_max):
            raise KernelError(errno.EINVAL)
        queue = MessageQueue(self.sb, st.S_IFREG | (mode & 0o7777), uid, gid, maxmsg, msgsize)
        self.entries[name] = queue
        self.mtime_ns = self.ctime_ns = now_ns()
        return queue

    def unlink(self, name: bytes) -> None:
        queue = self.entries.pop(name, None)
        if queue is None:
            raise KernelError(errno.ENOENT)
        queue.nlink = 0
        self.mtime_ns = self.ctime_ns = queue.ctime_ns = now_ns()

    def mkdir(self, name: bytes, mode: int, uid: int, gid: int) -> Inode:
        raise KernelError(errno.EPERM)

    def mknod(self, name: bytes, mode: int, rdev: int, uid: int, gid: int) -> Inode:
        raise KernelError(errno.EPERM)

    def symlink(self, name: bytes, target: bytes, uid: int, gid: int) -> Inode:
        raise KernelError(errno.EPERM)


@dataclass(eq=False)
class _Msg:
    prio: int
    data: bytes


class MessageQueue(Inode):
    """struct mqueue_inode_info: the attributes, the messages, the waiters and the registration."""

    def __init__(self, sb: MqueueSuperBlock, mode: int, uid: int, gid: int, maxmsg: int, msgsize: int) -> None:
        super().__init__(sb, mode, uid, gid)
        self.maxmsg, self.msgsize = maxmsg, msgsize
        self.messages: list[_Msg] = []           # highest priority first, oldest first within one priority
        self.qsize = 0
        self.receivers = WaitQueue(POLLIN | POLLRDNORM)
        self.senders = WaitQueue(POLLOUT | POLLWRNORM)
        self.notification: Notification | None = None

    @property
    def size(self) -> int:
        return FILENT_SIZE

    def status(self) -> bytes:
        """The text a read of the queue's file gives (mqueue_read_file)."""
        n = self.notification
        signo = n.signo if n is not None and n.notify == SIGEV_SIGNAL else 0
        return (f"QSIZE:{self.qsize:<10d} NOTIFY:{n.notify if n else 0:<5d} SIGNO:{signo:<5d} "
                f"NOTIFY_PID:{n.group.pid if n else 0:<6d}\n").encode()

    def read_at(self, offset: int, size: int) -> bytes:
        return self.status()[offset:offset + size]

    def open(self, path: VfsPath, flags: int) -> "MqueueFile":
        return MqueueFile(path, flags)

    def _touch(self, modified: bool = True) -> None:
        t = now_ns()
        self.atime_ns = self.ctime_ns = t
        if modified:
            self.mtime_ns = t

    def send(self, data: bytes, prio: int, nonblocking: bool, deadline: int | None,
             notify: Callable[[Notification], None]) -> None:
        """EMSGSIZE past msgsize; a full queue is EAGAIN (O_NONBLOCK), ETIMEDOUT after `deadline`
        (CLOCK_REALTIME ns), else a sleep.  The registered process is notified if the message lands in an
        empty queue nobody waits on."""
        if len(data) > self.msgsize:
            raise KernelError(errno.EMSGSIZE)
        if len(self.messages) >= self.maxmsg:
            if nonblocking:
                raise KernelError(errno.EAGAIN)
            _sleep(self.senders, deadline)
        at = next((i for i, m in enumerate(self.messages) if m.prio < prio), len(self.messages))
        self.messages.insert(at, _Msg(prio, data))
        self.qsize += len(data)
        self._touch()
        waiting = bool(self.receivers.waiters)
        self.receivers.wake_all()
        if not waiting and self.notification is not None and len(self.messages) == 1:
            registered, self.notification = self.notification, None
            notify(registered)

    def receive(self, bufsize: int, nonblocking: bool, deadline: int | None) -> tuple[bytes, int]:
        """EMSGSIZE for a buffer smaller than msgsize; an empty queue is EAGAIN, ETIMEDOUT or a sleep."""
        if bufsize < self.msgsize:
            raise KernelError(errno.EMSGSIZE)
        if not self.messages:
            if nonblocking:
                raise KernelError(errno.EAGAIN)
            _sleep(self.receivers, deadline)
        msg = self.messages.pop(0)
        self.qsize -= len(msg.data)
        self._touch()
        self.senders.wake_all()
        return msg.data, msg.prio


def _sleep(queue: WaitQueue, deadline: int | None) -> None:
    if deadline is not None and deadline <= realtime_ns():
        raise KernelError(errno.ETIMEDOUT)
    monotonic = None if deadline is None else deadline - realtime_ns() + time.monotonic_ns()
    raise Block(queue, deadline=monotonic)


class MqueueFile(InodeFile):
    """A descriptor of a queue: mq_open's, or open(2)'s in a mounted mqueue filesystem (read gives the status
    line; there is no write)."""

    @property
    def queue(self) -> MessageQueue:
        return self.inode

    def read_iter(self, task, to: "IovIter") -> int:
        n = to.copy_to(self.queue.status()[self.offset:self.offset + to.count])
        self.offset += n
        return n

    def poll_mask(self) -> int:
        q = self.queue
        mask = POLLIN | POLLRDNORM if q.messages else 0
        if len(q.messages) < q.maxmsg:
            mask |= POLLOUT | POLLWRNORM
        return mask

    def poll_queues(self, task) -> tuple[WaitQueue, WaitQueue]:
        return self.queue.receivers, self.queue.senders

    def release(self) -> None:
        """The last descriptor closed: a registration made through it goes (see the module's differences)."""
        n = self.queue.notification
        if n is not None and n.via is self:
            self.queue.notification = None
