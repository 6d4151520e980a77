"""ISA facts.  Generic code asks an `Arch` object for everything ISA-specific and never tests the ISA name.

An `Arch` is chosen once per process from the ELF header (`arch_for_elf_machine`).  It describes:
- the syscall ABI (which registers carry the number, the arguments and the result) and the syscall numbers,
- the page-table entry format (`PageTableFormat`: SV39 on riscv64, 4-level on x86_64),
- the user address-space layout and the initial register state of a new program,
- the auxiliary vector values (HWCAP, platform) and the layouts of structures that differ per ISA.
"""
from __future__ import annotations

import functools
import importlib
import operator
import re
import struct
from dataclasses import dataclass, field
from typing import Callable


@dataclass(frozen=True)
class PageTableFormat:
    """A radix page table of `levels` levels of 512 eight-byte entries over 4 KiB pages.

    The frame number of an entry sits at bit `pfn_shift` (`pfn_mask` wide).  `leaf_bits(prot)` gives the
    permission bits of a user leaf entry, `leaf_prot(pte)` turns them back into PROT_* bits (R=1, W=2, X=4);
    `table_bits` are the bits of an entry pointing at the next-level table.  `cow_bit` is a bit the hardware
    ignores, used by the kernel to mark copy-on-write pages.
    """
    levels: int
    pfn_shift: int
    pfn_mask: int
    present_bit: int
    table_bits: int
    cow_bit: int
    leaf_bits: Callable[[int], int]
    leaf_prot: Callable[[int], int]

    def pfn(self, pte: int) -> int:
        return (pte >> self.pfn_shift) & self.pfn_mask

    def make_table(self, pfn: int) -> int:
        return (pfn << self.pfn_shift) | self.table_bits

    def make_leaf(self, pfn: int, prot: int, cow: bool = False) -> int:
        return (pfn << self.pfn_shift) | self.leaf_bits(prot) | (self.cow_bit if cow else 0)


@dataclass(frozen=True)
class StatLayout:
    """`struct stat` of one ISA: a struct format and the order of its fields (None = padding, zero)."""
    fmt: str
    fields: tuple[str | None, ...]

    @property
    def size(self) -> int:
        return struct.calcsize(self.fmt)

    @functools.cached_property
    def _packer(self) -> tuple[Callable[..., bytes], Callable[[dict[str, int]], tuple[int, ...]]]:
        """The format with the padding fields as pad bytes, and a getter of the named fields in order: every
        stat(2) packs one (a generator over the fields cost a third of a cached stat's time)."""
        codes = re.findall(r"\d*[a-zA-Z?]", self.fmt.lstrip("<>=!@"))
        fmt = self.fmt[0] + "".join(f"{struct.calcsize('<' + code)}x" if name is None else code
                                    for code, name in zip(codes, self.fields))
        return struct.Struct(fmt).pack, operator.itemgetter(*(f for f in self.fields if f))

    def pack(self, values: dict[str, int]) -> bytes:
        pack, fields = self._packer
        return pack(*fields(values))


@dataclass(frozen=True)
class Arch:
    name: str                           # what uname -m prints
    compat_machine: str                 # what it prints under the PER_LINUX32 personality (COMPAT_UTS_MACHINE)
    elf_machine: int                    # e_machine of its ELF files
    audit_arch: int                     # AUDIT_ARCH_* (linux/audit.h): seccomp_data.arch, SIGSYS's si_arch
    syscall_names: dict[int, str]
    syscall_registers: tuple[str, ...]  # number first, then arguments 1..6
    return_register: str
    syscall_insn_size: int              # bytes to step back to execute a syscall instruction again
    tls_register: str
    page_table: PageTableFormat
    task_size: int                      # first address above user space
    stack_top: int
    mmap_base: int                      # top-down mmap allocations start below this
    et_dyn_base: int                    # load address of ET_DYN (PIE) programs
    hwcap: int
    platform: str | None                # AT_PLATFORM string, None where Linux gives none
    extra_auxv: tuple[tuple[int, int], ...]
    stat_layout: StatLayout
    sigaction_has_restorer: bool        # kernel struct sigaction carries sa_restorer
    clone_tls_before_child_tid: bool    # raw clone() order: flags, stack, ptid, tls, ctid (else ..., ctid, tls)
    signal_frame: object                # the rt_sigframe layout: build(...) / parse(...) (arch/<isa>/signal.py)
    sigreturn_trampoline: bytes         # code calling rt_sigreturn, mapped into every process
    extra_mmap_flags: tuple[tuple[int, str], ...]   # mmap flags only this ISA defines (for strace)
    epoll_event_format: str             # struct epoll_event (events, data): packed on x86_64, aligned elsewhere
    semid64_ds_format: str              # struct semid64_ds after its ipc64_perm: x86_64 pads each time field
    start_registers: Callable[[int, int], dict[str, int]] = field(repr=False)  # (entry, sp) -> registers
    cpuinfo: str = field(default="", repr=False)   # /proc/cpuinfo of this machine (its single CPU)
    breakpoint_si_code: int = 1         # si_code of a breakpoint instruction's SIGTRAP: TRAP_BRKPT (x86: SI_KERNEL)

    @property
    def gdb(self) -> object:
        """The GdbTarget (arch/gdb.py, arch/<isa>/gdb.py): registers and breakpoints for gdb, imported when a
        debugger first asks for it."""
        return importlib.import_module(f"pynix.arch.{self.name}.gdb").GDB_TARGET

    @property
    def ptrace(self) -> object:
        """The PtraceRegs (arch/ptrace.py, arch/<isa>/ptrace.py): ptrace's register sets, imported when a tracer
        first asks for them."""
        return importlib.import_module(f"pynix.arch.{self.name}.ptrace").PTRACE_REGS

    def syscall_number(self, name: str) -> int | None:
        for nr, n in self.syscall_names.items():
            if n == name:
                return nr
        return None


# uname -m -> package, and ELF e_machine (EM_X86_64, EM_RISCV) -> uname -m: a run imports only its own ISA.
ARCH_NAMES = ("riscv64", "x86_64")
ELF_MACHINES = {62: "x86_64", 243: "riscv64"}


def all_arches() -> list[Arch]:
    return [arch_by_name(name) for name in ARCH_NAMES]


def arch_by_name(name: str) -> Arch:
    if name not in ARCH_NAMES:
        raise KeyError(name)
    return importlib.import_module(f"pynix.arch.{name}").ARCH


def arch_for_elf_machine(machine: int) -> Arch | None:
    name = ELF_MACHINES.get(machine)
    return arch_by_name(name) if name is not None else None
