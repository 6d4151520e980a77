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
import os
import signal
import sys
import termios

from pynix.errors import KernelError

DEFAULT_SHELL, DEFAULT_SHELL_ARGV0 = "/bin/sh", "sh"


def parse_size(text: str) -> int:
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    text = text.strip().upper().removesuffix("B").removesuffix("I")
    if text and text[-1] in units:
        return int(text[:-1]) * units[text[-1]]
    return int(text)


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run a Linux program", description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--arch", choices=["riscv64", "x86_64"], help="ISA of the machine (default: from the ELF header)")
    p.add_argument("--mem", default="256M", type=parse_size, help="guest RAM size (default 256M)")
    p.add_argument("--strace", action="store_true", help="print each syscall in strace format to stderr")
    p.add_argument("--sched", choices=["rr", "cfs"], default="rr",
                   help="scheduling policy: round robin (default) or CFS-like fair scheduling with nice values")
    p.add_argument("--pids-max", type=int, default=4096, metavar="N",
                   help="most tasks the machine may hold at once; fork beyond it fails with EAGAIN (default 4096)")
    p.add_argument("--disk", action="append", default=[], metavar="IMAGE:GUEST",
                   help="mount the FAT32 image IMAGE read-write on the guest directory GUEST (repeatable; "
                        "make one with `pynix mkfs.fat`)")
    p.add_argument("program", nargs="?", help=f"host path of the program (default: an interactive {DEFAULT_SHELL})")
    p.add_argument("args", nargs=argparse.REMAINDER, help="its arguments")
    p.set_defaults(func=run_command)


def _elf_arch_name(path: str) -> str | None:
    from pynix.arch import arch_for_elf_machine
    try:
        with open(path, "rb") as f:
            header = f.read(20)
    except OSError:
        return None
    if len(header) < 20 or header[:4] != b"\x7fELF":
        return None
    arch = arch_for_elf_machine(int.from_bytes(header[18:20], "little"))
    return arch.name if arch else None


def _open_disks(specs: list[str]) -> list | None:
    """[(guest path, superblock)] for the --disk options, or None after printing why one cannot be used."""
    from pynix.fs.fat32 import Fat32SuperBlock
    disks = []
    for spec in specs:
        image, sep, guest = spec.rpartition(":")
        if not sep or not image or not guest.startswith("/"):
            print(f"pynix: --disk {spec}: expected IMAGE:GUEST with an absolute guest directory", file=sys.stderr)
            return None
        try:
            disks.append((guest, Fat32SuperBlock(image, uid=os.getuid(), gid=os.getgid())))
        except KernelError as err:
            print(f"pynix: --disk {spec}: cannot mount: {err}", file=sys.stderr)
            return None
    return disks


def run_command(args: argparse.Namespace) -> int:
    from pynix.arch import arch_by_name
    from pynix.kernel import Kernel

    path = args.program or DEFAULT_SHELL
    if not os.path.exists(path):
        print(f"pynix: {path}: No such file or directory", file=sys.stderr)
        return 127
    arch = arch_by_name(args.arch or _elf_arch_name(path) or "x86_64")
    if args.mem < (4 << 20) or args.mem % (2 << 20):
        print("pynix: --mem must be a multiple of 2M and at least 4M", file=sys.stderr)
        return 2
    trace = (lambda line: print(line, file=sys.stderr, flush=True)) if args.strace else None
    disks = _open_disks(args.disk)
    if disks is None:
        return 2
    kernel = Kernel(arch, args.mem, strace=trace, sched=args.sched, pids_max=args.pids_max, disks=disks)
    mounted = {id(m.sb) for m in kernel.mounts.mounts}
    for guest, sb in disks:
        if id(sb) not in mounted:
            print(f"pynix: --disk {sb.image}:{guest}: no directory {guest} in the guest", file=sys.stderr)
            return 2
    argv = [os.fsencode(path if args.program else DEFAULT_SHELL_ARGV0)] + [os.fsencode(a) for a in args.args]
    envp = [os.fsencode(f"{k}={v}") for k, v in os.environ.items()]
    try:
        kernel.spawn(path, argv, envp, cwd=os.getcwd())
    except KernelError as err:
        reason = str(err) or os.strerror(err.errno)
        print(f"pynix: {path}: cannot execute: {reason}", file=sys.stderr)
        return 127 if err.errno == errno.ENOENT else 126
    terminal = HostTerminal(0, kernel.console) if kernel.console is not None else None
    try:
        if terminal is not None:
            terminal.enter()
        status = kernel.run()
    finally:
        if terminal is not None:
            terminal.restore()
            kernel.console.close()
    for _guest, sb in disks:
        sb.close()
    if status & 0x7F:
        if args.strace:
            print(f"+++ killed by signal {status & 0x7F} +++", file=sys.stderr)
        return 128 + (status & 0x7F)
    if args.strace:
        print(f"+++ exited with {status >> 8} +++", file=sys.stderr)
    return status >> 8


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
