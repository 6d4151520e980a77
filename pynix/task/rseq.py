"""Restartable sequences (Linux's kernel/rseq.c): per-thread registration and the critical-section abort.

A thread registers a `struct rseq` {u32 cpu_id_start, u32 cpu_id, u64 rseq_cs, u32 flags, u32 node_id,
u32 mm_cid}; the kernel keeps its cpu fields current and, whenever the thread is preempted or gets a signal
while its instruction pointer is inside the critical section `rseq_cs` points to ({u32 version, u32 flags,
u64 start_ip, u64 post_commit_offset, u64 abort_ip}), moves it to abort_ip (after checking that the 4 bytes
before abort_ip hold the signature given at registration) and clears rseq_cs.  The cpu fields are written at
registration and whenever the thread migrates to another CPU (SMP: Kernel._switch_to); the abort happens where a thread can be interrupted in user code:
a timer preemption (before it runs again) and signal delivery (before the frame is built).  A malformed
critical section descriptor kills the thread's process with SIGSEGV, as Linux does.
"""
from __future__ import annotations

import struct
from typing import TYPE_CHECKING

from pynix.errors import KernelError
from pynix.mm.uaccess import copy_from_user, copy_to_user
from pynix.task import exit as task_exit, signal

if TYPE_CHECKING:
    from pynix.kernel import Kernel
    from pynix.task.task import Task

RSEQ_CS_SIZE = 32
RSEQ_CPU_ID_UNINITIALIZED = 0xFFFFFFFF
CPU_FIELDS = 28                  # through mm_cid: cpu_id_start, cpu_id, rseq_cs, flags, node_id, mm_cid


def write_cpu_fields(task: "Task", cpu_id_start: int, cpu_id: int) -> None:
    """cpu_id_start and cpu_id (and node_id, mm_cid when the area has them: 0) of `task`'s registered area."""
    copy_to_user(task.mm, task.rseq, struct.pack("<II", cpu_id_start, cpu_id))
    if task.rseq_len >= CPU_FIELDS:
        copy_to_user(task.mm, task.rseq + 20, struct.pack("<II", 0, 0))


def abort_critical_section(kernel: "Kernel", task: "Task") -> bool:
    """Linux's rseq_ip_fixup for `task`, whose registers are on the CPU.  Returns False when the descriptor
    is unusable (a bad pointer, version, range or signature): the caller kills the process with SIGSEGV."""
    if not task.rseq:
        return True
    mm, cpu = task.mm, kernel.cpu
    try:
        cs_ptr = struct.unpack("<Q", copy_from_user(mm, task.rseq + 8, 8))[0]
        if not cs_ptr:
            return True
        version, _flags, start, length, abort_ip = struct.unpack("<IIQQQ", copy_from_user(mm, cs_ptr, RSEQ_CS_SIZE))
        limit = task.arch.task_size
        if version or start >= limit or start + length >= limit or abort_ip >= limit or abort_ip - start < length:
            return False
        pc = cpu.read("pc")
        if start <= pc < start + length:
            if struct.unpack("<I", copy_from_user(mm, abort_ip - 4, 4))[0] != task.rseq_sig:
                return False
            cpu.write("pc", abort_ip)
        copy_to_user(mm, task.rseq + 8, bytes(8))          # done with it (or not inside it: nothing to restart)
        return True
    except KernelError:
        return False


def rseq_fault(kernel: "Kernel", task: "Task") -> None:
    """A thread's rseq critical section descriptor cannot be used: Linux kills it with SIGSEGV."""
    kernel.log(f"pid {task.group.pid}: unusable rseq critical section descriptor; killing it with SIGSEGV")
    task_exit.kill_group(kernel, task.group, signal.SIGSEGV)
