"""Path arguments of syscalls: read the name from user memory and resolve it against the cwd or a dirfd.

Every *at() syscall goes through `walker_at`/`lookup_at`/`parent_at`, so AT_FDCWD, directory descriptors,
AT_EMPTY_PATH and AT_SYMLINK_NOFOLLOW behave the same everywhere.
"""
from __future__ import annotations

import errno

from pynix.errors import KernelError
from pynix.fs.file_ops import InodeFile
from pynix.fs.vfs import PATH_MAX, RESOLVE_BENEATH, RESOLVE_IN_ROOT, FsContext, VfsPath, Walker
from pynix.mm.uaccess import strncpy_from_user
from pynix.syscall.registry import s32
from pynix.task.task import Task
from pynix.uapi.fcntl import AT_EMPTY_PATH, AT_FDCWD, AT_SYMLINK_FOLLOW, AT_SYMLINK_NOFOLLOW



def user_path(task: Task, addr: int) -> bytes:
    """A path argument: ENOENT if empty (callers handle AT_EMPTY_PATH first), ENAMETOOLONG past PATH_MAX."""
    return strncpy_from_user(task.mm, addr, PATH_MAX)


def walker(task: Task, resolve: int = 0, start: VfsPath | None = None) -> Walker:
    """A walker with the task's view and credentials; RESOLVE_BENEATH / RESOLVE_IN_ROOT walk with `start` as
    the root (openat2)."""
    fs = task.group.fs
    if resolve & (RESOLVE_BENEATH | RESOLVE_IN_ROOT) and start is not None:
        fs = FsContext(fs.mounts, start, fs.cwd, fs.umask)
    return Walker(fs, task.group.creds, resolve)


def start_dir(task: Task, dirfd: int, path: bytes) -> VfsPath:
    """Where a relative `path` starts: the cwd for AT_FDCWD, else the directory open as `dirfd`."""
    if path.startswith(b"/"):
        return task.group.fs.cwd
    return dirfd_path(task, dirfd)


def dirfd_path(task: Task, dirfd: int) -> VfsPath:
    """The directory `dirfd` names: the cwd for AT_FDCWD, ENOTDIR for a descriptor of something else."""
    dirfd = s32(dirfd)
    if dirfd == AT_FDCWD:
        return task.group.fs.cwd
    file = task.group.fds.get(dirfd)
    if not isinstance(file, InodeFile):
        raise KernelError(errno.ENOTDIR)
    if not file.inode.is_dir:
        raise KernelError(errno.ENOTDIR)
    return file.path


def lookup_at(task: Task, dirfd: int, pathname: int, flags: int = 0, follow_default: bool = True) -> VfsPath:
    """Resolve a (dirfd, path) pair; AT_EMPTY_PATH with "" names the descriptor itself."""
    path = user_path(task, pathname)
    if not path:
        if flags & AT_EMPTY_PATH:
            if s32(dirfd) == AT_FDCWD:
                return task.group.fs.cwd
            file = task.group.fds.get(s32(dirfd))
            if not isinstance(file, InodeFile):
                raise KernelError(errno.EBADF if file is None else errno.ENOTDIR)
            return file.path
        raise KernelError(errno.ENOENT)
    follow = follow_default and not flags & AT_SYMLINK_NOFOLLOW or bool(flags & AT_SYMLINK_FOLLOW)
    return walker(task).resolve(start_dir(task, dirfd, path), path, follow=follow)


def parent_at(task: Task, dirfd: int, pathname: int) -> tuple[VfsPath, bytes | None, bool, bytes]:
    """For syscalls that create or remove a name: (parent directory, last name, trailing slash, full path)."""
    return parent_of(task, dirfd, user_path(task, pathname))


def parent_of(task: Task, dirfd: int, path: bytes) -> tuple[VfsPath, bytes | None, bool, bytes]:
    """`parent_at` for a path already in the kernel (an AF_UNIX socket name)."""
    if not path:
        raise KernelError(errno.ENOENT)
    parent, name, trailing = walker(task).resolve_parent(start_dir(task, dirfd, path), path)
    return parent, name, trailing, path


def check_writable(path: VfsPath) -> None:
    """EROFS for anything on a read-only mount or filesystem."""
    if path.mount.readonly or path.inode.sb.readonly:
        raise KernelError(errno.EROFS)
