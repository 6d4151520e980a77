"""fanotify_init, fanotify_mark (Linux's fs/notify/fanotify/fanotify_user.c).  The groups are
fs/notify/fanotify.py; the events come from the fsnotify hooks (fs/notify/fsnotify.py).  Without
CAP_SYS_ADMIN (root here) only a fid-mode group with inode marks is allowed (Linux 5.13's unprivileged groups:
no descriptors, no other process's pid)."""
from __future__ import annotations

import errno

from pynix.errors import KernelError
from pynix.fs.notify.fanotify import (ALL_EVENTS, EVENT_FLAGS, FAN_CLASS_CONTENT, FAN_CLASS_PRE_CONTENT, FAN_CLOEXEC,
                                      FAN_ENABLE_AUDIT, FAN_EVENT_ON_CHILD, FAN_FS_ERROR, FAN_MARK_ADD,
                                      FAN_MARK_DONT_FOLLOW, FAN_MARK_EVICTABLE, FAN_MARK_FILESYSTEM, FAN_MARK_FLUSH,
                                      FAN_MARK_IGNORE, FAN_MARK_IGNORED_MASK, FAN_MARK_IGNORED_SURV_MODIFY,
                                      FAN_MARK_INODE, FAN_MARK_MOUNT, FAN_MARK_ONLYDIR, FAN_MARK_REMOVE, FAN_NONBLOCK,
                                      FAN_RENAME, FAN_REPORT_DIR_FID, FAN_REPORT_FID, FAN_REPORT_NAME,
                                      FAN_REPORT_PIDFD, FAN_REPORT_TARGET_FID, FAN_REPORT_TID,
                                      FAN_UNLIMITED_MARKS, FAN_UNLIMITED_QUEUE, FD_EVENTS, FID_BITS, PERM_EVENTS,
                                      Fanotify, new_group)
from pynix.fs.notify.fsnotify import TYPE_INODE, TYPE_MOUNT, TYPE_SB
from pynix.fs.vfs import MAY_READ, permission
from pynix.syscall.fs_path import AT_SYMLINK_NOFOLLOW, lookup_at
from pynix.syscall.registry import s32, syscall
from pynix.task.capability import capable
from pynix.task.task import Task
from pynix.uapi.capability import CAP_SYS_ADMIN
from pynix.uapi.fcntl import O_ACCMODE, O_APPEND, O_CLOEXEC, O_DSYNC, O_LARGEFILE, O_NOATIME, O_NONBLOCK, O_SYNC

CLASS_BITS = FAN_CLASS_CONTENT | FAN_CLASS_PRE_CONTENT
ADMIN_INIT_FLAGS = (CLASS_BITS | FAN_REPORT_TID | FAN_REPORT_PIDFD | FAN_UNLIMITED_QUEUE | FAN_UNLIMITED_MARKS
                    | FAN_ENABLE_AUDIT)
INIT_FLAGS = (FAN_CLOEXEC | FAN_NONBLOCK | CLASS_BITS | FAN_UNLIMITED_QUEUE | FAN_UNLIMITED_MARKS | FAN_ENABLE_AUDIT
              | FAN_REPORT_PIDFD | FAN_REPORT_TID | FID_BITS)
EVENT_F_BITS = O_ACCMODE | O_APPEND | O_NONBLOCK | O_SYNC | O_DSYNC | O_CLOEXEC | O_LARGEFILE | O_NOATIME
MARK_TYPES = {FAN_MARK_INODE: TYPE_INODE, FAN_MARK_MOUNT: TYPE_MOUNT, FAN_MARK_FILESYSTEM: TYPE_SB}
MARK_FLAGS = (FAN_MARK_ADD | FAN_MARK_REMOVE | FAN_MARK_FLUSH | FAN_MARK_MOUNT | FAN_MARK_FILESYSTEM
              | FAN_MARK_IGNORED_MASK | FAN_MARK_IGNORE | FAN_MARK_DONT_FOLLOW | FAN_MARK_ONLYDIR
              | FAN_MARK_IGNORED_SURV_MODIFY | FAN_MARK_EVICTABLE)


@syscall
def sys_fanotify_init(task: Task, flags: int, event_f_flags: int) -> int:
    """EPERM without CAP_SYS_ADMIN unless a fid mode without admin-only flags; EINVAL for unknown flags,
    FAN_REPORT_PIDFD with FAN_REPORT_TID, bad event_f_flags, FAN_REPORT_NAME without FAN_REPORT_DIR_FID,
    FAN_REPORT_TARGET_FID without both -- and for what pynix does not do: FAN_REPORT_TARGET_FID and
    FAN_ENABLE_AUDIT."""
    flags, event_f_flags = flags & 0xFFFFFFFF, event_f_flags & 0xFFFFFFFF
    fid_mode, klass = flags & FID_BITS, flags & CLASS_BITS
    unprivileged = not capable(task, CAP_SYS_ADMIN)
    if unprivileged and (flags & ADMIN_INIT_FLAGS or not fid_mode):
        raise KernelError(errno.EPERM)               # an unprivileged group reports fids only, with limits
    if flags & ~INIT_FLAGS or flags & FAN_REPORT_PIDFD and flags & FAN_REPORT_TID:
        raise KernelError(errno.EINVAL)
    if event_f_flags & ~EVENT_F_BITS or event_f_flags & O_ACCMODE == O_ACCMODE:
        raise KernelError(errno.EINVAL)
    if fid_mode and klass or fid_mode & FAN_REPORT_NAME and not fid_mode & FAN_REPORT_DIR_FID:
        raise KernelError(errno.EINVAL)
    if fid_mode & FAN_REPORT_TARGET_FID and (fid_mode & (FAN_REPORT_NAME | FAN_REPORT_FID)
                                             != FAN_REPORT_NAME | FAN_REPORT_FID):
        raise KernelError(errno.EINVAL)
    if klass == CLASS_BITS:
        raise KernelError(errno.EINVAL)
    if flags & FAN_ENABLE_AUDIT or fid_mode & FAN_REPORT_TARGET_FID:
        raise KernelError(errno.EINVAL)                   # not implemented (see fs/notify/fanotify.py)
    group = new_group(task.kernel, flags, event_f_flags | O_LARGEFILE, task.group.creds.euid, unprivileged)
    return task.group.fds.install(group, bool(flags & FAN_CLOEXEC))


@syscall
def sys_fanotify_mark(task: Task, fanotify_fd: int, flags: int, mask: int, dirfd: int, pathname: int) -> int:
    """do_fanotify_mark's checks in its order, then add to, remove from or flush the group's marks."""
    flags = flags & 0xFFFFFFFF
    if mask >> 32:
        raise KernelError(errno.EINVAL)
    kind = MARK_TYPES.get(flags & (FAN_MARK_MOUNT | FAN_MARK_FILESYSTEM))
    cmd = flags & (FAN_MARK_ADD | FAN_MARK_REMOVE | FAN_MARK_FLUSH)
    ignore = flags & (FAN_MARK_IGNORED_MASK | FAN_MARK_IGNORE)
    if flags & ~MARK_FLAGS or kind is None:
        raise KernelError(errno.EINVAL)
    if cmd in (FAN_MARK_ADD, FAN_MARK_REMOVE):
        if not mask:
            raise KernelError(errno.EINVAL)
    elif cmd != FAN_MARK_FLUSH or flags & ~(FAN_MARK_MOUNT | FAN_MARK_FILESYSTEM | FAN_MARK_FLUSH):
        raise KernelError(errno.EINVAL)
    if mask & ~(ALL_EVENTS | EVENT_FLAGS | PERM_EVENTS) or ignore == FAN_MARK_IGNORED_MASK | FAN_MARK_IGNORE:
        raise KernelError(errno.EINVAL)
    if ignore == FAN_MARK_IGNORED_MASK:
        mask &= ~EVENT_FLAGS                     # the event flags mean nothing in a legacy ignore mask
    group = task.group.fds.get(s32(fanotify_fd))
    if not isinstance(group, Fanotify):
        raise KernelError(errno.EINVAL)
    if kind != TYPE_INODE and (group.unprivileged or not capable(task, CAP_SYS_ADMIN)):
        raise KernelError(errno.EPERM)
    if mask & PERM_EVENTS and not group.permission or mask & FAN_FS_ERROR and kind != TYPE_SB or \
            flags & FAN_MARK_EVICTABLE and kind != TYPE_INODE:
        raise KernelError(errno.EINVAL)              # (a notification-class group: no permission events)
    if mask & ~(FD_EVENTS | PERM_EVENTS | EVENT_FLAGS) and (not group.fid_mode or kind == TYPE_MOUNT) or \
            mask & FAN_RENAME and not group.fid_mode & FAN_REPORT_NAME:
        raise KernelError(errno.EINVAL)              # a fid mode, not a mount mark; FAN_RENAME: with names
    if cmd == FAN_MARK_FLUSH:
        group.flush_marks(kind)
        return 0
    path = _find_path(task, dirfd, pathname, flags)
    inode = path.inode
    if cmd == FAN_MARK_ADD and ignore == FAN_MARK_IGNORE and (kind != TYPE_INODE or inode.is_dir) and \
            not flags & FAN_MARK_IGNORED_SURV_MODIFY:
        raise KernelError(errno.EINVAL if kind != TYPE_INODE else errno.EISDIR)
    if kind != TYPE_INODE or not inode.is_dir:
        mask &= ~FAN_EVENT_ON_CHILD
    obj = inode if kind == TYPE_INODE else path.mount if kind == TYPE_MOUNT else inode.sb
    if cmd == FAN_MARK_ADD:
        if ignore and not flags & FAN_MARK_IGNORED_SURV_MODIFY and kind == TYPE_INODE and inode.writecount > 0:
            return 0                                 # an ignore mask would be cleared at once by the writer
        group.add_mark(obj, kind, mask, flags, inode.sb.dev)
    else:
        group.remove_mark(obj, kind, mask, flags)
    return 0


def _find_path(task: Task, dirfd: int, pathname: int, flags: int):
    """fanotify_find_path: the object `pathname` names from `dirfd` (no pathname: `dirfd` itself), ENOTDIR for
    FAN_MARK_ONLYDIR on a non-directory, EACCES without read permission."""
    if not pathname:
        file = task.group.fds.get(s32(dirfd))
        path = getattr(file, "path", None)
        if path is None:
            raise KernelError(errno.EBADF)
    else:
        path = lookup_at(task, dirfd, pathname, AT_SYMLINK_NOFOLLOW if flags & FAN_MARK_DONT_FOLLOW else 0)
    if flags & FAN_MARK_ONLYDIR and not path.inode.is_dir:
        raise KernelError(errno.ENOTDIR)
    permission(path.inode, MAY_READ, task.group.creds)
    return path
