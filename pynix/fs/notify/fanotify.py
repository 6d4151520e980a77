"""fanotify groups (Linux's fs/notify/fanotify/): marks on inodes, mounts and filesystems, and a queue of events
read as `struct fanotify_event_metadata` records.

A group hears an event once however many of its marks match it (fanotify_group_event_mask): the union of the
masks of the marks that apply -- a directory's mark applies to its children's events only with
FAN_EVENT_ON_CHILD, to events on directories only with FAN_ONDIR -- less their ignore masks
(FAN_MARK_IGNORED_MASK, cleared by a modification unless FAN_MARK_IGNORED_SURV_MODIFY).

In the classic mode an event names its object by an open file descriptor, made when the event is read, opened
with the group's event_f_flags and raising no events itself (FMODE_NONOTIFY); only events of open files (open,
read, write, close, exec) have one.  In the fid modes (FAN_REPORT_FID, FAN_REPORT_DIR_FID, FAN_REPORT_NAME) the
descriptor is FAN_NOFD and info records follow the metadata: the filesystem id and file handle
(fs/exportfs.py) of the object, of its directory, and the entry's name -- and the events of names (create,
delete, move; FAN_RENAME with the old and the new directory and name) and of attributes are reported too,
FAN_ONDIR included.

With FAN_REPORT_PIDFD a record with a pidfd of the event's process follows (FAN_NOPIDFD once it was reaped).

An event is merged into a queued one of the same object, process and directory-ness (fanotify_merge, among the
last 128 queued).  Past max_queued_events one FAN_Q_OVERFLOW event is queued and the rest lost.

A group of the classes FAN_CLASS_CONTENT and FAN_CLASS_PRE_CONTENT may also mark permission events:
FAN_OPEN_PERM (an open of an existing file, an exec), FAN_OPEN_EXEC_PERM and FAN_ACCESS_PERM (a read).  The
process that raised one waits until the listener writes a `struct fanotify_response` naming the event's
descriptor: FAN_ALLOW lets the open or read go on, FAN_DENY makes it fail with EPERM; closing the group allows
every event still pending.  The waiting process sleeps in the restart style of sync/wait.py: its system call
runs again when woken and finds its event answered (task.restart_data).

Not here: a non-fatal signal ends the wait for a permission answer with EINTR (Linux waits killably); no
FAN_OPEN_PERM for a file the open itself creates, none for getdents, no FAN_DENY_ERRNO or FAN_INFO responses;
FAN_REPORT_TARGET_FID, FAN_REPORT_FD_ERROR, mount-namespace marks.
"""
from __future__ import annotations

import errno
import stat as st
import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pynix.fs.notify.fsnotify as fsnotify_core
from pynix.errors import KernelError
from pynix.fs.anon_inodes import AnonInodeFile
from pynix.fs.exportfs import encode_fh
from pynix.fs.file import O_NONBLOCK, O_RDWR, POLLIN, POLLRDNORM
from pynix.fs.notify.fsnotify import (ALL_FSNOTIFY_EVENTS, FS_CREATE, FS_DELETE, FS_EVENT_ON_CHILD, FS_ISDIR,
                                      FS_MODIFY, FS_MOVED_FROM, FS_MOVED_TO, FS_Q_OVERFLOW, FS_RENAME, TYPE_INODE,
                                      TYPE_INODE2, TYPE_PARENT, TYPE_SB, Event, Mark)
from pynix.fs.vfs import get_write_access, put_write_access
from pynix.sync.wait import Block, WaitQueue
from pynix.task.pidfd import PidFd
from pynix.uapi.fcntl import O_ACCMODE, O_CLOEXEC, O_RDONLY

if TYPE_CHECKING:
    from pynix.fs.file import File
    from pynix.fs.vfs import Inode, VfsPath
    from pynix.kernel import Kernel
    from pynix.mm.iov_iter import IovIter
    from pynix.task.task import Task, ThreadGroup

FAN_ACCESS, FAN_MODIFY, FAN_ATTRIB, FAN_CLOSE_WRITE, FAN_CLOSE_NOWRITE, FAN_OPEN = 0x1, 0x2, 0x4, 0x8, 0x10, 0x20
FAN_MOVED_FROM, FAN_MOVED_TO, FAN_CREATE, FAN_DELETE, FAN_DELETE_SELF, FAN_MOVE_SELF = 0x40, 0x80, 0x100, 0x200, \
    0x400, 0x800
FAN_OPEN_EXEC, FAN_Q_OVERFLOW, FAN_FS_ERROR = 0x1000, 0x4000, 0x8000
FAN_OPEN_PERM, FAN_ACCESS_PERM, FAN_OPEN_EXEC_PERM = 0x10000, 0x20000, 0x40000
FAN_EVENT_ON_CHILD, FAN_RENAME, FAN_ONDIR = 0x08000000, 0x10000000, 0x40000000
# The events an event descriptor can be made for (FANOTIFY_FD_EVENTS) and the rest (they need a fid mode)
FD_EVENTS = FAN_ACCESS | FAN_MODIFY | FAN_CLOSE_WRITE | FAN_CLOSE_NOWRITE | FAN_OPEN | FAN_OPEN_EXEC
PERM_EVENTS = FAN_OPEN_PERM | FAN_ACCESS_PERM | FAN_OPEN_EXEC_PERM
EVENT_FLAGS = FAN_EVENT_ON_CHILD | FAN_ONDIR
ALL_EVENTS = (FD_EVENTS | FAN_ATTRIB | FAN_MOVED_FROM | FAN_MOVED_TO | FAN_CREATE | FAN_DELETE | FAN_DELETE_SELF
              | FAN_MOVE_SELF | FAN_RENAME | FAN_FS_ERROR)
OUTGOING_EVENTS = ALL_EVENTS | PERM_EVENTS | FAN_Q_OVERFLOW

# fanotify_init flags
FAN_CLOEXEC, FAN_NONBLOCK = 0x1, 0x2
FAN_CLASS_NOTIF, FAN_CLASS_CONTENT, FAN_CLASS_PRE_CONTENT = 0x0, 0x4, 0x8
FAN_UNLIMITED_QUEUE, FAN_UNLIMITED_MARKS, FAN_ENABLE_AUDIT = 0x10, 0x20, 0x40
FAN_REPORT_PIDFD, FAN_REPORT_TID, FAN_REPORT_FID, FAN_REPORT_DIR_FID, FAN_REPORT_NAME = 0x80, 0x100, 0x200, \
    0x400, 0x800
FAN_REPORT_TARGET_FID = 0x1000
FID_BITS = FAN_REPORT_FID | FAN_REPORT_DIR_FID | FAN_REPORT_NAME | FAN_REPORT_TARGET_FID

# fanotify_mark flags
FAN_MARK_ADD, FAN_MARK_REMOVE, FAN_MARK_DONT_FOLLOW, FAN_MARK_ONLYDIR = 0x1, 0x2, 0x4, 0x8
FAN_MARK_MOUNT, FAN_MARK_IGNORED_MASK, FAN_MARK_IGNORED_SURV_MODIFY, FAN_MARK_FLUSH = 0x10, 0x20, 0x40, 0x80
FAN_MARK_FILESYSTEM, FAN_MARK_EVICTABLE, FAN_MARK_IGNORE = 0x100, 0x200, 0x400
FAN_MARK_INODE = 0

FANOTIFY_METADATA_VERSION = 3
FAN_NOFD = -1
METADATA = struct.Struct("<IBBHQii")          # event_len vers reserved metadata_len mask fd pid
FID_INFO = struct.Struct("<BBHIIIi")          # info_type pad len, fsid val[2], handle_bytes handle_type
FAN_EVENT_INFO_TYPE_FID, FAN_EVENT_INFO_TYPE_DFID_NAME, FAN_EVENT_INFO_TYPE_DFID = 1, 2, 3
FAN_EVENT_INFO_TYPE_OLD_DFID_NAME, FAN_EVENT_INFO_TYPE_NEW_DFID_NAME = 10, 12
FAN_EVENT_INFO_TYPE_PIDFD = 4
PIDFD_INFO = struct.Struct("<BBHi")          # struct fanotify_event_info_pidfd: header, pidfd
FAN_NOPIDFD, FAN_EPIDFD = -1, -2
DIRENT_EVENTS = FS_CREATE | FS_DELETE | FS_MOVED_FROM | FS_MOVED_TO | FS_RENAME
FAN_ALLOW, FAN_DENY, FAN_AUDIT = 0x1, 0x2, 0x10
RESPONSE = struct.Struct("<iI")              # struct fanotify_response: fd, response
MERGE_WINDOW = 128                            # FANOTIFY_MAX_MERGE_EVENTS


@dataclass
class FanotifyLimits:
    """/proc/sys/fs/fanotify."""
    max_queued_events: int = 16384
    max_user_groups: int = 128
    max_user_marks: int = 8192


LIMITS = FanotifyLimits()


class FanotifyMark(Mark):
    """A mark with its ignore mask (and whether a modification clears it)."""

    def __init__(self, group: "Fanotify", obj, kind: int, fsid: int) -> None:
        super().__init__(group, obj, 0, kind)
        self.fsid = fsid                     # the marked object's filesystem id (statfs's f_fsid: its dev, 0)
        self.ignore_mask = 0
        self.surv_modify = False
        self.ignore_flags = False            # FAN_MARK_IGNORE: the ignore mask's FAN_ONDIR/ON_CHILD count

    def applicable(self, mask: int, ondir: bool, kind: int) -> bool:
        """fsnotify_mask_applicable: a mask hears directories only with FAN_ONDIR, children only with
        FAN_EVENT_ON_CHILD."""
        return not (ondir and not mask & FS_ISDIR) and not (kind == TYPE_PARENT and not mask & FS_EVENT_ON_CHILD)

    def effective_ignore(self, ondir: bool, kind: int) -> int:
        """fsnotify_effective_ignore_mask: the legacy ignore mask also ignores events on directories, and on
        children when the mark watches them."""
        if not self.ignore_mask:
            return 0
        if not ondir and kind != TYPE_PARENT:
            return self.ignore_mask
        ignore = self.ignore_mask
        if not self.ignore_flags:
            ignore = (ignore | FS_ISDIR) & ~FS_EVENT_ON_CHILD | self.mask & FS_EVENT_ON_CHILD
        return ignore & ALL_FSNOTIFY_EVENTS if self.applicable(ignore, ondir, kind) else 0


@dataclass(eq=False)
class FanotifyEvent:
    """A queued event: a path event (classic mode), a fid event (`fh`: the object's handle), a name event
    (`dir_fh` with `name`, and `fh` of the child when both are reported), or the overflow event."""
    mask: int
    pid: int
    path: "VfsPath | None" = None
    fsid: int = 0
    fh: "tuple[int, bytes] | None" = None
    dir_fh: "tuple[int, bytes] | None" = None
    name: bytes = b""
    dir2_fh: "tuple[int, bytes] | None" = None    # FAN_RENAME: the new directory and name
    name2: bytes = b""
    response: int = 0                           # a permission event's answer (FAN_ALLOW or FAN_DENY), 0 until then
    process: "ThreadGroup | None" = None        # FAN_REPORT_PIDFD: the process a pidfd will name

    def merges_with(self, other: "FanotifyEvent") -> bool:
        """fanotify_should_merge: the same object (path, or handles and name), process and directory-ness;
        never a permission event."""
        if self.pid != other.pid or (self.mask & FS_ISDIR) != (other.mask & FS_ISDIR) or \
                (self.mask | other.mask) & (FS_Q_OVERFLOW | PERM_EVENTS | FAN_RENAME):
            return False
        if self.path is not None or other.path is not None:
            return (self.path is not None and other.path is not None and self.path.mount is other.path.mount
                    and self.path.dentry is other.path.dentry)
        return (self.fsid, self.fh, self.dir_fh, self.name) == (other.fsid, other.fh, other.dir_fh, other.name)

    def info_records(self, fid_mode: int, pidfd_mode: bool) -> bytes:
        """copy_info_records: the directory's record (with the name), the new directory's (FAN_RENAME), then
        the object's (the pidfd's record comes after them, made when read)."""
        out = b""
        if self.dir_fh is not None:
            kind = FAN_EVENT_INFO_TYPE_DFID_NAME if self.name else FAN_EVENT_INFO_TYPE_DFID
            if self.mask & FAN_RENAME:
                kind = FAN_EVENT_INFO_TYPE_OLD_DFID_NAME
            out += self._record(kind, self.dir_fh, self.name)
        if self.dir2_fh is not None:
            out += self._record(FAN_EVENT_INFO_TYPE_NEW_DFID_NAME, self.dir2_fh, self.name2)
        if self.fh is not None:
            if fid_mode == FAN_REPORT_FID or pidfd_mode or self.dir_fh is not None or self.dir2_fh is not None:
                out += self._record(FAN_EVENT_INFO_TYPE_FID, self.fh, b"")
            elif fid_mode & FAN_REPORT_NAME and self.mask & FAN_ONDIR:
                out += self._record(FAN_EVENT_INFO_TYPE_DFID_NAME, self.fh, b".")
            elif self.mask & (DIRENT_EVENTS | FAN_ONDIR):
                out += self._record(FAN_EVENT_INFO_TYPE_DFID, self.fh, b"")
            else:
                out += self._record(FAN_EVENT_INFO_TYPE_FID, self.fh, b"")
        return out

    def _record(self, info_type: int, fh: tuple[int, bytes], name: bytes) -> bytes:
        """struct fanotify_event_info_fid: header, fsid, struct file_handle, the name NUL-terminated, padded to
        4 bytes."""
        fh_type, handle = fh
        tail = handle + (name + b"\0" if name else b"")
        size = (FID_INFO.size + len(tail) + 3) // 4 * 4
        return (FID_INFO.pack(info_type, 0, size, self.fsid & 0xFFFFFFFF, self.fsid >> 32, len(handle), fh_type)
                + tail).ljust(size, b"\0")


@dataclass(eq=False)
class PermissionWait:
    """What a process waiting for permission answers keeps across its system call's runs: its event in each
    group that was asked."""
    events: "dict[Fanotify, FanotifyEvent]"


class Fanotify(AnonInodeFile):
    """A fanotify group (struct fsnotify_group with its fanotify data) and the file that reads it."""

    anon_name = b"fanotify"

    def __init__(self, kernel: "Kernel", flags: int, event_f_flags: int, owner_uid: int,
                 unprivileged: bool = False) -> None:
        super().__init__(O_RDWR | (O_NONBLOCK if flags & FAN_NONBLOCK else 0))
        self.kernel, self.init_flags, self.event_f_flags, self.owner_uid = kernel, flags, event_f_flags, owner_uid
        self.unprivileged = unprivileged     # FANOTIFY_UNPRIV: inode marks only, other processes' pids hidden
        self.max_events = (1 << 32) - 1 if flags & FAN_UNLIMITED_QUEUE else LIMITS.max_queued_events
        self.marks: list[FanotifyMark] = []
        self.events: list[FanotifyEvent] = []
        self.overflow_queued = False
        self.queue = WaitQueue(POLLIN | POLLRDNORM)
        self.permission = bool(flags & (FAN_CLASS_CONTENT | FAN_CLASS_PRE_CONTENT))
        self.access_list: dict[int, FanotifyEvent] = {}    # permission events read, by their descriptor
        self.access_queue = WaitQueue()                     # the processes waiting for answers
        if self.permission:
            fsnotify_core.perm_groups += 1

    # -------------------------------------------------------------------------------------------- marks
    def find_mark(self, obj, kind: int) -> FanotifyMark | None:
        for mark in self.marks:
            if mark.kind == kind and (mark.watches(obj) if kind == TYPE_INODE else mark.obj is obj):
                return mark
        return None

    def add_mark(self, obj, kind: int, mask: int, flags: int, fsid: int) -> None:
        """fanotify_add_mark: OR `mask` into the mark's mask, or with an ignore flag into its ignore mask."""
        mark = self.find_mark(obj, kind)
        if mark is None:
            if not self.init_flags & FAN_UNLIMITED_MARKS and \
                    sum(len(g.marks) for g in _groups if g.owner_uid == self.owner_uid) >= LIMITS.max_user_marks:
                raise KernelError(errno.ENOSPC)
            mark = FanotifyMark(self, obj, kind, fsid)
            self.marks.append(mark)
        if flags & (FAN_MARK_IGNORED_MASK | FAN_MARK_IGNORE):
            mark.ignore_mask |= mask
            mark.ignore_flags = mark.ignore_flags or bool(flags & FAN_MARK_IGNORE)
            mark.surv_modify = mark.surv_modify or bool(flags & FAN_MARK_IGNORED_SURV_MODIFY)
        else:
            mark.mask |= mask

    def remove_mark(self, obj, kind: int, mask: int, flags: int) -> None:
        """fanotify_remove_mark: ENOENT without a mark; a mark left with nothing to hear or ignore goes."""
        mark = self.find_mark(obj, kind)
        if mark is None:
            raise KernelError(errno.ENOENT)
        if flags & (FAN_MARK_IGNORED_MASK | FAN_MARK_IGNORE):
            mark.ignore_mask &= ~mask
        else:
            mark.mask &= ~mask
        if not (mark.mask | mark.ignore_mask) & ALL_FSNOTIFY_EVENTS:
            mark.detach()

    def flush_marks(self, kind: int) -> None:
        for mark in [m for m in self.marks if m.kind == kind]:
            mark.detach()

    def mark_removed(self, mark: FanotifyMark) -> None:
        if mark in self.marks:
            self.marks.remove(mark)

    # ---------------------------------------------------------------------------------- fsnotify's side
    @property
    def fid_mode(self) -> int:
        return self.init_flags & FID_BITS

    def handle_event(self, event: Event, marks: "list[tuple[FanotifyMark, int]]") -> None:
        """fanotify_handle_event: the group's mask for the event (fanotify_group_event_mask), then the event
        (fanotify_alloc_event), queued or merged."""
        mask, fid_mode = event.mask, self.fid_mode
        if mask & FS_MODIFY:                        # a modification clears ignore masks (send_to_group)
            for mark, _ in marks:
                if not mark.surv_modify:
                    mark.ignore_mask = 0
        ondir = bool(mask & FS_ISDIR)
        path = event.path
        if not fid_mode:
            if path is None or not (st.S_ISREG(path.inode.mode) or path.inode.is_dir):
                return                              # only a regular file or a directory gets a descriptor
        elif not fid_mode & FAN_REPORT_FID and event.dir is None and not ondir:
            return                                  # no directory to report
        wanted = ignored = 0
        matched: set[int] = set()                   # the kinds of mark that apply (match_mask)
        for mark, kind in marks:
            ignored |= mark.effective_ignore(ondir, kind)
            if mark.applicable(mark.mask, ondir, kind):
                wanted |= mark.mask
                matched.add(kind)
        report = mask & wanted & ~ignored & (OUTGOING_EVENTS | (EVENT_FLAGS if fid_mode else 0))
        if not report & ~EVENT_FLAGS:
            return
        task = self.kernel.current
        pid = 0 if task is None else task.tid if self.init_flags & FAN_REPORT_TID else task.group.pid
        if report & PERM_EVENTS or not fid_mode:     # (a permission group is always in the classic mode)
            new = FanotifyEvent(report, pid, path)
        else:
            fsid = next((m.fsid for m, _ in marks), 0)
            new = self._fid_event(event, report & ~FAN_EVENT_ON_CHILD, pid, fsid, matched)
        if self.init_flags & FAN_REPORT_PIDFD and task is not None:
            new.process = task.group
        if report & PERM_EVENTS:
            self._ask(task, new)
        else:
            self._insert(new)

    def _fid_event(self, event: Event, mask: int, pid: int, fsid: int, matched: set[int]) -> FanotifyEvent:
        """fanotify_alloc_event in a fid mode: which handles and name the event carries."""
        fid_mode, dirent, ondir = self.fid_mode, bool(mask & DIRENT_EVENTS), bool(mask & FAN_ONDIR)
        obj = event.inode                           # fanotify_fid_inode: a dirent event's directory, else itself
        dirobj = obj if dirent or obj.is_dir else event.dir
        child = moved = None
        name_event, name = False, b""
        if fid_mode & FAN_REPORT_DIR_FID and dirobj is not None:
            if fid_mode & FAN_REPORT_FID and not dirent and not _same(obj, dirobj):
                child = obj
            obj = dirobj
            if not fid_mode & FAN_REPORT_NAME:
                name_event = child is not None
            elif dirent or not ondir:
                name_event, name = True, event.name
            if mask & FAN_RENAME:                   # the old and the new place, as the marks that matched say
                whole_fs = TYPE_SB in matched
                if not (whole_fs or TYPE_INODE in matched):
                    dirobj, name = None, b""
                if whole_fs or TYPE_INODE2 in matched:
                    moved = event
        if name_event and (name or child is not None or moved is not None):
            return FanotifyEvent(mask, pid, fsid=fsid, dir_fh=encode_fh(dirobj) if dirobj is not None else None,
                                 name=name, fh=encode_fh(child) if child is not None else None,
                                 dir2_fh=encode_fh(moved.new_dir) if moved is not None else None,
                                 name2=moved.new_name if moved is not None else b"")
        return FanotifyEvent(mask, pid, fsid=fsid, fh=encode_fh(obj))

    def _insert(self, new: FanotifyEvent) -> bool:
        """fsnotify_insert_event: past max_events the overflow event, once; else merge or queue.  Whether `new`
        itself was queued."""
        if len(self.events) >= self.max_events:
            if self.overflow_queued:
                return False
            self.overflow_queued = True
            self.events.append(FanotifyEvent(FS_Q_OVERFLOW, 0))
            self.queue.wake_all()
            return False
        for old in reversed(self.events[-MERGE_WINDOW:]):
            if old.merges_with(new):
                old.mask |= new.mask
                return False
        self.events.append(new)
        self.queue.wake_all()
        return True

    def _ask(self, task: "Task", event: FanotifyEvent) -> None:
        """fanotify_get_response: queue the permission event and sleep until it is answered; the run after the
        answer goes on (FAN_ALLOW) or fails with EPERM (FAN_DENY).  An event lost to overflow is allowed."""
        wait = task.restart_data if isinstance(task.restart_data, PermissionWait) else None
        asked = wait.events.get(self) if wait is not None else None
        if asked is not None and asked.mask == event.mask and asked.path is not None and event.path is not None \
                and asked.path.dentry is event.path.dentry:
            if not asked.response:
                raise Block(self.access_queue, data=wait)
            del wait.events[self]
            if asked.response & FAN_DENY:
                raise KernelError(errno.EPERM)
            return
        if not self._insert(event):
            return
        wait = wait or PermissionWait({})
        wait.events[self] = event
        raise Block(self.access_queue, data=wait)

    def _answer(self, event: FanotifyEvent, response: int) -> None:
        event.response = response
        self.access_queue.wake_all()

    # ------------------------------------------------------------------------------------------ the file
    def read_iter(self, task: "Task", to: "IovIter") -> int:
        """copy_event_to_user for each event that fits: EINVAL if the first does not, EAGAIN or a sleep when
        there are none; each event's descriptor is opened now, in the reader's table."""
        if not self.events:
            if self.nonblocking:
                raise KernelError(errno.EAGAIN)
            raise Block(self.queue)
        out = bytearray()
        pidfd_mode = bool(self.init_flags & FAN_REPORT_PIDFD)
        while self.events:
            event = self.events[0]
            info = event.info_records(self.fid_mode, pidfd_mode)
            size = METADATA.size + len(info) + (PIDFD_INFO.size if pidfd_mode else 0)
            if len(out) + size > to.count:
                break
            fd = FAN_NOFD
            if event.path is not None:
                try:
                    fd = self._install_fd(task, event.path)
                except KernelError:
                    if out:
                        break
                    raise
            pid = event.pid if not self.unprivileged or event.pid == task.group.pid else 0
            if pidfd_mode:
                info += PIDFD_INFO.pack(FAN_EVENT_INFO_TYPE_PIDFD, 0, PIDFD_INFO.size,
                                        self._install_pidfd(task, event.process) if pid else FAN_NOPIDFD)
            out += METADATA.pack(size, FANOTIFY_METADATA_VERSION, 0, METADATA.size, event.mask, fd, pid) + info
            del self.events[0]
            if event.mask & FS_Q_OVERFLOW:
                self.overflow_queued = False
            if event.mask & PERM_EVENTS:
                self.access_list[fd] = event          # waiting for the response naming its descriptor
        if not out:
            raise KernelError(errno.EINVAL)
        return to.copy_to(bytes(out))

    def _install_fd(self, task: "Task", path: "VfsPath") -> int:
        """create_fd: open the object with the group's event_f_flags, as an open that raises no events."""
        flags = self.event_f_flags & ~O_CLOEXEC
        inode = path.inode
        writes = flags & O_ACCMODE != O_RDONLY and st.S_ISREG(inode.mode)
        if writes:
            get_write_access(inode)
        try:
            file: "File" = inode.open(path, flags)
        except BaseException:
            if writes:
                put_write_access(inode)
            raise
        if writes:
            file.write_access = inode
        file.nonotify = True
        return task.group.fds.install(file, bool(self.event_f_flags & O_CLOEXEC))

    def write_iter(self, task: "Task", source: "IovIter") -> int:
        """fanotify_write, process_access_response: EINVAL for less than a response, a bad descriptor or answer,
        FAN_AUDIT without FAN_ENABLE_AUDIT; ENOENT when no permission event read has that descriptor."""
        if source.count < RESPONSE.size:
            raise KernelError(errno.EINVAL)
        data = source.copy_from(RESPONSE.size)
        if len(data) != RESPONSE.size:
            raise KernelError(errno.EFAULT)
        fd, response = RESPONSE.unpack(data)
        if fd < 0 or response & ~(FAN_ALLOW | FAN_DENY | FAN_AUDIT) or response & 3 not in (FAN_ALLOW, FAN_DENY) \
                or response & FAN_AUDIT:
            raise KernelError(errno.EINVAL)
        event = self.access_list.pop(fd, None)
        if event is None:
            raise KernelError(errno.ENOENT)
        self._answer(event, response)
        return RESPONSE.size

    def _install_pidfd(self, task: "Task", process: "ThreadGroup | None") -> int:
        """pidfd_prepare for the event's process, close-on-exec: FAN_NOPIDFD once it has been reaped,
        FAN_EPIDFD when no descriptor can be made."""
        if process is None or task.kernel.groups.get(process.pid) is not process:
            return FAN_NOPIDFD
        try:
            return task.group.fds.install(PidFd(process, 0), cloexec=True)
        except KernelError:
            return FAN_EPIDFD

    def bytes_available(self) -> int:
        """FIONREAD: FAN_EVENT_METADATA_LEN for each queued event."""
        return METADATA.size * len(self.events)

    def poll_mask(self) -> int:
        return POLLIN | POLLRDNORM if self.events else 0

    def poll_queues(self, task: "Task") -> tuple[WaitQueue]:
        return (self.queue,)

    def release(self) -> None:
        """The group is closed: its marks go, its events are dropped."""
        _groups.discard(self)
        for mark in list(self.marks):
            mark.detach()
        for event in self.events + list(self.access_list.values()):
            if event.mask & PERM_EVENTS:
                self._answer(event, FAN_ALLOW)      # fanotify_release: whatever waits is allowed
        self.events.clear()
        self.access_list.clear()
        if self.permission:
            fsnotify_core.perm_groups -= 1


def _same(a: "Inode", b: "Inode") -> bool:
    return a.sb is b.sb and a.ino == b.ino


_groups: "set[Fanotify]" = set()


def new_group(kernel: "Kernel", flags: int, event_f_flags: int, uid: int, unprivileged: bool) -> Fanotify:
    """fanotify_init's group: EMFILE past max_user_groups for one user."""
    if sum(1 for g in _groups if g.owner_uid == uid) >= LIMITS.max_user_groups:
        raise KernelError(errno.EMFILE)
    group = Fanotify(kernel, flags, event_f_flags, uid, unprivileged)
    _groups.add(group)
    return group
