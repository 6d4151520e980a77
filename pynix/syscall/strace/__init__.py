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

The package is split as strace's own source is: `xlat` (the constants' names), `printers` (numbers, flags,
strings, the call being formatted), `args` (one formatter per argument type), `calls` (calls whose arguments
depend on each other), `table` (each call's signature), and here the entry points.
"""
from __future__ import annotations

import os
from typing import Sequence

from pynix.syscall.strace import xlat
from pynix.syscall.strace.arch import StraceArch, UserMemoryReader, strace_arch
from pynix.syscall.strace.printers import (Call, FdPath, fd_text, flag_names, format_sigset, hexnum, octal, open_flags,
                                           quote_bytes, signal_name, xlat_name)
from pynix.syscall.strace.table import SIGNATURES
from pynix.syscall.strace.xlat import MAX_STRLEN
from pynix.uapi.errno import ERRNO_NAMES

__all__ = ["UserMemoryReader", "StraceArch", "strace_arch", "format_syscall", "format_call", "format_return",
           "quote_bytes", "signal_name", "format_sigset"]

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


def _generic_args(args: Sequence[int]) -> list[str]:
    vals = list(args)[:6]
    vals += [0] * (6 - len(vals))
    return [hexnum(a) for a in vals]


def format_call(name: str, args: Sequence[int], result: int | None, mem: UserMemoryReader,
                arch: object | None = None, strlen: int = MAX_STRLEN, fd_path: FdPath | None = None) -> str:
    """``name(arg, ...)``: the part of the line before `` = ``.  ``arch``: see ``strace_arch``; ``strlen``:
    strace's -s; ``fd_path``: strace's -y (descriptor -> path, or None when it is not open)."""
    c = Call(name, args, result, mem, strace_arch(arch), strlen, fd_path)
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
    if -xlat.MAX_ERRNO <= result < 0:
        err = -result
        if err in xlat.RESTART_ERRNOS:
            ename, text = xlat.RESTART_ERRNOS[err]
            return f"? {ename} ({text})"
        ename = ERRNO_NAMES.get(err, f"E{err}")
        return f"-1 {ename} ({os.strerror(err)})"
    if name in _RESULT_HEX:
        return hexnum(result)
    if name in _RESULT_OCTAL:
        return octal(result)
    if fd_path is not None and (name in _RESULT_FD or name == "fcntl" and len(args) > 1
                                and args[1] & 0xFFFFFFFF in _F_DUPFD_CMDS):
        return fd_text(result, fd_path)
    if name in _RESULT_TIMEOUT and result == 0:
        return "0 (Timeout)"
    if name == "fcntl" and len(args) > 1:
        cmd = xlat.F_CMDS.get(args[1] & 0xFFFFFFFF)
        if cmd == "F_GETFL":
            return f"{hexnum(result)} (flags {open_flags(result)})"
        if cmd == "F_GETFD" and result:
            return f"{hexnum(result)} (flags {flag_names(result, xlat.FD_FLAGS)})"
        if cmd == "F_GET_SEALS" and result:
            return f"{hexnum(result)} (seals {flag_names(result, xlat.F_SEALS)})"
        if cmd == "F_GETLEASE":
            return xlat_name(result, xlat.F_LOCK_TYPES, "F_???")
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
