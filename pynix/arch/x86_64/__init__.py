"""x86-64 facts: 4-level page tables, the x86_64 syscall table, the x86_64 stat, FS-base TLS."""
from pynix.arch import Arch, PageTableFormat, StatLayout
from pynix.arch.x86_64.signal import SIGNAL_FRAME, SIGRETURN_TRAMPOLINE
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
    fmt="<QQQIIIIQqqqqQqQqQqqq",            # times signed: a time before 1970 is a negative count
    fields=("dev", "ino", "nlink", "mode", "uid", "gid", None, "rdev", "size", "blksize", "blocks",
            "atime", "atime_nsec", "mtime", "mtime_nsec", "ctime", "ctime_nsec", None, None, None),
)

# /proc/cpuinfo: the CPU Unicorn emulates (its Haswell model); the flags are the CPUID bits the guest really
# sees there (leaves 1, 7 and 0x80000001), in Linux's order and names.
CPUINFO = (
    "processor\t: 0\n"
    "vendor_id\t: GenuineIntel\n"
    "cpu family\t: 6\n"
    "model\t\t: 60\n"
    "model name\t: Intel Core Processor (Haswell)\n"
    "stepping\t: 4\n"
    "microcode\t: 0x1\n"
    "cpu MHz\t\t: 2400.000\n"
    "cache size\t: 16384 KB\n"
    "physical id\t: 0\n"
    "siblings\t: 1\n"
    "core id\t\t: 0\n"
    "cpu cores\t: 1\n"
    "apicid\t\t: 0\n"
    "initial apicid\t: 0\n"
    "fpu\t\t: yes\n"
    "fpu_exception\t: yes\n"
    "cpuid level\t: 13\n"
    "wp\t\t: yes\n"
    "flags\t\t: fpu de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 "
    "syscall nx rdtscp lm constant_tsc rep_good nopl cpuid pni pclmulqdq ssse3 cx16 sse4_1 sse4_2 movbe popcnt "
    "aes xsave rdrand hypervisor lahf_lm abm fsgsbase bmi1 smep bmi2 erms\n"
    "bugs\t\t:\n"
    "bogomips\t: 4800.00\n"
    "clflush size\t: 64\n"
    "cache_alignment\t: 64\n"
    "address sizes\t: 40 bits physical, 48 bits virtual\n"
    "power management:\n"
    "\n"
)

TASK_SIZE = 0x7FFFFFFFF000              # TASK_SIZE_MAX with 4-level paging

# arch_prctl codes (arch/x86/include/uapi/asm/prctl.h)
ARCH_SET_GS, ARCH_SET_FS, ARCH_GET_FS, ARCH_GET_GS = 0x1001, 0x1002, 0x1003, 0x1004

ARCH = Arch(
    name="x86_64",
    compat_machine="i686",
    elf_machine=62,                     # EM_X86_64
    audit_arch=0xC000003E,              # AUDIT_ARCH_X86_64: EM_X86_64 | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE
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
    signal_frame=SIGNAL_FRAME,
    sigreturn_trampoline=SIGRETURN_TRAMPOLINE,
    extra_mmap_flags=((0x40, "MAP_32BIT"),),
    epoll_event_format="<IQ",             # __attribute__((packed)): 12 bytes
    semid64_ds_format="<q8xq8xQ16x",     # sem_otime, __unused1, sem_ctime, __unused2, sem_nsems, 2 unused
    start_registers=lambda entry, sp: {"pc": entry, "sp": sp, "rdx": 0},
    cpuinfo=CPUINFO,
    breakpoint_si_code=0x80,            # int3 raises SIGTRAP as do_int3's force_sig: SI_KERNEL
)
