"""`pynix syscalls`: which Linux system calls the kernel implements, per architecture, and which conformance
tests exercise each.

    pynix syscalls [--arch riscv64|x86_64] [--long] [--markdown] [NAME...]

Every system call number of the architecture, with its name and status:
  implemented          the kernel has a handler for that name
  partial (...)        it has one, but some of the call's features are missing (said in the parentheses)
  ENOSYS               no handler: the call fails with ENOSYS (and is logged once)
and the conformance tests (tests/conformance/*.c) that exercise it -- found by scanning their sources for the
libc functions they call, the `SYS_` numbers they use and the names listed in a `// syscalls: NAME...` header
line (LIBC_SYSCALLS maps the functions whose syscalls have other names).  The default view is a compact table; `--long` (or naming syscalls) prints one line per
syscall with its notes and tests; `--markdown` prints docs/syscalls.md.
"""
from __future__ import annotations

import argparse
import importlib
import re
import shutil
import sys
from functools import lru_cache
from pathlib import Path

# The CLI may know the list of supported ISAs; everything else about them lives under pynix/arch/<isa>/.
SYSCALL_TABLES = {
    "riscv64": "pynix.arch.riscv64.syscall_nr",
    "x86_64": "pynix.arch.x86_64.syscall_nr",
}
CONFORMANCE_DIR = Path(__file__).resolve().parents[2] / "tests" / "conformance"

IMPLEMENTED = "implemented"
PARTIAL = "partial"
MISSING = "ENOSYS"

# What an implemented syscall still lacks.  Kept by hand: when a handler grows the feature, delete its line
# (a module may also export PARTIAL = {name: note} from pynix.syscall.registry; those notes win).
PARTIAL_NOTES: dict[str, str] = {
    "ioctl": "terminals, ptys, block devices (BLK*), loop devices and loop-control, and the generic FIO* "
             "requests: no other device-specific ioctls",
    "fcntl": "no F_GET_RW_HINT/F_SET_RW_HINT, F_GET_FILE_RW_HINT/F_SET_FILE_RW_HINT, F_DUPFD_QUERY or "
             "F_CREATED_QUERY (EINVAL)",
    "fanotify_init": "no FAN_REPORT_TARGET_FID, FAN_REPORT_FD_ERROR, FAN_REPORT_MNT or FAN_ENABLE_AUDIT (EINVAL)",
    "fanotify_mark": "no FAN_OPEN_PERM for a file the open creates nor FAN_ACCESS_PERM for getdents; a signal ends a wait for a permission answer with EINTR; the close of a "
                     "running program's own file at exit is not reported",
    "prlimit64": "only the calling process (another pid: ESRCH)",
    "adjtimex": "the NTP variables are kept, never applied: the clock is stepped (ADJ_SETOFFSET), not slewed",
    "clock_adjtime": "CLOCK_REALTIME only, as adjtimex",
    "getrusage": "CPU times and page faults only; the other fields are 0",
    "clone": "no namespaces, CLONE_PTRACE or CLONE_NEWTIME (EINVAL)",
    "clone3": "no namespaces, set_tid or cgroups (EINVAL)",
    "shmget": "no SHM_HUGETLB (EINVAL)",
    "mq_notify": "no SIGEV_THREAD (it needs a netlink socket: EINVAL/ENOTSOCK); a registration ends at the last "
                 "close of the descriptor it was made through",
    "inotify_add_watch": "IN_DELETE_SELF of a removed file waits for its open files, not for its mappings, a "
                         "process running it or a working directory in it; IN_UNMOUNT comes at umount even when "
                         "MNT_DETACH leaves the filesystem busy",
    "kcmp": "no KCMP_EPOLL_TFD (EINVAL)",
    "splice": "data is copied, not page references moved",
    "tee": "data is copied, not page references moved",
    "vmsplice": "data is copied, not page references moved (SPLICE_F_GIFT has no effect)",
    "sched_setscheduler": "no RT throttling; a woken real-time task preempts at the next tick",
    "sched_setattr": "SCHED_DEADLINE is refused (EINVAL); utilization clamps have no effect",
    "pidfd_open": "no PIDFD_THREAD (EINVAL)",
    "seccomp": "an allowed call that sleeps passes the filters again when it runs again (a LOG line or "
               "notification may repeat)",
    "open_by_handle_at": "a handle finds only objects still in the dentry cache (else ESTALE)",
    "unshare": "no namespaces: CLONE_NEW* is EINVAL (EPERM unprivileged)",
    "cachestat": "evictions are not tracked (nr_evicted and nr_recently_evicted are 0)",
    "fstatfs": "pipes and sockets: ENOSYS",
    "openat": "O_TMPFILE is EOPNOTSUPP",
    "open": "O_TMPFILE is EOPNOTSUPP",
    "openat2": "O_TMPFILE is EOPNOTSUPP; RESOLVE_CACHED refuses only O_CREAT/O_TRUNC (a lookup never misses)",
    **{f"{prefix}{op}xattr": "kept by tmpfs (also /dev, memfd) and overlayfs; hostfs passes only user.* to the "
                              "host; other filesystems, pipes and sockets: EOPNOTSUPP; no POSIX ACLs (system.*: "
                              "EOPNOTSUPP)"
       for prefix in ("", "l", "f") for op in ("get", "set", "list", "remove")},
}

# libc function (or conformance helper) -> the syscalls it makes.  Names an ISA does not have are ignored
# there (e.g. `open` is `openat` on riscv64).  A function missing here counts as the syscall of its own name.
LIBC_SYSCALLS: dict[str, tuple[str, ...]] = {
    # conf.h helpers
    "scratch": ("mkdir", "mkdirat", "chdir"), "put_file": ("open", "openat", "write", "close"),
    "reap": ("wait4",), "xfork": ("fork", "clone"),
    # processes
    "fork": ("fork", "clone"), "vfork": ("vfork", "clone"), "posix_spawn": ("clone", "execve"),
    "execv": ("execve",), "execvp": ("execve",), "execl": ("execve",), "fexecve": ("execveat",),
    "exit": ("exit_group",), "_exit": ("exit_group",), "_Exit": ("exit_group",), "abort": ("rt_sigprocmask", "tkill"),
    "wait": ("wait4",), "waitpid": ("wait4",), "wait3": ("wait4",),
    "getpgrp": ("getpgrp", "getpgid"), "nice": ("getpriority", "setpriority"), "sched_getcpu": ("getcpu",),
    "getrlimit": ("getrlimit", "prlimit64"), "setrlimit": ("setrlimit", "prlimit64"), "prlimit": ("prlimit64",),
    "sysconf": ("sched_getaffinity",), "gethostname": ("uname",), "getentropy": ("getrandom",),
    "times": ("times",), "clock": ("clock_gettime",),
    # threads
    "pthread_create": ("clone",), "pthread_exit": ("exit",), "pthread_join": ("futex",),
    "pthread_kill": ("tkill",), "pthread_sigmask": ("rt_sigprocmask",),
    "pthread_mutex_lock": ("futex",), "pthread_mutex_unlock": ("futex",), "pthread_mutex_trylock": ("futex",),
    "pthread_cond_wait": ("futex",), "pthread_cond_timedwait": ("futex",), "pthread_cond_signal": ("futex",),
    "pthread_cond_broadcast": ("futex",), "pthread_barrier_wait": ("futex",), "pthread_once": ("futex",),
    "pthread_rwlock_rdlock": ("futex",), "pthread_rwlock_wrlock": ("futex",), "pthread_rwlock_unlock": ("futex",),
    "sem_wait": ("futex",), "sem_timedwait": ("futex",), "sem_post": ("futex",),
    # memory
    "posix_madvise": ("madvise",),   # (malloc & co. are left out: a test that means them says `// syscalls:`)
    # files
    "open": ("open", "openat"), "creat": ("creat", "openat"), "fopen": ("open", "openat"),
    "pread": ("pread64",), "pwrite": ("pwrite64",),
    "stat": ("stat", "newfstatat"), "lstat": ("lstat", "newfstatat"), "fstatat": ("newfstatat",),
    "fstat": ("fstat",), "mkdir": ("mkdir", "mkdirat"), "mkdtemp": ("mkdir", "mkdirat"),
    "mkfifo": ("mknod", "mknodat"), "mknod": ("mknod", "mknodat"), "rmdir": ("rmdir", "unlinkat"),
    "unlink": ("unlink", "unlinkat"), "rename": ("rename", "renameat", "renameat2"), "link": ("link", "linkat"),
    "symlink": ("symlink", "symlinkat"), "readlink": ("readlink", "readlinkat"),
    "access": ("access", "faccessat"), "faccessat": ("faccessat", "faccessat2"), "chmod": ("chmod", "fchmodat"),
    "chown": ("chown", "fchownat"), "opendir": ("open", "openat"), "readdir": ("getdents64",),
    "rewinddir": ("lseek",), "closedir": ("close",), "dup2": ("dup2", "dup3"), "pipe": ("pipe", "pipe2"),
    "futimens": ("utimensat",), "utimes": ("utimes", "utimensat"), "posix_fadvise": ("fadvise64",),
    "lockf": ("fcntl",), "isatty": ("ioctl",), "tcgetattr": ("ioctl",), "tcsetattr": ("ioctl",),
    "tcflush": ("ioctl",), "tcgetpgrp": ("ioctl",), "tcsetpgrp": ("ioctl",), "ttyname_r": ("ioctl", "readlink"),
    "posix_openpt": ("open", "openat"), "grantpt": ("ioctl",), "unlockpt": ("ioctl",), "ptsname": ("ioctl",),
    # signals
    "signal": ("rt_sigaction",), "sigaction": ("rt_sigaction",), "sigprocmask": ("rt_sigprocmask",),
    "sigpending": ("rt_sigpending",), "sigsuspend": ("rt_sigsuspend",), "sigwait": ("rt_sigtimedwait",),
    "sigwaitinfo": ("rt_sigtimedwait",), "sigtimedwait": ("rt_sigtimedwait",), "sigqueue": ("rt_sigqueueinfo",),
    "raise": ("tkill", "rt_sigprocmask"), "alarm": ("setitimer",), "pause": ("pause", "ppoll"),
    "siglongjmp": ("rt_sigprocmask",), "sigsetjmp": ("rt_sigprocmask",),
    # time
    "sleep": ("nanosleep", "clock_nanosleep"), "usleep": ("nanosleep", "clock_nanosleep"),
    "nanosleep": ("nanosleep", "clock_nanosleep"), "time": ("time", "clock_gettime"),
    "gettimeofday": ("gettimeofday", "clock_gettime"), "timerfd_create": ("timerfd_create",),
    "eventfd": ("eventfd2",), "epoll_wait": ("epoll_wait", "epoll_pwait"), "select": ("select", "pselect6"),
    "poll": ("poll", "ppoll"),
    # sockets
    "send": ("sendto",), "recv": ("recvfrom",),
}

_IDENT = re.compile(r"\b([A-Za-z_]\w*)\s*\(")
_DECLARED = re.compile(r"^\s*//\s*syscalls:\s*(.*)$", re.M)
_SYS = re.compile(r"\bSYS_(\w+)")
_COMMENT_OR_STRING = re.compile(r'//[^\n]*|/\*.*?\*/|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'', re.S)


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "syscalls", help="list the Linux system calls, which ones the kernel implements, and their tests",
        description="List every Linux system call of an architecture with its number, whether pynix "
                    "implements it (fully, partially, or not: ENOSYS) and the conformance tests that exercise it.")
    parser.add_argument("names", nargs="*", metavar="NAME", help="only these syscalls (implies --long)")
    parser.add_argument("--arch", choices=sorted(SYSCALL_TABLES), help="architecture to list (default: all)")
    parser.add_argument("--long", action="store_true",
                        help="one line per syscall, with what is missing and the conformance tests")
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables (for docs/syscalls.md)")
    parser.set_defaults(func=run)
    return parser


def syscall_names(arch: str) -> dict[int, str]:
    return importlib.import_module(SYSCALL_TABLES[arch]).SYSCALL_NAMES


def implemented_names() -> set[str]:
    """The kernel's handler names; empty when the syscall layer is not importable yet."""
    try:
        from pynix.syscall import implemented_names as names  # type: ignore[attr-defined]
    except ImportError:
        return set()
    return set(names())


def partial_notes() -> dict[str, str]:
    notes = dict(PARTIAL_NOTES)
    try:
        from pynix.syscall import registry
        notes.update(getattr(registry, "PARTIAL", {}))
    except ImportError:
        pass
    return notes


@lru_cache(maxsize=None)
def conformance_calls(directory: Path = CONFORMANCE_DIR) -> dict[str, frozenset[str]]:
    """test name -> the identifiers it calls and the SYS_ names it uses (comments and strings left out)."""
    calls = {}
    for source in sorted(directory.glob("*.c")):
        raw = source.read_text()
        declared = {f"SYS_{n}" for line in _DECLARED.findall(raw) for n in line.split()}
        text = _COMMENT_OR_STRING.sub(" ", raw)
        words = set(_IDENT.findall(text)) | declared
        calls[source.stem] = frozenset(words | {f"SYS_{n}" for n in _SYS.findall(text)})
    return calls


def tests_by_syscall(arch: str, directory: Path = CONFORMANCE_DIR) -> dict[str, list[str]]:
    """syscall name -> the conformance tests exercising it on `arch` (sorted)."""
    known = set(syscall_names(arch).values())
    result: dict[str, set[str]] = {}
    for test, words in conformance_calls(directory).items():
        for word in words:
            if word.startswith("SYS_"):
                names: tuple[str, ...] = (word[4:],)
            else:
                names = LIBC_SYSCALLS.get(word, (word,))
            for name in names:
                if name in known:
                    result.setdefault(name, set()).add(test)
    return {name: sorted(tests) for name, tests in result.items()}


def _rows(arch: str, implemented: set[str], notes: dict[str, str] | None = None,
          tests: dict[str, list[str]] | None = None) -> list[tuple[int, str, str, str, list[str]]]:
    """(nr, name, status, note, tests) for every syscall number of `arch`."""
    notes = partial_notes() if notes is None else notes
    tests = tests_by_syscall(arch) if tests is None else tests
    rows = []
    for nr, name in sorted(syscall_names(arch).items()):
        if name not in implemented:
            status, note = MISSING, ""
        elif name in notes:
            status, note = PARTIAL, notes[name]
        else:
            status, note = IMPLEMENTED, ""
        rows.append((nr, name, status, note, tests.get(name, [])))
    return rows


def _summary(arch: str, rows) -> str:
    full = sum(1 for r in rows if r[2] == IMPLEMENTED)
    partial = sum(1 for r in rows if r[2] == PARTIAL)
    tested = sum(1 for r in rows if r[4])
    return (f"{arch}: {full + partial} of {len(rows)} implemented ({partial} partially); "
            f"{tested} exercised by the conformance suite")


def format_text(arch: str, rows, width: int = 100) -> str:
    """Columns of ``nr name status`` (status: implemented / partial / ENOSYS), then the summary line."""
    name_w = max((len(r[1]) for r in rows), default=0)
    status_w = max(len(IMPLEMENTED), len(PARTIAL), len(MISSING))
    cells = [f"{nr:>3} {name:<{name_w}} {status:<{status_w}}" for nr, name, status, _, _ in rows]
    cell_w = 3 + 1 + name_w + 1 + status_w + 3
    ncols = max(1, (width + 3) // cell_w)
    nrows = (len(cells) + ncols - 1) // ncols
    lines = [f"{arch} system calls (`pynix syscalls --long` for what is missing and the tests)"]
    for r in range(nrows):
        lines.append("   ".join(cells[i] for i in range(r, len(cells), nrows)).rstrip())
    lines.append(_summary(arch, rows))
    return "\n".join(lines)


def _status_text(status: str, note: str) -> str:
    return f"partial ({note})" if status == PARTIAL else status


def format_long(arch: str, rows) -> str:
    lines = [f"{arch} system calls"]
    for nr, name, status, note, tests in rows:
        line = f"{nr:>3} {name:<24} {_status_text(status, note)}"
        if tests:
            line += f"\n{'':28}tests: {', '.join(tests)}"
        lines.append(line)
    lines.append(_summary(arch, rows))
    return "\n".join(lines)


def _test_links(tests: list[str], limit: int = 8) -> str:
    shown = ", ".join(f"[{t}](../tests/conformance/{t}.c)" for t in tests[:limit])
    return shown + (f" and {len(tests) - limit} more" if len(tests) > limit else "")


def format_markdown(arch: str, rows) -> str:
    lines = [f"## {arch}", "", _summary(arch, rows) + ".", "",
             "| nr | name | status | conformance tests |", "|---:|---|---|---|"]
    for nr, name, status, note, tests in rows:
        lines.append(f"| {nr} | `{name}` | {_status_text(status, note).replace('|', '/')} | {_test_links(tests)} |")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    arches = [args.arch] if args.arch else list(SYSCALL_TABLES)
    implemented = implemented_names()
    notes = partial_notes()
    out = []
    if args.markdown:
        out.append("# System calls\n\nGenerated by `pynix syscalls --markdown` (regenerate with "
                   "`tools/update-readme`): every Linux system call number of each architecture, whether pynix "
                   "implements it -- fully, partially (with what is missing), or not at all (the call fails with "
                   "`ENOSYS`) -- and the programs of the conformance suite (`tests/conformance/`, run by "
                   "`python -m pynix.devtools.conformance`) that exercise it, found from the libc functions and "
                   "`SYS_` numbers they use.")
        for arch in arches:
            out.append(format_markdown(arch, _rows(arch, implemented, notes)))
    else:
        for arch in arches:
            rows = _rows(arch, implemented, notes)
            if args.names:
                wanted = set(args.names)
                rows = [r for r in rows if r[1] in wanted]
                if not rows:
                    continue
                out.append(format_long(arch, rows))
            elif args.long:
                out.append(format_long(arch, rows))
            else:
                out.append(format_text(arch, rows, shutil.get_terminal_size((100, 24)).columns))
        if args.names and not out:
            print(f"pynix syscalls: no such syscall: {' '.join(args.names)}", file=sys.stderr)
            return 1
    sys.stdout.write("\n\n".join(out) + "\n")
    return 0
