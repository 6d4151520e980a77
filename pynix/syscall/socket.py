"""Socket calls that make, name and connect sockets (Linux's net/socket.c): socket, socketpair, bind, listen,
accept, accept4, connect, getsockname, getpeername, shutdown, getsockopt, setsockopt.  The data calls are in
socket_msg.py; the sockets themselves in pynix/net/.

Addresses cross as Linux's move_addr_to_kernel / move_addr_to_user do them: a length outside 0..128 is EINVAL,
and an address handed back is cut to the caller's buffer while the length written back is the real one.
"""
from __future__ import annotations

import errno
import stat as st
import struct

from pynix.errors import KernelError
from pynix.fs.file import O_CLOEXEC, O_NONBLOCK
from pynix.fs.vfs import MAY_WRITE, Inode, permission
from pynix.mm.uaccess import copy_from_user, copy_to_user
from pynix.net.socket import AF_UNIX, NPROTO, SOCK_MAX, SOMAXCONN, Socket, sock_create
from pynix.net.unix.af_unix import PathOps, set_path_ops, socket_pair, unix_type
from pynix.syscall.fs_namei import create_target_of, may_create, new_owner
from pynix.syscall.fs_path import AT_FDCWD, parent_of, start_dir, walker
from pynix.syscall.pipe import install_fd_pair
from pynix.syscall.registry import s32, syscall
from pynix.task.task import Task

SOCK_NONBLOCK, SOCK_CLOEXEC = O_NONBLOCK, O_CLOEXEC
SOCK_TYPE_MASK = 0xF
SOCKADDR_STORAGE = 128


# ------------------------------------------------------------------------------------------ helpers
def sockfd(task: Task, fd: int) -> Socket:
    """sockfd_lookup: EBADF for no descriptor, ENOTSOCK for a descriptor that is not a socket."""
    return task.group.fds.get_as(s32(fd), Socket, errno.ENOTSOCK)


def addr_from_user(task: Task, addr: int, addrlen: int) -> bytes:
    """move_addr_to_kernel."""
    addrlen = s32(addrlen)
    if addrlen < 0 or addrlen > SOCKADDR_STORAGE:
        raise KernelError(errno.EINVAL)
    return copy_from_user(task.mm, addr, addrlen) if addrlen else b""


def addr_to_user(task: Task, kaddr: bytes, uaddr: int, ulen_ptr: int) -> None:
    """move_addr_to_user: copy as much of `kaddr` as the caller's length allows, write back the full length."""
    ulen = s32(int.from_bytes(copy_from_user(task.mm, ulen_ptr, 4), "little"))
    if ulen < 0:
        raise KernelError(errno.EINVAL)
    n = min(ulen, len(kaddr))
    if n:
        copy_to_user(task.mm, uaddr, kaddr[:n])
    copy_to_user(task.mm, ulen_ptr, struct.pack("<i", len(kaddr)))


def _type_flags(sock_type: int) -> tuple[int, int]:
    flags = sock_type & ~SOCK_TYPE_MASK
    if flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC):
        raise KernelError(errno.EINVAL)
    return sock_type & SOCK_TYPE_MASK, flags


def _install(task: Task, sock: Socket, flags: int) -> int:
    return task.group.fds.install(sock, bool(flags & SOCK_CLOEXEC))


# ------------------------------------------------------------------------------ AF_UNIX's path names
def _unix_create(task: Task, path: bytes, mode: int) -> Inode:
    """mknod of a socket inode (unix_bind_bsd): mode 0777 & ~umask."""
    parent, name = create_target_of(task, parent_of(task, AT_FDCWD, path))
    may_create(task, parent)
    perms, uid, gid = new_owner(task, parent.inode, mode & 0o7777 & ~task.group.fs.umask)
    inode = parent.inode.mknod(name, st.S_IFSOCK | perms, 0, uid, gid)
    parent.dentry.forget(name)
    return inode


def _unix_lookup(task: Task, path: bytes) -> Inode:
    """unix_find_bsd: resolve the name, write permission on it."""
    found = walker(task).resolve(start_dir(task, AT_FDCWD, path), path, follow=True)
    creds = task.group.creds
    permission(found.inode, MAY_WRITE, creds)
    return found.inode


set_path_ops(PathOps(_unix_create, _unix_lookup))


# ---------------------------------------------------------------------------------------- creation
@syscall
def sys_socket(task: Task, family: int, sock_type: int, protocol: int) -> int:
    base, flags = _type_flags(s32(sock_type))
    sock = sock_create(task, s32(family), base, s32(protocol), flags)
    return _install(task, sock, flags)


@syscall
def sys_socketpair(task: Task, family: int, sock_type: int, protocol: int, sv: int) -> int:
    family, protocol = s32(family), s32(protocol)
    base, flags = _type_flags(s32(sock_type))
    if family < 0 or family >= NPROTO:
        raise KernelError(errno.EAFNOSUPPORT)
    if base >= SOCK_MAX:
        raise KernelError(errno.EINVAL)
    if family != AF_UNIX:
        sock_create(task, family, base, protocol, flags).release()   # the family's own errors come first
        raise KernelError(errno.EOPNOTSUPP)                          # (sock_no_socketpair)
    a, b = socket_pair(task, unix_type(base, protocol), flags)
    return install_fd_pair(task, a, b, bool(flags & SOCK_CLOEXEC), sv)


# ------------------------------------------------------------------------------------------- names
@syscall
def sys_bind(task: Task, fd: int, addr: int, addrlen: int) -> int:
    sock = sockfd(task, fd)
    sock.bind(task, addr_from_user(task, addr, addrlen))
    return 0


@syscall
def sys_listen(task: Task, fd: int, backlog: int) -> int:
    sock = sockfd(task, fd)
    backlog = s32(backlog)
    if backlog & 0xFFFFFFFF > SOMAXCONN:                 # (unsigned) backlog > somaxconn
        backlog = SOMAXCONN
    sock.listen(task, backlog)
    return 0


@syscall
def sys_connect(task: Task, fd: int, addr: int, addrlen: int) -> int:
    sock = sockfd(task, fd)
    sock.connect(task, addr_from_user(task, addr, addrlen))
    return 0


def do_accept(task: Task, fd: int, addr: int, addrlen: int, flags: int) -> int:
    flags = s32(flags)
    if flags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK):
        raise KernelError(errno.EINVAL)
    sock = sockfd(task, fd)
    new = sock.accept(task, flags)
    new.flags = (new.flags & ~O_NONBLOCK) | (flags & O_NONBLOCK)
    if addr:
        try:
            addr_to_user(task, new.getname(peer=True), addr, addrlen)
        except KernelError:
            new.release()
            raise
    return _install(task, new, flags)


@syscall
def sys_accept(task: Task, fd: int, addr: int, addrlen: int) -> int:
    return do_accept(task, fd, addr, addrlen, 0)


@syscall
def sys_accept4(task: Task, fd: int, addr: int, addrlen: int, flags: int) -> int:
    return do_accept(task, fd, addr, addrlen, flags)


@syscall
def sys_getsockname(task: Task, fd: int, addr: int, addrlen: int) -> int:
    sock = sockfd(task, fd)
    addr_to_user(task, sock.getname(peer=False), addr, addrlen)
    return 0


@syscall
def sys_getpeername(task: Task, fd: int, addr: int, addrlen: int) -> int:
    sock = sockfd(task, fd)
    addr_to_user(task, sock.getname(peer=True), addr, addrlen)
    return 0


@syscall
def sys_shutdown(task: Task, fd: int, how: int) -> int:
    sock = sockfd(task, fd)
    how = s32(how)
    if how not in (0, 1, 2):
        raise KernelError(errno.EINVAL)
    sock.do_shutdown(how)
    return 0


# ----------------------------------------------------------------------------------------- options
@syscall
def sys_getsockopt(task: Task, fd: int, level: int, optname: int, optval: int, optlen: int) -> int:
    sock = sockfd(task, fd)
    level, optname = s32(level), s32(optname)
    ulen = s32(int.from_bytes(copy_from_user(task.mm, optlen, 4), "little"))
    if ulen < 0:
        raise KernelError(errno.EINVAL)
    value = sock.getsockopt(level, optname, ulen)
    if value:
        copy_to_user(task.mm, optval, value)
    copy_to_user(task.mm, optlen, struct.pack("<i", len(value)))
    return 0


@syscall
def sys_setsockopt(task: Task, fd: int, level: int, optname: int, optval: int, optlen: int) -> int:
    sock = sockfd(task, fd)
    level, optname, optlen = s32(level), s32(optname), s32(optlen)
    if optlen < 0:
        raise KernelError(errno.EINVAL)
    value = copy_from_user(task.mm, optval, min(optlen, 256)) if optlen else b""
    sock.setsockopt(task, level, optname, value)
    return 0
