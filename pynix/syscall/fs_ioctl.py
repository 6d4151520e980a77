"""ioctl: the generic requests every descriptor takes, then the file's own.

Like Linux's do_vfs_ioctl, FIOCLEX/FIONCLEX (close-on-exec), FIONBIO (O_NONBLOCK) and FIOASYNC are handled here
for every file.  Everything else goes to the file: a file that implements `ioctl(task, request, arg)` -- a
terminal (tty/tty.py) -- gets the request whole; for the others the queries programs make at start-up are
answered from the file (TCGETS, TIOCGWINSZ: ENOTTY unless it is a host terminal; FIONREAD) and the rest is
ENOTTY.
"""
from __future__ import annotations

import errno

from pynix.errors import KernelError
from pynix.mm.uaccess import copy_from_user, copy_to_user
from pynix.syscall.registry import s32, syscall
from pynix.task.task import Task
from pynix.uapi.fcntl import O_ASYNC, O_NONBLOCK
from pynix.uapi.ioctls import FIOASYNC, FIOCLEX, FIONBIO, FIONCLEX, FIONREAD, TCGETS, TIOCGWINSZ



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
