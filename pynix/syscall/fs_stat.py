"""File status and the working directory: fstat, newfstatat, stat/lstat (x86_64), statx, faccessat(2)/access,
readlinkat/readlink, getcwd, chdir, fchdir, chroot, umask, statfs, fstatfs."""
from __future__ import annotations

import errno
import struct

from pynix.errors import KernelError
from pynix.fs.file_ops import InodeFile
from pynix.fs.vfs import MAY_EXEC, MAY_READ, MAY_WRITE, VfsPath, permission
from pynix.mm.uaccess import copy_to_user
from pynix.syscall.fs_namei import is_dead_dir
from pynix.syscall.fs_path import lookup_at, user_path, walker
from pynix.syscall.registry import s32, syscall
from pynix.task.capability import access_override_creds, capable
from pynix.task.task import Task
from pynix.uapi.capability import CAP_SYS_CHROOT
from pynix.uapi.fcntl import AT_EACCESS, AT_EMPTY_PATH, AT_FDCWD, AT_SYMLINK_NOFOLLOW

_CWD = AT_FDCWD & 0xFFFFFFFF
STATX_BASIC_STATS = 0x7FF
F_OK, X_OK, W_OK, R_OK = 0, 1, 2, 4


def _seen_by(task: Task, fields: dict[str, int]) -> dict[str, int]:
    """The owner as the caller's user namespace shows it (65534 for ids it does not map)."""
    ns = task.group.creds.user_ns
    if ns.parent is None:
        return fields
    return {**fields, "uid": ns.from_kuid(fields["uid"]), "gid": ns.from_kgid(fields["gid"])}


def _put_stat(task: Task, addr: int, fields: dict[str, int]) -> int:
    copy_to_user(task.mm, addr, task.arch.stat_layout.pack(_seen_by(task, fields)))
    return 0


@syscall
def sys_fstat(task: Task, fd: int, statbuf: int) -> int:
    return _put_stat(task, statbuf, task.group.fds.get(s32(fd)).stat())


def _stat_at(task: Task, dirfd: int, pathname: int, flags: int) -> dict[str, int]:
    if flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | 0x800):
        raise KernelError(errno.EINVAL)
    if flags & AT_EMPTY_PATH and not user_path(task, pathname) and s32(dirfd) != AT_FDCWD:
        return task.group.fds.get(s32(dirfd)).stat()     # any descriptor, not only path-opened ones
    return lookup_at(task, dirfd, pathname, flags).inode.stat()


@syscall
def sys_newfstatat(task: Task, dirfd: int, pathname: int, statbuf: int, flags: int) -> int:
    return _put_stat(task, statbuf, _stat_at(task, dirfd, pathname, flags))


@syscall
def sys_stat(task: Task, pathname: int, statbuf: int) -> int:
    return _put_stat(task, statbuf, _stat_at(task, _CWD, pathname, 0))


@syscall
def sys_lstat(task: Task, pathname: int, statbuf: int) -> int:
    return _put_stat(task, statbuf, _stat_at(task, _CWD, pathname, AT_SYMLINK_NOFOLLOW))


def _split_dev(dev: int) -> tuple[int, int]:
    """Linux's MAJOR/MINOR of a new-style dev_t."""
    return (dev >> 8) & 0xFFF, (dev & 0xFF) | ((dev >> 12) & 0xFFF00)


@syscall
def sys_statx(task: Task, dirfd: int, pathname: int, flags: int, mask: int, statxbuf: int) -> int:
    if mask & 0x80000000:                         # STATX__RESERVED
        raise KernelError(errno.EINVAL)
    f = _seen_by(task, _stat_at(task, dirfd, pathname, flags & ~0x6000))   # AT_STATX_SYNC_TYPE: hints
    rmaj, rmin = _split_dev(f["rdev"])
    dmaj, dmin = _split_dev(f["dev"])
    out = struct.pack("<IIQIIIHHQQQQ", STATX_BASIC_STATS, f["blksize"], 0, f["nlink"], f["uid"], f["gid"],
                      f["mode"], 0, f["ino"], f["size"], f["blocks"], 0)
    for sec, nsec in ((f["atime"], f["atime_nsec"]), (0, 0), (f["ctime"], f["ctime_nsec"]),
                      (f["mtime"], f["mtime_nsec"])):
        out += struct.pack("<qIi", sec, nsec, 0)
    out += struct.pack("<IIII", rmaj, rmin, dmaj, dmin)
    copy_to_user(task.mm, statxbuf, out.ljust(256, b"\0"))
    return 0


def _access(task: Task, dirfd: int, pathname: int, mode: int, flags: int) -> int:
    mode = s32(mode)
    if mode & ~7 or flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH):
        raise KernelError(errno.EINVAL)
    target = lookup_at(task, dirfd, pathname, flags)
    creds = task.group.creds if flags & AT_EACCESS else access_override_creds(task.group.creds)
    mask = (MAY_READ if mode & R_OK else 0) | (MAY_WRITE if mode & W_OK else 0) | (MAY_EXEC if mode & X_OK else 0)
    if mask:
        permission(target.inode, mask, creds)
    if mode & W_OK and (target.mount.readonly or target.inode.sb.readonly) and not target.inode.is_symlink:
        raise KernelError(errno.EROFS)
    return 0


@syscall
def sys_faccessat(task: Task, dirfd: int, pathname: int, mode: int) -> int:
    return _access(task, dirfd, pathname, mode, 0)


@syscall
def sys_faccessat2(task: Task, dirfd: int, pathname: int, mode: int, flags: int) -> int:
    return _access(task, dirfd, pathname, mode, flags)


@syscall
def sys_access(task: Task, pathname: int, mode: int) -> int:
    return _access(task, _CWD, pathname, mode, 0)


@syscall
def sys_readlinkat(task: Task, dirfd: int, pathname: int, buf: int, bufsiz: int) -> int:
    if s32(bufsiz) <= 0:
        raise KernelError(errno.EINVAL)
    target = lookup_at(task, dirfd, pathname, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)
    if not target.inode.is_symlink:
        raise KernelError(errno.EINVAL)
    data = target.inode.readlink()[:bufsiz]        # readlink does not NUL-terminate
    copy_to_user(task.mm, buf, data)
    return len(data)


@syscall
def sys_readlink(task: Task, pathname: int, buf: int, bufsiz: int) -> int:
    return sys_readlinkat(task, _CWD, pathname, buf, bufsiz)


@syscall
def sys_getcwd(task: Task, buf: int, size: int) -> int:
    fs = task.group.fs
    if is_dead_dir(fs.cwd.inode):                  # the working directory was removed
        raise KernelError(errno.ENOENT)
    name = fs.mounts.path_of(fs.cwd, fs.root) + b"\0"
    if size < len(name):
        raise KernelError(errno.ERANGE)
    copy_to_user(task.mm, buf, name)
    return len(name)


def _set_cwd(task: Task, target: VfsPath) -> int:
    if not target.inode.is_dir:
        raise KernelError(errno.ENOTDIR)
    permission(target.inode, MAY_EXEC, task.group.creds)
    task.group.fs.cwd = target
    return 0


@syscall
def sys_chdir(task: Task, pathname: int) -> int:
    path = user_path(task, pathname)
    return _set_cwd(task, walker(task).resolve(task.group.fs.cwd, path))


@syscall
def sys_fchdir(task: Task, fd: int) -> int:
    return _set_cwd(task, task.group.fds.get_as(s32(fd), InodeFile, errno.ENOTDIR).path)


@syscall
def sys_chroot(task: Task, pathname: int) -> int:
    if not capable(task, CAP_SYS_CHROOT):
        raise KernelError(errno.EPERM)
    path = user_path(task, pathname)
    target = walker(task).resolve(task.group.fs.cwd, path)
    if not target.inode.is_dir:
        raise KernelError(errno.ENOTDIR)
    task.group.fs.root = target
    return 0


@syscall
def sys_umask(task: Task, mask: int) -> int:
    old = task.group.fs.umask
    task.group.fs.umask = mask & 0o777
    return old


def _put_statfs(task: Task, addr: int, path: VfsPath) -> int:
    i = path.inode.sb.statfs()
    flags = i["flags"] | (1 if path.mount.readonly else 0)
    copy_to_user(task.mm, addr, struct.pack("<qqQQQQQiiqqq4q", i["type"], i["bsize"], i["blocks"], i["bfree"],
                                            i["bavail"], i["files"], i["ffree"], path.inode.sb.dev, 0,
                                            i["namelen"], i["frsize"], flags, 0, 0, 0, 0))
    return 0


@syscall
def sys_statfs(task: Task, pathname: int, buf: int) -> int:
    return _put_statfs(task, buf, walker(task).resolve(task.group.fs.cwd, user_path(task, pathname)))


@syscall
def sys_fstatfs(task: Task, fd: int, buf: int) -> int:
    file = task.group.fds.get_as(s32(fd), InodeFile, errno.ENOSYS)  # pipes, host streams: no pipefs/sockfs yet
    return _put_statfs(task, buf, file.path)

