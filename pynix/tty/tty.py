"""The terminal device (Linux's tty_struct, drivers/tty/tty_io.c, tty_ioctl.c, tty_jobctrl.c).

A `Tty` owns the settings (termios), the window size, the line discipline (tty/ldisc.py) and a driver -- the
"hardware" that shows output and produces input: tty/console.py's host console, or the master side of a
pseudo-terminal (tty/pty.py).  Open descriptors of it are `TtyFile`s.

Job control, as Linux does it:
- A terminal is the *controlling terminal* of at most one session (`session`, a session id) and has a
  *foreground process group* (`pgrp`).  Keyboard signals (^C ^\\ ^Z) and SIGWINCH go to the foreground group.
  A process's controlling terminal is the one whose session is the process's session (Linux keeps a pointer per
  process, `signal->tty`, that is the same for every process of a session except after TIOCNOTTY by a non-leader:
  `detached` records those).  setsid() therefore leaves the terminal behind, as on Linux.
- A session leader without a controlling terminal acquires one by opening a terminal without O_NOCTTY (not
  /dev/tty or /dev/console) or with TIOCSCTTY; TIOCNOTTY gives it up.
- A process of a background group that reads its controlling terminal gets SIGTTIN (EIO if it ignores or blocks
  SIGTTIN, or if its process group is orphaned); one that writes with TOSTOP set, or changes the settings, gets
  SIGTTOU (allowed if it ignores or blocks SIGTTOU).  The signalled call restarts once the process is continued
  (-ERESTARTSYS).
"""
from __future__ import annotations

import errno
import struct
import weakref
from typing import TYPE_CHECKING, Protocol

from pynix.errors import KernelError
from pynix.fs.file import File
from pynix.fs.file_ops import InodeFile
from pynix.mm.uaccess import copy_from_user, copy_to_user
from pynix.sync.wait import Block, WaitQueue
from pynix.task.capability import capable
from pynix.task.signal import kill_pgrp
from pynix.tty.ldisc import NTty
from pynix.tty.termbits import IXON, TERMIOS2_SIZE, TERMIOS_SIZE, TOSTOP, Termios
from pynix.uapi.capability import CAP_SYS_ADMIN
from pynix.uapi.fcntl import O_NOCTTY, O_NONBLOCK
from pynix.uapi.ioctls import (FIONREAD, TCFLSH, TCGETS, TCGETS2, TCSBRK, TCSBRKP, TCSETS, TCSETS2, TCSETSF,
                               TCSETSF2, TCSETSW, TCSETSW2, TCXONC, TIOCCBRK, TIOCEXCL, TIOCGEXCL, TIOCGETD,
                               TIOCGPGRP, TIOCGSID, TIOCGWINSZ, TIOCNOTTY, TIOCNXCL, TIOCOUTQ, TIOCSBRK, TIOCSCTTY,
                               TIOCSETD, TIOCSPGRP, TIOCSTI, TIOCSWINSZ)
from pynix.uapi.poll import POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM
from pynix.uapi.signal import SIGCONT, SIGHUP, SIGTTIN, SIGTTOU, SIGWINCH

if TYPE_CHECKING:
    from pynix.fs.vfs import VfsPath
    from pynix.kernel import Kernel
    from pynix.mm.iov_iter import IovIter
    from pynix.task.task import Task, ThreadGroup

TCOOFF, TCOON, TCIOFF, TCION = 0, 1, 2, 3                    # TCXONC arguments
TCIFLUSH, TCOFLUSH, TCIOFLUSH = 0, 1, 2                      # TCFLSH arguments
_WINSIZE = struct.Struct("<HHHH")                              # ws_row, ws_col, ws_xpixel, ws_ypixel



class TtyDriver(Protocol):
    """What a terminal needs from its hardware (Linux's tty_operations)."""
    name: bytes                            # the device's path, for /proc/pid/fd (b"/dev/pts/3")
    rdev: int                              # its device number (/proc/pid/stat's tty_nr)

    def open(self) -> None: ...                   # a new open file of the terminal (may refuse: KernelError)
    def close(self) -> None: ...                  # an open file of it was released
    def write(self, data: bytes) -> None: ...     # show processed output
    def write_room(self) -> int: ...              # how much output it takes now (0: writers wait)
    def unthrottle(self) -> None: ...             # the discipline has room for input again
    def stat(self) -> dict[str, int]: ...         # fstat of a descriptor of it


def controlling_tty(kernel: "Kernel", group: "ThreadGroup") -> "Tty | None":
    """The controlling terminal of process `group` (Linux's current->signal->tty), or None."""
    for tty in kernel.ttys:
        if tty.session is not None and tty.session == group.sid and group not in tty.detached:
            return tty
    return None


def tty_stat_fields(kernel: "Kernel", group: "ThreadGroup") -> tuple[int, int]:
    """(tty_nr, tpgid) of /proc/pid/stat: the controlling terminal's device number and foreground group
    (0 and -1 without one)."""
    tty = controlling_tty(kernel, group)
    if tty is None:
        return 0, -1
    return tty.driver.rdev, tty.pgrp if tty.pgrp is not None else -1


def pgrp_orphaned(kernel: "Kernel", pgid: int) -> bool:
    """Linux's will_become_orphaned_pgrp: no live member has a parent other than init in another group of
    the same session."""
    for group in kernel.groups.values():
        if group.pgid != pgid or group.exit_status is not None:
            continue
        parent = group.parent
        if parent is not None and parent is not kernel.init and parent.pgid != pgid and parent.sid == group.sid:
            return False
    return True


class Tty:
    """One terminal: settings, window size, line discipline, controlling session and foreground group."""

    def __init__(self, kernel: "Kernel", driver: TtyDriver, termios: Termios | None = None,
                 winsize: tuple[int, int, int, int] = (24, 80, 0, 0)) -> None:
        self.kernel = kernel
        self.driver = driver
        self.termios = termios or Termios()
        self.winsize = winsize
        self.session: int | None = None          # the session this is the controlling terminal of
        self.pgrp: int | None = None             # its foreground process group
        self.detached: "weakref.WeakSet[ThreadGroup]" = weakref.WeakSet()   # gave it up with TIOCNOTTY
        self.read_queue = WaitQueue()            # readers (and pollers) waiting for input
        self.write_queue = WaitQueue()           # writers waiting for output to be restarted
        self.output_stopped = False              # ^S or TCOOFF (Linux's flow.stopped)
        self.tco_stopped = False                 # stopped by TCOOFF: IXANY does not restart it
        self.hung_up = False
        self.exclusive = False                   # TIOCEXCL
        self.ldisc = NTty(self)
        kernel.ttys.append(self)                 # every terminal of the machine (to find controlling ones)

    # ------------------------------------------------------------------- services for the line discipline
    def write_to_device(self, data: bytes) -> None:
        if data and not self.hung_up:
            self.driver.write(data)

    def signal_foreground(self, sig: int) -> None:
        """A keyboard signal or SIGWINCH: to every process of the foreground group (Linux's __isig)."""
        if self.pgrp is not None:
            kill_pgrp(self.kernel, self.pgrp, sig)

    def wake_readers(self) -> None:
        self.read_queue.wake_all()

    def stop_output(self, by_tcxonc: bool = False) -> None:
        self.output_stopped = True
        self.tco_stopped = self.tco_stopped or by_tcxonc

    def start_output(self, by_tcxonc: bool = False) -> None:
        if self.tco_stopped and not by_tcxonc:
            return
        self.output_stopped = self.tco_stopped = False
        self.write_queue.wake_all()

    def unthrottle(self) -> None:
        self.driver.unthrottle()

    # ----------------------------------------------------------------------------------- driver events
    def receive(self, data: bytes) -> None:
        """Input from the hardware."""
        self.ldisc.receive(data)

    def resize(self, winsize: tuple[int, int, int, int]) -> None:
        """tty_do_resize: a new window size; SIGWINCH to the foreground group if it changed."""
        if winsize != self.winsize:
            self.winsize = winsize
            self.signal_foreground(SIGWINCH)

    def hangup(self) -> None:
        """The hardware went away (the host terminal closed): reads return end of file, writes fail with EIO, the
        session leader gets SIGHUP and SIGCONT and the terminal stops being anyone's (tty_signal_session_leader)."""
        if self.hung_up:
            return
        self.hung_up = True
        from pynix.task.signal import send_signal, siginfo
        from pynix.uapi.signal import SI_KERNEL
        if self.session is not None:
            leader = self.kernel.groups.get(self.session)
            if leader is not None and leader.sid == leader.pid:
                for sig in (SIGHUP, SIGCONT):
                    send_signal(self.kernel, leader, sig, siginfo(sig, SI_KERNEL))
        self.session = self.pgrp = None
        self.read_queue.wake_all()
        self.write_queue.wake_all()

    # ------------------------------------------------------------------------------------- job control
    def is_ctty_of(self, group: "ThreadGroup") -> bool:
        return self.session is not None and self.session == group.sid and group not in self.detached

    def check_change(self, task: "Task", sig: int) -> None:
        """Linux's __tty_check_change: may `task` read (sig = SIGTTIN) or write / change the settings (SIGTTOU)?
        Only a background process group of the terminal's own session is stopped: it gets `sig` and the call
        restarts once the process continues (or a handler returns, per SA_RESTART)."""
        group = task.group
        if not self.is_ctty_of(group) or self.pgrp is None or group.pgid == self.pgrp:
            return
        from pynix.task.signal import bit
        from pynix.uapi.signal import SIG_IGN
        action = group.sigactions.get(sig)
        if task.sigmask & bit(sig) or (action is not None and action.handler == SIG_IGN):
            if sig == SIGTTIN:
                raise KernelError(errno.EIO)
            return
        if pgrp_orphaned(self.kernel, group.pgid):
            raise KernelError(errno.EIO)
        self._restart_after_signal(task, group.pgid, sig)

    def _restart_after_signal(self, task: "Task", pgid: int, sig: int) -> None:
        """-ERESTARTSYS: signal the caller's process group and make the calling syscall run again after the
        signal is dealt with.  The task first goes to sleep with its syscall rewound (Block); once the CPU has
        stopped, the signal is sent and the task woken as a signal wakes a sleeper -- so a stop leaves it stopped
        until SIGCONT, and a handler runs with the usual SA_RESTART/EINTR choice."""
        kernel = self.kernel

        def send() -> None:
            from pynix.task.task import TaskState
            kill_pgrp(kernel, pgid, sig)
            if task.state is TaskState.SLEEPING:
                task.interrupted = True
                kernel.wake(task)
        kernel.after_stop(send)
        raise Block(WaitQueue())

    # ------------------------------------------------------------------------------------ file operations
    def open(self, task: "Task | None", flags: int, may_acquire: bool) -> None:
        """tty_open: EBUSY if exclusive (TIOCEXCL) for non-root; a session leader without a controlling terminal
        that opens one without O_NOCTTY acquires it (tty_open_proc_set_tty).  `may_acquire` is False for
        /dev/tty and /dev/console, which never become controlling terminals by open."""
        if task is None:
            self.driver.open()
            return
        group = task.group
        if self.exclusive and not capable(task, CAP_SYS_ADMIN):
            raise KernelError(errno.EBUSY)
        self.driver.open()                 # a locked or closed pseudo-terminal refuses (pty_open: EIO)
        if (may_acquire and not flags & O_NOCTTY and group.sid == group.pid and self.session is None
                and controlling_tty(self.kernel, group) is None):
            self._set_ctty(group)

    def _set_ctty(self, group: "ThreadGroup") -> None:
        self.session, self.pgrp = group.sid, group.pgid
        self.detached.discard(group)

    def read(self, task: "Task", file: "TtyFile", size: int) -> bytes:
        """tty_read -> n_tty_read, after the background-read check (job_control).  After a hangup every read
        returns end of file (hung_up_tty_read)."""
        if self.hung_up:
            return b""
        self.check_change(task, SIGTTIN)
        return self.ldisc.read(task, size, file.nonblocking)

    def write(self, task: "Task", file: "File", views: list[memoryview]) -> int:
        """tty_write -> n_tty_write: TOSTOP check, wait while output is stopped or the driver has no room,
        output processing.  A blocking write returns once all of it is written; the count already written
        is kept across its re-runs (restart data), as for pipes."""
        if self.hung_up:
            raise KernelError(errno.EIO)           # hung_up_tty_write
        if self.termios.lflag & TOSTOP:
            self.check_change(task, SIGTTOU)
        data = b"".join(views)
        done = task.restart_data if type(task.restart_data) is int else 0
        while done < len(data) and not self.output_stopped:
            room = self.driver.write_room()
            if room <= 0:
                break
            chunk = data[done:done + room]
            self.write_to_device(self.ldisc.process_output(chunk))
            done += len(chunk)
        if done == len(data):
            return done
        if file.nonblocking:
            if done:
                return done
            raise KernelError(errno.EAGAIN)
        raise Block(self.write_queue, data=done, on_interrupt=(lambda: done) if done else None)

    def poll_mask(self) -> int:
        """n_tty_poll: readable when a read would not block, writable unless output is stopped or the driver
        is full; everything at once after a hangup (hung_up_tty_poll)."""
        if self.hung_up:
            return POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM | POLLERR | POLLHUP
        mask = 0
        if self.ldisc.input_available(for_poll=True):
            mask |= POLLIN | POLLRDNORM
        if not self.output_stopped and self.driver.write_room() > 0:
            mask |= POLLOUT | POLLWRNORM
        return mask

    # ------------------------------------------------------------------------------------------- ioctls
    def ioctl(self, task: "Task", file: "File", request: int, arg: int, master: bool = False) -> int:
        """The terminal ioctls (tty_ioctl, tty_mode_ioctl, n_tty_ioctl).  Unknown requests are ENOTTY; after a
        hangup all are EIO (TIOCSPGRP ENOTTY: hung_up_tty_ioctl).  `master`: the request came through the master
        of a pseudo-terminal (tty/pty.py), which may read the foreground group and session without being the
        caller's controlling terminal (tiocgpgrp/tiocgsid with tty != real_tty)."""
        if self.hung_up:
            raise KernelError(errno.ENOTTY if request == TIOCSPGRP else errno.EIO)
        mm = task.mm
        group = task.group
        if request in (TCGETS, TCGETS2):
            copy_to_user(mm, arg, self.termios.pack() if request == TCGETS else self.termios.pack2())
            return 0
        if request in (TCSETS, TCSETSW, TCSETSF, TCSETS2, TCSETSW2, TCSETSF2):
            self.check_change(task, SIGTTOU)
            size = TERMIOS_SIZE if request in (TCSETS, TCSETSW, TCSETSF) else TERMIOS2_SIZE
            new = Termios.unpack(copy_from_user(mm, arg, size))
            if request in (TCSETSF, TCSETSF2):
                self.ldisc.flush_input()
            self.set_termios(new)           # TCSETSW: output is never queued here, so it is drained already
            return 0
        if request == TIOCGWINSZ:
            copy_to_user(mm, arg, _WINSIZE.pack(*self.winsize))
            return 0
        if request == TIOCSWINSZ:
            self.resize(_WINSIZE.unpack(copy_from_user(mm, arg, _WINSIZE.size)))
            return 0
        if request == TIOCGPGRP:
            if not master and not self.is_ctty_of(group):
                raise KernelError(errno.ENOTTY)
            copy_to_user(mm, arg, struct.pack("<i", self.pgrp or 0))
            return 0
        if request == TIOCSPGRP:
            return self._tiocspgrp(task, arg)
        if request == TIOCGSID:
            if (not master and not self.is_ctty_of(group)) or self.session is None:
                raise KernelError(errno.ENOTTY)
            copy_to_user(mm, arg, struct.pack("<i", self.session))
            return 0
        if request == TIOCSCTTY:
            return self._tiocsctty(task, file, arg)
        if request == TIOCNOTTY:
            if not self.is_ctty_of(group):
                raise KernelError(errno.ENOTTY)
            if group.sid == group.pid:                     # the session leader: the session loses it (SIGHUP)
                self.disassociate()
            else:
                self.detached.add(group)
            return 0
        if request == FIONREAD:
            copy_to_user(mm, arg, struct.pack("<i", self.ldisc.bytes_available()))
            return 0
        if request == TIOCOUTQ:                            # output is written to the hardware at once
            copy_to_user(mm, arg, struct.pack("<i", 0))
            return 0
        if request == TCFLSH:
            self.check_change(task, SIGTTOU)
            if arg not in (TCIFLUSH, TCOFLUSH, TCIOFLUSH):
                raise KernelError(errno.EINVAL)
            if arg != TCOFLUSH:
                self.ldisc.flush_input()
            return 0
        if request == TCXONC:
            self.check_change(task, SIGTTOU)
            if arg == TCOOFF:
                self.stop_output(by_tcxonc=True)
            elif arg == TCOON:
                self.start_output(by_tcxonc=True)
            elif arg not in (TCIOFF, TCION):               # would send STOP/START to the other end: nobody
                raise KernelError(errno.EINVAL)
            return 0
        if request in (TCSBRK, TCSBRKP):                   # tcdrain / tcsendbreak: nothing is queued
            self.check_change(task, SIGTTOU)
            return 0
        if request in (TIOCSBRK, TIOCCBRK):
            return 0
        if request == TIOCSTI:                             # fake input (needs the terminal, or root)
            if not self.is_ctty_of(group) and not capable(task, CAP_SYS_ADMIN):
                raise KernelError(errno.EPERM)
            self.receive(copy_from_user(mm, arg, 1))
            return 0
        if request == TIOCGETD:
            copy_to_user(mm, arg, struct.pack("<i", self.termios.line))
            return 0
        if request == TIOCSETD:
            if struct.unpack("<i", copy_from_user(mm, arg, 4))[0] != 0:
                raise KernelError(errno.EINVAL)            # only N_TTY exists
            return 0
        if request == TIOCEXCL:
            self.exclusive = True
            return 0
        if request == TIOCNXCL:
            self.exclusive = False
            return 0
        if request == TIOCGEXCL:
            copy_to_user(mm, arg, struct.pack("<i", int(self.exclusive)))
            return 0
        raise KernelError(errno.ENOTTY)

    def set_termios(self, new: Termios) -> None:
        """tty_set_termios: install new settings and let the discipline adapt (canonical mode switched...)."""
        old = self.termios
        self.termios = new
        self.ldisc.set_termios(old.lflag)
        if old.iflag & ~new.iflag & IXON and not self.tco_stopped:   # IXON turned off: restart output
            self.start_output()
        self.write_queue.wake_all()

    def _tiocspgrp(self, task: "Task", arg: int) -> int:
        """tcsetpgrp: only for the caller's own controlling terminal, to a group of the caller's session."""
        try:
            self.check_change(task, SIGTTOU)
        except KernelError as err:
            raise KernelError(errno.ENOTTY if err.errno == errno.EIO else err.errno) from None
        pgid = struct.unpack("<i", copy_from_user(task.mm, arg, 4))[0]
        if pgid < 0:
            raise KernelError(errno.EINVAL)
        group = task.group
        if not self.is_ctty_of(group):
            raise KernelError(errno.ENOTTY)
        groups = self.kernel.groups.values()
        members = [g for g in groups if g.pgid == pgid]
        if not members:                                    # find_vpid: is the number in use at all?
            members = [g for g in groups if g.pid == pgid]
            if not members and not any(g.sid == pgid for g in groups) and pgid not in self.kernel.tasks:
                raise KernelError(errno.ESRCH)
        if not members or members[0].sid != group.sid:
            raise KernelError(errno.EPERM)
        self.pgrp = pgid
        return 0

    def _tiocsctty(self, task: "Task", file: "File", arg: int) -> int:
        """TIOCSCTTY: a session leader without a controlling terminal makes this one it.  Taking a terminal from
        another session needs arg 1 and root (CAP_SYS_ADMIN)."""
        group = task.group
        leader = group.sid == group.pid
        root = capable(task, CAP_SYS_ADMIN)
        if leader and self.session == group.sid:
            return 0
        if not leader or controlling_tty(self.kernel, group) is not None:
            raise KernelError(errno.EPERM)
        if self.session is not None:
            if not (arg == 1 and root):
                raise KernelError(errno.EPERM)
            self.session = self.pgrp = None                # stolen from its session
        if not file.readable and not root:
            raise KernelError(errno.EPERM)
        self._set_ctty(group)
        return 0

    def release(self) -> None:
        """An open file of the terminal is gone (tty_release)."""
        self.driver.close()

    def forget(self) -> None:
        """The terminal is freed (release_tty, for a pseudo-terminal once both sides are closed): it stops being
        anyone's controlling terminal (session_clear_tty) and leaves the machine's list."""
        self.session = self.pgrp = None
        self.detached = weakref.WeakSet()
        if self in self.kernel.ttys:
            self.kernel.ttys.remove(self)

    def disassociate(self) -> None:
        """The session leader gives up its controlling terminal (disassociate_ctty): the foreground group gets
        SIGHUP and SIGCONT, and no process has the terminal any more."""
        if self.pgrp is not None:
            kill_pgrp(self.kernel, self.pgrp, SIGHUP)
            kill_pgrp(self.kernel, self.pgrp, SIGCONT)
        self.session = self.pgrp = None
        self.detached = weakref.WeakSet()


class TtyFile(File):
    """An open terminal (Linux's tty_fops).  The standard descriptors of the first process share one of these,
    as a login's 0, 1 and 2 share one open of its terminal.  Terminals are streams: lseek is ESPIPE."""

    def __init__(self, tty: Tty, flags: int) -> None:
        File.__init__(self, flags)
        self.tty = tty

    def read_iter(self, task: "Task", to: "IovIter") -> int:
        if not to.count:
            return 0
        to.map(min(to.count, 4096))                   # EFAULT before any input is taken
        return to.copy_to(self.tty.read(task, self, to.count))

    def write_iter(self, task: "Task", source: "IovIter") -> int:
        n = self.tty.write(task, self, source.map(source.count))
        source.advance(n)
        return n

    def ioctl(self, task: "Task", request: int, arg: int) -> int:
        """Every ioctl on a terminal comes here (syscall/fs_ioctl.py)."""
        return self.tty.ioctl(task, self, request, arg)

    def poll_mask(self) -> int:
        return self.tty.poll_mask()

    def poll_queues(self, task: "Task") -> tuple:
        return (self.tty.read_queue, self.tty.write_queue)

    def bytes_available(self) -> int:
        return self.tty.ldisc.bytes_available()

    def ioctl_termios(self) -> bytes:
        return self.tty.termios.pack()

    def ioctl_winsize(self) -> bytes:
        return _WINSIZE.pack(*self.tty.winsize)

    def stat(self) -> dict[str, int]:
        return self.tty.driver.stat()

    def lseek(self, offset: int, whence: int) -> int:
        raise KernelError(errno.ESPIPE)

    def release(self) -> None:
        self.tty.release()

    def proc_link_name(self) -> bytes:
        """/proc/pid/fd/N of a descriptor that was not opened by path: the device's name."""
        return self.tty.driver.name


class TtyPathFile(TtyFile, InodeFile):
    """A terminal opened by path (/dev/tty, /dev/console, /dev/pts/N): the terminal's operations, with fstat,
    fchdir and /proc/pid/fd seeing the device node it was opened through."""

    proc_link_name = None                  # /proc/pid/fd shows the path it was opened by

    def __init__(self, tty: Tty, flags: int, path: "VfsPath") -> None:
        TtyFile.__init__(self, tty, flags)
        self.path = path
        self.inode = path.inode
        self.offset = 0

    def stat(self) -> dict[str, int]:
        return self.inode.stat()


def open_tty_file(tty: Tty, task: "Task | None", flags: int, path: "VfsPath | None" = None,
                  may_acquire: bool = True) -> TtyFile:
    """A new open file of `tty` (tty_open), by `task`, with the status flags of `flags`."""
    tty.open(task, flags, may_acquire)
    flags &= 3 | O_NONBLOCK
    return TtyPathFile(tty, flags, path) if path is not None else TtyFile(tty, flags)


def open_controlling_tty(kernel: "Kernel", path: "VfsPath", flags: int) -> File | None:
    """Open /dev/tty: the calling process's controlling terminal (ENXIO if it has none).  None when the
    process has none and the machine has no console (devfs then passes the host terminal through)."""
    task = getattr(kernel, "current", None)                # (devfs may be built without a kernel)
    tty = controlling_tty(kernel, task.group) if task is not None else None
    if tty is None:
        if getattr(kernel, "console", None) is None:
            return None
        raise KernelError(errno.ENXIO)
    return open_tty_file(tty, task, flags, path, may_acquire=False)

