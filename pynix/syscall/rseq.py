"""rseq(2): register or unregister the calling thread's restartable-sequences area (kernel/rseq.c).

The checks follow Linux 6.x: flags 0 or RSEQ_FLAG_UNREGISTER; the original 32-byte area aligned to 32 bytes, or
a larger one (up to its `end` field) aligned to its natural alignment; EBUSY for a repeated identical
registration, EINVAL for a different one, EPERM for a wrong signature.  What pynix does with it is in
task/rseq.py.
"""
from __future__ import annotations

import errno

from pynix.errors import KernelError
from pynix.syscall.registry import syscall
from pynix.task.rseq import CPU_FIELDS, RSEQ_CPU_ID_UNINITIALIZED, write_cpu_fields
from pynix.task.task import Task

RSEQ_FLAG_UNREGISTER = 1
ORIG_RSEQ_SIZE = 32


@syscall
def sys_rseq(task: Task, rseq: int, rseq_len: int, flags: int, sig: int) -> int:
    rseq_len, flags, sig = rseq_len & 0xFFFFFFFF, flags & 0xFFFFFFFF, sig & 0xFFFFFFFF
    if flags & RSEQ_FLAG_UNREGISTER:
        if flags & ~RSEQ_FLAG_UNREGISTER or task.rseq != rseq or not task.rseq or task.rseq_len != rseq_len:
            raise KernelError(errno.EINVAL)
        if task.rseq_sig != sig:
            raise KernelError(errno.EPERM)
        write_cpu_fields(task, 0, RSEQ_CPU_ID_UNINITIALIZED)
        task.rseq = task.rseq_len = task.rseq_sig = 0
        return 0
    if flags:
        raise KernelError(errno.EINVAL)
    if task.rseq:
        if task.rseq != rseq or task.rseq_len != rseq_len:
            raise KernelError(errno.EINVAL)
        if task.rseq_sig != sig:
            raise KernelError(errno.EPERM)
        raise KernelError(errno.EBUSY)                      # already registered, with these very arguments
    if rseq_len < ORIG_RSEQ_SIZE or (rseq_len == ORIG_RSEQ_SIZE and rseq % ORIG_RSEQ_SIZE) or \
            (rseq_len != ORIG_RSEQ_SIZE and (rseq % ORIG_RSEQ_SIZE or rseq_len < CPU_FIELDS)):
        raise KernelError(errno.EINVAL)
    task.rseq, task.rseq_len, task.rseq_sig = rseq, rseq_len, sig
    try:
        write_cpu_fields(task, task.cpu, task.cpu)          # the CPU it runs on; EFAULT for an unwritable area
    except KernelError:
        task.rseq = task.rseq_len = task.rseq_sig = 0
        raise
    return 0
