"""The syscall boundary: number -> handler, KernelError -> -errno (here and nowhere else), ENOSYS for the rest.

This is the hot path of every system call.  The table is a list indexed by number holding (handler, argument
count); the call passes exactly that many raw arguments; nothing is allocated on the way.  The CPU calls the
dispatcher's bound `__call__` straight from its trap hook (hal/cpu.py); this method and a handler as small as
getpid's take ~0.25 us of a null syscall's ~1 us.
"""
from __future__ import annotations

import errno
import inspect
import traceback
from typing import TYPE_CHECKING, Callable

from pynix.arch import Arch
from pynix.errors import KernelError
from pynix.sync.wait import Block
from pynix.syscall import load_handlers
from pynix.task.exit import exit_group
from pynix.uapi.signal import SIGSYS

if TYPE_CHECKING:
    from pynix.kernel import Kernel

MAX_ERRNO = 4095


class SyscallTable:
    """The handlers of one architecture, indexed by syscall number."""

    def __init__(self, arch: Arch) -> None:
        handlers = load_handlers()
        size = max(arch.syscall_names) + 1
        self.names: list[str | None] = [arch.syscall_names.get(nr) for nr in range(size)]
        self.entries: list[tuple[Callable[..., "int | None"], int] | None] = [None] * size
        for nr, name in arch.syscall_names.items():
            fn = handlers.get(name)
            if fn is not None:
                self.entries[nr] = (fn, len(inspect.signature(fn).parameters) - 1)

    def name(self, nr: int) -> str:
        return (self.names[nr] if nr < len(self.names) else None) or f"syscall_{nr}"


class SyscallDispatcher:
    """Called by the CPU for every syscall trap of the current task."""

    def __init__(self, kernel: "Kernel", table: SyscallTable) -> None:
        self.kernel = kernel
        self.table = table
        self._entries = table.entries
        self._size = len(table.entries)
        self._reported: set[int] = set()
        self.blocked = False                       # the last call went to sleep (it will run again)

    def __call__(self, nr: int, a0: int, a1: int, a2: int, a3: int, a4: int, a5: int) -> int | None:
        task = self.kernel.current
        if nr >= self._size or (entry := self._entries[nr]) is None:
            return self._enosys(nr)
        fn, nargs = entry
        try:
            if nargs == 0:
                result = fn(task)
            elif nargs == 1:
                result = fn(task, a0)
            elif nargs == 2:
                result = fn(task, a0, a1)
            elif nargs == 3:
                result = fn(task, a0, a1, a2)
            else:
                result = fn(task, *(a0, a1, a2, a3, a4, a5)[:nargs])
        except KernelError as err:
            result = -err.errno
        except Block as block:
            self.kernel.block(task, block.queues, block.deadline, block.data)
            task.restartable, task.on_interrupt = block.restartable, block.on_interrupt
            self.blocked = True
            return None
        except Exception:
            return self._bug(task, nr)
        if task.restart_data is not None:          # the syscall completed: forget what a blocked run kept
            task.restart_data = None
        return result

    def _enosys(self, nr: int) -> int:
        if nr not in self._reported:
            self._reported.add(nr)
            self.kernel.log(f"unimplemented syscall {self.table.name(nr)} ({nr}): returning -ENOSYS")
        return -errno.ENOSYS

    def _bug(self, task, nr: int) -> None:
        """A Python exception escaped a handler: a kernel bug.  Log it and kill only the calling process."""
        self.kernel.log(f"kernel bug in {self.table.name(nr)} (pid {task.group.pid}), killing it with SIGSYS:\n"
                        + traceback.format_exc().rstrip(), console=True)
        try:
            exit_group(self.kernel, task.group, SIGSYS)
        except Exception:                          # the bug may sit on the exit path itself: stop regardless
            self.kernel.log("kernel bug while killing the process:\n" + traceback.format_exc().rstrip(), console=True)
            task.group.exit_status = task.group.exit_status or SIGSYS
            self.kernel.cpu.stop()
        return None


class TracingDispatcher(SyscallDispatcher):
    """`--strace`: the same dispatch, with each call printed in strace's format after it completes."""

    def __init__(self, kernel: "Kernel", table: SyscallTable, out: Callable[[str], None]) -> None:
        super().__init__(kernel, table)
        self.out = out

    def __call__(self, nr: int, a0: int, a1: int, a2: int, a3: int, a4: int, a5: int) -> int | None:
        from pynix.syscall.strace import format_syscall
        task = self.kernel.current
        name = self.table.name(nr)
        args = (a0, a1, a2, a3, a4, a5)
        # Calls that end the task print before they run, with "= ?" as strace shows them.
        if name in ("exit", "exit_group"):
            self.out(format_syscall(name, args, None, _TraceReader(task.mm), arch=task.arch))
        # A successful exec replaces the memory the arguments are in: format them before, print after.
        before = format_syscall(name, args, None, _TraceReader(task.mm), arch=task.arch) \
            if name in ("execve", "execveat") else None
        self.blocked = False
        result = super().__call__(nr, a0, a1, a2, a3, a4, a5)
        if before is not None and not self.blocked and result in (None, 0):
            self.out(before.removesuffix("?") + "0")
        elif name not in ("exit", "exit_group") and not self.blocked:
            shown = result
            if shown is not None and shown > (1 << 63):
                shown -= 1 << 64
            self.out(format_syscall(name, args, shown, _TraceReader(task.mm), arch=task.arch))
        return result


class _TraceReader:
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
