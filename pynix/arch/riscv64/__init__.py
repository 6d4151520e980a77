"""RISC-V 64 (RV64GC, LP64D) facts: SV39 page tables, the generic syscall table, the asm-generic stat."""
from pynix.arch import Arch, PageTableFormat, StatLayout
from pynix.arch.riscv64.signal import SIGNAL_FRAME, SIGRETURN_TRAMPOLINE
from pynix.arch.riscv64.syscall_nr import SYSCALL_NAMES

# SV39 page-table entry bits (privileged spec §4.4).
PTE_V, PTE_R, PTE_W, PTE_X, PTE_U, PTE_A, PTE_D = 0x1, 0x2, 0x4, 0x8, 0x10, 0x40, 0x80
PTE_RSW0 = 1 << 8                       # reserved for software: our copy-on-write mark

SV39 = PageTableFormat(
    levels=3, pfn_shift=10, pfn_mask=(1 << 44) - 1, present_bit=PTE_V, table_bits=PTE_V, cow_bit=PTE_RSW0,
    leaf_bits=lambda prot: PTE_V | PTE_U | PTE_A | PTE_D | ((prot & 7) << 1),   # R,W,X sit at bits 1..3
    leaf_prot=lambda pte: (pte >> 1) & 7,
)

# include/uapi/asm-generic/stat.h
GENERIC_STAT = StatLayout(
    fmt="<QQIIIIQQqiiqqQqQqQII",
    fields=("dev", "ino", "mode", "nlink", "uid", "gid", "rdev", None, "size", "blksize", None, "blocks",
            "atime", "atime_nsec", "mtime", "mtime_nsec", "ctime", "ctime_nsec", None, None),
)

# /proc/cpuinfo as Linux 6.1's show_cpuinfo prints it for an RV64GC hart with SV39 paging.
CPUINFO = (
    "processor\t: 0\n"
    "hart\t\t: 0\n"
    "isa\t\t: rv64imafdc\n"
    "mmu\t\t: sv39\n"
    "\n"
)

TASK_SIZE = 1 << 38                     # SV39: user space is the lower half of a 39-bit space

# HWCAP: one bit per single-letter ISA extension, bit (letter - 'a'): IMAFDC.
HWCAP = sum(1 << (ord(c) - ord("a")) for c in "imafdc")

ARCH = Arch(
    name="riscv64",
    compat_machine="riscv",
    elf_machine=243,                    # EM_RISCV
    audit_arch=0xC00000F3,              # AUDIT_ARCH_RISCV64: EM_RISCV | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE
    syscall_names=SYSCALL_NAMES,
    syscall_registers=("a7", "a0", "a1", "a2", "a3", "a4", "a5"),
    return_register="a0",
    syscall_insn_size=4,                # ecall (never compressed)
    tls_register="tp",
    page_table=SV39,
    task_size=TASK_SIZE,
    stack_top=TASK_SIZE,
    mmap_base=TASK_SIZE - (128 << 20),
    et_dyn_base=(TASK_SIZE // 3 * 2) & ~0xFFF,
    hwcap=HWCAP,
    platform=None,                      # Linux defines no ELF_PLATFORM for riscv
    extra_auxv=(),
    stat_layout=GENERIC_STAT,
    sigaction_has_restorer=False,
    clone_tls_before_child_tid=True,
    signal_frame=SIGNAL_FRAME,
    sigreturn_trampoline=SIGRETURN_TRAMPOLINE,
    extra_mmap_flags=(),
    epoll_event_format="<I4xQ",           # naturally aligned: 16 bytes
    semid64_ds_format="<qqQ16x",          # asm-generic: sem_otime, sem_ctime, sem_nsems, 2 unused
    start_registers=lambda entry, sp: {"pc": entry, "sp": sp},
    cpuinfo=CPUINFO,
)
