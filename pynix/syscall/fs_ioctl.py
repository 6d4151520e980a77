"""ioctl: the terminal queries programs make at start-up (TCGETS, TIOCGWINSZ), FIONREAD; the rest is ENOTTY."""
from __future__ import annotations

import errno

from pynix.errors import KernelError
from pynix.mm.uaccess import copy_to_user
from pynix.syscall.registry import s32, syscall
from pynix.task.task import Task

# include/uapi/asm-generic/ioctls.h (x86_64 and riscv64 share these values)
TCGETS, TIOCGWINSZ, FIONREAD = 0x5401, 0x5413, 0x541B


@syscall
def sys_ioctl(task: Task, fd: int, request: int, arg: int) -> int:
    file = task.group.fds.get(s32(fd))
    request &= 0xFFFFFFFF
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
