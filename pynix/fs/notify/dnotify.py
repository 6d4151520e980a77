"""dnotify: fcntl(F_NOTIFY), directory change notification by signal (Linux's fs/notify/dnotify/dnotify.c).

A process asks, through a descriptor of a directory, to be signalled when an entry of it is accessed, modified,
created, deleted, renamed or has its attributes changed.  The registration (struct dnotify_struct) belongs to
the open file and the descriptor table it was made through: a second F_NOTIFY through the same pair adds its
events (and the descriptor number) to the first, closing any descriptor of that file in that table ends it
(dnotify_flush, on every close), and an argument of 0 ends it at once.  Without DN_MULTISHOT it ends after its
first signal.  The signal goes to the file's owner -- the caller, unless F_SETOWN chose another -- as SIGIO, or
as F_SETSIG's signal with si_code POLL_MSG, si_band and si_fd (fs/fasync.py's send_sigio).

All registrations on one directory hang off one fsnotify mark of the one dnotify group, whose mask is the union
of theirs; the directory hears its entries' events (FS_EVENT_ON_CHILD), its dirent events, and its own events
only for itself being a directory (dnotify_handle_event).
"""
from __future__ import annotations

import errno
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pynix.errors import KernelError
import pynix.fs.notify.fsnotify as fsnotify_core
from pynix.fs.notify.fsnotify import (FS_ACCESS, FS_ATTRIB, FS_CREATE, FS_DELETE, FS_DN_MULTISHOT,
                                      FS_EVENT_ON_CHILD, FS_ISDIR, FS_MODIFY, FS_MOVED_FROM, FS_MOVED_TO, FS_RENAME,
                                      InodeEventGroup, Mark, marks_of)

if TYPE_CHECKING:
    from pynix.fs.file import FdTable, File
    from pynix.fs.vfs import Inode
    from pynix.kernel import Kernel
    from pynix.task.task import Task

DN_ACCESS, DN_MODIFY, DN_CREATE, DN_DELETE, DN_RENAME, DN_ATTRIB = 0x1, 0x2, 0x4, 0x8, 0x10, 0x20
DN_MULTISHOT = 0x80000000
POLL_MSG = 3                     # the si_code of its signal (fs/fasync.py's POLL_MSG)


class DnotifySettings:
    """/proc/sys/fs/dir-notify-enable: 0 makes F_NOTIFY fail with EINVAL."""
    enable = 1


def convert_arg(arg: int) -> int:
    """The FS_* events a DN_* argument asks for."""
    mask = FS_EVENT_ON_CHILD
    for dn, fs in ((DN_MULTISHOT, FS_DN_MULTISHOT), (DN_DELETE, FS_DELETE | FS_MOVED_FROM), (DN_MODIFY, FS_MODIFY),
                   (DN_ACCESS, FS_ACCESS), (DN_ATTRIB, FS_ATTRIB), (DN_RENAME, FS_RENAME),
                   (DN_CREATE, FS_CREATE | FS_MOVED_TO)):
        if arg & dn:
            mask |= fs
    return mask


@dataclass(eq=False)
class DnotifyStruct:
    """One F_NOTIFY registration: `file` through descriptor `fd` of `owner` (a descriptor table)."""
    mask: int
    fd: int
    file: "File"
    owner: "FdTable"
    kernel: "Kernel"


class DnotifyMark(Mark):
    def __init__(self, group: "Dnotify", inode: "Inode") -> None:
        super().__init__(group, inode, 0)
        self.dns: list[DnotifyStruct] = []

    def recalc(self) -> None:
        """dnotify_recalc_inode_mask: the mark wants what its registrations want; with none left it goes."""
        self.mask = 0
        for dn in self.dns:
            self.mask |= dn.mask & ~FS_DN_MULTISHOT
        if not self.dns:
            self.detach()


class Dnotify(InodeEventGroup):
    """The one dnotify group."""

    def mark_of(self, inode: "Inode") -> DnotifyMark | None:
        for mark in marks_of(inode):
            if mark.group is self:
                return mark
        return None

    def handle_inode_event(self, mark: DnotifyMark, mask: int, dir: "Inode | None", name: bytes,
                           cookie: int) -> None:
        """dnotify_handle_event: signal every registration that wants the event; one-shot ones end."""
        from pynix.fs.fasync import owner_of, send_sigio_reason
        if dir is None and not mask & FS_ISDIR:
            return
        test = mask & ~FS_EVENT_ON_CHILD
        for dn in list(mark.dns):
            if dn.mask & test:
                send_sigio_reason(dn.kernel, owner_of(dn.file), dn.fd, POLL_MSG)
                if not dn.mask & FS_DN_MULTISHOT:
                    mark.dns.remove(dn)
        mark.recalc()

    def mark_removed(self, mark: DnotifyMark) -> None:
        mark.dns.clear()


DNOTIFY = Dnotify()


def _dir_inode(file: "File") -> "Inode | None":
    path = getattr(file, "path", None)
    return path.inode if path is not None and path.inode.is_dir else None


def dnotify_flush(file: "File", table: "FdTable") -> None:
    """A descriptor of `file` in `table` was closed: the registration made through them ends."""
    if not fsnotify_core.active_marks:
        return
    inode = _dir_inode(file)
    mark = DNOTIFY.mark_of(inode) if inode is not None else None
    if mark is not None:
        for dn in mark.dns:
            if dn.file is file and dn.owner is table:
                mark.dns.remove(dn)
                mark.recalc()
                break


def fcntl_dirnotify(task: "Task", fd: int, file: "File", arg: int) -> int:
    """fcntl(fd, F_NOTIFY, arg): register (or with arg 0 end) the notification; EINVAL while
    /proc/sys/fs/dir-notify-enable is 0, ENOTDIR unless `fd` is a directory.  The file's owner becomes the caller's process unless one was set (__f_setown without force)."""
    from pynix.fs.fasync import F_OWNER_PID, owner_of
    table = task.group.fds
    if not DnotifySettings.enable:
        raise KernelError(errno.EINVAL)
    if not arg & ~DN_MULTISHOT:
        dnotify_flush(file, table)
        return 0
    inode = _dir_inode(file)
    if inode is None:
        raise KernelError(errno.ENOTDIR)
    mask = convert_arg(arg)
    mark = DNOTIFY.mark_of(inode) or DnotifyMark(DNOTIFY, inode)
    owner = owner_of(file)
    if not owner.id:
        creds = task.group.creds
        owner.type, owner.id, owner.uid, owner.euid = F_OWNER_PID, task.group.pid, creds.uid, creds.euid
    for dn in mark.dns:
        if dn.file is file and dn.owner is table:            # attach_dn: more events for the registration
            dn.fd, dn.mask = fd, dn.mask | mask
            break
    else:
        mark.dns.insert(0, DnotifyStruct(mask, fd, file, table, task.kernel))
    mark.recalc()
    return 0
