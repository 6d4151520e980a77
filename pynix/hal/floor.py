"""The floor: pynix's CPU with no kernel under it, to time guest code against (`pynix bench`'s floor runner).

A `FlatMachine` is the CPU a pynix machine runs on -- the same `Cpu` class of hal/cpu.py, so the same Unicorn
CPU model, virtual-TLB mode, RAM arena, register window and hooks -- but its TLB fill maps every address to the
same physical address (no page tables, no faults), no timer stops it and no system call is served.  Pages keep
the permissions a program's would have under pynix (`protect`: the ELF segments' R/RW/RX, read-write
elsewhere): that matters, since Unicorn runs stores to an executable page 4-20x slower (it checks them for
self-modifying code), so a floor with every page RWX would be far below pynix instead of level with it.  Calling
a benchmark's compute function on it measures what the emulator itself costs: pynix's guest code cannot run
faster, and the gap between the two is what the kernel adds (timer stops, TLB flushes and refills).

The knobs (`cpu_model`, `tb_size`, `timeslice_us`) change one thing of that configuration at a time, to measure
what moves the floor itself (docs/performance.md).
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import unicorn.riscv_const as rv
import unicorn.x86_const as x86

from pynix.hal.backends import BACKENDS
from pynix.hal.cpu import Cpu
from pynix.hal.ram import PhysicalMemory
from pynix.hal.trap import TrapKind


@dataclass(frozen=True)
class CallAbi:
    """How the emulated CPU calls a C function: argument and result registers, the register holding the return
    address (None: pushed on the stack) and the system call instruction, placed at the return address: the
    function returns into a syscall, whose handler stops the CPU."""
    arguments: tuple[str, ...]
    result: str
    link: str | None
    syscall: bytes


# Per backend, as hal/backends.py's BACKENDS: the C calling conventions (SysV AMD64, RISC-V LP64D).
CALL_ABI = {"x86_64": CallAbi(("rdi", "rsi", "rdx", "rcx", "r8", "r9"), "rax", None, b"\x0f\x05"),
            "riscv64": CallAbi(tuple(f"a{i}" for i in range(6)), "a0", "ra", b"\x73\x00\x00\x00")}   # ecall
CPU_MODELS = {"x86_64": {n.removeprefix("UC_CPU_X86_").lower(): getattr(x86, n)
                         for n in dir(x86) if n.startswith("UC_CPU_X86_") and n != "UC_CPU_X86_ENDING"},
              "riscv64": {n.removeprefix("UC_CPU_RISCV64_").lower(): getattr(rv, n)
                          for n in dir(rv) if n.startswith("UC_CPU_RISCV64_") and n != "UC_CPU_RISCV64_ENDING"}}


class FlatMachine:
    """`mem_size` bytes of RAM seen at the same virtual addresses, under a CPU of `isa` built as pynix builds
    it (`syscall_registers` as the arch's, though no syscall is served), except for `cpu_model` (a name of
    CPU_MODELS) and `tb_size` (Unicorn's translation buffer, bytes)."""

    def __init__(self, isa: str, mem_size: int, syscall_registers: tuple[str, ...], cpu_model: str | None = None,
                 tb_size: int | None = None) -> None:
        self.ram = PhysicalMemory(mem_size)
        backend = BACKENDS[isa]
        if cpu_model is not None or tb_size is not None:
            model = CPU_MODELS[isa][cpu_model] if cpu_model is not None else None

            class Configured(backend):                        # type: ignore[misc, valid-type]
                def _configure(self) -> None:
                    if tb_size is not None:
                        self.emu.ctl_set_tcg_buffer_size(tb_size)
                    if model is None:
                        super()._configure()
                    else:
                        self.emu.ctl_set_cpu_model(model)
            backend = Configured
        self.abi = CALL_ABI[isa]
        self.cpu: Cpu = backend(self.ram, syscall_registers, self.abi.result)
        self._prot: dict[int, int] = {}              # page number -> R=1/W=2/X=4 where not read-write
        limit, prot_of = mem_size, self._prot.get
        self.cpu.on_tlb_fill = lambda va, _access: (va & ~0xFFF) | prot_of(va >> 12, 3) if va < limit else -1
        self.cpu.on_syscall = self._returned
        self.cpu.reset_user_state()
        self.stack_top = mem_size - 4096                  # the last page: where functions return to
        self.ram.mv[self.stack_top:self.stack_top + len(self.abi.syscall)] = self.abi.syscall
        self.protect(self.stack_top, 4096, 5)
        self._result = 0

    def protect(self, address: int, size: int, prot: int) -> None:
        """Pages [address, address + size) get permissions `prot` (R=1, W=2, X=4)."""
        for page in range(address >> 12, (address + size + 4095) >> 12):
            self._prot[page] = prot

    def _returned(self, _nr: int, *_args: int) -> None:
        self._result = self.cpu.read(self.abi.result)
        self.cpu.stop()

    def load(self, address: int, data: bytes) -> None:
        self.ram.mv[address:address + len(data)] = data

    def call(self, function: int, *args: int, timeslice_us: int | None = None) -> tuple[int, float]:
        """Run the C function at `function` with integer `args` to its return; (its result, seconds taken).
        With `timeslice_us`, the timer stops the CPU that often, as pynix's scheduler does, and the run goes on
        (the kernel's timer path reduced to leaving and re-entering the emulator)."""
        cpu, abi = self.cpu, self.abi
        for name, value in zip(abi.arguments, args):
            cpu.write(name, value)
        sp = self.stack_top - 4096
        if abi.link is None:
            sp -= 8
            self.ram.mv[sp:sp + 8] = self.stack_top.to_bytes(8, "little")
        else:
            cpu.write(abi.link, self.stack_top)
        cpu.write("sp", sp)
        cpu.write("pc", function)
        start = time.perf_counter()
        while True:
            if timeslice_us:
                cpu.set_timeslice(timeslice_us)
            trap = cpu.run()
            if trap.kind != TrapKind.TIMER:
                break
        elapsed = time.perf_counter() - start
        if trap.kind != TrapKind.KERNEL_STOP:
            raise RuntimeError(f"the function at {function:#x} did not return: {trap.kind.value} at {trap.pc:#x}")
        return self._result, elapsed

