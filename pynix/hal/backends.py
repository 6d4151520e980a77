"""The CPU of each ISA (BACKENDS) and new_cpu, which makes one for the machine's arch."""
from __future__ import annotations

from typing import Sequence

from pynix.hal.cpu import Cpu, KernelEntry
from pynix.hal.cpu_riscv64 import RiscvCpu
from pynix.hal.cpu_x86_64 import X86Cpu
from pynix.hal.ram import PhysicalMemory

BACKENDS = {"riscv64": RiscvCpu, "x86_64": X86Cpu}


def new_cpu(isa: str, ram: PhysicalMemory, syscall_registers: Sequence[str], return_register: str,
            entry: KernelEntry | None = None, index: int = 0) -> Cpu:
    """A CPU for `isa` (the name an `arch` object reports) over `ram`; on SMP, CPU number `index`, whose hooks
    take the kernel lock `entry`.  Several CPUs may share one `ram`: each has its own emulator (its own TLB and
    translated code) over the same host buffer."""
    return BACKENDS[isa](ram, syscall_registers, return_register, entry, index)
