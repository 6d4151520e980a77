"""A saved user register context (CpuContext): the state a task's registers are kept in while it does not run.

Linux keeps a task's user registers in its pt_regs and its FP/vector state in thread.fpu (x86) or
thread.fstate (riscv); pynix keeps both in one uc_context, saved and restored by a memcpy inside Unicorn
(Cpu.save_context, update_context, restore_context in cpu.py).
"""
from __future__ import annotations

import ctypes
from typing import TYPE_CHECKING

from pynix.hal.uc_ctypes import (fast_context_alloc, fast_context_reg_read, fast_context_reg_write,
                                 fast_context_size, fast_reg_read, fast_reg_write, fast_uclib)

if TYPE_CHECKING:
    from pynix.hal.cpu import Cpu

_U64 = 0xFFFFFFFFFFFFFFFF
_context_box = ctypes.c_uint64()                               # CpuContext's register values pass through here
_context_box_arg = ctypes.byref(_context_box)


class CpuContext:
    """A saved user register context: all the CPU state Unicorn keeps (FP and vector registers too), in a
    uc_context of its own.  Its 64-bit registers can be read and written by name."""
    __slots__ = ("_handle", "_words", "_registers", "_engine", "_cpu")

    def __init__(self, engine: object, words: dict[str, int], registers: dict[str, int],
                 cpu: "Cpu | None" = None) -> None:
        self._handle = ctypes.c_void_p()        # the uc_context pointer, passed as it is to the fast calls
        if fast_context_alloc(engine, ctypes.byref(self._handle)) != 0:
            raise MemoryError("uc_context_alloc failed")
        self._words = words
        self._registers = registers
        self._engine = engine
        self._cpu = cpu

    def __deepcopy__(self, memo: dict) -> "CpuContext":
        """A context of its own holding the same registers (a copy of the machine: the Python API's
        snapshots)."""
        other = CpuContext(self._engine, self._words, self._registers, self._cpu)
        ctypes.memmove(other._handle, self._handle, fast_context_size(self._engine))
        memo[id(self)] = other
        return other

    def __del__(self, free=fast_uclib.uc_context_free) -> None:
        if self._handle:
            free(self._handle)

    def read(self, name: str) -> int:
        fast_context_reg_read(self._handle, self._words[name], _context_box_arg)
        return _context_box.value

    def write(self, name: str, value: int) -> None:
        _context_box.value = value & _U64
        fast_context_reg_write(self._handle, self._words[name], _context_box_arg)

    def read_bytes(self, name: str, size: int) -> bytes:
        """Any register by its size in bytes (x86's 16-byte xmm, 10-byte x87 stack, 2-byte selectors and control
        words): what a debugger's register dump (ptrace's GETFPREGS) reads.  Zero-extended to `size`."""
        buf = ctypes.create_string_buffer(max(size, 8))
        if self._cpu is not None and name in self._cpu.live_only_registers:
            self._cpu.access_in_context(self, lambda engine: fast_reg_read(engine, self._registers[name], buf))
        else:
            fast_context_reg_read(self._handle, self._registers[name], buf)
        return buf.raw[:size]

    def write_bytes(self, name: str, data: bytes) -> None:
        buf = ctypes.create_string_buffer(bytes(data).ljust(8, b"\0"))
        if self._cpu is not None and name in self._cpu.live_only_registers:
            self._cpu.access_in_context(self, lambda engine: fast_reg_write(engine, self._registers[name], buf),
                                        write=True)
        else:
            fast_context_reg_write(self._handle, self._registers[name], buf)

