"""The CPU: a Unicorn emulator instance in virtual-TLB mode over the RAM arena.

Address translation is the kernel's: on every TLB miss Unicorn calls `on_tlb_fill(va, access)`, which walks the
current page tables (and may resolve a demand-zero or copy-on-write fault on the spot) and returns
`physical_page | prot`, or -1 for a fault the kernel could not resolve.  System calls arrive in `on_syscall(nr,
a0..a5)`; an integer result is written to the return register and the guest simply continues.  A callback that
needs the scheduler (exit, block, exec, signal delivery) calls `stop()` and `run` returns a KERNEL_STOP trap.

Costs that shaped this file (DESIGN.md §5): hooks are registered through raw ctypes, the syscall registers are
read with one `uc_reg_read_batch` into preallocated arrays, and no Python object is allocated per syscall.
"""
from __future__ import annotations

import ctypes
import sys
import time
import traceback
from typing import Callable, Sequence

import unicorn as uc
import unicorn.riscv_const as rv
import unicorn.x86_const as x86
from unicorn.unicorn_py3.unicorn import (HOOK_INTR_CFUNC, HOOK_TLB_FILL_CFUNC, uc_hook_h, uclib)
from unicorn.unicorn_py3.arch.intel import HOOK_INSN_SYSCALL_CFUNC

from pynix.hal.ram import PhysicalMemory
from pynix.hal.trap import ACCESS_EXEC, ACCESS_READ, ACCESS_WRITE, Trap, TrapKind

_ACCESS = {uc.UC_MEM_READ: ACCESS_READ, uc.UC_MEM_WRITE: ACCESS_WRITE, uc.UC_MEM_FETCH: ACCESS_EXEC}

SyscallHandler = Callable[[int, int, int, int, int, int, int], "int | None"]
FillHandler = Callable[[int, int], int]


def _riscv_registers() -> dict[str, int]:
    abi = ["zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1"] + [f"a{i}" for i in range(8)] + \
          [f"s{i}" for i in range(2, 12)] + ["t3", "t4", "t5", "t6"]
    regs = {name: getattr(rv, f"UC_RISCV_REG_X{i}") for i, name in enumerate(abi)}
    regs.update({f"x{i}": getattr(rv, f"UC_RISCV_REG_X{i}") for i in range(32)})
    regs.update({f"f{i}": getattr(rv, f"UC_RISCV_REG_F{i}") for i in range(32)})
    regs.update(pc=rv.UC_RISCV_REG_PC, fcsr=rv.UC_RISCV_REG_FCSR)
    return regs


def _x86_registers() -> dict[str, int]:
    names = ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11", "r12", "r13",
             "r14", "r15", "rip", "rflags", "fs_base", "gs_base", "cs", "ss"]
    regs = {n: getattr(x86, f"UC_X86_REG_{n.upper()}") for n in names}
    regs["rflags"] = x86.UC_X86_REG_EFLAGS
    regs.update({f"xmm{i}": getattr(x86, f"UC_X86_REG_XMM{i}") for i in range(16)})
    regs.update(fpcw=x86.UC_X86_REG_FPCW, fpsw=x86.UC_X86_REG_FPSW, mxcsr=x86.UC_X86_REG_MXCSR)
    regs["pc"] = x86.UC_X86_REG_RIP
    regs["sp"] = x86.UC_X86_REG_RSP
    return regs


class CpuContext:
    """A saved user register context (includes FP state).  Registers are read and written by name."""
    __slots__ = ("_ctx", "_registers")

    def __init__(self, ctx: object, registers: dict[str, int]) -> None:
        self._ctx = ctx
        self._registers = registers

    def read(self, name: str) -> int:
        return self._ctx.reg_read(self._registers[name])

    def write(self, name: str, value: int) -> None:
        self._ctx.reg_write(self._registers[name], value & 0xFFFFFFFFFFFFFFFF)


class Cpu:
    """One emulated CPU.  Subclasses hold the emulator facts of one ISA (register ids, trap numbers)."""

    _TLB_FLUSH_CODE = (uc.UC_CTL_IO_WRITE << 30) | uc.UC_CTL_TLB_FLUSH     # uc_ctl request, no arguments

    uc_arch: int
    uc_mode: int
    registers: dict[str, int]
    _INVALIDATE_VA: int

    def __init__(self, ram: PhysicalMemory, syscall_registers: Sequence[str], return_register: str) -> None:
        self.ram = ram
        self.on_syscall: SyscallHandler | None = None
        self.on_tlb_fill: FillHandler | None = None
        self.emu = uc.Uc(self.uc_arch, self.uc_mode)
        self._configure()
        self.emu.ctl_set_tlb_mode(uc.UC_TLB_VIRTUAL)
        self.emu.mem_map_ptr(0, ram.size, uc.UC_PROT_ALL, ram.host_address)
        # emu_start's `until` would itself be translated through the fill hook: run with an empty exit list.
        self.emu.ctl_exits_enabled(True)
        self.emu.ctl_set_exits([])
        self._handle = self.emu._uch
        self._trap: Trap | None = None
        self._fault: tuple[int, int] | None = None
        self._invalidate_pa = -1
        # Preallocated batch for the syscall registers: number first, then the six arguments.
        n = len(syscall_registers)
        self._sys_ids = (ctypes.c_int * n)(*(self.registers[r] for r in syscall_registers))
        self._sys_vals = (ctypes.c_uint64 * n)()
        base = ctypes.addressof(self._sys_vals)
        self._sys_ptrs = (ctypes.c_void_p * n)(*(base + 8 * i for i in range(n)))
        self._sys_count = n
        self._ret_id = self.registers[return_register]
        self._ret_val = ctypes.c_uint64()
        self._ret_ref = ctypes.byref(self._ret_val)
        self._callbacks: list[object] = []      # keep the ctypes trampolines alive
        self._add_hook(uc.UC_HOOK_TLB_FILL, HOOK_TLB_FILL_CFUNC(self._tlb_fill))
        self._install_hooks()

    # ----------------------------------------------------------------------------------------- hook plumbing
    def _add_hook(self, hook_type: int, callback: object, *extra: object) -> None:
        handle = uc_hook_h()
        self._callbacks.append(callback)
        args = [ctypes.c_uint64(1), ctypes.c_uint64(0)] + list(extra)
        status = uclib.uc_hook_add(self._handle, ctypes.byref(handle), hook_type,
                                   ctypes.cast(callback, ctypes.c_void_p), None, *args)
        if status != 0:
            raise RuntimeError(f"uc_hook_add failed: {status}")

    def _bug(self, where: str) -> None:
        """An exception escaped a kernel callback: a kernel bug.  Report it and stop the CPU."""
        print(f"pynix: kernel bug in {where}:\n{traceback.format_exc()}", file=sys.stderr, end="")
        self.stop(Trap(TrapKind.ILLEGAL_INSTRUCTION, pc=self.read("pc")))

    def _tlb_fill(self, _h: int, va: int, access: int, entry: ctypes.Array, _ud: int) -> bool:
        try:
            acc = _ACCESS.get(access, ACCESS_READ)
            result = self.on_tlb_fill(va, acc)
            if result < 0:
                if va == self._INVALIDATE_VA and self._invalidate_pa >= 0:
                    result = self._invalidate_pa | 7
                else:
                    self._fault = (va, acc)
                    return False
            e = entry[0]
            e.paddr = result & ~0xFFF
            e.perms = result & 7
            return True
        except Exception:
            self._fault = (va, _ACCESS.get(access, ACCESS_READ))
            print(f"pynix: kernel bug in TLB fill at {va:#x}:\n{traceback.format_exc()}", file=sys.stderr, end="")
            return False

    def _do_syscall(self) -> None:
        """Read number + arguments in one batch, call the kernel, write the result (the hot path)."""
        uclib.uc_reg_read_batch(self._handle, self._sys_ids, self._sys_ptrs, self._sys_count)
        v = self._sys_vals
        result = self.on_syscall(v[0], v[1], v[2], v[3], v[4], v[5], v[6])
        if result is not None:
            self._ret_val.value = result & 0xFFFFFFFFFFFFFFFF
            uclib.uc_reg_write(self._handle, self._ret_id, self._ret_ref)

    # ------------------------------------------------------------------------------------ kernel interface
    def run(self, timeslice_us: int = 0) -> Trap:
        """Run user code from the current registers until the kernel is needed; return why."""
        self._trap = None
        self._fault = None
        pc = self.read("pc")
        try:
            self.emu.emu_start(pc, 0, timeout=timeslice_us)
        except uc.UcError as err:
            if self._trap is None:
                self._trap = self._decode_error(err)
        if self._trap is None:
            self._trap = Trap(TrapKind.TIMER, pc=self.read("pc"))
        return self._trap

    def _decode_error(self, err: "uc.UcError") -> Trap:
        pc = self.read("pc")
        if self._fault is not None:
            va, acc = self._fault
            return Trap(TrapKind.PAGE_FAULT, pc=pc, addr=va, access=acc)
        if err.errno == uc.UC_ERR_INSN_INVALID:
            return Trap(TrapKind.ILLEGAL_INSTRUCTION, pc=pc)
        if err.errno in (uc.UC_ERR_READ_UNMAPPED, uc.UC_ERR_READ_PROT):
            return Trap(TrapKind.PAGE_FAULT, pc=pc, addr=pc, access=ACCESS_READ)
        if err.errno in (uc.UC_ERR_WRITE_UNMAPPED, uc.UC_ERR_WRITE_PROT):
            return Trap(TrapKind.PAGE_FAULT, pc=pc, addr=pc, access=ACCESS_WRITE)
        return Trap(TrapKind.PAGE_FAULT, pc=pc, addr=pc, access=ACCESS_EXEC)

    def stop(self, trap: Trap | None = None) -> None:
        """Ask the CPU to return from run() (callable from inside kernel callbacks)."""
        if self._trap is None:
            self._trap = trap or Trap(TrapKind.KERNEL_STOP)
        self.emu.emu_stop()

    def read(self, name: str) -> int:
        return self.emu.reg_read(self.registers[name])

    def write(self, name: str, value: int) -> None:
        self.emu.reg_write(self.registers[name], value & 0xFFFFFFFFFFFFFFFF)

    def read_many(self, names: Sequence[str]) -> list[int]:
        return [self.emu.reg_read(self.registers[n]) for n in names]

    def write_many(self, values: dict[str, int]) -> None:
        for name, value in values.items():
            self.write(name, value)

    def flush_tlb(self) -> None:
        """Forget every cached translation (after page-table changes or an address-space switch)."""
        uclib.uc_ctl(self._handle, self._TLB_FLUSH_CODE)

    def invalidate_code(self, frames: list[int]) -> None:
        """Drop the translated code of physical frames (freed code frames about to be reused).

        Unicorn only offers invalidation by *virtual* range, translated through the TLB-fill hook; so a reserved
        address outside user space is made to translate to each frame in turn (see `_tlb_fill`), and the TLB is
        flushed afterwards so no translation of that address survives."""
        for pfn in frames:
            self._invalidate_pa = pfn << 12
            self.emu.ctl_remove_cache(self._INVALIDATE_VA, self._INVALIDATE_VA + 4096)
        self._invalidate_pa = -1
        self.flush_tlb()

    def save_context(self) -> CpuContext:
        return CpuContext(self.emu.context_save(), self.registers)

    def update_context(self, ctx: CpuContext) -> None:
        self.emu.context_update(ctx._ctx)

    def restore_context(self, ctx: CpuContext) -> None:
        self.emu.context_restore(ctx._ctx)

    # ISA-specific parts
    def _configure(self) -> None:
        raise NotImplementedError

    def _install_hooks(self) -> None:
        raise NotImplementedError

    def reset_user_state(self) -> None:
        """Registers of a freshly exec'd task: all zero, FP enabled."""
        raise NotImplementedError


class RiscvCpu(Cpu):
    uc_arch = uc.UC_ARCH_RISCV
    uc_mode = uc.UC_MODE_RISCV64
    registers = _riscv_registers()
    _INVALIDATE_VA = 0xFFFFFFC000000000          # canonical SV39 kernel-half address

    _ECALL_FROM_U = 8
    _ILLEGAL = 2
    _BREAKPOINT = 3
    _TIMER_HZ = 10_000_000       # timebase of QEMU's virt board, what rdtime counts

    def _configure(self) -> None:
        pass

    def _install_hooks(self) -> None:
        self._add_hook(uc.UC_HOOK_INTR, HOOK_INTR_CFUNC(self._intr))

    def _intr(self, _h: int, intno: int, _ud: int) -> None:
        try:
            if intno == self._ECALL_FROM_U:
                self._do_syscall()
            elif intno == self._ILLEGAL:
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


class X86Cpu(Cpu):
    uc_arch = uc.UC_ARCH_X86
    uc_mode = uc.UC_MODE_64
    registers = _x86_registers()
    _INVALIDATE_VA = 0xFFFF800000000000          # canonical kernel-half address

    _DIVIDE_ERROR = 0
    _BREAKPOINT = 3
    _INVALID_OPCODE = 6

    def _configure(self) -> None:
        # Must come before anything else runs on this instance (DESIGN.md §5, pitfall 3).
        self.emu.ctl_set_cpu_model(x86.UC_CPU_X86_HASWELL)

    def _install_hooks(self) -> None:
        self._add_hook(uc.UC_HOOK_INSN, HOOK_INSN_SYSCALL_CFUNC(self._syscall), ctypes.c_int(x86.UC_X86_INS_SYSCALL))
        self._add_hook(uc.UC_HOOK_INTR, HOOK_INTR_CFUNC(self._intr))

    def _syscall(self, _h: int, _ud: int) -> None:
        try:
            self._do_syscall()
        except Exception:
            self._bug("syscall")

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


_BACKENDS = {"riscv64": RiscvCpu, "x86_64": X86Cpu}


def new_cpu(isa: str, ram: PhysicalMemory, syscall_registers: Sequence[str], return_register: str) -> Cpu:
    """A CPU for `isa` (the name an `arch` object reports) over `ram`."""
    return _BACKENDS[isa](ram, syscall_registers, return_register)
