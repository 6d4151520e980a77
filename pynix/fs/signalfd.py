"""signalfd: a file from which a process reads its pending signals (Linux's fs/signalfd.c).

A read takes pending signals in the file's mask -- the calling thread's own first, then its process's, the same
order as delivery (task/signal.py's `dequeue`) -- and returns one 128-byte `struct signalfd_siginfo` for each that
fits.  With none pending it blocks on the process's `signalfd_wait` queue, which every newly queued signal wakes
(send_signal), or fails with EAGAIN on a non-blocking file.  As in Linux the file reads the signals of whichever
process uses it (after fork the child reads its own), so readiness for poll/select is judged for the kernel's
current task.  Not here: fdinfo's sigmask line, and SIGIO/SIGPOLL-specific siginfo fields (no O_ASYNC signals yet).
"""
from __future__ import annotations

import errno
import stat as stat_mod
import struct
from typing import TYPE_CHECKING

from pynix.errors import KernelError
from pynix.fs.file import File
from pynix.sync.wait import Block
from pynix.task.signal import UNBLOCKABLE, dequeue, pending_set
from pynix.uapi.fcntl import O_NONBLOCK, O_RDWR
from pynix.uapi.poll import POLLIN, POLLRDNORM
from pynix.uapi.signal import SIGBUS, SIGCHLD, SIGFPE, SIGILL, SIGSEGV, SIGSYS, SIGTRAP, SI_KERNEL, SI_TIMER, SI_USER

if TYPE_CHECKING:
    from pynix.kernel import Kernel
    from pynix.mm.iov_iter import IovIter
    from pynix.task.task import Task

SIGNALFD_SIGINFO_SIZE = 128
ANON_INODE_DEV, ANON_INODE_INO = 0x0F, 1        # every anon_inode file shares one inode of one pseudo-fs
SI_SIGIO = -5
# Signal-specific si_code ranges (Linux's sig_specific_sicodes): codes 1..limit use the signal's own layout.
_FAULT_SIGNALS = {SIGILL: 11, SIGFPE: 15, SIGSEGV: 10, SIGBUS: 5, SIGTRAP: 6}
NSIGCHLD, NSIGSYS, NSIGPOLL = 6, 2, 6


def signalfd_siginfo(info: bytes) -> bytes:
    """Translate a kernel siginfo_t into a `struct signalfd_siginfo` (Linux's signalfd_copyinfo): which fields
    are copied depends on the siginfo layout that the signal number and si_code select."""
    signo, err, code = struct.unpack_from("<iii", info)
    pid, uid, tid, overrun, ptr, status, band, fd, addr, utime, stime = (0,) * 11
    call_addr = syscall_nr = arch = 0
    if SI_USER < code < SI_KERNEL and signo in _FAULT_SIGNALS and code <= _FAULT_SIGNALS[signo]:
        (addr,) = struct.unpack_from("<Q", info, 16)                       # SIL_FAULT
    elif SI_USER < code < SI_KERNEL and signo == SIGCHLD and code <= NSIGCHLD:
        pid, uid, status, utime, stime = struct.unpack_from("<iIi4xqq", info, 16)
    elif SI_USER < code < SI_KERNEL and signo == SIGSYS and code <= NSIGSYS:
        call_addr, syscall_nr, arch = struct.unpack_from("<QiI", info, 16)
    elif (SI_USER < code < SI_KERNEL and code <= NSIGPOLL) or code == SI_SIGIO:
        band, fd = struct.unpack_from("<qi", info, 16)                     # SIL_POLL
    elif code == SI_TIMER:
        tid, overrun, ptr = struct.unpack_from("<iiQ", info, 16)
    elif code < 0:                                                          # SIL_RT: sigqueue, tkill...
        pid, uid, ptr = struct.unpack_from("<iIQ", info, 16)
    else:                                                                   # SIL_KILL
        pid, uid = struct.unpack_from("<iI", info, 16)
    return struct.pack("<IiiIIiIIIIiiQQQQHHiQI", signo, err, code, pid & 0xFFFFFFFF, uid, fd,
                       tid & 0xFFFFFFFF, band & 0xFFFFFFFF, overrun & 0xFFFFFFFF, 0, status,
                       (ptr & 0xFFFFFFFF ^ 0x80000000) - 0x80000000, ptr, utime, stime, addr, 0, 0, syscall_nr,
                       call_addr, arch).ljust(SIGNALFD_SIGINFO_SIZE, b"\0")


class SignalFd(File):
    """An open signalfd: the set of signals it reads."""

    def __init__(self, kernel: "Kernel", mask: int, flags: int) -> None:
        super().__init__(O_RDWR | (flags & O_NONBLOCK))
        self.kernel = kernel
        self.mask = mask & ~UNBLOCKABLE

    def set_mask(self, task: "Task", mask: int) -> None:
        """signalfd() on an existing signalfd: replace its mask (pollers re-check)."""
        self.mask = mask & ~UNBLOCKABLE
        task.group.signalfd_wait.wake_all()

    def read_iter(self, task: "Task", to: "IovIter") -> int:
        size = to.count
        if size < SIGNALFD_SIGINFO_SIZE:
            raise KernelError(errno.EINVAL)
        to.map(SIGNALFD_SIGINFO_SIZE)        # EFAULT before a signal is taken
        out = bytearray()
        while len(out) + SIGNALFD_SIGINFO_SIZE <= size:
            taken = dequeue(task, self.mask)
            if taken is None:
                break
            out += signalfd_siginfo(taken[1])
        if out:
            return to.copy_to(out)
        if self.nonblocking:
            raise KernelError(errno.EAGAIN)
        raise Block(task.group.signalfd_wait)

    def poll_mask(self) -> int:
        task = self.kernel.current
        return POLLIN | POLLRDNORM if task is not None and pending_set(task) & self.mask else 0

    def poll_queues(self, task: "Task") -> tuple:
        return (task.group.signalfd_wait,)

    def stat(self) -> dict[str, int]:
        """An anonymous inode: mode 0600 without a file type, owned by root, as Linux's anon_inode_inode."""
        return {"dev": ANON_INODE_DEV, "ino": ANON_INODE_INO, "mode": stat_mod.S_IRUSR | stat_mod.S_IWUSR,
                "nlink": 1, "uid": 0, "gid": 0, "rdev": 0, "size": 0, "blksize": 4096, "blocks": 0,
                "atime": 0, "atime_nsec": 0, "mtime": 0, "mtime_nsec": 0, "ctime": 0, "ctime_nsec": 0}
