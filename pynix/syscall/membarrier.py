"""membarrier(2) (kernel/sched/membarrier.c).

A membarrier orders the memory accesses of every thread (or every thread of this process) around the call.
pynix runs one guest thread at a time on one emulated CPU, and a thread only changes between instructions,
so every barrier the call promises already holds when it is made: the commands do their checking (flags,
registration, EPERM) and return.  The expedited rseq variants are not offered: pynix has no rseq.
"""
from __future__ import annotations

import errno

from pynix.errors import KernelError
from pynix.syscall.registry import syscall
from pynix.task.task import Task

CMD_QUERY = 0
CMD_GLOBAL = 1 << 0
CMD_GLOBAL_EXPEDITED = 1 << 1
CMD_REGISTER_GLOBAL_EXPEDITED = 1 << 2
CMD_PRIVATE_EXPEDITED = 1 << 3
CMD_REGISTER_PRIVATE_EXPEDITED = 1 << 4
CMD_PRIVATE_EXPEDITED_SYNC_CORE = 1 << 5
CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE = 1 << 6
CMD_GET_REGISTRATIONS = 1 << 9

SUPPORTED = (CMD_GLOBAL | CMD_GLOBAL_EXPEDITED | CMD_REGISTER_GLOBAL_EXPEDITED | CMD_PRIVATE_EXPEDITED
             | CMD_REGISTER_PRIVATE_EXPEDITED | CMD_PRIVATE_EXPEDITED_SYNC_CORE
             | CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE)
# An expedited private command needs its registration first (EPERM otherwise).
NEEDS = {CMD_PRIVATE_EXPEDITED: CMD_REGISTER_PRIVATE_EXPEDITED,
         CMD_PRIVATE_EXPEDITED_SYNC_CORE: CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE}
REGISTRATIONS = (CMD_REGISTER_GLOBAL_EXPEDITED | CMD_REGISTER_PRIVATE_EXPEDITED
                 | CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE)


@syscall
def sys_membarrier(task: Task, cmd: int, flags: int, cpu_id: int) -> int:
    cmd &= 0xFFFFFFFF
    if flags & 0xFFFFFFFF:                          # only the rseq command takes a flag
        raise KernelError(errno.EINVAL)
    group = task.group
    if cmd == CMD_QUERY:
        return SUPPORTED
    if cmd == CMD_GET_REGISTRATIONS:
        return group.membarrier_registered
    if cmd & REGISTRATIONS and cmd.bit_count() == 1:
        group.membarrier_registered |= cmd
        return 0
    if cmd in NEEDS:
        if not group.membarrier_registered & NEEDS[cmd]:
            raise KernelError(errno.EPERM)
        return 0
    if cmd in (CMD_GLOBAL, CMD_GLOBAL_EXPEDITED):
        return 0
    raise KernelError(errno.EINVAL)
