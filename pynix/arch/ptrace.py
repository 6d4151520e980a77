"""The register sets ptrace exposes (Linux's user_regset views of each ISA: arch/<isa>/kernel/ptrace.c).

A `PtraceRegs` says which registers make up NT_PRSTATUS (the general registers, as words in order) and how the
NT_PRFPREG block is laid out, so that pynix/task/ptrace.py reads and writes them without knowing the ISA.
Register names are the CPU's (hal); `ORIG` stands for the value the syscall return register had when the task
entered the kernel (x86's orig_rax), which the CPU itself does not keep.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Protocol

ORIG = "orig"


class RegisterFile(Protocol):
    """What a saved CPU context offers (hal's CpuContext)."""

    def read(self, name: str) -> int: ...
    def write(self, name: str, value: int) -> None: ...
    def read_bytes(self, name: str, size: int) -> bytes: ...
    def write_bytes(self, name: str, data: bytes) -> None: ...


@dataclass(frozen=True)
class PtraceRegs:
    prstatus: tuple[str, ...]                              # NT_PRSTATUS: one 64-bit word per name
    read_words: Callable[[RegisterFile, tuple[str, ...]], list[int]]   # the words of names that are not plain
    write_word: Callable[[RegisterFile, str, int], None]
    fpregs_size: int                                       # NT_PRFPREG
    get_fpregs: Callable[[RegisterFile], bytes]
    set_fpregs: Callable[[RegisterFile, bytes], None]
    audit_arch: int                                        # AUDIT_ARCH_* (ptrace_syscall_info.arch)
    user_size: int = 0                                     # struct user (PEEKUSER/POKEUSER); 0: no such requests
    debugreg_offset: int = 0                               # u_debugreg[8] inside struct user: they read as 0
    legacy_requests: bool = False                          # PTRACE_GETREGS/SETREGS/GETFPREGS/SETFPREGS exist

    @property
    def prstatus_size(self) -> int:
        return 8 * len(self.prstatus)
