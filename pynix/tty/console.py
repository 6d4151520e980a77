"""The console: the host terminal pynix runs on, as the guest's terminal device.

When the host's stdin is a terminal, the guest does not talk to it directly (qemu-user style): the host terminal
is put in raw mode by `pynix run` (cli/run.py) and becomes plain hardware -- a keyboard and a screen -- under a
`Tty` with its own line discipline, exactly as a Linux console or pseudo-terminal is.  So line editing, echo,
^C/^Z/^\\, job control and the settings programs change with tcsetattr all happen inside pynix, and the host
terminal's own settings are never touched by the guest.

- Input: the kernel watches host descriptor 0 (`Kernel.watch_host_fd`, the console's "receive interrupt") and
  calls `_on_input` whenever keys arrive, even when no program is reading -- that is how ^C reaches a program
  that is busy.  When the line discipline's buffer is full the descriptor is no longer watched until a read makes
  room (Linux's throttling), so unread input waits in the host terminal.
- Output: written to the host terminal (host descriptor 1, or 2 or 0 if stdout is redirected) at once.
- Window size: taken from the host terminal at start; `host_resized()` (called by cli/run.py's SIGWINCH
  handler, safe in a signal handler) wakes the kernel through a self-pipe, and the new size reaches the guest
  as a TIOCSWINSZ would: SIGWINCH to the foreground process group.
- If the host terminal goes away (read returns end of file or EIO) the terminal is hung up.

The first process is the session leader and the console is its controlling terminal, with its process group in
the foreground -- as for a program started by a login shell.

For devfs: `open_console` opens /dev/console and the host terminal's own /dev/pts/N node (/dev/tty is
tty.py's `open_controlling_tty`).
"""
from __future__ import annotations

import errno
import fcntl
import os
import select
import struct
import termios as host_termios
from typing import TYPE_CHECKING

from pynix.errors import KernelError
from pynix.fs.file import File, host_stat_fields
from pynix.tty.termbits import IUTF8, Termios
from pynix.tty.tty import Tty, TtyFile, open_tty_file
from pynix.uapi.fcntl import O_RDWR

if TYPE_CHECKING:
    from pynix.fs.vfs import VfsPath
    from pynix.kernel import Kernel


def host_winsize(fd: int) -> tuple[int, int, int, int]:
    """(rows, columns, x pixels, y pixels) of a host terminal; 24x80 if it will not say."""
    try:
        rows, cols, xpix, ypix = struct.unpack("HHHH", fcntl.ioctl(fd, host_termios.TIOCGWINSZ, bytes(8)))
    except OSError:
        return (24, 80, 0, 0)
    return (rows or 24, cols or 80, xpix, ypix)


def _same_terminal(fd: int, other: int) -> bool:
    try:
        return os.isatty(fd) and os.fstat(fd).st_rdev == os.fstat(other).st_rdev
    except OSError:
        return False


class HostConsole:
    """The console driver: a `Tty` whose hardware is the host terminal."""

    def __init__(self, kernel: "Kernel", in_fd: int = 0, out_fd: int = 1) -> None:
        self.kernel = kernel
        self.in_fd, self.out_fd = in_fd, out_fd
        try:
            self.name = os.fsencode(os.ttyname(in_fd))
        except OSError:
            self.name = b"/dev/console"
        try:
            self.rdev = os.fstat(in_fd).st_rdev
        except OSError:
            self.rdev = 0
        settings = Termios()                              # Linux's tty_std_termios ...
        try:
            if host_termios.tcgetattr(in_fd)[0] & IUTF8:     # (the host is Linux: same bit)
                settings.iflag |= IUTF8                   # ... plus UTF-8 erasing if the host terminal has it
        except host_termios.error:
            pass
        self.tty = Tty(kernel, self, settings, host_winsize(in_fd))
        self._throttled = False
        self._resize_r, self._resize_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        kernel.watch_host_fd(in_fd, self._on_input)
        kernel.watch_host_fd(self._resize_r, self._on_resize)

    def is_host_terminal(self, fd: int) -> bool:
        """Is host descriptor `fd` this console's terminal?"""
        return _same_terminal(fd, self.in_fd)

    # ----------------------------------------------------------------------------------- the TtyDriver side
    def open(self) -> None:
        """Any number of opens; the host terminal stays until the machine stops."""

    def close(self) -> None:
        """Nothing to do: the host terminal is not the guest's to close."""

    def write_room(self) -> int:
        """The host terminal takes all output (`write` waits for it)."""
        return 1 << 30

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            try:
                view = view[os.write(self.out_fd, view):]
            except BlockingIOError:                       # the host descriptor is non-blocking: wait for room
                select.select([], [self.out_fd], [], 1.0)
            except InterruptedError:
                continue
            except OSError:                               # the host terminal is gone
                self._hangup()
                return

    def unthrottle(self) -> None:
        if self._throttled and self.tty.ldisc.receive_room() > 0 and not self.tty.hung_up:
            self._throttled = False
            self.kernel.watch_host_fd(self.in_fd, self._on_input)

    def stat(self) -> dict[str, int]:
        try:
            return host_stat_fields(os.fstat(self.in_fd))
        except OSError as e:
            raise KernelError(e.errno or errno.EIO) from None

    # ---------------------------------------------------------------------------------------- host events
    def _on_input(self) -> None:
        """Host descriptor 0 is readable: run what was typed through the line discipline."""
        room = self.tty.ldisc.receive_room()
        if room <= 0:
            self._throttled = True
            self.kernel.watch_host_fd(self.in_fd, None)
            return
        try:
            data = os.read(self.in_fd, min(room, 4096))
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self._hangup()
            return
        self.tty.receive(data)

    def host_resized(self) -> None:
        """The host terminal changed size (SIGWINCH on the host).  Safe to call from a signal handler: it only
        wakes the kernel, which then reads the new size (`_on_resize`)."""
        try:
            os.write(self._resize_w, b"w")
        except OSError:
            pass

    def _on_resize(self) -> None:
        try:
            while os.read(self._resize_r, 64):
                pass
        except OSError:
            pass
        self.tty.resize(host_winsize(self.in_fd))

    def _hangup(self) -> None:
        self.kernel.watch_host_fd(self.in_fd, None)
        self.tty.hangup()

    def shutdown(self) -> None:
        """Stop watching the host (the machine is shutting down)."""
        self.kernel.watch_host_fd(self.in_fd, None)
        self.kernel.watch_host_fd(self._resize_r, None)
        for fd in (self._resize_r, self._resize_w):
            try:
                os.close(fd)
            except OSError:
                pass


def attach_console(kernel: "Kernel", session: int) -> HostConsole | None:
    """Make the host terminal the machine's console if the host's stdin is a terminal (else None).  The console
    is the controlling terminal of session `session` (the first process's), whose group is in the foreground."""
    try:
        if not os.isatty(0):
            return None
    except OSError:
        return None
    out_fd = next((fd for fd in (1, 2) if _same_terminal(fd, 0)), 0)
    console = HostConsole(kernel, 0, out_fd)
    console.tty.session = console.tty.pgrp = session
    return console


def console_file(kernel: "Kernel", console: HostConsole) -> TtyFile:
    """The open file the first process's standard descriptors share.  If the guest's /dev has a node for the
    host terminal (devfs's /dev/pts/N), the file is opened through it, so /proc/self/fd/0 leads there and
    ttyname(0) works; otherwise it is a pathless terminal file."""
    path = _device_path(kernel, console)
    return open_tty_file(console.tty, None, O_RDWR, path)


def _device_path(kernel: "Kernel", console: HostConsole) -> "VfsPath | None":
    from pynix.fs.vfs import FsContext, Walker
    if not console.name.startswith(b"/dev/"):
        return None
    try:
        root = kernel.mounts.root_path()
        path = Walker(FsContext(kernel.mounts, root, root)).resolve(root, console.name)
        if path.inode.rdev == os.fstat(console.in_fd).st_rdev:
            return path
    except (KernelError, OSError):
        pass
    return None


# --------------------------------------------------------------------------------------- entry points
def get_console(kernel: "Kernel") -> HostConsole | None:
    """The machine's console, or None when pynix does not run on a terminal."""
    return getattr(kernel, "console", None)


def open_console(kernel: "Kernel", path: "VfsPath", flags: int, acquire: bool = False) -> File | None:
    """Open the console through the device node `path`: /dev/console (acquire=False: it never becomes a
    controlling terminal by open), or the host terminal's /dev/pts/N node (acquire=True: a session leader
    without a controlling terminal that opens it without O_NOCTTY acquires it).  None when there is no
    console (devfs may then fall back to the host terminal itself)."""
    console = get_console(kernel)
    if console is None:
        return None
    return open_tty_file(console.tty, kernel.current, flags, path, may_acquire=acquire)
