"""memfd_create, and the file seals of fcntl (F_ADD_SEALS / F_GET_SEALS) -- Linux's mm/memfd.c.

A memfd is a regular tmpfs file that no directory names: it lives on an internal tmpfs instance (Linux's
shm_mnt), under the dentry name "memfd:NAME", with no links, so /proc/<pid>/fd/N reads "/memfd:NAME (deleted)".
read/write/lseek/ftruncate/fstat and MAP_PRIVATE mappings work as on any tmpfs file.

Seals (MFD_ALLOW_SEALING; without it the file is born with F_SEAL_SEAL): F_SEAL_SHRINK and F_SEAL_GROW make
ftruncate fail with EPERM, F_SEAL_GROW also refuses a write that would extend the file, F_SEAL_WRITE
and F_SEAL_FUTURE_WRITE make writes fail with EPERM (checked in `write_begin`, before the page cache is written).
Differences from Linux: F_SEAL_WRITE does not look for shared writable mappings (no EBUSY), stores through such a
mapping are not refused after the seal, MFD_HUGETLB is refused with EINVAL, and ordinary tmpfs files have no
seals (F_GET_SEALS is EINVAL there, Linux gives F_SEAL_SEAL).
"""
from __future__ import annotations

import errno
import stat as st

from pynix.errors import KernelError
from pynix.fs.file import File
from pynix.fs.file_ops import RegularFile
from pynix.fs.tmpfs import TmpfsInode, TmpfsSuperBlock
from pynix.fs.vfs import Dentry, Mount, VfsPath
from pynix.mm.uaccess import strncpy_from_user
from pynix.syscall.registry import syscall
from pynix.task.task import Task
from pynix.uapi.fcntl import O_LARGEFILE, O_RDWR

MFD_CLOEXEC, MFD_ALLOW_SEALING, MFD_HUGETLB, MFD_NOEXEC_SEAL, MFD_EXEC = 0x1, 0x2, 0x4, 0x8, 0x10
MFD_NAME_MAX_LEN = 255 - len("memfd:")

# fcntl commands and seals (include/uapi/linux/fcntl.h)
F_ADD_SEALS, F_GET_SEALS = 1033, 1034
F_SEAL_SEAL, F_SEAL_SHRINK, F_SEAL_GROW, F_SEAL_WRITE, F_SEAL_FUTURE_WRITE, F_SEAL_EXEC = 1, 2, 4, 8, 0x10, 0x20
F_ALL_SEALS = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_FUTURE_WRITE | F_SEAL_EXEC


class MemfdInode(TmpfsInode):
    """A tmpfs file that carries seals."""

    def __init__(self, sb: TmpfsSuperBlock, mode: int, uid: int, gid: int, seals: int) -> None:
        super().__init__(sb, mode, uid, gid)
        self.seals = seals

    def write_begin(self, pos: int, count: int) -> None:
        if self.seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE):
            raise KernelError(errno.EPERM)
        if self.seals & F_SEAL_GROW and pos + count > self.size:
            raise KernelError(errno.EPERM)

    def truncate(self, size: int) -> None:
        if (self.seals & F_SEAL_SHRINK and size < self.size) or (self.seals & F_SEAL_GROW and size > self.size):
            raise KernelError(errno.EPERM)
        super().truncate(size)


class _ShmMount:
    """The internal tmpfs instance memfds live on (created on first use)."""
    mount: Mount | None = None

    @classmethod
    def get(cls) -> Mount:
        if cls.mount is None:
            sb = TmpfsSuperBlock()
            cls.mount = Mount(sb, Dentry(b"/", sb.root), source="tmpfs")
        return cls.mount


@syscall
def sys_memfd_create(task: Task, uname: int, flags: int) -> int:
    flags &= 0xFFFFFFFF
    if flags & ~(MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB | MFD_NOEXEC_SEAL | MFD_EXEC) or flags & MFD_HUGETLB:
        raise KernelError(errno.EINVAL)
    if flags & MFD_EXEC and flags & MFD_NOEXEC_SEAL:
        raise KernelError(errno.EINVAL)
    try:
        name = strncpy_from_user(task.mm, uname, MFD_NAME_MAX_LEN + 1)
    except KernelError as err:
        raise KernelError(errno.EINVAL if err.errno == errno.ENAMETOOLONG else err.errno) from None
    mount = _ShmMount.get()
    creds = task.group.creds
    mode, seals = 0o777, F_SEAL_SEAL
    if flags & MFD_NOEXEC_SEAL:
        mode, seals = 0o666, F_SEAL_EXEC
    elif flags & MFD_ALLOW_SEALING:
        seals = 0
    inode = MemfdInode(mount.sb, st.S_IFREG | mode, creds.fsuid, creds.fsgid, seals)
    inode.nlink = 0                         # never linked into a directory
    file = RegularFile(VfsPath(mount, Dentry(b"memfd:" + name, inode, mount.root)), O_RDWR | O_LARGEFILE)
    return task.group.fds.install(file, bool(flags & MFD_CLOEXEC))


def seals_fcntl(file: File, cmd: int, arg: int) -> int:
    """fcntl F_ADD_SEALS / F_GET_SEALS (Linux's memfd_fcntl)."""
    inode = getattr(file, "inode", None)
    if not isinstance(inode, MemfdInode):
        raise KernelError(errno.EINVAL)
    if cmd == F_GET_SEALS:
        return inode.seals
    if not file.writable:
        raise KernelError(errno.EPERM)
    if arg & ~F_ALL_SEALS:
        raise KernelError(errno.EINVAL)
    if inode.seals & F_SEAL_SEAL:
        raise KernelError(errno.EPERM)
    inode.seals |= arg
    return 0
