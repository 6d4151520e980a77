"""The x86_64 CPU: Unicorn's register ids, exception vectors and the user state of a new program on x86-64.

Syscalls arrive through the `syscall` instruction hook, exceptions (#DE, #BP, #UD) through the interrupt hook.
"""
from __future__ import annotations

import ctypes
from typing import Callable

import unicorn as uc
import unicorn.x86_const as x86
from unicorn.unicorn_py3.unicorn import HOOK_INTR_CFUNC, uc_hook_h

from pynix.hal.cpu import Cpu
from pynix.hal.trap import Trap, TrapKind
from pynix.hal.uc_ctypes import NO_ARGS_HOOK


def _x86_registers() -> dict[str, int]:
    names = ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11", "r12", "r13",
             "r14", "r15", "rip", "rflags", "fs_base", "gs_base", "cs", "ss"]
    regs = {n: getattr(x86, f"UC_X86_REG_{n.upper()}") for n in names}
    regs["rflags"] = x86.UC_X86_REG_EFLAGS
    regs.update({f"xmm{i}": getattr(x86, f"UC_X86_REG_XMM{i}") for i in range(16)})
    regs.update({f"st{i}": getattr(x86, f"UC_X86_REG_FP{i}") for i in range(8)})
    regs.update(fpcw=x86.UC_X86_REG_FPCW, fpsw=x86.UC_X86_REG_FPSW, fptag=x86.UC_X86_REG_FPTAG,
                mxcsr=x86.UC_X86_REG_MXCSR, ds=x86.UC_X86_REG_DS, es=x86.UC_X86_REG_ES, fs=x86.UC_X86_REG_FS,
                gs=x86.UC_X86_REG_GS)
    regs["pc"] = x86.UC_X86_REG_RIP
    regs["sp"] = x86.UC_X86_REG_RSP
    return regs


class X86Cpu(Cpu):
    uc_arch = uc.UC_ARCH_X86
    uc_mode = uc.UC_MODE_64
    registers = _x86_registers()
    word_registers = ("rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11", "r12",
                      "r13", "r14", "r15", "rip", "pc", "sp", "fs_base", "gs_base")
    _INVALIDATE_VA = 0xFFFF800000000000          # canonical kernel-half address

    _PC_ADVANCE_AFTER_HOOK = 2       # the `syscall` hook sees RIP on the instruction; Unicorn adds 2 afterwards
    _DIVIDE_ERROR = 0
    _BREAKPOINT = 3
    _INVALID_OPCODE = 6

    def _configure(self) -> None:
        # Must come before anything else runs on this instance (DESIGN.md §5, pitfall 3).
        self.emu.ctl_set_cpu_model(x86.UC_CPU_X86_HASWELL)

    def _install_hooks(self) -> None:
        self._add_hook(uc.UC_HOOK_INTR, HOOK_INTR_CFUNC(self._kernel_entry(self._intr)))

    def _install_syscall_hook(self, serve_syscall: Callable[[], None]) -> uc_hook_h:
        return self._add_hook(uc.UC_HOOK_INSN, NO_ARGS_HOOK(self._kernel_entry(serve_syscall)),
                              ctypes.c_int(x86.UC_X86_INS_SYSCALL))

    def _intr(self, _h: int, intno: int, _ud: int) -> None:
        pc = self.read("pc")
        kind = {self._DIVIDE_ERROR: TrapKind.DIVIDE_ERROR, self._BREAKPOINT: TrapKind.BREAKPOINT,
                self._INVALID_OPCODE: TrapKind.ILLEGAL_INSTRUCTION}.get(intno, TrapKind.ILLEGAL_INSTRUCTION)
        self.stop(Trap(kind, pc=pc))

    def reset_user_state(self) -> None:
        for name in ("rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11", "r12",
                     "r13", "r14", "r15", "fs_base", "gs_base"):
            self.write(name, 0)
        self.write("rflags", 0x202)
        # The FPU state Linux gives a new program (fpstate_init): x87 control word 0x37f (64-bit precision, all
        # exceptions masked) and MXCSR 0x1f80 (SSE exceptions masked, round to nearest).
        self.emu.reg_write(x86.UC_X86_REG_FPCW, 0x37F)
        self.emu.reg_write(x86.UC_X86_REG_MXCSR, 0x1F80)
