"""Unix98 pseudo-terminals (Linux's drivers/tty/pty.c): /dev/ptmx opens a master, the slave is /dev/pts/N.

A pseudo-terminal is a pair.  The slave is an ordinary terminal -- the same `Tty` as the console, with its line
discipline, job control and controlling-terminal rules -- whose "hardware" is the master: what the slave's
programs write goes through the slave's output processing (ONLCR...) into the master's buffer, where the master
reads it; what the master writes is the slave's keyboard input (echo, canonical editing, ^C to the slave's
foreground process group...).  `PtySlaveDriver` is the slave's driver, `PtyMasterFile` an open master.

As on Linux:
- Each open of /dev/ptmx makes a new pair with the lowest free index N of its devpts instance (fs/devpts.py);
  the slave is locked until TIOCSPTLCK(0) (unlockpt), and opening it while locked is EIO.  TIOCGPTN gives N,
  TIOCGPTPEER opens the slave from the master.
- Ioctls on the master about the terminal (termios, window size, foreground group, TIOCSCTTY...) act on the
  slave (tty_pair_get_tty); TIOCSWINSZ sends SIGWINCH to the slave's foreground group.  FIONREAD on the master
  counts what the slave wrote and the master has not read.
- Reads and writes block (EAGAIN with O_NONBLOCK) and poll reports readiness on both sides.  Once the last slave
  file is closed the master reads what is left, then EIO, and polls POLLHUP; opening the slave again undoes it.
- Closing the master removes /dev/pts/N at once and hangs the slave up (tty_vhangup): the session leader of the
  session it controls gets SIGHUP and SIGCONT, slave reads return end of file, writes and ioctls EIO.  The index
  is free again once both sides are closed; the session then loses its controlling terminal.

Differences: the master side has no line discipline of its own (Linux gives it a raw N_TTY whose settings are
never used), so TIOCSTI/TCFLSH on the master work on its buffer directly; packet mode (TIOCPKT) and TIOCSIG are
not implemented (ENOTTY / EINVAL).
"""
from __future__ import annotations

import errno
import struct
from typing import TYPE_CHECKING

from pynix.errors import KernelError
from pynix.fs.file import File
from pynix.fs.file_ops import InodeFile
from pynix.mm.uaccess import copy_from_user, copy_to_user
from pynix.sync.wait import Block, WaitQueue
from pynix.task.capability import capable
from pynix.tty.tty import TCIFLUSH, TCIOFLUSH, TCOFLUSH, Tty, open_tty_file
from pynix.uapi.capability import CAP_SYS_ADMIN
from pynix.uapi.fcntl import O_ACCMODE, O_NONBLOCK
from pynix.uapi.ioctls import (FIONREAD, TCFLSH, TIOCGPKT, TIOCGPTLCK, TIOCGPTN, TIOCGPTPEER, TIOCNOTTY, TIOCOUTQ,
                               TIOCPKT, TIOCSIG, TIOCSPTLCK, TIOCSTI)
from pynix.uapi.poll import POLLHUP, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM

if TYPE_CHECKING:
    from pynix.fs.devpts import DevptsSuperBlock, PtsInode
    from pynix.fs.vfs import VfsPath
    from pynix.kernel import Kernel
    from pynix.mm.iov_iter import IovIter
    from pynix.task.task import Task

UNIX98_PTY_SLAVE_MAJOR = 136
PTY_BUF_SIZE = 65536                 # what the master holds unread before slave writers wait (the flip buffers)



def pts_rdev(index: int) -> int:
    """The device number of /dev/pts/N (new_encode_dev(136 + N / 2^20, N % 2^20))."""
    major, minor = UNIX98_PTY_SLAVE_MAJOR + (index >> 20), index & 0xFFFFF
    return (minor & 0xFF) | (major << 8) | ((minor & ~0xFF) << 12)


class Pty:
    """One pseudo-terminal pair: the slave terminal, the master's buffer and the state linking the two."""

    def __init__(self, kernel: "Kernel", sb: "DevptsSuperBlock", index: int) -> None:
        self.kernel = kernel
        self.sb = sb
        self.index = index
        self.locked = True                       # TTY_PTY_LOCK until unlockpt
        self.master_open = True
        self.slave_opens = 0                     # open files of the slave (its tty->count)
        self.slave_closed = False                # the master's TTY_OTHER_CLOSED
        self.output = bytearray()                # what the slave wrote, for the master to read
        self.master_read_queue = WaitQueue()     # master readers/pollers: output arrived, or the slave closed
        self.master_write_queue = WaitQueue()    # master writers: the slave's discipline has room again
        self.node: "PtsInode | None" = None      # /dev/pts/N while the master is open
        self.slave = Tty(kernel, PtySlaveDriver(self))

    def open_node(self, path: "VfsPath", flags: int) -> File:
        """Open the slave through its /dev/pts/N node (tty_open: may make it the caller's controlling terminal)."""
        return open_tty_file(self.slave, self.kernel.current, flags, path)

    # -------------------------------------------------------------------------------------- master side
    def master_read(self, size: int, nonblocking: bool) -> bytes:
        if size == 0:
            return b""
        if self.output:
            data = bytes(self.output[:size])
            del self.output[:size]
            self.slave.write_queue.wake_all()    # room for the slave's writers
            return data
        if self.slave_closed:
            raise KernelError(errno.EIO)
        if nonblocking:
            raise KernelError(errno.EAGAIN)
        raise Block(self.master_read_queue)

    def master_write(self, task: "Task", data: bytes, nonblocking: bool) -> int:
        """The slave's keyboard: as much as its discipline takes; a blocking write waits for the rest."""
        done = task.restart_data if type(task.restart_data) is int else 0
        while done < len(data):
            room = self.slave.ldisc.receive_room()
            if room <= 0:
                break
            chunk = data[done:done + room]
            self.slave.receive(chunk)
            done += len(chunk)
        if done == len(data):
            return done
        if nonblocking:
            if done:
                return done
            raise KernelError(errno.EAGAIN)
        raise Block(self.master_write_queue, data=done, on_interrupt=(lambda: done) if done else None)

    def master_poll(self) -> int:
        """n_tty_poll on the master."""
        mask = 0
        if self.output:
            mask |= POLLIN | POLLRDNORM
        if self.slave_closed:
            mask |= POLLHUP
        if self.slave.ldisc.receive_room() > 0:
            mask |= POLLOUT | POLLWRNORM
        return mask

    def master_release(self) -> None:
        """The master's last file is closed (pty_close): /dev/pts/N goes, the slave is hung up."""
        self.master_open = False
        self.sb.remove_node(self)
        self.slave.hangup()
        self._maybe_free()

    def _maybe_free(self) -> None:
        if not self.master_open and self.slave_opens == 0:
            self.slave.forget()
            self.sb.free_index(self.index)

    def open_slave(self, task: "Task", flags: int) -> File:
        """TIOCGPTPEER: open the slave through its /dev/pts node (ptm_open_peer)."""
        if self.node is None:
            raise KernelError(errno.EIO)
        from pynix.fs.vfs import VfsPath
        mount = self.sb.mount_of(self.kernel)
        dentry = mount.root.child(b"%d" % self.index) if mount is not None else None
        if dentry is None:
            raise KernelError(errno.EIO)
        return open_tty_file(self.slave, task, flags, VfsPath(mount, dentry))


class PtySlaveDriver:
    """The slave terminal's hardware: the master (pty_ops for the slave)."""

    def __init__(self, pty: Pty) -> None:
        self.pty = pty
        self.name = b"/dev/pts/%d" % pty.index
        self.rdev = pts_rdev(pty.index)

    def open(self) -> None:
        """pty_open: EIO while locked or once the master is gone; a reopen clears the master's HUP."""
        pty = self.pty
        if pty.locked or not pty.master_open:
            raise KernelError(errno.EIO)
        pty.slave_opens += 1
        pty.slave_closed = False
        pty.master_read_queue.wake_all()

    def close(self) -> None:
        pty = self.pty
        pty.slave_opens -= 1
        if pty.slave_opens == 0:
            pty.slave_closed = True
            pty.master_read_queue.wake_all()
            pty.master_write_queue.wake_all()
            pty._maybe_free()

    def write(self, data: bytes) -> None:
        self.pty.output += data
        self.pty.master_read_queue.wake_all()

    def write_room(self) -> int:
        return max(PTY_BUF_SIZE - len(self.pty.output), 0)

    def unthrottle(self) -> None:
        self.pty.master_write_queue.wake_all()

    def stat(self) -> dict[str, int]:
        """A slave file is always opened through its node; this serves the rare pathless case."""
        node = self.pty.node
        if node is None:
            raise KernelError(errno.EIO)
        return node.stat()


class PtyMasterFile(InodeFile):
    """An open master (ptmx_fops): a stream whose fstat and /proc/pid/fd show the ptmx node it came from."""

    def __init__(self, pty: Pty, flags: int, path: "VfsPath") -> None:
        super().__init__(path, flags & (O_ACCMODE | O_NONBLOCK))
        self.pty = pty

    def read_iter(self, task: "Task", to: "IovIter") -> int:
        if not to.count:
            return 0
        to.map(min(to.count, 4096))                   # EFAULT before any output is taken
        return to.copy_to(self.pty.master_read(to.count, self.nonblocking))

    def write_iter(self, task: "Task", source: "IovIter") -> int:
        return self.pty.master_write(task, bytes(source.copy_from(source.count)), self.nonblocking)

    def poll_mask(self) -> int:
        return self.pty.master_poll()

    def poll_queues(self, task: "Task") -> tuple:
        return (self.pty.master_read_queue, self.pty.master_write_queue)

    def bytes_available(self) -> int:
        return len(self.pty.output)

    def ioctl_termios(self) -> bytes:
        return self.pty.slave.termios.pack()

    def lseek(self, offset: int, whence: int) -> int:
        raise KernelError(errno.ESPIPE)

    def release(self) -> None:
        self.pty.master_release()

    def ioctl(self, task: "Task", request: int, arg: int) -> int:
        """pty_unix98_ioctl, then the requests the master answers itself; the rest act on the slave."""
        pty = self.pty
        mm = task.mm
        if request == TIOCGPTN:
            copy_to_user(mm, arg, struct.pack("<I", pty.index))
            return 0
        if request == TIOCSPTLCK:
            pty.locked = struct.unpack("<i", copy_from_user(mm, arg, 4))[0] != 0
            return 0
        if request == TIOCGPTLCK:
            copy_to_user(mm, arg, struct.pack("<i", int(pty.locked)))
            return 0
        if request == TIOCGPTPEER:
            from pynix.uapi.fcntl import O_CLOEXEC
            file = pty.open_slave(task, arg & ~O_CLOEXEC)
            return task.group.fds.install(file, bool(arg & O_CLOEXEC))
        if request in (TIOCPKT, TIOCGPKT):
            raise KernelError(errno.ENOTTY)
        if request == TIOCSIG:
            raise KernelError(errno.EINVAL)
        if request == FIONREAD:
            copy_to_user(mm, arg, struct.pack("<i", len(pty.output)))
            return 0
        if request == TIOCOUTQ:
            copy_to_user(mm, arg, struct.pack("<i", 0))
            return 0
        if request == TCFLSH:
            if arg not in (TCIFLUSH, TCOFLUSH, TCIOFLUSH):
                raise KernelError(errno.EINVAL)
            if arg != TCOFLUSH:
                pty.output.clear()
                pty.slave.write_queue.wake_all()
            return 0
        if request == TIOCSTI:                 # fake input for the master: only root (it is nobody's terminal)
            if not capable(task, CAP_SYS_ADMIN):
                raise KernelError(errno.EPERM)
            pty.output += copy_from_user(mm, arg, 1)
            pty.master_read_queue.wake_all()
            return 0
        if request == TIOCNOTTY:               # the master is never a controlling terminal
            raise KernelError(errno.ENOTTY)
        return pty.slave.ioctl(task, self, request, arg, master=True)


def open_ptmx(kernel: "Kernel", sb: "DevptsSuperBlock", path: "VfsPath", flags: int) -> PtyMasterFile:
    """ptmx_open: a new pair in devpts instance `sb`, its slave node owned by the opener (mode 0620, group
    tty), locked."""
    task = kernel.current
    creds = task.group.creds if task is not None else None
    pty = Pty(kernel, sb, sb.alloc_index())
    sb.add_node(pty, creds.fsuid if creds is not None else 0)
    return PtyMasterFile(pty, flags, path)
