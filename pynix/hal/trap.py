"""What the CPU hands back to the kernel: plain values, no emulator types."""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

# Access types of a memory access.  They equal the PROT_* bits of the page that would allow them, so a page with
# protection `prot` allows an access `a` exactly when `prot & a`.
ACCESS_READ = 1
ACCESS_WRITE = 2
ACCESS_EXEC = 4


class TrapKind(Enum):
    PAGE_FAULT = "page fault"                 # a fault the TLB-fill callback could not resolve
    ILLEGAL_INSTRUCTION = "illegal instruction"
    BREAKPOINT = "breakpoint"
    DIVIDE_ERROR = "divide error"
    TIMER = "timer"                           # the time slice given to run() ended
    SINGLE_STEP = "single step"               # one instruction ran after Cpu.single_step (a debugger's step)
    WATCHPOINT = "watchpoint"                 # user code accessed memory watched with Cpu.watch (addr, access)
    KERNEL_STOP = "kernel stop"               # a kernel callback asked the CPU to stop (exit, block, exec...)


@dataclass(slots=True)
class Trap:
    kind: TrapKind
    pc: int = 0
    addr: int = 0        # faulting address (page faults)
    access: int = 0      # ACCESS_* (page faults)
