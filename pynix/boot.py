"""Booting a machine (Linux's init/main.c): RAM, a CPU, the kernel over them with its syscall table, the root
filesystem with /dev, /dev/pts and /proc mounted, init (pid 1, task/init.py), and the program -- what
`pynix run` builds."""
from __future__ import annotations

import fcntl
import os
from typing import Callable, TextIO

from pynix.arch import Arch
from pynix.block.sysfs import SysBlockSuperBlock
from pynix.fs.devfs import DevfsSuperBlock
from pynix.fs.devpts import DevptsSuperBlock
from pynix.fs.file import FdTable, File, HostStreamFile
from pynix.fs.proc import ProcfsSuperBlock
from pynix.fs.rootfs import build_mounts
from pynix.fs.sysfs import sysfs_mounts
from pynix.fs.vfs import FsContext, SuperBlock, Walker
from pynix.hal import PhysicalMemory, new_cpu
from pynix.kernel import MAX_TASKS, Kernel
from pynix.mm.frame_alloc import PAGE_SHIFT, FrameAllocator
from pynix.mm.page_cache import bind_memory
from pynix.smp import Smp
from pynix.syscall.dispatch import SyscallDispatcher, SyscallTable, TracingDispatcher
from pynix.syscall.sys_info import proc_values
from pynix.task.cred import Credentials
from pynix.task.exec import load_image, task_comm
from pynix.task.init import start_init
from pynix.task.pid_namespace import Pid
from pynix.task.sched import POLICIES
from pynix.task.task import Task, ThreadGroup
from pynix.trace.tracepoints import Tracepoints
from pynix.tty.devices import open_host_pts, tty_init


class Machine:
    """One emulated computer: `mem_size` bytes of RAM, a CPU of `arch`, and a kernel (`kernel`) whose root is
    `root` (a host directory under an in-memory layer, or a filesystem such as a FAT32 image), with `disks`
    and `binds` ([(guest path, SuperBlock)]: --disk, --mount) mounted and `sysroot` (-L) tried first.
    `log` (-v, --log FILE): where the kernel log is copied as it is written (pynix/printk.py).  `net`: "private"
    (the machine's own loopback) or "host" (AF_INET/AF_INET6 sockets are the host's: net/hostinet).  `cpus`:
    how many CPUs run guest code (pynix/smp.py)."""

    def __init__(self, arch: Arch, mem_size: int, sched: str = "rr", pids_max: int = MAX_TASKS,
                 disks: list | None = None, sysroot: str | None = None, root: str | SuperBlock = "/",
                 binds: list | None = None, log: TextIO | None = None, net: str = "private",
                 cpus: int = 1) -> None:
        tty_init()
        ram = PhysicalMemory(mem_size)
        smp = Smp() if cpus > 1 else None          # SMP (pynix/smp.py): a CPU per host thread, one kernel lock
        cpu, *secondary = [new_cpu(arch.name, ram, arch.syscall_registers, arch.return_register, smp, index)
                           for index in range(cpus)]
        self.cpus = [cpu] + secondary
        self.kernel = kernel = Kernel(arch, ram, FrameAllocator(mem_size >> PAGE_SHIFT), cpu, POLICIES[sched](),
                                      pids_max, smp, tuple(secondary))
        bind_memory(ram, kernel.frames)            # files written while the mounts are built are this RAM's
        kernel.klog.console = log
        for line in cpu.internals.report():    # the Unicorn tricks the CPU was set up with (hal/uc_internals.py)
            kernel.log(line)
        self.syscall_table = SyscallTable(arch)
        self._set_dispatcher(SyscallDispatcher(kernel, self.syscall_table))
        standard = [("/dev", DevfsSuperBlock(kernel)), ("/proc", ProcfsSuperBlock(kernel, proc_values())),
                    ("/dev/pts", DevptsSuperBlock(kernel, host_terminal=open_host_pts)),
                    ("/sys/block", SysBlockSuperBlock()), ("/sys/dev/block", SysBlockSuperBlock(by_number=True))]
        standard += sysfs_mounts(kernel.online_cpus())
        kernel.set_root_mounts(build_mounts(extra=standard + list(disks or []), sysroot=sysroot, root=root,
                                            binds=binds))
        if net == "host":                          # the machine's first network namespace is the host's
            from pynix.net.hostinet.socket import use_host_network
            use_host_network(kernel.init_nsproxy.net)
        root_dir = kernel.mounts.root_path()
        start_init(kernel, FsContext(kernel.mounts, root_dir, root_dir))

    def trace(self, tracer: Tracepoints) -> None:
        """Trace this machine with `tracer` (pynix/trace): its syscalls through a tracing dispatcher, the
        kernel's other events through the tracepoints that call `kernel.tracer`.  Before `spawn`."""
        self.kernel.tracer = tracer
        self._set_dispatcher(TracingDispatcher(self.kernel, self.syscall_table, tracer))

    def untrace(self) -> None:
        """Stop tracing: the untraced dispatcher again (the address spaces' tracepoints stay until exec)."""
        if self.kernel.tracer is not None:
            self.kernel.tracer = None
            self._set_dispatcher(SyscallDispatcher(self.kernel, self.syscall_table))

    def _set_dispatcher(self, dispatcher: SyscallDispatcher) -> None:
        """Every CPU's syscall entry (one dispatcher: calls are serialised by the kernel lock)."""
        for cpu in self.cpus:
            cpu.on_syscall = dispatcher

    def spawn(self, path: str, argv: list[bytes], envp: list[bytes], cwd: str,
              streams: dict[int, File] | None = None) -> ThreadGroup:
        """Start the program at `path` with the working directory `cwd` (both guest paths): a child of init
        (pid 2) with the host user's credentials, leader of its own session and process group (as login makes
        a shell) whose controlling terminal is the console if there is one.  `streams`: open files for some
        of descriptors 0, 1 and 2 instead of the host's (the Python API's stdin/stdout/stderr); with them
        there is no console.  The first program spawned is the machine's: its end is init's."""
        kernel = self.kernel
        creds = Credentials.of_host()
        root = kernel.mounts.root_path()
        umask = os.umask(0o022)                    # the host process's umask, as a child's (qemu-user's)
        os.umask(umask)
        fs = FsContext(kernel.mounts, root, root, umask)
        fs.cwd = Walker(fs).resolve(root, os.fsencode(cwd))
        mm, image, exe, creds, _secure = load_image(kernel, fs, os.fsencode(path), argv, envp, creds)
        pid = kernel.alloc_pid()
        init = kernel.init
        group = ThreadGroup(pid=pid, parent=init, arch=kernel.arch, mm=mm, fds=self._standard_streams(pid, streams),
                            fs=fs, exe=os.fsdecode(exe), creds=creds, pgid=pid, sid=pid)
        task = Task(tid=pid, group=group, kernel=kernel, comm=task_comm(path), nsproxy=kernel.init_nsproxy,
                    pid_link=Pid(((kernel.init_pid_ns, pid),)))
        group.tasks.append(task)
        kernel.groups[pid], kernel.tasks[pid] = group, task
        init.children.append(group)
        kernel.program = kernel.program or group
        cpu = kernel.cpu
        if kernel.current is not None:             # (a program spawned while another one runs)
            cpu.update_context(kernel.current.context)
        cpu.reset_user_state()
        cpu.write_many(kernel.arch.start_registers(image.entry, image.stack_pointer))
        task.context = cpu.save_context()
        if kernel.current is not None:
            cpu.restore_context(kernel.current.context)
        kernel.scheduler.enqueue(task)
        return group

    def _standard_streams(self, pid: int, streams: dict[int, File] | None = None) -> FdTable:
        """Descriptors 0, 1 and 2 of the program (pid `pid`).

        When the host's stdin is a terminal, the machine gets a console (tty/console.py): a terminal device with
        its own line discipline over the host terminal, whose controlling session is `pid`'s.  Every standard
        descriptor that refers to that host terminal shares one open file of it, as a login's 0, 1 and 2 do.
        Anything else -- a pipe, a file, another terminal -- is passed through as a HostStreamFile, so a guest
        whose stdin is not a terminal sees a pipe, as under Linux."""
        kernel = self.kernel
        fds = FdTable()
        shared = None
        if not streams and (kernel.console is not None or os.isatty(0)):   # (tty drivers only for a console)
            from pynix.tty.console import attach_console, console_file
            if kernel.console is None:
                kernel.console = attach_console(kernel, session=pid)
            if kernel.console is not None:
                shared = console_file(kernel, kernel.console)
        for fd in (0, 1, 2):
            if streams and fd in streams:
                fds.install(streams[fd], lowest=fd)
                continue
            try:
                flags = fcntl.fcntl(fd, fcntl.F_GETFL)
            except OSError:
                continue                          # closed on the host: closed in the guest too
            if shared is not None and kernel.console.is_host_terminal(fd):
                fds.install(shared, lowest=fd)
            else:
                fds.install(HostStreamFile(fd, flags & (os.O_ACCMODE | os.O_NONBLOCK)), lowest=fd)
        return fds

    def run(self, until: Callable[[], bool] | None = None) -> int | None:
        """Run the machine until its init process has exited (its wait status), or until `until()` says to
        pause (None; see Kernel.run)."""
        return self.kernel.run(until)
