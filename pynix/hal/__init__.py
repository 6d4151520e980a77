"""Hardware abstraction layer: THE ONLY PACKAGE THAT IMPORTS THE EMULATOR.

The kernel sees a RAM arena (`PhysicalMemory`, a memoryview over one host buffer) and a CPU (`Cpu`) that runs
user code until something needs the kernel, reporting it as a plain `Trap` to the kernel's trap handler
(`Cpu.on_stop`), which may switch the CPU to another task's context and go on.  Syscalls and TLB fills are
served by kernel callbacks *inside* the emulator (no exit from `emu_start`), and so is a stop inside a syscall,
task switch included; `Cpu.run` returns only when the handler has no task to run.
"""
from pynix.hal.backends import new_cpu
from pynix.hal.context import CpuContext
from pynix.hal.cpu import Cpu
from pynix.hal.ram import PhysicalMemory
from pynix.hal.trap import ACCESS_EXEC, ACCESS_READ, ACCESS_WRITE, Trap, TrapKind

__all__ = ["Cpu", "CpuContext", "new_cpu", "PhysicalMemory", "Trap", "TrapKind",
           "ACCESS_READ", "ACCESS_WRITE", "ACCESS_EXEC"]
