"""POSIX message queues: mq_open, mq_unlink, mq_timedsend, mq_timedreceive, mq_notify, mq_getsetattr.  The
queues and their filesystem are pynix/ipc/mqueue.py; here are the argument checks in Linux's order and the user
structures (struct mq_attr: mq_flags, mq_maxmsg, mq_msgsize, mq_curmsgs and 4 reserved longs; struct sigevent)."""
from __future__ import annotations

import errno
import stat as st
import struct

from pynix.errors import KernelError
from pynix.fs.file import O_ACCMODE, O_NONBLOCK, O_RDWR, O_WRONLY
from pynix.fs.vfs import MAY_READ, MAY_WRITE, Dentry, VfsPath, permission
from pynix.ipc.mqueue import MQ_PRIO_MAX, SI_MESGQ, SIGEV_NONE, SIGEV_SIGNAL, SIGEV_THREAD, MqueueFile, Notification
from pynix.mm.uaccess import copy_from_user, copy_to_user
from pynix.syscall.fs_namei import may_create, may_delete
from pynix.syscall.fs_path import user_path
from pynix.syscall.registry import s32, syscall
from pynix.syscall.time import read_timespec
from pynix.task import signal
from pynix.task.capability import capable
from pynix.task.task import Task
from pynix.uapi.capability import CAP_SYS_RESOURCE

MQ_ATTR = struct.Struct("<4q32x")
O_CREAT, O_EXCL = 0o100, 0o200
NSIG = 64


def _root(task: Task) -> VfsPath:
    sb = task.nsproxy.ipc.mqueue
    return VfsPath(sb.mount, sb.mount.root)


def _name(task: Task, addr: int) -> bytes:
    """getname + lookup_one_len: ENOENT for "", EACCES for ".", ".." or a name with a slash."""
    name = user_path(task, addr)
    if not name:
        raise KernelError(errno.ENOENT)
    if name in (b".", b"..") or b"/" in name:
        raise KernelError(errno.EACCES)
    return name


def _queue_file(task: Task, mqdes: int) -> MqueueFile:
    file = task.group.fds.get(s32(mqdes))
    if not isinstance(file, MqueueFile):
        raise KernelError(errno.EBADF)
    return file


def _abs_timeout(task: Task, addr: int) -> int | None:
    """prepare_timeout: an absolute CLOCK_REALTIME struct timespec, EINVAL unless normalised."""
    return read_timespec(task, addr) if addr else None


@syscall
def sys_mq_open(task: Task, u_name: int, oflag: int, mode: int, u_attr: int) -> int:
    oflag = s32(oflag)
    attr = MQ_ATTR.unpack(copy_from_user(task.mm, u_attr, MQ_ATTR.size)) if u_attr else None
    name = _name(task, u_name)
    root = _root(task)
    directory = root.inode
    creds = task.group.creds
    queue = directory.lookup(name)
    if queue is None:
        if not oflag & O_CREAT:
            raise KernelError(errno.ENOENT)
        may_create(task, root)
        queue = directory.create_queue(name, s32(mode) & ~task.group.fs.umask & 0o7777, creds.fsuid, creds.fsgid,
                                       (attr[1], attr[2]) if attr else None, capable(task, CAP_SYS_RESOURCE))
    else:
        if oflag & (O_CREAT | O_EXCL) == O_CREAT | O_EXCL:
            raise KernelError(errno.EEXIST)
        if oflag & O_ACCMODE == O_ACCMODE:
            raise KernelError(errno.EINVAL)
        want = {0: MAY_READ, O_WRONLY: MAY_WRITE, O_RDWR: MAY_READ | MAY_WRITE}[oflag & O_ACCMODE]
        permission(queue, want, creds)
    root.dentry.forget(name)
    path = VfsPath(root.mount, root.dentry.child(name) or Dentry(name, queue, root.dentry))
    file = MqueueFile(path, oflag & (O_ACCMODE | O_NONBLOCK))
    return task.group.fds.install(file, cloexec=True)      # always close-on-exec, as Linux's mq_open


@syscall
def sys_mq_unlink(task: Task, u_name: int) -> int:
    name = _name(task, u_name)
    root = _root(task)
    victim = root.dentry.child(name)
    if victim is None:
        raise KernelError(errno.ENOENT)
    may_delete(task, root, victim, False)
    root.inode.unlink(name)
    root.dentry.forget(name)
    return 0


@syscall
def sys_mq_timedsend(task: Task, mqdes: int, u_msg_ptr: int, msg_len: int, msg_prio: int,
                     u_abs_timeout: int) -> int:
    prio = msg_prio & 0xFFFFFFFF
    if prio >= MQ_PRIO_MAX:
        raise KernelError(errno.EINVAL)
    deadline = _abs_timeout(task, u_abs_timeout)
    file = _queue_file(task, mqdes)
    if not file.writable:
        raise KernelError(errno.EBADF)
    queue = file.queue
    if msg_len > queue.msgsize:
        raise KernelError(errno.EMSGSIZE)
    data = copy_from_user(task.mm, u_msg_ptr, msg_len)
    queue.send(data, prio, file.nonblocking, deadline, lambda n: _notify(task, n))
    return 0


def _notify(task: Task, n: Notification) -> None:
    """__do_notify: SIGEV_SIGNAL sends its signal (SI_MESGQ, from the sender) to the registered process."""
    if n.notify == SIGEV_SIGNAL and n.signo:
        info = signal.siginfo(n.signo, SI_MESGQ, pid=task.group.pid, uid=task.group.creds.uid, value=n.value)
        signal.send_signal(task.kernel, n.group, n.signo, info)


@syscall
def sys_mq_timedreceive(task: Task, mqdes: int, u_msg_ptr: int, msg_len: int, u_msg_prio: int,
                        u_abs_timeout: int) -> int:
    deadline = _abs_timeout(task, u_abs_timeout)
    file = _queue_file(task, mqdes)
    if not file.readable:
        raise KernelError(errno.EBADF)
    data, prio = file.queue.receive(msg_len, file.nonblocking, deadline)
    if u_msg_prio:
        copy_to_user(task.mm, u_msg_prio, prio.to_bytes(4, "little"))
    copy_to_user(task.mm, u_msg_ptr, data)
    return len(data)


@syscall
def sys_mq_notify(task: Task, mqdes: int, u_notification: int) -> int:
    """Register (or with NULL, unregister) the caller: EBUSY if another registration exists."""
    wanted = None
    if u_notification:
        value, signo, notify, _tid = struct.unpack("<Qiii", copy_from_user(task.mm, u_notification, 20))
        if notify not in (SIGEV_NONE, SIGEV_SIGNAL, SIGEV_THREAD):
            raise KernelError(errno.EINVAL)
        if notify == SIGEV_SIGNAL and not 0 <= signo <= NSIG:
            raise KernelError(errno.EINVAL)
        if notify == SIGEV_THREAD:
            sock = task.group.fds.get(signo)      # the C library's netlink socket: pynix has no netlink
            raise KernelError(errno.EINVAL if st.S_ISSOCK(sock.stat()["mode"]) else errno.ENOTSOCK)
        wanted = (notify, signo, value)
    file = _queue_file(task, mqdes)
    queue = file.queue
    current = queue.notification
    if wanted is None:
        if current is not None and current.group is task.group:
            queue.notification = None
    elif current is not None:
        raise KernelError(errno.EBUSY)
    else:
        queue.notification = Notification(task.group, *wanted, via=file)
    return 0


@syscall
def sys_mq_getsetattr(task: Task, mqdes: int, u_mqstat: int, u_omqstat: int) -> int:
    new = MQ_ATTR.unpack(copy_from_user(task.mm, u_mqstat, MQ_ATTR.size)) if u_mqstat else None
    if new is not None and new[0] & ~O_NONBLOCK:
        raise KernelError(errno.EINVAL)
    file = _queue_file(task, mqdes)
    queue = file.queue
    old = MQ_ATTR.pack(file.flags & O_NONBLOCK, queue.maxmsg, queue.msgsize, len(queue.messages))
    if new is not None:
        file.flags = (file.flags & ~O_NONBLOCK) | (new[0] & O_NONBLOCK)
    if u_omqstat:
        copy_to_user(task.mm, u_omqstat, old)
    return 0
