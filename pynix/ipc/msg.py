"""System V message queues (Linux's ipc/msg.c): typed messages, msgrcv's type selection, queue limits.

A queue holds at most `qbytes` bytes of message text and `qbytes` messages (msg_fits_inqueue).  A sender that
does not fit, and a receiver that finds no matching message, sleep on the queue's wait queue and try again when
it changes (Linux hands a message straight to a waiting receiver, pipelined_send; here the receiver takes it
from the queue when it runs, which only changes who wins among several receivers).
"""
from __future__ import annotations

import errno
from dataclasses import dataclass

from pynix.errors import KernelError
from pynix.ipc.util import IPC_CREAT, IPC_EXCL, IPC_NOWAIT, IpcNamespace, IpcObject, KernIpcPerm, now
from pynix.sync.wait import Block, WaitQueue

MSG_STAT, MSG_INFO, MSG_STAT_ANY = 11, 12, 13
MSG_NOERROR, MSG_EXCEPT, MSG_COPY = 0o10000, 0o20000, 0o40000
MSGSSZ, MSGSEG = 16, 0xFFFF
LONG_MIN = -(1 << 63)


@dataclass(eq=False)
class Message:
    mtype: int
    text: bytes


class MsgQueue(IpcObject):
    """struct msg_queue."""

    def __init__(self, perm: KernIpcPerm, qbytes: int) -> None:
        self.perm = perm
        self.messages: list[Message] = []
        self.qbytes = qbytes
        self.cbytes = 0
        self.stime = self.rtime = 0
        self.ctime = now()
        self.lspid = self.lrpid = 0
        self.queue = WaitQueue()


@dataclass(eq=False)
class MsgWait:
    """Restart data of a task sleeping in msgsnd or msgrcv (so a removed queue is EIDRM, not EINVAL)."""
    queue: "MsgQueue"


def msgget(ns: IpcNamespace, creds, key: int, flags: int) -> int:
    return ns.msg.get(creds, key, flags & (IPC_CREAT | IPC_EXCL | 0o777),
                      lambda perm: MsgQueue(perm, ns.msg_ctlmnb), lambda _q: None, ns.msg_ctlmni)


def msgsnd(queue: MsgQueue, pid: int, mtype: int, text: bytes, flags: int) -> int:
    """Append the message, or EAGAIN (IPC_NOWAIT) / sleep while it does not fit."""
    if queue.cbytes + len(text) > queue.qbytes or len(queue.messages) + 1 > queue.qbytes:
        if flags & IPC_NOWAIT:
            raise KernelError(errno.EAGAIN)
        raise Block(queue.queue, data=MsgWait(queue), restartable=False)
    queue.messages.append(Message(mtype, text))
    queue.cbytes += len(text)
    queue.lspid, queue.stime = pid, now()
    queue.queue.wake_all()
    return 0


def _find(queue: MsgQueue, msgtyp: int, flags: int) -> Message | None:
    """find_msg: the first message (msgtyp 0), the first of type msgtyp (or of another type with MSG_EXCEPT),
    the first of the lowest type <= |msgtyp| (msgtyp < 0), or the msgtyp-th (MSG_COPY)."""
    messages = queue.messages
    if flags & MSG_COPY:
        return messages[msgtyp] if 0 <= msgtyp < len(messages) else None
    if msgtyp == 0:
        return messages[0] if messages else None
    if msgtyp < 0:
        limit = (1 << 63) - 1 if msgtyp == LONG_MIN else -msgtyp
        fitting = [m for m in messages if m.mtype <= limit]
        return min(fitting, key=lambda m: m.mtype) if fitting else None
    if flags & MSG_EXCEPT:
        return next((m for m in messages if m.mtype != msgtyp), None)
    return next((m for m in messages if m.mtype == msgtyp), None)


def msgrcv(queue: MsgQueue, pid: int, bufsz: int, msgtyp: int, flags: int) -> Message:
    """Take (or with MSG_COPY, copy) the selected message: E2BIG if longer than `bufsz` without MSG_NOERROR
    (it stays queued), ENOMSG with IPC_NOWAIT when there is none, else sleep until one comes."""
    msg = _find(queue, msgtyp, flags)
    if msg is None:
        if flags & IPC_NOWAIT:
            raise KernelError(errno.ENOMSG)
        raise Block(queue.queue, data=MsgWait(queue), restartable=False)
    if bufsz < len(msg.text) and not flags & MSG_NOERROR:
        raise KernelError(errno.E2BIG)
    if not flags & MSG_COPY:
        queue.messages.remove(msg)
        queue.cbytes -= len(msg.text)
        queue.lrpid, queue.rtime = pid, now()
        queue.queue.wake_all()
    return Message(msg.mtype, msg.text[:bufsz])


def remove(ns: IpcNamespace, queue: MsgQueue) -> None:
    """IPC_RMID (freeque): the messages go, the sleepers wake up to EIDRM."""
    ns.msg.remove(queue)
    queue.messages.clear()
    queue.cbytes = 0
    queue.queue.wake_all()


def msginfo(ns: IpcNamespace, cmd: int) -> tuple[int, ...]:
    """struct msginfo (msgpool msgmap msgmax msgmnb msgmni msgssz msgtql msgseg) for IPC_INFO / MSG_INFO."""
    if cmd == MSG_INFO:
        pool = len(ns.msg)
        hdrs = sum(len(q.messages) for q in ns.msg)
        tql = sum(q.cbytes for q in ns.msg)
    else:
        pool, hdrs, tql = 32000 * 16384 // 1024, 16384, 16384      # MSGPOOL, MSGMAP, MSGTQL
    return (pool, hdrs, ns.msg_ctlmax, ns.msg_ctlmnb, ns.msg_ctlmni, MSGSSZ, tql, MSGSEG)


def proc_sysvipc_msg(ns: IpcNamespace) -> bytes:
    """/proc/sysvipc/msg (sysvipc_msg_proc_show)."""
    lines = ["       key      msqid perms      cbytes       qnum lspid lrpid   uid   gid  cuid  cgid      stime"
             "      rtime      ctime\n"]
    for q in ns.msg:
        p = q.perm
        lines.append(f"{p.key:10d} {p.id:10d}  {p.mode:4o}  {q.cbytes:10d} {len(q.messages):10d} {q.lspid:5d} "
                     f"{q.lrpid:5d} {p.uid:5d} {p.gid:5d} {p.cuid:5d} {p.cgid:5d} {q.stime:10d} {q.rtime:10d} "
                     f"{q.ctime:10d}\n")
    return "".join(lines).encode()
