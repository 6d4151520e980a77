"""The three places where pynix reaches into Unicorn's private state, each found by a search that proves
itself; the first two at start-up, reported by `pynix run -v` (Cpu.internals).

- The register window (`find_register_window`): the guest's syscall registers as plain host memory, so the
  syscall path reads its number and arguments and writes its result with no call into C (~0.7 us a syscall).
  Without it the syscall path uses Unicorn's register API: slower, nothing else changes.
- Exits only between translation blocks (`exits_only_between_blocks`, Unicorn's `no_exit_request` flag):
  without it an asynchronous stop (the preemption timer) may land after a guest store and replay the storing
  instruction on resume, so a preempted read-modify-write (x86 `add [m], 1`, an `amoadd`) takes effect twice
  -- preemption is then not transparent to the guest.
- The exact fault address (`fault_address_offset`, Unicorn's `invalid_addr`): the TLB-fill hook is told only
  the page of a faulting access, but Linux puts the address itself in a fault's si_addr.  Looked for once, at
  the first fault that becomes a signal (demand-paging faults never need it).  Without it si_addr is the page.

Another Unicorn build may lay its structs out differently; then a search finds nothing (it never guesses) and
the trick is reported inactive.
"""
from __future__ import annotations

import bisect
import ctypes
import functools
import os
import struct
from dataclasses import dataclass
from typing import Sequence

import unicorn as uc
from unicorn.unicorn_py3.unicorn import uclib


@dataclass(frozen=True)
class UnicornInternals:
    """Which of the two tricks are active on this CPU."""
    register_window: bool
    exits_between_blocks: bool

    def report(self) -> list[str]:
        """One line per trick for the kernel log (`pynix run -v`)."""
        return [
            "unicorn: register window " + ("active: syscall registers are read and written as memory"
                                           if self.register_window else
                                           "NOT found: syscalls go through the register API (slower)"),
            "unicorn: no_exit_request " + ("active: preemption stops only between translated blocks"
                                           if self.exits_between_blocks else
                                           "NOT set: a preempted read-modify-write instruction may take effect "
                                           "twice"),
        ]


# ------------------------------------------------------------------------------------- the register window
def find_register_window(emu: "uc.Uc", reg_ids: Sequence[int]) -> tuple[memoryview, tuple[int, ...]] | None:
    """The registers `reg_ids` (the syscall number, the six arguments, the return register and the pc) as host
    memory: a memoryview of 64-bit words and the index in it of each register -- or None if they cannot be found.

    Unicorn keeps the guest registers in one C struct (QEMU's CPUArchState); its reg_read/reg_write only
    copy from and to it, and inside a syscall hook that struct holds the live values.  So the syscall path
    may read and write them as plain memory and save two ctypes calls per syscall (KVM's shared kvm_run
    "sync regs" page exists for the same reason).  No API gives the struct's address, so it is found: the
    registers get random marker values through the API, the markers are searched for in the objects the
    engine struct points to, and every address found must then follow its register in lockstep (a second
    set of markers, then the original values, written through the API).  Anything unexpected (another
    Unicorn build, no /proc) gives None."""
    reg_ids = list(reg_ids)
    saved = [emu.reg_read(r) for r in reg_ids]

    def set_registers(values: Sequence[int]) -> None:
        """Write the registers through the API, from one reused buffer that is wiped afterwards: no stray copy
        of a marker is left in host memory for the search to find."""
        box = ctypes.c_uint64()
        for reg, value in zip(reg_ids, values):
            box.value = value
            uclib.uc_reg_write(emu._uch, reg, ctypes.byref(box))
        box.value = 0

    def mark() -> list[int]:
        """Give each register a fresh random value (distinct from every other) and return the values."""
        values = [int.from_bytes(os.urandom(8), "little") | 1 for _ in reg_ids]
        # Registers that share storage (x86 rax is both the number and the return register) share a marker.
        for i, reg in enumerate(reg_ids):
            values[i] = values[reg_ids.index(reg)]
        set_registers(values)
        return values

    try:
        addresses = _find_words(emu._uch.value, mark())
        if addresses is None:
            return None

        def seen() -> list[int]:
            return [ctypes.c_uint64.from_address(a).value for a in addresses]
        marked = mark()
        if seen() != marked:
            return None
        set_registers(saved)
        if seen() != saved:
            return None
    except (OSError, ValueError):
        return None
    finally:
        set_registers(saved)
    base, top = min(addresses), max(addresses)
    if top - base >= 4096:
        return None
    words = (ctypes.c_uint64 * ((top - base) // 8 + 1)).from_address(base)
    return memoryview(words).cast("B").cast("Q"), tuple((a - base) // 8 for a in addresses)


def _find_words(struct_address: int, values: Sequence[int], struct_size: int = 4096,
                object_size: int = 1 << 17) -> list[int] | None:
    """Addresses of the 64-bit words `values` (8-aligned, all inside one object that a pointer among the
    first `struct_size` bytes at `struct_address` points to), or None.  Only memory that cannot fault is read:
    anonymous read-write mappings (malloc's heap and mmaps) as listed by /proc/self/maps."""
    ranges = []
    with open("/proc/self/maps") as maps:
        for line in maps:
            span, perms, _offset, _device, inode = line.split()[:5]
            if perms.startswith("rw") and inode == "0":
                ranges.append(tuple(int(x, 16) for x in span.split("-")))
    starts = [low for low, _ in ranges]

    def readable(address: int, size: int) -> int:         # how many bytes from `address` may be read
        i = bisect.bisect_right(starts, address) - 1
        return max(0, min(ranges[i][1] - address, size)) if i >= 0 else 0

    def find_aligned(memory: bytes, pattern: bytes) -> int:
        offset = memory.find(pattern)
        while offset > 0 and offset % 8:
            offset = memory.find(pattern, offset + 1)
        return offset

    fields = ctypes.string_at(struct_address, readable(struct_address, struct_size) // 8 * 8)
    patterns = [v.to_bytes(8, "little") for v in values]
    seen = set()
    for (pointer,) in struct.iter_unpack("Q", fields):
        size = readable(pointer, object_size)
        if size < 8 or pointer in seen:
            continue
        seen.add(pointer)
        memory = ctypes.string_at(pointer, size)
        if find_aligned(memory, patterns[0]) < 0:
            continue
        offsets = [find_aligned(memory, p) for p in patterns]
        if min(offsets) >= 0:
            return [pointer + o for o in offsets]
    return None



# ---------------------------------------------------------------------------- exits only between blocks
def exits_only_between_blocks(emu: "uc.Uc") -> ctypes.c_bool | None:
    """Make asynchronous stops (the timeslice timeout, `emu_stop` from another thread) take effect only at the
    start of a translation block, where the guest state is exact.  Returns False if that could not be arranged.

    Why: Unicorn also polls for a pending stop after every guest memory store, and honours it by rewinding the
    pc to the start of the storing instruction -- whose store has already happened.  On resume the instruction
    runs again, so a preempted read-modify-write (x86 `add [m], 1`, an emulated `amoadd`, the increment
    inside a pthread mutex) takes effect twice.  Unicorn leaves those per-store polls out of the code it
    translates while its `no_exit_request` flag is set (its workaround for ARM IT blocks); the polls at every
    block start stay, so a guest loop is still preempted within one block (at most 512 instructions).

    The flag is a field of Unicorn's private engine struct, so it is found the way `find_register_window`
    finds the registers: it is the third of four flags that follow the field `context_content` (an int, 1 by
    default, that uc_ctl(UC_CTL_CONTEXT_MODE) sets), the int `cpu_context_size`, and the 64-bit `next_pc`.
    The mode field must follow two writes through the API in lockstep before anything is written."""
    handle = emu._uch
    request = (uc.UC_CTL_IO_WRITE << 30) | (1 << 26) | uc.UC_CTL_CONTEXT_MODE

    def set_mode(mode: int) -> None:
        uclib.uc_ctl(handle, request, ctypes.c_int(mode))

    context_size = uclib.uc_context_size(handle)
    fields = ctypes.string_at(handle.value, 4096)
    for offset in range(0, len(fields) - 24, 4):
        mode, cpu_context_size = struct.unpack_from("<iI", fields, offset)
        # uc_context_size() is sizeof(struct uc_context), a small header, plus cpu_context_size.
        if mode != uc.UC_CTL_CONTEXT_CPU or not 0 < context_size - cpu_context_size <= 128:
            continue
        field = ctypes.c_int.from_address(handle.value + offset)
        set_mode(uc.UC_CTL_CONTEXT_CPU | uc.UC_CTL_CONTEXT_MEMORY)
        followed = field.value == uc.UC_CTL_CONTEXT_CPU | uc.UC_CTL_CONTEXT_MEMORY
        set_mode(uc.UC_CTL_CONTEXT_CPU)
        if not followed or field.value != uc.UC_CTL_CONTEXT_CPU:
            continue
        flags = (offset + 8 + 7) // 8 * 8 + 8        # after cpu_context_size and the aligned next_pc
        hook_insert, _first_tb, no_exit_request, init_done = fields[flags:flags + 4]
        if (hook_insert, no_exit_request, init_done) != (0, 0, 1):
            return None
        flag = ctypes.c_bool.from_address(handle.value + flags + 2)
        flag.value = True
        return flag                                # (Cpu.single_step clears it while one block is translated)
    return None


# ------------------------------------------------------------------------------------ the exact fault address
@functools.cache
def fault_address_offset() -> int | None:
    """Where in Unicorn's engine struct a fault's exact address is (an offset from the engine's address), or None.

    In virtual-TLB mode the fill hook receives `address & TARGET_PAGE_MASK` (unicorn_fill_tlb); when it refuses
    the access, Unicorn records the whole address in the engine's `invalid_addr` (raise_mmu_exception), which no
    API returns.  It is found on a scratch engine whose fill hook refuses every data page: a one-byte load from
    two odd addresses on two different pages, and the field must hold each in turn.  The engine struct is the
    same for every ISA of one Unicorn build, so an x86_64 scratch engine serves both.  1-5 ms, once."""
    import unicorn.x86_const as x86
    code_va, markers = 0x10000, (0x12345677, 0x2468ace1)
    emu = uc.Uc(uc.UC_ARCH_X86, uc.UC_MODE_64)
    emu.ctl_set_tcg_buffer_size(1 << 20)
    emu.ctl_set_tlb_mode(uc.UC_TLB_VIRTUAL)
    emu.mem_map(0, 4096)
    emu.mem_write(0, b"\x8a\x00")                       # mov al, [rax]

    def fill(_uc: object, va: int, _access: int, entry: object, _data: object) -> bool:
        entry.paddr, entry.perms = 0, uc.UC_PROT_READ | uc.UC_PROT_EXEC
        return va == code_va
    emu.hook_add(uc.UC_HOOK_TLB_FILL, fill)
    candidates = None
    for marker in markers:
        emu.reg_write(x86.UC_X86_REG_RAX, marker)
        try:
            emu.emu_start(code_va, code_va + 2)
            return None                                   # the load did not fault: nothing to learn
        except uc.UcError:
            pass
        words = struct.unpack_from("512Q", ctypes.string_at(emu._uch.value, 4096))
        found = {8 * i for i, word in enumerate(words) if word == marker}
        candidates = found if candidates is None else candidates & found
    return candidates.pop() if candidates is not None and len(candidates) == 1 else None
