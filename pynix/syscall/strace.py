"""strace(1)-style formatting of one system call, for ``pynix run --strace``.

``format_syscall(name, args, result, mem)`` returns one line such as::

    openat(AT_FDCWD, "/etc/passwd", O_RDONLY|O_CLOEXEC) = 3

It is called after the system call ran, so output buffers (read, readv, fstat, ...) are printed from what
the kernel wrote, exactly as strace does at syscall exit.  For calls whose input disappears during the call
(a successful execve replaces the address space), format the call part before the call and the result after
it: ``format_call(name, args, None, mem)`` + ``" = "`` + ``format_return(name, result)``.

The formatting follows strace 6 with its defaults (``-s 32``, abbreviated structures): strings are quoted
with C escapes (\\n, \\t, \\", \\\\, octal for other non-printables) and cut after 32 bytes with ``...``;
flags are decoded symbolically; a pointer that cannot be read is printed in hex.  strace's column
alignment of ``= result`` is optional (``pad_to``).

All the Linux values used here are the ones riscv64 and x86_64 share (asm-generic fcntl, mman, signal,
termbits, ioctl encoding, resource).  What differs between ISAs (the layout of ``struct stat`` and of the
kernel's ``struct sigaction``, the argument order of ``clone``, extra mmap flags) comes in through the
``arch`` argument (a ``StraceArch``, or the kernel's ``Arch`` object from which one is derived); without
it such arguments are printed as plain pointers.
"""
from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from typing import Callable, Protocol, Sequence

from pynix.errors import KernelError
from pynix.uapi.errno import ERRNO_NAMES

__all__ = ["UserMemoryReader", "StraceArch", "strace_arch", "format_syscall", "format_call", "format_return",
           "quote_bytes", "signal_name", "format_sigset"]

MAX_STRLEN = 32          # strace's default -s
MAX_ELEMENTS = 32        # arrays (iovecs, argv) are cut after this many elements, like strace
PATH_MAX = 4096
_MAX_ERRNO = 4095


class UserMemoryReader(Protocol):
    def read(self, addr: int, size: int) -> bytes:
        """``size`` bytes at user address ``addr``; raises KernelError on a bad address."""
        ...

    def read_cstring(self, addr: int, limit: int) -> bytes:
        """Bytes up to (not including) the NUL, at most ``limit``; raises KernelError on a fault."""
        ...


@dataclass(frozen=True)
class StraceArch:
    """The ISA-dependent facts the formatter needs.  ``None`` means unknown: the argument is printed as a
    pointer.  Each architecture provides its own instance (this module holds no ISA's values)."""

    #: byte offsets of st_mode (u32), st_rdev (u64) and st_size (s64) in the ``struct stat`` filled by
    #: fstat / newfstatat / stat / lstat
    stat_mode_offset: int | None = None
    stat_rdev_offset: int | None = None
    stat_size_offset: int | None = None
    #: whether the kernel's ``struct sigaction`` has ``sa_restorer`` (between sa_flags and sa_mask)
    sigaction_has_restorer: bool | None = None
    #: raw ``clone`` argument order: True = flags, stack, parent_tid, tls, child_tid (CLONE_BACKWARDS);
    #: False = flags, stack, parent_tid, child_tid, tls
    clone_tls_before_child_tid: bool | None = None
    #: mmap flags that only this ISA defines, e.g. ((0x40, "MAP_32BIT"),)
    extra_mmap_flags: tuple[tuple[int, str], ...] = ()


_DEFAULT_ARCH = StraceArch()
_ARCH_CACHE: dict[int, tuple[object, StraceArch]] = {}


def strace_arch(arch: object | None) -> StraceArch:
    """The StraceArch for ``arch``: a StraceArch as is, or one derived from a kernel ``Arch`` object (its
    ``stat_layout``, ``sigaction_has_restorer`` and, when present, ``clone_tls_before_child_tid`` and
    ``extra_mmap_flags``).  None gives the all-unknown default."""
    if arch is None:
        return _DEFAULT_ARCH
    if isinstance(arch, StraceArch):
        return arch
    cached = _ARCH_CACHE.get(id(arch))
    if cached is not None and cached[0] is arch:
        return cached[1]
    offsets = _stat_offsets(getattr(arch, "stat_layout", None))
    derived = StraceArch(
        stat_mode_offset=offsets.get("mode"), stat_rdev_offset=offsets.get("rdev"),
        stat_size_offset=offsets.get("size"),
        sigaction_has_restorer=getattr(arch, "sigaction_has_restorer", None),
        clone_tls_before_child_tid=getattr(arch, "clone_tls_before_child_tid", None),
        extra_mmap_flags=tuple(getattr(arch, "extra_mmap_flags", ())))
    _ARCH_CACHE[id(arch)] = (arch, derived)
    return derived


def _stat_offsets(layout: object) -> dict[str, int]:
    """Field name -> byte offset for a layout with ``fmt`` (a struct format, one code per field) and
    ``fields`` (names, None for padding)."""
    fmt, fields = getattr(layout, "fmt", None), getattr(layout, "fields", None)
    if not fmt or not fields:
        return {}
    order = fmt[0] if fmt[0] in "<>=!@" else ""
    codes = [ch for ch in fmt[len(order):] if not ch.isspace()]
    if any(ch.isdigit() for ch in codes) or len(codes) != len(fields):
        return {}
    return {name: struct.calcsize(order + "".join(codes[:i])) for i, name in enumerate(fields) if name}


# --------------------------------------------------------------------------------------------------
# Linux constants shared by riscv64 and x86_64.  Flag tables are (value, name) in strace's print order.

_O_ACCMODE_NAMES = ("O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE")
_OPEN_FLAGS = (
    (0o100, "O_CREAT"), (0o200, "O_EXCL"), (0o400, "O_NOCTTY"), (0o1000, "O_TRUNC"), (0o2000, "O_APPEND"),
    (0o4000, "O_NONBLOCK"), (0o4010000, "O_SYNC"), (0o10000, "O_DSYNC"), (0o40000, "O_DIRECT"),
    (0o100000, "O_LARGEFILE"), (0o400000, "O_NOFOLLOW"), (0o1000000, "O_NOATIME"), (0o2000000, "O_CLOEXEC"),
    (0o10000000, "O_PATH"), (0o20200000, "O_TMPFILE"), (0o200000, "O_DIRECTORY"), (0o20000, "FASYNC"),
)
_O_CREAT = 0o100
_O_TMPFILE_BIT = 0o20000000

_PROT_FLAGS = ((1, "PROT_READ"), (2, "PROT_WRITE"), (4, "PROT_EXEC"), (8, "PROT_SEM"),
               (0x01000000, "PROT_GROWSDOWN"), (0x02000000, "PROT_GROWSUP"))
_MAP_TYPES = {1: "MAP_SHARED", 2: "MAP_PRIVATE", 3: "MAP_SHARED_VALIDATE"}
_MAP_FLAGS_HEAD = ((0x10, "MAP_FIXED"), (0x20, "MAP_ANONYMOUS"))
_MAP_FLAGS_TAIL = (
    (0x4000, "MAP_NORESERVE"), (0x8000, "MAP_POPULATE"), (0x10000, "MAP_NONBLOCK"), (0x100, "MAP_GROWSDOWN"),
    (0x800, "MAP_DENYWRITE"), (0x1000, "MAP_EXECUTABLE"), (0x2000, "MAP_LOCKED"), (0x20000, "MAP_STACK"),
    (0x40000, "MAP_HUGETLB"), (0x80000, "MAP_SYNC"), (0x100000, "MAP_FIXED_NOREPLACE"),
    (0x4000000, "MAP_UNINITIALIZED"),
)
_MAP_HUGE_SHIFT = 26
_MREMAP_FLAGS = ((1, "MREMAP_MAYMOVE"), (2, "MREMAP_FIXED"), (4, "MREMAP_DONTUNMAP"))
_MADVISE = {
    0: "MADV_NORMAL", 1: "MADV_RANDOM", 2: "MADV_SEQUENTIAL", 3: "MADV_WILLNEED", 4: "MADV_DONTNEED",
    8: "MADV_FREE", 9: "MADV_REMOVE", 10: "MADV_DONTFORK", 11: "MADV_DOFORK", 12: "MADV_MERGEABLE",
    13: "MADV_UNMERGEABLE", 14: "MADV_HUGEPAGE", 15: "MADV_NOHUGEPAGE", 16: "MADV_DONTDUMP",
    17: "MADV_DODUMP", 18: "MADV_WIPEONFORK", 19: "MADV_KEEPONFORK", 20: "MADV_COLD", 21: "MADV_PAGEOUT",
    22: "MADV_POPULATE_READ", 23: "MADV_POPULATE_WRITE", 24: "MADV_DONTNEED_LOCKED", 25: "MADV_COLLAPSE",
    100: "MADV_HWPOISON", 101: "MADV_SOFT_OFFLINE",
}

_AT_FDCWD = -100
_AT_FLAGS = ((0x100, "AT_SYMLINK_NOFOLLOW"), (0x200, "AT_REMOVEDIR"), (0x400, "AT_SYMLINK_FOLLOW"),
             (0x800, "AT_NO_AUTOMOUNT"), (0x1000, "AT_EMPTY_PATH"), (0x8000, "AT_RECURSIVE"))
_AT_STATX_SYNC = {0: "AT_STATX_SYNC_AS_STAT", 0x2000: "AT_STATX_FORCE_SYNC", 0x4000: "AT_STATX_DONT_SYNC",
                  0x6000: "AT_STATX_FORCE_SYNC|AT_STATX_DONT_SYNC"}
_STATX_MASK = (
    (0xfff, "STATX_ALL"), (0x7ff, "STATX_BASIC_STATS"), (0x1, "STATX_TYPE"), (0x2, "STATX_MODE"),
    (0x4, "STATX_NLINK"), (0x8, "STATX_UID"), (0x10, "STATX_GID"), (0x20, "STATX_ATIME"),
    (0x40, "STATX_MTIME"), (0x80, "STATX_CTIME"), (0x100, "STATX_INO"), (0x200, "STATX_SIZE"),
    (0x400, "STATX_BLOCKS"), (0x800, "STATX_BTIME"), (0x1000, "STATX_MNT_ID"), (0x2000, "STATX_DIOALIGN"),
    (0x4000, "STATX_MNT_ID_UNIQUE"), (0x8000, "STATX_SUBVOL"), (0x10000, "STATX_WRITE_ATOMIC"),
    (0x20000, "STATX_DIO_READ_ALIGN"),
)
_STATX_ATTRS = ((0x4, "STATX_ATTR_COMPRESSED"), (0x10, "STATX_ATTR_IMMUTABLE"), (0x20, "STATX_ATTR_APPEND"),
                (0x40, "STATX_ATTR_NODUMP"), (0x800, "STATX_ATTR_ENCRYPTED"), (0x1000, "STATX_ATTR_AUTOMOUNT"),
                (0x2000, "STATX_ATTR_MOUNT_ROOT"), (0x100000, "STATX_ATTR_VERITY"), (0x200000, "STATX_ATTR_DAX"),
                (0x400000, "STATX_ATTR_WRITE_ATOMIC"))
_S_IFMT = 0o170000
_FILE_TYPES = {0o140000: "S_IFSOCK", 0o120000: "S_IFLNK", 0o100000: "S_IFREG", 0o60000: "S_IFBLK",
               0o40000: "S_IFDIR", 0o20000: "S_IFCHR", 0o10000: "S_IFIFO"}
_MODE_SPECIAL = ((0o4000, "S_ISUID"), (0o2000, "S_ISGID"), (0o1000, "S_ISVTX"))
_ACCESS_MODES = ((4, "R_OK"), (2, "W_OK"), (1, "X_OK"))

_SEEK = {0: "SEEK_SET", 1: "SEEK_CUR", 2: "SEEK_END", 3: "SEEK_DATA", 4: "SEEK_HOLE"}

_CLOCKS = {0: "CLOCK_REALTIME", 1: "CLOCK_MONOTONIC", 2: "CLOCK_PROCESS_CPUTIME_ID",
           3: "CLOCK_THREAD_CPUTIME_ID", 4: "CLOCK_MONOTONIC_RAW", 5: "CLOCK_REALTIME_COARSE",
           6: "CLOCK_MONOTONIC_COARSE", 7: "CLOCK_BOOTTIME", 8: "CLOCK_REALTIME_ALARM",
           9: "CLOCK_BOOTTIME_ALARM", 11: "CLOCK_TAI"}
_TIMER_FLAGS = ((1, "TIMER_ABSTIME"),)
_GRND_FLAGS = ((1, "GRND_NONBLOCK"), (2, "GRND_RANDOM"), (4, "GRND_INSECURE"))

_SIGNALS = {1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT", 7: "SIGBUS",
            8: "SIGFPE", 9: "SIGKILL", 10: "SIGUSR1", 11: "SIGSEGV", 12: "SIGUSR2", 13: "SIGPIPE",
            14: "SIGALRM", 15: "SIGTERM", 16: "SIGSTKFLT", 17: "SIGCHLD", 18: "SIGCONT", 19: "SIGSTOP",
            20: "SIGTSTP", 21: "SIGTTIN", 22: "SIGTTOU", 23: "SIGURG", 24: "SIGXCPU", 25: "SIGXFSZ",
            26: "SIGVTALRM", 27: "SIGPROF", 28: "SIGWINCH", 29: "SIGIO", 30: "SIGPWR", 31: "SIGSYS"}
_NSIG = 64
_SIGPROCMASK_HOW = {0: "SIG_BLOCK", 1: "SIG_UNBLOCK", 2: "SIG_SETMASK"}
_SA_RESTORER = 0x04000000
_SA_FLAGS = ((0x08000000, "SA_ONSTACK"), (0x10000000, "SA_RESTART"), (0x40000000, "SA_NODEFER"),
             (0x80000000, "SA_RESETHAND"), (4, "SA_SIGINFO"), (1, "SA_NOCLDSTOP"), (2, "SA_NOCLDWAIT"),
             (0x400, "SA_UNSUPPORTED"), (0x800, "SA_EXPOSE_TAGBITS"))
_SIG_HANDLERS = {0: "SIG_DFL", 1: "SIG_IGN"}

_RLIMITS = {0: "RLIMIT_CPU", 1: "RLIMIT_FSIZE", 2: "RLIMIT_DATA", 3: "RLIMIT_STACK", 4: "RLIMIT_CORE",
            5: "RLIMIT_RSS", 6: "RLIMIT_NPROC", 7: "RLIMIT_NOFILE", 8: "RLIMIT_MEMLOCK", 9: "RLIMIT_AS",
            10: "RLIMIT_LOCKS", 11: "RLIMIT_SIGPENDING", 12: "RLIMIT_MSGQUEUE", 13: "RLIMIT_NICE",
            14: "RLIMIT_RTPRIO", 15: "RLIMIT_RTTIME"}
_RLIM_INFINITY = (1 << 64) - 1

_CLONE_FLAGS = (
    (0x100, "CLONE_VM"), (0x200, "CLONE_FS"), (0x400, "CLONE_FILES"), (0x800, "CLONE_SIGHAND"),
    (0x1000, "CLONE_PIDFD"), (0x2000, "CLONE_PTRACE"), (0x4000, "CLONE_VFORK"), (0x8000, "CLONE_PARENT"),
    (0x10000, "CLONE_THREAD"), (0x20000, "CLONE_NEWNS"), (0x40000, "CLONE_SYSVSEM"),
    (0x80000, "CLONE_SETTLS"), (0x100000, "CLONE_PARENT_SETTID"), (0x200000, "CLONE_CHILD_CLEARTID"),
    (0x400000, "CLONE_DETACHED"), (0x800000, "CLONE_UNTRACED"), (0x1000000, "CLONE_CHILD_SETTID"),
    (0x2000000, "CLONE_NEWCGROUP"), (0x4000000, "CLONE_NEWUTS"), (0x8000000, "CLONE_NEWIPC"),
    (0x10000000, "CLONE_NEWUSER"), (0x20000000, "CLONE_NEWPID"), (0x40000000, "CLONE_NEWNET"),
    (0x80000000, "CLONE_IO"), (0x100000000, "CLONE_CLEAR_SIGHAND"), (0x200000000, "CLONE_INTO_CGROUP"),
)
_CLONE_PIDFD = 0x1000
_CLONE_SETTLS = 0x80000
_CLONE_PARENT_SETTID = 0x100000
_CLONE_CHILD_TID = 0x200000 | 0x1000000     # CLONE_CHILD_CLEARTID | CLONE_CHILD_SETTID

_WAIT_OPTIONS = ((1, "WNOHANG"), (2, "WSTOPPED"), (4, "WEXITED"), (8, "WCONTINUED"), (0x1000000, "WNOWAIT"),
                 (0x20000000, "__WNOTHREAD"), (0x40000000, "__WALL"), (0x80000000, "__WCLONE"))
_IDTYPES = {0: "P_ALL", 1: "P_PID", 2: "P_PGID", 3: "P_PIDFD"}

_FD_FLAGS = ((1, "FD_CLOEXEC"),)
_F_CMDS = {0: "F_DUPFD", 1: "F_GETFD", 2: "F_SETFD", 3: "F_GETFL", 4: "F_SETFL", 5: "F_GETLK", 6: "F_SETLK",
           7: "F_SETLKW", 8: "F_SETOWN", 9: "F_GETOWN", 10: "F_SETSIG", 11: "F_GETSIG", 15: "F_SETOWN_EX",
           16: "F_GETOWN_EX", 36: "F_OFD_GETLK", 37: "F_OFD_SETLK", 38: "F_OFD_SETLKW", 1024: "F_SETLEASE",
           1025: "F_GETLEASE", 1026: "F_NOTIFY", 1030: "F_DUPFD_CLOEXEC", 1031: "F_SETPIPE_SZ",
           1032: "F_GETPIPE_SZ", 1033: "F_ADD_SEALS", 1034: "F_GET_SEALS"}
_F_LOCK_TYPES = {0: "F_RDLCK", 1: "F_WRLCK", 2: "F_UNLCK"}
_F_SEALS = ((1, "F_SEAL_SEAL"), (2, "F_SEAL_SHRINK"), (4, "F_SEAL_GROW"), (8, "F_SEAL_WRITE"),
            (0x10, "F_SEAL_FUTURE_WRITE"), (0x20, "F_SEAL_EXEC"))

_FUTEX_CMDS = {0: "FUTEX_WAIT", 1: "FUTEX_WAKE", 2: "FUTEX_FD", 3: "FUTEX_REQUEUE", 4: "FUTEX_CMP_REQUEUE",
               5: "FUTEX_WAKE_OP", 6: "FUTEX_LOCK_PI", 7: "FUTEX_UNLOCK_PI", 8: "FUTEX_TRYLOCK_PI",
               9: "FUTEX_WAIT_BITSET", 10: "FUTEX_WAKE_BITSET", 11: "FUTEX_WAIT_REQUEUE_PI",
               12: "FUTEX_CMP_REQUEUE_PI", 13: "FUTEX_LOCK_PI2"}
_FUTEX_PRIVATE = 128
_FUTEX_CLOCK_REALTIME = 256

# ioctl requests (asm-generic/ioctls.h, used by both riscv64 and x86_64)
_IOCTLS = {
    0x5401: "TCGETS", 0x5402: "TCSETS", 0x5403: "TCSETSW", 0x5404: "TCSETSF", 0x5405: "TCGETA",
    0x5406: "TCSETA", 0x5407: "TCSETAW", 0x5408: "TCSETAF", 0x5409: "TCSBRK", 0x540A: "TCXONC",
    0x540B: "TCFLSH", 0x540C: "TIOCEXCL", 0x540D: "TIOCNXCL", 0x540E: "TIOCSCTTY", 0x540F: "TIOCGPGRP",
    0x5410: "TIOCSPGRP", 0x5411: "TIOCOUTQ", 0x5412: "TIOCSTI", 0x5413: "TIOCGWINSZ", 0x5414: "TIOCSWINSZ",
    0x5415: "TIOCMGET", 0x5416: "TIOCMBIS", 0x5417: "TIOCMBIC", 0x5418: "TIOCMSET", 0x5419: "TIOCGSOFTCAR",
    0x541A: "TIOCSSOFTCAR", 0x541B: "FIONREAD", 0x541C: "TIOCLINUX", 0x541D: "TIOCCONS",
    0x541E: "TIOCGSERIAL", 0x541F: "TIOCSSERIAL", 0x5420: "TIOCPKT", 0x5421: "FIONBIO", 0x5422: "TIOCNOTTY",
    0x5423: "TIOCSETD", 0x5424: "TIOCGETD", 0x5425: "TCSBRKP", 0x5427: "TIOCSBRK", 0x5428: "TIOCCBRK",
    0x5429: "TIOCGSID", 0x802C542A: "TCGETS2", 0x402C542B: "TCSETS2", 0x402C542C: "TCSETSW2",
    0x402C542D: "TCSETSF2", 0x80045430: "TIOCGPTN", 0x40045431: "TIOCSPTLCK", 0x80045432: "TIOCGDEV",
    0x5441: "TIOCGPTPEER", 0x5450: "FIONCLEX", 0x5451: "FIOCLEX", 0x5452: "FIOASYNC", 0x5460: "FIOQSIZE",
    0x80086601: "FS_IOC_GETFLAGS", 0x40086602: "FS_IOC_SETFLAGS", 0x80081272: "BLKGETSIZE64",
}
_IOCTL_INT_IN = {"TIOCSPGRP", "FIONBIO", "FIOASYNC", "TIOCSPTLCK", "TIOCSETD", "TIOCPKT", "TIOCSSOFTCAR"}
_IOCTL_INT_OUT = {"TIOCGPGRP", "FIONREAD", "TIOCOUTQ", "TIOCGPTN", "TIOCGSID", "TIOCGETD", "TIOCGSOFTCAR",
                  "TIOCMGET", "TIOCGDEV"}
_IOC_DIRS = {0: "_IOC_NONE", 1: "_IOC_WRITE", 2: "_IOC_READ", 3: "_IOC_READ|_IOC_WRITE"}

# termios (asm-generic/termbits.h)
_TC_IFLAG = ((0x1, "IGNBRK"), (0x2, "BRKINT"), (0x4, "IGNPAR"), (0x8, "PARMRK"), (0x10, "INPCK"),
             (0x20, "ISTRIP"), (0x40, "INLCR"), (0x80, "IGNCR"), (0x100, "ICRNL"), (0x200, "IUCLC"),
             (0x400, "IXON"), (0x800, "IXANY"), (0x1000, "IXOFF"), (0x2000, "IMAXBEL"), (0x4000, "IUTF8"))
_TC_OFLAG = ((0x1, "OPOST"), (0x2, "OLCUC"), (0x4, "ONLCR"), (0x8, "OCRNL"), (0x10, "ONOCR"),
             (0x20, "ONLRET"), (0x40, "OFILL"), (0x80, "OFDEL"))
_TC_ODELAYS = ((0x100, ("NL0", "NL1")), (0x600, ("CR0", "CR1", "CR2", "CR3")),
               (0x1800, ("TAB0", "TAB1", "TAB2", "TAB3")), (0x2000, ("BS0", "BS1")),
               (0x4000, ("VT0", "VT1")), (0x8000, ("FF0", "FF1")))
_TC_CFLAG = ((0o100, "CSTOPB"), (0o200, "CREAD"), (0o400, "PARENB"), (0o1000, "PARODD"), (0o2000, "HUPCL"),
             (0o4000, "CLOCAL"), (0o10000000000, "CMSPAR"), (0o20000000000, "CRTSCTS"))
_TC_LFLAG = ((0o1, "ISIG"), (0o2, "ICANON"), (0o4, "XCASE"), (0o10, "ECHO"), (0o20, "ECHOE"),
             (0o40, "ECHOK"), (0o100, "ECHONL"), (0o200, "NOFLSH"), (0o100000, "IEXTEN"), (0o1000, "ECHOCTL"),
             (0o2000, "ECHOPRT"), (0o4000, "ECHOKE"), (0o10000, "FLUSHO"), (0o40000, "PENDIN"),
             (0o400, "TOSTOP"), (0o200000, "EXTPROC"))
_BAUDS = ("B0", "B50", "B75", "B110", "B134", "B150", "B200", "B300", "B600", "B1200", "B1800", "B2400",
          "B4800", "B9600", "B19200", "B38400")
_BAUDS_EXT = ("BOTHER", "B57600", "B115200", "B230400", "B460800", "B500000", "B576000", "B921600",
              "B1000000", "B1152000", "B1500000", "B2000000", "B2500000", "B3000000", "B3500000", "B4000000")

_ARCH_PRCTL = {0x1001: "ARCH_SET_GS", 0x1002: "ARCH_SET_FS", 0x1003: "ARCH_GET_FS", 0x1004: "ARCH_GET_GS",
               0x1011: "ARCH_GET_CPUID", 0x1012: "ARCH_SET_CPUID", 0x1021: "ARCH_GET_XCOMP_SUPP",
               0x1022: "ARCH_GET_XCOMP_PERM", 0x1023: "ARCH_REQ_XCOMP_PERM",
               0x1024: "ARCH_GET_XCOMP_GUEST_PERM", 0x1025: "ARCH_REQ_XCOMP_GUEST_PERM",
               0x2001: "ARCH_MAP_VDSO_X32", 0x2002: "ARCH_MAP_VDSO_32", 0x2003: "ARCH_MAP_VDSO_64",
               0x5001: "ARCH_SHSTK_ENABLE", 0x5002: "ARCH_SHSTK_DISABLE", 0x5003: "ARCH_SHSTK_LOCK",
               0x5004: "ARCH_SHSTK_UNLOCK", 0x5005: "ARCH_SHSTK_STATUS"}
_ARCH_PRCTL_GET = {0x1003, 0x1004}

_PRCTL = {1: "PR_SET_PDEATHSIG", 2: "PR_GET_PDEATHSIG", 3: "PR_GET_DUMPABLE", 4: "PR_SET_DUMPABLE",
          15: "PR_SET_NAME", 16: "PR_GET_NAME", 22: "PR_SET_SECCOMP", 21: "PR_GET_SECCOMP",
          36: "PR_SET_CHILD_SUBREAPER", 37: "PR_GET_CHILD_SUBREAPER", 38: "PR_SET_NO_NEW_PRIVS",
          39: "PR_GET_NO_NEW_PRIVS", 0x53564d41: "PR_SET_VMA"}

# Kernel-internal restart codes: strace prints them as "= ? NAME (text)".
_RESTART_ERRNOS = {512: ("ERESTARTSYS", "To be restarted if SA_RESTART is set"),
                   513: ("ERESTARTNOINTR", "To be restarted"),
                   514: ("ERESTARTNOHAND", "To be restarted if no handler"),
                   515: ("ENOIOCTLCMD", "No ioctl command"),
                   516: ("ERESTART_RESTARTBLOCK", "Interrupted by signal")}


# --------------------------------------------------------------------------------------------------
# Small value formatters

def _s32(v: int) -> int:
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v & 0x80000000 else v


def _s64(v: int) -> int:
    v &= (1 << 64) - 1
    return v - (1 << 64) if v >> 63 else v


def _hex(v: int) -> str:
    """C's ``%#lx``: 0 prints as ``0``."""
    v &= (1 << 64) - 1
    return "0" if v == 0 else f"{v:#x}"


def _ptr(v: int) -> str:
    v &= (1 << 64) - 1
    return "NULL" if v == 0 else f"{v:#x}"


def _octal(v: int) -> str:
    """C's ``%#03o``."""
    s = "0" if v == 0 else f"0{v:o}"
    return s.rjust(3, "0")


def _flags(value: int, table: Sequence[tuple[int, str]], zero: str = "0") -> str:
    if value == 0:
        return zero
    parts = []
    rest = value
    for bit, name in table:
        if bit and rest & bit == bit:
            parts.append(name)
            rest &= ~bit
    if rest:
        parts.append(f"{rest:#x}")
    return "|".join(parts)


def _xlat(value: int, table: dict[int, str], unknown: str) -> str:
    name = table.get(value)
    return name if name is not None else f"{_hex(value)} /* {unknown} */"


def signal_name(sig: int) -> str:
    """strace's name of signal `sig`: SIGINT, SIGRTMIN, SIGRT_3, or the number."""
    name = _SIGNALS.get(sig)
    if name:
        return name
    if sig == 32:
        return "SIGRTMIN"
    if 32 < sig <= _NSIG:
        return f"SIGRT_{sig - 32}"
    return str(sig)


def _mode_type(mode: int) -> str:
    ftype = _FILE_TYPES.get(mode & _S_IFMT)
    if ftype is None:
        return _octal(mode)
    parts = [ftype] + [name for bit, name in _MODE_SPECIAL if mode & bit]
    return "|".join(parts) + "|" + _octal(mode & 0o777)


def _open_flags(flags: int) -> str:
    flags &= 0xFFFFFFFF
    acc = _O_ACCMODE_NAMES[flags & 3]
    rest = flags & ~3
    return acc if rest == 0 else acc + "|" + _flags(rest, _OPEN_FLAGS)


# String quoting (strace's string_quote, default style): printable ASCII as is, \" \\ \f \n \r \t \v,
# other bytes as octal, three digits when the next byte is an octal digit.
_ESCAPES = {0x22: '\\"', 0x5C: "\\\\", 0x0C: "\\f", 0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t", 0x0B: "\\v"}
_SHORT = [(_ESCAPES.get(b) or (chr(b) if 0x20 <= b < 0x7F else f"\\{b:o}")) for b in range(256)]
_LONG = [(_ESCAPES.get(b) or (chr(b) if 0x20 <= b < 0x7F else f"\\{b:03o}")) for b in range(256)]


def quote_bytes(data: bytes, truncated: bool = False, force_hex: bool = False) -> str:
    """``data`` as a quoted C string the way strace prints it; ``...`` follows when ``truncated``."""
    if force_hex:
        body = "".join(f"\\x{b:02x}" for b in data)
    else:
        out = []
        n = len(data)
        for i, b in enumerate(data):
            if i + 1 < n and 0x30 <= data[i + 1] <= 0x37:
                out.append(_LONG[b])
            else:
                out.append(_SHORT[b])
        body = "".join(out)
    return f'"{body}"' + ("..." if truncated else "")


# --------------------------------------------------------------------------------------------------
# One call being formatted

FdPath = Callable[[int], "bytes | None"]


class _Call:
    __slots__ = ("name", "args", "result", "mem", "arch", "ok", "strlen", "fd_path")

    def __init__(self, name: str, args: Sequence[int], result: int | None, mem: UserMemoryReader,
                 arch: StraceArch, strlen: int = MAX_STRLEN, fd_path: FdPath | None = None) -> None:
        self.name = name
        self.args = [a & ((1 << 64) - 1) for a in args]
        self.result = result
        self.mem = mem
        self.arch = arch
        self.ok = result is not None and not (-_MAX_ERRNO <= result < 0)
        self.strlen = strlen                   # -s: bytes of strings and buffers shown
        self.fd_path = fd_path                 # -y: descriptor -> what it refers to (AT_FDCWD: the cwd)

    def arg(self, i: int) -> int:
        return self.args[i] if i < len(self.args) else 0

    # memory access that never raises
    def read(self, addr: int, size: int) -> bytes | None:
        if addr == 0:
            return None
        try:
            data = bytes(self.mem.read(addr, size))
        except KernelError:
            return None
        return data if len(data) == size else None

    def u32(self, addr: int) -> int | None:
        data = self.read(addr, 4)
        return None if data is None else struct.unpack("<I", data)[0]

    def u64(self, addr: int) -> int | None:
        data = self.read(addr, 8)
        return None if data is None else struct.unpack("<Q", data)[0]

    def cstring(self, addr: int, limit: int) -> tuple[bytes, bool] | None:
        """(bytes, truncated) of the NUL-terminated string at addr, at most ``limit`` bytes shown."""
        if addr == 0:
            return None
        try:
            s = bytes(self.mem.read_cstring(addr, limit + 1))
        except KernelError:
            # a reader may refuse a string longer than its limit: try a bounded plain read
            data = self.read(addr, limit)
            if data is None:
                return None
            nul = data.find(b"\0")
            return (data, True) if nul < 0 else (data[:nul], False)
        nul = s.find(b"\0")
        if nul >= 0:
            s = s[:nul]
        return (s[:limit], True) if len(s) > limit else (s, False)

    # composite printers
    def string(self, addr: int, limit: int | None = None) -> str:
        if addr == 0:
            return "NULL"
        got = self.cstring(addr, self.strlen if limit is None else limit)
        return _hex(addr) if got is None else quote_bytes(*got)

    def buffer(self, addr: int, length: int, force_hex: bool = False) -> str:
        if addr == 0:
            return "NULL"
        shown = min(length, self.strlen)
        data = self.read(addr, shown) if shown else b""
        if data is None:
            return _hex(addr)
        return quote_bytes(data, length > self.strlen, force_hex)

    def fd(self, fd: int) -> str:
        return _fd_text(fd, self.fd_path)


    def sigset(self, addr: int, size: int) -> str:
        if addr == 0:
            return "NULL"
        if not 0 < size <= 128:
            return _hex(addr)
        data = self.read(addr, size)
        if data is None:
            return _hex(addr)
        return format_sigset(int.from_bytes(data, "little"), min(size * 8, _NSIG))


def _fd_text(fd: int, fd_path: FdPath | None) -> str:
    """A descriptor, followed by ``<path>`` under -y (strace's printfd)."""
    if fd_path is None or (fd < 0 and fd != _AT_FDCWD):
        return str(fd)
    path = fd_path(fd)
    return str(fd) if path is None else f"{fd}<{quote_bytes(path)[1:-1]}>"

def format_sigset(bits: int, nbits: int = _NSIG) -> str:
    """A signal set as strace prints it: ``[INT TERM]``, or ``~[...]`` for the complement when shorter."""
    members = [n for n in range(1, nbits + 1) if bits >> (n - 1) & 1]
    prefix = ""
    if len(members) > nbits // 2:
        prefix = "~"
        members = [n for n in range(1, nbits + 1) if not bits >> (n - 1) & 1]
    return prefix + "[" + " ".join(signal_name(n)[3:] for n in members) + "]"


# --------------------------------------------------------------------------------------------------
# Argument kinds: functions (call, value) -> text.  Factories take the index of a related argument.

ArgFormatter = Callable[[_Call, int], str]


def INT(c: _Call, v: int) -> str:
    return str(_s32(v))


def FD(c: _Call, v: int) -> str:
    return c.fd(_s32(v))


def DIRFD(c: _Call, v: int) -> str:
    v = _s32(v)
    if v != _AT_FDCWD:
        return c.fd(v)
    return "AT_FDCWD" + c.fd(v).removeprefix(str(_AT_FDCWD))     # -y: AT_FDCWD</cwd>


def LONG(c: _Call, v: int) -> str:
    return str(_s64(v))


def UINT(c: _Call, v: int) -> str:
    return str(v & 0xFFFFFFFF)


def SIZE(c: _Call, v: int) -> str:
    return str(v)


def HEX(c: _Call, v: int) -> str:
    return _hex(v)


def PTR(c: _Call, v: int) -> str:
    return _ptr(v)


def PATH(c: _Call, v: int) -> str:
    return c.string(v, PATH_MAX)


def STR(c: _Call, v: int) -> str:
    return c.string(v)


def MODE(c: _Call, v: int) -> str:
    return _octal(v & 0xFFFFFFFF)


def OPEN_FLAGS(c: _Call, v: int) -> str:
    return _open_flags(v)


def O_FLAGS(c: _Call, v: int) -> str:
    """Open-style flags without an access mode (pipe2, dup3, ...)."""
    return _flags(v & 0xFFFFFFFF, _OPEN_FLAGS)


def PROT(c: _Call, v: int) -> str:
    return _flags(v & 0xFFFFFFFF, _PROT_FLAGS, "PROT_NONE")


def MAP_FLAGS(c: _Call, v: int) -> str:
    v &= 0xFFFFFFFF
    mtype = v & 0xF
    parts = [_MAP_TYPES.get(mtype, _hex(mtype))] if mtype or v == 0 else []
    rest = v & ~0xF
    huge = (rest >> _MAP_HUGE_SHIFT) & 0x3F
    rest &= ~(0x3F << _MAP_HUGE_SHIFT)
    table = _MAP_FLAGS_HEAD + tuple(c.arch.extra_mmap_flags) + _MAP_FLAGS_TAIL
    if rest:
        parts.append(_flags(rest, table))
    if huge:
        parts.append(f"{huge}<<MAP_HUGE_SHIFT")
    return "|".join(parts)


def MREMAP_FLAGS(c: _Call, v: int) -> str:
    return _flags(v & 0xFFFFFFFF, _MREMAP_FLAGS)


def MADVICE(c: _Call, v: int) -> str:
    return _xlat(v & 0xFFFFFFFF, _MADVISE, "MADV_???")


def AT_FLAGS(c: _Call, v: int) -> str:
    return _flags(v & 0xFFFFFFFF, _AT_FLAGS)


def STATX_AT_FLAGS(c: _Call, v: int) -> str:
    v &= 0xFFFFFFFF
    sync = _AT_STATX_SYNC[v & 0x6000]
    rest = v & ~0x6000
    return sync if rest == 0 else sync + "|" + _flags(rest, _AT_FLAGS)


def STATX_MASK(c: _Call, v: int) -> str:
    return _flags(v & 0xFFFFFFFF, _STATX_MASK)


def ACCESS_MODE(c: _Call, v: int) -> str:
    return _flags(v & 0xFFFFFFFF, _ACCESS_MODES, "F_OK")


def WHENCE(c: _Call, v: int) -> str:
    return _xlat(v & 0xFFFFFFFF, _SEEK, "SEEK_???")


def CLOCKID(c: _Call, v: int) -> str:
    return _xlat(v & 0xFFFFFFFF, _CLOCKS, "CLOCK_???")


def TIMER_FLAGS(c: _Call, v: int) -> str:
    return _flags(v & 0xFFFFFFFF, _TIMER_FLAGS)


def GRND_FLAGS(c: _Call, v: int) -> str:
    return _flags(v & 0xFFFFFFFF, _GRND_FLAGS)


def SIGNUM(c: _Call, v: int) -> str:
    return signal_name(_s32(v))


def SIGHOW(c: _Call, v: int) -> str:
    return _xlat(v & 0xFFFFFFFF, _SIGPROCMASK_HOW, "SIG_???")


def RLIMIT_RES(c: _Call, v: int) -> str:
    return _xlat(v & 0xFFFFFFFF, _RLIMITS, "RLIMIT_???")


def WAIT_OPTIONS(c: _Call, v: int) -> str:
    return _flags(v & 0xFFFFFFFF, _WAIT_OPTIONS)


def IDTYPE(c: _Call, v: int) -> str:
    return _xlat(v & 0xFFFFFFFF, _IDTYPES, "P_???")


def buf_in(length_arg: int) -> ArgFormatter:
    """A buffer the call reads, its length in another argument (write)."""
    return lambda c, v: c.buffer(v, c.arg(length_arg))


def BUF_OUT(c: _Call, v: int) -> str:
    """A buffer the call fills, ``result`` bytes long (read); the pointer when the call failed."""
    return c.buffer(v, c.result) if c.ok and c.result is not None else _ptr(v)


def BUF_OUT_HEX(c: _Call, v: int) -> str:
    return c.buffer(v, c.result, force_hex=True) if c.ok and c.result is not None else _ptr(v)


def STR_OUT(c: _Call, v: int) -> str:
    """A C string the call fills (getcwd)."""
    return c.string(v, PATH_MAX) if c.ok else _ptr(v)


def _iovecs(c: _Call, v: int, count: int, limit: int | None) -> str:
    """``limit``: bytes of data to show in total (readv: the result); None: each iov_len (writev)."""
    if v == 0:
        return "NULL"
    if not 0 <= count <= 1024:
        return _hex(v)
    shown = min(count, MAX_ELEMENTS)
    raw = c.read(v, 16 * shown) if shown else b""
    if raw is None:
        return _hex(v)
    items = []
    for i in range(shown):
        base, length = struct.unpack_from("<QQ", raw, 16 * i)
        if limit is None:
            data_len = length
        else:
            data_len = min(length, limit)
            limit -= data_len
        items.append(f"{{iov_base={c.buffer(base, data_len)}, iov_len={length}}}")
    if count > shown:
        items.append("...")
    return "[" + ", ".join(items) + "]"


def iov_in(count_arg: int) -> ArgFormatter:
    return lambda c, v: _iovecs(c, v, _s32(c.arg(count_arg)), None)


def iov_out(count_arg: int) -> ArgFormatter:
    def fmt(c: _Call, v: int) -> str:
        if not c.ok or c.result is None:
            return _ptr(v)
        return _iovecs(c, v, _s32(c.arg(count_arg)), c.result)
    return fmt


def _timespec(data: bytes, usec: bool = False) -> str:
    sec, frac = struct.unpack_from("<qq", data)
    return f"{{tv_sec={sec}, {'tv_usec' if usec else 'tv_nsec'}={frac}}}"


def TIMESPEC_IN(c: _Call, v: int) -> str:
    data = c.read(v, 16)
    return _ptr(v) if data is None else _timespec(data)


def TIMESPEC_OUT(c: _Call, v: int) -> str:
    return TIMESPEC_IN(c, v) if c.ok else _ptr(v)


def TIMEVAL_OUT(c: _Call, v: int) -> str:
    data = c.read(v, 16) if c.ok else None
    return _ptr(v) if data is None else _timespec(data, usec=True)


def sigset_in(size_arg: int) -> ArgFormatter:
    return lambda c, v: c.sigset(v, c.arg(size_arg))


def sigset_out(size_arg: int) -> ArgFormatter:
    return lambda c, v: c.sigset(v, c.arg(size_arg)) if c.ok else _ptr(v)


def _sigaction(c: _Call, v: int, sigsetsize: int) -> str:
    restorer = c.arch.sigaction_has_restorer
    if v == 0 or restorer is None or not 0 < sigsetsize <= 128:
        return _ptr(v)
    head = c.read(v, 24 if restorer else 16)
    if head is None:
        return _hex(v)
    handler, flags = struct.unpack_from("<QQ", head)
    mask = c.sigset(v + (24 if restorer else 16), sigsetsize)
    table = ((_SA_RESTORER, "SA_RESTORER"),) + _SA_FLAGS if restorer else _SA_FLAGS
    text = (f"{{sa_handler={_SIG_HANDLERS.get(handler) or _hex(handler)}, sa_mask={mask}, "
            f"sa_flags={_flags(flags, table)}")
    if restorer and flags & _SA_RESTORER:
        text += f", sa_restorer={_ptr(struct.unpack_from('<Q', head, 16)[0])}"
    return text + "}"


def SIGACTION_IN(c: _Call, v: int) -> str:
    return _sigaction(c, v, c.arg(3))


def SIGACTION_OUT(c: _Call, v: int) -> str:
    return _sigaction(c, v, c.arg(3)) if c.ok else _ptr(v)


def _rlim(v: int) -> str:
    if v == _RLIM_INFINITY:
        return "RLIM64_INFINITY"
    if v > 1024 and v % 1024 == 0:
        return f"{v // 1024}*1024"
    return str(v)


def RLIMIT_IN(c: _Call, v: int) -> str:
    data = c.read(v, 16)
    if data is None:
        return _ptr(v)
    cur, mx = struct.unpack("<QQ", data)
    return f"{{rlim_cur={_rlim(cur)}, rlim_max={_rlim(mx)}}}"


def RLIMIT_OUT(c: _Call, v: int) -> str:
    return RLIMIT_IN(c, v) if c.ok else _ptr(v)


def STAT_OUT(c: _Call, v: int) -> str:
    a = c.arch
    if v == 0 or not c.ok or None in (a.stat_mode_offset, a.stat_rdev_offset, a.stat_size_offset):
        return _ptr(v)
    end = max(a.stat_mode_offset + 4, a.stat_rdev_offset + 8, a.stat_size_offset + 8)
    data = c.read(v, end)
    if data is None:
        return _hex(v)
    mode = struct.unpack_from("<I", data, a.stat_mode_offset)[0]
    text = f"{{st_mode={_mode_type(mode)}, "
    if mode & _S_IFMT in (0o20000, 0o60000):
        text += f"st_rdev={_makedev(struct.unpack_from('<Q', data, a.stat_rdev_offset)[0])}, ...}}"
    else:
        text += f"st_size={struct.unpack_from('<q', data, a.stat_size_offset)[0]}, ...}}"
    return text


def _makedev(dev: int) -> str:
    major = ((dev >> 8) & 0xFFF) | ((dev >> 32) & ~0xFFF & 0xFFFFFFFF)
    minor = (dev & 0xFF) | ((dev >> 12) & ~0xFF & 0xFFFFFFFF)
    return f"makedev({_hex(major)}, {_hex(minor)})"


def STATX_OUT(c: _Call, v: int) -> str:
    data = c.read(v, 48) if c.ok else None
    if data is None:
        return _ptr(v)
    mask, = struct.unpack_from("<I", data, 0)
    attrs, = struct.unpack_from("<Q", data, 8)
    mode, = struct.unpack_from("<H", data, 28)
    size, = struct.unpack_from("<Q", data, 40)
    return (f"{{stx_mask={_flags(mask, _STATX_MASK)}, stx_attributes={_flags(attrs, _STATX_ATTRS)}, "
            f"stx_mode={_mode_type(mode)}, stx_size={size}, ...}}")


def UTSNAME_OUT(c: _Call, v: int) -> str:
    data = c.read(v, 130) if c.ok else None
    if data is None:
        return _ptr(v)
    sysname = data[:65].split(b"\0", 1)[0]
    nodename = data[65:130].split(b"\0", 1)[0]
    return f"{{sysname={quote_bytes(sysname)}, nodename={quote_bytes(nodename)}, ...}}"


def CPUSET_OUT(c: _Call, v: int) -> str:
    if not c.ok or c.result is None:
        return _ptr(v)
    data = c.read(v, min(c.result, 1024)) if c.result else b""
    if data is None:
        return _hex(v)
    bits = int.from_bytes(data, "little")
    return "[" + " ".join(str(i) for i in range(len(data) * 8) if bits >> i & 1) + "]"


def cpuset_in(size_arg: int) -> ArgFormatter:
    def fmt(c: _Call, v: int) -> str:
        data = c.read(v, min(c.arg(size_arg), 1024))
        if data is None:
            return _ptr(v)
        bits = int.from_bytes(data, "little")
        return "[" + " ".join(str(i) for i in range(len(data) * 8) if bits >> i & 1) + "]"
    return fmt


def PIPEFDS_OUT(c: _Call, v: int) -> str:
    data = c.read(v, 8) if c.ok else None
    if data is None:
        return _ptr(v)
    r, w = struct.unpack("<ii", data)
    return f"[{c.fd(r)}, {c.fd(w)}]"


def DIRENTS_OUT(c: _Call, v: int) -> str:
    if not c.ok or c.result is None:
        return _ptr(v)
    data = c.read(v, min(c.result, 1 << 24)) if c.result else b""
    if data is None:
        return _hex(v)
    count = pos = 0
    while pos + 18 <= len(data):
        reclen = struct.unpack_from("<H", data, pos + 16)[0]
        if reclen == 0:
            break
        count += 1
        pos += reclen
    return f"{_ptr(v)} /* {count} entries */"


def WSTATUS_OUT(c: _Call, v: int) -> str:
    if not c.ok or not c.result:
        return _ptr(v)
    status = c.u32(v)
    if status is None:
        return _hex(v)
    return f"[{_format_wstatus(status)}]"


def _format_wstatus(s: int) -> str:
    sig = s & 0x7F
    if sig == 0:
        text = f"WIFEXITED(s) && WEXITSTATUS(s) == {(s >> 8) & 0xFF}"
    elif s & 0xFF == 0x7F:
        text = f"WIFSTOPPED(s) && WSTOPSIG(s) == {signal_name((s >> 8) & 0xFF)}"
    elif s == 0xFFFF:
        text = "WIFCONTINUED(s)"
    else:
        text = f"WIFSIGNALED(s) && WTERMSIG(s) == {signal_name(sig)}"
        if s & 0x80:
            text += " && WCOREDUMP(s)"
    extra = s >> 16
    return "{" + text + "}" + (f" | {extra:#x}<<16" if extra else "")


def _string_array(c: _Call, v: int) -> str:
    if v == 0:
        return "NULL"
    items = []
    for i in range(MAX_ELEMENTS + 1):
        p = c.u64(v + 8 * i)
        if p is None:
            return _hex(v) if i == 0 else "[" + ", ".join(items) + ", ...]"
        if p == 0:
            break
        if i == MAX_ELEMENTS:
            items.append("...")
            break
        items.append(c.string(p))
    return "[" + ", ".join(items) + "]"


def ARGV(c: _Call, v: int) -> str:
    return _string_array(c, v)


def ENVP(c: _Call, v: int) -> str:
    if v == 0:
        return "NULL"
    n = 0
    while n < 4096:
        p = c.u64(v + 8 * n)
        if p is None:
            return _hex(v)
        if p == 0:
            break
        n += 1
    return f"{_hex(v)} /* {n} var{'' if n == 1 else 's'} */"


def INT_OUT(c: _Call, v: int) -> str:
    """An int the call stores (ioctl FIONREAD...)."""
    return INT_IN(c, v) if c.ok else _ptr(v)


def INT_IN(c: _Call, v: int) -> str:
    val = c.u32(v)
    return _ptr(v) if val is None else f"[{_s32(val)}]"


def WINSIZE_IN(c: _Call, v: int) -> str:
    data = c.read(v, 8)
    if data is None:
        return _ptr(v)
    row, col, xp, yp = struct.unpack("<HHHH", data)
    return f"{{ws_row={row}, ws_col={col}, ws_xpixel={xp}, ws_ypixel={yp}}}"


def WINSIZE_OUT(c: _Call, v: int) -> str:
    return WINSIZE_IN(c, v) if c.ok else _ptr(v)


def TERMIOS_IN(c: _Call, v: int) -> str:
    data = c.read(v, 16)
    if data is None:
        return _ptr(v)
    iflag, oflag, cflag, lflag = struct.unpack("<IIII", data)
    odelay = [names[(oflag & mask) // (mask & -mask)] for mask, names in _TC_ODELAYS]
    obits = _flags(oflag & ~sum(m for m, _ in _TC_ODELAYS), _TC_OFLAG, "")
    ostr = "|".join(odelay + ([obits] if obits else []))
    return (f"{{c_iflag={_flags(iflag, _TC_IFLAG)}, c_oflag={ostr}, c_cflag={_cflag(cflag)}, "
            f"c_lflag={_flags(lflag, _TC_LFLAG)}, ...}}")


def TERMIOS_OUT(c: _Call, v: int) -> str:
    return TERMIOS_IN(c, v) if c.ok else _ptr(v)


def _baud(bits: int) -> str:
    if bits & 0o10000:
        return _BAUDS_EXT[bits & 0o17]
    return _BAUDS[bits & 0o17]


def _cflag(cflag: int) -> str:
    parts = [_baud(cflag & 0o10017)]
    ibaud = (cflag >> 16) & 0o10017
    if ibaud:
        parts.append(f"{_baud(ibaud)}<<IBSHIFT")
    parts.append(f"CS{5 + ((cflag >> 4) & 3)}")
    rest = cflag & ~(0o10017 | (0o10017 << 16) | 0o60)
    if rest:
        parts.append(_flags(rest, _TC_CFLAG))
    return "|".join(parts)


def _flock(c: _Call, v: int) -> str:
    data = c.read(v, 32)
    if data is None:
        return _ptr(v)
    ltype, whence = struct.unpack_from("<hh", data, 0)
    start, length = struct.unpack_from("<qq", data, 8)
    return (f"{{l_type={_xlat(ltype & 0xFFFF, _F_LOCK_TYPES, 'F_???')}, "
            f"l_whence={_xlat(whence & 0xFFFF, _SEEK, 'SEEK_???')}, l_start={start}, l_len={length}}}")


# --------------------------------------------------------------------------------------------------
# Calls whose arguments depend on other arguments

def _fmt_open(c: _Call, first: list[str]) -> list[str]:
    flags = c.arg(len(first))
    out = first + [_open_flags(flags)]
    if flags & (_O_CREAT | _O_TMPFILE_BIT):
        out.append(_octal(c.arg(len(first) + 1) & 0xFFFFFFFF))
    return out


def _call_openat(c: _Call) -> list[str]:
    return _fmt_open(c, [DIRFD(c, c.arg(0)), PATH(c, c.arg(1))])


def _call_open(c: _Call) -> list[str]:
    return _fmt_open(c, [PATH(c, c.arg(0))])


def _call_fcntl(c: _Call) -> list[str]:
    fd, cmd, arg = c.arg(0), c.arg(1) & 0xFFFFFFFF, c.arg(2)
    name = _F_CMDS.get(cmd)
    out = [FD(c, fd), _xlat(cmd, _F_CMDS, "F_???")]
    if name in ("F_GETFD", "F_GETFL", "F_GETOWN", "F_GETSIG", "F_GETLEASE", "F_GETPIPE_SZ", "F_GET_SEALS"):
        pass
    elif name == "F_SETFD":
        out.append(_flags(arg & 0xFFFFFFFF, _FD_FLAGS))
    elif name == "F_SETFL":
        out.append(_open_flags(arg))
    elif name in ("F_DUPFD", "F_DUPFD_CLOEXEC", "F_SETOWN", "F_SETPIPE_SZ"):
        out.append(str(_s32(arg)))
    elif name == "F_SETSIG":
        out.append(signal_name(_s32(arg)) if arg else "0")
    elif name == "F_SETLEASE":
        out.append(_xlat(arg & 0xFFFFFFFF, _F_LOCK_TYPES, "F_???"))
    elif name == "F_ADD_SEALS":
        out.append(_flags(arg & 0xFFFFFFFF, _F_SEALS))
    elif name in ("F_SETLK", "F_SETLKW", "F_OFD_SETLK", "F_OFD_SETLKW"):
        out.append(_flock(c, arg))
    elif name in ("F_GETLK", "F_OFD_GETLK"):
        out.append(_flock(c, arg) if c.ok else _ptr(arg))
    else:
        out.append(_hex(arg))
    return out


def _ioctl_request(req: int) -> str:
    name = _IOCTLS.get(req)
    if name:
        return name
    d, size, typ, nr = (req >> 30) & 3, (req >> 16) & 0x3FFF, (req >> 8) & 0xFF, req & 0xFF
    return f"_IOC({_IOC_DIRS[d]}, {_hex(typ)}, {_hex(nr)}, {_hex(size)})"


def _call_ioctl(c: _Call) -> list[str]:
    req, arg = c.arg(1) & 0xFFFFFFFF, c.arg(2)
    name = _IOCTLS.get(req)
    if name in ("TCGETS", "TCGETA"):
        argtext = TERMIOS_OUT(c, arg) if name == "TCGETS" else _ptr(arg)
    elif name in ("TCSETS", "TCSETSW", "TCSETSF"):
        argtext = TERMIOS_IN(c, arg)
    elif name == "TIOCGWINSZ":
        argtext = WINSIZE_OUT(c, arg)
    elif name == "TIOCSWINSZ":
        argtext = WINSIZE_IN(c, arg)
    elif name in _IOCTL_INT_IN:
        argtext = INT_IN(c, arg)
    elif name in _IOCTL_INT_OUT:
        argtext = INT_OUT(c, arg)
    elif name in ("TCSBRK", "TCXONC", "TCFLSH", "TIOCSCTTY", "TCSBRKP"):
        argtext = str(_s32(arg))
    elif name in ("TIOCNOTTY", "TIOCEXCL", "TIOCNXCL", "FIONCLEX", "FIOCLEX", "TIOCSBRK", "TIOCCBRK"):
        return [FD(c, c.arg(0)), name]
    elif name is not None:
        argtext = _ptr(arg)
    else:
        argtext = _hex(arg)
    return [FD(c, c.arg(0)), _ioctl_request(req), argtext]


def _futex_op(op: int) -> str:
    cmd = op & ~(_FUTEX_PRIVATE | _FUTEX_CLOCK_REALTIME)
    name = _FUTEX_CMDS.get(cmd)
    if name is None:
        return _hex(op)
    if op & _FUTEX_PRIVATE:
        name += "_PRIVATE"
    if op & _FUTEX_CLOCK_REALTIME:
        name += "|FUTEX_CLOCK_REALTIME"
    return name


def _call_futex(c: _Call) -> list[str]:
    uaddr, op, val, timeout, uaddr2, val3 = (c.arg(i) for i in range(6))
    op &= 0xFFFFFFFF
    cmd = _FUTEX_CMDS.get(op & ~(_FUTEX_PRIVATE | _FUTEX_CLOCK_REALTIME))
    out = [_ptr(uaddr), _futex_op(op)]
    u32 = lambda x: str(x & 0xFFFFFFFF)  # noqa: E731
    bitset = lambda x: "FUTEX_BITSET_MATCH_ANY" if x & 0xFFFFFFFF == 0xFFFFFFFF else _hex(x & 0xFFFFFFFF)  # noqa: E731
    if cmd in ("FUTEX_WAIT",):
        out += [u32(val), TIMESPEC_IN(c, timeout)]
    elif cmd in ("FUTEX_WAKE", "FUTEX_FD"):
        out += [u32(val)]
    elif cmd == "FUTEX_REQUEUE":
        out += [u32(val), u32(timeout), _ptr(uaddr2)]
    elif cmd in ("FUTEX_CMP_REQUEUE", "FUTEX_CMP_REQUEUE_PI"):
        out += [u32(val), u32(timeout), _ptr(uaddr2), u32(val3)]
    elif cmd == "FUTEX_WAKE_OP":
        out += [u32(val), u32(timeout), _ptr(uaddr2), _hex(val3 & 0xFFFFFFFF)]
    elif cmd in ("FUTEX_LOCK_PI", "FUTEX_LOCK_PI2"):
        out += [TIMESPEC_IN(c, timeout)]
    elif cmd in ("FUTEX_UNLOCK_PI", "FUTEX_TRYLOCK_PI"):
        pass
    elif cmd == "FUTEX_WAIT_BITSET":
        out += [u32(val), TIMESPEC_IN(c, timeout), bitset(val3)]
    elif cmd == "FUTEX_WAKE_BITSET":
        out += [u32(val), bitset(val3)]
    elif cmd == "FUTEX_WAIT_REQUEUE_PI":
        out += [u32(val), TIMESPEC_IN(c, timeout), _ptr(uaddr2)]
    else:
        out += [_hex(x) for x in (val, timeout, uaddr2, val3)]
    return out


def _clone_flags(flags: int) -> str:
    sig = flags & 0xFF
    rest = flags & ~0xFF
    parts = [_flags(rest, _CLONE_FLAGS)] if rest else []
    if sig:
        parts.append(signal_name(sig))
    return "|".join(parts) if parts else "0"


def _call_clone(c: _Call) -> list[str]:
    flags, stack, ptid = c.arg(0), c.arg(1), c.arg(2)
    out = [f"child_stack={_ptr(stack)}", f"flags={_clone_flags(flags)}"]
    order = c.arch.clone_tls_before_child_tid
    if order is None:
        if flags & (_CLONE_PARENT_SETTID | _CLONE_PIDFD):
            out.append(f"parent_tid={_ptr(ptid)}")
        return out + [_hex(c.arg(3)), _hex(c.arg(4))]
    tls, ctid = (c.arg(3), c.arg(4)) if order else (c.arg(4), c.arg(3))
    if flags & (_CLONE_PARENT_SETTID | _CLONE_PIDFD):
        tid = c.u32(ptid) if c.ok and flags & _CLONE_PARENT_SETTID else None
        out.append(f"parent_tid={_ptr(ptid) if tid is None else f'[{_s32(tid)}]'}")
    if flags & _CLONE_SETTLS:
        out.append(f"tls={_ptr(tls)}")
    if flags & _CLONE_CHILD_TID:
        out.append(f"child_tidptr={_ptr(ctid)}")
    return out


def _call_clone3(c: _Call) -> list[str]:
    addr, size = c.arg(0), c.arg(1)
    data = c.read(addr, 64) if size >= 64 else None
    if data is None:
        return [_ptr(addr), str(size)]
    flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls = struct.unpack("<8Q", data)
    fields = [f"flags={_flags(flags, _CLONE_FLAGS)}"]
    if flags & _CLONE_PIDFD:
        fields.append(f"pidfd={_ptr(pidfd)}")
    if flags & _CLONE_CHILD_TID:
        fields.append(f"child_tid={_ptr(child_tid)}")
    if flags & _CLONE_PARENT_SETTID:
        fields.append(f"parent_tid={_ptr(parent_tid)}")
    fields.append(f"exit_signal={signal_name(exit_signal) if exit_signal else '0'}")
    fields.append(f"stack={_ptr(stack)}")
    fields.append(f"stack_size={_hex(stack_size)}")
    if flags & _CLONE_SETTLS:
        fields.append(f"tls={_ptr(tls)}")
    text = "{" + ", ".join(fields) + "}"
    if c.ok and flags & _CLONE_PARENT_SETTID:
        tid = c.u32(parent_tid)
        if tid is not None:
            text += f" => {{parent_tid=[{_s32(tid)}]}}"
    return [text, str(size)]


def _call_arch_prctl(c: _Call) -> list[str]:
    code, addr = c.arg(0) & 0xFFFFFFFF, c.arg(1)
    if code in _ARCH_PRCTL_GET and c.ok:
        val = c.u64(addr)
        return [_ARCH_PRCTL[code], _hex(addr) if val is None else f"[{_hex(val)}]"]
    return [_xlat(code, _ARCH_PRCTL, "ARCH_???"), _hex(addr)]


def _call_prctl(c: _Call) -> list[str]:
    option = c.arg(0) & 0xFFFFFFFF
    name = _PRCTL.get(option)
    if name == "PR_SET_NAME":
        return [name, STR(c, c.arg(1))]
    if name == "PR_GET_NAME":
        return [name, STR(c, c.arg(1)) if c.ok else _ptr(c.arg(1))]
    if name in ("PR_SET_PDEATHSIG",):
        return [name, signal_name(_s32(c.arg(1))) if c.arg(1) else "0"]
    if name in ("PR_GET_DUMPABLE", "PR_GET_CHILD_SUBREAPER", "PR_GET_NO_NEW_PRIVS", "PR_GET_SECCOMP"):
        return [name]
    return [_xlat(option, _PRCTL, "PR_???")] + [_hex(c.arg(i)) for i in range(1, 5)]


_SECCOMP_OPS = {0: "SECCOMP_SET_MODE_STRICT", 1: "SECCOMP_SET_MODE_FILTER", 2: "SECCOMP_GET_ACTION_AVAIL",
                3: "SECCOMP_GET_NOTIF_SIZES"}
_SECCOMP_FLAGS = ((1, "SECCOMP_FILTER_FLAG_TSYNC"), (2, "SECCOMP_FILTER_FLAG_LOG"),
                  (4, "SECCOMP_FILTER_FLAG_SPEC_ALLOW"), (8, "SECCOMP_FILTER_FLAG_NEW_LISTENER"),
                  (16, "SECCOMP_FILTER_FLAG_TSYNC_ESRCH"), (32, "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"))


def _call_seccomp(c: _Call) -> list[str]:
    """seccomp(op, flags, args): a filter's sock_fprog shows as {len=N, filter=ADDR}, as strace's default."""
    op, flags, uargs = c.arg(0) & 0xFFFFFFFF, c.arg(1) & 0xFFFFFFFF, c.arg(2)
    shown = _ptr(uargs)
    if op == 1 and (fprog := c.read(uargs, 16)) is not None:
        length, address = struct.unpack("<H6xQ", fprog)
        shown = f"{{len={length}, filter={_ptr(address)}}}"
    return [_xlat(op, _SECCOMP_OPS, "SECCOMP_???"), _flags(flags, _SECCOMP_FLAGS), shown]


def _call_mremap(c: _Call) -> list[str]:
    out = [_ptr(c.arg(0)), SIZE(c, c.arg(1)), SIZE(c, c.arg(2)), MREMAP_FLAGS(c, c.arg(3))]
    if c.arg(3) & 2:
        out.append(_ptr(c.arg(4)))
    return out


# --------------------------------------------------------------------------------------------------
# The signature table: name -> argument kinds, or a function producing the argument texts.

_NOARGS: tuple[ArgFormatter, ...] = ()

SIGNATURES: dict[str, tuple[ArgFormatter, ...] | Callable[[_Call], list[str]]] = {
    # file I/O
    "read": (FD, BUF_OUT, SIZE),
    "write": (FD, buf_in(2), SIZE),
    "pread64": (FD, BUF_OUT, SIZE, LONG),
    "pwrite64": (FD, buf_in(2), SIZE, LONG),
    "readv": (FD, iov_out(2), INT),
    "writev": (FD, iov_in(2), INT),
    "preadv": (FD, iov_out(2), INT, LONG),
    "pwritev": (FD, iov_in(2), INT, LONG),
    "openat": _call_openat,
    "open": _call_open,
    "creat": (PATH, MODE),
    "close": (FD,),
    "lseek": (FD, LONG, WHENCE),
    "sendfile": (FD, FD, PTR, SIZE),
    "ftruncate": (FD, LONG),
    "truncate": (PATH, LONG),
    "fsync": (FD,),
    "fdatasync": (FD,),
    # metadata
    "fstat": (FD, STAT_OUT),
    "newfstatat": (DIRFD, PATH, STAT_OUT, AT_FLAGS),
    "stat": (PATH, STAT_OUT),
    "lstat": (PATH, STAT_OUT),
    "statx": (DIRFD, PATH, STATX_AT_FLAGS, STATX_MASK, STATX_OUT),
    "access": (PATH, ACCESS_MODE),
    "faccessat": (DIRFD, PATH, ACCESS_MODE),
    "faccessat2": (DIRFD, PATH, ACCESS_MODE, AT_FLAGS),
    "readlinkat": (DIRFD, PATH, BUF_OUT, SIZE),
    "readlink": (PATH, BUF_OUT, SIZE),
    "getdents64": (FD, DIRENTS_OUT, UINT),
    "getdents": (FD, DIRENTS_OUT, UINT),
    "chdir": (PATH,),
    "fchdir": (FD,),
    "getcwd": (STR_OUT, SIZE),
    "unlinkat": (DIRFD, PATH, AT_FLAGS),
    "unlink": (PATH,),
    "rmdir": (PATH,),
    "mkdirat": (DIRFD, PATH, MODE),
    "mkdir": (PATH, MODE),
    "renameat": (DIRFD, PATH, DIRFD, PATH),
    "renameat2": (DIRFD, PATH, DIRFD, PATH, HEX),
    "rename": (PATH, PATH),
    "linkat": (DIRFD, PATH, DIRFD, PATH, AT_FLAGS),
    "symlinkat": (PATH, DIRFD, PATH),
    "symlink": (PATH, PATH),
    "fchmod": (FD, MODE),
    "fchmodat": (DIRFD, PATH, MODE),
    "chmod": (PATH, MODE),
    "fchownat": (DIRFD, PATH, INT, INT, AT_FLAGS),
    "umask": (MODE,),
    "utimensat": (DIRFD, PATH, PTR, AT_FLAGS),
    # fds
    "dup": (FD,),
    "dup2": (FD, FD),
    "dup3": (FD, FD, O_FLAGS),
    "pipe": (PIPEFDS_OUT,),
    "pipe2": (PIPEFDS_OUT, O_FLAGS),
    "fcntl": _call_fcntl,
    "ioctl": _call_ioctl,
    "poll": (PTR, UINT, INT),
    "ppoll": (PTR, UINT, TIMESPEC_IN, PTR, SIZE),
    # memory
    "mmap": (PTR, SIZE, PROT, MAP_FLAGS, FD, HEX),
    "munmap": (PTR, SIZE),
    "mprotect": (PTR, SIZE, PROT),
    "mremap": _call_mremap,
    "brk": (PTR,),
    "madvise": (PTR, SIZE, MADVICE),
    "msync": (PTR, SIZE, HEX),
    "membarrier": (HEX, HEX, INT),
    "riscv_flush_icache": (PTR, PTR, HEX),
    "riscv_hwprobe": (PTR, SIZE, SIZE, PTR, HEX),
    # processes
    "exit": (INT,),
    "exit_group": (INT,),
    "execve": (PATH, ARGV, ENVP),
    "execveat": (DIRFD, PATH, ARGV, ENVP, AT_FLAGS),
    "clone": _call_clone,
    "clone3": _call_clone3,
    "fork": _NOARGS,
    "vfork": _NOARGS,
    "wait4": (INT, WSTATUS_OUT, WAIT_OPTIONS, PTR),
    "waitid": (IDTYPE, INT, PTR, WAIT_OPTIONS, PTR),
    "kill": (INT, SIGNUM),
    "tkill": (INT, SIGNUM),
    "tgkill": (INT, INT, SIGNUM),
    "getpid": _NOARGS,
    "gettid": _NOARGS,
    "getppid": _NOARGS,
    "getuid": _NOARGS,
    "geteuid": _NOARGS,
    "getgid": _NOARGS,
    "getegid": _NOARGS,
    "getpgrp": _NOARGS,
    "setsid": _NOARGS,
    "getsid": (INT,),
    "getpgid": (INT,),
    "setpgid": (INT, INT),
    "sched_yield": _NOARGS,
    "set_tid_address": (PTR,),
    "set_robust_list": (PTR, SIZE),
    "get_robust_list": (INT, PTR, PTR),
    "rseq": (PTR, HEX, HEX, HEX),
    "uname": (UTSNAME_OUT,),
    "prlimit64": (INT, RLIMIT_RES, RLIMIT_IN, RLIMIT_OUT),
    "getrlimit": (RLIMIT_RES, RLIMIT_OUT),
    "setrlimit": (RLIMIT_RES, RLIMIT_IN),
    "sched_getaffinity": (INT, SIZE, CPUSET_OUT),
    "sched_setaffinity": (INT, SIZE, cpuset_in(1)),
    "arch_prctl": _call_arch_prctl,
    "prctl": _call_prctl,
    "seccomp": _call_seccomp,
    "futex": _call_futex,
    "getrandom": (BUF_OUT_HEX, SIZE, GRND_FLAGS),
    # signals
    "rt_sigaction": (SIGNUM, SIGACTION_IN, SIGACTION_OUT, SIZE),
    "rt_sigprocmask": (SIGHOW, sigset_in(3), sigset_out(3), SIZE),
    "rt_sigreturn": _NOARGS,
    "rt_sigsuspend": (sigset_in(1), SIZE),
    "sigaltstack": (PTR, PTR),
    # time
    "clock_gettime": (CLOCKID, TIMESPEC_OUT),
    "clock_getres": (CLOCKID, TIMESPEC_OUT),
    "gettimeofday": (TIMEVAL_OUT, PTR),
    "nanosleep": (TIMESPEC_IN, PTR),
    "clock_nanosleep": (CLOCKID, TIMER_FLAGS, TIMESPEC_IN, PTR),
    "time": (PTR,),
}

_RESULT_HEX = {"mmap", "mremap", "brk", "shmat"}
_RESULT_OCTAL = {"umask"}
_RESULT_TIMEOUT = {"poll", "ppoll", "select", "pselect6"}
# Calls whose result is a new descriptor (strace's RVAL_FD): -y decorates it.
_RESULT_FD = {"open", "openat", "openat2", "creat", "dup", "dup2", "dup3", "socket", "accept", "accept4",
              "epoll_create", "epoll_create1", "eventfd", "eventfd2", "signalfd", "signalfd4", "timerfd_create",
              "memfd_create", "pidfd_open", "pidfd_getfd", "inotify_init", "inotify_init1", "fanotify_init",
              "perf_event_open", "userfaultfd", "open_tree", "fsopen", "fsmount", "fspick", "open_by_handle_at",
              "mq_open", "memfd_secret", "io_uring_setup"}
_F_DUPFD_CMDS = {0, 1030}


# --------------------------------------------------------------------------------------------------
# Entry points

def _generic_args(args: Sequence[int]) -> list[str]:
    vals = list(args)[:6]
    vals += [0] * (6 - len(vals))
    return [_hex(a) for a in vals]


def format_call(name: str, args: Sequence[int], result: int | None, mem: UserMemoryReader,
                arch: object | None = None, strlen: int = MAX_STRLEN, fd_path: FdPath | None = None) -> str:
    """``name(arg, ...)``: the part of the line before `` = ``.  ``arch``: see ``strace_arch``; ``strlen``:
    strace's -s; ``fd_path``: strace's -y (descriptor -> path, or None when it is not open)."""
    c = _Call(name, args, result, mem, strace_arch(arch), strlen, fd_path)
    sig = SIGNATURES.get(name)
    try:
        if sig is None:
            texts = _generic_args(c.args)
        elif callable(sig):
            texts = sig(c)
        else:
            texts = [fmt(c, c.arg(i)) for i, fmt in enumerate(sig)]
    except Exception:  # a formatting bug must never take down the traced program
        texts = _generic_args(c.args)
    return f"{name}({', '.join(texts)})"


def format_return(name: str, result: int | None, args: Sequence[int] = (), fd_path: FdPath | None = None) -> str:
    """The part after `` = ``: ``3``, ``0x7f...``, ``-1 ENOENT (No such file or directory)``, ``?``; with
    ``fd_path`` (-y) a new descriptor is followed by its path, ``3</etc/passwd>``."""
    if result is None:
        return "?"
    if -_MAX_ERRNO <= result < 0:
        err = -result
        if err in _RESTART_ERRNOS:
            ename, text = _RESTART_ERRNOS[err]
            return f"? {ename} ({text})"
        ename = ERRNO_NAMES.get(err, f"E{err}")
        return f"-1 {ename} ({os.strerror(err)})"
    if name in _RESULT_HEX:
        return _hex(result)
    if name in _RESULT_OCTAL:
        return _octal(result)
    if fd_path is not None and (name in _RESULT_FD or name == "fcntl" and len(args) > 1
                                and args[1] & 0xFFFFFFFF in _F_DUPFD_CMDS):
        return _fd_text(result, fd_path)
    if name in _RESULT_TIMEOUT and result == 0:
        return "0 (Timeout)"
    if name == "fcntl" and len(args) > 1:
        cmd = _F_CMDS.get(args[1] & 0xFFFFFFFF)
        if cmd == "F_GETFL":
            return f"{_hex(result)} (flags {_open_flags(result)})"
        if cmd == "F_GETFD" and result:
            return f"{_hex(result)} (flags {_flags(result, _FD_FLAGS)})"
        if cmd == "F_GET_SEALS" and result:
            return f"{_hex(result)} (seals {_flags(result, _F_SEALS)})"
        if cmd == "F_GETLEASE":
            return _xlat(result, _F_LOCK_TYPES, "F_???")
    return str(result)


def format_syscall(name: str, args: Sequence[int], result: int | None, mem: UserMemoryReader, *,
                   arch: object | None = None, pad_to: int = 0, strlen: int = MAX_STRLEN,
                   fd_path: FdPath | None = None) -> str:
    """One strace line, without the newline.

    ``args``: the raw (unsigned) argument registers; ``result``: the raw return value as a signed int,
    or None for a call that does not return (exit, exit_group; printed ``= ?``).  ``arch``: a StraceArch or
    the process's kernel ``Arch`` (enables the ISA-dependent decoders, see ``strace_arch``).  ``pad_to``: strace pads
    the call text so that ``=`` lands in column 40; pass 40 (minus any prefix the caller prints) to match.
    """
    call = format_call(name, args, result, mem, arch, strlen, fd_path)
    if pad_to and len(call) < pad_to - 1:
        call = call.ljust(pad_to - 1)
    return f"{call} = {format_return(name, result, args, fd_path)}"
