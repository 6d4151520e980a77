"""fsnotify: the one place filesystem events are raised (Linux's include/linux/fsnotify.h and fs/notify/fsnotify.c).

The system calls that change or use files call these hooks after they succeed, one line each: creating, linking,
removing and renaming names; changing attributes, sizes and contents; opening, reading and closing files.  A hook
turns what happened into FS_* events (the same bits as inotify's IN_*) and hands them to every mark on the
inodes concerned: the object itself, and for the events a directory can watch on its children, its parent
directory, with the child's name (fsnotify_parent).  A mark belongs to a group -- an inotify instance -- which
queues the events (fs/notify/inotify.py).

Marks are kept by the inode's superblock, under its inode number (`SuperBlock.fsnotify_marks`), rather than on
the Inode object as in Linux: overlayfs here has one Inode object per name, so the hard links of one file, or a
file before and after copy-up, are different objects with one inode number.  While no mark exists anywhere every
hook returns at once, so the hooks cost nothing on the read/write paths of a machine nobody watches.
"""
from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from pynix.fs.file import File
    from pynix.fs.vfs import Dentry, Inode

FS_ACCESS, FS_MODIFY, FS_ATTRIB, FS_CLOSE_WRITE, FS_CLOSE_NOWRITE, FS_OPEN = 0x1, 0x2, 0x4, 0x8, 0x10, 0x20
FS_MOVED_FROM, FS_MOVED_TO, FS_CREATE, FS_DELETE, FS_DELETE_SELF, FS_MOVE_SELF = 0x40, 0x80, 0x100, 0x200, 0x400, 0x800
FS_UNMOUNT, FS_Q_OVERFLOW, FS_IN_IGNORED, FS_ISDIR = 0x2000, 0x4000, 0x8000, 0x40000000
# Events a directory's mark also receives for its children (FS_EVENTS_POSS_ON_CHILD)
ON_CHILD = FS_ACCESS | FS_MODIFY | FS_ATTRIB | FS_CLOSE_WRITE | FS_CLOSE_NOWRITE | FS_OPEN

_cookies = itertools.count(1)              # fsnotify_get_cookie: pairs a MOVED_FROM with its MOVED_TO
active_marks = 0                           # marks in existence: 0 makes every hook a no-op


class Group(Protocol):
    """What a mark's owner does with an event (inotify's handle_inode_event)."""

    def handle_event(self, mark: "Mark", mask: int, name: bytes, cookie: int) -> None: ...

    def mark_removed(self, mark: "Mark") -> None: ...


class Mark:
    """struct fsnotify_mark: `group` wants the events in `mask` that concern `inode`."""

    def __init__(self, group: Group, inode: "Inode", mask: int) -> None:
        global active_marks
        self.group, self.inode, self.mask = group, inode, mask
        sb = inode.sb
        if sb.fsnotify_marks is None:
            sb.fsnotify_marks = {}
        sb.fsnotify_marks.setdefault(inode.ino, []).append(self)
        active_marks += 1

    def watches(self, inode: "Inode") -> bool:
        return inode.sb is self.inode.sb and inode.ino == self.inode.ino

    def detach(self) -> None:
        """Take the mark off its inode (fsnotify_destroy_mark); the group says goodbye (IN_IGNORED)."""
        global active_marks
        marks = marks_of(self.inode)
        if self in marks:
            marks.remove(self)
            if not marks:
                del self.inode.sb.fsnotify_marks[self.inode.ino]
            active_marks -= 1
            self.group.mark_removed(self)


def marks_of(inode: "Inode") -> list[Mark]:
    table = inode.sb.fsnotify_marks
    return table.get(inode.ino, []) if table else []


def _isdir(inode: "Inode") -> int:
    return FS_ISDIR if inode.is_dir else 0


def _send(inode: "Inode", mask: int, name: bytes = b"", cookie: int = 0) -> None:
    """fsnotify(): every mark of `inode` interested in `mask` gets the event."""
    marks = marks_of(inode)
    if marks:
        for mark in list(marks):
            if mark.mask & mask & ~FS_ISDIR:
                mark.group.handle_event(mark, mask, name, cookie)


def _notify_dentry(dentry: "Dentry", mask: int) -> None:
    """fsnotify_parent + fsnotify: the parent directory's marks get a child event with the name, then the
    object's own marks get it without."""
    inode = dentry.inode
    mask |= _isdir(inode)
    parent = dentry.parent
    if parent is not None and mask & ON_CHILD and marks_of(parent.inode):
        _send(parent.inode, mask, dentry.name)
    _send(inode, mask)


def _inode_removed(inode: "Inode") -> None:
    """fsnotify_inoderemove: the object is gone (DELETE_SELF), and so are the marks on it (IN_IGNORED)."""
    _send(inode, FS_DELETE_SELF)
    for mark in list(marks_of(inode)):
        mark.detach()


# ------------------------------------------------------------------------------------------------- hooks
def fsnotify_create(dir: "Inode", name: bytes, isdir: bool = False) -> None:
    """A name was created in `dir`: open(O_CREAT), mknod, mkdir (isdir), symlink."""
    if active_marks:
        _send(dir, FS_CREATE | (FS_ISDIR if isdir else 0), name)


def fsnotify_link(dir: "Inode", name: bytes, inode: "Inode") -> None:
    """link(): the inode's link count changed (ATTRIB), then a name appeared in `dir`."""
    if active_marks:
        _send(inode, FS_ATTRIB)
        _send(dir, FS_CREATE, name)


def fsnotify_unlink(dir: "Inode", victim: "Dentry") -> None:
    """unlink() succeeded: ATTRIB for the link count, DELETE_SELF when the last link went, DELETE in `dir`.
    (Linux delays DELETE_SELF of a file still open until its last close; here it comes at once.)"""
    if active_marks:
        inode = victim.inode
        _send(inode, FS_ATTRIB)
        if inode.stat()["nlink"] == 0:            # (stat: some filesystems keep the count elsewhere)
            _inode_removed(inode)
        _send(dir, FS_DELETE, victim.name)


def fsnotify_rmdir(dir: "Inode", victim: "Dentry") -> None:
    if active_marks:
        _inode_removed(victim.inode)
        _send(dir, FS_DELETE | FS_ISDIR, victim.name)


def fsnotify_move(old_dir: "Inode", old_name: bytes, new_dir: "Inode", new_name: bytes, moved: "Inode",
                  target: "Inode | None") -> None:
    """rename(): MOVED_FROM and MOVED_TO with one cookie, ATTRIB for a replaced target, MOVE_SELF."""
    if active_marks:
        cookie, isdir = next(_cookies) & 0xFFFFFFFF, _isdir(moved)
        _send(old_dir, FS_MOVED_FROM | isdir, old_name, cookie)
        _send(new_dir, FS_MOVED_TO | isdir, new_name, cookie)
        if target is not None:
            _send(target, FS_ATTRIB)
        _send(moved, FS_MOVE_SELF | isdir)


def fsnotify_change(dentry: "Dentry", mask: int) -> None:
    """notify_change: FS_ATTRIB (mode, owner, times, xattrs) or FS_MODIFY (size) of the object at `dentry`."""
    if active_marks:
        _notify_dentry(dentry, mask)


def fsnotify_open(file: "File") -> None:
    if active_marks and getattr(file, "path", None) is not None:
        _notify_dentry(file.path.dentry, FS_OPEN)


def fsnotify_close(file: "File") -> None:
    """The last descriptor of an open file went: CLOSE_WRITE if it was open for writing, else CLOSE_NOWRITE."""
    if active_marks and getattr(file, "path", None) is not None:
        _notify_dentry(file.path.dentry, FS_CLOSE_WRITE if file.writable else FS_CLOSE_NOWRITE)


def fsnotify_access(file: "File", count: int) -> int:
    """A read moved `count` bytes (ACCESS if any); returns `count` so the hook wraps the read."""
    if active_marks and count > 0 and getattr(file, "path", None) is not None:
        _notify_dentry(file.path.dentry, FS_ACCESS)
    return count


def fsnotify_readdir(file: "File") -> None:
    """iterate_dir: every getdents, even one at the end of the directory, is an ACCESS of it."""
    if active_marks:
        _notify_dentry(file.path.dentry, FS_ACCESS)


def fsnotify_modify(file: "File", count: int) -> int:
    """A write moved `count` bytes (MODIFY if any); returns `count` so the hook wraps the write."""
    if active_marks and count > 0 and getattr(file, "path", None) is not None:
        _notify_dentry(file.path.dentry, FS_MODIFY)
    return count
