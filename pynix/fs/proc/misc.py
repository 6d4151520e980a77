"""The global /proc files (Linux's fs/proc/{cpuinfo,meminfo,stat,uptime,loadavg,version,cmdline}.c,
mm/vmstat.c and kernel/configs.c)."""
from __future__ import annotations

from typing import TYPE_CHECKING
import time

from pynix.fs.proc.array import kb_text
from pynix.fs.proc.inode import PAGE_SIZE, USER_HZ, as_bytes
from pynix.hal.clock import realtime_ns

if TYPE_CHECKING:
    from pynix.fs.proc.root import ProcValues


def version(values: ProcValues) -> bytes:
    release, version = values.release, values.version
    return as_bytes(f"Linux version {release} (pynix@pynix) (gcc (Debian 12.2.0-14) 12.2.0, GNU ld (GNU Binutils for "
              f"Debian) 2.40) {version}\n")


def cmdline_global(values: ProcValues) -> bytes:
    return as_bytes(f"BOOT_IMAGE=/boot/vmlinuz-{values.release} root=/dev/root ro quiet\n")


def cpuinfo(kernel) -> bytes:
    """The arch's description of its CPU, once per online CPU (one package of N cores, as cpu_tree says)."""
    arch = getattr(kernel, "arch", None)
    one = getattr(arch, "cpuinfo", "") or "processor\t: 0\n\n"
    count = kernel.online_cpus() if hasattr(kernel, "online_cpus") else 1
    return as_bytes("".join(_cpuinfo_of(one, n, count) for n in range(count)))


_CPU_NUMBERED = ("processor\t: ", "hart\t\t: ", "core id\t\t: ", "apicid\t\t: ", "initial apicid\t: ")


def _cpuinfo_of(text: str, cpu: int, count: int) -> str:
    lines = []
    for line in text.splitlines(keepends=True):
        if line.startswith(_CPU_NUMBERED):
            line = line.rsplit(": ", 1)[0] + f": {cpu}\n"
        elif line.startswith(("siblings\t: ", "cpu cores\t: ")):
            line = line.rsplit(": ", 1)[0] + f": {count}\n"
        lines.append(line)
    return "".join(lines)


# /proc/config.gz: the kernel configuration, as test harnesses (LTP's tst_kconfig) read it to learn what this
# kernel has.  Only what pynix implements is set; a feature it lacks is "is not set" (add a line with it).
_CONFIG_SET = (
    "64BIT", "MMU", "MULTIUSER", "BINFMT_ELF", "BINFMT_SCRIPT", "FUTEX", "EPOLL", "SIGNALFD", "TIMERFD",
    "EVENTFD", "SHMEM", "TMPFS", "MEMFD_CREATE", "ADVISE_SYSCALLS", "MEMBARRIER", "RSEQ", "POSIX_TIMERS",
    "HIGH_RES_TIMERS", "PROC_FS", "DEVTMPFS", "UNIX98_PTYS", "OVERLAY_FS", "VFAT_FS", "FILE_LOCKING", "FHANDLE",
    "UNIX", "SYSVIPC", "POSIX_MQUEUE", "FSNOTIFY", "INOTIFY_USER", "KCMP", "CHECKPOINT_RESTORE", "NUMA",
    "CROSS_MEMORY_ATTACH",
)
_CONFIG_NOT_SET = (
    "SWAP", "SYSFS", "CGROUPS", "NAMESPACES", "USER_NS", "SECCOMP", "BPF_SYSCALL", "AIO", "IO_URING", "KEYS",
    "FANOTIFY", "DNOTIFY", "QUOTA", "HUGETLBFS", "TRANSPARENT_HUGEPAGE", "FUTEX_PI", "RT_GROUP_SCHED",
    "USERFAULTFD", "PERF_EVENTS", "MODULES", "KEXEC", "AUDIT", "SECURITY", "BLK_DEV_LOOP",
)


def config_gz() -> bytes:
    import gzip
    lines = [f"CONFIG_{name}=y" for name in _CONFIG_SET] + [f"# CONFIG_{name} is not set" for name in _CONFIG_NOT_SET]
    return gzip.compress(("\n".join(lines) + "\n").encode(), mtime=0)


FILESYSTEMS = (b"tmpfs", b"devtmpfs", b"proc", b"pipefs", b"devpts", b"mqueue", b"hostfs")   # registered types


def filesystems() -> bytes:
    """Block-device filesystems without "nodev" (busybox mount tries each of them when no -t is given)."""
    return b"".join(b"nodev\t%s\n" % name for name in FILESYSTEMS) \
        + b"".join(b"\t%s\n" % name for name in (b"ext2", b"ext3", b"ext4", b"vfat"))


def _uptime_seconds(kernel) -> float:
    boot = getattr(kernel, "boot_time", None)
    return max(time.monotonic() - boot, 0.0) if boot is not None else 0.0


def _busy_ns(kernel) -> int:
    tasks = list(getattr(kernel, "tasks", {}).values())
    return sum(t.utime_ns + t.stime_ns for t in tasks)


def uptime(kernel) -> bytes:
    up = _uptime_seconds(kernel)
    idle = max(up - _busy_ns(kernel) / 1e9, 0.0)
    return as_bytes(f"{up:.2f} {idle:.2f}\n")


def _runnable(kernel) -> int:
    from pynix.task.task import TaskState
    return sum(1 for t in getattr(kernel, "tasks", {}).values() if t.state is TaskState.RUNNABLE)


def loadavg(kernel) -> bytes:
    tasks = getattr(kernel, "tasks", {})
    return as_bytes(f"0.00 0.00 0.00 {_runnable(kernel)}/{len(tasks)} {getattr(kernel, '_last_pid', 0)}\n")


def stat_global(kernel) -> bytes:
    up = _uptime_seconds(kernel)
    busy = _busy_ns(kernel) * USER_HZ // 10**9
    per_cpu = getattr(kernel, "cpu_busy_ns", [0])
    idle = max(int(up * USER_HZ) * len(per_cpu) - busy, 0)
    cpu = f"{busy} 0 0 {idle} 0 0 0 0 0 0"
    btime = int(realtime_ns() / 10**9 - up)      # the boot time on the wall clock moves when it is set
    lines = [f"cpu  {cpu}"]
    if len(per_cpu) == 1:
        lines.append(f"cpu0 {cpu}")
    else:                                        # each CPU's own time running tasks (Kernel.cpu_busy_ns)
        for n, ns in enumerate(per_cpu):
            mine = ns * USER_HZ // 10**9
            lines.append(f"cpu{n} {mine} 0 0 {max(int(up * USER_HZ) - mine, 0)} 0 0 0 0 0 0")
    lines += ["intr 0", "ctxt 0", f"btime {btime}",
             f"processes {getattr(kernel, '_last_pid', 0)}", f"procs_running {max(_runnable(kernel), 1)}",
             "procs_blocked 0", "softirq 0 0 0 0 0 0 0 0 0 0 0"]
    return as_bytes("\n".join(lines) + "\n")


def meminfo(kernel) -> bytes:
    frames = getattr(kernel, "frames", None)
    total = getattr(frames, "total_frames", 0) * PAGE_SIZE
    free = getattr(frames, "free_frames", 0) * PAGE_SIZE
    used = total - free
    rows = [("MemTotal", total), ("MemFree", free), ("MemAvailable", free), ("Buffers", 0), ("Cached", 0),
            ("SwapCached", 0), ("Active", used), ("Inactive", 0), ("Active(anon)", used), ("Inactive(anon)", 0),
            ("Active(file)", 0), ("Inactive(file)", 0), ("Unevictable", 0), ("Mlocked", 0), ("SwapTotal", 0),
            ("SwapFree", 0), ("Zswap", 0), ("Zswapped", 0), ("Dirty", 0), ("Writeback", 0), ("AnonPages", used),
            ("Mapped", 0), ("Shmem", 0), ("KReclaimable", 0), ("Slab", 0), ("SReclaimable", 0),
            ("SUnreclaim", 0), ("KernelStack", 0), ("PageTables", 0), ("NFS_Unstable", 0), ("Bounce", 0),
            ("WritebackTmp", 0), ("CommitLimit", total // 2), ("Committed_AS", used),
            ("VmallocTotal", 34359738367 * 1024), ("VmallocUsed", 0), ("VmallocChunk", 0), ("Percpu", 0),
            ("HardwareCorrupted", 0), ("AnonHugePages", 0), ("ShmemHugePages", 0), ("ShmemPmdMapped", 0),
            ("FileHugePages", 0), ("FilePmdMapped", 0)]
    out = [f"{(label + ':'):<15} {kb_text(value)}\n" for label, value in rows]
    out += ["HugePages_Total:       0\n", "HugePages_Free:        0\n", "HugePages_Rsvd:        0\n",
            "HugePages_Surp:        0\n", f"Hugepagesize:   {kb_text(2048 * 1024)}\n", f"Hugetlb:        {kb_text(0)}\n",
            f"DirectMap4k:    {kb_text(total)}\n"]
    return as_bytes("".join(out))


def vmstat(kernel) -> bytes:
    """/proc/vmstat (mm/vmstat.c vmstat_show): "name value" lines, values in pages or events.  Only the counters
    pynix keeps, and those that are zero because it has no swap device; readers (procps' vmstat) take a missing
    name as 0."""
    frames = getattr(kernel, "frames", None)
    total, free = getattr(frames, "total_frames", 0), getattr(frames, "free_frames", 0)
    rows = [("nr_free_pages", free), ("nr_anon_pages", total - free), ("nr_swapcached", 0), ("pswpin", 0),
            ("pswpout", 0)]
    return as_bytes("".join(f"{name} {value}\n" for name, value in rows))
