"""Classic BPF (Linux's net/core/filter.c and include/uapi/linux/filter.h): the checker every classic program
passes before it is attached (`check_classic`, Linux's bpf_check_classic) and an interpreter (`run`).

A program is a list of `struct sock_filter { u16 code; u8 jt; u8 jf; u32 k; }` (8 bytes each, at most
BPF_MAXINSNS).  The machine has a 32-bit accumulator A, an index register X and 16 words of scratch memory M[].
Jumps only go forward, so every program ends; the checker makes sure every jump lands inside the program, the
last instruction returns, no scratch word is read before every path to the read stored it, shifts and divisions
by a constant are in range and the opcode is one Linux knows.  Users narrow it further: seccomp
(task/seccomp.py) accepts only the opcodes that make sense on a `struct seccomp_data`.

Linux converts a checked program to eBPF and runs that, or its JIT's machine code; here `compile_classic`
translates the classic program into a Python function over a `bytes` context: packet bytes for a socket filter
(loads are big-endian, network order), the 64-byte `struct seccomp_data` for seccomp (loads in the machine's
order, both ISAs little-endian).
The ancillary loads of socket filters (k >= SKF_AD_OFF) are refused by the checker, as a kernel without them.
"""
from __future__ import annotations

import errno
import struct
from typing import Callable, Sequence

from pynix.errors import KernelError

BPF_MAXINSNS = 4096
BPF_MEMWORDS = 16
SOCK_FILTER = struct.Struct("<HBBI")     # struct sock_filter
SKF_AD_OFF = -0x1000 & 0xFFFFFFFF

# instruction classes, sizes, modes, operations and sources (include/uapi/linux/bpf_common.h)
BPF_LD, BPF_LDX, BPF_ST, BPF_STX, BPF_ALU, BPF_JMP, BPF_RET, BPF_MISC = range(8)
BPF_W, BPF_H, BPF_B = 0x00, 0x08, 0x10
BPF_IMM, BPF_ABS, BPF_IND, BPF_MEM, BPF_LEN, BPF_MSH = 0x00, 0x20, 0x40, 0x60, 0x80, 0xA0
BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_OR, BPF_AND, BPF_LSH, BPF_RSH, BPF_NEG, BPF_MOD, BPF_XOR = (
    0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90, 0xA0)
BPF_JA, BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET = 0x00, 0x10, 0x20, 0x30, 0x40
BPF_K, BPF_X, BPF_A = 0x00, 0x08, 0x10
BPF_TAX, BPF_TXA = 0x00, 0x80

_ALU_OPS = (BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_MOD, BPF_AND, BPF_OR, BPF_XOR, BPF_LSH, BPF_RSH)
_CONDITIONAL = (BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET)
# chk_code_allowed: every opcode classic BPF defines
ALLOWED_CODES = frozenset(
    [BPF_ALU | op | src for op in _ALU_OPS for src in (BPF_K, BPF_X)] + [BPF_ALU | BPF_NEG]
    + [BPF_LD | size | mode for size in (BPF_W, BPF_H, BPF_B) for mode in (BPF_ABS, BPF_IND)]
    + [BPF_LD | BPF_W | BPF_LEN, BPF_LD | BPF_IMM, BPF_LD | BPF_MEM,
       BPF_LDX | BPF_W | BPF_LEN, BPF_LDX | BPF_B | BPF_MSH, BPF_LDX | BPF_IMM, BPF_LDX | BPF_MEM,
       BPF_ST, BPF_STX, BPF_MISC | BPF_TAX, BPF_MISC | BPF_TXA, BPF_RET | BPF_K, BPF_RET | BPF_A,
       BPF_JMP | BPF_JA]
    + [BPF_JMP | op | src for op in _CONDITIONAL for src in (BPF_K, BPF_X)])

Insn = tuple[int, int, int, int]         # (code, jt, jf, k)
_U32 = 0xFFFFFFFF


def decode(raw: bytes) -> list[Insn]:
    """The instructions of a user's `sock_filter` array."""
    return [SOCK_FILTER.unpack_from(raw, off) for off in range(0, len(raw), SOCK_FILTER.size)]


def check_classic(prog: Sequence[Insn]) -> None:
    """Linux's bpf_check_classic: EINVAL unless `prog` is a well-formed classic program (see the module)."""
    flen = len(prog)
    if not 0 < flen <= BPF_MAXINSNS:
        raise KernelError(errno.EINVAL, "a BPF program has 1 to 4096 instructions")
    for pc, (code, jt, jf, k) in enumerate(prog):
        if code not in ALLOWED_CODES:
            raise KernelError(errno.EINVAL, f"unknown BPF opcode {code:#x} at {pc}")
        cls = code & 0x07
        if cls == BPF_ALU and code & 0xF8 in (BPF_DIV | BPF_K, BPF_MOD | BPF_K) and k == 0:
            raise KernelError(errno.EINVAL, "BPF division by the constant 0")
        if cls == BPF_ALU and code & 0xF8 in (BPF_LSH | BPF_K, BPF_RSH | BPF_K) and k >= 32:
            raise KernelError(errno.EINVAL, "BPF shift by 32 or more")
        if code in (BPF_LD | BPF_MEM, BPF_LDX | BPF_MEM, BPF_ST, BPF_STX) and k >= BPF_MEMWORDS:
            raise KernelError(errno.EINVAL, "BPF scratch memory index out of range")
        if code == BPF_JMP | BPF_JA and k >= flen - pc - 1:
            raise KernelError(errno.EINVAL, "BPF jump out of the program")
        if cls == BPF_JMP and code != BPF_JMP | BPF_JA and (pc + jt + 1 >= flen or pc + jf + 1 >= flen):
            raise KernelError(errno.EINVAL, "BPF jump out of the program")
        if cls == BPF_LD and code & 0xE0 == BPF_ABS and k >= SKF_AD_OFF:
            raise KernelError(errno.EINVAL, "BPF ancillary loads are not supported")
    if prog[-1][0] not in (BPF_RET | BPF_K, BPF_RET | BPF_A):
        raise KernelError(errno.EINVAL, "a BPF program must end with a return")
    _check_load_and_stores(prog)


def _check_load_and_stores(prog: Sequence[Insn]) -> None:
    """Linux's check_load_and_stores: a scratch word may be read only where every path to the read stored it
    (one bit per word; a jump hands its set to its targets, which keep what all their predecessors agree on)."""
    masks = [0xFFFF] * len(prog)
    valid = 0
    for pc, (code, jt, jf, k) in enumerate(prog):
        valid &= masks[pc]
        if code in (BPF_ST, BPF_STX):
            valid |= 1 << k
        elif code in (BPF_LD | BPF_MEM, BPF_LDX | BPF_MEM):
            if not valid >> k & 1:
                raise KernelError(errno.EINVAL, f"BPF scratch word M[{k}] read before it is written")
        elif code == BPF_JMP | BPF_JA:
            masks[pc + 1 + k] &= valid
            valid = 0xFFFF
        elif code & 0x07 == BPF_JMP:
            masks[pc + 1 + jt] &= valid
            masks[pc + 1 + jf] &= valid
            valid = 0xFFFF


def compile_classic(prog: Sequence[Insn], byteorder: str = "big", size: int | None = None) -> Callable[[bytes], int]:
    """Linux's BPF JIT for a checked program: a Python function `filter(data) -> return value`.

    Jumps only go forward, so the program is emitted as its basic blocks in order, each guarded by a test of
    the label `L` the previous blocks chose: one pass through the blocks runs exactly the path taken, with
    every instruction a Python statement instead of a trip around an interpreter loop.  A load past the end of
    `data` returns 0 (a socket filter that drops the packet), as does a division by X == 0.  Words and halves
    are read `byteorder`; with `size`, every `data` has that length and the loads' bounds are settled here."""
    flen = len(prog)
    leaders = {0}
    for pc, (code, jt, jf, k) in enumerate(prog):
        if code & 0x07 == BPF_JMP:
            leaders |= {pc + 1 + k} if code == BPF_JMP | BPF_JA else {pc + 1 + jt, pc + 1 + jf}
        if code & 0x07 in (BPF_JMP, BPF_RET) and pc + 1 < flen:
            leaders.add(pc + 1)
    words = sorted({k for code, _, _, k in prog if code in (BPF_ST, BPF_STX, BPF_LD | BPF_MEM, BPF_LDX | BPF_MEM)})
    lines = ["def bpf_filter(d):", "    n = len(d)" if size is None else f"    n = {size}", "    A = X = L = 0"]
    lines += [f"    m{w} = 0" for w in words]
    for pc, insn in enumerate(prog):
        if pc in leaders:
            if pc:
                if _falls_through(prog[pc - 1]):
                    lines.append(f"        L = {pc}")
            lines.append(f"    if L == {pc}:")
        lines += ["        " + stmt for stmt in _statements(pc, insn, byteorder, size)]
    namespace: dict = {}
    exec(compile("\n".join(lines), f"<bpf program of {flen} instructions>", "exec"), namespace)
    return namespace["bpf_filter"]


def _falls_through(insn: Insn) -> bool:
    return insn[0] & 0x07 not in (BPF_JMP, BPF_RET)


def _statements(pc: int, insn: Insn, byteorder: str, size: int | None) -> list[str]:
    """The Python statements of one instruction (see compile_classic)."""
    code, jt, jf, k = insn
    cls = code & 0x07
    src = "X" if code & BPF_X else str(k)
    if cls in (BPF_LD, BPF_LDX):
        mode = code & 0xE0
        reg = "A" if cls == BPF_LD else "X"
        if mode in (BPF_ABS, BPF_IND):
            width = {BPF_W: 4, BPF_H: 2, BPF_B: 1}[code & 0x18]
            read = (lambda at: f"d[{at}]") if width == 1 else \
                (lambda at: f"int.from_bytes(d[{at}:{at} + {width}], {byteorder!r})")
            if mode == BPF_ABS:
                if size is not None:
                    return ["return 0"] if k + width > size else [f"A = {read(k)}"]
                return [f"if n < {k + width}: return 0", f"A = {read(k)}"]
            return [f"o = (X + {k}) & {_U32}", f"if o + {width} > n: return 0", f"A = {read('o')}"]
        if mode == BPF_IMM:
            return [f"{reg} = {k}"]
        if mode == BPF_MEM:
            return [f"{reg} = m{k}"]
        if mode == BPF_LEN:
            return [f"{reg} = n"]
        return [f"if n <= {k}: return 0", f"X = (d[{k}] & 15) << 2"]   # BPF_MSH: 4 * the IP header's IHL
    if cls == BPF_ST:
        return [f"m{k} = A"]
    if cls == BPF_STX:
        return [f"m{k} = X"]
    if cls == BPF_MISC:
        return ["A = X"] if code & 0xF8 == BPF_TXA else ["X = A"]
    if cls == BPF_RET:
        return ["return A"] if code & 0x18 == BPF_A else [f"return {k}"]
    if cls == BPF_ALU:
        op = code & 0xF0
        guard = ["if not X: return 0"] if code & BPF_X and op in (BPF_DIV, BPF_MOD) else []
        expr = {BPF_ADD: f"(A + {src}) & {_U32}", BPF_SUB: f"(A - {src}) & {_U32}",
                BPF_MUL: f"(A * {src}) & {_U32}", BPF_DIV: f"A // {src}", BPF_MOD: f"A % {src}",
                BPF_AND: f"A & {src}", BPF_OR: f"A | {src}", BPF_XOR: f"A ^ {src}",
                BPF_LSH: f"(A << ({src} & 31)) & {_U32}", BPF_RSH: f"A >> ({src} & 31)",
                BPF_NEG: f"-A & {_U32}"}[op]    # (a shift count is taken modulo 32, as x86's JIT does)
        return guard + [f"A = {expr}"]
    op = code & 0xF0                                # BPF_JMP
    if op == BPF_JA:
        return [f"L = {pc + 1 + k}"]
    if jt == jf:
        return [f"L = {pc + 1 + jt}"]
    cond = {BPF_JEQ: f"A == {src}", BPF_JGT: f"A > {src}", BPF_JGE: f"A >= {src}", BPF_JSET: f"A & {src}"}[op]
    return [f"L = {pc + 1 + jt} if {cond} else {pc + 1 + jf}"]
