"""Syscall handlers by Linux name.  Each family module registers its handlers with `@syscall`; the per-arch
tables (`dispatch.SyscallTable`) map numbers to them through the arch's number -> name list.

A handler is `sys_<name>(task, arg1, ...)`, taking as many raw register values (unsigned 64-bit) as the syscall
has arguments.  It returns the result as an int, raises KernelError(errno) for a failure, or returns
`NO_RETURN` (None) when no result must be written (exit, a task switch, a replaced register set).
"""
from __future__ import annotations

from typing import Callable

HANDLERS: dict[str, Callable[..., "int | None"]] = {}
NO_RETURN = None


def syscall(fn: Callable[..., "int | None"]) -> Callable[..., "int | None"]:
    """Register `sys_NAME` as the handler of syscall NAME."""
    HANDLERS[fn.__name__.removeprefix("sys_")] = fn
    return fn


def alias(*names: str) -> Callable[[Callable[..., "int | None"]], Callable[..., "int | None"]]:
    """Register one handler under further names (e.g. the x86_64 legacy forms)."""
    def register(fn: Callable[..., "int | None"]) -> Callable[..., "int | None"]:
        for name in names:
            HANDLERS[name] = fn
        return fn
    return register


def s32(value: int) -> int:
    """A C `int` argument: the low 32 bits of the register, signed (Linux ignores the upper half)."""
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value & 0x80000000 else value


def s64(value: int) -> int:
    """A C `long` / `off_t` argument, signed."""
    return value - (1 << 64) if value & (1 << 63) else value
