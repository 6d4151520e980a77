"""ptrace(2): the tracer's requests (Linux's kernel/ptrace.c ptrace_request and arch_ptrace); the tracee side,
the stops and what wait reports, is task/ptrace.py.

Every request but TRACEME, ATTACH and SEIZE names a tracee of the caller, stopped (ESRCH otherwise; KILL and
INTERRUPT need no stop).  Memory goes through the tracee's page tables: PEEK* fail with EIO, POKE* write as
FOLL_FORCE (read-only text gets a private copy of its page).  Registers are the arch's regsets
(arch/<isa>/ptrace.py): GETREGSET/SETREGSET with NT_PRSTATUS and NT_PRFPREG on every ISA, and on x86_64 the
older GETREGS/SETREGS/GETFPREGS/SETFPREGS and PEEKUSER/POKEUSER (struct user; the debug registers read as 0).
Signals: GETSIGINFO/SETSIGINFO of the current stop, PEEKSIGINFO of the pending queues, GETSIGMASK/SETSIGMASK.
"""
from __future__ import annotations

import errno
import struct

from pynix.errors import KernelError
from pynix.mm.uaccess import copy_from_user, copy_to_user
from pynix.syscall.registry import s32, syscall
from pynix.task import ptrace, signal
from pynix.task.cred import ptrace_may_access
from pynix.task.task import Task, TaskState

PTRACE_TRACEME, PTRACE_PEEKTEXT, PTRACE_PEEKDATA, PTRACE_PEEKUSR = 0, 1, 2, 3
PTRACE_POKETEXT, PTRACE_POKEDATA, PTRACE_POKEUSR, PTRACE_CONT, PTRACE_KILL, PTRACE_SINGLESTEP = 4, 5, 6, 7, 8, 9
PTRACE_GETREGS, PTRACE_SETREGS, PTRACE_GETFPREGS, PTRACE_SETFPREGS = 12, 13, 14, 15
PTRACE_ATTACH, PTRACE_DETACH, PTRACE_SYSCALL = 16, 17, 24
PTRACE_SETOPTIONS, PTRACE_GETEVENTMSG, PTRACE_GETSIGINFO, PTRACE_SETSIGINFO = 0x4200, 0x4201, 0x4202, 0x4203
PTRACE_GETREGSET, PTRACE_SETREGSET, PTRACE_SEIZE, PTRACE_INTERRUPT, PTRACE_LISTEN = 0x4204, 0x4205, 0x4206, 0x4207, 0x4208
PTRACE_PEEKSIGINFO, PTRACE_GETSIGMASK, PTRACE_SETSIGMASK, PTRACE_GET_SYSCALL_INFO = 0x4209, 0x420A, 0x420B, 0x420E
PTRACE_PEEKSIGINFO_SHARED = 1
SIGINFO_SIZE, SIGSET_SIZE = 128, 8
NT_PRSTATUS, NT_PRFPREG = 1, 2
PTRACE_SYSCALL_INFO_NONE, PTRACE_SYSCALL_INFO_ENTRY, PTRACE_SYSCALL_INFO_EXIT, PTRACE_SYSCALL_INFO_SECCOMP = 0, 1, 2, 3
PTRACE_SEIZE_DEVEL = 0x80000000
_NO_STOP_NEEDED = (PTRACE_KILL, PTRACE_INTERRUPT)
_U64 = (1 << 64) - 1
_MAX_ERRNO = 4095


@syscall
def sys_ptrace(task: Task, request: int, pid: int, addr: int, data: int) -> int:
    request, pid = request & 0xFFFFFFFF, s32(pid)
    kernel = task.kernel
    if request == PTRACE_TRACEME:
        return _traceme(task)
    if request in (PTRACE_ATTACH, PTRACE_SEIZE):
        return _attach(task, pid, request == PTRACE_SEIZE, addr, data)
    tracee = ptrace.check_attach(task, pid, need_stopped=request not in _NO_STOP_NEEDED)
    link = tracee.ptrace
    if request in (PTRACE_PEEKTEXT, PTRACE_PEEKDATA):
        try:
            word = copy_from_user(tracee.mm, addr, 8)
        except KernelError:
            raise KernelError(errno.EIO) from None
        copy_to_user(task.mm, data, word)
        return 0
    if request in (PTRACE_POKETEXT, PTRACE_POKEDATA):
        try:
            tracee.mm.force_write(addr, (data & _U64).to_bytes(8, "little"))
        except KernelError:
            raise KernelError(errno.EIO) from None
        return 0
    if request in (PTRACE_PEEKUSR, PTRACE_POKEUSR):
        return _user_area(task, tracee, request == PTRACE_POKEUSR, addr, data)
    if request in (PTRACE_CONT, PTRACE_SYSCALL, PTRACE_SINGLESTEP):
        sig = _valid_signal(data)
        ptrace.resume(kernel, tracee, request == PTRACE_SYSCALL, request == PTRACE_SINGLESTEP, sig)
        return 0
    if request == PTRACE_DETACH:
        sig = _valid_signal(data)
        if sig:
            signal.send_signal(kernel, tracee.group, sig, signal.siginfo(sig, signal.SI_USER), thread=tracee)
        ptrace.unlink(kernel, tracee)
        return 0
    if request == PTRACE_KILL:
        signal.send_signal(kernel, tracee.group, signal.SIGKILL, signal.siginfo(signal.SIGKILL, signal.SI_USER))
        return 0
    if request == PTRACE_INTERRUPT:
        if not link.seized or addr or data:
            raise KernelError(errno.EIO)
        ptrace.interrupt(kernel, tracee)
        return 0
    if request == PTRACE_LISTEN:
        if not link.seized or link.kind is not ptrace.StopKind.GROUP:
            raise KernelError(errno.EIO)
        ptrace.listen(kernel, tracee)
        return 0
    if request == PTRACE_SETOPTIONS:
        if data & ~ptrace.PTRACE_O_MASK:
            raise KernelError(errno.EINVAL)
        link.options = data
        return 0
    if request == PTRACE_GETEVENTMSG:
        copy_to_user(task.mm, data, (link.event_msg & _U64).to_bytes(8, "little"))
        return 0
    if request == PTRACE_GETSIGINFO:
        if link.siginfo is None:
            raise KernelError(errno.EINVAL)
        copy_to_user(task.mm, data, link.siginfo)
        return 0
    if request == PTRACE_SETSIGINFO:
        if link.siginfo is None:
            raise KernelError(errno.EINVAL)
        link.siginfo = copy_from_user(task.mm, data, 128)
        return 0
    if request == PTRACE_PEEKSIGINFO:
        return _peek_siginfo(task, tracee, addr, data)
    if request in (PTRACE_GETSIGMASK, PTRACE_SETSIGMASK):
        if addr != SIGSET_SIZE:
            raise KernelError(errno.EINVAL)
        if request == PTRACE_GETSIGMASK:
            copy_to_user(task.mm, data, tracee.sigmask.to_bytes(SIGSET_SIZE, "little"))
        else:
            mask = int.from_bytes(copy_from_user(task.mm, data, SIGSET_SIZE), "little")
            tracee.sigmask = mask & ~signal.UNBLOCKABLE
        return 0
    if request in (PTRACE_GETREGSET, PTRACE_SETREGSET):
        return _regset(task, tracee, request == PTRACE_SETREGSET, addr, data)
    if request == PTRACE_GET_SYSCALL_INFO:
        return _syscall_info(task, tracee, addr, data)
    layout = tracee.arch.ptrace
    if layout.legacy_requests and request in (PTRACE_GETREGS, PTRACE_SETREGS):
        if request == PTRACE_GETREGS:
            copy_to_user(task.mm, data, struct.pack(f"<{len(layout.prstatus)}Q", *ptrace.read_regs(tracee)))
        else:
            raw = copy_from_user(task.mm, data, layout.prstatus_size)
            ptrace.write_regs(tracee, list(struct.unpack(f"<{len(layout.prstatus)}Q", raw)))
        return 0
    if layout.legacy_requests and request in (PTRACE_GETFPREGS, PTRACE_SETFPREGS):
        if request == PTRACE_GETFPREGS:
            copy_to_user(task.mm, data, layout.get_fpregs(tracee.context))
        else:
            layout.set_fpregs(tracee.context, copy_from_user(task.mm, data, layout.fpregs_size))
        return 0
    raise KernelError(errno.EIO)


def _valid_signal(data: int) -> int:
    if data & _U64 > 64:
        raise KernelError(errno.EIO)
    return data & 0x7F


def _traceme(task: Task) -> int:
    """PTRACE_TRACEME: the parent becomes the tracer (not pynix's init, which never waits for a stop)."""
    parent = task.group.parent
    if task.ptrace is not None or parent is None or parent is task.kernel.init:
        raise KernelError(errno.EPERM)
    ptrace.link(task.kernel, task, parent, seized=False)
    return 0


def _attach(task: Task, pid: int, seize: bool, addr: int, flags: int) -> int:
    """ptrace_attach: EPERM for init, the caller's own process, an already traced task, or one the caller may
    not trace (same user or CAP_SYS_PTRACE); ATTACH stops the tracee with SIGSTOP, SEIZE leaves it running."""
    kernel = task.kernel
    if seize and (addr or flags & ~(ptrace.PTRACE_O_MASK | PTRACE_SEIZE_DEVEL)):
        raise KernelError(errno.EIO)
    tracee = kernel.tasks.get(pid)
    if tracee is None or tracee.state is TaskState.ZOMBIE:
        raise KernelError(errno.ESRCH)
    group = tracee.group
    if group is kernel.init or group is task.group or tracee.ptrace is not None:
        raise KernelError(errno.EPERM)
    if not ptrace_may_access(task.group.creds, group.creds, bool(group.dumpable)):
        raise KernelError(errno.EPERM)
    ptrace.link(kernel, tracee, task.group, seized=seize, options=flags & ptrace.PTRACE_O_MASK if seize else 0)
    if not seize:
        signal.send_signal(kernel, group, signal.SIGSTOP, signal.siginfo(signal.SIGSTOP, signal.SI_USER,
                                                                         pid=task.group.pid,
                                                                         uid=task.group.creds.uid), thread=tracee)
    return 0


def _user_area(task: Task, tracee: Task, poke: bool, offset: int, data: int) -> int:
    """PEEKUSER/POKEUSER: a word of struct user -- a general register, a debug register (0), or other fields
    (0; not writable)."""
    layout = tracee.arch.ptrace
    if not layout.user_size or offset & 7 or offset >= layout.user_size:
        raise KernelError(errno.EIO)
    regs = layout.prstatus
    in_regs = offset < 8 * len(regs)
    if poke:
        if in_regs:
            words = ptrace.read_regs(tracee)
            words[offset // 8] = data
            ptrace.write_regs(tracee, words)
            return 0
        if layout.debugreg_offset <= offset < layout.debugreg_offset + 64 and not data:
            return 0                                  # clearing a debug register that is never set
        raise KernelError(errno.EIO)
    word = ptrace.read_regs(tracee)[offset // 8] if in_regs else 0
    copy_to_user(task.mm, data, word.to_bytes(8, "little"))
    return 0


def _peek_siginfo(task: Task, tracee: Task, args: int, buf: int) -> int:
    """PTRACE_PEEKSIGINFO: copy the siginfo of up to `nr` pending signals of the tracee, from the `off`th on,
    from its own queue or (PTRACE_PEEKSIGINFO_SHARED) its process's, without dequeuing them; the number copied.
    Linux's queue is in arrival order; pynix's is by signal, in the order each signal first arrived (the same
    unless signals arrive interleaved).  Entries whose siginfo is built only when dequeued (a POSIX timer's,
    with its overrun count) are not shown."""
    off, flags, nr = struct.unpack("<QIi", copy_from_user(task.mm, args, 16))
    if flags & ~PTRACE_PEEKSIGINFO_SHARED or nr < 0:
        raise KernelError(errno.EINVAL)
    queue = tracee.group.shared_pending if flags & PTRACE_PEEKSIGINFO_SHARED else tracee.pending
    infos = [info for entries in queue.values() for info in entries if isinstance(info, bytes)]
    chosen = infos[off:off + nr] if off < len(infos) else []
    for i, info in enumerate(chosen):
        copy_to_user(task.mm, buf + i * SIGINFO_SIZE, info)
    return len(chosen)


def _regset(task: Task, tracee: Task, write: bool, note: int, iov: int) -> int:
    """GETREGSET/SETREGSET: `iov` is a struct iovec; a get copies at most its length and sets the length to
    what was copied."""
    layout = tracee.arch.ptrace
    base, length = struct.unpack("<QQ", copy_from_user(task.mm, iov, 16))
    if note == NT_PRSTATUS:
        size = layout.prstatus_size
        if write:
            n = min(length, size) // 8
            words = ptrace.read_regs(tracee)
            words[:n] = struct.unpack(f"<{n}Q", copy_from_user(task.mm, base, 8 * n))
            ptrace.write_regs(tracee, words)
            blob_len = 8 * n
        else:
            blob = struct.pack(f"<{len(layout.prstatus)}Q", *ptrace.read_regs(tracee))
            blob_len = min(length, size)
            copy_to_user(task.mm, base, blob[:blob_len])
    elif note == NT_PRFPREG:
        size = layout.fpregs_size
        blob_len = min(length, size)
        if write:
            current = bytearray(layout.get_fpregs(tracee.context))
            current[:blob_len] = copy_from_user(task.mm, base, blob_len)
            layout.set_fpregs(tracee.context, bytes(current))
        else:
            copy_to_user(task.mm, base, layout.get_fpregs(tracee.context)[:blob_len])
    else:
        raise KernelError(errno.EINVAL)
    copy_to_user(task.mm, iov + 8, blob_len.to_bytes(8, "little"))
    return 0


def _syscall_info(task: Task, tracee: Task, size: int, buf: int) -> int:
    """PTRACE_GET_SYSCALL_INFO: struct ptrace_syscall_info for a syscall stop (entry: number and arguments,
    exit: return value and is_error), a PTRACE_EVENT_SECCOMP stop (entry's and the filter's data) or nothing else; returns the size of the whole structure for that op,
    of which at most `size` bytes are copied."""
    link, arch = tracee.ptrace, tracee.arch
    ctx = tracee.context
    regs = ptrace.read_regs(tracee)
    names = arch.ptrace.prstatus
    pc = regs[names.index("rip" if "rip" in names else "pc")]
    sysgood = link.code == (signal.SIGTRAP | 0x80)       # as Linux: TRACESYSGOOD syscall stops only
    op = PTRACE_SYSCALL_INFO_NONE
    if sysgood and link.syscall is ptrace.SyscallState.ENTRY:
        op = PTRACE_SYSCALL_INFO_ENTRY
    elif sysgood and link.syscall is ptrace.SyscallState.EXIT:
        op = PTRACE_SYSCALL_INFO_EXIT
    elif link.code == signal.SIGTRAP | ptrace.PTRACE_EVENT_SECCOMP << 8:
        op = PTRACE_SYSCALL_INFO_SECCOMP
    head = struct.pack("<B3xIQQ", op, arch.ptrace.audit_arch, pc, ctx.read("sp"))
    if op == PTRACE_SYSCALL_INFO_ENTRY:
        info = head + struct.pack("<Q6Q", link.nr, *link.args)
    elif op == PTRACE_SYSCALL_INFO_SECCOMP:                 # the entry's fields and the filter's data
        info = head + struct.pack("<Q6QI", link.nr, *link.args, link.event_msg)
    elif op == PTRACE_SYSCALL_INFO_EXIT:
        rval = ctx.read(arch.return_register)
        signed = rval - (1 << 64) if rval >> 63 else rval
        info = head + struct.pack("<qB", signed, 1 if -_MAX_ERRNO <= signed < 0 else 0)
    else:
        info = head
    copy_to_user(task.mm, buf, info[:min(size, len(info))])
    return len(info)
