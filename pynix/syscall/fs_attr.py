"""Attributes, syncing, space and locks: fchmod/fchmodat/fchmodat2/chmod, fchown/fchownat/chown/lchown,
utimensat/utimes/utime/futimesat, fsync/fdatasync/sync/syncfs/sync_file_range, fadvise64/readahead, fallocate,
flock, and the record-lock commands of fcntl (`fcntl_lock`, called from fs_fd.sys_fcntl).

The checks follow Linux's order: descriptor or path first, then EROFS (mnt_want_write), then the attribute
rules of notify_change/setattr_prepare (owner or CAP_FOWNER for chmod and explicit times, write permission for
"touch now", CAP_CHOWN rules for chown; chmod of a symlink is EOPNOTSUPP since Linux 6.6; chown of a non-directory
clears set-user-ID and executable set-group-ID, even for root, and the file capabilities).  Lock state lives in fs/locks.py.
"""
from __future__ import annotations

import errno
import os
import stat as st
import struct

from pynix.block.genhd import sync_all_block_devices
from pynix.errors import KernelError
from pynix.fs import locks
from pynix.fs.file import File, HostStreamFile, O_PATH
from pynix.fs.file_ops import RegularFile, allocate_range, punch_hole, truncate_file
from pynix.fs.notify.fsnotify import FS_ACCESS, FS_ATTRIB, FS_MODIFY, fsnotify_change
from pynix.fs.pipe import PipeFile
from pynix.fs.vfs import MAY_WRITE, Inode, VfsPath, now_ns, permission
from pynix.mm.page_cache import sync_inode
from pynix.mm.uaccess import copy_from_user, copy_to_user
from pynix.syscall.fs_namei import in_group, in_group_or_capable, owner_or_capable
from pynix.syscall.fs_path import check_writable, lookup_at
from pynix.syscall.registry import s32, s64, syscall
from pynix.task.capability import capable, file_remove_privs, inode_killpriv
from pynix.task.task import Task
from pynix.uapi.capability import CAP_CHOWN
from pynix.uapi.fcntl import AT_EMPTY_PATH, AT_FDCWD, AT_SYMLINK_NOFOLLOW

_CWD = AT_FDCWD & 0xFFFFFFFF
UTIME_NOW, UTIME_OMIT = (1 << 30) - 1, (1 << 30) - 2


def fdget(task: Task, fd: int) -> File:
    """Linux's fdget: the open file of `fd`; EBADF if none or if it was opened O_PATH."""
    file = task.group.fds.get(s32(fd))
    if file.flags & O_PATH:
        raise KernelError(errno.EBADF)
    return file


def file_path(file: File) -> VfsPath | None:
    """Where an open file sits in the VFS (regular files, directories, fifos); None for pipes, host streams."""
    return getattr(file, "path", None)


# ------------------------------------------------------------------------------------------------- chmod
def chmod_common(task: Task, path: VfsPath, mode: int) -> int:
    check_writable(path)
    inode = path.inode
    if inode.is_symlink:
        raise KernelError(errno.EOPNOTSUPP)
    if not owner_or_capable(task, inode):
        raise KernelError(errno.EPERM)
    mode &= 0o7777
    if mode & st.S_ISGID and not in_group_or_capable(task, inode.gid):
        mode &= ~st.S_ISGID
    inode.setattr(mode=mode)
    fsnotify_change(path.dentry, FS_ATTRIB)
    return 0


@syscall
def sys_fchmod(task: Task, fd: int, mode: int) -> int:
    file = fdget(task, fd)
    path = file_path(file)
    if path is None:
        return 0                    # a pipe or host stream: nothing of the guest's to change
    return chmod_common(task, path, mode)


def do_fchmodat(task: Task, dirfd: int, pathname: int, mode: int, flags: int) -> int:
    if flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH):
        raise KernelError(errno.EINVAL)
    return chmod_common(task, lookup_at(task, dirfd, pathname, flags), mode)


@syscall
def sys_fchmodat(task: Task, dirfd: int, pathname: int, mode: int) -> int:
    return do_fchmodat(task, dirfd, pathname, mode, 0)       # the old call has no flags argument at all


@syscall
def sys_fchmodat2(task: Task, dirfd: int, pathname: int, mode: int, flags: int) -> int:
    return do_fchmodat(task, dirfd, pathname, mode, flags & 0xFFFFFFFF)


@syscall
def sys_chmod(task: Task, pathname: int, mode: int) -> int:
    return do_fchmodat(task, _CWD, pathname, mode, 0)


# ------------------------------------------------------------------------------------------------- chown
def chown_common(task: Task, path: VfsPath, user: int, group: int) -> int:
    user &= 0xFFFFFFFF
    group &= 0xFFFFFFFF
    inode = path.inode
    owner = task.group.creds.fsuid == inode.uid
    uid = None if user == 0xFFFFFFFF else user
    gid = None if group == 0xFFFFFFFF else group
    if uid is not None and not (owner and uid == inode.uid) and not capable(task, CAP_CHOWN):
        raise KernelError(errno.EPERM)           # chown_ok
    if gid is not None and not (owner and (gid == inode.gid or in_group(task, gid))) and not capable(task, CAP_CHOWN):
        raise KernelError(errno.EPERM)           # chgrp_ok
    mode = None
    if not inode.is_dir:                         # ATTR_KILL_SUID | ATTR_KILL_PRIV | setattr_should_drop_sgid
        m = inode.mode
        if m & st.S_ISUID:
            m &= ~st.S_ISUID
        if m & st.S_ISGID and (m & st.S_IXGRP or not in_group_or_capable(task, inode.gid)):
            m &= ~st.S_ISGID
        if m != inode.mode:
            mode = m & 0o7777
        inode_killpriv(inode)
    inode.setattr(mode=mode, uid=uid, gid=gid)
    fsnotify_change(path.dentry, FS_ATTRIB)
    return 0


def do_fchownat(task: Task, dirfd: int, pathname: int, user: int, group: int, flags: int) -> int:
    flags = s32(flags)
    if flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH):
        raise KernelError(errno.EINVAL)
    path = lookup_at(task, dirfd, pathname, flags)
    check_writable(path)
    return chown_common(task, path, user, group)


@syscall
def sys_fchownat(task: Task, dirfd: int, pathname: int, user: int, group: int, flags: int) -> int:
    return do_fchownat(task, dirfd, pathname, user, group, flags)


@syscall
def sys_chown(task: Task, pathname: int, user: int, group: int) -> int:
    return do_fchownat(task, _CWD, pathname, user, group, 0)


@syscall
def sys_lchown(task: Task, pathname: int, user: int, group: int) -> int:
    return do_fchownat(task, _CWD, pathname, user, group, AT_SYMLINK_NOFOLLOW)


@syscall
def sys_fchown(task: Task, fd: int, user: int, group: int) -> int:
    file = fdget(task, fd)
    path = file_path(file)
    if path is None:
        return 0
    check_writable(path)
    return chown_common(task, path, user, group)


# ------------------------------------------------------------------------------------------------- times
def _nsec_valid(nsec: int) -> bool:
    return nsec in (UTIME_NOW, UTIME_OMIT) or 0 <= nsec <= 999_999_999


def vfs_utimes(task: Task, path: VfsPath, times: list[tuple[int, int]] | None) -> int:
    """Set atime/mtime from (sec, nsec) pairs (UTIME_NOW / UTIME_OMIT in nsec); None means both now."""
    if times is not None:
        if not all(_nsec_valid(nsec) for _, nsec in times):
            raise KernelError(errno.EINVAL)
        if times[0][1] == UTIME_NOW and times[1][1] == UTIME_NOW:
            times = None
    check_writable(path)
    inode = path.inode
    now = now_ns()
    if times is None:                            # ATTR_TOUCH: the owner, or anyone who may write
        if not owner_or_capable(task, inode):
            creds = task.group.creds
            permission(inode, MAY_WRITE, creds)
        inode.setattr(atime_ns=now, mtime_ns=now)
        fsnotify_change(path.dentry, FS_ATTRIB)
        return 0
    if not owner_or_capable(task, inode):
        raise KernelError(errno.EPERM)
    new = [None if nsec == UTIME_OMIT else now if nsec == UTIME_NOW else sec * 10**9 + nsec for sec, nsec in times]
    inode.setattr(atime_ns=new[0], mtime_ns=new[1])
    fsnotify_change(path.dentry, FS_ATTRIB if None not in new else FS_ACCESS if new[0] is not None else FS_MODIFY)
    return 0


def do_utimes(task: Task, dirfd: int, pathname: int, times: list[tuple[int, int]] | None, flags: int) -> int:
    if pathname == 0 and s32(dirfd) != AT_FDCWD:  # futimens: the descriptor itself
        if flags:
            raise KernelError(errno.EINVAL)
        path = file_path(fdget(task, dirfd))
        if path is None:
            return 0
        return vfs_utimes(task, path, times)
    if flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH):
        raise KernelError(errno.EINVAL)
    return vfs_utimes(task, lookup_at(task, dirfd, pathname, flags), times)


@syscall
def sys_utimensat(task: Task, dirfd: int, pathname: int, times: int, flags: int) -> int:
    pairs = None
    if times:
        a_sec, a_nsec, m_sec, m_nsec = struct.unpack("<qqqq", copy_from_user(task.mm, times, 32))
        if a_nsec == UTIME_OMIT and m_nsec == UTIME_OMIT:
            return 0                             # nothing to do: the path is not even looked at
        pairs = [(a_sec, a_nsec), (m_sec, m_nsec)]
    return do_utimes(task, dirfd, pathname, pairs, s32(flags))


def _timevals(task: Task, addr: int) -> list[tuple[int, int]] | None:
    if not addr:
        return None
    a_sec, a_usec, m_sec, m_usec = struct.unpack("<qqqq", copy_from_user(task.mm, addr, 32))
    if not (0 <= a_usec < 1_000_000 and 0 <= m_usec < 1_000_000):
        raise KernelError(errno.EINVAL)
    return [(a_sec, a_usec * 1000), (m_sec, m_usec * 1000)]


@syscall
def sys_futimesat(task: Task, dirfd: int, pathname: int, utimes: int) -> int:
    return do_utimes(task, dirfd, pathname, _timevals(task, utimes), 0)


@syscall
def sys_utimes(task: Task, pathname: int, utimes: int) -> int:
    return do_utimes(task, _CWD, pathname, _timevals(task, utimes), 0)


@syscall
def sys_utime(task: Task, pathname: int, times: int) -> int:
    pairs = None
    if times:
        actime, modtime = struct.unpack("<qq", copy_from_user(task.mm, times, 16))
        pairs = [(actime, 0), (modtime, 0)]
    return do_utimes(task, _CWD, pathname, pairs, 0)


# -------------------------------------------------------------------------------------------------- sync
def _fsync(task: Task, fd: int) -> int:
    file = fdget(task, fd)
    if isinstance(file, PipeFile):
        raise KernelError(errno.EINVAL)          # pipes and fifos have no fsync
    if isinstance(file, HostStreamFile):
        try:
            os.fsync(file.host_fd)               # a host terminal or pipe says EINVAL, a host file syncs
        except OSError as e:
            raise KernelError(e.errno or errno.EINVAL) from None
        return 0
    path = file_path(file)
    if path is None:
        raise KernelError(errno.EINVAL)
    sync_inode(path.inode)                       # dirty pages of shared mappings go to the file first
    host_sync = getattr(file, "fsync", None)     # a file kept on the host (hostfs); the rest lives in memory
    if host_sync is not None:
        host_sync()
    return 0


@syscall
def sys_fsync(task: Task, fd: int) -> int:
    return _fsync(task, fd)


@syscall
def sys_fdatasync(task: Task, fd: int) -> int:
    return _fsync(task, fd)


@syscall
def sys_sync(task: Task) -> int:
    """Every block device's dirty buffers go to its disk (the other filesystems write through already)."""
    sync_all_block_devices()
    return 0


@syscall
def sys_syncfs(task: Task, fd: int) -> int:
    path = file_path(fdget(task, fd))
    sync = getattr(path.inode.sb, "sync", None) if path is not None else None
    if sync is not None:                          # a filesystem on a block device
        sync()
    return 0


@syscall
def sys_sync_file_range(task: Task, fd: int, offset: int, nbytes: int, flags: int) -> int:
    file = fdget(task, fd)
    offset, nbytes, flags = s64(offset), s64(nbytes), flags & 0xFFFFFFFF
    if flags & ~7 or offset < 0 or offset + nbytes < 0 or nbytes < 0:
        raise KernelError(errno.EINVAL)
    path = file_path(file)
    if path is None or not (st.S_ISREG(path.inode.mode) or st.S_ISDIR(path.inode.mode)
                            or st.S_ISBLK(path.inode.mode) or st.S_ISLNK(path.inode.mode)):
        raise KernelError(errno.ESPIPE)
    return 0


@syscall
def sys_fadvise64(task: Task, fd: int, offset: int, length: int, advice: int) -> int:
    """generic_fadvise on filesystems without a backing device: the advice is checked and ignored."""
    file = fdget(task, fd)
    if isinstance(file, PipeFile):
        raise KernelError(errno.ESPIPE)
    if s64(length) < 0 or not 0 <= s32(advice) <= 5:
        raise KernelError(errno.EINVAL)
    return 0


@syscall
def sys_readahead(task: Task, fd: int, offset: int, count: int) -> int:
    file = fdget(task, fd)
    if not file.readable:
        raise KernelError(errno.EBADF)
    if not isinstance(file, RegularFile):
        raise KernelError(errno.EINVAL)
    return 0


# ------------------------------------------------------------------------------------------------ fallocate
FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, FALLOC_FL_COLLAPSE_RANGE = 0x01, 0x02, 0x08
FALLOC_FL_ZERO_RANGE, FALLOC_FL_INSERT_RANGE, FALLOC_FL_UNSHARE_RANGE, FALLOC_FL_WRITE_ZEROES = 0x10, 0x20, 0x40, 0x80
FALLOC_FL_MODE_MASK = (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_ZERO_RANGE | FALLOC_FL_INSERT_RANGE
                       | FALLOC_FL_UNSHARE_RANGE | FALLOC_FL_WRITE_ZEROES)
MAX_FILE_SIZE = 1 << 31      # what the in-memory filesystems will hold (tmpfs's statfs says 2 GiB are free)


@syscall
def sys_fallocate(task: Task, fd: int, mode: int, offset: int, length: int) -> int:
    """vfs_fallocate's checks; then what tmpfs supports: allocate (extending the size unless KEEP_SIZE) and
    PUNCH_HOLE|KEEP_SIZE (zeroes).  Everything else is EOPNOTSUPP, as on tmpfs."""
    file = fdget(task, fd)
    mode, offset, length = s32(mode), s64(offset), s64(length)
    if offset < 0 or length <= 0:
        raise KernelError(errno.EINVAL)
    if mode & ~(FALLOC_FL_MODE_MASK | FALLOC_FL_KEEP_SIZE):
        raise KernelError(errno.EOPNOTSUPP)
    kind = mode & FALLOC_FL_MODE_MASK
    if kind == FALLOC_FL_PUNCH_HOLE and not mode & FALLOC_FL_KEEP_SIZE:
        raise KernelError(errno.EOPNOTSUPP)
    if kind in (FALLOC_FL_COLLAPSE_RANGE, FALLOC_FL_INSERT_RANGE, FALLOC_FL_WRITE_ZEROES) and mode & FALLOC_FL_KEEP_SIZE:
        raise KernelError(errno.EOPNOTSUPP)
    if kind not in (0, FALLOC_FL_PUNCH_HOLE, FALLOC_FL_COLLAPSE_RANGE, FALLOC_FL_ZERO_RANGE, FALLOC_FL_INSERT_RANGE,
                    FALLOC_FL_UNSHARE_RANGE, FALLOC_FL_WRITE_ZEROES):
        raise KernelError(errno.EOPNOTSUPP)
    if not file.writable:
        raise KernelError(errno.EBADF)
    if isinstance(file, PipeFile):
        raise KernelError(errno.ESPIPE)
    path = file_path(file)
    if path is None:
        raise KernelError(errno.ENODEV)
    inode = path.inode
    if inode.is_dir:
        raise KernelError(errno.EISDIR)
    if not isinstance(file, RegularFile):
        raise KernelError(errno.ENODEV)
    end = offset + length
    if end > (1 << 63) - 1:
        raise KernelError(errno.EFBIG)
    if mode & ~(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE):
        raise KernelError(errno.EOPNOTSUPP)      # tmpfs's own limit
    size = inode.size
    if kind == FALLOC_FL_PUNCH_HOLE:
        if offset < size:
            punch_hole(inode, offset, min(end, size), task)
    else:
        if end > MAX_FILE_SIZE:
            raise KernelError(errno.ENOSPC)
        allocate_range(inode, offset, end, task)
        if not mode & FALLOC_FL_KEEP_SIZE and end > size:
            truncate_file(inode, end)
    _file_modified(task, inode)
    return 0


def _file_modified(task: Task, inode: Inode) -> None:
    """file_modified: file_remove_privs, then a new mtime/ctime."""
    file_remove_privs(task, inode)
    inode.setattr(mtime_ns=now_ns())


# ------------------------------------------------------------------------------------------------- locks
LOCK_SH, LOCK_EX, LOCK_NB, LOCK_UN, LOCK_MAND = 1, 2, 4, 8, 32
F_GETLK, F_SETLK, F_SETLKW = 5, 6, 7
F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW = 36, 37, 38
LOCK_COMMANDS = (F_GETLK, F_SETLK, F_SETLKW, F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW)
_FLOCK = struct.Struct("<hh4xqqi4x")      # struct flock: the same on x86_64 and riscv64


@syscall
def sys_flock(task: Task, fd: int, cmd: int) -> int:
    cmd &= 0xFFFFFFFF
    if cmd & LOCK_MAND:
        return 0                                 # Linux ignores the long-broken LOCK_MAND requests
    type_ = {LOCK_SH: locks.F_RDLCK, LOCK_EX: locks.F_WRLCK, LOCK_UN: locks.F_UNLCK}.get(cmd & ~LOCK_NB)
    if type_ is None:
        raise KernelError(errno.EINVAL)
    file = fdget(task, fd & 0xFFFFFFFF)
    locks.flock(file, type_, nonblocking=bool(cmd & LOCK_NB))
    return 0


def _lock_range(file: File, whence: int, start: int, length: int) -> tuple[int, int]:
    """flock_to_posix_lock: the (start, inclusive end) a struct flock describes."""
    if whence == 0:
        base = 0
    elif whence == 1:
        base = getattr(file, "offset", 0)
    elif whence == 2:
        path = file_path(file)
        base = path.inode.size if path is not None else 0
    else:
        raise KernelError(errno.EINVAL)
    if start > locks.OFFSET_MAX - base:
        raise KernelError(errno.EOVERFLOW)
    start += base
    if start < 0:
        raise KernelError(errno.EINVAL)
    if length > 0:
        if length - 1 > locks.OFFSET_MAX - start:
            raise KernelError(errno.EOVERFLOW)
        return start, start + length - 1
    if length < 0:
        if start + length < 0:
            raise KernelError(errno.EINVAL)
        return start + length, start - 1
    return start, locks.OFFSET_MAX


def fcntl_lock(task: Task, fd: int, cmd: int, arg: int) -> int:
    """fcntl's F_GETLK/F_SETLK/F_SETLKW and F_OFD_GETLK/F_OFD_SETLK/F_OFD_SETLKW on descriptor `fd`."""
    file = fdget(task, fd)
    raw = bytearray(copy_from_user(task.mm, arg, _FLOCK.size))
    l_type, l_whence, l_start, l_len, l_pid = _FLOCK.unpack(raw)
    ofd = cmd in (F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW)
    owner = file if ofd else task.group.fds
    if cmd in (F_GETLK, F_OFD_GETLK):
        if cmd == F_GETLK and l_type not in (locks.F_RDLCK, locks.F_WRLCK):
            raise KernelError(errno.EINVAL)
        start, end = _lock_range(file, l_whence, l_start, l_len)
        if l_type not in (locks.F_RDLCK, locks.F_WRLCK, locks.F_UNLCK):
            raise KernelError(errno.EINVAL)
        if ofd and l_pid != 0:
            raise KernelError(errno.EINVAL)
        lock = locks.test_lock(file, owner, l_type, start, end)
        if lock is None:
            struct.pack_into("<h", raw, 0, locks.F_UNLCK)
        else:
            length = 0 if lock.end == locks.OFFSET_MAX else lock.end - lock.start + 1
            struct.pack_into("<hh", raw, 0, lock.type, 0)
            struct.pack_into("<qqi", raw, 8, lock.start, length, lock.pid)
        copy_to_user(task.mm, arg, bytes(raw))
        return 0
    start, end = _lock_range(file, l_whence, l_start, l_len)
    if l_type not in (locks.F_RDLCK, locks.F_WRLCK, locks.F_UNLCK):
        raise KernelError(errno.EINVAL)
    if (l_type == locks.F_RDLCK and not file.readable) or (l_type == locks.F_WRLCK and not file.writable):
        raise KernelError(errno.EBADF)
    if ofd and l_pid != 0:
        raise KernelError(errno.EINVAL)
    request = locks.RecordLock(owner, l_type, start, end, -1 if ofd else task.group.pid, ofd)
    locks.set_lock(file, request, wait=cmd in (F_SETLKW, F_OFD_SETLKW), task=task)
    return 0
