"""x86-64 facts: 4-level page tables, the x86_64 syscall table, the x86_64 stat, FS-base TLS."""
from pynix.arch import Arch, PageTableFormat, StatLayout
from pynix.arch.x86_64.syscall_nr import SYSCALL_NAMES

# 4-level paging entry bits (Intel SDM vol. 3 §4.5).
PTE_P, PTE_RW, PTE_US, PTE_A, PTE_D = 0x1, 0x2, 0x4, 0x20, 0x40
PTE_AVL9 = 1 << 9                       # ignored by hardware: our copy-on-write mark
PTE_NX = 1 << 63

PAGING_4LEVEL = PageTableFormat(
    levels=4, pfn_shift=12, pfn_mask=(1 << 40) - 1, present_bit=PTE_P, table_bits=PTE_P | PTE_RW | PTE_US,
    cow_bit=PTE_AVL9,
    leaf_bits=lambda prot: PTE_P | PTE_US | PTE_A | PTE_D | (PTE_RW if prot & 2 else 0) | (0 if prot & 4 else PTE_NX),
    leaf_prot=lambda pte: 1 | (2 if pte & PTE_RW else 0) | (0 if pte & PTE_NX else 4),
)

# arch/x86/include/uapi/asm/stat.h
X86_64_STAT = StatLayout(
    fmt="<QQQIIIIQqqqQQQQQQqqq",
    fields=("dev", "ino", "nlink", "mode", "uid", "gid", None, "rdev", "size", "blksize", "blocks",
            "atime", "atime_nsec", "mtime", "mtime_nsec", "ctime", "ctime_nsec", None, None, None),
)

TASK_SIZE = 0x7FFFFFFFF000              # TASK_SIZE_MAX with 4-level paging

# arch_prctl codes (arch/x86/include/uapi/asm/prctl.h)
ARCH_SET_GS, ARCH_SET_FS, ARCH_GET_FS, ARCH_GET_GS = 0x1001, 0x1002, 0x1003, 0x1004

ARCH = Arch(
    name="x86_64",
    elf_machine=62,                     # EM_X86_64
    syscall_names=SYSCALL_NAMES,
    syscall_registers=("rax", "rdi", "rsi", "rdx", "r10", "r8", "r9"),
    return_register="rax",
    syscall_insn_size=2,                # syscall (0f 05)
    tls_register="fs_base",
    page_table=PAGING_4LEVEL,
    task_size=TASK_SIZE,
    stack_top=TASK_SIZE,
    mmap_base=TASK_SIZE - (128 << 20),
    et_dyn_base=(TASK_SIZE // 3 * 2) & ~0xFFF,
    hwcap=0x178BFBFF,                   # CPUID.1:EDX of a typical x86-64 CPU
    platform="x86_64",
    extra_auxv=(),
    stat_layout=X86_64_STAT,
    sigaction_has_restorer=True,
    clone_tls_before_child_tid=False,
    extra_mmap_flags=((0x40, "MAP_32BIT"),),
    start_registers=lambda entry, sp: {"pc": entry, "sp": sp, "rdx": 0},
)
