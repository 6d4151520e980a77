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
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from pynix.uapi.fcntl import O_PATH

if TYPE_CHECKING:
    from pynix.fs.file import File
    from pynix.fs.vfs import Dentry, Inode, Mount, SuperBlock, VfsPath

FS_ACCESS, FS_MODIFY, FS_ATTRIB, FS_CLOSE_WRITE, FS_CLOSE_NOWRITE, FS_OPEN = 0x1, 0x2, 0x4, 0x8, 0x10, 0x20
FS_MOVED_FROM, FS_MOVED_TO, FS_CREATE, FS_DELETE, FS_DELETE_SELF, FS_MOVE_SELF = 0x40, 0x80, 0x100, 0x200, 0x400, 0x800
FS_OPEN_EXEC, FS_UNMOUNT, FS_Q_OVERFLOW, FS_IN_IGNORED = 0x1000, 0x2000, 0x4000, 0x8000
FS_OPEN_PERM, FS_ACCESS_PERM, FS_OPEN_EXEC_PERM = 0x10000, 0x20000, 0x40000
FS_EVENT_ON_CHILD, FS_RENAME, FS_DN_MULTISHOT, FS_ISDIR = 0x08000000, 0x10000000, 0x20000000, 0x40000000
# Events a directory's mark also receives for its children (FS_EVENTS_POSS_ON_CHILD)
ON_CHILD = (FS_ACCESS | FS_MODIFY | FS_ATTRIB | FS_CLOSE_WRITE | FS_CLOSE_NOWRITE | FS_OPEN | FS_OPEN_EXEC
            | FS_OPEN_PERM | FS_ACCESS_PERM | FS_OPEN_EXEC_PERM)
ALL_FSNOTIFY_EVENTS = 0xFFFF | FS_OPEN_PERM | FS_ACCESS_PERM | FS_OPEN_EXEC_PERM | FS_RENAME
# The kinds of mark an event is matched against (FSNOTIFY_ITER_TYPE_*)
TYPE_INODE, TYPE_PARENT, TYPE_INODE2, TYPE_MOUNT, TYPE_SB = 0, 1, 2, 3, 4

_cookies = itertools.count(1)              # fsnotify_get_cookie: pairs a MOVED_FROM with its MOVED_TO
active_marks = 0                           # marks in existence: 0 makes every hook a no-op
perm_groups = 0                            # groups that may answer permission events: 0 makes those hooks no-ops
_opened: "dict[tuple[SuperBlock, int], int]" = {}   # open files of each inode (superblock, number)
_removed: "set[tuple[SuperBlock, int]]" = set()     # inodes unlinked while open: DELETE_SELF at their last close
_mount_marks: "dict[Mount, list[Mark]]" = {}       # FAN_MARK_MOUNT marks, by mount
_sb_marks: "dict[SuperBlock, list[Mark]]" = {}     # FAN_MARK_FILESYSTEM marks, by superblock


@dataclass(eq=False)
class Event:
    """One fsnotify() call: `mask` happened to `data`.  `inode` is whose own marks hear it (for a dirent event
    -- create, delete, move -- the directory, else `data` itself); `dir` and `name` are the parent and the
    entry's name when known; `path` is the object's path for the events a file raises (open, read, write,
    close), which mount marks and fanotify's event descriptors need."""
    mask: int
    inode: "Inode"
    data: "Inode"
    dir: "Inode | None" = None
    name: bytes = b""
    cookie: int = 0
    path: "VfsPath | None" = None
    dirent: bool = False
    new_dir: "Inode | None" = None          # FS_RENAME: where the entry went, and its new name
    new_name: bytes = b""


class Group(Protocol):
    """A mark's owner (struct fsnotify_group): inotify, dnotify and fanotify instances."""

    def handle_event(self, event: Event, marks: "list[tuple[Mark, int]]") -> None:
        """The group's marks in `marks` (each with its TYPE_*) matched `event`: once per group and event."""

    def mark_removed(self, mark: "Mark") -> None: ...


class InodeEventGroup:
    """A group that hears each mark's events apart (Linux's fsnotify_handle_event for groups with
    handle_inode_event: inotify, dnotify): a mark on the directory hears a child's event with the child's name,
    a mark on the object hears it without; a mark with IN_EXCL_UNLINK hears nothing of an open file that was
    unlinked."""

    def handle_event(self, event: Event, marks: "list[tuple[Mark, int]]") -> None:
        if event.mask & FS_RENAME and not _same(event.dir, event.new_dir):
            return                                # (dnotify's DN_RENAME: a rename within the directory)
        unlinked = None
        for mark, kind in marks:
            if mark.excl_unlink and event.path is not None:
                if unlinked is None:
                    unlinked = event.data.stat()["nlink"] == 0
                if unlinked:
                    continue
            if kind == TYPE_PARENT:
                if mark.mask & FS_EVENT_ON_CHILD and event.mask & mark.mask & ALL_FSNOTIFY_EVENTS:
                    self.handle_inode_event(mark, event.mask | FS_EVENT_ON_CHILD, event.dir, event.name,
                                            event.cookie)
            elif kind == TYPE_INODE and event.mask & mark.mask & ALL_FSNOTIFY_EVENTS:
                if event.dirent:
                    self.handle_inode_event(mark, event.mask, event.inode, event.name, event.cookie)
                else:
                    self.handle_inode_event(mark, event.mask, None, b"", event.cookie)

    def handle_inode_event(self, mark: "Mark", mask: int, dir: "Inode | None", name: bytes, cookie: int) -> None:
        raise NotImplementedError


class Mark:
    """struct fsnotify_mark: `group` wants the events in `mask` that concern `obj` -- an inode (kept by its
    superblock, see above), a Mount (FAN_MARK_MOUNT) or a SuperBlock (FAN_MARK_FILESYSTEM)."""

    excl_unlink = False                   # FSNOTIFY_MARK_FLAG_EXCL_UNLINK: no events of open files once unlinked

    def __init__(self, group: Group, obj: "Inode | Mount | SuperBlock", mask: int, kind: int = TYPE_INODE) -> None:
        global active_marks
        self.group, self.mask, self.kind = group, mask, kind
        self.inode = obj if kind == TYPE_INODE else None
        self.obj = obj
        self._list().append(self)
        active_marks += 1

    def _list(self) -> "list[Mark]":
        if self.kind == TYPE_MOUNT:
            return _mount_marks.setdefault(self.obj, [])
        if self.kind == TYPE_SB:
            return _sb_marks.setdefault(self.obj, [])
        sb = self.obj.sb
        if sb.fsnotify_marks is None:
            sb.fsnotify_marks = {}
        return sb.fsnotify_marks.setdefault(self.obj.ino, [])

    def watches(self, inode: "Inode") -> bool:
        return self.inode is not None and inode.sb is self.inode.sb and inode.ino == self.inode.ino

    def detach(self) -> None:
        """Take the mark off its object (fsnotify_destroy_mark); the group says goodbye (IN_IGNORED)."""
        global active_marks
        marks = self._list()
        if self in marks:
            marks.remove(self)
            if not marks:
                if self.kind == TYPE_MOUNT:
                    del _mount_marks[self.obj]
                elif self.kind == TYPE_SB:
                    del _sb_marks[self.obj]
                else:
                    del self.obj.sb.fsnotify_marks[self.obj.ino]
            active_marks -= 1
            self.group.mark_removed(self)


def marks_of(inode: "Inode") -> list[Mark]:
    table = inode.sb.fsnotify_marks
    return table.get(inode.ino, []) if table else []


def _same(a: "Inode | None", b: "Inode | None") -> bool:
    """One inode (overlayfs has one Inode object per name: compare numbers)."""
    return a is b or a is not None and b is not None and a.sb is b.sb and a.ino == b.ino


def _isdir(inode: "Inode") -> int:
    return FS_ISDIR if inode.is_dir else 0


def fsnotify(event: Event, parent: "Inode | None" = None) -> None:
    """Linux's fsnotify(): the marks of the event's inode, of `parent` (a directory hearing about a child), of
    the path's mount and of the superblock, handed to each group they belong to, once."""
    found: "list[tuple[Mark, int]]" = [(m, TYPE_PARENT) for m in marks_of(parent)] if parent is not None else []
    found += [(m, TYPE_INODE) for m in marks_of(event.inode)]
    if event.new_dir is not None:
        found += [(m, TYPE_INODE2) for m in marks_of(event.new_dir)]
    if _mount_marks and event.path is not None:
        found += [(m, TYPE_MOUNT) for m in _mount_marks.get(event.path.mount, ())]
    if _sb_marks:
        found += [(m, TYPE_SB) for m in _sb_marks.get(event.data.sb, ())]
    if not found:
        return
    groups: "dict[int, tuple[Group, list[tuple[Mark, int]]]]" = {}
    for mark, kind in found:
        groups.setdefault(id(mark.group), (mark.group, []))[1].append((mark, kind))
    for group, marks in groups.values():
        group.handle_event(event, marks)


def _send(inode: "Inode", mask: int) -> None:
    """fsnotify_inode: an event of the object alone (ATTRIB of a link count, DELETE_SELF, MOVE_SELF)."""
    fsnotify(Event(mask | _isdir(inode), inode, inode))


def _send_dirent(dir: "Inode", mask: int, name: bytes, child: "Inode | None", cookie: int = 0) -> None:
    """fsnotify_name: an entry `name` of `dir` was created, removed or moved."""
    fsnotify(Event(mask, dir, child if child is not None else dir, dir, name, cookie, dirent=True))


def _notify_dentry(dentry: "Dentry", mask: int, path: "VfsPath | None" = None) -> None:
    """fsnotify_parent + fsnotify: the parent directory's marks hear a child event with the name, the object's
    own marks hear it without (and mount and superblock marks hear it once)."""
    inode = dentry.inode
    mask |= _isdir(inode)
    parent = dentry.parent
    if parent is not None and mask & ON_CHILD and parent.inode is not inode:
        fsnotify(Event(mask, inode, inode, parent.inode, dentry.name, path=path), parent.inode)
    else:
        fsnotify(Event(mask, inode, inode, path=path))


def _inode_removed(inode: "Inode") -> None:
    """fsnotify_inoderemove: the object is gone (DELETE_SELF), and so are the marks on it (IN_IGNORED)."""
    _send(inode, FS_DELETE_SELF)
    for mark in list(marks_of(inode)):
        mark.detach()


# ------------------------------------------------------------------------------------------------- hooks
def fsnotify_create(dir: "Inode", name: bytes, isdir: bool = False) -> None:
    """A name was created in `dir`: open(O_CREAT), mknod, mkdir (isdir), symlink."""
    if active_marks:
        _send_dirent(dir, FS_CREATE | (FS_ISDIR if isdir else 0), name, None)


def fsnotify_link(dir: "Inode", name: bytes, inode: "Inode") -> None:
    """link(): the inode's link count changed (ATTRIB), then a name appeared in `dir`."""
    if active_marks:
        _send(inode, FS_ATTRIB)
        _send_dirent(dir, FS_CREATE, name, inode)


def _last_link_gone(inode: "Inode") -> None:
    """The object lost its last name: DELETE_SELF now, or at the last close of the files still open on it (when
    Linux's final dput evicts it)."""
    key = (inode.sb, inode.ino)
    if key in _opened:
        _removed.add(key)
    else:
        _inode_removed(inode)


def fsnotify_unlink(dir: "Inode", victim: "Dentry") -> None:
    """unlink() succeeded: ATTRIB for the link count, DELETE_SELF when the last link went, DELETE in `dir`."""
    if active_marks:
        inode = victim.inode
        _send(inode, FS_ATTRIB)
        if inode.stat()["nlink"] == 0:            # (stat: some filesystems keep the count elsewhere)
            _last_link_gone(inode)
        _send_dirent(dir, FS_DELETE, victim.name, inode)


def fsnotify_rmdir(dir: "Inode", victim: "Dentry") -> None:
    if active_marks:
        _last_link_gone(victim.inode)
        _send_dirent(dir, FS_DELETE | FS_ISDIR, victim.name, victim.inode)


def fsnotify_move(old_dir: "Inode", old_name: bytes, new_dir: "Inode", new_name: bytes, moved: "Inode",
                  target: "Inode | None") -> None:
    """rename(): RENAME (old and new directory and name: dnotify's DN_RENAME, fanotify's FAN_RENAME), MOVED_FROM
    and MOVED_TO with one cookie, ATTRIB for a replaced target, MOVE_SELF."""
    if active_marks:
        cookie, isdir = next(_cookies) & 0xFFFFFFFF, _isdir(moved)
        fsnotify(Event(FS_RENAME | isdir, old_dir, moved, old_dir, old_name, dirent=True, new_dir=new_dir,
                       new_name=new_name))
        _send_dirent(old_dir, FS_MOVED_FROM | isdir, old_name, moved, cookie)
        _send_dirent(new_dir, FS_MOVED_TO | isdir, new_name, moved, cookie)
        if target is not None:
            _send(target, FS_ATTRIB)
        _send(moved, FS_MOVE_SELF)


def fsnotify_unmount(mount: "Mount", last: bool) -> None:
    """umount: the mount's marks go (fsnotify_vfsmount_delete); with its filesystem's last mount, every watched
    inode of it hears UNMOUNT and loses its marks, and so does the filesystem (fsnotify_sb_delete)."""
    if not active_marks:
        return
    for mark in list(_mount_marks.get(mount, ())):
        mark.detach()
    sb = mount.sb
    if not last:
        return
    for marks in list((sb.fsnotify_marks or {}).values()):
        inode = marks[0].inode
        _send(inode, FS_UNMOUNT)
        for mark in list(marks_of(inode)):
            mark.detach()
    for mark in list(_sb_marks.get(sb, ())):
        mark.detach()


def fsnotify_change(dentry: "Dentry", mask: int) -> None:
    """notify_change: FS_ATTRIB (mode, owner, times, xattrs) or FS_MODIFY (size) of the object at `dentry`."""
    if active_marks:
        _notify_dentry(dentry, mask)


def _file_event(file: "File", mask: int) -> None:
    """An event of an open file (it has its path); fanotify's own event descriptors and O_PATH descriptors raise
    none (FMODE_NONOTIFY)."""
    path = getattr(file, "path", None)
    if path is not None and not file.nonotify and not file.flags & O_PATH:
        _notify_dentry(path.dentry, mask, path)


def fsnotify_open(file: "File") -> None:
    """An open succeeded: OPEN; the file is counted among its inode's open files (for a later DELETE_SELF)."""
    path = getattr(file, "path", None)
    if path is not None and not file.flags & O_PATH:
        key = file.fsnotify_key = (path.inode.sb, path.inode.ino)
        _opened[key] = _opened.get(key, 0) + 1
    if active_marks:
        _file_event(file, FS_OPEN)


def fsnotify_open_exec(path: "VfsPath") -> None:
    """execve opens a program, a script or an ELF interpreter to run it (do_open_execat's FMODE_EXEC): first
    the permission events (a denial is EPERM), then OPEN|OPEN_EXEC and the ACCESS of reading it (kernel_read)."""
    if active_marks:
        if perm_groups:
            _notify_dentry(path.dentry, FS_OPEN_PERM | FS_OPEN_EXEC_PERM, path)
        _notify_dentry(path.dentry, FS_OPEN | FS_OPEN_EXEC, path)
        _notify_dentry(path.dentry, FS_ACCESS, path)


def fsnotify_open_perm(path: "VfsPath") -> None:
    """do_dentry_open's fsnotify_open_perm, before an existing file is opened: a listener may make the opener
    wait for its answer (sync/wait's Block: the open runs again) and deny it (EPERM)."""
    if perm_groups and active_marks:
        _notify_dentry(path.dentry, FS_OPEN_PERM, path)


def fsnotify_file_perm(file: "File") -> None:
    """rw_verify_area's fsnotify_file_perm before a read: FS_ACCESS_PERM, answered as an open's."""
    if perm_groups and active_marks:
        _file_event(file, FS_ACCESS_PERM)


def fsnotify_close_exec(path: "VfsPath") -> None:
    """execve is done with a script or ELF interpreter it opened.  (The program's own file stays open for the
    process's exe_file; its close at exit is not raised.)"""
    if active_marks:
        _notify_dentry(path.dentry, FS_CLOSE_NOWRITE, path)


def fsnotify_close(file: "File") -> None:
    """The last descriptor of an open file went: CLOSE_WRITE if it was open for writing, else CLOSE_NOWRITE;
    then, if it was the last open file of an inode that lost its last name meanwhile, DELETE_SELF."""
    if active_marks:
        _file_event(file, FS_CLOSE_WRITE if file.writable else FS_CLOSE_NOWRITE)
    key = file.fsnotify_key
    if key is not None:
        left = _opened.pop(key, 1) - 1
        if left:
            _opened[key] = left
        elif key in _removed:
            _removed.discard(key)
            if active_marks:
                _inode_removed(file.path.inode)


def fsnotify_access(file: "File", count: int) -> int:
    """A read moved `count` bytes (ACCESS if any); returns `count` so the hook wraps the read."""
    if active_marks and count > 0:
        _file_event(file, FS_ACCESS)
    return count


def fsnotify_readdir(file: "File") -> None:
    """iterate_dir: every getdents, even one at the end of the directory, is an ACCESS of it."""
    if active_marks:
        _file_event(file, FS_ACCESS)


def fsnotify_modify(file: "File", count: int) -> int:
    """A write moved `count` bytes (MODIFY if any); returns `count` so the hook wraps the write."""
    if active_marks and count > 0:
        _file_event(file, FS_MODIFY)
    return count
