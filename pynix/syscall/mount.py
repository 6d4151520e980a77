"""mount(2), umount2/umount and pivot_root(2): the guest changes its mount namespace.

Follows Linux's do_mount/path_mount and ksys_umount: the target is resolved first (ENOENT, ENOTDIR...), then
the caller must have CAP_SYS_ADMIN (EPERM), then the request is classified:

- MS_REMOUNT|MS_BIND changes only the mount's flags (MS_RDONLY); MS_REMOUNT alone changes the filesystem's
  read-only state too.  Both need the root of a mount (EINVAL).  A filesystem that was read-only from the start
  (a read-only --mount, the host under the root overlay) cannot be made writable: EACCES, as Linux says for a
  write-protected device.
- MS_BIND (with MS_REC: the mounts below the source too) attaches the source's subtree elsewhere; a directory
  covers a directory and a file a file (ENOTDIR).
- MS_SHARED/MS_PRIVATE/MS_SLAVE/MS_UNBINDABLE (one at a time, else EINVAL; MS_REC: the whole subtree) set the
  propagation type (fs/pnode.py): mounts and unmounts under a shared mount happen on its peers and slaves too,
  in whatever mount namespace they are.  An unbindable mount cannot be the source of a bind mount (EINVAL).
- MS_MOVE moves a mount (EINVAL unless the source is a mount root).
- Otherwise a new filesystem of type `fstype`: tmpfs/ramfs (options mode=, uid=, gid=; size=, nr_inodes=,
  nr_blocks=, huge=, inode64 accepted and ignored), proc, devtmpfs (the one devfs instance, as Linux's devtmpfs
  is a single filesystem), devpts (a new instance; options ignored), mqueue (the IPC namespace's one
  instance, as in Linux), vfat, ext2/ext3/ext4 (the source is a block device, ENOTBLK otherwise; a device already
  mounted gives the same filesystem again, as sget; MS_NOATIME, MS_SYNCHRONOUS and the data options of
  fs/ext2/super.py).  Unknown types: ENODEV.

vfat's source is a block device (/dev/vda, /dev/loop0) or, unlike Linux, also the image *file* itself, as
`mount -o loop` would give; such a file must be kept on the host (a read-write hostfs mount; on a read-only one
or below the root overlay, only with MS_RDONLY, else EACCES), otherwise ENOTBLK.

umount2: flags other than MNT_FORCE/MNT_DETACH/MNT_EXPIRE/UMOUNT_NOFOLLOW are EINVAL; the target must be a
mount root (EINVAL); the root itself and a mount with mounts on it, open files inside it, or a process whose
working directory or root is inside it are EBUSY, unless MNT_DETACH: then it is taken out of the tree at once
(with the mounts below it) and whoever still uses it keeps using it.  MNT_FORCE changes nothing for these
filesystems (none has umount_begin), as on Linux.  MNT_EXPIRE is EAGAIN the first time, as Linux for an unused
mount (and EBUSY for a busy one).  /proc/mounts reads the mount table, so it shows every change.
"""
from __future__ import annotations

import errno
import os
import stat as st
import weakref

from pynix.errors import KernelError
from pynix.block.device import BlockDevice
from pynix.block.genhd import lookup as lookup_blkdev
from pynix.fs.devfs import DevfsSuperBlock
from pynix.fs.ext2.super import Ext2SuperBlock, get_super
from pynix.fs.devpts import DevptsSuperBlock
from pynix.fs.fat import Fat32SuperBlock
from pynix.fs.file_ops import InodeFile
from pynix.fs.hostfs import HostfsInode
from pynix.fs.notify.fsnotify import fsnotify_unmount
from pynix.fs.overlayfs import OverlayInode
from pynix.fs.pnode import (make_private, make_shared, make_slave, make_unbindable, propagate_mount,
                            propagate_umount)
from pynix.fs.proc import ProcfsSuperBlock
from pynix.fs.tmpfs import TmpfsSuperBlock
from pynix.fs.vfs import Dentry, Mount, MountTable, SuperBlock, VfsPath
from pynix.mm.uaccess import strncpy_from_user
from pynix.syscall.fs_path import user_path, walker
from pynix.syscall.sys_info import proc_values
from pynix.syscall.registry import s32, syscall
from pynix.task.task import Task
from pynix.uapi.capability import CAP_SYS_ADMIN
from pynix.task.user_namespace import INIT_USER_NS, ns_capable

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT = 1, 2, 4, 8, 32
MS_BIND, MS_MOVE, MS_REC, MS_SILENT = 4096, 8192, 16384, 32768
MS_UNBINDABLE, MS_PRIVATE, MS_SLAVE, MS_SHARED = 1 << 17, 1 << 18, 1 << 19, 1 << 20
MS_PROPAGATION = MS_UNBINDABLE | MS_PRIVATE | MS_SLAVE | MS_SHARED
MS_MGC_MSK, MS_MGC_VAL = 0xFFFF0000, 0xC0ED0000
MNT_FORCE, MNT_DETACH, MNT_EXPIRE, UMOUNT_NOFOLLOW = 1, 2, 4, 8
FSTYPE_MAX, DATA_MAX = 4096, 4096
EXT2_TYPES = (b"ext2", b"ext3", b"ext4")
TMPFS_IGNORED = (b"size", b"nr_inodes", b"nr_blocks", b"huge", b"inode64", b"inode32", b"noswap", b"mpol")

# superblocks that have been writable under this kernel: only these may be remounted read-write
_was_writable: "weakref.WeakSet[SuperBlock]" = weakref.WeakSet()
# mounts MNT_EXPIRE has marked once (the second unused MNT_EXPIRE unmounts)
_expiring: "weakref.WeakSet[Mount]" = weakref.WeakSet()


def _require_admin(task: Task) -> None:
    """may_mount: CAP_SYS_ADMIN over the user namespace that owns the caller's mount namespace."""
    if not ns_capable(task.group.creds, task.group.fs.mounts.owner or INIT_USER_NS, CAP_SYS_ADMIN):
        raise KernelError(errno.EPERM)


def _user_string(task: Task, addr: int, limit: int) -> bytes | None:
    return strncpy_from_user(task.mm, addr, limit) if addr else None


def _is_mount_root(path: VfsPath) -> bool:
    return path.dentry is path.mount.root


# ------------------------------------------------------------------------------------------- new mounts
def _tmpfs(data: bytes | None) -> TmpfsSuperBlock:
    mode, uid, gid, max_pages = 0o1777, 0, 0, None
    for option in (data or b"").split(b","):
        key, _, value = option.partition(b"=")
        try:
            if key == b"size" and not value.endswith(b"%"):          # bytes, with k/m/g; % of RAM: default
                scale = {b"k": 1 << 10, b"m": 1 << 20, b"g": 1 << 30}.get(value[-1:].lower(), 1)
                number = int(value[:-1] if scale > 1 else value)
                max_pages = (number * scale + 4095) >> 12
            elif key == b"mode":
                mode = int(value, 8) & 0o7777
            elif key == b"uid":
                uid = int(value)
            elif key == b"gid":
                gid = int(value)
            elif key and key not in TMPFS_IGNORED:
                raise KernelError(errno.EINVAL)
        except ValueError:
            raise KernelError(errno.EINVAL) from None
    sb = TmpfsSuperBlock(mode=mode, max_pages=max_pages)
    sb.root.uid, sb.root.gid = uid, gid
    return sb


def _image_file(path: VfsPath, readonly: bool) -> int:
    """A host descriptor of the FAT32 image file `path` (see the module docstring for what is accepted)."""
    inode = path.inode
    if isinstance(inode, OverlayInode) and inode.upper is None:
        inode, readonly_store = inode.lower, True          # the host file under the overlay: never written
    else:
        readonly_store = False
    if not isinstance(inode, HostfsInode):
        raise KernelError(errno.ENOTBLK)
    if not st.S_ISREG(inode.mode):
        raise KernelError(errno.ENOTBLK)
    readonly_store = readonly_store or inode.sb.readonly or path.mount.readonly
    if readonly_store and not readonly:
        raise KernelError(errno.EACCES)
    return inode._open_data(os.O_RDONLY if readonly else os.O_RDWR)


def _block_device(task: Task, source: bytes | None) -> BlockDevice:
    """The block device the mount source names (ENOTBLK if it is something else, ENXIO if no driver has it)."""
    if not source:
        raise KernelError(errno.ENOENT)
    inode = walker(task).resolve(task.group.fs.cwd, source).inode
    if not st.S_ISBLK(inode.mode):
        raise KernelError(errno.ENOTBLK)
    return lookup_blkdev(inode.rdev)


def _new_superblock(task: Task, fstype: bytes, source: bytes | None, data: bytes | None,
                    flags: int) -> SuperBlock:
    kernel = task.kernel
    readonly = bool(flags & MS_RDONLY)
    if fstype in (b"tmpfs", b"ramfs"):
        return _tmpfs(data)
    if fstype == b"proc":
        return ProcfsSuperBlock(kernel, proc_values(), task.pid_link.ns)   # the mounter's pids
    if fstype == b"devpts":
        return DevptsSuperBlock(kernel)                  # a new instance every time, as since Linux 4.7
    if fstype == b"mqueue":
        return task.nsproxy.ipc.mqueue                   # the IPC namespace's one instance (ipc/mqueue.py)
    if fstype == b"devtmpfs":
        for m in kernel.mounts.mounts:
            if isinstance(m.sb, DevfsSuperBlock):
                return m.sb                              # devtmpfs is one filesystem, wherever it is mounted
        return DevfsSuperBlock(kernel)
    if fstype in (b"vfat", b"msdos"):
        if not source:
            raise KernelError(errno.ENOENT)
        image = walker(task).resolve(task.group.fs.cwd, source)
        creds = task.group.creds
        if st.S_ISBLK(image.inode.mode):
            dev = lookup_blkdev(image.inode.rdev)
            if dev.holder is not None:
                if not isinstance(dev.holder, Fat32SuperBlock):
                    raise KernelError(errno.EBUSY)
                return dev.holder
            if not readonly and dev.readonly:
                raise KernelError(errno.EACCES)
            umask = task.group.fs.umask                 # vfat's fmask and dmask default to the caller's umask
            return Fat32SuperBlock(dev, readonly=readonly, uid=creds.euid, gid=creds.egid, fmask=umask, dmask=umask)
        fd = _image_file(image, readonly)
        try:
            umask = task.group.fs.umask                 # vfat's fmask and dmask default to the caller's umask
            return Fat32SuperBlock(f"/proc/self/fd/{fd}", readonly=readonly, uid=creds.euid, gid=creds.egid,
                                   fmask=umask, dmask=umask)
        finally:
            os.close(fd)
    if fstype in EXT2_TYPES:
        dev = _block_device(task, source)
        if not readonly and dev.readonly:
            raise KernelError(errno.EACCES)                # a write-protected device: mount(8) retries read-only
        return get_super(dev, fstype.decode(), flags, data)
    raise KernelError(errno.ENODEV)


# ------------------------------------------------------------------------------------------ bind, move
def _bind(table: MountTable, source: VfsPath, target: VfsPath, recursive: bool, readonly: bool) -> Mount:
    if source.mount.unbindable:
        raise KernelError(errno.EINVAL)
    top = table.mount(source.mount.sb, target, source=source.mount.source, readonly=readonly or source.mount.readonly,
                      root=source.dentry)
    if recursive:
        _copy_submounts(table, source.mount, source.dentry, top)
    propagate_mount(top)
    return top


def _under(m: Mount, top: Mount) -> bool:
    """`m` is mounted somewhere inside `top` (MS_REC's subtree)."""
    p = m.parent
    while p is not None:
        if p is top:
            return True
        p = p.parent
    return False


def _below(dentry: Dentry, ancestor: Dentry) -> bool:
    d: Dentry | None = dentry
    while d is not None:
        if d is ancestor:
            return True
        d = d.parent
    return False


def _copy_submounts(table: MountTable, original: Mount, subtree: Dentry, copy: Mount) -> None:
    """MS_REC: repeat on `copy` every mount found on `original` inside `subtree`, and theirs below them."""
    for child in [m for m in table.mounts if m.parent is original and _below(m.mountpoint, subtree)]:
        replica = table.mount(child.sb, VfsPath(copy, child.mountpoint), source=child.source,
                              readonly=child.readonly, root=child.root)
        _copy_submounts(table, child, child.root, replica)


def _move(table: MountTable, source: VfsPath, target: VfsPath) -> None:
    m = source.mount
    if not _is_mount_root(source) or m is table.root:
        raise KernelError(errno.EINVAL)
    p: Mount | None = target.mount
    while p is not None:                                 # not into itself
        if p is m:
            raise KernelError(errno.ELOOP)
        p = p.parent
    children = [(o, o.mountpoint) for o in table.mounts if o.parent is m]
    table.umount(m, detach=True)
    moved = table.mount(m.sb, target, source=m.source, readonly=m.readonly, root=m.root)
    for child, point in children:                        # the mounts on it move along
        table.mount(child.sb, VfsPath(moved, point), source=child.source, readonly=child.readonly,
                    root=child.root)


# -------------------------------------------------------------------------------------------- mount(2)
def do_mount(task: Task, source_addr: int, target_addr: int, fstype_addr: int, flags: int, data_addr: int) -> int:
    flags &= 0xFFFFFFFF
    if flags & MS_MGC_MSK == MS_MGC_VAL:
        flags &= ~MS_MGC_MSK
    fstype = _user_string(task, fstype_addr, FSTYPE_MAX)
    source = _user_string(task, source_addr, FSTYPE_MAX)
    data = _user_string(task, data_addr, DATA_MAX)
    w = walker(task)
    target = w.resolve(task.group.fs.cwd, user_path(task, target_addr))
    _require_admin(task)
    table = task.group.fs.mounts
    readonly = bool(flags & MS_RDONLY)
    if flags & MS_REMOUNT:
        if not _is_mount_root(target):
            raise KernelError(errno.EINVAL)
        m = target.mount
        if not flags & MS_BIND:
            sb = m.sb
            if isinstance(sb, Ext2SuperBlock):
                sb.remount(readonly)                     # the filesystem decides (features, device, state)
            else:
                if not readonly and sb.readonly and sb not in _was_writable:
                    raise KernelError(errno.EACCES)
                if not sb.readonly:
                    _was_writable.add(sb)
                sb.readonly = readonly
        m.readonly = readonly
        return 0
    if flags & MS_BIND:
        if not source:
            raise KernelError(errno.EINVAL)
        src = w.resolve(task.group.fs.cwd, source)
        _bind(table, src, target, bool(flags & MS_REC), readonly)
        return 0
    if flags & MS_PROPAGATION:
        kinds = flags & MS_PROPAGATION
        if kinds & (kinds - 1):
            raise KernelError(errno.EINVAL)              # more than one propagation type at once
        if not _is_mount_root(target):
            raise KernelError(errno.EINVAL)
        change = {MS_SHARED: make_shared, MS_PRIVATE: make_private, MS_SLAVE: make_slave,
                  MS_UNBINDABLE: make_unbindable}[kinds]
        top = target.mount
        for m in [m for m in table.mounts if m is top or flags & MS_REC and _under(m, top)]:
            change(m)
        return 0
    if flags & MS_MOVE:
        if not source:
            raise KernelError(errno.EINVAL)
        _move(table, w.resolve(task.group.fs.cwd, source), target)
        return 0
    if fstype is None:
        raise KernelError(errno.EINVAL)
    sb = _new_superblock(task, fstype, source, data, flags)
    if readonly and not isinstance(sb, (DevfsSuperBlock, ProcfsSuperBlock, DevptsSuperBlock)):
        sb.readonly = True
    if not sb.readonly:
        _was_writable.add(sb)
    propagate_mount(table.mount(sb, target, source=os.fsdecode(source or b"none"), readonly=readonly))
    return 0


@syscall
def sys_mount(task: Task, source: int, target: int, fstype: int, flags: int, data: int) -> int:
    return do_mount(task, source, target, fstype, flags, data)


# ------------------------------------------------------------------------------------------- umount2(2)
def _busy(task: Task, m: Mount) -> bool:
    """Does anything hold mount `m`: mounts on it, open files or a process's cwd/root inside it?"""
    table = task.group.fs.mounts
    if any(o.parent is m for o in table.mounts):
        return True
    for group in task.kernel.groups.values():
        fs = group.fs
        if fs is not None and (fs.cwd.mount is m or fs.root.mount is m):
            return True
        fds = group.fds
        if fds is not None and any(isinstance(e.file, InodeFile) and e.file.path.mount is m
                                   for e in fds.entries.values()):
            return True
    return False


def _release(table: MountTable, sb: SuperBlock) -> None:
    """The last mount of a disk-backed filesystem is gone: write it out and let go of the image."""
    if not any(o.sb is sb for o in table.mounts) and isinstance(sb, (Fat32SuperBlock, Ext2SuperBlock)):
        sb.close()


def do_umount(task: Task, target_addr: int, flags: int) -> int:
    flags = s32(flags)
    if flags & ~(MNT_FORCE | MNT_DETACH | MNT_EXPIRE | UMOUNT_NOFOLLOW):
        raise KernelError(errno.EINVAL)
    if flags & MNT_EXPIRE and flags & (MNT_FORCE | MNT_DETACH):
        raise KernelError(errno.EINVAL)
    target = walker(task).resolve(task.group.fs.cwd, user_path(task, target_addr),
                                  follow=not flags & UMOUNT_NOFOLLOW)
    _require_admin(task)
    if not _is_mount_root(target):
        raise KernelError(errno.EINVAL)
    m = target.mount
    table = task.group.fs.mounts
    if m is table.root:
        raise KernelError(errno.EINVAL if flags & MNT_EXPIRE else errno.EBUSY)
    if flags & MNT_EXPIRE:
        if _busy(task, m):
            raise KernelError(errno.EBUSY)
        if m not in _expiring:
            _expiring.add(m)
            raise KernelError(errno.EAGAIN)
    elif not flags & MNT_DETACH and _busy(task, m):
        raise KernelError(errno.EBUSY)
    for copy in propagate_umount(m):                     # its copies on the parent's peers and slaves
        copy.ns.umount(copy, detach=True)
    table.umount(m, detach=True)
    fsnotify_unmount(m, last=not any(o.sb is m.sb for o in table.mounts))   # IN_UNMOUNT, marks go
    if not flags & MNT_DETACH:
        _release(table, m.sb)
    return 0


@syscall
def sys_umount2(task: Task, target: int, flags: int) -> int:
    return do_umount(task, target, flags)



# -------------------------------------------------------------------------------------------- pivot_root(2)
def _path_under(path: VfsPath, top: VfsPath) -> bool:
    """`path` is `top` or below it in the mount tree (is_path_reachable)."""
    mount, dentry = path.mount, path.dentry
    while True:
        if mount is top.mount:
            return _below(dentry, top.dentry)
        if mount.parent is None:
            return False
        mount, dentry = mount.parent, mount.mountpoint


def _parents_first(table: MountTable) -> None:
    """Order the table's list from the root down (copy_tree relies on parents coming before children)."""
    order, queue = [], [table.root]
    while queue:
        m = queue.pop(0)
        order.append(m)
        queue += [c for c in table.mounts if c.parent is m]
    table.mounts[:] = order + [m for m in table.mounts if m not in order]


@syscall
def sys_pivot_root(task: Task, new_root: int, put_old: int) -> int:
    """The caller's root mount moves to `put_old` and the mount at `new_root` becomes the root of its mount
    namespace; every process whose root or working directory was the old root moves to the new one (Linux's
    chroot_fs_refs).  EPERM without privilege, ENOTDIR, EINVAL when `new_root` or the current root is not a
    mount's root, `new_root` is the current root's mount, `put_old` is not under `new_root`, or a shared mount
    is involved; EBUSY when `put_old` is a mount with others on it."""
    w = walker(task)
    fs = task.group.fs
    new = w.resolve(fs.cwd, user_path(task, new_root), must_dir=True)
    old = w.resolve(fs.cwd, user_path(task, put_old), must_dir=True)
    if not ns_capable(task.group.creds, fs.mounts.owner or INIT_USER_NS, CAP_SYS_ADMIN):
        raise KernelError(errno.EPERM)
    root = fs.root
    table = fs.mounts
    n, r = new.mount, root.mount
    if not _is_mount_root(new) or not _is_mount_root(root) or n is r or n.parent is None \
            or n.ns is not table or r.ns is not table or not _path_under(old, new):
        raise KernelError(errno.EINVAL)
    if n.peers is not None or n.parent.peers is not None or r.parent is not None and r.parent.peers is not None:
        raise KernelError(errno.EINVAL)
    r_parent, r_point = r.parent, r.mountpoint
    table.detach_point(n)
    table.detach_point(r)
    table.attach_point(n, r_parent, r_point)              # the new root takes the old one's place...
    if r_parent is None:
        table.root = n
    old_place = table.follow_mounts(old) if old.mount is not r else old
    table.attach_point(r, old_place.mount, old_place.dentry)   # ... and the old root goes under put_old
    _parents_first(table)
    new_root_path = VfsPath(n, n.root)
    for group in task.kernel.groups.values():
        other = group.fs
        if other is not None and other.mounts is table:
            if other.root.mount is r and other.root.dentry is root.dentry:
                other.root = new_root_path
            if other.cwd.mount is r and other.cwd.dentry is root.dentry:
                other.cwd = new_root_path
    return 0
