"""getrandom."""
from __future__ import annotations

import errno
import os

from pynix.errors import KernelError
from pynix.mm.uaccess import copy_to_user
from pynix.syscall.registry import syscall
from pynix.task.task import Task

GRND_NONBLOCK, GRND_RANDOM, GRND_INSECURE = 1, 2, 4
MAX_CHUNK = 0x1FFFFFF          # Linux returns at most 32 MiB - 1 per call


@syscall
def sys_getrandom(task: Task, buf: int, buflen: int, flags: int) -> int:
    flags &= 0xFFFFFFFF
    if flags & ~(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE) or flags & GRND_RANDOM and flags & GRND_INSECURE:
        raise KernelError(errno.EINVAL)
    data = os.urandom(min(buflen, MAX_CHUNK))
    copy_to_user(task.mm, buf, data)
    return len(data)
