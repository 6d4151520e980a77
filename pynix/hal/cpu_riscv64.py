"""The riscv64 CPU: Unicorn's register ids, trap numbers and the user state of a new program on RISC-V.

Every trap arrives through one interrupt hook with its scause number (ecall from U-mode, illegal
instruction, breakpoint); the `time`/`cycle`/`instret` CSRs Unicorn lacks are emulated here.
"""
from __future__ import annotations

import time
from typing import Callable

import unicorn as uc
import unicorn.riscv_const as rv
from unicorn.unicorn_py3.unicorn import uc_hook_h

from pynix.hal.cpu import Cpu
from pynix.hal.trap import ACCESS_EXEC, Trap, TrapKind
from pynix.hal.uc_ctypes import INTNO_HOOK


def _riscv_registers() -> dict[str, int]:
    abi = ["zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1"] + [f"a{i}" for i in range(8)] + \
          [f"s{i}" for i in range(2, 12)] + ["t3", "t4", "t5", "t6"]
    regs = {name: getattr(rv, f"UC_RISCV_REG_X{i}") for i, name in enumerate(abi)}
    regs.update({f"x{i}": getattr(rv, f"UC_RISCV_REG_X{i}") for i in range(32)})
    regs.update({f"f{i}": getattr(rv, f"UC_RISCV_REG_F{i}") for i in range(32)})
    regs.update(pc=rv.UC_RISCV_REG_PC, fcsr=rv.UC_RISCV_REG_FCSR)
    return regs



class RiscvCpu(Cpu):
    uc_arch = uc.UC_ARCH_RISCV
    uc_mode = uc.UC_MODE_RISCV64
    registers = _riscv_registers()
    word_registers = tuple(name for name in registers if not name.startswith("f"))   # integer registers, pc
    # CSRs: Unicorn's CSR access looks at the CPU around the state (its configuration), which a saved
    # context does not have, and hands back an uninitialised value.
    live_only_registers = frozenset({"fcsr"})
    _INVALIDATE_VA = 0xFFFFFFC000000000          # canonical SV39 kernel-half address

    _PC_ADVANCE_AFTER_HOOK = 0       # an ecall arrives with the pc already past it
    _ECALL_FROM_U = 8
    _ILLEGAL = 2
    _BREAKPOINT = 3
    _TIMER_HZ = 10_000_000       # timebase of QEMU's virt board, what rdtime counts

    def _configure(self) -> None:
        pass

    def _install_hooks(self) -> None:
        pass            # every trap arrives through the one interrupt hook, registered by _install_syscall_hook

    def _install_syscall_hook(self, serve_syscall: Callable[[], None]) -> uc_hook_h:
        ecall, other_trap = self._ECALL_FROM_U, self._other_trap

        def on_interrupt(_uc: int, intno: int) -> None:
            if intno == ecall:
                serve_syscall()
            else:
                other_trap(intno)
        return self._add_hook(uc.UC_HOOK_INTR, INTNO_HOOK(self._kernel_entry(on_interrupt)))

    def _other_trap(self, intno: int) -> None:
        try:
            if intno == self._ILLEGAL:
                if not self._emulate_csr_read():
                    self.stop(Trap(TrapKind.ILLEGAL_INSTRUCTION, pc=self.read("pc") - 4))
            elif intno == self._BREAKPOINT:
                self.stop(Trap(TrapKind.BREAKPOINT, pc=self.read("pc") - 4))
            else:
                self.stop(Trap(TrapKind.ILLEGAL_INSTRUCTION, pc=self.read("pc") - 4))
        except Exception:
            self._bug("trap handler")

    def _emulate_csr_read(self) -> bool:
        """Unicorn has no `time`/`cycle`/`instret` CSRs: emulate `csrrs rd, time, x0` (rdtime and friends)."""
        pc = self.read("pc") - 4          # every INTR trap reports insn+4
        page = self.on_tlb_fill(pc, ACCESS_EXEC)
        if page < 0 or (pc & 0xFFF) > 0xFFC:
            return False
        pa = (page & ~0xFFF) | (pc & 0xFFF)
        insn = int.from_bytes(self.ram.mv[pa:pa + 4], "little")
        csr, rs1, funct3, rd = insn >> 20, (insn >> 15) & 31, (insn >> 12) & 7, (insn >> 7) & 31
        if (insn & 0x7F) != 0x73 or funct3 != 2 or rs1 != 0 or csr not in (0xC00, 0xC01, 0xC02):
            return False
        if rd:
            ticks = time.monotonic_ns() * self._TIMER_HZ // 1_000_000_000
            self.write(f"x{rd}", ticks)
        self.write("pc", pc + 4)
        return True

    def reset_user_state(self) -> None:
        for i in range(1, 32):
            self.write(f"x{i}", 0)
        for i in range(32):
            self.write(f"f{i}", 0)
        self.write("fcsr", 0)
        # F/D instructions are illegal until mstatus.FS is set (DESIGN.md §5, pitfall 2).
        self.emu.reg_write(rv.UC_RISCV_REG_MSTATUS, self.emu.reg_read(rv.UC_RISCV_REG_MSTATUS) | 0x6000)

