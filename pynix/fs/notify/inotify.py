"""inotify instances (Linux's fs/notify/inotify/): a group of watches and the queue of their events.

A watch is a mark on an inode with a watch descriptor (wd, numbered from 1, cyclically, per instance; the same
inode watched twice keeps its wd).  Events are queued as `struct inotify_event` records -- wd, mask, cookie,
len and the name NUL-padded to a multiple of 16 bytes -- and an event equal to the last one still queued is
dropped (inotify_merge).  Past max_queued_events one IN_Q_OVERFLOW event (wd -1) is queued and the rest lost.
A removed watch -- inotify_rm_watch, IN_ONESHOT after its event, its inode deleted -- queues IN_IGNORED.

read() returns whole events: EINVAL if the first does not fit, EAGAIN or a sleep when there are none.
"""
from __future__ import annotations

import errno
import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pynix.errors import KernelError
from pynix.fs.anon_inodes import AnonInodeFile
from pynix.fs.file import O_NONBLOCK, O_RDONLY, POLLIN, POLLRDNORM
from pynix.fs.notify.fsnotify import (FS_EVENT_ON_CHILD, FS_IN_IGNORED, FS_ISDIR, FS_Q_OVERFLOW, FS_UNMOUNT,
                                      InodeEventGroup, Mark)
from pynix.sync.wait import Block, WaitQueue

if TYPE_CHECKING:
    from pynix.mm.iov_iter import IovIter
    from pynix.fs.vfs import Inode
    from pynix.task.task import Task

IN_ONESHOT, IN_MASK_ADD, IN_MASK_CREATE, IN_EXCL_UNLINK = 0x80000000, 0x20000000, 0x10000000, 0x04000000
IN_ONLYDIR, IN_DONT_FOLLOW = 0x01000000, 0x02000000
IN_DELETE_SELF, IN_MOVE_SELF = 0x400, 0x800
IN_ALL_EVENTS = 0xFFF
EVENT_HEADER = struct.Struct("<iIII")        # wd mask cookie len


@dataclass
class InotifyLimits:
    """/proc/sys/fs/inotify."""
    max_queued_events: int = 16384
    max_user_instances: int = 128
    max_user_watches: int = 8192


LIMITS = InotifyLimits()


class InotifyMark(Mark):
    def __init__(self, group: "Inotify", inode: "Inode", mask: int, wd: int) -> None:
        super().__init__(group, inode, mask)
        self.wd = wd

    @property
    def excl_unlink(self) -> bool:
        return bool(self.mask & IN_EXCL_UNLINK)


class Inotify(InodeEventGroup, AnonInodeFile):
    """An inotify instance (struct fsnotify_group with its inotify data)."""

    anon_name = b"inotify"

    def __init__(self, flags: int, owner_uid: int) -> None:
        super().__init__(O_RDONLY | (flags & O_NONBLOCK))
        self.owner_uid = owner_uid
        self.events: list[bytes] = []
        self.overflowed = False
        self.marks: dict[int, InotifyMark] = {}
        self.last_wd = 0
        self.queue = WaitQueue(POLLIN | POLLRDNORM)

    def proc_link_name(self) -> bytes:
        return b"anon_inode:inotify"

    # ------------------------------------------------------------------------------------------ watches
    def add_watch(self, inode: "Inode", mask: int) -> int:
        """inotify_update_watch: change the inode's existing watch (IN_MASK_ADD ORs the masks, IN_MASK_CREATE
        refuses with EEXIST) or make a new one (ENOSPC past max_user_watches)."""
        # inotify_arg_to_mask: every watch also hears its children and the unmount
        events = mask & (IN_ALL_EVENTS | IN_ONESHOT | IN_EXCL_UNLINK) | FS_EVENT_ON_CHILD | FS_UNMOUNT
        for mark in self.marks.values():
            if mark.watches(inode):
                if mask & IN_MASK_CREATE:
                    raise KernelError(errno.EEXIST)
                mark.mask = mark.mask | events if mask & IN_MASK_ADD else events
                return mark.wd
        if sum(len(group.marks) for group in _instances) >= LIMITS.max_user_watches:
            raise KernelError(errno.ENOSPC)
        wd = self.last_wd + 1
        while wd in self.marks:
            wd = wd + 1 if wd < 0x7FFFFFFF else 1
        self.last_wd = wd
        self.marks[wd] = InotifyMark(self, inode, events, wd)
        return wd

    def rm_watch(self, wd: int) -> None:
        mark = self.marks.get(wd)
        if mark is None:
            raise KernelError(errno.EINVAL)
        mark.detach()

    # ---------------------------------------------------------------------------------- fsnotify's side
    def handle_inode_event(self, mark: InotifyMark, mask: int, dir: "Inode | None", name: bytes, cookie: int) -> None:
        """inotify_handle_inode_event: queue the event (with IN_ISDIR kept, except for the self events, which
        inotify never marked), IN_ONESHOT watches then go."""
        if mask & (IN_MOVE_SELF | IN_DELETE_SELF):
            mask &= ~FS_ISDIR
        self._queue(mark.wd, mask & (mark.mask | FS_ISDIR) & ~(IN_ONESHOT | IN_EXCL_UNLINK | FS_EVENT_ON_CHILD),
                    cookie, name)
        if mark.mask & IN_ONESHOT:
            mark.detach()

    def mark_removed(self, mark: InotifyMark) -> None:
        """inotify_freeing_mark: IN_IGNORED, and the wd is free again."""
        self._queue(mark.wd, FS_IN_IGNORED, 0, b"")
        self.marks.pop(mark.wd, None)

    def _queue(self, wd: int, mask: int, cookie: int, name: bytes) -> None:
        if name:
            padded = (len(name) + 1 + 15) // 16 * 16
            record = EVENT_HEADER.pack(wd, mask, cookie, padded) + name.ljust(padded, b"\0")
        else:
            record = EVENT_HEADER.pack(wd, mask, cookie, 0)
        if self.events and self.events[-1] == record:
            return                                  # inotify_merge: the same event as the last one queued
        if len(self.events) >= LIMITS.max_queued_events:
            if self.overflowed:
                return
            self.overflowed = True
            record = EVENT_HEADER.pack(-1, FS_Q_OVERFLOW, 0, 0)
        self.events.append(record)
        self.queue.wake_all()

    # ------------------------------------------------------------------------------------------ the file
    def read_iter(self, task: "Task", to: "IovIter") -> int:
        size = to.count
        if not self.events:
            if self.nonblocking:
                raise KernelError(errno.EAGAIN)
            raise Block(self.queue)
        out, taken = b"", 0
        for record in self.events:
            if len(out) + len(record) > size:
                break
            out += record
            taken += 1
        if not taken:
            raise KernelError(errno.EINVAL)
        n = to.copy_to(out)                        # EFAULT before any event is consumed
        del self.events[:taken]
        if self.overflowed and not any(EVENT_HEADER.unpack_from(r)[1] & FS_Q_OVERFLOW for r in self.events):
            self.overflowed = False
        return n

    def bytes_available(self) -> int:
        return sum(len(r) for r in self.events)

    def poll_mask(self) -> int:
        return POLLIN | POLLRDNORM if self.events else 0

    def poll_queues(self, task: "Task") -> tuple[WaitQueue]:
        return (self.queue,)

    def release(self) -> None:
        """The instance is closed: its watches go, silently."""
        _instances.discard(self)
        for mark in list(self.marks.values()):
            mark.detach()
        self.events.clear()


_instances: "set[Inotify]" = set()


def new_instance(flags: int, uid: int) -> Inotify:
    """inotify_init1's object: EMFILE past max_user_instances for one user."""
    if sum(1 for i in _instances if i.owner_uid == uid) >= LIMITS.max_user_instances:
        raise KernelError(errno.EMFILE)
    instance = Inotify(flags, uid)
    _instances.add(instance)
    return instance
