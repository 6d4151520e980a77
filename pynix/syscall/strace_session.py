"""`pynix run --strace[=OPTIONS]`: strace's options and its output around the line formatter (strace.py).

OPTIONS are strace's own, in one argument: ``--strace='-c -e trace=%file -o out.txt'``.  pynix follows every
task, as ``strace -f`` does: lines get strace -f's prefixes (``[pid N]`` while several tasks live, ``N`` on
every line with -o).  Supported: -f (always on), -e trace=SET (names, %classes, /regex, !negation, all, none),
-e signal=SET, -T, -t/-tt/-ttt, -r, -c, -C, -o FILE, -s SIZE, -y.

Differences from strace: a call is printed once, when it completes (strace prints ``<unfinished ...>`` and
``<... resumed>`` halves when another task's line comes in between), with -t showing when it began and -r the
time since the previous line; a call that a signal interrupts while it sleeps is not printed; a signal that is
never queued (ignored, or fatal by default) shows when it is sent, the others when they are delivered; the
first program's execve is the kernel's own loading, not a call; -c's times are the host time the kernel spent
in each call (strace's are the tracee's system time).
"""
from __future__ import annotations

import errno
import getopt
import re
import shlex
import struct
import sys
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Iterable, Sequence, TextIO

from pynix.arch import all_arches
from pynix.errors import KernelError
from pynix.syscall.strace import MAX_STRLEN, format_call, format_return, format_sigset, signal_name
from pynix.syscall.strace_classes import SYSCALL_CLASSES
from pynix.task.task import TaskState
from pynix.trace.tracepoints import Tracepoints
from pynix.uapi.errno import ERRNO_NAMES

if TYPE_CHECKING:
    from pynix.kernel import Kernel
    from pynix.task.task import Task, ThreadGroup

AT_FDCWD = -100
NSIG = 64
_EXITS = ("exit", "exit_group")
_EXECS = ("execve", "execveat")
_RESULT_COLUMN = 40                         # strace's tabto(): "= result" starts in this column


class StraceUsageError(ValueError):
    """An option strace would refuse, with strace's kind of message."""


@dataclass
class StraceOptions:
    traced: Callable[[str], bool] = lambda name: True        # -e trace=
    signals: frozenset[int] = frozenset(range(1, NSIG + 1))  # -e signal=
    summary: bool = False                                    # -c / -C
    calls_too: bool = True                                   # -C (and no -c): print the calls as well
    syscall_times: bool = False                              # -T
    timestamps: int = 0                                      # -t: 1, -tt: 2, -ttt: 3
    relative: bool = False                                   # -r
    output: str | None = None                                # -o FILE
    strlen: int = MAX_STRLEN                                 # -s SIZE
    decode_fds: bool = False                                 # -y


def parse_strace_options(text: str, syscall_names: Iterable[str]) -> StraceOptions:
    """StraceOptions from strace's command-line options in `text` (shell quoting allowed); `syscall_names`:
    the names -e trace= may use.  Raises StraceUsageError."""
    try:
        opts, rest = getopt.gnu_getopt(shlex.split(text), "fcCTtrye:o:s:", ["trace=", "signal="])
    except (getopt.GetoptError, ValueError) as err:
        raise StraceUsageError(str(err)) from None
    if rest:
        raise StraceUsageError(f"unexpected argument {rest[0]!r} (the program comes after --strace)")
    known = frozenset(syscall_names)
    o = StraceOptions()
    for opt, value in opts:
        if opt == "-c":
            o.summary, o.calls_too = True, False
        elif opt == "-C":
            o.summary, o.calls_too = True, True
        elif opt == "-T":
            o.syscall_times = True
        elif opt == "-t":
            o.timestamps = min(o.timestamps + 1, 3)
        elif opt == "-r":
            o.relative = True
        elif opt == "-y":
            o.decode_fds = True
        elif opt == "-o":
            o.output = value
        elif opt == "-s":
            if not value.isdigit():
                raise StraceUsageError(f"invalid -s argument: '{value}'")
            o.strlen = int(value)
        elif opt == "-e":
            qualifier, sep, expr = value.partition("=")
            if not sep:
                qualifier, expr = "trace", value
            _qualify(o, qualifier, expr, known)
        elif opt in ("--trace", "--signal"):
            _qualify(o, opt[2:], value, known)
    return o


def _qualify(o: StraceOptions, qualifier: str, expr: str, known: frozenset[str]) -> None:
    if qualifier in ("trace", "t"):
        negated, names = _syscall_set(expr, known)
        o.traced = (lambda name: name not in names) if negated else (lambda name: name in names)
    elif qualifier in ("signal", "signals", "s"):
        negated, sigs = _signal_set(expr)
        o.signals = frozenset(range(1, NSIG + 1)) - sigs if negated else sigs
    else:
        raise StraceUsageError(f"invalid -e qualifier '{qualifier}' (pynix supports trace= and signal=)")


def _split_set(expr: str) -> tuple[bool, list[str]]:
    negated = expr.startswith("!")
    return negated, [item for item in expr.lstrip("!").split(",") if item]


def _syscall_set(expr: str, known: frozenset[str]) -> tuple[bool, frozenset[str]]:
    """strace's syscall set syntax: names, %classes, /regex, all, none, a leading ! negating the whole set."""
    negated, items = _split_set(expr)
    names: set[str] = set()
    for item in items:
        if item == "all":
            names |= known
        elif item == "none":
            pass
        elif item.startswith("/"):
            try:
                pattern = re.compile(item[1:])
            except re.error as err:
                raise StraceUsageError(f"invalid regular expression '{item[1:]}': {err}") from None
            names |= {n for n in known if pattern.search(n)}
        elif item.startswith("%") or ("%" + item) in SYSCALL_CLASSES:
            cls = SYSCALL_CLASSES.get(item if item.startswith("%") else "%" + item)
            if cls is None:
                raise StraceUsageError(f"invalid system call '{item}'")
            names |= cls
        elif item in known:
            names.add(item)
        else:
            raise StraceUsageError(f"invalid system call '{item}'")
    return negated, frozenset(names)


def _signal_set(expr: str) -> tuple[bool, frozenset[int]]:
    negated, items = _split_set(expr)
    by_name = {signal_name(n): n for n in range(1, NSIG + 1)}
    sigs: set[int] = set()
    for item in items:
        if item == "all":
            sigs |= set(range(1, NSIG + 1))
        elif item == "none":
            pass
        elif item.isdigit() and 0 < int(item) <= NSIG:
            sigs.add(int(item))
        elif (item.upper() if item.upper().startswith("SIG") else "SIG" + item.upper()) in by_name:
            sigs.add(by_name[item.upper() if item.upper().startswith("SIG") else "SIG" + item.upper()])
        else:
            raise StraceUsageError(f"invalid signal '{item}'")
    return negated, frozenset(sigs)


# --------------------------------------------------------------------------------------------------
# -c: the summary table (strace's count.c with its default columns and sort order)

@dataclass
class _Count:
    calls: int = 0
    errors: int = 0
    ns: int = 0


@dataclass
class SyscallSummary:
    counts: dict[tuple[int, str], _Count] = field(default_factory=dict)

    def add(self, nr: int, name: str, ns: int, failed: bool) -> None:
        count = self.counts.get((nr, name))
        if count is None:
            count = self.counts[(nr, name)] = _Count()
        count.calls += 1
        count.errors += failed
        count.ns += ns

    def table(self) -> str:
        """strace -c's table: by time spent, most first (ties in syscall-number order), then the total."""
        rows = sorted(self.counts.items(), key=lambda kv: (-kv[1].ns, kv[0][0]))
        total = sum(c.ns for _, c in rows)
        calls = sum(c.calls for _, c in rows)
        errors = sum(c.errors for _, c in rows)
        avg_max = max((c.ns // c.calls // 1000 for _, c in rows), default=0)
        widths = (6, max(11, len(f"{total / 1e9:.6f}")), max(11, len(str(avg_max))),
                  max(9, len(str(calls))), max(9, len(str(errors))),
                  max(16, max((len(name) for (_, name), _ in rows), default=0) + 1))
        heads = ("% time", "seconds", "usecs/call", "calls", "errors", "syscall")
        rule = " ".join("-" * w for w in widths)

        def line(pct: float, ns: int, avg: int, n: int, errs: int, name: str) -> str:
            w = widths
            return (f"{pct:{w[0]}.2f} {ns / 1e9:{w[1]}.6f} {avg:{w[2]}d} {n:{w[3]}d} "
                    f"{str(errs) if errs else '':>{w[4]}} {name}")
        out = [" ".join(h.rjust(w) for h, w in zip(heads[:-1], widths)) + " " + heads[-1], rule]
        for (_, name), c in rows:
            pct = 100.0 * c.ns / total if c.ns else 0.0
            out.append(line(pct, c.ns, c.ns // c.calls // 1000, c.calls, c.errors, name))
        out += [rule, line(100.0, total, total // calls // 1000 if calls else 0, calls, errors, "total")]
        return "\n".join(out)


# --------------------------------------------------------------------------------------------------
# siginfo as strace prints it in `--- SIG... {...} ---`

_SI_CODES = {0: "SI_USER", 0x80: "SI_KERNEL", -1: "SI_QUEUE", -2: "SI_TIMER", -3: "SI_MESGQ", -4: "SI_ASYNCIO",
             -5: "SI_SIGIO", -6: "SI_TKILL"}
_SIGCHLD, _SIGSYS, _SYS_SECCOMP = 17, 31, 1
_FAULT_SIGNALS = {4: "ILL", 5: "TRAP", 7: "BUS", 8: "FPE", 11: "SEGV"}
_CLD_CODES = {1: "CLD_EXITED", 2: "CLD_KILLED", 3: "CLD_DUMPED", 4: "CLD_TRAPPED", 5: "CLD_STOPPED",
              6: "CLD_CONTINUED"}
_FAULT_CODES = {"SEGV": ("SEGV_MAPERR", "SEGV_ACCERR"), "BUS": ("BUS_ADRALN", "BUS_ADRERR", "BUS_OBJERR"),
                "ILL": ("ILL_ILLOPC", "ILL_ILLOPN", "ILL_ILLADR", "ILL_ILLTRP"),
                "FPE": ("FPE_INTDIV", "FPE_INTOVF", "FPE_FLTDIV"), "TRAP": ("TRAP_BRKPT", "TRAP_TRACE")}


def format_siginfo(info: bytes) -> str:
    """``{si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=2, ...}`` for a 128-byte siginfo_t."""
    signo, _errno, code = struct.unpack_from("<iii", info)
    fields = [f"si_signo={signal_name(signo)}"]
    if code > 0 and code != 0x80 and signo == _SIGCHLD:
        pid, uid, status, _pad, utime, stime = struct.unpack_from("<iIiiqq", info, 16)
        shown = str(status) if code == 1 else signal_name(status)
        fields += [f"si_code={_CLD_CODES.get(code, code)}", f"si_pid={pid}", f"si_uid={uid}",
                   f"si_status={shown}", f"si_utime={utime}", f"si_stime={stime}"]
    elif code == _SYS_SECCOMP and signo == _SIGSYS:
        call_addr, nr, audit_arch = struct.unpack_from("<QiI", info, 16)
        arch = next((a for a in all_arches() if a.audit_arch == audit_arch), None)
        name = arch.syscall_names.get(nr) if arch is not None else None
        fields.append("si_code=SYS_SECCOMP")
        if _errno:
            fields.append(f"si_errno={ERRNO_NAMES.get(_errno, _errno)}")
        fields += [f"si_call_addr={'NULL' if call_addr == 0 else hex(call_addr)}",
                   f"si_syscall={'__NR_' + name if name else nr}",
                   f"si_arch={f'AUDIT_ARCH_{arch.name.upper()}' if arch is not None else hex(audit_arch)}"]
    elif code > 0 and code != 0x80 and signo in _FAULT_SIGNALS:
        names = _FAULT_CODES[_FAULT_SIGNALS[signo]]
        addr = struct.unpack_from("<Q", info, 16)[0]
        fields += [f"si_code={names[code - 1] if code <= len(names) else code}",
                   f"si_addr={'NULL' if addr == 0 else hex(addr)}"]
    else:
        fields.append(f"si_code={_SI_CODES.get(code, code)}")
        if code == -2:
            timerid, overrun, value = struct.unpack_from("<iiq", info, 16)
            fields += [f"si_timerid={timerid:#x}", f"si_overrun={overrun}", _sigval(value)]
        elif code <= 0:
            pid, uid, value = struct.unpack_from("<iIq", info, 16)
            fields += [f"si_pid={pid}", f"si_uid={uid}"] + ([_sigval(value)] if code == -1 else [])
    return "{" + ", ".join(fields) + "}"


def _sigval(value: int) -> str:
    return f"si_value={{sival_int={struct.unpack('<i', struct.pack('<q', value)[:4])[0]}, " \
           f"sival_ptr={hex(value & (1 << 64) - 1) if value else 'NULL'}}}"


# --------------------------------------------------------------------------------------------------
# The tracer

@dataclass
class _InCall:
    """A task's call from its first entry to its completion (it may block and run again)."""
    nr: int
    args: tuple[int, ...]
    entered: float                          # CLOCK_REALTIME at the first entry (-t)
    entered_ns: int                         # perf_counter_ns at the first entry (-T)
    busy_ns: int = 0                        # time in the handler over all runs (-c)
    before: str | None = None               # the call text formatted before it ran (execve)
    restored: int | None = None             # rt_sigreturn: the return value its frame restores
    prefixed: bool = False                  # several tasks lived when it began: "[pid N]" (without -o)
    fds: dict | None = None                 # -y: the descriptors as they were when the call began


class StraceSession(Tracepoints):
    """The strace tracer of one machine: prints calls, signals and exits, and keeps the -c counts."""

    def __init__(self, kernel: "Kernel", options: StraceOptions, stream: TextIO | None = None) -> None:
        self.kernel = kernel
        self.o = options
        self.out = stream or (open(options.output, "w") if options.output else sys.stderr)
        self.summary = SyscallSummary() if options.summary else None
        self.in_call: dict[int, _InCall] = {}
        self._last_ns: int | None = None
        from pynix.fs.proc import ProcfsSuperBlock
        self._procfs = next((m.sb for m in kernel.mounts.mounts if isinstance(m.sb, ProcfsSuperBlock)), None)

    # ------------------------------------------------------------------------------------ tracepoints
    def sys_enter(self, task: "Task", nr: int, name: str, args: Sequence[int]) -> None:
        call = self.in_call.get(task.tid)
        if call is not None and call.nr == nr and call.args == tuple(args):
            return                                  # a blocked call runs again
        call = self.in_call[task.tid] = _InCall(nr, tuple(args), time.time(), time.perf_counter_ns())
        if not (self.o.calls_too and self.o.traced(name)):
            return
        call.prefixed = len(self.kernel.tasks) > 2 and self._live_tasks() > 1
        if self.o.decode_fds:
            call.fds = dict(task.group.fds.entries)
        if name in _EXITS:                          # they do not return: printed before they run, "= ?"
            self._print(task, self._call_text(task, name, args, None, call), call, "?")
        elif name in _EXECS:                        # a successful exec replaces the memory of the arguments
            call.before = self._call_text(task, name, args, None, call)
        elif name == "rt_sigreturn":                # it returns what the frame restores
            call.before, call.restored = self._sigreturn(task)

    def sys_exit(self, task: "Task", nr: int, name: str, args: Sequence[int], result: int | None,
                 busy_ns: int, blocked: bool) -> None:
        call = self.in_call.get(task.tid)
        if call is None:
            return
        call.busy_ns += busy_ns
        if blocked:
            return
        del self.in_call[task.tid]
        if name in _EXITS:
            return
        if name in _EXECS and result is None:       # a successful exec returns to a new image, not with a value
            result = 0
        if result is not None and result >= 1 << 63:
            result -= 1 << 64
        failed = result is not None and -4095 <= result < 0
        if self.summary is not None and self.o.traced(name):
            self.summary.add(nr, name, call.busy_ns, failed)
        if not (self.o.calls_too and self.o.traced(name)):
            return
        if name == "rt_sigreturn" and call.before is not None:
            text, result = call.before, call.restored
        elif name in _EXECS and not failed:
            text = call.before or ""
        else:
            text = self._call_text(task, name, args, result, call)
        shown = format_return(name, result, args, self._fd_path(task) if self.o.decode_fds else None)
        if self.o.syscall_times:
            spent = time.perf_counter_ns() - call.entered_ns
            shown += f" <{spent // 1_000_000_000}.{spent // 1000 % 1_000_000:06d}>"
        self._print(task, text, call, shown)

    def signal_deliver(self, task: "Task", sig: int, info: bytes) -> None:
        if self.o.calls_too and sig in self.o.signals:
            self._print(task, f"--- {signal_name(sig)} {format_siginfo(info)} ---")

    def signal_generate(self, task: "Task", sig: int, info: object, result: str) -> None:
        """A signal discarded or fatal at once: strace (through ptrace) sees it as delivered too."""
        if isinstance(info, bytes):
            self.signal_deliver(task, sig, info)

    def sched_process_exit(self, group: "ThreadGroup", wait_status: int) -> None:
        if not self.o.calls_too or not group.tasks:
            return
        sig = wait_status & 0x7F
        if sig:
            text = f"+++ killed by {signal_name(sig)}{' (core dumped)' if wait_status & 0x80 else ''} +++"
        else:
            text = f"+++ exited with {wait_status >> 8 & 0xFF} +++"
        self._print(group.tasks[0], text)

    def close(self) -> None:
        if self.summary is not None:
            try:
                print(self.summary.table(), file=self.out, flush=True)
            except (OSError, ValueError):
                pass
        if self.out is not sys.stderr:
            self.out.close()

    # -------------------------------------------------------------------------------------- printing
    def _call_text(self, task: "Task", name: str, args: Sequence[int], result: int | None,
                   call: _InCall) -> str:
        fd_path = self._fd_path(task, call.fds) if self.o.decode_fds else None
        return format_call(name, args, result, UserMemory(task.mm), task.arch, self.o.strlen, fd_path)

    def _sigreturn(self, task: "Task") -> tuple[str | None, int | None]:
        """``rt_sigreturn({mask=[...]})`` and the return value it restores, from the frame at the stack pointer,
        as strace shows them; (None, None) when the frame cannot be read (the call will kill the process)."""
        from pynix.mm.uaccess import copy_from_user
        layout = task.arch.signal_frame
        try:
            frame = copy_from_user(task.mm, layout.frame_address_at_return(self.kernel.cpu.read("sp")), layout.size)
        except KernelError:
            return None, None
        regs, mask = layout.parse(frame)
        value = regs[task.arch.return_register]
        return f"rt_sigreturn({{mask={format_sigset(mask)}}})", value - (1 << 64) if value >> 63 else value

    def _fd_path(self, task: "Task", fds: dict | None = None) -> Callable[[int], bytes | None]:
        """-y: what descriptor fd of `task` refers to (from `fds` first: the table as the call began)."""
        from pynix.fs.proc import fd_link_text
        group = task.group

        def path(fd: int) -> bytes | None:
            if fd == AT_FDCWD:
                return group.fs.mounts.path_of(group.fs.cwd, group.fs.root)
            entry = (fds or {}).get(fd) or group.fds.entries.get(fd)
            if entry is None or self._procfs is None:
                return None
            return fd_link_text(self._procfs, group, entry.file)
        return path

    def _print(self, task: "Task", text: str, call: _InCall | None = None, result: str | None = None) -> None:
        """One line: the leader, `text`, then `` = result`` with ``=`` in column 40 when the line is shorter."""
        line = self._leader(task, call) + text
        if result is not None:
            line = line.ljust(_RESULT_COLUMN - 1) + " = " + result
        try:
            self.out.write(line + "\n")
            self.out.flush()
        except (OSError, ValueError):
            pass                           # the trace's reader is gone (a closed pipe): the line is lost, not fatal

    def _leader(self, task: "Task", call: _InCall | None) -> str:
        """strace's printleader: the pid prefix, then the -t (the call's entry) and -r timestamps."""
        parts = []
        if self.o.output is not None:
            parts.append(f"{task.tid:<5} ")
        elif call.prefixed if call is not None else self._live_tasks() + (task.state is TaskState.ZOMBIE) > 1:
            parts.append(f"[pid {task.tid:5}] ")                # (an exiting task still counts)
        if self.o.timestamps:
            now = call.entered if call is not None else time.time()
            if self.o.timestamps == 3:
                parts.append(f"{now:.6f} ")
            else:
                stamp = time.strftime("%H:%M:%S", time.localtime(now))
                parts.append(stamp + (f".{int(now * 1e6) % 1_000_000:06d} " if self.o.timestamps == 2 else " "))
        if self.o.relative:                         # since the previous line (lines come as calls complete)
            now_ns = time.perf_counter_ns()
            delta = now_ns - (self._last_ns if self._last_ns is not None else now_ns)
            self._last_ns = now_ns
            text = f"{delta // 1_000_000_000:6d}.{delta // 1000 % 1_000_000:06d}"
            parts.append(f"(+{text}) " if self.o.timestamps else text + " ")
        return "".join(parts)

    def _live_tasks(self) -> int:
        """The traced tasks alive: all but the kernel's own init, which strace never sees (it runs no code)."""
        init = self.kernel.init
        return sum(1 for t in self.kernel.tasks.values() if t.state is not TaskState.ZOMBIE and t.group is not init)


class UserMemory:
    """User memory as the strace formatter reads it (through the checked user-access layer)."""

    def __init__(self, mm) -> None:
        self.mm = mm

    def read(self, addr: int, size: int) -> bytes:
        from pynix.mm.uaccess import copy_from_user
        return copy_from_user(self.mm, addr, size)

    def read_cstring(self, addr: int, limit: int) -> bytes:
        from pynix.mm.uaccess import strncpy_from_user
        try:
            return strncpy_from_user(self.mm, addr, limit)
        except KernelError as err:
            if err.errno != errno.ENAMETOOLONG:
                raise
            return self.read(addr, limit)
