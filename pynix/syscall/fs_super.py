"""Old superblock queries of x86_64: ustat (a filesystem's free blocks and inodes by device number) and sysfs
(the registered filesystem types by index, as /proc/filesystems lists them)."""
from __future__ import annotations

import errno
import struct

from pynix.errors import KernelError
from pynix.fs.proc import FILESYSTEMS
from pynix.mm.uaccess import copy_to_user, strncpy_from_user
from pynix.syscall.registry import s32, syscall
from pynix.task.task import Task

USTAT = struct.Struct("<i4xQ6s6s4x")          # f_tfree (daddr_t), f_tinode, f_fname, f_fpack


@syscall
def sys_ustat(task: Task, dev: int, ubuf: int) -> int:
    """EINVAL unless a mounted filesystem has device number `dev`; f_tfree is its free block count cut to an
    int, as Linux's."""
    dev &= 0xFFFFFFFF
    sb = next((m.sb for m in task.group.fs.mounts.mounts if m.sb.dev == dev), None)
    if sb is None:
        raise KernelError(errno.EINVAL)
    info = sb.statfs()
    bfree = info["bfree"] & 0xFFFFFFFF
    copy_to_user(task.mm, ubuf, USTAT.pack(bfree - (1 << 32) if bfree & 0x80000000 else bfree, info["ffree"],
                                           b"", b""))
    return 0


@syscall
def sys_sysfs(task: Task, option: int, arg1: int, arg2: int) -> int:
    """1: the index of the type named at arg1 (EINVAL if unknown); 2: the name of type arg1 into arg2 (EINVAL
    past the last); 3: how many types there are."""
    option = s32(option)
    if option == 1:
        name = strncpy_from_user(task.mm, arg1, 256)
        if name not in FILESYSTEMS:
            raise KernelError(errno.EINVAL)
        return FILESYSTEMS.index(name)
    if option == 2:
        if not 0 <= arg1 < len(FILESYSTEMS):
            raise KernelError(errno.EINVAL)
        copy_to_user(task.mm, arg2, FILESYSTEMS[arg1] + b"\0")
        return 0
    if option == 3:
        return len(FILESYSTEMS)
    raise KernelError(errno.EINVAL)
