"""The Python API's Machine (pynix/api, docs/api.md): boot.py's machine with programs spawned into it, runs that
pause, hooks and snapshots."""
from __future__ import annotations

import os
from typing import Callable, Iterable, Sequence

from pynix.smp import MAX_CPUS, default_cpus, max_cpus
from pynix.api.config import DEFAULT_MEM, MachineError, elf_arch_of, open_binds, open_disks, open_root, parse_size
from pynix.api.hooks import HookTracer
from pynix.api.process import CapturedOutput, Process, stream_file
from pynix.api.snapshot import Snapshot, restore_snapshot, take_snapshot
from pynix.arch import Arch, arch_by_name
from pynix.boot import Machine as BootMachine
from pynix.errors import KernelError
from pynix.fs.vfs import FsContext, Walker
from pynix.task.task import ThreadGroup
from pynix.trace.tracepoints import Tracepoints, TracerGroup


class Machine:
    """An emulated Linux computer (docs/api.md).

    `arch`: "x86_64" or "riscv64" (default: the ISA of the first program spawned); `mem`: RAM size (bytes or
    "256M"; frames are taken from the host on first touch); `root`: the guest's `/` -- None for the host's
    `/` under an in-memory layer, a host directory, or a disk image (ext2/3/4, FAT32); `mounts`: host
    directories as "HOST:GUEST[:ro|rw]"; `disks`: images as "IMAGE[:GUEST][:ro]"; `sysroot`: qemu-user's -L;
    `net`: "private" (the machine's own loopback network) or "host" (guest IP sockets are host sockets);
    `publish`: with a private network, ports to publish as "HOST_PORT:GUEST_PORT[/tcp|/udp]"; `sched`: "rr" or "cfs"; `pids_max`: the most
    tasks at once; `log`: a text stream the kernel log is copied to as it is written (m.log reads the ring);
    `cpus`: how many CPUs run guest code in parallel (pynix/smp.py)."""

    def __init__(self, arch: str | None = None, mem: int | str = DEFAULT_MEM, root: str | None = None,
                 mounts: Iterable[str] = (), net: str = "private", publish: Iterable[object] = (),
                 disks: Iterable[str] = (),
                 sysroot: str | None = None, sched: str = "rr", pids_max: int = 4096, log=None,
                 cpus: int | None = None) -> None:
        self.mem = parse_size(mem)
        cpus = default_cpus() if cpus is None else cpus
        if not 1 <= cpus <= max_cpus():
            raise MachineError(f"--cpus {cpus}: expected 1 to {max_cpus()} (at most {MAX_CPUS}, and no more "
                               f"than the host's cores)")
        self.cpus = cpus
        if self.mem < (4 << 20) or self.mem % (2 << 20):
            raise MachineError("--mem must be a multiple of 2M and at least 4M")
        if sysroot is not None and not os.path.isdir(sysroot):
            raise MachineError(f"-L {sysroot}: not a directory")
        self.arch: Arch | None = arch_by_name(arch) if arch else None
        self.sysroot, self.sched, self.pids_max, self.log_stream = sysroot, sched, pids_max, log
        self.root = open_root(root)
        self.binds = open_binds(mounts)
        self.disks = open_disks(disks)
        if net not in ("private", "host"):
            raise MachineError(f"--net {net}: expected private or host")
        self.net, self.publish = net, list(publish)
        if self.publish and net == "host":
            raise MachineError("--publish has no meaning with --net host (guest ports are the host's)")
        self.publishers: list = []
        self._machine: BootMachine | None = None
        self._hooks = HookTracer(self)
        self._tracers: list[Tracepoints] = []      # others (strace, timeline, gdb: Machine.trace)
        self._processes: dict[ThreadGroup, Process] = {}
        self._stop = False
        self._error: BaseException | None = None

    # ------------------------------------------------------------------------------------------ building
    @property
    def booted(self) -> bool:
        return self._machine is not None

    @property
    def kernel(self):
        """The kernel object (pynix/kernel.py), for what the API does not cover; boots the machine."""
        return self.boot()._machine.kernel

    def boot(self, arch: str | None = None) -> "Machine":
        """Build the machine now (spawn does it when needed) with ISA `arch` (default: the one given, or
        x86_64)."""
        if self._machine is not None:
            return self
        if arch is not None:
            self.arch = arch_by_name(arch)
        self.arch = self.arch or arch_by_name("x86_64")
        self._machine = BootMachine(self.arch, self.mem, sched=self.sched, pids_max=self.pids_max,
                                    disks=self.disks, sysroot=self.sysroot, root=self.root, binds=self.binds,
                                    log=self.log_stream, net=self.net, cpus=self.cpus)
        kernel = self._machine.kernel
        mounted = {id(m.sb) for m in kernel.mounts.mounts}
        for guest, sb in self.disks:
            if id(sb) not in mounted:
                raise MachineError(f"--disk ...:{guest}: no directory {guest} in the guest")
        for spec in self.publish:
            from pynix.net.publish import Publisher, parse_publish
            spec = parse_publish(spec) if isinstance(spec, str) else spec
            try:
                self.publishers.append(Publisher(kernel, spec))
            except OSError as err:
                raise MachineError(f"--publish {spec.host_port}:{spec.guest_port}/{spec.proto}: host port "
                                   f"{spec.host_port}: {err.strerror}") from None
        self._install_tracers()
        return self

    def close(self) -> None:
        """Write every disk back and release the host's files (the machine cannot run afterwards)."""
        from pynix.block.genhd import detach_all
        detach_all()
        sbs = {id(sb): sb for _guest, sb in self.disks + self.binds}
        if not isinstance(self.root, str):
            sbs[id(self.root)] = self.root
        if self._machine is not None:             # every mount of every mount namespace (the overlay root too)
            kernel = self._machine.kernel
            tables = [kernel.init_nsproxy.mnt] + [t.nsproxy.mnt for t in kernel.tasks.values() if t.nsproxy]
            sbs.update((id(m.sb), m.sb) for table in tables for m in table.mounts)
        for sb in sbs.values():
            sb.close()
        if self._machine is not None and self._machine.kernel.smp is not None:
            self._machine.kernel.smp.close()

    def trace(self, tracer: Tracepoints) -> None:
        """Add a tracer (pynix/trace: strace, the timeline, the gdb stub) to the machine's tracepoints."""
        self._tracers.append(tracer)
        if self._machine is not None:
            self._install_tracers()

    def _install_tracers(self) -> None:
        hooks = self._hooks
        hooked = bool(hooks.enter or hooks.exit or hooks.signal or hooks.exec or hooks.fault or hooks.exits)
        tracers = ([hooks] if hooked else []) + self._tracers
        if self._machine is None:
            return
        if not tracers:                                # nothing traces any more: the untraced dispatcher
            self._machine.untrace()
            return
        self._machine.trace(tracers[0] if len(tracers) == 1 else TracerGroup(tracers))

    def guest_file_header(self, path: str, size: int = 64) -> bytes | None:
        """The first bytes of the file `path` names in the guest's tree (before or after boot); None if it
        cannot be read."""
        from pynix.fs.rootfs import build_mounts
        mounts = self._machine.kernel.mounts if self._machine is not None else \
            build_mounts(self.root, sysroot=self.sysroot, binds=self.binds)
        top = mounts.root_path()
        try:
            target = Walker(FsContext(mounts, top, top)).resolve(top, os.fsencode(path))
            return target.inode.read_at(0, size)
        except KernelError:
            return None

    def _read_guest_file(self, path: str) -> bytes:
        kernel = self.kernel
        root = kernel.mounts.root_path()
        inode = Walker(FsContext(kernel.mounts, root, root)).resolve(root, os.fsencode(path)).inode
        out, at = [], 0
        while chunk := inode.read_at(at, 1 << 20):
            out.append(chunk)
            at += len(chunk)
        return b"".join(out)

    # ------------------------------------------------------------------------------------------ processes
    def spawn(self, argv: Sequence[str | bytes], env: dict | Sequence | None = None, cwd: str | None = None,
              stdin: object = None, stdout: object = None, stderr: object = None,
              executable: str | None = None) -> Process:
        """Start a program: `argv` (argv[0] is the program's guest path unless `executable` is given), `env`
        (a dict or NAME=VALUE strings; default: this Python's environment), `cwd` (a guest directory; default
        the current directory when the guest has it, else /).  `stdin`: None (the host's), bytes, a host file
        or descriptor; `stdout`/`stderr`: None (the host's), PIPE (kept: Process.stdout/stderr), a host file
        or descriptor.  The first program spawned is the machine's own: when it ends, the machine does.
        OSError when it cannot be started (ENOENT, ENOEXEC...)."""
        argv = [os.fsencode(a) for a in argv]
        path = executable or os.fsdecode(argv[0])
        if self._machine is None:
            self.boot(self.arch.name if self.arch else self.program_arch(path))
        if env is None:
            envp = [k + b"=" + v for k, v in os.environb.items()]
        elif isinstance(env, dict):
            envp = [os.fsencode(k) + b"=" + os.fsencode(v) for k, v in env.items()]
        else:
            envp = [os.fsencode(e) for e in env]
        if cwd is None:
            cwd = "/" if self.guest_dir_error(os.getcwd()) else os.getcwd()
        elif (err := self.guest_dir_error(cwd)) is not None:
            raise OSError(err, os.strerror(err), cwd)
        streams = {fd: f for fd, spec in enumerate((stdin, stdout, stderr)) if (f := stream_file(spec, fd))}
        try:
            group = self._machine.spawn(path, argv, envp, cwd=cwd, streams=streams or None)
        except KernelError as err:
            raise OSError(err.errno, str(err) or os.strerror(err.errno), path) from None
        process = self.process(group)
        process._stdout = streams.get(1) if isinstance(streams.get(1), CapturedOutput) else None
        process._stderr = streams.get(2) if isinstance(streams.get(2), CapturedOutput) else None
        return process

    def program_file(self, path: str) -> str:
        """The host file the guest loads for the program `path` with the host's root: with -L, SYSROOT's copy
        of it if there is one, since the guest looks paths up there first (see rootfs.lower_layer)."""
        if self.sysroot is not None:
            shadow = os.path.join(self.sysroot, os.path.abspath(path).lstrip("/"))
            if os.path.exists(shadow):
                return shadow
        return path

    def program_arch(self, path: str) -> str:
        """The ISA of the program `path` (x86_64 when it is not an ELF file of a known one)."""
        header = None
        if self.root == "/":
            try:
                with open(self.program_file(path), "rb") as f:
                    header = f.read(20)
            except OSError:
                pass
        else:
            header = self.guest_file_header(path, 20)
        return elf_arch_of(header or b"") or "x86_64"

    def guest_dir_error(self, path: str) -> int | None:
        """Why the guest path `path` cannot be a working directory (an errno), or None."""
        kernel = self.kernel
        root = kernel.mounts.root_path()
        try:
            Walker(FsContext(kernel.mounts, root, root)).resolve(root, os.fsencode(path), must_dir=True)
        except KernelError as err:
            return err.errno
        return None

    def process(self, group_or_pid: ThreadGroup | int) -> Process:
        """The Process of a kernel process (or of a live pid)."""
        group = group_or_pid
        if isinstance(group_or_pid, int):
            group = self.kernel.groups.get(group_or_pid)
            if group is None:
                raise ProcessLookupError(group_or_pid)
        process = self._processes.get(group)
        if process is None:
            process = self._processes[group] = Process(self, group)
        return process

    @property
    def processes(self) -> list[Process]:
        """Every live process but init."""
        return [self.process(g) for pid, g in sorted(self.kernel.groups.items()) if pid != 1]

    # ---------------------------------------------------------------------------------------------- running
    def run(self, until: "Process | Callable[[], bool] | None" = None) -> int | None:
        """Run until the machine's program ends (its wait status), or pause (None) when `until` -- a Process
        that has ended, or a function returning True, asked at each scheduling point -- or a hook's
        `Machine.stop()` says so.  An exception raised in a hook pauses the machine and is raised here."""
        self.boot()
        if isinstance(until, Process):
            target = until
            until = lambda: target.exited            # noqa: E731
        self._stop = False

        def paused() -> bool:
            return self._stop or (until is not None and until())
        try:
            return self._machine.run(paused)
        finally:
            self._stop = False
            if self._error is not None:
                error, self._error = self._error, None
                raise error

    def stop(self) -> None:
        """Pause the machine at the next scheduling point (from a hook: when the call or event is done);
        run() returns None."""
        self._stop = True
        if self._machine is not None:
            self._machine.kernel.cpu.stop()

    @property
    def finished(self) -> bool:
        return self._machine is not None and self._machine.kernel.init.exit_status is not None

    @property
    def log(self) -> list[str]:
        """The kernel log ring's records (what dmesg shows), oldest first."""
        return [r.text for r in self.kernel.klog.records] if self._machine is not None else []

    # ------------------------------------------------------------------------------------------------ hooks
    def on_syscall(self, names: str | Iterable[str] | None = None, when: str = "exit") -> Callable:
        """Decorator: call the function with a SyscallCall for each system call named `names` (one name or
        several; None: every call) of any process -- before it runs (`when="enter"`: it may change the
        arguments or skip the call) or after (`"exit"`: it may change the result)."""
        if when not in ("enter", "exit"):
            raise ValueError("when must be 'enter' or 'exit'")
        wanted = ["*"] if names is None else [names] if isinstance(names, str) else list(names)
        from pynix.arch import all_arches
        known = {n for arch in all_arches() for n in arch.syscall_names.values()}
        for name in wanted:
            if name != "*" and name not in known:
                raise ValueError(f"no system call named {name!r}")

        def register(fn: Callable) -> Callable:
            table = self._hooks.enter if when == "enter" else self._hooks.exit
            for name in wanted:
                table.setdefault(name, []).append(fn)
            self._install_tracers()
            return fn
        return register

    def _event_hook(self, kind: str, fn: Callable) -> Callable:
        getattr(self._hooks, kind).append(fn)
        self._install_tracers()
        return fn

    def on_signal(self, fn: Callable) -> Callable:
        """Decorator: fn(SignalEvent) for every signal a task takes, or that is ignored or fatal at once."""
        return self._event_hook("signal", fn)

    def on_exec(self, fn: Callable) -> Callable:
        """Decorator: fn(ExecEvent) when a process has begun running a new program (execve)."""
        return self._event_hook("exec", fn)

    def on_fault(self, fn: Callable) -> Callable:
        """Decorator: fn(FaultEvent) for a fault of user code the kernel cannot resolve (before its signal)."""
        return self._event_hook("fault", fn)

    def on_exit(self, fn: Callable) -> Callable:
        """Decorator: fn(ExitEvent) when a process has ended."""
        return self._event_hook("exits", fn)

    def remove_hook(self, fn: Callable) -> None:
        """Take `fn` off every hook list it is on (with none left, the machine runs untraced again)."""
        hooks = self._hooks
        for table in (hooks.enter, hooks.exit):
            for name in list(table):
                table[name] = [h for h in table[name] if h is not fn]
                if not table[name]:
                    del table[name]
        for kind in ("signal", "exec", "fault", "exits"):
            setattr(hooks, kind, [h for h in getattr(hooks, kind) if h is not fn])
        self._install_tracers()

    # -------------------------------------------------------------------------------------------- snapshots
    def snapshot(self) -> Snapshot:
        """A copy of the whole machine as it stands between two runs (see Snapshot).  From a hook: stop() the
        machine, and snapshot once run() has returned."""
        return take_snapshot(self)

    def restore(self, snap: Snapshot) -> None:
        """Make the machine what it was when `snap` was taken (between two runs, as snapshot)."""
        restore_snapshot(self, snap)
