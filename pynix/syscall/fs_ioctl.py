"""ioctl: the generic requests every descriptor takes, then the file's own.

Like Linux's do_vfs_ioctl, FIOCLEX/FIONCLEX (close-on-exec), FIONBIO (O_NONBLOCK), FIOASYNC and the clone
requests FICLONE/FICLONERANGE are handled here for every file.  Everything else goes to the file: a file that implements `ioctl(task, request, arg)` -- a
terminal (tty/tty.py) -- gets the request whole; for the others the queries programs make at start-up are
answered from the file (TCGETS, TIOCGWINSZ: ENOTTY unless it is a host terminal; FIONREAD) and the rest is
ENOTTY.
"""
from __future__ import annotations

import errno
import struct

from pynix.errors import KernelError
from pynix.fs.file import File
from pynix.mm.uaccess import copy_from_user, copy_to_user
from pynix.syscall.fs_attr import fdget, file_path
from pynix.syscall.fs_copy import generic_file_rw_checks
from pynix.syscall.registry import s32, syscall
from pynix.task.task import Task
from pynix.uapi.fcntl import O_ASYNC, O_NONBLOCK
from pynix.uapi.ioctls import FIOASYNC, FIOCLEX, FIONBIO, FIONCLEX, FIONREAD, TCGETS, TIOCGWINSZ

FICLONE, FICLONERANGE = 0x40049409, 0x4020940D      # _IOW(0x94, 9, int), _IOW(0x94, 13, struct file_clone_range)


def _clone_file_range(task: Task, dst: File, src_fd: int) -> int:
    """ioctl_file_clone: EBADF without a source, EXDEV across mounts or filesystems, generic_file_rw_checks,
    then EOPNOTSUPP: no pynix filesystem shares extents (remap_file_range), so cp --reflink=auto copies."""
    src = fdget(task, src_fd)
    pin, pout = file_path(src), file_path(dst)
    if pin is None or pout is None or pin.mount is not pout.mount or pin.inode.sb is not pout.inode.sb:
        raise KernelError(errno.EXDEV)
    generic_file_rw_checks(src, dst)
    raise KernelError(errno.EOPNOTSUPP)



@syscall
def sys_ioctl(task: Task, fd: int, request: int, arg: int) -> int:
    fd = s32(fd)
    file = task.group.fds.get(fd)
    request &= 0xFFFFFFFF
    if request in (FIOCLEX, FIONCLEX):
        task.group.fds.entry(fd).cloexec = request == FIOCLEX
        return 0
    if request in (FIONBIO, FIOASYNC):
        on = int.from_bytes(copy_from_user(task.mm, arg, 4), "little") != 0
        bit = O_NONBLOCK if request == FIONBIO else O_ASYNC
        file.flags = file.flags | bit if on else file.flags & ~bit
        return 0
    if request in (FICLONE, FICLONERANGE):
        src_fd = arg if request == FICLONE else struct.unpack("<q24x", copy_from_user(task.mm, arg, 32))[0]
        return _clone_file_range(task, file, s32(src_fd))
    file_ioctl = getattr(file, "ioctl", None)
    if file_ioctl is not None:
        return file_ioctl(task, request, arg)
    if request == TCGETS:
        copy_to_user(task.mm, arg, file.ioctl_termios())
        return 0
    if request == TIOCGWINSZ:
        copy_to_user(task.mm, arg, file.ioctl_winsize())
        return 0
    if request == FIONREAD:
        copy_to_user(task.mm, arg, file.bytes_available().to_bytes(4, "little"))
        return 0
    raise KernelError(errno.ENOTTY)
