"""x86_64's ptrace register sets (arch/x86/include/asm/user_64.h): struct user_regs_struct (27 words, with
orig_rax and the fs/gs bases), the 512-byte FXSAVE image of struct user_fpregs_struct, struct user for
PEEKUSER/POKEUSER (the debug registers read as 0: pynix keeps no hardware breakpoints)."""
from __future__ import annotations

import struct

from pynix.arch.ptrace import ORIG, PtraceRegs, RegisterFile

USER_REGS = ("r15", "r14", "r13", "r12", "rbp", "rbx", "r11", "r10", "r9", "r8", "rax", "rcx", "rdx", "rsi",
             "rdi", ORIG, "rip", "cs", "rflags", "rsp", "ss", "fs_base", "gs_base", "ds", "es", "fs", "gs")
# The segment selectors of every 64-bit Linux user task (__USER_CS, __USER_DS; the data selectors are 0): fixed,
# so they are reported as Linux's (debuggers tell a 64-bit task by its cs) whatever the emulator keeps.
SELECTORS = {"cs": 0x33, "ss": 0x2B, "ds": 0, "es": 0, "fs": 0, "gs": 0}
FXSAVE = struct.Struct("<HHBxHQQII")                       # cwd swd ftw(abridged) fop rip rdp mxcsr mxcsr_mask
MXCSR_MASK = 0xFFFF


def _read_words(regs: RegisterFile, names: tuple[str, ...]) -> list[int]:
    return [SELECTORS[n] if n in SELECTORS else int.from_bytes(regs.read_bytes(n, 8), "little") if n == "rflags"
            else regs.read(n) for n in names]


def _write_word(regs: RegisterFile, name: str, value: int) -> None:
    if name in SELECTORS:
        return                                  # (Linux refuses other values; the same ones change nothing)
    if name == "rflags":
        regs.write_bytes(name, (value & 0x3F0FD5 | 0x2).to_bytes(8, "little"))   # the user-changeable flags
        return
    regs.write(name, value)


def _get_fpregs(regs: RegisterFile) -> bytes:
    tag = int.from_bytes(regs.read_bytes("fptag", 2), "little")
    abridged = sum(1 << i for i in range(8) if (tag >> 2 * i) & 3 != 3)    # FXSAVE's one bit per non-empty reg
    head = FXSAVE.pack(int.from_bytes(regs.read_bytes("fpcw", 2), "little"),
                       int.from_bytes(regs.read_bytes("fpsw", 2), "little"), abridged, 0, 0, 0,
                       int.from_bytes(regs.read_bytes("mxcsr", 4), "little"), MXCSR_MASK)
    st = b"".join(regs.read_bytes(f"st{i}", 10).ljust(16, b"\0") for i in range(8))
    xmm = b"".join(regs.read_bytes(f"xmm{i}", 16) for i in range(16))
    return (head + st + xmm).ljust(512, b"\0")


def _set_fpregs(regs: RegisterFile, data: bytes) -> None:
    cwd, swd, _ftw, _fop, _rip, _rdp, mxcsr, _mask = FXSAVE.unpack_from(data)
    regs.write_bytes("fpcw", cwd.to_bytes(2, "little"))
    regs.write_bytes("fpsw", swd.to_bytes(2, "little"))
    regs.write_bytes("mxcsr", (mxcsr & MXCSR_MASK).to_bytes(4, "little"))
    for i in range(8):
        regs.write_bytes(f"st{i}", data[32 + 16 * i:42 + 16 * i])
    for i in range(16):
        regs.write_bytes(f"xmm{i}", data[160 + 16 * i:176 + 16 * i])


PTRACE_REGS = PtraceRegs(prstatus=USER_REGS, read_words=_read_words, write_word=_write_word, fpregs_size=512,
                         get_fpregs=_get_fpregs, set_fpregs=_set_fpregs, audit_arch=0xC000003E, user_size=912, debugreg_offset=848,
                         legacy_requests=True)
