"""openat, open, creat, openat2 (RESOLVE_*); lseek; getdents64, getdents; ftruncate/truncate."""
from __future__ import annotations

import errno
import stat as st
import struct
from functools import partial

from pynix.errors import KernelError
from pynix.fs.fifo import fifo_open
from pynix.fs.file_ops import O_APPEND, InodeFile, RegularFile, truncate_file
from pynix.fs.file import File
from pynix.fs.notify.fsnotify import (FS_MODIFY, fsnotify_change, fsnotify_create, fsnotify_open,
                                      fsnotify_open_perm, fsnotify_readdir)
from pynix.fs.vfs import (MAXSYMLINKS, MAY_EXEC, MAY_READ, MAY_WRITE, RESOLVE_BENEATH, RESOLVE_CACHED, RESOLVE_IN_ROOT,
                          RESOLVE_NO_MAGICLINKS, RESOLVE_NO_SYMLINKS, RESOLVE_NO_XDEV, Inode, VfsPath, get_write_access,
                          permission, put_write_access)
from pynix.hal import ACCESS_WRITE
from pynix.mm.frame_alloc import PAGE_SIZE
from pynix.mm.uaccess import copy_from_user, copy_to_user, user_buffers
from pynix.syscall.fs_namei import is_dead_dir, new_owner
from pynix.syscall.fs_path import check_writable, dirfd_path, start_dir, user_path, walker
from pynix.syscall.lease import break_lease
from pynix.syscall.registry import s32, s64, syscall
from pynix.task.task import Task
from pynix.uapi.fcntl import (AT_FDCWD, O_ACCMODE, O_CLOEXEC, O_CREAT, O_DIRECT, O_DIRECTORY, O_DSYNC, O_EXCL,
                              O_LARGEFILE, O_NOATIME, O_NOCTTY, O_NOFOLLOW, O_NONBLOCK, O_PATH, O_RDONLY, O_RDWR,
                              O_SYNC, O_TMPFILE, O_TRUNC, O_WRONLY)

VALID_OPEN_FLAGS = (O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND | O_NONBLOCK | O_DSYNC | O_DIRECT
                    | O_LARGEFILE | O_DIRECTORY | O_NOFOLLOW | O_NOATIME | O_CLOEXEC | O_SYNC | O_PATH | O_TMPFILE
                    | 0o20000)   # FASYNC


def _mask_for(flags: int) -> int:
    acc = flags & O_ACCMODE
    return {O_RDONLY: MAY_READ, O_WRONLY: MAY_WRITE, O_RDWR: MAY_READ | MAY_WRITE}.get(acc, MAY_READ | MAY_WRITE)


def do_open(task: Task, dirfd: int, pathname: int, flags: int, mode: int, resolve: int = 0) -> int:
    """Linux's do_filp_open: resolve (creating with O_CREAT; under openat2's RESOLVE_* restrictions), check
    permissions, build the open file."""
    flags &= 0xFFFFFFFF
    if flags & O_TMPFILE == O_TMPFILE:
        raise KernelError(errno.EOPNOTSUPP)
    path = user_path(task, pathname)
    if not path:
        raise KernelError(errno.ENOENT)
    creds = task.group.creds
    w = walker(task, resolve, dirfd_path(task, dirfd) if resolve & (RESOLVE_BENEATH | RESOLVE_IN_ROOT) else None)
    start = start_dir(task, dirfd, path)
    parent, name, trailing = w.resolve_parent(start, path)
    if name is None:
        target = parent
        if flags & O_CREAT:
            raise KernelError(errno.EISDIR)
    elif flags & O_CREAT and trailing:
        raise KernelError(errno.EISDIR)                    # do_last: O_CREAT with a trailing slash, before lookup
    else:
        follow = not (flags & O_NOFOLLOW) and not (flags & O_CREAT and flags & O_EXCL)
        try:
            target = w.resolve(start, path, follow=follow)
        except KernelError as err:
            if err.errno != errno.ENOENT or not flags & O_CREAT:
                raise
            depth = 0                                      # a dangling symlink: Linux creates its target
            while (link := parent.dentry.child(name)) is not None and link.inode.is_symlink and follow:
                depth += 1
                if depth > MAXSYMLINKS:
                    raise KernelError(errno.ELOOP) from None
                parent, name, trailing = w.resolve_parent(parent, link.inode.readlink(), depth)
                if name is None or trailing:
                    raise KernelError(errno.EISDIR) from None
            if parent.dentry.child(name) is not None:
                raise
            if is_dead_dir(parent.inode):                  # the directory was removed (may_create's IS_DEADDIR)
                raise KernelError(errno.ENOENT) from None
            check_writable(parent)
            permission(parent.inode, MAY_WRITE | MAY_EXEC, creds)
            perms, uid, gid = new_owner(task, parent.inode, st.S_IFREG | (mode & 0o7777 & ~task.group.fs.umask))
            inode = parent.inode.create(name, perms & 0o7777, uid, gid)
            fsnotify_create(parent.inode, name)
            parent.dentry.forget(name)
            target = VfsPath(parent.mount, parent.dentry.child(name))
            file = _open_inode(inode, target, flags & ~(O_CREAT | O_EXCL | O_TRUNC))
            fsnotify_open(file)
            return task.group.fds.install(file, bool(flags & O_CLOEXEC))
        else:
            if flags & O_CREAT and flags & O_EXCL:
                raise KernelError(errno.EEXIST)
    return open_path(task, target, flags, bool(flags & O_CLOEXEC))


def open_path(task: Task, target: VfsPath, flags: int, cloexec: bool) -> int:
    """The second half of an open: the object is found; check the flags and permissions against it, build the
    open file (truncating with O_TRUNC) and install it."""
    creds = task.group.creds
    inode = target.inode
    if flags & O_DIRECTORY and not inode.is_dir:
        raise KernelError(errno.ENOTDIR)
    if flags & O_PATH:                                     # a handle on the object itself, even a symlink
        return task.group.fds.install(InodeFile(target, flags), cloexec)
    if inode.is_symlink:
        raise KernelError(errno.ELOOP)                     # O_NOFOLLOW on a symlink
    if inode.is_dir and (flags & O_ACCMODE != O_RDONLY or flags & O_CREAT):
        raise KernelError(errno.EISDIR)
    permission(inode, _mask_for(flags) | (MAY_WRITE if flags & O_TRUNC else 0), creds)
    writes = flags & O_ACCMODE != O_RDONLY or flags & O_TRUNC
    if writes and st.S_ISREG(inode.mode):
        check_writable(target)
    fsnotify_open_perm(target)                             # fanotify's FAN_OPEN_PERM: may wait, or EPERM
    break_lease(task, inode, flags | (O_WRONLY if flags & O_TRUNC else 0))   # may wait for lease holders
    if st.S_ISFIFO(inode.mode):                          # may wait for a partner, who may open it for us
        return fifo_open(task, target, flags & ~(O_CREAT | O_EXCL | O_TRUNC | O_NOCTTY),
                         partial(_install_opened, task, cloexec))
    file = _open_inode(inode, target, flags & ~(O_CREAT | O_EXCL | O_TRUNC))   # a terminal looks at O_NOCTTY
    file.flags &= ~O_NOCTTY                              # then it is gone, as do_dentry_open clears it
    fsnotify_open(file)
    if flags & O_TRUNC and st.S_ISREG(inode.mode):      # Linux truncates even with O_RDONLY
        _truncate(inode, 0)
        fsnotify_change(target.dentry, FS_MODIFY)
    return task.group.fds.install(file, cloexec)


def _install_opened(task: Task, cloexec: bool, file: File) -> int:
    fsnotify_open(file)
    return task.group.fds.install(file, cloexec)


def _open_inode(inode: Inode, target: VfsPath, flags: int) -> File:
    """The open file of `inode`.  Opened for writing, a regular file holds write access to its inode until the
    last close (do_dentry_open's get_write_access): ETXTBSY while a process runs it, and no exec of it
    meanwhile."""
    if flags & O_ACCMODE == O_RDONLY or not st.S_ISREG(inode.mode):
        return inode.open(target, flags)
    get_write_access(inode)
    try:
        file = inode.open(target, flags)
    except BaseException:
        put_write_access(inode)
        raise
    file.write_access = inode
    return file


def _truncate(inode: Inode, size: int) -> None:
    """truncate by path or O_TRUNC: ETXTBSY for a running program's executable (handle_truncate)."""
    get_write_access(inode)
    try:
        truncate_file(inode, size)
    finally:
        put_write_access(inode)


@syscall
def sys_openat(task: Task, dirfd: int, pathname: int, flags: int, mode: int) -> int:
    return do_open(task, dirfd, pathname, flags, mode)


@syscall
def sys_open(task: Task, pathname: int, flags: int, mode: int) -> int:
    return do_open(task, AT_FDCWD & 0xFFFFFFFF, pathname, flags, mode)


OPEN_HOW = struct.Struct("<QQQ")                   # struct open_how: flags, mode, resolve
VALID_RESOLVE_FLAGS = (RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH
                       | RESOLVE_IN_ROOT | RESOLVE_CACHED)
O_PATH_FLAGS = O_DIRECTORY | O_NOFOLLOW | O_PATH | O_CLOEXEC


@syscall
def sys_openat2(task: Task, dirfd: int, pathname: int, how: int, size: int) -> int:
    """openat with a struct open_how (build_open_flags): unknown flags, resolve bits or a mode without O_CREAT
    are EINVAL rather than ignored, BENEATH with IN_ROOT is EINVAL, O_PATH takes only O_DIRECTORY/O_NOFOLLOW/
    O_CLOEXEC, a struct larger than known must be zero past it (E2BIG), RESOLVE_CACHED refuses O_CREAT/O_TRUNC
    (EAGAIN) and otherwise resolves as usual (the dentry cache holds whatever a walk needs here)."""
    if size < OPEN_HOW.size:
        raise KernelError(errno.EINVAL)
    if size > PAGE_SIZE:
        raise KernelError(errno.E2BIG)
    raw = copy_from_user(task.mm, how, size)
    if any(raw[OPEN_HOW.size:]):
        raise KernelError(errno.E2BIG)
    flags, mode, resolve = OPEN_HOW.unpack_from(raw)
    if flags & ~VALID_OPEN_FLAGS or resolve & ~VALID_RESOLVE_FLAGS:
        raise KernelError(errno.EINVAL)
    if resolve & RESOLVE_BENEATH and resolve & RESOLVE_IN_ROOT:
        raise KernelError(errno.EINVAL)
    creates = flags & O_CREAT or flags & O_TMPFILE == O_TMPFILE
    if mode & ~0o7777 if creates else mode:
        raise KernelError(errno.EINVAL)
    if flags & O_CREAT and flags & O_DIRECTORY:
        raise KernelError(errno.EINVAL)
    if flags & O_PATH and flags & ~O_PATH_FLAGS:
        raise KernelError(errno.EINVAL)
    if resolve & RESOLVE_CACHED and flags & (O_TRUNC | O_CREAT | O_TMPFILE):
        raise KernelError(errno.EAGAIN)
    if not flags & O_PATH:
        flags |= O_LARGEFILE
    return do_open(task, dirfd, pathname, flags, mode, resolve)


@syscall
def sys_creat(task: Task, pathname: int, mode: int) -> int:
    return do_open(task, AT_FDCWD & 0xFFFFFFFF, pathname, O_CREAT | O_WRONLY | O_TRUNC, mode)


def _inode_file(task: Task, fd: int) -> InodeFile:
    return task.group.fds.get_as(s32(fd), InodeFile, errno.ESPIPE)


@syscall
def sys_lseek(task: Task, fd: int, offset: int, whence: int) -> int:
    return _inode_file(task, fd).lseek(s64(offset), s32(whence))


def _dirents64(task: Task, fd: int, dirp: int, count: int) -> tuple[InodeFile, bytes]:
    file = task.group.fds.get(s32(fd))
    if file.flags & O_PATH:                      # fdget_pos: an O_PATH descriptor is no open directory
        raise KernelError(errno.EBADF)
    if not isinstance(file, InodeFile) or not file.inode.is_dir:
        raise KernelError(errno.ENOTDIR)
    user_buffers(task.mm, dirp, min(count, 1 << 16), ACCESS_WRITE)
    return file, file.getdents64(min(count, 1 << 20))


@syscall
def sys_getdents64(task: Task, fd: int, dirp: int, count: int) -> int:
    file, data = _dirents64(task, fd, dirp, count)
    fsnotify_readdir(file)
    copy_to_user(task.mm, dirp, data)
    return len(data)


@syscall
def sys_getdents(task: Task, fd: int, dirp: int, count: int) -> int:
    """The old struct linux_dirent (x86_64 only): d_ino, d_off, d_reclen, d_name, NUL, padding, d_type in the
    record's last byte.  A record is as long as its linux_dirent64 twin, so the same entries fit."""
    file, data = _dirents64(task, fd, dirp, count)
    out, pos = bytearray(), 0
    while pos < len(data):
        ino, off, reclen, dtype = struct.unpack_from("<QqHB", data, pos)
        name = bytes(data[pos + 19:pos + reclen]).split(b"\0", 1)[0]
        out += struct.pack("<QqH", ino, off, reclen) + name + bytes(reclen - 18 - len(name) - 1) + bytes([dtype])
        pos += reclen
    fsnotify_readdir(file)
    copy_to_user(task.mm, dirp, bytes(out))
    return len(out)


@syscall
def sys_ftruncate(task: Task, fd: int, length: int) -> int:
    file = task.group.fds.get(s32(fd))
    if not isinstance(file, RegularFile) or not file.writable:
        raise KernelError(errno.EINVAL)            # do_sys_ftruncate: not a regular file opened for writing
    if s64(length) < 0:
        raise KernelError(errno.EINVAL)
    check_writable(file.path)
    truncate_file(file.inode, length)
    fsnotify_change(file.path.dentry, FS_MODIFY)
    return 0


@syscall
def sys_truncate(task: Task, pathname: int, length: int) -> int:
    path = user_path(task, pathname)
    target = walker(task).resolve(task.group.fs.cwd, path)
    if target.inode.is_dir:
        raise KernelError(errno.EISDIR)
    if s64(length) < 0:
        raise KernelError(errno.EINVAL)
    creds = task.group.creds
    permission(target.inode, MAY_WRITE, creds)
    check_writable(target)
    break_lease(task, target.inode, O_WRONLY)
    _truncate(target.inode, length)
    fsnotify_change(target.dentry, FS_MODIFY)
    return 0

