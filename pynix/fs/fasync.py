"""Signal-driven I/O (Linux's fs/fcntl.c: f_owner, fasync, send_sigio): F_SETOWN/F_SETOWN_EX name who is
signalled, F_SETSIG which signal, and O_ASYNC turns it on.

An O_ASYNC file hangs a callback on the wait queues its poll uses (as epoll does), so whenever one of them is
woken with events the file's open mode cares about -- input for a file open for reading, room for one open for
writing -- its owner is sent SIGIO (from the kernel), or with F_SETSIG the chosen signal with a siginfo saying
POLL_IN/POLL_OUT, the poll band and the descriptor (as Linux's kill_fasync calls from the drivers do).
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from pynix.fs.file import POLLERR, POLLHUP, POLLIN, POLLOUT, POLLPRI, File

if TYPE_CHECKING:
    from pynix.kernel import Kernel
    from pynix.task.task import Task

F_OWNER_TID, F_OWNER_PID, F_OWNER_PGRP = 0, 1, 2
SIGIO, SIGURG = 29, 23
POLL_IN, POLL_OUT, POLL_MSG, POLL_ERR, POLL_PRI, POLL_HUP = 1, 2, 3, 4, 5, 6
# si_band for each reason (Linux's band_table)
BAND = {POLL_IN: 0x41, POLL_OUT: 0x304, POLL_MSG: 0x441, POLL_ERR: 0x8, POLL_PRI: 0x82, POLL_HUP: 0x18}
SI_KERNEL = 0x80


@dataclass(eq=False)
class FOwner:
    """struct fown_struct: the owner (a thread, a process or a process group), the signal, the setter's ids."""
    type: int = F_OWNER_PID
    id: int = 0
    signum: int = 0
    uid: int = 0
    euid: int = 0


@dataclass(eq=False)
class Fasync:
    """An O_ASYNC registration: descriptor `fd` of `file`, hooked on `queues`."""
    kernel: "Kernel"
    file: File
    fd: int
    queues: tuple = ()
    callback: Callable[[int], None] | None = field(default=None, repr=False)

    def attach(self, task: "Task") -> None:
        self.queues = tuple(self.file.poll_queues(task))
        self.callback = self._woken
        for queue in self.queues:
            queue.callbacks.append(self.callback)

    def detach(self) -> None:
        for queue in self.queues:
            if self.callback in queue.callbacks:
                queue.callbacks.remove(self.callback)
        self.queues = ()

    def _woken(self, events: int) -> None:
        file = self.file
        interest = (POLLIN | POLLPRI if file.readable else 0) | (POLLOUT if file.writable else 0) | POLLERR | POLLHUP
        band = (events or file.poll_mask()) & interest & file.poll_mask()
        if band:
            send_sigio(self.kernel, owner_of(file), self.fd, band)


def owner_of(file: File) -> FOwner:
    if file.f_owner is None:
        file.f_owner = FOwner()
    return file.f_owner


def send_sigio(kernel: "Kernel", owner: FOwner, fd: int, band: int) -> None:
    """send_sigio for poll events `band`."""
    code = POLL_IN if band & POLLIN else POLL_OUT if band & POLLOUT else POLL_PRI if band & POLLPRI else \
        POLL_HUP if band & POLLHUP else POLL_ERR
    send_sigio_reason(kernel, owner, fd, code)


def send_sigio_reason(kernel: "Kernel", owner: FOwner, fd: int, code: int) -> None:
    """send_sigio: the owner's threads or processes that the setter may signal get SIGIO, or F_SETSIG's signal
    with si_code `code` (POLL_IN...), its si_band and si_fd."""
    from pynix.task import signal
    sig = owner.signum or SIGIO
    if owner.signum:
        info = (struct.pack("<iiii", sig, 0, code, 0) + struct.pack("<qi", BAND[code], fd)).ljust(128, b"\0")
    else:
        info = signal.siginfo(sig, SI_KERNEL)
    for group, thread in _targets(kernel, owner):
        signal.send_signal(kernel, group, sig, info, thread=thread)


def send_sigurg(kernel: "Kernel", owner: FOwner) -> None:
    """send_sigurg: SIGURG (a kernel signal, whatever F_SETSIG says) to the owner of a socket that received
    urgent data."""
    from pynix.task import signal
    for group, thread in _targets(kernel, owner):
        signal.send_signal(kernel, group, SIGURG, signal.siginfo(SIGURG, SI_KERNEL), thread=thread)


def _targets(kernel: "Kernel", owner: FOwner) -> list:
    """(process, thread or None) of the owner that its setter may signal (sigio_perm)."""
    if not owner.id:
        return []
    if owner.type == F_OWNER_PGRP:
        targets = [(g, None) for g in kernel.groups.values() if g.pgid == owner.id and g.exit_status is None]
    elif owner.type == F_OWNER_TID:
        thread = kernel.tasks.get(owner.id)
        targets = [(thread.group, thread)] if thread is not None else []
    else:
        group = kernel.groups.get(owner.id)
        targets = [(group, None)] if group is not None and group.exit_status is None else []
    return [(group, thread) for group, thread in targets
            if owner.euid == 0 or owner.euid in (group.creds.uid, group.creds.suid)
            or owner.uid in (group.creds.uid, group.creds.suid)]
