"""riscv64's ptrace register sets (arch/riscv/include/uapi/asm/ptrace.h): NT_PRSTATUS is struct
user_regs_struct, the pc then x1..x31; NT_PRFPREG is struct __riscv_d_ext_state, f0..f31 as 64-bit words and
fcsr (264 bytes with its padding).  riscv64 has no PEEKUSER or GETREGS: only the regsets."""
from __future__ import annotations

from pynix.arch.ptrace import PtraceRegs, RegisterFile

USER_REGS = ("pc",) + tuple(f"x{i}" for i in range(1, 32))


def _read_words(regs: RegisterFile, names: tuple[str, ...]) -> list[int]:
    return [regs.read(n) for n in names]


def _write_word(regs: RegisterFile, name: str, value: int) -> None:
    regs.write(name, value)


def _get_fpregs(regs: RegisterFile) -> bytes:
    return b"".join(regs.read_bytes(f"f{i}", 8) for i in range(32)) + regs.read_bytes("fcsr", 4) + bytes(4)


def _set_fpregs(regs: RegisterFile, data: bytes) -> None:
    for i in range(32):
        regs.write_bytes(f"f{i}", data[8 * i:8 * i + 8])
    regs.write_bytes("fcsr", data[256:260])


PTRACE_REGS = PtraceRegs(prstatus=USER_REGS, read_words=_read_words, write_word=_write_word, fpregs_size=264,
                         get_fpregs=_get_fpregs, set_fpregs=_set_fpregs, audit_arch=0xC00000F3)
