"""The kernel proper: physical memory, the CPU, the tasks, and the scheduler.

Syscalls and resolvable page faults are served by the dispatcher and the TLB-fill callback while the guest runs.
Anything else that stops the running task -- it blocked, exited or exec'd, a signal is to be delivered, a fatal
fault, the end of its time slice -- goes to the trap handler `Kernel._on_stop`, which finishes the task's slice
(`_after_run`) and picks and switches to the next task (`_schedule`), like the return-to-user path of a real
kernel.  For a stop inside a syscall all of that happens within the syscall trap, without leaving the emulator.
`Kernel.run` is only the outer loop that idles while no task can run.  Work that must touch the registers of
the stopped task (a forked child's context, a fresh exec image, rewinding a blocked syscall) is queued by the
syscall handler and done by `_after_run`.
"""
from __future__ import annotations

import errno
import fcntl
import heapq
import itertools
import os
import select
import signal as host_signal
import stat as st
import sys
import time
from typing import Callable

from pynix.arch import Arch
from pynix.errors import KernelError
from pynix.fs.devfs import DevfsSuperBlock
from pynix.fs.devpts import DevptsSuperBlock
from pynix.fs.file import FdTable, HostStreamFile
from pynix.fs.procfs import ProcfsSuperBlock
from pynix.fs.rootfs import build_mounts
from pynix.fs.vfs import MAY_EXEC, FsContext, SuperBlock, VfsPath, Walker, permission
from pynix.hal import PhysicalMemory, Trap, TrapKind, new_cpu
from pynix.loader.exec import ProgramImage, load_program, read_program
from pynix.loader.script import BINPRM_BUF_SIZE, MAX_NESTING, parse_shebang, script_argv
from pynix.mm.address_space import AddressSpace
from pynix.mm.frame_alloc import PAGE_SHIFT, FrameAllocator
from pynix.mm.uaccess import copy_to_user
from pynix.syscall.dispatch import SyscallDispatcher, SyscallTable, TracingDispatcher
from pynix.task.sched import POLICIES
from pynix.task import rseq, signal
from pynix.task.signal import SIG_IGN, SIGBUS, SIGCHLD, SIGFPE, SIGILL, SIGKILL, SIGSEGV, SIGTRAP
from pynix.task.cred import SECURE_KEEP_CAPS, Credentials, host_cap_bset
from pynix.task.task import SigAction, Task, TaskState, ThreadGroup
from pynix.task.timer import check_rlimit_cpu, delete_posix_timers
from pynix.task.wait import WaitQueue

PID_MAX = 32768
MAX_TASKS = 4096                       # default kernel-wide task limit: a fork bomb gets EAGAIN, the kernel survives
HOST_POLL_NS = 10_000_000              # how often host descriptors are polled while guests compute

# CLONE_* flags (include/uapi/linux/sched.h)
CLONE_VM, CLONE_FS, CLONE_FILES, CLONE_SIGHAND = 0x100, 0x200, 0x400, 0x800
CLONE_VFORK, CLONE_PARENT, CLONE_THREAD = 0x4000, 0x8000, 0x10000
CLONE_SETTLS, CLONE_PARENT_SETTID, CLONE_CHILD_CLEARTID, CLONE_CHILD_SETTID = 0x80000, 0x100000, 0x200000, 0x1000000

_TRAP_SIGNALS = {TrapKind.PAGE_FAULT: SIGSEGV, TrapKind.ILLEGAL_INSTRUCTION: SIGILL,
                 TrapKind.BREAKPOINT: SIGTRAP, TrapKind.DIVIDE_ERROR: SIGFPE}


def task_comm(path: "str | bytes") -> str:
    """The name exec gives a task: the last component of the path it was given, cut to TASK_COMM_LEN - 1."""
    return os.fsdecode(os.path.basename(os.fsencode(path)))[:15]


class Kernel:
    def __init__(self, arch: Arch, mem_size: int, strace: Callable[[str], None] | None = None,
                 sched: str = "rr", pids_max: int = MAX_TASKS, disks: list | None = None,
                 sysroot: str | None = None, root: str | SuperBlock = "/", binds: list | None = None) -> None:
        self.arch = arch
        self.ram = PhysicalMemory(mem_size)
        self.frames = FrameAllocator(mem_size >> PAGE_SHIFT)
        self.cpu = new_cpu(arch.name, self.ram, arch.syscall_registers, arch.return_register)
        table = SyscallTable(arch)
        self.cpu.on_syscall = TracingDispatcher(self, table, strace) if strace else SyscallDispatcher(self, table)
        self.scheduler = POLICIES[sched]()
        self.mounts = build_mounts(extra=[("/dev", DevfsSuperBlock(self)), ("/proc", ProcfsSuperBlock(self)),
                                          ("/dev/pts", DevptsSuperBlock(self, host_terminal=True))]
                                   + list(disks or []),    # disks: [(guest path, SuperBlock)]
                                   sysroot=sysroot,         # -L: a host directory tried before the root
                                   root=root, binds=binds)  # --root, --mount: [(guest path, HostfsSuperBlock)]
        self.pids_max = pids_max
        self.boot_time = time.monotonic()
        self.tasks: dict[int, Task] = {}           # tid -> task, until released
        self.groups: dict[int, ThreadGroup] = {}   # pid -> process, until reaped
        self.init: ThreadGroup | None = None
        self.current: Task | None = None
        self.futexes: dict[object, list] = {}      # futex key -> waiters (syscall/futex.py)
        self._timers: list[tuple[int, int, Callable[[], None]]] = []
        self._timer_seq = itertools.count()
        self._host_waits: dict[int, WaitQueue] = {}
        self._host_readers: dict[int, Callable[[], None]] = {}   # watch_host_fd: host fd -> callback
        self.console = None                        # the console (tty/console.py) when run on a terminal
        self.ttys: list = []                       # every terminal device (tty/tty.py's Tty)
        self._after_stop: list[Callable[[], None]] = []
        self._host_signal_fd: int | None = None    # forward_host_signals: where the host's signals arrive
        self._host_signal_pending = False
        self._rewind = False
        self._slice_start = 0                      # perf_counter_ns() when the running slice was last charged
        self._slice_begin = 0                      # perf_counter_ns() when the running slice began
        self._last_pid = 0
        self._logged: set[str] = set()

    @staticmethod
    def log(message: str) -> None:
        """The kernel log: one line (or block) on the host's stderr."""
        print(f"pynix: {message}", file=sys.stderr, flush=True)

    def log_once(self, message: str) -> None:
        if message not in self._logged:
            self._logged.add(message)
            self.log(message)

    def _alloc_pid(self) -> int:
        if len(self.tasks) >= self.pids_max:
            raise KernelError(errno.EAGAIN)
        pid = self._last_pid
        while True:                                # increasing, wrapping at pid_max, skipping ids in use
            pid = pid + 1 if pid + 1 < PID_MAX else 2
            if pid not in self.tasks and pid not in self.groups:
                self._last_pid = pid
                return pid

    # ------------------------------------------------------------------------------------- program images
    def load_image(self, fs: FsContext, path: bytes, argv: list[bytes], envp: list[bytes],
                   creds: Credentials) -> tuple[AddressSpace, ProgramImage, bytes]:
        """A new address space holding the program at `path` with its initial stack, and the program's
        absolute path.  A `#!` script runs its interpreter (loader/script.py), which may be a script too.
        Raises KernelError (ENOENT, EACCES, ENOEXEC, ELOOP...) leaving nothing behind."""
        walker = Walker(fs, creds.fsuid, creds.fsgid)
        execfn = path                                  # AT_EXECFN: the path given, also for a script
        for _ in range(MAX_NESTING + 1):
            target = self._executable(walker, fs, path, creds)
            shebang = parse_shebang(target.inode.read_at(0, BINPRM_BUF_SIZE))
            if shebang is None:
                break
            argv = script_argv(*shebang, path, argv)
            path = shebang[0]
        else:
            raise KernelError(errno.ELOOP, "#! interpreters nest too deeply")
        elf = self._read_elf(target)
        interp = None
        if elf.interpreter is not None:
            try:
                interp_path = self._executable(walker, fs, os.fsencode(elf.interpreter), creds)
                interp_elf = self._read_elf(interp_path)
            except KernelError as err:
                raise KernelError(err.errno, f"interpreter {elf.interpreter}: {err}") from None
            if interp_elf.interpreter is not None:
                raise KernelError(errno.ELIBBAD, "the interpreter itself asks for an interpreter")
            interp = (interp_elf, os.fsdecode(fs.mounts.path_of(interp_path, fs.root)))
        abspath = fs.mounts.path_of(target, fs.root)
        mm = self._new_mm()
        try:
            image = load_program(mm, elf, argv, envp, execfn, creds, name=os.fsdecode(abspath), interp=interp)
        except KernelError:
            mm.destroy()
            raise
        return mm, image, abspath

    @staticmethod
    def _executable(walker: Walker, fs: FsContext, path: bytes, creds: Credentials) -> VfsPath:
        """Resolve a file to execute: EACCES unless it is a regular file with execute permission."""
        target = walker.resolve(fs.cwd, path)
        inode = target.inode
        if not st.S_ISREG(inode.mode):
            raise KernelError(errno.EACCES, "is a directory" if inode.is_dir else "not a regular file")
        permission(inode, MAY_EXEC, creds.fsuid, creds.fsgid)
        return target

    def _read_elf(self, target: VfsPath):
        """Parse the executable at `target` (ENOEXEC for what is not an ELF program of this machine)."""
        elf = read_program(target.inode, self.ram, self.frames)
        if elf.arch is not self.arch:
            raise KernelError(errno.ENOEXEC, f"a {elf.arch.name} program cannot run on this {self.arch.name} machine")
        return elf

    def _new_mm(self, mm: AddressSpace | None = None) -> AddressSpace:
        mm = mm or AddressSpace(self.arch, self.ram, self.frames)
        mm.on_code_freed = self.cpu.stop           # stale translations are dropped before guest code runs again
        mm.on_tlb_flush = self.cpu.flush_tlb       # (a flush for a space that is not current is only wasted)
        return mm

    def spawn(self, path: str, argv: list[bytes], envp: list[bytes], cwd: str) -> ThreadGroup:
        """Create the first process (pid 1, the init of this machine) running the program at `path`, with
        the working directory `cwd` (both guest paths)."""
        creds = Credentials.of_host()
        root = self.mounts.root_path()
        fs = FsContext(self.mounts, root, root)
        fs.cwd = Walker(fs).resolve(root, os.fsencode(cwd))
        mm, image, exe = self.load_image(fs, os.fsencode(path), argv, envp, creds)
        pid = self._alloc_pid()
        group = ThreadGroup(pid=pid, parent=None, arch=self.arch, mm=mm, fds=self._standard_streams(pid), fs=fs,
                            exe=os.fsdecode(exe), creds=creds, pgid=pid, sid=pid)
        task = Task(tid=pid, group=group, kernel=self, comm=task_comm(path))
        group.tasks.append(task)
        self.groups[pid], self.tasks[pid] = group, task
        group.cap_bset = host_cap_bset()
        self.init = group
        self.cpu.reset_user_state()
        self.cpu.write_many(self.arch.start_registers(image.entry, image.stack_pointer))
        task.context = self.cpu.save_context()
        self.scheduler.enqueue(task)
        return group

    def _standard_streams(self, pid: int) -> FdTable:
        """Descriptors 0, 1 and 2 of the first process (pid `pid`).

        When the host's stdin is a terminal, the machine gets a console (tty/console.py): a terminal device with
        its own line discipline over the host terminal, whose controlling session is `pid`'s.  Every standard
        descriptor that refers to that host terminal shares one open file of it, as a login's 0, 1 and 2 do.
        Anything else -- a pipe, a file, another terminal -- is passed through as a HostStreamFile, so a guest
        whose stdin is not a terminal sees a pipe, as under Linux."""
        from pynix.tty.console import attach_console, console_file
        fds = FdTable()
        self.console = attach_console(self, session=pid)
        shared = console_file(self, self.console) if self.console is not None else None
        for fd in (0, 1, 2):
            try:
                flags = fcntl.fcntl(fd, fcntl.F_GETFL)
            except OSError:
                continue                          # closed on the host: closed in the guest too
            if shared is not None and self.console.is_host_terminal(fd):
                fds.install(shared, lowest=fd)
            else:
                fds.install(HostStreamFile(fd, flags & (os.O_ACCMODE | os.O_NONBLOCK)), lowest=fd)
        return fds

    # ------------------------------------------------------------------------------------------ blocking
    def block(self, task: Task, queues: tuple[WaitQueue, ...], deadline: int | None, data: object,
              rewind: bool = True) -> None:
        """Put the running task to sleep (see task/wait.py).  With `rewind` its syscall runs again on wake-up."""
        task.restart_data = data
        task.state = TaskState.SLEEPING
        task.wait_queues = queues
        for q in queues:
            q.waiters.append(task)
        task.deadline = deadline
        task.timed_out = False
        if deadline is not None:
            self.add_timer(deadline, lambda: self._sleep_timeout(task, deadline))
        self.scheduler.dequeue(task)
        self._rewind = self._rewind or rewind
        self.cpu.stop()
        if rewind and signal.has_deliverable(task):   # a signal is already waiting: do not sleep through it
            task.interrupted = True
            self.wake(task)

    def wake(self, task: Task) -> None:
        if task.state is not TaskState.SLEEPING:
            return
        for q in task.wait_queues:
            if task in q.waiters:
                q.waiters.remove(task)
        task.wait_queues = ()
        task.deadline = None
        task.state = TaskState.RUNNABLE
        if not task.stopped:
            self.scheduler.enqueue(task)

    def host_fd_queue(self, fd: int) -> WaitQueue:
        """The queue of tasks waiting for host descriptor `fd` to become readable."""
        return self._host_waits.setdefault(fd, WaitQueue())

    def watch_host_fd(self, fd: int, callback: Callable[[], None] | None) -> None:
        """Call `callback` from the scheduler loop whenever host descriptor `fd` is readable, whether or not a
        task waits for it -- a device's receive interrupt (`None` stops watching).  The console uses it so that
        every key goes through the line discipline as it arrives and ^C reaches a busy program.  While anything
        is watched, guest time slices are cut to HOST_POLL_NS and an idle machine waits for input instead of
        reporting a deadlock (someone at the keyboard can still wake it)."""
        if callback is None:
            self._host_readers.pop(fd, None)
        else:
            self._host_readers[fd] = callback

    def add_timer(self, deadline: int, callback: Callable[[], None]) -> None:
        """Call `callback` once CLOCK_MONOTONIC reaches `deadline` (ns).  Callbacks check themselves whether
        they still matter (a woken sleeper, a re-armed itimer), so nothing needs cancelling."""
        heapq.heappush(self._timers, (deadline, next(self._timer_seq), callback))
        # A running slice was sized before this deadline existed: end it after the current syscall, so that the
        # next one is cut at the deadline (a busy loop would otherwise run past it).  Harmless outside a slice.
        self.cpu.stop()

    def _sleep_timeout(self, task: Task, deadline: int) -> None:
        if task.state is TaskState.SLEEPING and task.deadline == deadline:
            task.timed_out = True
            self.wake(task)

    def _expire_timers(self) -> None:
        now = time.monotonic_ns()
        while self._timers and self._timers[0][0] <= now:
            _, _, callback = heapq.heappop(self._timers)
            callback()

    def forward_host_signals(self, signals: tuple[int, ...]) -> None:
        """Pass the host signals `signals` sent to pynix itself on to the machine, as qemu-user passes them to
        its guest: each goes to init's process group (so ^C on a terminal that is not the guest's console
        reaches the program).  Python runs a signal handler between any two bytecodes of the kernel, so the
        handler only raises a flag; the signal number reaches a pipe (signal.set_wakeup_fd), which also
        wakes an idle machine, and `_schedule` delivers it within a time slice."""
        read_end, write_end = os.pipe()
        os.set_blocking(read_end, False)
        os.set_blocking(write_end, False)
        self._host_signal_fd = read_end
        host_signal.set_wakeup_fd(write_end)

        def arrived(_signum: int, _frame: object) -> None:
            self._host_signal_pending = True
        for sig in signals:
            host_signal.signal(sig, arrived)

    def _deliver_host_signals(self) -> None:
        self._host_signal_pending = False
        try:
            numbers = os.read(self._host_signal_fd, 256)
        except BlockingIOError:
            return
        for sig in numbers:
            signal.kill_pgrp(self, self.init.pgid, sig, signal.SI_USER)

    def _poll_host(self, timeout: float) -> None:
        """Wake the tasks whose host descriptors are ready, waiting up to `timeout` seconds (None: forever)."""
        waited = [fd for fd, q in self._host_waits.items() if q.waiters or q.callbacks] + list(self._host_readers)
        if self._host_signal_fd is not None:
            waited.append(self._host_signal_fd)
        if not waited:
            if timeout:
                time.sleep(timeout)
            return
        try:
            ready, _, _ = select.select(waited, [], [], timeout)
        except OSError:
            ready = waited                         # a closed host descriptor: let the reader see the error
        for fd in set(ready):
            if fd == self._host_signal_fd:
                self._host_signal_pending = True   # (the handler may not have run yet)
                continue
            callback = self._host_readers.get(fd)  # watched descriptors first (watch_host_fd) ...
            if callback is not None:
                callback()
            queue = self._host_waits.get(fd)       # ... then the tasks waiting for it
            if queue is not None:
                queue.wake_all()

    # ---------------------------------------------------------------------------------- process lifecycle
    def clone(self, parent: Task, flags: int, stack: int, ptid: int, ctid: int, tls: int) -> int:
        """Linux's copy_process for the flag combinations fork, vfork and pthread_create use."""
        pg = parent.group
        tid = self._alloc_pid()
        uid = pg.creds.uid
        if not flags & CLONE_THREAD and uid != 0:     # RLIMIT_NPROC (6), which root is exempt from
            if sum(1 for g in self.groups.values() if g.creds.uid == uid) >= pg.rlimits[6][0]:
                raise KernelError(errno.EAGAIN)
        if flags & CLONE_VM:
            mm = parent.mm
            mm.users += 1
        else:
            mm = self._new_mm(parent.mm.fork())
        if flags & CLONE_THREAD:
            group = pg
        else:
            fds = pg.fds if flags & CLONE_FILES else pg.fds.copy()
            fds.users += 1 if flags & CLONE_FILES else 0
            sigactions = pg.sigactions if flags & CLONE_SIGHAND else \
                {n: SigAction(a.handler, a.flags, a.restorer, a.mask) for n, a in pg.sigactions.items()}
            real_parent = pg.parent if flags & CLONE_PARENT and pg.parent else pg
            fs = pg.fs if flags & CLONE_FS else pg.fs.copy()
            group = ThreadGroup(pid=tid, parent=real_parent, arch=pg.arch, mm=mm, fds=fds, fs=fs, exe=pg.exe,
                                creds=pg.creds, rlimits=dict(pg.rlimits), sigactions=sigactions, pgid=pg.pgid,
                                sid=pg.sid, nice=pg.nice, exit_signal=flags & 0xFF)
            group.inherit_prctl(pg)
            real_parent.children.append(group)
            self.groups[tid] = group
        child = Task(tid=tid, group=group, kernel=self, sigmask=parent.sigmask, comm=parent.comm,
                     timer_slack_ns=parent.timer_slack_ns, default_timer_slack_ns=parent.timer_slack_ns)
        if not flags & CLONE_VM:                  # a forked child keeps its registration (at the same address)
            child.rseq, child.rseq_len, child.rseq_sig = parent.rseq, parent.rseq_len, parent.rseq_sig
        if flags & (CLONE_VM | CLONE_VFORK) != CLONE_VM:   # the alternate stack too, unless a new thread's
            child.altstack_sp, child.altstack_size, child.altstack_flags = \
                parent.altstack_sp, parent.altstack_size, parent.altstack_flags
        group.tasks.append(child)
        self.tasks[tid] = child
        if flags & CLONE_CHILD_CLEARTID:
            child.clear_child_tid = ctid
        if flags & CLONE_PARENT_SETTID:
            copy_to_user(parent.mm, ptid, tid.to_bytes(4, "little"))
        if flags & CLONE_CHILD_SETTID:
            copy_to_user(mm, ctid, tid.to_bytes(4, "little"))
        ctx = self.cpu.save_context()              # the parent's registers as the syscall returns them
        ctx.write(self.arch.return_register, 0)
        if stack:
            ctx.write("sp", stack)
        if flags & CLONE_SETTLS:
            ctx.write(self.arch.tls_register, tls)
        child.context = ctx
        self.scheduler.enqueue(child)
        if flags & CLONE_VFORK:                   # the parent sleeps until the child execs or exits, then the
            child.vfork_done = WaitQueue()        # syscall returns (it is not run again)
            self.block(parent, (child.vfork_done,), None, None, rewind=False)
        return tid

    def execve(self, task: Task, path: bytes, argv: list[bytes], envp: list[bytes]) -> None:
        """Replace the image of `task`'s process.  Until the new image is built nothing changes, so a failed
        exec returns its error to an intact caller."""
        group = task.group
        mm, image, exe = self.load_image(group.fs, path, argv, envp, group.creds)
        # --- point of no return ---
        for other in list(group.tasks):            # de_thread: the other threads die silently
            if other is not task and other.state is not TaskState.ZOMBIE:
                self._exit_thread(other)
                group.tasks.remove(other)
                self.tasks.pop(other.tid, None)
        group.tasks = [task]
        self._release_mm(task.mm)
        group.mm = mm
        group.exe = os.fsdecode(exe)
        if group.fds.users > 1:                    # a CLONE_FILES-shared table is unshared first
            group.fds.users -= 1
            group.fds = group.fds.copy()
        group.fds.close_on_exec()
        group.sigactions = {n: a for n, a in group.sigactions.items() if a.handler == SIG_IGN}
        delete_posix_timers(group)                 # setitimer/alarm timers survive exec, POSIX timers do not
        group.securebits &= ~SECURE_KEEP_CAPS      # keepcaps does not survive exec
        task.clear_child_tid = task.robust_list = task.rseq = 0
        task.comm = task_comm(path)
        self._vfork_release(task)
        self.cpu.on_tlb_fill = mm.tlb_fill
        self.cpu.flush_tlb()
        regs = self.arch.start_registers(image.entry, image.stack_pointer)

        def start_image() -> None:
            self.cpu.reset_user_state()
            self.cpu.write_many(regs)
        self._after_stop.append(start_image)
        self.cpu.stop()

    def after_stop(self, action: Callable[[], None]) -> None:
        """Run `action` once the CPU has stopped after the current syscall, when registers may be rewritten
        freely (x86's `syscall` adjusts RIP after the hook; a new context must come after that)."""
        self._after_stop.append(action)
        self.cpu.stop()

    def _vfork_release(self, task: Task) -> None:
        if task.vfork_done is not None:
            done, task.vfork_done = task.vfork_done, None
            done.wake_all()

    def _release_mm(self, mm: AddressSpace) -> None:
        mm.users -= 1
        if mm.users == 0:
            mm.destroy()

    def _exit_thread(self, task: Task) -> None:
        """What every dying thread does (Linux's do_exit up to exit_notify)."""
        if task.state is TaskState.ZOMBIE:
            return
        if task.state is TaskState.SLEEPING:
            self.wake(task)
        self.scheduler.dequeue(task)
        task.state = TaskState.ZOMBIE
        # pthread_join waits on this word; as in Linux's mm_release, it is cleared only while other tasks still
        # use the address space (a process's last thread leaves it alone).
        if task.clear_child_tid and task.mm.users > 1:
            try:
                copy_to_user(task.mm, task.clear_child_tid, bytes(4))
                from pynix.syscall.futex import futex_wake
                futex_wake(task, task.clear_child_tid, 1)
            except KernelError:
                pass
        if task.robust_list:
            from pynix.syscall.futex import exit_robust_list
            exit_robust_list(task)
        self._vfork_release(task)
        task.group.utime_ns += task.utime_ns
        task.group.stime_ns += task.stime_ns
        self._release_mm(task.mm)
        if task is self.current:
            self.cpu.stop()

    def exit_thread(self, task: Task, wait_status: int) -> None:
        """exit(): this thread ends; the last one out ends the process with `wait_status`."""
        group = task.group
        self._exit_thread(task)
        if group.live_tasks:
            if task.tid != group.pid:              # a non-leader thread is released at once
                group.tasks.remove(task)
                self.tasks.pop(task.tid, None)
            return
        self._finish_group(group, wait_status)

    def exit_group(self, group: ThreadGroup, wait_status: int) -> None:
        """End every thread of `group` with `wait_status` (Linux's do_group_exit)."""
        for task in list(group.tasks):
            self._exit_thread(task)
        self._finish_group(group, wait_status)

    def kill_group(self, group: ThreadGroup, sig: int) -> None:
        """Terminate `group` by signal `sig` (its default action, whatever the handler)."""
        self.exit_group(group, signal.death_status(group, sig))

    def _finish_group(self, group: ThreadGroup, wait_status: int) -> None:
        if group.exit_status is not None:
            return
        group.exit_status = wait_status
        group.fds.users -= 1
        if group.fds.users == 0:
            group.fds.close_all()
        self._forget_original_parent(group)
        parent = group.parent
        if parent is None:
            return
        action = parent.sigactions.get(SIGCHLD)
        # Nobody will wait (SIGCHLD ignored, or SA_NOCLDWAIT): no zombie.  An ignored SIGCHLD is not sent at
        # all; SA_NOCLDWAIT with a handler still runs it (Linux's do_notify_parent autoreap).
        ignored = action is not None and action.handler == SIG_IGN
        if not ignored:
            if wait_status & 0x7F:
                code = signal.CLD_DUMPED if wait_status & 0x80 else signal.CLD_KILLED
                signal.notify_parent(self, group, code, wait_status & 0x7F)
            else:
                signal.notify_parent(self, group, signal.CLD_EXITED, wait_status >> 8)
        if ignored or (action is not None and action.flags & signal.SA_NOCLDWAIT):
            self.reap(group)
            parent.child_exit.wake_all()

    def _forget_original_parent(self, group: ThreadGroup) -> None:
        """The children of exiting `group` get a new parent: the nearest living ancestor that made itself a
        child subreaper (PR_SET_CHILD_SUBREAPER), else init; those that asked for it (PR_SET_PDEATHSIG) are
        sent their parent-death signal, as from the dying parent."""
        reaper = group.parent
        while reaper is not None and not (reaper.child_subreaper and reaper.exit_status is None):
            reaper = reaper.parent
        reaper = reaper or self.init
        for child in group.children:
            if reaper is not None and reaper is not group:
                child.parent = reaper
                reaper.children.append(child)
            for thread in child.tasks:
                if thread.pdeath_signal:
                    signal.send_signal(self, child, thread.pdeath_signal,
                                       signal.siginfo(thread.pdeath_signal, signal.SI_USER, pid=group.pid,
                                                      uid=group.creds.uid))
        group.children = []

    def reap(self, group: ThreadGroup) -> None:
        """Release a zombie process after its parent collected its status (or chose not to)."""
        if group.parent is not None:
            if group in group.parent.children:
                group.parent.children.remove(group)
            group.parent.children_utime_ns += group.utime_ns
            group.parent.children_stime_ns += group.stime_ns
        for task in group.tasks:
            self.tasks.pop(task.tid, None)
        self.groups.pop(group.pid, None)

    # ----------------------------------------------------------------------------------------- the loop
    def _switch_to(self, task: Task) -> None:
        prev = self.current
        if prev is task:
            return
        if prev is not None and prev.state is not TaskState.ZOMBIE:
            self.cpu.update_context(prev.context)
            if prev.rseq and prev.state is TaskState.RUNNABLE:    # preempted (not asleep in a syscall): it
                prev.rseq_preempted = True                         # may have been inside a critical section
        self.current = task
        self.cpu.restore_context(task.context)
        mm = task.group.mm
        if prev is None or prev.group.mm is not mm or prev.state is TaskState.ZOMBIE:
            self.cpu.on_tlb_fill = mm.tlb_fill
            self.cpu.flush_tlb()

    def run(self) -> int:
        """Schedule until the init process has exited; return its wait status.

        The CPU hands every stop to `_on_stop` (the trap handler), which finishes the task's slice and, usually
        without leaving the emulator, switches to the next task.  `cpu.run` returns here only when nothing can
        run: then the machine idles until a timer or a host descriptor wakes a task."""
        self.cpu.on_stop = self._on_stop
        init = self.init
        while init.exit_status is None:
            if self._schedule():
                self.cpu.run()
            elif init.exit_status is None:
                self._idle()
        self.current = None
        return init.exit_status

    def _schedule(self) -> bool:
        """Make the next runnable task current (Linux's schedule() plus the return to user mode): expire
        timers, look at host descriptors, pick a task, switch to it, deliver its signals, and arm its time
        slice.  False when no task can run now, or init has exited."""
        while self.init.exit_status is None:
            if self._host_signal_pending:
                self._deliver_host_signals()
            if self._timers:
                self._expire_timers()
            if self._host_waits or self._host_readers:
                self._poll_host(0)
            task = self.scheduler.pick_next()
            if task is None:
                return False
            self._switch_to(task)
            if task.interrupted or task.pending or task.group.shared_pending:
                signal.deliver_signals(self, task)
                if task.state is not TaskState.RUNNABLE or task.stopped:
                    continue
            if self.frames.stale_code:
                self.cpu.invalidate_code(self.frames.stale_code)
                self.frames.stale_code = []
            if task.rseq_preempted:
                task.rseq_preempted = False
                if not rseq.abort_critical_section(self, task):
                    self.rseq_fault(task)
                    continue
            self.cpu.set_timeslice(self._timeslice(task) // 1000)
            self._slice_start = self._slice_begin = time.perf_counter_ns()
            return True
        return False

    def _on_stop(self, trap: Trap) -> bool:
        """The trap handler: the current task stopped (`trap` says why).  Finish its slice, then schedule;
        True if a task (the same or another) is ready to run on the CPU."""
        task = self.current
        end = time.perf_counter_ns()
        task.utime_ns += end - self._slice_start       # what account_running has not charged yet
        self._slice_start = 0
        self._after_run(task, trap, end - self._slice_begin)
        return self._schedule()

    def account_running(self) -> None:
        """Charge the running task for its slice so far, so that a CPU-time reading made from inside a syscall
        (getrusage, times, clock_gettime of a CPU clock) includes the time up to the call."""
        task = self.current
        if task is not None and self._slice_start:
            now = time.perf_counter_ns()
            task.utime_ns += now - self._slice_start
            self._slice_start = now

    def _timeslice(self, task: Task) -> int:
        """How long `task` may run before the kernel wants the CPU back: the rest of its time slice, cut short by
        the earliest timer and, while host descriptors are watched, by the host polling interval.  The tick
        runs even for a task alone on the run queue (as Linux's does): a task it wakes without blocking itself
        (a pipe write, a futex wake, a fork) then gets the CPU within a slice however long it computes."""
        limit = self.scheduler.timeslice_ns(task)
        if self._timers:
            limit = min(limit, self._timers[0][0] - time.monotonic_ns())
        if self._watching_host():
            limit = min(limit, HOST_POLL_NS)
        return max(limit, 1000)

    def _watching_host(self) -> bool:
        """Some host descriptor is watched (watch_host_fd) or has a task or callback waiting for it."""
        return bool(self._host_readers or self._host_waits
                    and any(q.waiters or q.callbacks for q in self._host_waits.values()))

    def _idle(self) -> None:
        """Nothing is runnable: sleep until the earliest timer or a host descriptor event."""
        timeout = None
        if self._timers:
            timeout = max(self._timers[0][0] - time.monotonic_ns(), 0) / 1e9
        elif not self._watching_host():
            self.log("deadlock: every task is asleep with nothing that can wake it; stopping")
            self.exit_group(self.init, SIGKILL)
            return
        self._poll_host(timeout)

    def _after_run(self, task: Task, trap: Trap, ran: int) -> None:
        if self._rewind:                           # a blocked syscall: run the instruction again on wake-up
            self._rewind = False
            self.cpu.write("pc", self.cpu.read("pc") - self.arch.syscall_insn_size)
        if self._after_stop:
            actions, self._after_stop = self._after_stop, []
            for action in actions:
                action()
        if trap.kind is TrapKind.TIMER:
            if not self.cpu.exact_preemption:
                self.log_once("warning: this Unicorn build cannot be told to stop only between instructions; "
                              "a preempted read-modify-write instruction may take effect twice")
        sig = _TRAP_SIGNALS.get(trap.kind)
        if sig is not None and task.state is not TaskState.ZOMBIE:
            self._trap_signal(task, trap, sig)
        if task.state is TaskState.RUNNABLE and not task.stopped:
            check_rlimit_cpu(self, task.group)
            if task.pending or task.group.shared_pending:
                signal.deliver_signals(self, task)
            self.scheduler.tick(task, ran)

    def rseq_fault(self, task: Task) -> None:
        """A thread's rseq critical section descriptor cannot be used: Linux kills it with SIGSEGV."""
        self.log(f"pid {task.group.pid}: unusable rseq critical section descriptor; killing it with SIGSEGV")
        self.exit_group(task.group, SIGSEGV)

    def _trap_signal(self, task: Task, trap: Trap, sig: int) -> None:
        """A fault in user code: the signal goes to the faulting thread.  With a handler that does not block
        it, the handler runs (si_addr/si_code filled in); otherwise the process dies, as force_sig does."""
        if trap.kind is TrapKind.PAGE_FAULT and task.mm.bus_error(trap.addr):
            sig = SIGBUS                           # a file mapping past the end of its file (BUS_ADRERR below)
        action = task.group.sigactions.get(sig)
        addr = trap.addr if trap.kind is TrapKind.PAGE_FAULT else trap.pc
        code = 1                                   # SEGV_MAPERR, ILL_ILLOPC, FPE_INTDIV, TRAP_BRKPT
        if trap.kind is TrapKind.PAGE_FAULT and task.mm.find_vma(trap.addr) is not None:
            code = 2                               # SEGV_ACCERR: mapped, but not for this access
        if action is not None and action.handler > signal.SIG_IGN and not task.sigmask & signal.bit(sig):
            if trap.kind is TrapKind.PAGE_FAULT:
                try:
                    task.mm.handle_fault(trap.addr, trap.access)
                except KernelError as err:
                    if err.errno == errno.ENOMEM:
                        self._fatal_trap(task, trap, SIGKILL)
                        return
            task.pending.setdefault(sig, []).append(signal.siginfo(sig, code, addr=addr))
            return
        self._fatal_trap(task, trap, sig)

    def _fatal_trap(self, task: Task, trap: Trap, sig: int) -> None:
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
