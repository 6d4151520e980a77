"""Secure computing (Linux's kernel/seccomp.c): a task's syscall filter and what happens on each syscall entry.

- `task.seccomp` is None (SECCOMP_MODE_DISABLED) or a `Seccomp`: STRICT mode, or FILTER mode with the newest of
  a chain of classic BPF filters (`SeccompFilter.prev` links to the older ones).  A `Seccomp` and its filters
  never change once made, so fork/clone simply share them (every child inherits its creator's) and execve
  keeps them; attaching a filter gives the task a new `Seccomp`.
- `secure_computing` is the syscall-entry hook (the dispatcher calls it for every syscall of a task whose
  `seccomp` is set): STRICT allows read, write, exit and rt_sigreturn and kills the thread with SIGKILL for
  anything else; FILTER runs every filter of the chain over the call's `struct seccomp_data` and acts on the
  strictest return value (KILL_PROCESS > KILL_THREAD > TRAP > ERRNO > USER_NOTIF > TRACE > LOG > ALLOW), with
  the 16-bit data of the first filter returning it.  A filter's verdict that depends only on the syscall
  number and arch is cached per number (Linux's action cache, seccomp_cache_prepare), so the calls an
  allow-list lets through do not run the (compiled: bpf/filter.py) programs again.
- SECCOMP_RET_USER_NOTIF hands the call to a supervisor through the listener file of the filter
  (`NotifyListener`, an anon-inode file from SECCOMP_FILTER_FLAG_NEW_LISTENER): the target sleeps until the
  supervisor answers with SECCOMP_IOCTL_NOTIF_SEND (a result, or CONTINUE to run the call).

Differences from Linux: a syscall that sleeps is run again from its entry when it is woken (sync/wait.py), so a
call that is allowed (by ALLOW, LOG or a supervisor's CONTINUE) and then sleeps passes the filters again when
it runs again: a LOG line or a notification may repeat.  SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV is accepted but
its wait is interruptible as the default one; SPEC_ALLOW has no speculation mitigation to leave off.
"""
from __future__ import annotations

import errno
import random
import struct
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Sequence

from pynix.bpf.filter import (BPF_A, BPF_ABS, BPF_ADD, BPF_ALU, BPF_AND, BPF_DIV, BPF_IMM, BPF_JA, BPF_JEQ,
                              BPF_JGE, BPF_JGT, BPF_JMP, BPF_JSET, BPF_K, BPF_LD, BPF_LDX, BPF_LEN, BPF_LSH,
                              BPF_MEM, BPF_MISC, BPF_MUL, BPF_NEG, BPF_OR, BPF_RET, BPF_RSH, BPF_ST, BPF_STX,
                              BPF_SUB, BPF_TAX, BPF_TXA, BPF_W, BPF_X, BPF_XOR, Insn, check_classic,
                              compile_classic)
from pynix.errors import KernelError
from pynix.fs.anon_inodes import AnonInodeFile
from pynix.mm.uaccess import copy_from_user, copy_to_user
from pynix.sync.wait import Block, WaitQueue
from pynix.task import exit as task_exit, ptrace, signal
from pynix.task.capability import capable
from pynix.task.task import Task, TaskState
from pynix.uapi.capability import CAP_SYS_ADMIN
from pynix.uapi.fcntl import O_CLOEXEC, O_RDWR
from pynix.uapi.poll import POLLHUP, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM
from pynix.uapi.signal import SIGKILL, SIGSYS

if TYPE_CHECKING:
    from pynix.kernel import Kernel

SECCOMP_MODE_DISABLED, SECCOMP_MODE_STRICT, SECCOMP_MODE_FILTER = 0, 1, 2
# return values (include/uapi/linux/seccomp.h): the action in the high 16 bits, data in the low 16
SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_KILL_THREAD, SECCOMP_RET_TRAP = 0x80000000, 0x00000000, 0x00030000
SECCOMP_RET_ERRNO, SECCOMP_RET_USER_NOTIF, SECCOMP_RET_TRACE = 0x00050000, 0x7FC00000, 0x7FF00000
SECCOMP_RET_LOG, SECCOMP_RET_ALLOW = 0x7FFC0000, 0x7FFF0000
SECCOMP_RET_ACTION_FULL, SECCOMP_RET_DATA = 0xFFFF0000, 0x0000FFFF
ACTIONS = (SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_KILL_THREAD, SECCOMP_RET_TRAP, SECCOMP_RET_ERRNO,
           SECCOMP_RET_USER_NOTIF, SECCOMP_RET_TRACE, SECCOMP_RET_LOG, SECCOMP_RET_ALLOW)
SECCOMP_FILTER_FLAG_TSYNC, SECCOMP_FILTER_FLAG_LOG, SECCOMP_FILTER_FLAG_SPEC_ALLOW = 1, 2, 4
SECCOMP_FILTER_FLAG_NEW_LISTENER, SECCOMP_FILTER_FLAG_TSYNC_ESRCH = 8, 16
SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV = 32
SECCOMP_FILTER_FLAG_MASK = 63
SECCOMP_USER_NOTIF_FLAG_CONTINUE = 1
SECCOMP_ADDFD_FLAG_SETFD, SECCOMP_ADDFD_FLAG_SEND = 1, 2
SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP = 1
# the listener's ioctls: SECCOMP_IOWR(0, struct seccomp_notif) ... ('!' is SECCOMP_IOC_MAGIC)
SECCOMP_IOCTL_NOTIF_RECV, SECCOMP_IOCTL_NOTIF_SEND = 0xC0502100, 0xC0182101
SECCOMP_IOCTL_NOTIF_ID_VALID, SECCOMP_IOCTL_NOTIF_ID_VALID_WRONG_DIR = 0x40082102, 0x80082102
SECCOMP_IOCTL_NOTIF_ADDFD, SECCOMP_IOCTL_NOTIF_SET_FLAGS = 0x40182103, 0x40082104
SYS_SECCOMP = 1                               # SIGSYS's si_code for a seccomp trap
MAX_ERRNO = 4095
MAX_INSNS_PER_PATH = (1 << 18) // 8           # 256 KiB of instructions through the chain
SECCOMP_DATA = struct.Struct("<iIQ6Q")        # struct seccomp_data: nr, arch, instruction_pointer, args[6]
SECCOMP_NOTIF = struct.Struct("<QII64s")      # struct seccomp_notif: id, pid, flags, data
SECCOMP_NOTIF_RESP = struct.Struct("<QqiI")   # struct seccomp_notif_resp: id, val, error, flags
SECCOMP_NOTIF_ADDFD = struct.Struct("<QIIII")  # struct seccomp_notif_addfd: id, flags, srcfd, newfd, newfd_flags
SECCOMP_NOTIF_SIZES = struct.Struct("<HHH")   # struct seccomp_notif_sizes
STRICT_SYSCALLS = ("read", "write", "exit", "rt_sigreturn")   # mode 1's whole world
AUDIT_SECCOMP = 1326                          # the audit record type of a logged action
ACTION_CACHE_NRS = 1024                       # the numbers whose constant verdicts are cached (a table's worth)

NOTIFY_INIT, NOTIFY_SENT, NOTIFY_REPLIED = 0, 1, 2
RUN = object()                                # secure_computing's answer: run the syscall


@dataclass(eq=False)
class SeccompFilter:
    """One attached filter (struct seccomp_filter): a checked program and the older filters of its chain."""
    prog: Sequence[Insn]
    prev: "SeccompFilter | None"
    run: Callable[[bytes], int]               # the compiled program (bpf/filter.py) over a seccomp_data
    log: bool = False                         # SECCOMP_FILTER_FLAG_LOG: log every action but ALLOW
    listener: "NotifyListener | None" = None  # its notification file while that is open
    const_allow: dict[int, bool] = field(default_factory=dict)   # nr -> the chain allows it whatever the args

    def chain(self):
        f: SeccompFilter | None = self
        while f is not None:
            yield f
            f = f.prev

    def allows_always(self, nr: int, arch: int) -> bool:
        """Every filter of the chain from this one returns ALLOW for syscall `nr` whatever its arguments."""
        known = self.const_allow.get(nr)
        if known is None:
            known = self.const_allow[nr] = (self.prev is None or self.prev.allows_always(nr, arch)) \
                and _is_const_allow(self.prog, nr, arch)
        return known


@dataclass(frozen=True)
class Seccomp:
    """A task's struct seccomp: its mode and, in FILTER mode, the newest filter of its chain."""
    mode: int
    filter: SeccompFilter | None = None

    @property
    def filter_count(self) -> int:
        return sum(1 for _ in self.filter.chain()) if self.filter is not None else 0


def seccomp_mode(task: Task) -> int:
    return task.seccomp.mode if task.seccomp is not None else SECCOMP_MODE_DISABLED


def _users(filter_: SeccompFilter, kernel: "Kernel") -> bool:
    """Some task not yet released (alive, or a zombie nobody reaped) runs under `filter_`."""
    return any(t.seccomp is not None and t.seccomp.filter is not None and filter_ in t.seccomp.filter.chain()
               for t in kernel.tasks.values())


def seccomp_filter_release(task: Task) -> None:
    """A task is released (Linux's release_task): a listener whose filter it was the last user of hears
    POLLHUP."""
    state, task.seccomp = task.seccomp, None
    task.update_syscall_work()
    if state is None or state.filter is None:
        return
    for f in state.filter.chain():
        if f.listener is not None and not _users(f, task.kernel):
            f.listener.wqh.wake_all(POLLHUP)


# ------------------------------------------------------------------------------------------ installing
_SECCOMP_CODES = frozenset(                   # seccomp_check_filter's list (no BPF_MOD, no packet loads)
    [BPF_RET | BPF_K, BPF_RET | BPF_A, BPF_ALU | BPF_NEG, BPF_LD | BPF_IMM, BPF_LDX | BPF_IMM,
     BPF_MISC | BPF_TAX, BPF_MISC | BPF_TXA, BPF_LD | BPF_MEM, BPF_LDX | BPF_MEM, BPF_ST, BPF_STX, BPF_JMP | BPF_JA]
    + [BPF_ALU | op | src for op in (BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_AND, BPF_OR, BPF_XOR, BPF_LSH, BPF_RSH)
       for src in (BPF_K, BPF_X)]
    + [BPF_JMP | op | src for op in (BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JSET) for src in (BPF_K, BPF_X)])


def prepare_filter(prog: list[Insn]) -> list[Insn]:
    """bpf_check_classic, then seccomp_check_filter: only the opcodes that make sense on a seccomp_data, and
    word loads of it only at aligned offsets inside its 64 bytes (EINVAL otherwise).  BPF_LEN becomes the
    constant 64, as Linux rewrites it."""
    check_classic(prog)
    out = []
    for code, jt, jf, k in prog:
        if code == BPF_LD | BPF_W | BPF_ABS:
            if k >= SECCOMP_DATA.size or k & 3:
                raise KernelError(errno.EINVAL, "a seccomp filter loads outside struct seccomp_data")
        elif code in (BPF_LD | BPF_W | BPF_LEN, BPF_LDX | BPF_W | BPF_LEN):
            code, k = (code & 0x07) | BPF_IMM, SECCOMP_DATA.size
        elif code not in _SECCOMP_CODES:
            raise KernelError(errno.EINVAL, f"BPF opcode {code:#x} is not allowed in a seccomp filter")
        out.append((code, jt, jf, k))
    return out


def _is_const_allow(prog: Sequence[Insn], nr: int, arch: int) -> bool:
    """Linux's seccomp_is_const_allow: the program returns ALLOW for `nr` on `arch` through instructions that
    look only at those two fields (anything else -- an argument load, scratch memory -- is not constant)."""
    a = 0
    pc = 0
    while pc < len(prog):
        code, jt, jf, k = prog[pc]
        pc += 1
        if code == BPF_LD | BPF_W | BPF_ABS:
            if k == 0:
                a = nr
            elif k == 4:
                a = arch
            else:
                return False
        elif code == BPF_RET | BPF_K:
            return k == SECCOMP_RET_ALLOW
        elif code == BPF_JMP | BPF_JA:
            pc += k
        elif code in (BPF_JMP | BPF_JEQ | BPF_K, BPF_JMP | BPF_JGE | BPF_K, BPF_JMP | BPF_JGT | BPF_K,
                      BPF_JMP | BPF_JSET | BPF_K):
            op = code & 0xF0
            taken = a == k if op == BPF_JEQ else a >= k if op == BPF_JGE else a > k if op == BPF_JGT else a & k
            pc += jt if taken else jf
        elif code == BPF_ALU | BPF_AND | BPF_K:
            a &= k
        else:
            return False
    return False


def may_install_filter(task: Task) -> bool:
    """Installing a filter needs no_new_privs or CAP_SYS_ADMIN (so that a filter cannot confuse a privileged
    program it execs).  One place for the capability check, for whoever gives pynix real capabilities."""
    return task.group.no_new_privs or capable(task, CAP_SYS_ADMIN)


def set_mode_strict(task: Task) -> int:
    if seccomp_mode(task) not in (SECCOMP_MODE_DISABLED, SECCOMP_MODE_STRICT):
        raise KernelError(errno.EINVAL)
    task.seccomp = Seccomp(SECCOMP_MODE_STRICT)
    task.update_syscall_work()
    return 0


def attach_filter(task: Task, prog: list[Insn], flags: int) -> int:
    """seccomp_set_mode_filter after the program was copied in and checked: attach it on top of the task's
    chain (with TSYNC on every thread's); returns the listener descriptor with NEW_LISTENER, else 0, or the
    id of a thread that cannot be synchronised (TSYNC without TSYNC_ESRCH)."""
    current = task.seccomp
    if seccomp_mode(task) not in (SECCOMP_MODE_DISABLED, SECCOMP_MODE_FILTER):
        raise KernelError(errno.EINVAL)
    prev = current.filter if current is not None else None
    new = SeccompFilter(prog, prev, compile_classic(prog, "little", SECCOMP_DATA.size),
                        log=bool(flags & SECCOMP_FILTER_FLAG_LOG))
    if flags & SECCOMP_FILTER_FLAG_NEW_LISTENER and prev is not None \
            and any(f.listener is not None for f in prev.chain()):
        raise KernelError(errno.EBUSY)                # one listener per chain
    if len(prog) + (sum(len(f.prog) + 4 for f in prev.chain()) if prev else 0) > MAX_INSNS_PER_PATH:
        raise KernelError(errno.ENOMEM)
    if flags & SECCOMP_FILTER_FLAG_TSYNC:           # seccomp_can_sync_threads: every other thread's filter is
        ancestors = list(prev.chain()) if prev is not None else []     # one of ours (or it has none)
        for thread in task.group.live_tasks:
            other = thread.seccomp
            if thread is task or other is None or (other.mode == SECCOMP_MODE_FILTER and other.filter in ancestors):
                continue
            if flags & SECCOMP_FILTER_FLAG_TSYNC_ESRCH:
                raise KernelError(errno.ESRCH)
            return thread.tid
    result = 0
    if flags & SECCOMP_FILTER_FLAG_NEW_LISTENER:
        new.listener = NotifyListener(task.kernel, new)
        result = task.group.fds.install(new.listener, cloexec=True)
    state = Seccomp(SECCOMP_MODE_FILTER, new)
    task.seccomp = state
    task.update_syscall_work()
    if flags & SECCOMP_FILTER_FLAG_TSYNC:
        for thread in task.group.live_tasks:
            thread.seccomp = state
            thread.update_syscall_work()
    return result


# ----------------------------------------------------------------------------------------- syscall entry
def secure_computing(task: Task, nr: int, args: tuple[int, ...]) -> object:
    """The seccomp check of a syscall entry (Linux's __secure_computing): RUN to run the call, or its result
    without running it (an int, or None when the task was killed).  May raise Block (a supervisor's answer is
    awaited)."""
    state = task.seccomp
    nr &= 0xFFFFFFFF
    if state.mode == SECCOMP_MODE_STRICT:
        if task.arch.syscall_names.get(nr) in STRICT_SYSCALLS:
            return RUN
        _log(task, nr, SIGKILL, SECCOMP_RET_KILL_THREAD)
        task_exit.exit_thread(task.kernel, task, SIGKILL)
        return None
    pending = task.restart_data
    if isinstance(pending, Notification) and pending.task is task:
        return _await_reply(pending)
    arch = task.arch.audit_arch
    if nr < ACTION_CACHE_NRS and state.filter.allows_always(nr, arch):
        return RUN
    data = SECCOMP_DATA.pack(_signed(nr), arch, task.kernel.cpu.syscall_return_pc(), *args)
    ret, match = SECCOMP_RET_ALLOW, None
    for f in state.filter.chain():
        cur = f.run(data)
        if _signed(cur & SECCOMP_RET_ACTION_FULL) < _signed(ret & SECCOMP_RET_ACTION_FULL):
            ret, match = cur, f
    action, value = ret & SECCOMP_RET_ACTION_FULL, ret & SECCOMP_RET_DATA
    if action == SECCOMP_RET_ALLOW:
        return RUN
    if action == SECCOMP_RET_LOG:
        _log(task, nr, 0, action)
        return RUN
    if action == SECCOMP_RET_ERRNO:
        result = -min(value, MAX_ERRNO)
    elif action == SECCOMP_RET_TRAP:
        signal.force_sig_info(task.kernel, task, SIGSYS, sigsys_info(task, nr, value))
        result = _rollback(task, nr, args)
    elif action == SECCOMP_RET_TRACE:
        result = _trace(task, value)
    elif action == SECCOMP_RET_USER_NOTIF:
        if match.listener is None:                 # no supervisor (any more)
            result = -errno.ENOSYS
        else:
            _log_if(task, nr, action, match.log)
            match.listener.notify(task, data)      # raises Block
    else:                                          # KILL_THREAD, KILL_PROCESS and unknown actions
        _log(task, nr, SIGSYS, action)
        if action == SECCOMP_RET_KILL_THREAD and len(task.group.live_tasks) > 1:
            task_exit.exit_thread(task.kernel, task, SIGSYS)
        else:                                      # a core-dumping SIGSYS nothing can catch
            signal.force_sig_info(task.kernel, task, SIGSYS, sigsys_info(task, nr, value), fatal=True)
        return None
    _log_if(task, nr, action, match.log)
    return result


def _rollback(task: Task, nr: int, args: tuple[int, ...]) -> int:
    """syscall_rollback: the value the result register held at the syscall's entry, so that a SIGSYS handler
    sees the registers as they were (x86-64's rax: the number; riscv64's a0: the first argument)."""
    values = (nr, *args)
    return values[task.arch.syscall_registers.index(task.arch.return_register)]


def _trace(task: Task, data: int) -> object:
    """SECCOMP_RET_TRACE: a tracer that asked for PTRACE_O_TRACESECCOMP sees the call in PTRACE_EVENT_SECCOMP
    (None: stopped, the call runs again when resumed); run again after that stop, it runs (recheck_after_trace).
    With no such tracer the call fails with ENOSYS."""
    if ptrace.seccomp_traced(task):
        return RUN
    if ptrace.seccomp_stop(task.kernel, task, data):
        return None
    return -errno.ENOSYS


def sigsys_info(task: Task, nr: int, reason: int) -> bytes:
    """The siginfo of a seccomp SIGSYS (seccomp_init_siginfo): si_errno = the filter's data, si_code
    SYS_SECCOMP, then _sigsys { si_call_addr (the pc after the syscall), si_syscall, si_arch }."""
    head = struct.pack("<iiii", SIGSYS, reason, SYS_SECCOMP, 0)
    return (head + struct.pack("<QiI", task.kernel.cpu.syscall_return_pc(), _signed(nr),
                               task.arch.audit_arch)).ljust(128, b"\0")


def _signed(value: int) -> int:
    return value - (1 << 32) if value & 0x80000000 else value


ACTION_NAMES = {SECCOMP_RET_KILL_PROCESS: "kill_process", SECCOMP_RET_KILL_THREAD: "kill_thread",
                SECCOMP_RET_TRAP: "trap", SECCOMP_RET_ERRNO: "errno", SECCOMP_RET_USER_NOTIF: "user_notif",
                SECCOMP_RET_TRACE: "trace", SECCOMP_RET_LOG: "log", SECCOMP_RET_ALLOW: "allow"}


class ActionsLogged:
    """/proc/sys/kernel/seccomp/actions_logged: the actions that may be logged (all but allow by default)."""
    names: list[str] = [n for n in ACTION_NAMES.values() if n != "allow"]

    @classmethod
    def render(cls) -> bytes:
        return " ".join(n for n in ACTION_NAMES.values() if n in cls.names).encode() + b"\n"

    @classmethod
    def write(cls, data: bytes) -> None:
        """write_actions_logged: names separated by spaces; an unknown one, or allow, is EINVAL."""
        names = data.decode("ascii", "replace").split()
        if any(n not in ACTION_NAMES.values() or n == "allow" for n in names):
            raise KernelError(errno.EINVAL)
        cls.names = names


def actions_avail() -> bytes:
    """/proc/sys/kernel/seccomp/actions_avail."""
    return " ".join(ACTION_NAMES.values()).encode() + b"\n"


def _log_if(task: Task, nr: int, action: int, requested: bool) -> None:
    """The actions logged only for a filter attached with SECCOMP_FILTER_FLAG_LOG."""
    if requested:
        _log(task, nr, 0, action)


def _log(task: Task, nr: int, sig: int, action: int) -> None:
    """seccomp_log / audit_seccomp: the kernel log line of a logged action (kill_*, log, and the others when the
    filter asked) unless actions_logged leaves it out; the record an audit-less kernel prints."""
    if ACTION_NAMES.get(action, "kill_process") not in ActionsLogged.names:
        return
    group, ip = task.group, task.kernel.cpu.syscall_return_pc()
    task.kernel.log(f"audit: type={AUDIT_SECCOMP} auid=4294967295 uid={group.creds.uid} gid={group.creds.gid} "
                    f"ses=4294967295 pid={task.tid} comm=\"{task.comm}\" exe=\"{group.exe}\" sig={sig} "
                    f"arch={task.arch.audit_arch:x} syscall={nr} compat=0 ip={ip:#x} code={action:#x}")


# ------------------------------------------------------------------------------------------ user notification
@dataclass(eq=False)
class Notification:
    """struct seccomp_knotif: one intercepted call waiting for the supervisor."""
    task: Task
    id: int
    data: bytes                               # its struct seccomp_data
    state: int = NOTIFY_INIT
    val: int = 0
    error: int = 0
    flags: int = 0
    ready: WaitQueue = field(default_factory=WaitQueue)

    def reply(self, error: int, val: int, flags: int) -> None:
        self.state, self.error, self.val, self.flags = NOTIFY_REPLIED, error, val, flags
        self.ready.wake_all()


def _await_reply(n: Notification) -> object:
    """The target runs its intercepted call again (woken, or a signal came and went): the answer, or sleep on."""
    if n.state != NOTIFY_REPLIED:
        raise Block(n.ready, data=n)
    n.task.restart_data = None
    if n.flags & SECCOMP_USER_NOTIF_FLAG_CONTINUE:
        return RUN
    return n.error if n.error else n.val


class NotifyListener(AnonInodeFile):
    """The supervisor's end of a filter's notifications ("anon_inode:seccomp notify"): RECV takes the oldest
    unanswered call, SEND answers one, ID_VALID says whether one still waits, ADDFD puts a descriptor into the
    target; poll says POLLIN while a call waits to be received, POLLOUT while one waits for its answer, POLLHUP
    once no task uses the filter.  Closing it answers every waiting call with ENOSYS."""

    anon_name = b"seccomp notify"

    def __init__(self, kernel: "Kernel", filter_: SeccompFilter) -> None:
        super().__init__(O_RDWR)
        self.kernel = kernel
        self.filter: SeccompFilter | None = filter_
        self.notifications: list[Notification] = []
        self.next_id = random.getrandbits(64)
        self.wqh = WaitQueue()

    def notify(self, task: Task, data: bytes) -> None:
        """seccomp_do_user_notification: queue the call and put the target to sleep until it is answered."""
        n = Notification(task, self.next_id, data)
        self.next_id = (self.next_id + 1) & ((1 << 64) - 1)
        self.notifications.append(n)
        self.wqh.wake_all(POLLIN | POLLRDNORM)
        raise Block(n.ready, data=n)

    def _live(self) -> list[Notification]:
        """The notifications whose target still waits: a killed target's, or one a signal handler interrupted
        (its call returned EINTR or was restarted afresh), are gone."""
        self.notifications = [n for n in self.notifications if n.task.state is not TaskState.ZOMBIE
                              and n.task.restart_data is n]
        return self.notifications

    def _find(self, notif_id: int) -> Notification | None:
        return next((n for n in self._live() if n.id == notif_id), None)

    def ioctl(self, task: Task, request: int, arg: int) -> int:
        if request == SECCOMP_IOCTL_NOTIF_RECV:
            return self._recv(task, arg)
        if request == SECCOMP_IOCTL_NOTIF_SEND:
            return self._send(task, arg)
        if request in (SECCOMP_IOCTL_NOTIF_ID_VALID, SECCOMP_IOCTL_NOTIF_ID_VALID_WRONG_DIR):
            n = self._find(int.from_bytes(copy_from_user(task.mm, arg, 8), "little"))
            if n is None or n.state != NOTIFY_SENT:
                raise KernelError(errno.ENOENT)
            return 0
        if request == SECCOMP_IOCTL_NOTIF_SET_FLAGS:
            if arg & ~SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP:
                raise KernelError(errno.EINVAL)
            return 0                               # a scheduling hint: the target already runs next
        if request & ~0x3FFF0000 == SECCOMP_IOCTL_NOTIF_ADDFD & ~0x3FFF0000:
            return self._addfd(task, arg, request >> 16 & 0x3FFF)
        raise KernelError(errno.EINVAL)

    def _recv(self, task: Task, arg: int) -> int:
        buf = copy_from_user(task.mm, arg, SECCOMP_NOTIF.size)
        if any(buf):                               # check_zeroed_user: room for later fields
            raise KernelError(errno.EINVAL)
        n = next((n for n in self._live() if n.state == NOTIFY_INIT), None)
        if n is None:
            raise Block(self.wqh, restartable=False)    # down_interruptible: EINTR even with SA_RESTART
        copy_to_user(task.mm, arg, SECCOMP_NOTIF.pack(n.id, n.task.tid, 0, n.data))
        n.state = NOTIFY_SENT
        self.wqh.wake_all(POLLOUT | POLLWRNORM)
        return 0

    def _send(self, task: Task, arg: int) -> int:
        notif_id, val, error, flags = SECCOMP_NOTIF_RESP.unpack(copy_from_user(task.mm, arg,
                                                                                SECCOMP_NOTIF_RESP.size))
        if flags & ~SECCOMP_USER_NOTIF_FLAG_CONTINUE or (flags and (error or val)):
            raise KernelError(errno.EINVAL)
        n = self._find(notif_id)
        if n is None:
            raise KernelError(errno.ENOENT)
        if n.state != NOTIFY_SENT:                 # exactly one reply, after RECV
            raise KernelError(errno.EINPROGRESS)
        n.reply(error, val, flags)
        return 0

    def _addfd(self, task: Task, arg: int, size: int) -> int:
        """SECCOMP_IOCTL_NOTIF_ADDFD: install the supervisor's `srcfd` into the target (at `newfd` with SETFD);
        with SEND that also answers the call with the new descriptor.  Linux has the target install it when it
        wakes; here the kernel does it at once, which no program can tell apart."""
        if size < SECCOMP_NOTIF_ADDFD.size or size >= 4096:
            raise KernelError(errno.EINVAL)
        raw = copy_from_user(task.mm, arg, size)
        if any(raw[SECCOMP_NOTIF_ADDFD.size:]):    # copy_struct_from_user: unknown trailing fields must be 0
            raise KernelError(errno.E2BIG)
        notif_id, flags, srcfd, newfd, newfd_flags = SECCOMP_NOTIF_ADDFD.unpack_from(raw)
        if newfd_flags & ~O_CLOEXEC or flags & ~(SECCOMP_ADDFD_FLAG_SETFD | SECCOMP_ADDFD_FLAG_SEND) \
                or (newfd and not flags & SECCOMP_ADDFD_FLAG_SETFD):
            raise KernelError(errno.EINVAL)
        file = task.group.fds.get(srcfd)
        n = self._find(notif_id)
        if n is None:
            raise KernelError(errno.ENOENT)
        if n.state != NOTIFY_SENT:
            raise KernelError(errno.EINPROGRESS)
        fds, cloexec = n.task.group.fds, bool(newfd_flags & O_CLOEXEC)
        if flags & SECCOMP_ADDFD_FLAG_SETFD:
            if newfd >= fds.max_fds:
                raise KernelError(errno.EBADF)
            fds.install_at(newfd, file, cloexec)
            fd = newfd
        else:
            fd = fds.install(file, cloexec)
        if flags & SECCOMP_ADDFD_FLAG_SEND:
            n.reply(0, fd, 0)
        return fd

    def poll_mask(self) -> int:
        mask = 0
        for n in self._live():
            if n.state == NOTIFY_INIT:
                mask |= POLLIN | POLLRDNORM
            elif n.state == NOTIFY_SENT:
                mask |= POLLOUT | POLLWRNORM
        if self.filter is not None and not _users(self.filter, self.kernel):
            mask |= POLLHUP                        # no task (not yet released) uses the filter any more
        return mask

    def poll_queues(self, task: Task) -> tuple[WaitQueue, ...]:
        return (self.wqh,)

    def release(self) -> None:
        """seccomp_notify_detach: every call still waiting fails with ENOSYS; the filter has no listener."""
        for n in self._live():
            if n.state != NOTIFY_REPLIED:
                n.reply(-errno.ENOSYS, 0, 0)
        if self.filter is not None:
            self.filter.listener = None
            self.filter = None
