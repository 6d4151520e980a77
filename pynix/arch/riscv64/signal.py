"""The riscv64 rt_sigframe (arch/riscv/kernel/signal.c, arch/riscv/include/uapi/asm/{ucontext,sigcontext}.h).

    frame+0    struct siginfo (128 bytes)
    frame+128  struct ucontext: uc_flags, uc_link, uc_stack (ss_sp, ss_flags, ss_size), uc_sigmask,
               120 unused bytes, then (16-byte aligned, at uc+176) uc_mcontext: the 32 user registers
               (pc, ra, sp, gp, tp, t0-t2, s0-s1, a0-a7, s2-s11, t3-t6) and the D-extension FP state
               (f0-f31 as 64-bit values, fcsr) inside the 528-byte union __riscv_fp_state
The handler starts with sp = frame, a0 = signal number, a1 = &info, a2 = &uc and ra = the sigreturn
trampoline (riscv has no SA_RESTORER; Linux uses the vDSO's, pynix maps a one-page trampoline).
"""
from __future__ import annotations

import struct

USER_REGS = ("pc", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5",
             "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6")
FREGS = tuple(f"f{i}" for i in range(32))
UC_OFFSET = 128
SIGMASK_OFFSET = UC_OFFSET + 40
MCONTEXT_OFFSET = UC_OFFSET + 176
FP_OFFSET = MCONTEXT_OFFSET + 256
FRAME_SIZE = FP_OFFSET + 528


class RiscvSignalFrame:
    size = FRAME_SIZE
    saved_registers = USER_REGS + FREGS + ("fcsr",)

    def build(self, regs: dict[str, int], sp: int, sig: int, info: bytes, mask: int,
              stack: tuple[int, int, int], handler: int, restorer: int) -> tuple[int, bytes, dict[str, int]]:
        frame = (sp - FRAME_SIZE) & ~15
        ss_sp, ss_flags, ss_size = stack
        ucontext = struct.pack("<QQQiiQQ", 0, 0, ss_sp, ss_flags, 0, ss_size, mask).ljust(176, b"\0")
        ucontext += struct.pack("<32Q", *(regs[r] for r in USER_REGS))
        ucontext += struct.pack("<32QI", *(regs[f] for f in FREGS), regs["fcsr"]).ljust(528, b"\0")
        new = {"sp": frame, "pc": handler, "a0": sig, "a1": frame, "a2": frame + UC_OFFSET, "ra": restorer}
        return frame, info + ucontext, new

    def frame_address_at_return(self, sp: int) -> int:
        return sp                                  # the handler returned with sp back at the frame

    def parse(self, frame: bytes) -> tuple[dict[str, int], int]:
        regs = dict(zip(USER_REGS, struct.unpack_from("<32Q", frame, MCONTEXT_OFFSET)))
        fp = struct.unpack_from("<32QI", frame, FP_OFFSET)
        regs.update(zip(FREGS, fp[:32]))
        regs["fcsr"] = fp[32]
        (mask,) = struct.unpack_from("<Q", frame, SIGMASK_OFFSET)
        return regs, mask


SIGNAL_FRAME = RiscvSignalFrame()
# li a7, 139 (rt_sigreturn); ecall
SIGRETURN_TRAMPOLINE = struct.pack("<II", (139 << 20) | (17 << 7) | 0x13, 0x73)
