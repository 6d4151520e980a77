"""The x86_64 rt_sigframe (arch/x86/kernel/signal.c, arch/x86/include/uapi/asm/sigcontext.h).

    frame+0    pretcode: the return address of the handler (sa_restorer, which calls rt_sigreturn)
    frame+8    struct ucontext: uc_flags, uc_link, uc_stack (ss_sp, ss_flags, ss_size),
               uc_mcontext (struct sigcontext: r8..r15, rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags,
               cs/gs/fs/ss, err, trapno, oldmask, cr2, fpstate pointer, 8 reserved), uc_sigmask
    frame+312  struct siginfo (128 bytes)
    frame+456  the FXSAVE-format FPU state (512 bytes) that uc_mcontext.fpstate points at
The handler starts with rsp = frame (so rsp+8 is 16-byte aligned, as after a call), rdi = signal number,
rsi = &info, rdx = &uc.  Linux places the FPU state in its own area above the frame; keeping it inside the
frame at a fixed offset is this kernel's simplification (programs find it through the fpstate pointer).
"""
from __future__ import annotations

import struct

GREGS = ("r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rdi", "rsi", "rbp", "rbx", "rdx", "rax", "rcx",
         "rsp", "rip", "rflags")
XMM = tuple(f"xmm{i}" for i in range(16))
UC_OFFSET, INFO_OFFSET, FP_OFFSET = 8, 312, 456
MCONTEXT_OFFSET = UC_OFFSET + 40
SIGMASK_OFFSET = UC_OFFSET + 296
FRAME_SIZE = FP_OFFSET + 512
UC_SIGCONTEXT_SS, UC_STRICT_RESTORE_SS = 2, 4
RED_ZONE = 128
EFLAGS_CLEAR = 0x400 | 0x100 | 0x10000          # DF, TF, RF
USER_CS, USER_SS = 0x33, 0x2B


class X86SignalFrame:
    size = FRAME_SIZE
    saved_registers = ("sp",) + GREGS + ("fpcw", "fpsw", "mxcsr") + XMM

    def build(self, regs: dict[str, int], sp: int, sig: int, info: bytes, mask: int,
              stack: tuple[int, int, int], handler: int, restorer: int) -> tuple[int, bytes, dict[str, int]]:
        frame = ((sp - RED_ZONE - FRAME_SIZE) & ~15) - 8
        fp = bytearray(512)
        struct.pack_into("<HH", fp, 0, regs["fpcw"], regs["fpsw"])
        struct.pack_into("<II", fp, 24, regs["mxcsr"], 0xFFFF)
        for i, name in enumerate(XMM):
            fp[160 + 16 * i:176 + 16 * i] = regs[name].to_bytes(16, "little")
        mcontext = struct.pack("<18Q4HQQQQQ8Q", *(regs[r] for r in GREGS), USER_CS, 0, 0, USER_SS,
                               0, 0, mask, 0, frame + FP_OFFSET, *([0] * 8))
        ss_sp, ss_flags, ss_size = stack
        ucontext = struct.pack("<QQQiiQ", UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS, 0, ss_sp, ss_flags, 0,
                               ss_size) + mcontext + struct.pack("<Q", mask)
        data = struct.pack("<Q", restorer) + ucontext + info
        data = data.ljust(FP_OFFSET, b"\0") + bytes(fp)
        new = {"sp": frame, "pc": handler, "rdi": sig, "rsi": frame + INFO_OFFSET, "rdx": frame + UC_OFFSET,
               "rax": 0, "rflags": regs["rflags"] & ~EFLAGS_CLEAR}
        return frame, data, new

    def frame_address_at_return(self, sp: int) -> int:
        return sp - 8                              # the handler's `ret` popped pretcode

    def parse(self, frame: bytes) -> tuple[dict[str, int], int]:
        values = struct.unpack_from("<18Q", frame, MCONTEXT_OFFSET)
        regs = dict(zip(GREGS, values))
        regs["sp"] = regs.pop("rsp")
        regs["pc"] = regs.pop("rip")
        fcw, fsw = struct.unpack_from("<HH", frame, FP_OFFSET)
        regs.update(fpcw=fcw, fpsw=fsw, mxcsr=struct.unpack_from("<I", frame, FP_OFFSET + 24)[0])
        for i, name in enumerate(XMM):
            regs[name] = int.from_bytes(frame[FP_OFFSET + 160 + 16 * i:FP_OFFSET + 176 + 16 * i], "little")
        (mask,) = struct.unpack_from("<Q", frame, SIGMASK_OFFSET)
        return regs, mask


SIGNAL_FRAME = X86SignalFrame()
# mov eax, 15 (rt_sigreturn); syscall -- used only by programs that give no SA_RESTORER
SIGRETURN_TRAMPOLINE = bytes.fromhex("b80f0000000f05")
