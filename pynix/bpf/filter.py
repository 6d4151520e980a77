"""Classic BPF (Linux's net/core/filter.c and include/uapi/linux/filter.h): the checker every classic program
passes before it is attached (`check_classic`, Linux's bpf_check_classic) and an interpreter (`run`).

A program is a list of `struct sock_filter { u16 code; u8 jt; u8 jf; u32 k; }` (8 bytes each, at most
BPF_MAXINSNS).  The machine has a 32-bit accumulator A, an index register X and 16 words of scratch memory M[].
Jumps only go forward, so every program ends; the checker makes sure every jump lands inside the program, the
last instruction returns, no scratch word is read before every path to the read stored it, shifts and divisions
by a constant are in range and the opcode is one Linux knows.  Users narrow it further: seccomp
(task/seccomp.py) accepts only the opcodes that make sense on a `struct seccomp_data`.

Linux converts a checked program to eBPF and runs that (or its JIT); here the classic instructions are
interpreted directly over a `bytes` context: packet bytes for a socket filter (loads are big-endian, network
order), the 64-byte `struct seccomp_data` for seccomp (loads in the machine's order, both ISAs little-endian).
The ancillary loads of socket filters (k >= SKF_AD_OFF) are refused by the checker, as a kernel without them.
"""
from __future__ import annotations

import errno
import struct
from typing import Sequence

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


def run(prog: Sequence[Insn], data: bytes, byteorder: str = "big") -> int:
    """Run checked program `prog` over `data`; its return value (a load past the end of `data` returns 0, as
    a socket filter that drops the packet).  Loads of words and halves read `byteorder`."""
    a = x = 0
    mem = [0] * BPF_MEMWORDS
    size = len(data)
    pc = 0
    while True:
        code, jt, jf, k = prog[pc]
        pc += 1
        cls = code & 0x07
        if cls == BPF_LD or cls == BPF_LDX:
            mode = code & 0xE0
            if mode == BPF_ABS or mode == BPF_IND:
                off = k if mode == BPF_ABS else (x + k) & _U32
                width = 4 if code & 0x18 == BPF_W else 2 if code & 0x18 == BPF_H else 1
                if off + width > size:
                    return 0
                a = int.from_bytes(data[off:off + width], byteorder)
                continue
            if mode == BPF_IMM:
                value = k
            elif mode == BPF_MEM:
                value = mem[k]
            elif mode == BPF_LEN:
                value = size
            else:                                   # BPF_MSH: X = 4 * (P[k] & 0xf), the IP header length
                if k >= size:
                    return 0
                value = (data[k] & 0xF) << 2
            if cls == BPF_LD:
                a = value
            else:
                x = value
        elif cls == BPF_JMP:
            op = code & 0xF0
            if op == BPF_JA:
                pc += k
                continue
            operand = x if code & BPF_X else k
            if op == BPF_JEQ:
                taken = a == operand
            elif op == BPF_JGT:
                taken = a > operand
            elif op == BPF_JGE:
                taken = a >= operand
            else:
                taken = a & operand != 0
            pc += jt if taken else jf
        elif cls == BPF_RET:
            return a if code & 0x18 == BPF_A else k
        elif cls == BPF_ALU:
            a = _alu(code & 0xF0, a, x if code & BPF_X else k)
            if a is None:                           # division by X == 0 ends the program, returning 0
                return 0
        elif cls == BPF_ST:
            mem[k] = a
        elif cls == BPF_STX:
            mem[k] = x
        elif code & 0xF8 == BPF_TXA:
            a = x
        else:
            x = a


def _alu(op: int, a: int, operand: int) -> int | None:
    if op == BPF_ADD:
        return (a + operand) & _U32
    if op == BPF_SUB:
        return (a - operand) & _U32
    if op == BPF_AND:
        return a & operand
    if op == BPF_OR:
        return a | operand
    if op == BPF_XOR:
        return a ^ operand
    if op == BPF_MUL:
        return (a * operand) & _U32
    if op == BPF_LSH:                               # a shift count is taken modulo 32, as x86's JIT does
        return (a << (operand & 31)) & _U32
    if op == BPF_RSH:
        return a >> (operand & 31)
    if op == BPF_NEG:
        return -a & _U32
    if operand == 0:
        return None
    return a // operand if op == BPF_DIV else a % operand
