"""The kernel proper: physical memory, the CPU, the tasks, and the trap loop that ties them together.

`Kernel.run` is the scheduler loop: pick a runnable task, switch to it (registers + address space), let the CPU
run it until a trap needs the kernel, handle that trap, repeat.  Syscalls and resolvable page faults never get
here: the CPU serves them through the dispatcher and the TLB-fill callback without leaving the emulator.
"""
from __future__ import annotations

import errno
import fcntl
import os
import signal as host_signal
import sys
import time
from typing import Callable

from pynix.arch import Arch
from pynix.errors import KernelError
from pynix.fs.file import FdTable, HostStreamFile
from pynix.hal import PhysicalMemory, Trap, TrapKind, new_cpu
from pynix.loader.elf import parse_elf
from pynix.loader.exec import Credentials, load_program
from pynix.mm.address_space import AddressSpace
from pynix.mm.frame_alloc import PAGE_SHIFT, FrameAllocator
from pynix.syscall.dispatch import SyscallDispatcher, SyscallTable, TracingDispatcher
from pynix.task.task import Task, TaskState, ThreadGroup

SIGILL, SIGTRAP, SIGFPE, SIGKILL, SIGSEGV = 4, 5, 8, 9, 11

_TRAP_SIGNALS = {TrapKind.PAGE_FAULT: SIGSEGV, TrapKind.ILLEGAL_INSTRUCTION: SIGILL,
                 TrapKind.BREAKPOINT: SIGTRAP, TrapKind.DIVIDE_ERROR: SIGFPE}


class Kernel:
    def __init__(self, arch: Arch, mem_size: int, strace: Callable[[str], None] | None = None) -> None:
        self.arch = arch
        self.ram = PhysicalMemory(mem_size)
        self.frames = FrameAllocator(mem_size >> PAGE_SHIFT)
        self.cpu = new_cpu(arch.name, self.ram, arch.syscall_registers, arch.return_register)
        table = SyscallTable(arch)
        self.cpu.on_syscall = TracingDispatcher(self, table, strace) if strace else SyscallDispatcher(self, table)
        self.boot_time = time.monotonic()
        self.groups: dict[int, ThreadGroup] = {}
        self.current: Task | None = None
        self._next_pid = 1

    @staticmethod
    def log(message: str) -> None:
        """The kernel log: one line (or block) on the host's stderr."""
        print(f"pynix: {message}", file=sys.stderr, flush=True)

    # ------------------------------------------------------------------------------------------- processes
    def spawn(self, path: str, argv: list[bytes], envp: list[bytes]) -> ThreadGroup:
        """Create the first process running the program at host `path` (the init of this machine)."""
        try:
            with open(path, "rb") as f:
                data = f.read()
        except IsADirectoryError:
            raise KernelError(errno.EACCES, "is a directory") from None
        except OSError as e:
            raise KernelError(e.errno or errno.ENOENT, e.strerror or "cannot open") from None
        elf = parse_elf(data)
        if elf.arch is not self.arch:
            raise KernelError(errno.ENOEXEC, f"a {elf.arch.name} program cannot run on this {self.arch.name} machine")
        if elf.interpreter is not None:
            raise KernelError(errno.ENOEXEC, f"dynamically linked programs (interpreter {elf.interpreter}) "
                                             "are not supported yet")
        mm = AddressSpace(self.arch, self.ram, self.frames)
        creds = Credentials(os.getuid(), os.geteuid(), os.getgid(), os.getegid())
        image = load_program(mm, elf, argv, envp, os.fsencode(path), creds, name=os.path.abspath(path))
        pid = self._next_pid
        self._next_pid += 1
        group = ThreadGroup(pid=pid, ppid=0, arch=self.arch, mm=mm, fds=self._standard_streams(),
                            exe=os.path.abspath(path), creds=creds)
        task = Task(tid=pid, group=group, kernel=self)
        group.tasks.append(task)
        self.groups[pid] = group
        self.cpu.reset_user_state()
        self.cpu.write_many(self.arch.start_registers(image.entry, image.stack_pointer))
        task.context = self.cpu.save_context()
        return group

    @staticmethod
    def _standard_streams() -> FdTable:
        fds = FdTable()
        for fd in (0, 1, 2):
            try:
                flags = fcntl.fcntl(fd, fcntl.F_GETFL)
            except OSError:
                continue                          # closed on the host: closed in the guest too
            fds.install(HostStreamFile(fd, flags & (os.O_ACCMODE | os.O_NONBLOCK)), lowest=fd)
        return fds

    def exit_group(self, group: ThreadGroup, wait_status: int) -> None:
        """End every thread of `group` with `wait_status` (Linux's do_group_exit)."""
        if group.exit_status is None:
            group.exit_status = wait_status
        for task in group.tasks:
            task.state = TaskState.ZOMBIE
        if self.current is not None and self.current.group is group:
            self.cpu.stop()

    def kill_group(self, group: ThreadGroup, sig: int) -> None:
        """Terminate `group` by signal `sig` (default action; handlers arrive with the signals work)."""
        self.exit_group(group, sig)

    # ----------------------------------------------------------------------------------------- trap loop
    def _switch_to(self, task: Task) -> None:
        if self.current is task:
            return
        if self.current is not None and self.current.state is not TaskState.ZOMBIE:
            self.cpu.update_context(self.current.context)
        self.current = task
        self.cpu.restore_context(task.context)
        task.mm.on_tlb_flush = self.cpu.flush_tlb
        self.cpu.on_tlb_fill = task.mm.tlb_fill
        self.cpu.flush_tlb()

    def run(self) -> int:
        """Run until every process has exited; return the first process's wait status."""
        init = self.groups[1]
        while True:
            runnable = [t for g in self.groups.values() for t in g.tasks if t.state is TaskState.RUNNABLE]
            if not runnable:
                break
            task = runnable[0]
            self._switch_to(task)
            trap = self.cpu.run()
            self._handle_trap(task, trap)
        self.current = None
        for group in list(self.groups.values()):
            group.mm.destroy()
        return init.exit_status if init.exit_status is not None else 0

    def _handle_trap(self, task: Task, trap: Trap) -> None:
        sig = _TRAP_SIGNALS.get(trap.kind)
        if sig is None or task.state is TaskState.ZOMBIE:
            return                                  # timer, kernel stop: just schedule again
        what = f"{trap.kind.value} at pc {trap.pc:#x}"
        if trap.kind is TrapKind.PAGE_FAULT:
            access = {1: "read", 2: "write", 4: "execute"}.get(trap.access, "access")
            what = f"{access} of {trap.addr:#x} at pc {trap.pc:#x}"
            try:                                    # ask the fault path again why it failed
                task.mm.handle_fault(trap.addr, trap.access)
            except KernelError as err:
                if err.errno == errno.ENOMEM:       # Linux's OOM killer: SIGKILL, not SIGSEGV
                    sig, what = SIGKILL, f"out of memory ({what})"
        self.log(f"pid {task.group.pid} killed by {host_signal.Signals(sig).name}: {what}")
        self.kill_group(task.group, sig)
