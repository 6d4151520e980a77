"""name_to_handle_at, open_by_handle_at (Linux's fs/fhandle.c): a file named by a handle instead of a path.

A handle here is FILEID_INO64_GEN (fs/exportfs.py): the inode number and a generation of 0, 12 bytes, valid
within the filesystem of the mount it was taken on.  Decoding finds the inode among the mount's cached dentries (Linux's
exportfs asks the filesystem, which can find any inode; here one that left the dentry cache, or was never
looked up, is ESTALE).
"""
from __future__ import annotations

import errno
import struct
from collections import deque

from pynix.errors import KernelError
from pynix.fs.exportfs import FILEID_INO64_GEN, HANDLE, encode_fh
from pynix.fs.file import O_CLOEXEC
from pynix.fs.proc import mount_id
from pynix.fs.vfs import VfsPath
from pynix.mm.uaccess import copy_from_user, copy_to_user
from pynix.syscall.fs_open import O_LARGEFILE, open_path
from pynix.syscall.fs_path import AT_EMPTY_PATH, AT_SYMLINK_FOLLOW, dirfd_path, lookup_at
from pynix.syscall.registry import s32, syscall
from pynix.task.capability import capable
from pynix.task.task import Task
from pynix.uapi.capability import CAP_DAC_READ_SEARCH

MAX_HANDLE_SZ = 128
AT_HANDLE_FID, AT_HANDLE_MNT_ID_UNIQUE = 0x200, 0x001
FILEID_VALID_USER_FLAGS = 0x30000                 # FILEID_IS_CONNECTABLE | FILEID_IS_DIR


@syscall
def sys_name_to_handle_at(task: Task, dirfd: int, pathname: int, handle: int, mount_id_ptr: int, flags: int) -> int:
    """EINVAL for unknown flags or handle_bytes past MAX_HANDLE_SZ, EOVERFLOW (with the size needed written
    back) for a buffer too small."""
    flags = s32(flags)
    if flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH | AT_HANDLE_FID | AT_HANDLE_MNT_ID_UNIQUE):
        raise KernelError(errno.EINVAL)
    path = lookup_at(task, dirfd, pathname, flags & (AT_EMPTY_PATH | AT_SYMLINK_FOLLOW), follow_default=False)
    handle_bytes = int.from_bytes(copy_from_user(task.mm, handle, 4), "little")
    if handle_bytes > MAX_HANDLE_SZ:
        raise KernelError(errno.EINVAL)
    if handle_bytes < HANDLE.size:
        copy_to_user(task.mm, handle, HANDLE.size.to_bytes(4, "little"))
        raise KernelError(errno.EOVERFLOW)
    fh_type, fh = encode_fh(path.inode)
    copy_to_user(task.mm, handle, struct.pack("<Ii", len(fh), fh_type) + fh)
    mid = mount_id(path.mount)
    copy_to_user(task.mm, mount_id_ptr, mid.to_bytes(8 if flags & AT_HANDLE_MNT_ID_UNIQUE else 4, "little"))
    return 0


def _find(mount_root: VfsPath, ino: int) -> VfsPath | None:
    """The cached dentry of inode `ino` below the mount's root (breadth first), if any."""
    queue = deque([mount_root.dentry])
    while queue:
        dentry = queue.popleft()
        if dentry.inode.ino == ino:
            return VfsPath(mount_root.mount, dentry)
        queue.extend(dentry.children.values())
    return None


@syscall
def sys_open_by_handle_at(task: Task, mount_fd: int, handle: int, flags: int) -> int:
    """EPERM without CAP_DAC_READ_SEARCH, EINVAL for a handle size of 0 or past MAX_HANDLE_SZ or unknown
    user flags in the type, ESTALE for a handle that names nothing found; then the open as openat would do it."""
    if not capable(task, CAP_DAC_READ_SEARCH):
        raise KernelError(errno.EPERM)
    base = dirfd_path(task, mount_fd)
    handle_bytes, handle_type = struct.unpack("<Ii", copy_from_user(task.mm, handle, 8))
    if handle_bytes == 0 or handle_bytes > MAX_HANDLE_SZ or handle_type < 0 \
            or handle_type & 0xFFFF0000 & ~FILEID_VALID_USER_FLAGS:
        raise KernelError(errno.EINVAL)
    raw = copy_from_user(task.mm, handle + 8, handle_bytes)
    if handle_type & 0xFFFF != FILEID_INO64_GEN or handle_bytes != HANDLE.size:
        raise KernelError(errno.ESTALE)
    ino, _generation = HANDLE.unpack(raw)
    found = _find(VfsPath(base.mount, base.mount.root), ino)
    if found is None:
        raise KernelError(errno.ESTALE)
    flags = s32(flags)
    return open_path(task, found, flags | O_LARGEFILE, bool(flags & O_CLOEXEC))
