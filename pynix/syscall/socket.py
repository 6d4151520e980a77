"""Socket calls: socketpair (AF_UNIX), sendto, recvfrom, sendmsg, recvmsg, shutdown, getsockopt, setsockopt,
getsockname, getpeername -- and socket(), which fails: no family can create a lone socket yet (bind, listen,
connect and accept are not implemented, so they stay ENOSYS).  The sockets are in net/unix.py.

Only unnamed AF_UNIX sockets exist, so every address reported is a bare `sa_family_t` (2 bytes) and a received
message has no sender address (msg_namelen 0).  Control messages: SCM_RIGHTS only.
"""
from __future__ import annotations

import errno
import struct

from pynix.errors import KernelError
from pynix.fs.file import O_CLOEXEC, O_NONBLOCK, FdTable
from pynix.mm.iov_iter import UserIter
from pynix.mm.uaccess import copy_from_user, copy_to_user
from pynix.net.unix import (AF_UNIX, MSG_TRUNC, SOCK_DGRAM, SOCK_MIN_RCVBUF, SOCK_MIN_SNDBUF, SOCK_SEQPACKET,
                            SOCK_STREAM, SK_WMEM_DEFAULT, Received, UnixSocket, socket_pair)
from pynix.syscall.pipe import install_fd_pair
from pynix.syscall.registry import s32, syscall
from pynix.task.task import Task

SOCK_NONBLOCK, SOCK_CLOEXEC = O_NONBLOCK, O_CLOEXEC
SOCK_RAW, SOCK_MAX = 3, 11
AF_INET, AF_INET6, NPROTO = 2, 10, 46
SOL_SOCKET, SCM_RIGHTS, SCM_MAX_FD = 1, 1, 253
SO_TYPE, SO_ERROR, SO_SNDBUF, SO_RCVBUF, SO_PEERCRED, SO_ACCEPTCONN, SO_PROTOCOL, SO_DOMAIN = 3, 4, 7, 8, 17, 30, 38, 39
MSG_CTRUNC, MSG_CMSG_CLOEXEC = 0x8, 0x40000000
MSGHDR = struct.Struct("<QI4xQQQQi4x")       # struct msghdr (the same on x86_64 and riscv64)
CMSGHDR = struct.Struct("<Qii")
UIO_MAXIOV = 1024


def _check_type(sock_type: int) -> tuple[int, int]:
    flags = sock_type & (SOCK_NONBLOCK | SOCK_CLOEXEC)
    base = sock_type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)
    if sock_type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC | 0xF):
        raise KernelError(errno.EINVAL)
    return base, flags


@syscall
def sys_socket(task: Task, family: int, sock_type: int, protocol: int) -> int:
    family, sock_type = s32(family), s32(sock_type)
    base, _ = _check_type(sock_type)
    if family < 0 or family >= NPROTO:
        raise KernelError(errno.EAFNOSUPPORT)
    if base < 0 or base >= SOCK_MAX:
        raise KernelError(errno.EINVAL)
    task.kernel.log_once("socket(): no address family can create sockets yet (EAFNOSUPPORT); socketpair works")
    raise KernelError(errno.EAFNOSUPPORT)


@syscall
def sys_socketpair(task: Task, family: int, sock_type: int, protocol: int, sv: int) -> int:
    family, sock_type, protocol = s32(family), s32(sock_type), s32(protocol)
    base, flags = _check_type(sock_type)
    if family < 0 or family >= NPROTO:
        raise KernelError(errno.EAFNOSUPPORT)
    if base >= SOCK_MAX:
        raise KernelError(errno.EINVAL)
    if family in (AF_INET, AF_INET6):
        raise KernelError(errno.EOPNOTSUPP)              # inet sockets exist in Linux but cannot be paired
    if family != AF_UNIX:
        raise KernelError(errno.EAFNOSUPPORT)
    if protocol and protocol != AF_UNIX:
        raise KernelError(errno.EPROTONOSUPPORT)
    if base == SOCK_RAW:
        base = SOCK_DGRAM                                # unix_create treats SOCK_RAW as SOCK_DGRAM
    if base not in (SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET):
        raise KernelError(errno.ESOCKTNOSUPPORT)
    creds = task.group.creds
    a, b = socket_pair(base, flags, creds.euid, creds.egid, task.group.pid)
    return install_fd_pair(task, a, b, bool(flags & SOCK_CLOEXEC), sv)


def _socket(task: Task, fd: int) -> UnixSocket:
    return task.group.fds.get_as(s32(fd), UnixSocket, errno.ENOTSOCK)


def _send(task: Task, sock: UnixSocket, source: UserIter, flags: int, addr: int,
          files: FdTable | None = None) -> int:
    if addr and sock.type != SOCK_DGRAM:
        raise KernelError(errno.EISCONN)
    if addr:
        raise KernelError(errno.EOPNOTSUPP)              # no named sockets to send to yet
    try:
        n = sock.send(task, source.map(source.count), flags, files)
        source.advance(n)
        return n
    except KernelError:
        if files is not None:
            files.close_all()                            # not sent: the in-flight references go
        raise


def _put_addr(task: Task, addr: int, addrlen_ptr: int) -> None:
    """Report an unnamed AF_UNIX address (Linux's move_addr_to_user of a bare sa_family_t)."""
    if not addr:
        return
    ulen = s32(int.from_bytes(copy_from_user(task.mm, addrlen_ptr, 4), "little"))
    if ulen < 0:
        raise KernelError(errno.EINVAL)
    copy_to_user(task.mm, addr, struct.pack("<H", AF_UNIX)[:ulen])
    copy_to_user(task.mm, addrlen_ptr, struct.pack("<i", 2))


@syscall
def sys_sendto(task: Task, fd: int, buf: int, length: int, flags: int, addr: int, addrlen: int) -> int:
    sock = _socket(task, fd)
    return _send(task, sock, UserIter(task.mm, buf, length, False), s32(flags), addr)


@syscall
def sys_recvfrom(task: Task, fd: int, buf: int, length: int, flags: int, addr: int, addrlen: int) -> int:
    sock = _socket(task, fd)
    flags = s32(flags)
    to = UserIter(task.mm, buf, length, True)
    got = sock.recv(task, to.count, flags)
    _finish_files(task, got, 0, 0, flags)
    to.copy_to(got.data)
    if addr:
        copy_to_user(task.mm, addrlen, struct.pack("<i", 0))   # an unnamed sender: no address
    return got.length if flags & MSG_TRUNC and sock.type != SOCK_STREAM else len(got.data)


def _read_msghdr(task: Task, msg: int) -> tuple:
    fields = MSGHDR.unpack(copy_from_user(task.mm, msg, MSGHDR.size))
    if fields[3] > UIO_MAXIOV:
        raise KernelError(errno.EMSGSIZE)
    return fields


def _rights(task: Task, control: int, controllen: int) -> FdTable | None:
    """The descriptors of the SCM_RIGHTS messages in a sendmsg control buffer, held in flight."""
    if controllen < CMSGHDR.size:
        return None
    raw = copy_from_user(task.mm, control, controllen)
    files = None
    offset = 0
    while offset + CMSGHDR.size <= len(raw):
        cmsg_len, level, kind = CMSGHDR.unpack_from(raw, offset)
        if cmsg_len < CMSGHDR.size or cmsg_len > len(raw) - offset:
            raise KernelError(errno.EINVAL)
        if level == SOL_SOCKET:
            if kind != SCM_RIGHTS:
                raise KernelError(errno.EINVAL)          # SCM_CREDENTIALS is not supported
            count = (cmsg_len - CMSGHDR.size) // 4
            if count > SCM_MAX_FD or (files is not None and len(files.entries) + count > SCM_MAX_FD):
                raise KernelError(errno.EINVAL)
            fds = struct.unpack_from(f"<{count}i", raw, offset + CMSGHDR.size)
            sources = [task.group.fds.get(fd) for fd in fds]          # EBADF before anything is held
            files = files or FdTable()
            for file in sources:
                files.install(file)
        offset += (cmsg_len + 7) & ~7
    return files


@syscall
def sys_sendmsg(task: Task, fd: int, msg: int, flags: int) -> int:
    sock = _socket(task, fd)
    name, _namelen, iov, iovlen, control, controllen, _ = _read_msghdr(task, msg)
    source = UserIter.iovec(task.mm, iov, iovlen, False)
    files = _rights(task, control, controllen) if task.restart_data is None else None
    return _send(task, sock, source, s32(flags), name, files)


def _finish_files(task: Task, got: Received, control: int, controllen: int, flags: int) -> tuple[bytes, int]:
    """Install received descriptors (as many as the control buffer holds; MSG_CTRUNC if not all) and build
    the SCM_RIGHTS control message.  Returns (control bytes, extra msg_flags)."""
    if got.files is None:
        return b"", 0
    inflight, got.files = got.files, None
    room = max((controllen - CMSGHDR.size) // 4, 0) if controllen >= CMSGHDR.size else 0
    fds = []
    for fd in sorted(inflight.entries)[:room]:
        fds.append(task.group.fds.install(inflight.entries[fd].file, bool(flags & MSG_CMSG_CLOEXEC)))
    truncated = len(fds) < len(inflight.entries)
    inflight.close_all()
    if not fds and controllen < CMSGHDR.size:
        return b"", MSG_CTRUNC
    body = CMSGHDR.pack(CMSGHDR.size + 4 * len(fds), SOL_SOCKET, SCM_RIGHTS) + struct.pack(f"<{len(fds)}i", *fds)
    return body, MSG_CTRUNC if truncated else 0


@syscall
def sys_recvmsg(task: Task, fd: int, msg: int, flags: int) -> int:
    sock = _socket(task, fd)
    flags = s32(flags)
    name, _namelen, iov, iovlen, control, controllen, _ = _read_msghdr(task, msg)
    to = UserIter.iovec(task.mm, iov, iovlen, True)
    got = sock.recv(task, to.count, flags)
    cmsg, msg_flags = _finish_files(task, got, control, controllen, flags)
    msg_flags |= flags & MSG_CMSG_CLOEXEC                      # Linux starts msg_flags from it
    if got.length > len(got.data) and sock.type != SOCK_STREAM:
        msg_flags |= MSG_TRUNC
    to.copy_to(got.data)
    if cmsg:
        copy_to_user(task.mm, control, cmsg)
    header = bytearray(copy_from_user(task.mm, msg, MSGHDR.size))
    struct.pack_into("<I", header, 8, 0)                       # msg_namelen: no sender address
    struct.pack_into("<Q", header, 40, (len(cmsg) + 7) & ~7 if cmsg else 0)
    struct.pack_into("<i", header, 48, msg_flags)
    copy_to_user(task.mm, msg, bytes(header))
    return got.length if flags & MSG_TRUNC and sock.type != SOCK_STREAM else len(got.data)


@syscall
def sys_shutdown(task: Task, fd: int, how: int) -> int:
    sock = _socket(task, fd)
    how = s32(how)
    if how not in (0, 1, 2):
        raise KernelError(errno.EINVAL)
    sock.do_shutdown(how)
    return 0


@syscall
def sys_getsockopt(task: Task, fd: int, level: int, optname: int, optval: int, optlen: int) -> int:
    sock = _socket(task, fd)
    level, optname = s32(level), s32(optname)
    if level != SOL_SOCKET:
        raise KernelError(errno.EOPNOTSUPP)              # AF_UNIX has no options of its own
    ulen = s32(int.from_bytes(copy_from_user(task.mm, optlen, 4), "little"))
    if ulen < 0:
        raise KernelError(errno.EINVAL)
    if optname == SO_PEERCRED:
        value = struct.pack("<iII", sock.pid, sock.uid, sock.gid)
    else:
        if optname == SO_ERROR:
            number, sock.err = sock.err, 0
        else:
            values = {SO_TYPE: sock.type, SO_SNDBUF: sock.sndbuf, SO_RCVBUF: sock.rcvbuf, SO_DOMAIN: AF_UNIX,
                      SO_PROTOCOL: 0, SO_ACCEPTCONN: 0}
            if optname not in values:
                raise KernelError(errno.ENOPROTOOPT)
            number = values[optname]
        value = struct.pack("<i", number)
    value = value[:ulen]
    copy_to_user(task.mm, optval, value)
    copy_to_user(task.mm, optlen, struct.pack("<i", len(value)))
    return 0


@syscall
def sys_setsockopt(task: Task, fd: int, level: int, optname: int, optval: int, optlen: int) -> int:
    """SO_SNDBUF / SO_RCVBUF only (doubled and clamped as Linux does); other options are ENOPROTOOPT."""
    sock = _socket(task, fd)
    level, optname, optlen = s32(level), s32(optname), s32(optlen)
    if level != SOL_SOCKET:
        raise KernelError(errno.EOPNOTSUPP)
    if optname not in (SO_SNDBUF, SO_RCVBUF):
        raise KernelError(errno.ENOPROTOOPT)
    if optlen < 4:
        raise KernelError(errno.EINVAL)
    value = min(max(struct.unpack("<i", copy_from_user(task.mm, optval, 4))[0], 0), SK_WMEM_DEFAULT)
    if optname == SO_SNDBUF:
        sock.sndbuf = max(value * 2, SOCK_MIN_SNDBUF)
    else:
        sock.rcvbuf = max(value * 2, SOCK_MIN_RCVBUF)
    return 0


@syscall
def sys_getsockname(task: Task, fd: int, addr: int, addrlen: int) -> int:
    _socket(task, fd)
    _put_addr(task, addr or 1, addrlen)
    return 0


@syscall
def sys_getpeername(task: Task, fd: int, addr: int, addrlen: int) -> int:
    sock = _socket(task, fd)
    if sock.peer is None and sock.type != SOCK_DGRAM:
        raise KernelError(errno.ENOTCONN)
    _put_addr(task, addr or 1, addrlen)
    return 0
