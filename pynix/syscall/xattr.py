"""Extended attributes: getxattr/lgetxattr/fgetxattr, setxattr/lsetxattr/fsetxattr, listxattr/llistxattr/
flistxattr, removexattr/lremovexattr/fremovexattr (Linux's fs/xattr.c; the store is the filesystem's, see
fs/xattr.py -- tmpfs, devfs, memfd and overlayfs keep attributes, other filesystems answer EOPNOTSUPP).

The checks, in Linux's (6.13+) order:
1. set: flags other than XATTR_CREATE|XATTR_REPLACE: EINVAL.
2. The name from user memory (strncpy_from_user): ERANGE if empty or longer than XATTR_NAME_MAX (255).
3. set: a value longer than XATTR_SIZE_MAX (65536): E2BIG; then the value is copied in (EFAULT).
4. The object: the path (getxattr/setxattr/... follow a final symlink, the l* versions do not) or the descriptor
   (EBADF, also for an O_PATH one).
5. set/remove: a read-only mount or filesystem: EROFS.
6. xattr_permission: security.* and system.* have no VFS rule; trusted.* needs CAP_SYS_ADMIN (root): EPERM
   for set/remove, ENODATA for get; user.* only on regular files and directories (EPERM for set/remove, ENODATA
   for get on anything else), and on a sticky directory only its owner or root may set/remove (EPERM); then
   inode_permission: read permission to get, write permission to set/remove (EACCES).  Then the capability
   LSM (cap_inode_setxattr/removexattr): changing a security.* attribute needs CAP_SYS_ADMIN (EPERM), except
   security.capability, the file capabilities execve grants: setting it needs a valid v2/v3 value (EINVAL,
   checked first) and CAP_SETFCAP, removing it CAP_SETFCAP; a v3 value for root id 0 reads back as v2.
7. The filesystem: a namespace it has no handler for is EOPNOTSUPP (tmpfs: security., trusted., user.; system.
   is POSIX ACLs there, which pynix does not keep), a bare prefix ("user.") EINVAL; set with XATTR_CREATE of a
   present name EEXIST, XATTR_REPLACE or remove of an absent one ENODATA; get of an absent one ENODATA.
8. get: size 0 returns the value's length; a buffer smaller than the value: ERANGE (size is capped at
   XATTR_SIZE_MAX).  list: the names, each NUL-terminated, in the order they were set, without trusted.* names
   for an unprivileged caller; size 0 returns the length, a smaller buffer ERANGE (E2BIG when the size was
   XATTR_LIST_MAX or more).
Changes are reported to inotify as IN_ATTRIB.  A descriptor of an object outside the VFS (pipe, socket) has no
xattr handlers here: EOPNOTSUPP.
"""
from __future__ import annotations

import errno
import stat as st

from pynix.errors import KernelError
from pynix.fs.notify.fsnotify import FS_ATTRIB, fsnotify_change
from pynix.fs.vfs import MAY_READ, MAY_WRITE, VfsPath, permission
from pynix.fs.xattr import (XATTR_CREATE, XATTR_LIST_MAX, XATTR_NAME_MAX, XATTR_REPLACE, XATTR_SECURITY_PREFIX,
                            XATTR_SIZE_MAX, XATTR_SYSTEM_PREFIX, XATTR_TRUSTED_PREFIX, XATTR_USER_PREFIX)
from pynix.mm.uaccess import copy_from_user, copy_to_user, strncpy_from_user
from pynix.syscall.fs_attr import fdget, file_path
from pynix.syscall.fs_namei import owner_or_capable
from pynix.syscall.fs_path import check_writable, lookup_at
from pynix.syscall.registry import s32, syscall
from pynix.task.capability import cap_inode_getsecurity, capable, check_caps_xattr
from pynix.task.task import Task
from pynix.uapi.capability import CAP_SETFCAP, CAP_SYS_ADMIN, XATTR_NAME_CAPS
from pynix.uapi.fcntl import AT_FDCWD, AT_SYMLINK_NOFOLLOW

_CWD = AT_FDCWD & 0xFFFFFFFF


def import_xattr_name(task: Task, addr: int) -> bytes:
    """The attribute name argument: ERANGE if empty or past XATTR_NAME_MAX."""
    try:
        name = strncpy_from_user(task.mm, addr, XATTR_NAME_MAX + 1)
    except KernelError as e:
        if e.errno == errno.ENAMETOOLONG:
            raise KernelError(errno.ERANGE) from None
        raise
    if not name:
        raise KernelError(errno.ERANGE)
    return name


def _path(task: Task, pathname: int, follow: bool) -> VfsPath:
    return lookup_at(task, _CWD, pathname, 0 if follow else AT_SYMLINK_NOFOLLOW)


def _fd_path(task: Task, fd: int) -> VfsPath:
    path = file_path(fdget(task, s32(fd)))
    if path is None:
        raise KernelError(errno.EOPNOTSUPP)
    return path


def xattr_permission(task: Task, path: VfsPath, name: bytes, mask: int) -> None:
    """Linux's xattr_permission: the namespace rules, then read/write permission on the inode."""
    inode = path.inode
    if name.startswith((XATTR_SECURITY_PREFIX, XATTR_SYSTEM_PREFIX)):
        return
    if name.startswith(XATTR_TRUSTED_PREFIX):
        if not capable(task, CAP_SYS_ADMIN):
            raise KernelError(errno.EPERM if mask & MAY_WRITE else errno.ENODATA)
        return
    if name.startswith(XATTR_USER_PREFIX):
        if not (st.S_ISREG(inode.mode) or inode.is_dir):
            raise KernelError(errno.EPERM if mask & MAY_WRITE else errno.ENODATA)
        if inode.is_dir and inode.mode & st.S_ISVTX and mask & MAY_WRITE and not owner_or_capable(task, inode):
            raise KernelError(errno.EPERM)
    creds = task.group.creds
    permission(inode, mask, creds)


# ------------------------------------------------------------------------------------------------- get
def _getxattr(task: Task, path: VfsPath, name: bytes, value: int, size: int) -> int:
    xattr_permission(task, path, name, MAY_READ)
    data = path.inode.getxattr(name)
    if name == XATTR_NAME_CAPS:
        data = cap_inode_getsecurity(data)
    if size:
        if len(data) > min(size, XATTR_SIZE_MAX):
            raise KernelError(errno.ERANGE)
        copy_to_user(task.mm, value, data)
    return len(data)


@syscall
def sys_getxattr(task: Task, pathname: int, name: int, value: int, size: int) -> int:
    key = import_xattr_name(task, name)
    return _getxattr(task, _path(task, pathname, True), key, value, size)


@syscall
def sys_lgetxattr(task: Task, pathname: int, name: int, value: int, size: int) -> int:
    key = import_xattr_name(task, name)
    return _getxattr(task, _path(task, pathname, False), key, value, size)


@syscall
def sys_fgetxattr(task: Task, fd: int, name: int, value: int, size: int) -> int:
    path = _fd_path(task, fd)
    return _getxattr(task, path, import_xattr_name(task, name), value, size)


# ------------------------------------------------------------------------------------------------- list
def _listxattr(task: Task, path: VfsPath, lst: int, size: int) -> int:
    privileged = capable(task, CAP_SYS_ADMIN)
    data = b"".join(name + b"\0" for name in path.inode.listxattr()
                    if privileged or not name.startswith(XATTR_TRUSTED_PREFIX))
    if size:
        if len(data) > min(size, XATTR_LIST_MAX):
            raise KernelError(errno.E2BIG if size >= XATTR_LIST_MAX else errno.ERANGE)
        copy_to_user(task.mm, lst, data)
    return len(data)


@syscall
def sys_listxattr(task: Task, pathname: int, lst: int, size: int) -> int:
    return _listxattr(task, _path(task, pathname, True), lst, size)


@syscall
def sys_llistxattr(task: Task, pathname: int, lst: int, size: int) -> int:
    return _listxattr(task, _path(task, pathname, False), lst, size)


@syscall
def sys_flistxattr(task: Task, fd: int, lst: int, size: int) -> int:
    return _listxattr(task, _fd_path(task, fd), lst, size)


# ------------------------------------------------------------------------------------------------- set
def _set_args(task: Task, name: int, value: int, size: int, flags: int) -> tuple[bytes, bytes]:
    """setxattr_copy: the flags, the name and the value, checked and copied in."""
    if flags & ~(XATTR_CREATE | XATTR_REPLACE):
        raise KernelError(errno.EINVAL)
    key = import_xattr_name(task, name)
    if size > XATTR_SIZE_MAX:
        raise KernelError(errno.E2BIG)
    return key, copy_from_user(task.mm, value, size) if size else b""


def _setxattr(task: Task, path: VfsPath, name: bytes, value: bytes | None, flags: int) -> int:
    """vfs_setxattr (value None: vfs_removexattr)."""
    check_writable(path)
    if name == XATTR_NAME_CAPS and value is not None:
        check_caps_xattr(task.group.creds, value)     # cap_convert_nscap: a v2/v3 value, CAP_SETFCAP
    xattr_permission(task, path, name, MAY_WRITE)
    if name == XATTR_NAME_CAPS:
        if value is None and not capable(task, CAP_SETFCAP):
            raise KernelError(errno.EPERM)     # cap_inode_removexattr (setting was checked above)
    elif name.startswith(XATTR_SECURITY_PREFIX) and not capable(task, CAP_SYS_ADMIN):
        raise KernelError(errno.EPERM)         # the capability LSM's cap_inode_setxattr/removexattr
    if value is None:
        path.inode.removexattr(name)
    else:
        path.inode.setxattr(name, value, flags)
    fsnotify_change(path.dentry, FS_ATTRIB)
    return 0


@syscall
def sys_setxattr(task: Task, pathname: int, name: int, value: int, size: int, flags: int) -> int:
    key, data = _set_args(task, name, value, size, flags)
    return _setxattr(task, _path(task, pathname, True), key, data, flags)


@syscall
def sys_lsetxattr(task: Task, pathname: int, name: int, value: int, size: int, flags: int) -> int:
    key, data = _set_args(task, name, value, size, flags)
    return _setxattr(task, _path(task, pathname, False), key, data, flags)


@syscall
def sys_fsetxattr(task: Task, fd: int, name: int, value: int, size: int, flags: int) -> int:
    path = _fd_path(task, fd)
    key, data = _set_args(task, name, value, size, flags)
    return _setxattr(task, path, key, data, flags)


# ------------------------------------------------------------------------------------------------- remove
@syscall
def sys_removexattr(task: Task, pathname: int, name: int) -> int:
    key = import_xattr_name(task, name)
    return _setxattr(task, _path(task, pathname, True), key, None, XATTR_REPLACE)


@syscall
def sys_lremovexattr(task: Task, pathname: int, name: int) -> int:
    key = import_xattr_name(task, name)
    return _setxattr(task, _path(task, pathname, False), key, None, XATTR_REPLACE)


@syscall
def sys_fremovexattr(task: Task, fd: int, name: int) -> int:
    path = _fd_path(task, fd)
    return _setxattr(task, path, import_xattr_name(task, name), None, XATTR_REPLACE)
