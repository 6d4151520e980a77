"""What /proc/<pid> shows of a process: its state, name, command line and times, and the stat, statm,
status and limits files (Linux's fs/proc/array.c and the helpers of base.c)."""
from __future__ import annotations

import errno
import os
from typing import TYPE_CHECKING

from pynix.errors import KernelError
from pynix.fs.proc.inode import PAGE_SIZE, RLIM_INFINITY, USER_HZ, as_bytes

if TYPE_CHECKING:
    from pynix.fs.proc.root import ProcfsSuperBlock
    from pynix.task.task import Task, ThreadGroup

def leader(group: "ThreadGroup") -> "Task | None":
    for t in group.tasks:
        if t.tid == group.pid:
            return t
    return group.tasks[0] if group.tasks else None


def proc_comm(group: "ThreadGroup", task: "Task | None") -> str:
    """The command name (TASK_COMM_LEN - 1 = 15 bytes): the thread's own if the task keeps one, else the
    basename of the executable as exec sets it."""
    for obj in (task, group):
        name = getattr(obj, "comm", None) if obj is not None else None
        if name:
            return name[:15]
    return os.path.basename(group.exe or "")[:15]


def proc_state(kernel, group: "ThreadGroup", task: "Task | None") -> str:
    from pynix.task.task import TaskState
    if task is None or task.state is TaskState.ZOMBIE:
        return "Z"
    if task.state is TaskState.TRACED:
        return "t"
    if getattr(task, "stopped", False) or getattr(group, "stopped", False):
        return "T"
    if task is getattr(kernel, "current", None):
        return "R"
    return "S" if task.state is TaskState.SLEEPING else "R"


def _tracer_pid(task: "Task | None") -> int:
    link = getattr(task, "ptrace", None)
    return link.tracer.pid if link is not None else 0


STATE_NAMES = {"R": "R (running)", "S": "S (sleeping)", "D": "D (disk sleep)", "T": "T (stopped)",
               "t": "t (tracing stop)", "X": "X (dead)", "Z": "Z (zombie)", "I": "I (idle)"}


def _read_user(mm, start: int, end: int) -> bytes:
    if end <= start:
        return b""
    from pynix.mm.uaccess import copy_from_user
    try:
        return copy_from_user(mm, start, end - start)
    except KernelError:
        return b""


def mm_args(mm) -> tuple[int, int, int, int, int] | None:
    """(arg_start, arg_end, env_start, env_end, start_stack) of an address space, as the loader recorded them
    (Linux's mm_struct fields), or None for one that never ran a program."""
    if not mm.arg_end:
        return None
    return (mm.arg_start, mm.arg_end, mm.env_start, mm.env_end, mm.start_stack)


def cmdline(group: "ThreadGroup") -> bytes:
    """get_mm_cmdline: the argument strings; if the last byte was overwritten (setproctitle), the text runs
    on into the environment up to the first NUL."""
    if group.exit_status is not None:
        return b""
    args = mm_args(group.mm)
    if args is None:
        return b""
    arg_start, arg_end, env_start, env_end, _ = args
    data = _read_user(group.mm, arg_start, arg_end)
    if data and data[-1] != 0:
        more = _read_user(group.mm, env_start, env_end)
        nul = more.find(b"\0")
        data += more[:nul] if nul >= 0 else more
    return data


def environ(group: "ThreadGroup") -> bytes:
    if group.exit_status is not None:
        return b""
    args = mm_args(group.mm)
    if args is None:
        return b""
    return _read_user(group.mm, args[2], args[3])


def _cpu_ticks(group: "ThreadGroup", task: "Task | None", whole: bool) -> tuple[int, int]:
    if whole:
        utime, stime = group.cpu_time_ns()
    else:
        utime, stime = (task.utime_ns, task.stime_ns) if task is not None else (0, 0)
    return utime * USER_HZ // 10**9, stime * USER_HZ // 10**9


def _start_ticks(kernel, obj) -> int:
    """Start time in clock ticks after boot (the `start_time` of a task or group, in time.monotonic()
    seconds like `kernel.boot_time`, if the kernel records it)."""
    start = getattr(obj, "start_time", None)
    boot = getattr(kernel, "boot_time", None)
    if start is None or boot is None:
        return 0
    return max(int((start - boot) * USER_HZ), 0)


class _MemUsage:
    """Sizes of an address space, in bytes (what status, stat and statm report)."""

    def __init__(self, group: "ThreadGroup") -> None:
        self.size = self.rss = self.rss_anon = self.rss_file = self.rss_shmem = 0
        self.data = self.stack = self.exe = 0
        self.start_code = self.end_code = self.start_data = self.end_data = 0
        self.start_brk = self.brk = 0
        if group.exit_status is not None:
            return
        mm = group.mm
        exe = group.exe
        for vma in list(mm.vmas):
            length = vma.end - vma.start
            self.size += length
            try:
                resident = len(mm.page_table.present_slots(vma.start, vma.end)) * PAGE_SIZE
            except Exception:
                resident = 0
            self.rss += resident
            if vma.shmem is not None:
                self.rss_shmem += resident
            elif vma.backing is not None:
                self.rss_file += resident
            else:
                self.rss_anon += resident
            if vma.name == "[stack]":
                self.stack += length
            elif vma.prot & 2 and not vma.shared:
                self.data += length
            if vma.backing is not None and vma.name == exe:
                if vma.prot & 4:
                    self.exe += length
                    self.start_code = self.start_code or vma.start
                    self.end_code = max(self.end_code, vma.end)
                elif vma.prot & 2:
                    self.start_data = self.start_data or vma.start
                    self.end_data = max(self.end_data, vma.end)
        self.start_brk, self.brk = mm.brk_start, mm.brk


def _sigset(signals: object) -> int:
    """A signal set as a mask (bit n-1 for signal n), from a mask or a collection of signal numbers."""
    if isinstance(signals, int):
        return signals
    try:
        return sum(1 << (sig - 1) for sig in signals if 1 <= sig <= 64)
    except TypeError:
        return 0


def _sig_masks(group: "ThreadGroup") -> tuple[int, int]:
    """(ignored, caught) signal sets from the handlers."""
    ign = cgt = 0
    for sig, action in group.sigactions.items():
        if 1 <= sig <= 64:
            if action.handler == 1:
                ign |= 1 << (sig - 1)
            elif action.handler != 0:
                cgt |= 1 << (sig - 1)
    return ign, cgt


def _fault_counts(group: "ThreadGroup", task: "Task | None", whole: bool) -> tuple[int, int]:
    if whole:
        return group.fault_counts()
    return (task.min_flt, task.maj_flt) if task is not None else (0, 0)


def proc_pid_stat(sb: ProcfsSuperBlock, group: "ThreadGroup", task: "Task | None", thread_view: bool) -> bytes:
    """/proc/<pid>/stat: the 52 fields of do_task_stat.  A thread's file (/proc/PID/task/TID/stat) shows its
    own CPU time and page faults, the process's shows those of all its threads; the children's (cutime,
    cminflt...) are the process's in both."""
    kernel = sb.kernel
    from pynix.tty.tty import tty_stat_fields
    kernel.account_running()                 # the reader's own slice so far (it may be reading itself)
    whole = not thread_view
    pid = sb.nr(task.tid if thread_view and task is not None else group.pid)
    state = proc_state(kernel, group, task)
    utime, stime = _cpu_ticks(group, task, whole)
    cutime = group.children_utime_ns * USER_HZ // 10**9
    cstime = group.children_stime_ns * USER_HZ // 10**9
    min_flt, maj_flt = _fault_counts(group, task, whole)
    mem = _MemUsage(group)
    args = None if group.exit_status is not None else mm_args(group.mm)
    arg_start, arg_end, env_start, env_end, start_stack = args or (0, 0, 0, 0, 0)
    ign, cgt = _sig_masks(group)
    nice = group.nice
    rsslim = group.rlimits.get(5, (RLIM_INFINITY, RLIM_INFINITY))[0]
    exit_code = group.exit_status if group.exit_status is not None else 0
    blocked = task.sigmask if task is not None else 0
    fields = [
        state, sb.nr(group.ppid), sb.nr(group.pgid), sb.nr(group.sid), *tty_stat_fields(kernel, group),
        #                                                                  ... tty_nr tpgid
        0x400000, min_flt, group.cmin_flt, maj_flt, group.cmaj_flt,      # flags minflt cminflt majflt cmajflt
        utime, stime, cutime, cstime, 20 + nice, nice,                   # utime stime cutime cstime prio nice
        len(group.live_tasks) or 1, 0, _start_ticks(kernel, task or group),   # threads itrealvalue starttime
        mem.size, mem.rss // PAGE_SIZE, rsslim,                          # vsize rss rsslim
        mem.start_code, mem.end_code, start_stack, 0, 0,                 # startcode endcode startstack esp eip
        _sigset(getattr(task, "pending", 0)) & 0x7FFFFFFF, blocked & 0x7FFFFFFF,   # signal blocked (decimal)
        ign & 0x7FFFFFFF, cgt & 0x7FFFFFFF,                              # sigignore sigcatch
        0, 0, 0, group.exit_signal, 0, 0, 0, 0, 0, 0,                   # wchan nswap cnswap exit_signal cpu
        #                                                                  rt_priority policy blkio guest cguest
        mem.start_data, mem.end_data, mem.start_brk,                     # start_data end_data start_brk
        arg_start, arg_end, env_start, env_end, exit_code,               # arg/env bounds exit_code
    ]
    return as_bytes(f"{pid} ({proc_comm(group, task)}) " + " ".join(str(f) for f in fields) + "\n")


def proc_pid_statm(group: "ThreadGroup") -> bytes:
    mem = _MemUsage(group)
    pages = [mem.size, mem.rss, mem.rss_file + mem.rss_shmem, mem.exe, 0, mem.data + mem.stack, 0]
    return as_bytes(" ".join(str(p // PAGE_SIZE) for p in pages) + "\n")


def kb_text(value: int) -> str:
    return f"{value // 1024:8d} kB"


def proc_pid_status(sb: ProcfsSuperBlock, group: "ThreadGroup", task: "Task | None", thread_view: bool) -> bytes:
    kernel = sb.kernel
    creds = group.creds
    kpid = task.tid if thread_view and task is not None else group.pid
    pid = sb.nr(kpid)
    reader = sb.current()
    user_ns = reader.group.creds.user_ns if reader is not None else creds.user_ns
    uid, euid, suid, fsuid = (user_ns.from_kuid(i) for i in (creds.uid, creds.euid, creds.suid, creds.fsuid))
    gid, egid, sgid, fsgid = (user_ns.from_kgid(i) for i in (creds.gid, creds.egid, creds.sgid, creds.fsgid))
    state = proc_state(kernel, group, task)
    ign, cgt = _sig_masks(group)
    blocked = task.sigmask if task is not None else 0
    pending = _sigset(getattr(task, "pending", 0))
    shared = _sigset(getattr(group, "shared_pending", 0))
    name = proc_comm(group, task).replace("\\", "\\\\").replace("\n", "\\n")
    fd_size = 64
    while fd_size < max(group.fds.entries, default=0) + 1:
        fd_size *= 2
    seccomp = task.seccomp if task is not None else None
    lines = [
        f"Name:\t{name}",
        f"Umask:\t{group.fs.umask:04o}",
        f"State:\t{STATE_NAMES.get(state, state)}",
        f"Tgid:\t{sb.nr(group.pid)}",
        "Ngid:\t0",
        f"Pid:\t{pid}",
        f"PPid:\t{sb.nr(group.ppid)}",
        f"TracerPid:\t{_tracer_pid(task)}",
        f"Uid:\t{uid}\t{euid}\t{suid}\t{fsuid}",
        f"Gid:\t{gid}\t{egid}\t{sgid}\t{fsgid}",
        f"FDSize:\t{fd_size}",
        f"Groups:\t{' '.join(str(user_ns.from_kgid(g)) for g in creds.groups)} ",     # Linux's trailing space
        f"NStgid:\t{sb.nrs(group.pid)}",
        f"NSpid:\t{sb.nrs(kpid)}",
        f"NSpgid:\t{sb.nrs(group.pgid)}",
        f"NSsid:\t{sb.nrs(group.sid)}",
    ]
    if group.exit_status is None:
        mem = _MemUsage(group)
        lines += [
            f"VmPeak:\t{kb_text(mem.size)}", f"VmSize:\t{kb_text(mem.size)}", f"VmLck:\t{kb_text(group.mm.locked_bytes)}",
            f"VmPin:\t{kb_text(0)}",
            f"VmHWM:\t{kb_text(mem.rss)}", f"VmRSS:\t{kb_text(mem.rss)}", f"RssAnon:\t{kb_text(mem.rss_anon)}",
            f"RssFile:\t{kb_text(mem.rss_file)}", f"RssShmem:\t{kb_text(mem.rss_shmem)}", f"VmData:\t{kb_text(mem.data)}",
            f"VmStk:\t{kb_text(mem.stack)}", f"VmExe:\t{kb_text(mem.exe)}", f"VmLib:\t{kb_text(0)}",
            f"VmPTE:\t{kb_text(0)}", f"VmSwap:\t{kb_text(0)}", f"HugetlbPages:\t{kb_text(0)}",
            "CoreDumping:\t0", "THP_enabled:\t1",
        ]
    lines += [
        f"Threads:\t{len(group.live_tasks) or 1}",
        f"SigQ:\t0/{group.rlimits.get(11, (0, 0))[0]}",
        f"SigPnd:\t{pending:016x}",
        f"ShdPnd:\t{shared:016x}",
        f"SigBlk:\t{blocked:016x}",
        f"SigIgn:\t{ign:016x}",
        f"SigCgt:\t{cgt:016x}",
        f"CapInh:\t{creds.cap_inheritable:016x}",
        f"CapPrm:\t{creds.cap_permitted:016x}",
        f"CapEff:\t{creds.cap_effective:016x}",
        f"CapBnd:\t{creds.cap_bset:016x}",
        f"CapAmb:\t{creds.cap_ambient:016x}",
        f"NoNewPrivs:\t{int(group.no_new_privs)}",
        f"Seccomp:\t{seccomp.mode if seccomp is not None else 0}",
        f"Seccomp_filters:\t{seccomp.filter_count if seccomp is not None else 0}",
        "Speculation_Store_Bypass:\tnot vulnerable",
        "SpeculationIndirectBranch:\tnot affected",
        "Cpus_allowed:\t1",
        "Cpus_allowed_list:\t0",
        "Mems_allowed:\t1",
        "Mems_allowed_list:\t0",
        "voluntary_ctxt_switches:\t0",
        "nonvoluntary_ctxt_switches:\t0",
    ]
    return as_bytes("\n".join(lines) + "\n")


_LIMITS = (("Max cpu time", "seconds"), ("Max file size", "bytes"), ("Max data size", "bytes"),
           ("Max stack size", "bytes"), ("Max core file size", "bytes"), ("Max resident set", "bytes"),
           ("Max processes", "processes"), ("Max open files", "files"), ("Max locked memory", "bytes"),
           ("Max address space", "bytes"), ("Max file locks", "locks"), ("Max pending signals", "signals"),
           ("Max msgqueue size", "bytes"), ("Max nice priority", ""), ("Max realtime priority", ""),
           ("Max realtime timeout", "us"))


def proc_pid_limits(group: "ThreadGroup") -> bytes:
    out = [f"{'Limit':<25} {'Soft Limit':<20} {'Hard Limit':<20} {'Units':<10}\n"]
    for i, (name, unit) in enumerate(_LIMITS):
        soft, hard = group.rlimits.get(i, (RLIM_INFINITY, RLIM_INFINITY))
        line = f"{name:<25} "
        for v in (soft, hard):
            line += f"{'unlimited' if v == RLIM_INFINITY else str(v):<20} "
        out.append(line + (f"{unit:<10}\n" if unit else "\n"))
    return as_bytes("".join(out))


OOM_SCORE_ADJ_MIN, OOM_SCORE_ADJ_MAX = -1000, 1000


def _c_div(a: int, b: int) -> int:
    """C's integer division, which truncates toward zero."""
    return a // b if a >= 0 else -(-a // b)


def proc_oom_score(kernel, group: "ThreadGroup") -> bytes:
    """/proc/PID/oom_score: oom_badness (resident pages, plus oom_score_adj thousandths of the machine's pages)
    scaled into [0, 2000] and by 2/3, as proc_oom_score; 0 for the unkillable (pid 1, a process without memory,
    OOM_SCORE_ADJ_MIN).  pynix has no swap, and leaves page-table pages out."""
    total = kernel.frames.total_frames
    if group is kernel.init or group.exit_status is not None or group.oom_score_adj == OOM_SCORE_ADJ_MIN:
        return b"0\n"
    badness = _MemUsage(group).rss // PAGE_SIZE + group.oom_score_adj * (total // 1000)
    return b"%d\n" % max(_c_div((1000 + _c_div(badness * 1000, total)) * 2, 3), 0)


def parse_kstrtoint(data: bytes) -> int:
    """kstrtoint(strstrip(data), 0): an optional sign, then 0x hex, 0 octal or decimal digits; else EINVAL."""
    text = data.strip().decode("ascii", "replace")
    sign, digits = (-1, text[1:]) if text[:1] == "-" else (1, text[1:] if text[:1] == "+" else text)
    base = 16 if digits[:2].lower() == "0x" else 8 if digits[:1] == "0" and len(digits) > 1 else 10
    digits = digits[2:] if base == 16 else digits
    if not digits or not all(c in "0123456789abcdef"[:base] for c in digits.lower()):
        raise KernelError(errno.EINVAL)
    value = sign * int(digits, base)
    if not -(1 << 31) <= value < 1 << 31:
        raise KernelError(errno.ERANGE)
    return value
