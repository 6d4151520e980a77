"""Socket data calls (Linux's net/socket.c and net/core/scm.c): sendto, recvfrom, sendmsg, recvmsg, sendmmsg,
recvmmsg, and the control messages they carry.

User buffers become memoryviews (send) or are filled from the bytes a socket returns (receive) here, so the
sockets below only see bytes.  Control messages: SCM_RIGHTS and SCM_CREDENTIALS (SOL_SOCKET, AF_UNIX only;
other families refuse SOL_SOCKET control messages with EINVAL), and protocol-level ones handed to the socket
(IPV6_HOPLIMIT...); received ones are written back with Linux's put_cmsg truncation rules (MSG_CTRUNC).
"""
from __future__ import annotations

import errno
import struct

from pynix.errors import KernelError
from pynix.fs.file import FdTable
from pynix.hal import ACCESS_READ, ACCESS_WRITE
from pynix.mm.uaccess import copy_from_user, copy_to_user, read_iovec, user_buffers
from pynix.net.socket import (AF_UNIX, MSG_CMSG_CLOEXEC, MSG_CTRUNC, MSG_DONTWAIT, MSG_TRUNC, SOCK_STREAM,
                              Ancillary, Received, Socket)
from pynix.syscall.registry import s32, syscall
from pynix.syscall.socket import addr_from_user, addr_to_user, sockfd
from pynix.task.capability import capable
from pynix.task.task import Task
from pynix.uapi.capability import CAP_SETGID, CAP_SETUID, CAP_SYS_ADMIN

SOL_SOCKET, SCM_RIGHTS, SCM_CREDENTIALS, SCM_MAX_FD = 1, 1, 2, 253
MSGHDR = struct.Struct("<QI4xQQQQi4x")       # struct msghdr (the same on x86_64 and riscv64)
MMSGHDR_SIZE = MSGHDR.size + 8               # struct mmsghdr: msghdr + unsigned msg_len (+ padding)
CMSGHDR = struct.Struct("<Qii")
UIO_MAXIOV = 1024
MAX_RW_COUNT = 0x7FFFF000
UCRED = struct.Struct("<iII")


def _cmsg_space(n: int) -> int:
    return CMSGHDR.size + ((n + 7) & ~7)


# -------------------------------------------------------------------------------------------- send
def _gather(task: Task, vectors: list[tuple[int, int]]) -> list[memoryview]:
    views = []
    for base, length in vectors:
        if length:
            views += user_buffers(task.mm, base, length, ACCESS_READ)
    return views


def _scm_send(task: Task, sock: Socket, control: int, controllen: int) -> Ancillary:
    """__scm_send: the SCM_RIGHTS files (held in flight) and SCM_CREDENTIALS of a control buffer."""
    anc = Ancillary()
    if controllen < CMSGHDR.size:
        return anc
    raw = copy_from_user(task.mm, control, min(controllen, 1 << 16))
    offset = 0
    try:
        while offset + CMSGHDR.size <= len(raw):
            cmsg_len, level, kind = CMSGHDR.unpack_from(raw, offset)
            if cmsg_len < CMSGHDR.size or cmsg_len > len(raw) - offset:
                raise KernelError(errno.EINVAL)
            if level == SOL_SOCKET:
                if sock.family != AF_UNIX:
                    raise KernelError(errno.EINVAL)
                body = raw[offset + CMSGHDR.size:offset + cmsg_len]
                if kind == SCM_RIGHTS:
                    _add_rights(task, anc, body)
                elif kind == SCM_CREDENTIALS:
                    if cmsg_len != CMSGHDR.size + UCRED.size:
                        raise KernelError(errno.EINVAL)
                    anc.creds = _check_creds(task, UCRED.unpack(body))
                else:
                    raise KernelError(errno.EINVAL)
            else:
                anc.proto.append((level, kind, raw[offset + CMSGHDR.size:offset + cmsg_len]))
            offset += (cmsg_len + 7) & ~7
    except KernelError:
        if anc.files is not None:
            anc.files.close_all()
        raise
    return anc


def _add_rights(task: Task, anc: Ancillary, body: bytes) -> None:
    count = len(body) // 4
    held = len(anc.files.entries) if anc.files is not None else 0
    if count > SCM_MAX_FD or held + count > SCM_MAX_FD:
        raise KernelError(errno.EINVAL)
    fds = struct.unpack_from(f"<{count}i", body)
    sources = [task.group.fds.get(fd) for fd in fds]          # EBADF before anything is held
    anc.files = anc.files or FdTable()
    for file in sources:
        anc.files.install(file)


def _check_creds(task: Task, cred: tuple[int, int, int]) -> tuple[int, int, int]:
    """scm_check_creds: one's own pid (or CAP_SYS_ADMIN), one of one's user ids (or CAP_SETUID) and group ids
    (or CAP_SETGID)."""
    pid, uid, gid = cred
    c = task.group.creds
    if not ((pid == task.group.pid or capable(task, CAP_SYS_ADMIN))
            and (uid in (c.uid, c.euid, c.suid) or capable(task, CAP_SETUID))
            and (gid in (c.gid, c.egid, c.sgid) or capable(task, CAP_SETGID))):
        raise KernelError(errno.EPERM)
    return cred


def _send(task: Task, sock: Socket, views: list[memoryview], flags: int, addr: bytes | None,
          anc: Ancillary) -> int:
    try:
        return sock.sendmsg(task, views, flags, addr, anc)
    except BaseException:
        if anc.files is not None and task.restart_data is None:
            anc.files.close_all()                            # not sent: the in-flight references go
        raise


@syscall
def sys_sendto(task: Task, fd: int, buf: int, length: int, flags: int, addr: int, addrlen: int) -> int:
    sock = sockfd(task, fd)
    length = min(length, MAX_RW_COUNT)
    views = user_buffers(task.mm, buf, length, ACCESS_READ) if length else []
    name = addr_from_user(task, addr, addrlen) if addr else b""
    return _send(task, sock, views, s32(flags), name or None, Ancillary())


def _read_msghdr(task: Task, msg: int) -> tuple:
    fields = MSGHDR.unpack(copy_from_user(task.mm, msg, MSGHDR.size))
    if fields[3] > UIO_MAXIOV:
        raise KernelError(errno.EMSGSIZE)
    return fields


def _sendmsg(task: Task, sock: Socket, msg: int, flags: int) -> int:
    name, namelen, iov, iovlen, control, controllen, _ = _read_msghdr(task, msg)
    addr = addr_from_user(task, name, namelen) if name else b""
    views = _gather(task, read_iovec(task.mm, iov, iovlen))
    anc = _scm_send(task, sock, control, controllen) if task.restart_data is None else Ancillary()
    return _send(task, sock, views, flags, addr or None, anc)


@syscall
def sys_sendmsg(task: Task, fd: int, msg: int, flags: int) -> int:
    return _sendmsg(task, sockfd(task, fd), msg, s32(flags))


@syscall
def sys_sendmmsg(task: Task, fd: int, msgvec: int, vlen: int, flags: int) -> int:
    """Messages one by one; an error after the first message ends the batch with the count sent."""
    sock = sockfd(task, fd)
    vlen = min(s32(vlen) & 0xFFFFFFFF, UIO_MAXIOV)
    sent = 0
    for i in range(vlen):
        entry = msgvec + i * MMSGHDR_SIZE
        try:
            n = _sendmsg(task, sock, entry, s32(flags) | (MSG_DONTWAIT if sent else 0))
        except KernelError:
            if sent:
                return sent
            raise
        copy_to_user(task.mm, entry + MSGHDR.size, struct.pack("<I", n))
        sent += 1
    return sent


# -------------------------------------------------------------------------------------------- receive
def _scatter(task: Task, vectors: list[tuple[int, int]], data: bytes) -> None:
    done = 0
    for base, length in vectors:
        if done >= len(data):
            break
        piece = data[done:done + length]
        copy_to_user(task.mm, base, piece)
        done += len(piece)


class _Control:
    """A recvmsg control buffer being filled (put_cmsg / scm_detach_fds)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.out = bytearray()
        self.flags = 0

    @property
    def room(self) -> int:
        return self.size - len(self.out)

    def put(self, level: int, kind: int, body: bytes) -> None:
        if self.room < CMSGHDR.size:
            self.flags |= MSG_CTRUNC
            return
        length = CMSGHDR.size + len(body)
        if self.room < length:   # cut inside the data: cmsg_len says how much of it fits
            self.flags |= MSG_CTRUNC
            length = self.room
        full = CMSGHDR.pack(length, level, kind) + body[:length - CMSGHDR.size]
        self.out += full + bytes(min(_cmsg_space(len(body)), self.room) - len(full))


def _put_files(task: Task, ctl: _Control, files: FdTable, flags: int) -> None:
    room = (ctl.room - CMSGHDR.size) // 4 if ctl.room > CMSGHDR.size else 0
    fds = [task.group.fds.install(files.entries[fd].file, bool(flags & MSG_CMSG_CLOEXEC))
           for fd in sorted(files.entries)[:room]]
    if len(fds) < len(files.entries):
        ctl.flags |= MSG_CTRUNC
    files.close_all()
    if fds:
        ctl.put(SOL_SOCKET, SCM_RIGHTS, struct.pack(f"<{len(fds)}i", *fds))


def _recv(task: Task, sock: Socket, size: int, flags: int, controllen: int) -> tuple[Received, _Control]:
    got = sock.recvmsg(task, min(size, MAX_RW_COUNT), flags)
    ctl = _Control(controllen)
    if sock.family == AF_UNIX and sock.passcred and got.creds is not None:
        ctl.put(SOL_SOCKET, SCM_CREDENTIALS, UCRED.pack(*got.creds))
    for level, kind, body in got.cmsgs:
        ctl.put(level, kind, body)
    if got.files is not None:
        files, got.files = got.files, None
        _put_files(task, ctl, files, flags)
    return got, ctl


def _result(got: Received, flags: int) -> int:
    """MSG_TRUNC: the real length of a datagram (or what a TCP read discarded)."""
    return got.length if flags & MSG_TRUNC else len(got.data)


@syscall
def sys_recvfrom(task: Task, fd: int, buf: int, length: int, flags: int, addr: int, addrlen: int) -> int:
    sock = sockfd(task, fd)
    flags = s32(flags)
    length = min(length, MAX_RW_COUNT)
    if length:
        user_buffers(task.mm, buf, min(length, 1 << 16), ACCESS_WRITE)   # EFAULT before anything is taken
    got, _ = _recv(task, sock, length, flags, 0)
    copy_to_user(task.mm, buf, got.data)
    if addr:
        addr_to_user(task, got.addr or b"", addr, addrlen)
    return _result(got, flags)


def _recvmsg(task: Task, sock: Socket, msg: int, flags: int) -> int:
    name, _namelen, iov, iovlen, control, controllen, _ = _read_msghdr(task, msg)
    vectors = read_iovec(task.mm, iov, iovlen)
    got, ctl = _recv(task, sock, sum(n for _, n in vectors), flags, controllen if control else 0)
    msg_flags = ctl.flags | (flags & MSG_CMSG_CLOEXEC) | got.msg_flags   # (Linux starts from MSG_CMSG_CLOEXEC)
    if got.length > len(got.data) and sock.type != SOCK_STREAM:
        msg_flags |= MSG_TRUNC
    _scatter(task, vectors, got.data)
    if ctl.out:
        copy_to_user(task.mm, control, bytes(ctl.out))
    if name:
        addr_to_user(task, got.addr or b"", name, msg + 8)
    copy_to_user(task.mm, msg + 40, struct.pack("<Q", len(ctl.out)))
    copy_to_user(task.mm, msg + 48, struct.pack("<i", msg_flags))
    return _result(got, flags)


@syscall
def sys_recvmsg(task: Task, fd: int, msg: int, flags: int) -> int:
    return _recvmsg(task, sockfd(task, fd), msg, s32(flags))


@syscall
def sys_recvmmsg(task: Task, fd: int, msgvec: int, vlen: int, flags: int, timeout: int) -> int:
    """Messages one by one: the first may wait, the rest are taken only if already there (MSG_WAITFORONE
    behaviour; the timeout is not applied)."""
    sock = sockfd(task, fd)
    vlen = min(s32(vlen) & 0xFFFFFFFF, UIO_MAXIOV)
    done = 0
    for i in range(vlen):
        entry = msgvec + i * MMSGHDR_SIZE
        try:
            n = _recvmsg(task, sock, entry, s32(flags) | (MSG_DONTWAIT if done else 0))
        except KernelError:
            if done:
                return done
            raise
        copy_to_user(task.mm, entry + MSGHDR.size, struct.pack("<I", n))
        done += 1
    return done
