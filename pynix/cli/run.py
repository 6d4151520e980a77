"""`pynix run`: load a program into a fresh machine and run it the way qemu-user would.

Without PROGRAM, an interactive shell: /bin/sh of the root filesystem.

When stdin is a terminal, the guest gets a real terminal device (tty/console.py) and the host terminal is put in
raw mode for as long as the machine runs, so that line editing, echo and ^C/^Z are the guest's; the host
terminal's settings are restored on every way out (normal exit, a Python exception, SIGTERM/SIGHUP/SIGINT/
SIGQUIT sent to pynix, exit paths that skip `finally` via atexit).  A SIGTSTP sent to pynix restores the
terminal before stopping and raw mode comes back when it continues.  SIGWINCH is forwarded to the guest's
terminal.  When stdin is not a terminal, the guest's stdin is that pipe or file, as under Linux.

Exit status: the guest's exit status, 128+N when it was killed by signal N; 126 when the file cannot be
executed (not an ELF, another machine, malformed), 127 when it does not exist.
"""
from __future__ import annotations

import argparse
import atexit
import errno
import gc
import os
import signal
import sys
import termios

from pynix.api.config import elf_arch_of, parse_size  # noqa: F401 (parse_size: also mkfs.fat's)
from pynix.smp import default_cpus

DEFAULT_SHELL, DEFAULT_SHELL_ARGV0 = "/bin/sh", "sh"


MAX_DEFAULT_MEM = 4 << 30


def default_mem_size() -> int:
    """A quarter of the host's physical memory, at most 4 GiB, rounded down to 2 MiB.  RAM is an anonymous
    host mapping whose pages are only allocated when the guest first touches them, so a large default costs
    the host nothing until a program needs it."""
    host = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    return max(4 << 20, min(host // 4, MAX_DEFAULT_MEM) & ~((2 << 20) - 1))


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run a Linux program", description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--arch", choices=["riscv64", "x86_64"], help="ISA of the machine (default: from the ELF header)")
    p.add_argument("--mem", default=default_mem_size(), type=parse_size,
                   help="guest RAM size, a multiple of 2M (default: a quarter of the host's memory, at most 4G; "
                        "frames are allocated on first touch)")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="copy the kernel log (what the guest's dmesg shows) to stderr as it is written")
    p.add_argument("--log", metavar="FILE", help="copy the kernel log to FILE")
    p.add_argument("--strace", nargs="?", const="", metavar="OPTIONS",
                   help="print each syscall in strace's format to stderr, as strace -f; --strace='OPTIONS' takes "
                        "strace's options: -e trace=SET (names, %%file, %%process, %%network, %%signal, %%memory, "
                        "%%desc...), -e signal=SET, -T, -t/-tt/-ttt, -r, -c, -C, -o FILE, -s SIZE, -y")
    p.add_argument("--trace-out", metavar="FILE.json",
                   help="write the machine's timeline to FILE.json in the Chrome trace event format (open it in "
                        "ui.perfetto.dev or chrome://tracing): per task its syscalls, scheduler states, faults, "
                        "TLB flushes and signals, with fork/exec/exit arrows")
    p.add_argument("--gdb", metavar="[HOST:]PORT",
                   help="serve gdb's remote protocol on HOST:PORT (default host 127.0.0.1): the program stops before "
                        "its first instruction until gdb connects (target remote :PORT)")
    p.add_argument("--gdb-fork-events", action="store_true",
                   help="with --gdb: report forks and vforks to gdb (catch fork, set follow-fork-mode child); "
                        "gdb then names processes `process N` (its multiprocess extensions)")
    p.add_argument("--trace-max", type=float, default=64, metavar="MiB",
                   help="the most the --trace-out file holds; the oldest events are dropped beyond it (default 64)")
    p.add_argument("--sched", choices=["rr", "cfs"], default="rr",
                   help="scheduling policy: round robin (default) or CFS-like fair scheduling with nice values")
    p.add_argument("--cpus", type=int, default=default_cpus(), metavar="N",
                   help="CPUs running guest code in parallel, each on a host thread (at most 8 and the host's "
                        "cores; default 1, or $PYNIX_CPUS); threads of one process, and processes sharing "
                        "writable memory, still run one at a time (see DESIGN.md, SMP)")
    p.add_argument("--pids-max", type=int, default=4096, metavar="N",
                   help="most tasks the machine may hold at once; fork beyond it fails with EAGAIN (default 4096)")
    p.add_argument("--disk", action="append", default=[], metavar="IMAGE[:GUEST][:ro]",
                   help="attach the disk image IMAGE as the next block device /dev/vda, /dev/vdb, ... "
                        "(read-write, read-only with :ro; writes reach the image on sync, unmount and exit) "
                        "and, with GUEST, mount it there with the filesystem it holds: ext2/ext3 read-write, "
                        "ext4 read-only, FAT32 read-write (repeatable; `pynix mkfs.fat` makes a FAT32 image)")
    p.add_argument("--mount", action="append", default=[], metavar="HOST:GUEST[:ro|rw]",
                   help="mount the host directory HOST on the guest directory GUEST (created if missing), "
                        "read-only unless :rw is given, as docker run -v; the guest cannot reach anything of the "
                        "host outside HOST through it (repeatable)")
    p.add_argument("--root", metavar="DIR|IMAGE",
                   help="the guest's root: a host directory (read-only, with an in-memory layer on top for the "
                        "guest's changes, as the default root /) or a disk image: ext2/ext3 (read-write, as "
                        "/dev/vda), ext4 (read-only) or FAT32 (read-write); PROGRAM is then a path inside the "
                        "guest")
    p.add_argument("-L", dest="sysroot", metavar="SYSROOT",
                   help="as qemu-user's -L: guest paths are looked up in the host directory SYSROOT first, then "
                        "in the root (the ELF interpreter and libraries of another architecture's programs)")
    p.add_argument("-e", "--env", action="append", default=[], metavar="NAME[=VALUE]",
                   help="set NAME=VALUE in the guest's environment, or pass NAME from pynix's own environment "
                        "(repeatable; the guest's environment is pynix's plus these, as docker run -e)")
    p.add_argument("--clear-env", action="store_true",
                   help="start the guest's environment empty (only the --env variables)")
    p.add_argument("-w", "--workdir", metavar="DIR",
                   help="the guest's initial working directory, a guest path (default: the current directory)")
    p.add_argument("-p", "--publish", action="append", default=[], metavar="HOST_PORT:GUEST_PORT[/tcp|/udp]",
                   type=_publish_spec,
                   help="forward the host's 127.0.0.1:HOST_PORT to the guest socket on GUEST_PORT (repeatable)")
    p.add_argument("--net", choices=("private", "host"), default="private",
                   help="the guest's AF_INET/AF_INET6 network: the machine's own loopback (private, the default) or "
                        "the host's (host: guest sockets are host sockets, as docker run --net host)")
    p.add_argument("program", nargs="?", help=f"host path of the program (default: an interactive {DEFAULT_SHELL})")
    p.add_argument("args", nargs=argparse.REMAINDER, help="its arguments")
    p.set_defaults(func=run_command)


def _publish_spec(text: str):
    from pynix.net.publish import parse_publish
    try:
        return parse_publish(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _elf_arch_name(path: str) -> str | None:
    try:
        with open(path, "rb") as f:
            return elf_arch_of(f.read(20))
    except OSError:
        return None


def guest_environment(specs: list[str], clear: bool) -> list[bytes] | None:
    """envp: pynix's environment (none with `clear`) changed by the --env specs in order, as docker run -e
    does: NAME=VALUE sets, a bare NAME copies pynix's value and adds nothing when pynix has none.  None after
    printing why a spec is malformed."""
    env: dict[bytes, bytes] = {} if clear else dict(os.environb)
    for spec in specs:
        name, sep, value = os.fsencode(spec).partition(b"=")
        if not name:
            print(f"pynix: --env {spec}: expected NAME=VALUE or NAME", file=sys.stderr)
            return None
        if sep:
            env[name] = value
        elif name in os.environb:
            env[name] = os.environb[name]
    return [name + b"=" + value for name, value in env.items()]


def run_command(args: argparse.Namespace) -> int:
    """`pynix run`: the Python API's Machine (pynix/api) built from the options, with the tracers, the host
    terminal and the host's signals of a command line around it."""
    gc.disable()           # until the machine is built: see gc.freeze below
    from pynix.api import Machine, MachineError

    if args.strace and not args.strace.startswith("-"):    # `--strace PROGRAM`: argparse took PROGRAM as the
        args.args = ([args.program] if args.program else []) + args.args     # option's value; strace's
        args.program, args.strace = args.strace, ""                           # options all start with -
    path = args.program or DEFAULT_SHELL
    envp = guest_environment(args.env, args.clear_env)
    if envp is None:
        return 2
    log = sys.stderr if args.verbose else None
    if args.log:
        try:
            log = open(args.log, "a", buffering=1)
        except OSError as err:
            print(f"pynix: --log {args.log}: {err.strerror}", file=sys.stderr)
            return 2
    try:
        machine = Machine(arch=args.arch, mem=args.mem, root=args.root, mounts=args.mount, disks=args.disk,
                          sysroot=args.sysroot, net=args.net, publish=args.publish, sched=args.sched,
                          pids_max=args.pids_max, log=log, cpus=args.cpus)
    except MachineError as err:
        print(f"pynix: {err}", file=sys.stderr)
        return 2
    if args.root is None:
        if not os.path.exists(machine.program_file(path)):
            print(f"pynix: {printable(path)}: No such file or directory", file=sys.stderr)
            return 127
    elif machine.guest_file_header(path, 20) is None:       # the program is a path of the guest's own tree
        print(f"pynix: {printable(path)}: No such file or directory in the guest", file=sys.stderr)
        return 127
    arch = args.arch or machine.program_arch(path)
    strace_options = None
    if args.strace is not None:
        from pynix.arch import arch_by_name
        from pynix.syscall.strace_session import StraceUsageError, parse_strace_options
        try:
            strace_options = parse_strace_options(args.strace, arch_by_name(arch).syscall_names.values())
        except StraceUsageError as err:
            print(f"pynix: --strace: {err}", file=sys.stderr)
            return 2
    try:
        machine.boot(arch)
    except MachineError as err:
        print(f"pynix: {err}", file=sys.stderr)
        return 2
    kernel = machine.kernel
    tracer, debugger = _tracer(kernel, strace_options, args.trace_out, int(args.trace_max * (1 << 20)), args.gdb,
                               args.gdb_fork_events)
    if tracer is not None:
        machine.trace(tracer)
    argv = [os.fsencode(path if args.program else DEFAULT_SHELL_ARGV0)] + [os.fsencode(a) for a in args.args]
    cwd = None                                     # the current directory, or / if the guest has none
    if args.workdir:
        cwd = os.path.join(os.getcwd(), args.workdir)
        if (err := machine.guest_dir_error(cwd)) is not None:
            print(f"pynix: --workdir {args.workdir}: {os.strerror(err)}", file=sys.stderr)
            return 2
    try:
        program = machine.spawn(argv, env=envp, cwd=cwd, executable=path)
    except OSError as err:
        print(f"pynix: {printable(path)}: cannot execute: {printable(err.strerror)}", file=sys.stderr)
        return 127 if err.errno == errno.ENOENT else 126
    if debugger is not None:
        debugger.attach(program.group)             # waits for gdb; the program has not run an instruction yet
    terminal = HostTerminal(0, kernel.console) if kernel.console is not None else None
    if terminal is None:           # no console: ^C and kill(1) sent to pynix go to the program, as under qemu-user
        kernel.forward_host_signals(FORWARDED_SIGNALS)
    gc.freeze()            # the kernel's ~10^5 boot-time objects live as long as the run: keep them out of GC passes
    gc.enable()
    try:
        if terminal is not None:
            terminal.enter()
        status = machine.run()
    finally:
        if terminal is not None:
            terminal.restore()
            kernel.console.shutdown()
        if tracer is not None:
            tracer.close()
    machine.close()                                # the disks: every write reaches the image files now
    if status & 0x7F:
        return 128 + (status & 0x7F)
    return status >> 8


def _tracer(kernel, strace_options, trace_out: str | None, trace_max: int, gdb: str | None,
            gdb_fork_events: bool = False):
    """The machine's tracer for --strace, --trace-out and --gdb (several: a TracerGroup) or None, and the gdb
    stub (or None)."""
    from pynix.trace import TracerGroup
    tracers, debugger = [], None
    try:
        if strace_options is not None:
            from pynix.syscall.strace_session import StraceSession
            what = f"--strace: -o {strace_options.output}"
            tracers.append(StraceSession(kernel, strace_options))
        if trace_out is not None:
            from pynix.trace.timeline import Timeline
            what = f"--trace-out {trace_out}"
            tracers.append(Timeline(kernel, trace_out, trace_max))
        if gdb is not None:
            from pynix.debug.gdbstub import GdbStub
            what = f"--gdb {gdb}"
            debugger = GdbStub(kernel, gdb, fork_events=gdb_fork_events)
            tracers.append(debugger)
    except (OSError, ValueError) as err:
        print(f"pynix: {what}: {getattr(err, 'strerror', None) or err}", file=sys.stderr)
        raise SystemExit(2)
    return (None if not tracers else tracers[0] if len(tracers) == 1 else TracerGroup(tracers)), debugger


def printable(text: str) -> str:
    """`text` for a one-line message: every character that is not printable -- control characters, newlines,
    bytes that are not UTF-8 (the surrogates of os.fsdecode) -- as a backslash escape; backslashes doubled."""
    out = []
    for ch in text:
        code = ord(ch)
        if ch == "\\":
            out.append("\\\\")
        elif ch.isprintable():
            out.append(ch)
        elif 0xDC80 <= code <= 0xDCFF:             # an undecodable byte, kept by surrogateescape
            out.append(f"\\x{code - 0xDC00:02x}")
        else:
            out.append(ascii(ch)[1:-1])            # \n, \t, \x01, \u2028...
    return "".join(out)


# Without a console, these host signals sent to pynix are passed on to the guest (Kernel.forward_host_signals);
# with one, they end pynix after restoring the terminal (HostTerminal), and keys reach the guest's own tty.
FORWARDED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)


class HostTerminal:
    """The host terminal under the guest's console: raw mode while the machine runs, the user's settings after.

    Raw mode is cfmakeraw's: no echo, no line editing, no signals from keys, no CR/NL translation in either
    direction -- every key reaches the guest's line discipline as typed and its output reaches the screen as
    written."""

    _FATAL = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT, signal.SIGQUIT)

    def __init__(self, fd: int, console) -> None:
        self.fd = fd
        self.console = console
        self.saved = termios.tcgetattr(fd)
        self.handlers: dict[int, object] = {}
        self.stderr = None
        self.active = False

    def enter(self) -> None:
        atexit.register(self.restore)
        for sig in self._FATAL:
            self.handlers[sig] = signal.signal(sig, self._fatal)
        self.handlers[signal.SIGTSTP] = signal.signal(signal.SIGTSTP, self._suspend)
        self.handlers[signal.SIGWINCH] = signal.signal(signal.SIGWINCH, self._resized)
        self._raw()
        if self.console.is_host_terminal(2):       # kernel messages go to the raw terminal too
            self.stderr, sys.stderr = sys.stderr, _CrlfStream(sys.stderr)
        self.active = True

    def restore(self) -> None:
        """Put back the settings the terminal had before (idempotent; also registered with atexit)."""
        if not self.active:
            return
        self.active = False
        self._set(self.saved)
        if self.stderr is not None:
            sys.stderr, self.stderr = self.stderr, None
        for sig, handler in self.handlers.items():
            signal.signal(sig, handler)
        self.handlers = {}
        atexit.unregister(self.restore)

    def _raw(self) -> None:
        iflag, oflag, cflag, lflag, ispeed, ospeed, cc = termios.tcgetattr(self.fd)
        iflag &= ~(termios.IGNBRK | termios.BRKINT | termios.PARMRK | termios.ISTRIP | termios.INLCR
                   | termios.IGNCR | termios.ICRNL | termios.IXON)
        oflag &= ~termios.OPOST
        lflag &= ~(termios.ECHO | termios.ECHONL | termios.ICANON | termios.ISIG | termios.IEXTEN)
        cflag = (cflag & ~(termios.CSIZE | termios.PARENB)) | termios.CS8
        cc = list(cc)
        cc[termios.VMIN], cc[termios.VTIME] = 1, 0
        self._set([iflag, oflag, cflag, lflag, ispeed, ospeed, cc])

    def _set(self, mode: list) -> None:
        try:
            termios.tcsetattr(self.fd, termios.TCSADRAIN, mode)
        except (termios.error, OSError):
            pass                                   # the terminal is gone: nothing to restore

    def _fatal(self, signum: int, frame) -> None:
        """A signal that ends pynix: restore the terminal, then die of that signal as we would have."""
        self.restore()
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)

    def _suspend(self, signum: int, frame) -> None:
        """SIGTSTP sent to pynix: give the user's terminal back while stopped, take it again on SIGCONT."""
        self._set(self.saved)
        signal.signal(signal.SIGTSTP, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTSTP)       # stops here until continued
        signal.signal(signal.SIGTSTP, self._suspend)
        self._raw()
        self.console.host_resized()

    def _resized(self, signum: int, frame) -> None:
        self.console.host_resized()


class _CrlfStream:
    """sys.stderr while the terminal is raw: newlines become CR NL, so kernel messages start on a fresh line."""

    def __init__(self, stream) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        self.stream.write(text.replace("\n", "\r\n"))
        return len(text)

    def flush(self) -> None:
        self.stream.flush()

    def __getattr__(self, name: str):
        return getattr(self.stream, name)
