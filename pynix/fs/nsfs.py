"""nsfs (Linux's fs/nsfs.c and include/linux/ns_common.h): every namespace has an inode number, and
/proc/PID/ns/NAME opens a file on its nsfs inode.

- Every namespace is an `NsCommon` (fs/ns_common.py): a kind, an inode number, an owning user namespace.
- An nsfs inode stands for one namespace: same namespace, same inode (and device), whoever opens it; the
  /proc/PID/ns link reads "uts:[4026531838]".  Opening it gives an `NsFile`, which setns(2) accepts and which
  answers the NS_GET_* ioctls.
"""
from __future__ import annotations

import errno
import stat as st
from typing import TYPE_CHECKING

from pynix.errors import KernelError
from pynix.fs.file_ops import InodeFile
from pynix.fs.ns_common import NsCommon
from pynix.fs.vfs import Dentry, Inode, Mount, SuperBlock, VfsPath
from pynix.mm.uaccess import copy_to_user
from pynix.uapi.fcntl import O_RDONLY
from pynix.uapi.sched import CLONE_NEWPID, CLONE_NEWUSER

if TYPE_CHECKING:
    from pynix.fs.file import File
    from pynix.task.task import Task

NSFS_MAGIC = 0x6E736673
# ioctls on a namespace file (include/uapi/linux/nsfs.h: _IO(0xb7, n))
NS_GET_USERNS, NS_GET_PARENT, NS_GET_NSTYPE, NS_GET_OWNER_UID = 0xB701, 0xB702, 0xB703, 0xB704


class NsfsSuperBlock(SuperBlock):
    fs_type = "nsfs"
    magic = NSFS_MAGIC


_nsfs: NsfsSuperBlock | None = None
_nsfs_mount: Mount | None = None


class NsfsInode(Inode):
    """The inode of namespace `ns` (inode number = the namespace's)."""

    def __init__(self, sb: NsfsSuperBlock, ns: NsCommon) -> None:
        super().__init__(sb, st.S_IFREG | 0o444, ino=ns.inum)
        self.ns = ns

    def open(self, path: VfsPath, flags: int) -> "File":
        return NsFile(path, flags)


def ns_path(ns: NsCommon) -> VfsPath:
    """Where /proc/PID/ns/NAME leads: the namespace's inode on the internal nsfs mount (nsfs_mnt)."""
    global _nsfs, _nsfs_mount
    if _nsfs is None:
        _nsfs = NsfsSuperBlock()
        _nsfs.root = Inode(_nsfs, st.S_IFDIR | 0o555)
        _nsfs_mount = Mount(_nsfs, Dentry(b"/", _nsfs.root), source="nsfs")
    if ns._nsfs_inode is None:
        ns._nsfs_inode = NsfsInode(_nsfs, ns)
    return VfsPath(_nsfs_mount, Dentry(ns.link_text(), ns._nsfs_inode, _nsfs_mount.root))


class NsFile(InodeFile):
    """An open namespace file: setns(2) takes it, and it answers NS_GET_USERNS, NS_GET_PARENT, NS_GET_NSTYPE and
    NS_GET_OWNER_UID (the last only for a user namespace, EINVAL otherwise)."""

    @property
    def ns(self) -> NsCommon:
        return self.inode.ns

    def read_iter(self, task: "Task", to: object) -> int:
        raise KernelError(errno.EINVAL)

    def ioctl(self, task: "Task", request: int, arg: int) -> int:
        ns = self.ns
        if request == NS_GET_NSTYPE:
            return ns.ns_type
        if request == NS_GET_OWNER_UID:
            if ns.ns_type != CLONE_NEWUSER:
                raise KernelError(errno.EINVAL)
            uid = task.group.creds.user_ns.from_kuid(ns.owner_kuid)
            copy_to_user(task.mm, arg, uid.to_bytes(4, "little"))
            return 0
        if request == NS_GET_USERNS:
            from pynix.task.user_namespace import INIT_USER_NS
            target = ns.owner or INIT_USER_NS
            visible = target.is_visible_from(task.group.creds.user_ns)
        elif request == NS_GET_PARENT:
            target = ns.ns_parent()
            visible = target is not None and target.is_visible_from(ns_of_caller(task, target))
        else:
            raise KernelError(errno.ENOTTY)
        if not visible:
            raise KernelError(errno.EPERM)          # outside the caller's own namespace (or none: the first one)
        return task.group.fds.install(NsFile(ns_path(target), O_RDONLY), cloexec=True)


def ns_of_caller(task: "Task", like: NsCommon) -> NsCommon:
    """The caller's own namespace of the hierarchical kind of `like` (its active pid or user namespace)."""
    return task.pid_link.ns if like.ns_type == CLONE_NEWPID else task.group.creds.user_ns
