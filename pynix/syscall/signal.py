"""rt_sigaction and rt_sigprocmask: the state is kept per process / per thread; delivery comes with the signals
work (task/signal)."""
from __future__ import annotations

import errno
import struct

from pynix.errors import KernelError
from pynix.mm.uaccess import copy_from_user, copy_to_user, write_u64, read_u64
from pynix.syscall.registry import s32, syscall
from pynix.task.task import SigAction, Task

SIGKILL, SIGSTOP, NSIG = 9, 19, 64
SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK = 0, 1, 2
SIGSET_SIZE = 8
UNBLOCKABLE = (1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1))


@syscall
def sys_rt_sigaction(task: Task, sig: int, act: int, oldact: int, sigsetsize: int) -> int:
    sig = s32(sig)
    if sigsetsize != SIGSET_SIZE or not 1 <= sig <= NSIG or (act and sig in (SIGKILL, SIGSTOP)):
        raise KernelError(errno.EINVAL)
    # Kernel struct sigaction: handler, flags, [restorer,] mask -- sa_restorer exists only on some ISAs.
    fmt = "<QQQQ" if task.arch.sigaction_has_restorer else "<QQQ"
    size = struct.calcsize(fmt)
    new = None
    if act:
        fields = struct.unpack(fmt, copy_from_user(task.mm, act, size))
        handler, flags, *rest = fields
        restorer, mask = (rest[0], rest[1]) if len(rest) == 2 else (0, rest[0])
        new = SigAction(handler, flags, restorer, mask & ~UNBLOCKABLE)
    if oldact:
        old = task.group.sigactions.get(sig, SigAction())
        values = (old.handler, old.flags, old.restorer, old.mask) if task.arch.sigaction_has_restorer else \
                 (old.handler, old.flags, old.mask)
        copy_to_user(task.mm, oldact, struct.pack(fmt, *values))
    if new is not None:
        task.group.sigactions[sig] = new
    return 0


@syscall
def sys_rt_sigprocmask(task: Task, how: int, set_: int, oldset: int, sigsetsize: int) -> int:
    if sigsetsize != SIGSET_SIZE:
        raise KernelError(errno.EINVAL)
    new = None
    if set_:
        value = read_u64(task.mm, set_)
        how = s32(how)
        if how == SIG_BLOCK:
            new = task.sigmask | value
        elif how == SIG_UNBLOCK:
            new = task.sigmask & ~value
        elif how == SIG_SETMASK:
            new = value
        else:
            raise KernelError(errno.EINVAL)
    if oldset:
        write_u64(task.mm, oldset, task.sigmask)
    if new is not None:
        task.sigmask = new & ~UNBLOCKABLE
    return 0
