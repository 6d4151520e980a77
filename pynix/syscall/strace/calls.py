"""Calls whose arguments depend on other arguments (open's mode, fcntl/ioctl/futex/prctl commands, clone's
flags)."""
from __future__ import annotations

import struct

from pynix.syscall.strace import xlat
from pynix.syscall.strace.args import (DIRFD, FD, INT_IN, INT_OUT, MREMAP_FLAGS, PATH, SIZE, STR, TERMIOS_IN,
                                       TERMIOS_OUT, TIMESPEC_IN, WINSIZE_IN, WINSIZE_OUT, flock_text)
from pynix.syscall.strace.printers import (Call, flag_names, hexnum, octal, open_flags, pointer, s32,
                                           signal_name, xlat_name)

def _fmt_open(c: Call, first: list[str]) -> list[str]:
    flags = c.arg(len(first))
    out = first + [open_flags(flags)]
    if flags & (xlat.O_CREAT | xlat.O_TMPFILE_BIT):
        out.append(octal(c.arg(len(first) + 1) & 0xFFFFFFFF))
    return out


def call_openat(c: Call) -> list[str]:
    return _fmt_open(c, [DIRFD(c, c.arg(0)), PATH(c, c.arg(1))])


def call_open(c: Call) -> list[str]:
    return _fmt_open(c, [PATH(c, c.arg(0))])


def call_fcntl(c: Call) -> list[str]:
    fd, cmd, arg = c.arg(0), c.arg(1) & 0xFFFFFFFF, c.arg(2)
    name = xlat.F_CMDS.get(cmd)
    out = [FD(c, fd), xlat_name(cmd, xlat.F_CMDS, "F_???")]
    if name in ("F_GETFD", "F_GETFL", "F_GETOWN", "F_GETSIG", "F_GETLEASE", "F_GETPIPE_SZ", "F_GET_SEALS"):
        pass
    elif name == "F_SETFD":
        out.append(flag_names(arg & 0xFFFFFFFF, xlat.FD_FLAGS))
    elif name == "F_SETFL":
        out.append(open_flags(arg))
    elif name in ("F_DUPFD", "F_DUPFD_CLOEXEC", "F_SETOWN", "F_SETPIPE_SZ"):
        out.append(str(s32(arg)))
    elif name == "F_SETSIG":
        out.append(signal_name(s32(arg)) if arg else "0")
    elif name == "F_SETLEASE":
        out.append(xlat_name(arg & 0xFFFFFFFF, xlat.F_LOCK_TYPES, "F_???"))
    elif name == "F_ADD_SEALS":
        out.append(flag_names(arg & 0xFFFFFFFF, xlat.F_SEALS))
    elif name in ("F_SETLK", "F_SETLKW", "F_OFD_SETLK", "F_OFD_SETLKW"):
        out.append(flock_text(c, arg))
    elif name in ("F_GETLK", "F_OFD_GETLK"):
        out.append(flock_text(c, arg) if c.ok else pointer(arg))
    else:
        out.append(hexnum(arg))
    return out


def _ioctl_request(req: int) -> str:
    name = xlat.IOCTLS.get(req)
    if name:
        return name
    d, size, typ, nr = (req >> 30) & 3, (req >> 16) & 0x3FFF, (req >> 8) & 0xFF, req & 0xFF
    return f"_IOC({xlat.IOC_DIRS[d]}, {hexnum(typ)}, {hexnum(nr)}, {hexnum(size)})"


def call_ioctl(c: Call) -> list[str]:
    req, arg = c.arg(1) & 0xFFFFFFFF, c.arg(2)
    name = xlat.IOCTLS.get(req)
    if name in ("TCGETS", "TCGETA"):
        argtext = TERMIOS_OUT(c, arg) if name == "TCGETS" else pointer(arg)
    elif name in ("TCSETS", "TCSETSW", "TCSETSF"):
        argtext = TERMIOS_IN(c, arg)
    elif name == "TIOCGWINSZ":
        argtext = WINSIZE_OUT(c, arg)
    elif name == "TIOCSWINSZ":
        argtext = WINSIZE_IN(c, arg)
    elif name in xlat.IOCTL_INT_IN:
        argtext = INT_IN(c, arg)
    elif name in xlat.IOCTL_INT_OUT:
        argtext = INT_OUT(c, arg)
    elif name in ("TCSBRK", "TCXONC", "TCFLSH", "TIOCSCTTY", "TCSBRKP"):
        argtext = str(s32(arg))
    elif name in ("TIOCNOTTY", "TIOCEXCL", "TIOCNXCL", "FIONCLEX", "FIOCLEX", "TIOCSBRK", "TIOCCBRK"):
        return [FD(c, c.arg(0)), name]
    elif name is not None:
        argtext = pointer(arg)
    else:
        argtext = hexnum(arg)
    return [FD(c, c.arg(0)), _ioctl_request(req), argtext]


def _futex_op(op: int) -> str:
    cmd = op & ~(xlat.FUTEX_PRIVATE | xlat.FUTEX_CLOCK_REALTIME)
    name = xlat.FUTEX_CMDS.get(cmd)
    if name is None:
        return hexnum(op)
    if op & xlat.FUTEX_PRIVATE:
        name += "_PRIVATE"
    if op & xlat.FUTEX_CLOCK_REALTIME:
        name += "|FUTEX_CLOCK_REALTIME"
    return name


def call_futex(c: Call) -> list[str]:
    uaddr, op, val, timeout, uaddr2, val3 = (c.arg(i) for i in range(6))
    op &= 0xFFFFFFFF
    cmd = xlat.FUTEX_CMDS.get(op & ~(xlat.FUTEX_PRIVATE | xlat.FUTEX_CLOCK_REALTIME))
    out = [pointer(uaddr), _futex_op(op)]
    u32 = lambda x: str(x & 0xFFFFFFFF)  # noqa: E731
    bitset = lambda x: "FUTEX_BITSET_MATCH_ANY" if x & 0xFFFFFFFF == 0xFFFFFFFF else hexnum(x & 0xFFFFFFFF)  # noqa: E731
    if cmd in ("FUTEX_WAIT",):
        out += [u32(val), TIMESPEC_IN(c, timeout)]
    elif cmd in ("FUTEX_WAKE", "FUTEX_FD"):
        out += [u32(val)]
    elif cmd == "FUTEX_REQUEUE":
        out += [u32(val), u32(timeout), pointer(uaddr2)]
    elif cmd in ("FUTEX_CMP_REQUEUE", "FUTEX_CMP_REQUEUE_PI"):
        out += [u32(val), u32(timeout), pointer(uaddr2), u32(val3)]
    elif cmd == "FUTEX_WAKE_OP":
        out += [u32(val), u32(timeout), pointer(uaddr2), hexnum(val3 & 0xFFFFFFFF)]
    elif cmd in ("FUTEX_LOCK_PI", "FUTEX_LOCK_PI2"):
        out += [TIMESPEC_IN(c, timeout)]
    elif cmd in ("FUTEX_UNLOCK_PI", "FUTEX_TRYLOCK_PI"):
        pass
    elif cmd == "FUTEX_WAIT_BITSET":
        out += [u32(val), TIMESPEC_IN(c, timeout), bitset(val3)]
    elif cmd == "FUTEX_WAKE_BITSET":
        out += [u32(val), bitset(val3)]
    elif cmd == "FUTEX_WAIT_REQUEUE_PI":
        out += [u32(val), TIMESPEC_IN(c, timeout), pointer(uaddr2)]
    else:
        out += [hexnum(x) for x in (val, timeout, uaddr2, val3)]
    return out


def _clone_flags(flags: int) -> str:
    sig = flags & 0xFF
    rest = flags & ~0xFF
    parts = [flag_names(rest, xlat.CLONE_FLAGS)] if rest else []
    if sig:
        parts.append(signal_name(sig))
    return "|".join(parts) if parts else "0"


def call_clone(c: Call) -> list[str]:
    flags, stack, ptid = c.arg(0), c.arg(1), c.arg(2)
    out = [f"child_stack={pointer(stack)}", f"flags={_clone_flags(flags)}"]
    order = c.arch.clone_tls_before_child_tid
    if order is None:
        if flags & (xlat.CLONE_PARENT_SETTID | xlat.CLONE_PIDFD):
            out.append(f"parent_tid={pointer(ptid)}")
        return out + [hexnum(c.arg(3)), hexnum(c.arg(4))]
    tls, ctid = (c.arg(3), c.arg(4)) if order else (c.arg(4), c.arg(3))
    if flags & (xlat.CLONE_PARENT_SETTID | xlat.CLONE_PIDFD):
        tid = c.u32(ptid) if c.ok and flags & xlat.CLONE_PARENT_SETTID else None
        out.append(f"parent_tid={pointer(ptid) if tid is None else f'[{s32(tid)}]'}")
    if flags & xlat.CLONE_SETTLS:
        out.append(f"tls={pointer(tls)}")
    if flags & xlat.CLONE_CHILD_TID:
        out.append(f"child_tidptr={pointer(ctid)}")
    return out


def call_clone3(c: Call) -> list[str]:
    addr, size = c.arg(0), c.arg(1)
    data = c.read(addr, 64) if size >= 64 else None
    if data is None:
        return [pointer(addr), str(size)]
    flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls = struct.unpack("<8Q", data)
    fields = [f"flags={flag_names(flags, xlat.CLONE_FLAGS)}"]
    if flags & xlat.CLONE_PIDFD:
        fields.append(f"pidfd={pointer(pidfd)}")
    if flags & xlat.CLONE_CHILD_TID:
        fields.append(f"child_tid={pointer(child_tid)}")
    if flags & xlat.CLONE_PARENT_SETTID:
        fields.append(f"parent_tid={pointer(parent_tid)}")
    fields.append(f"exit_signal={signal_name(exit_signal) if exit_signal else '0'}")
    fields.append(f"stack={pointer(stack)}")
    fields.append(f"stack_size={hexnum(stack_size)}")
    if flags & xlat.CLONE_SETTLS:
        fields.append(f"tls={pointer(tls)}")
    text = "{" + ", ".join(fields) + "}"
    if c.ok and flags & xlat.CLONE_PARENT_SETTID:
        tid = c.u32(parent_tid)
        if tid is not None:
            text += f" => {{parent_tid=[{s32(tid)}]}}"
    return [text, str(size)]


def call_arch_prctl(c: Call) -> list[str]:
    code, addr = c.arg(0) & 0xFFFFFFFF, c.arg(1)
    if code in xlat.ARCH_PRCTL_GET and c.ok:
        val = c.u64(addr)
        return [xlat.ARCH_PRCTL[code], hexnum(addr) if val is None else f"[{hexnum(val)}]"]
    return [xlat_name(code, xlat.ARCH_PRCTL, "ARCH_???"), hexnum(addr)]


def call_prctl(c: Call) -> list[str]:
    option = c.arg(0) & 0xFFFFFFFF
    name = xlat.PRCTL.get(option)
    if name == "PR_SET_NAME":
        return [name, STR(c, c.arg(1))]
    if name == "PR_GET_NAME":
        return [name, STR(c, c.arg(1)) if c.ok else pointer(c.arg(1))]
    if name in ("PR_SET_PDEATHSIG",):
        return [name, signal_name(s32(c.arg(1))) if c.arg(1) else "0"]
    if name in ("PR_GET_DUMPABLE", "PR_GET_CHILD_SUBREAPER", "PR_GET_NO_NEW_PRIVS", "PR_GET_SECCOMP"):
        return [name]
    return [xlat_name(option, xlat.PRCTL, "PR_???")] + [hexnum(c.arg(i)) for i in range(1, 5)]


def call_seccomp(c: Call) -> list[str]:
    """seccomp(op, flags, args): a filter's sock_fprog shows as {len=N, filter=ADDR}, as strace's default."""
    op, flags, uargs = c.arg(0) & 0xFFFFFFFF, c.arg(1) & 0xFFFFFFFF, c.arg(2)
    shown = pointer(uargs)
    if op == 1 and (fprog := c.read(uargs, 16)) is not None:
        length, address = struct.unpack("<H6xQ", fprog)
        shown = f"{{len={length}, filter={pointer(address)}}}"
    return [xlat_name(op, xlat.SECCOMP_OPS, "SECCOMP_???"), flag_names(flags, xlat.SECCOMP_FLAGS), shown]


def call_mremap(c: Call) -> list[str]:
    out = [pointer(c.arg(0)), SIZE(c, c.arg(1)), SIZE(c, c.arg(2)), MREMAP_FLAGS(c, c.arg(3))]
    if c.arg(3) & 2:
        out.append(pointer(c.arg(4)))
    return out
