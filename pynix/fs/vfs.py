"""The virtual filesystem: inodes, dentries, mounts, path resolution -- Linux's VFS shape, simplified.

- `Inode` is an object of one filesystem (file, directory, symlink, device, fifo).  Each filesystem subclasses
  it and implements the operations it supports; the defaults fail like Linux does for unsupported operations.
- `Dentry` names an inode inside its parent directory and caches the children already looked up.
- `Mount` attaches a filesystem's root dentry over a dentry of another mount; a `VfsPath` (Linux's struct path)
  is a (mount, dentry) pair, so `..` and mount crossing are exact.
- `FsContext` is a process's root, working directory and umask (shared by CLONE_FS).
- `resolve()` walks a path like Linux's path_lookupat: relative to the cwd or a directory descriptor, `.` and
  `..` (also across mount points, never above the process root), symlinks (ELOOP after 40), ENOTDIR,
  ENAMETOOLONG, search (x) permission on every directory, trailing-slash rules.
"""
from __future__ import annotations

import errno
import itertools
import stat as st
from dataclasses import dataclass, field
from typing import Callable, Iterable, TYPE_CHECKING

from pynix.errors import KernelError
from pynix.fs.ns_common import NsCommon
from pynix.fs.xattr import XATTR_REPLACE
from pynix.hal.clock import realtime_ns
from pynix.mm.iov_iter import KernelIter
from pynix.mm.page_cache import PageCache, page_cache
from pynix.task.cred import KERNEL_CREDS, Credentials
from pynix.uapi.capability import CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
from pynix.uapi.sched import CLONE_NEWNS

if TYPE_CHECKING:
    from pynix.fs.file import File
    from pynix.fs.pnode import PeerGroup

NAME_MAX = 255
RENAME_NOREPLACE, RENAME_EXCHANGE = 1, 2
PATH_MAX = 4096
MAXSYMLINKS = 40
S_IFMT, S_IFDIR, S_IFLNK = 0o170000, st.S_IFDIR, st.S_IFLNK      # (hot paths test mode bits inline)
SLASH = ord("/")

# d_type values of getdents64
DT_UNKNOWN, DT_FIFO, DT_CHR, DT_DIR, DT_BLK, DT_REG, DT_LNK, DT_SOCK = 0, 1, 2, 4, 6, 8, 10, 12

_dev_numbers = itertools.count(0x20)      # anonymous device numbers for filesystems without a disk


def dtype_of(mode: int) -> int:
    return {st.S_IFIFO: DT_FIFO, st.S_IFCHR: DT_CHR, st.S_IFDIR: DT_DIR, st.S_IFBLK: DT_BLK, st.S_IFREG: DT_REG,
            st.S_IFLNK: DT_LNK, st.S_IFSOCK: DT_SOCK}.get(st.S_IFMT(mode), DT_UNKNOWN)


def now_ns() -> int:
    """File timestamps follow the machine's CLOCK_REALTIME (Linux's current_time), set or not."""
    return realtime_ns()


class SuperBlock:
    """One mounted filesystem instance."""

    fs_type = "none"
    magic = 0
    fsnotify_marks: "dict | None" = None     # inode number -> inotify watches (fs/notify/fsnotify.py)

    def __init__(self, readonly: bool = False) -> None:
        self.dev = next(_dev_numbers)
        self.readonly = readonly
        self._next_ino = itertools.count(2)
        self.root: Inode

    def new_ino(self) -> int:
        return next(self._next_ino)

    maxbytes = (1 << 63) - 1             # s_maxbytes: the largest file (MAX_LFS_FILESIZE)

    def charge_pages(self, n: int, frames_total: int = 0) -> None:
        """`n` page-cache pages that are the file data itself (tmpfs) were added (or, negative, dropped):
        ENOSPC past the filesystem's size.  Filesystems with a store of their own are not charged."""

    def close(self) -> None:
        """kill_sb: give back what the filesystem holds outside the machine (host descriptors, an image file);
        most hold nothing."""

    def statfs(self) -> dict[str, int]:
        """Fields of struct statfs (sizes in blocks of `bsize`)."""
        return {"type": self.magic, "bsize": 4096, "blocks": 0, "bfree": 0, "bavail": 0, "files": 0,
                "ffree": 0, "namelen": NAME_MAX, "frsize": 4096, "flags": 1 if self.readonly else 0}


def get_write_access(inode: "Inode") -> None:
    """A file is opened for writing (or truncated): ETXTBSY while a process runs it (Linux's get_write_access)."""
    if inode.writecount < 0:
        raise KernelError(errno.ETXTBSY)
    inode.writecount += 1


def put_write_access(inode: "Inode") -> None:
    inode.writecount -= 1


def deny_write_access(inode: "Inode") -> None:
    """A file becomes an address space's executable: ETXTBSY while it is open for writing (deny_write_access)."""
    if inode.writecount > 0:
        raise KernelError(errno.ETXTBSY)
    inode.writecount -= 1


def allow_write_access(inode: "Inode") -> None:
    inode.writecount += 1


class Inode:
    """A filesystem object.  Attributes follow struct inode; times are nanoseconds since the epoch."""

    writecount = 0     # i_writecount: > 0 open for writing by that many files, < 0 run by that many address spaces

    def __init__(self, sb: SuperBlock, mode: int, uid: int = 0, gid: int = 0, rdev: int = 0,
                 ino: int | None = None) -> None:
        self.sb = sb
        self.ino = ino if ino is not None else sb.new_ino()
        self.mode = mode
        self.uid, self.gid = uid, gid
        self.rdev = rdev
        self.nlink = 2 if st.S_ISDIR(mode) else 1
        self.atime_ns = self.mtime_ns = self.ctime_ns = now_ns()

    # --- attributes ---------------------------------------------------------------------------------------
    @property
    def size(self) -> int:
        return 0

    @property
    def is_dir(self) -> bool:
        return self.mode & S_IFMT == S_IFDIR

    @property
    def is_symlink(self) -> bool:
        return self.mode & S_IFMT == S_IFLNK

    @property
    def is_magic_link(self) -> bool:
        """A /proc link that stands for an object rather than a path (Linux's nd_jump_link)."""
        return False

    def nd_jump_link(self) -> "VfsPath | None":
        """Where a link that names an object and not a path leads (Linux's nd_jump_link), None for others.
        Only /proc/PID/ns links do so far: /proc's other links are resolved by their text."""
        return None

    def stat(self) -> dict[str, int]:
        """The fields `arch.stat_layout.pack` takes."""
        size = self.size
        atime, atime_nsec = divmod(self.atime_ns, 1_000_000_000)
        mtime, mtime_nsec = divmod(self.mtime_ns, 1_000_000_000)
        ctime, ctime_nsec = divmod(self.ctime_ns, 1_000_000_000)
        return {"dev": self.sb.dev, "ino": self.ino, "mode": self.mode, "nlink": self.nlink, "uid": self.uid,
                "gid": self.gid, "rdev": self.rdev, "size": size, "blksize": 4096, "blocks": (size + 511) // 512,
                "atime": atime, "atime_nsec": atime_nsec, "mtime": mtime, "mtime_nsec": mtime_nsec,
                "ctime": ctime, "ctime_nsec": ctime_nsec}

    def setattr(self, *, mode: int | None = None, uid: int | None = None, gid: int | None = None,
                atime_ns: int | None = None, mtime_ns: int | None = None) -> None:
        """chmod/chown/utimens; filesystems that store attributes elsewhere override this."""
        if mode is not None:
            self.mode = (self.mode & st.S_IFMT(0o170000)) | (mode & 0o7777)
        if uid is not None:
            self.uid = uid
        if gid is not None:
            self.gid = gid
        if atime_ns is not None:
            self.atime_ns = atime_ns
        if mtime_ns is not None:
            self.mtime_ns = mtime_ns
        self.ctime_ns = now_ns()

    # --- extended attributes (defaults: a filesystem without xattr handlers) -----------------------------
    def getxattr(self, name: bytes) -> bytes:
        """The value of attribute `name` (ENODATA if absent); the VFS has checked the name and permissions."""
        raise KernelError(errno.EOPNOTSUPP)

    def setxattr(self, name: bytes, value: bytes | None, flags: int) -> None:
        """Create/replace `name` (XATTR_CREATE/XATTR_REPLACE in flags); value None removes it (removexattr)."""
        raise KernelError(errno.EOPNOTSUPP)

    def listxattr(self) -> list[bytes]:
        """The attribute names; without a listxattr operation Linux's vfs_listxattr answers an empty list."""
        return []

    def removexattr(self, name: bytes) -> None:
        self.setxattr(name, None, XATTR_REPLACE)

    # --- directories (defaults: this is not a directory) --------------------------------------------------
    def lookup(self, name: bytes) -> "Inode | None":
        raise KernelError(errno.ENOTDIR)

    def readdir(self) -> Iterable[tuple[bytes, int, int]]:
        """(name, ino, d_type) of every entry except `.` and `..`."""
        raise KernelError(errno.ENOTDIR)

    def revalidate(self, name: bytes, child: "Inode") -> bool:
        """Is the cached entry `name` -> `child` still right (Linux's d_revalidate)?  Filesystems whose names
        can change behind the dentry cache (case-insensitive ones) say no, and the name is looked up again."""
        return True

    # The class has a `revalidate` of its own (Linux's DCACHE_OP_REVALIDATE): only then does a path walk that
    # finds a cached entry ask it.  Set for every subclass by __init_subclass__.
    d_revalidate = False

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        cls.d_revalidate = cls.revalidate is not Inode.revalidate

    def create(self, name: bytes, mode: int, uid: int, gid: int) -> "Inode":
        raise KernelError(errno.ENOTDIR if not self.is_dir else errno.EPERM)

    def mkdir(self, name: bytes, mode: int, uid: int, gid: int) -> "Inode":
        raise KernelError(errno.ENOTDIR if not self.is_dir else errno.EPERM)

    def mknod(self, name: bytes, mode: int, rdev: int, uid: int, gid: int) -> "Inode":
        raise KernelError(errno.ENOTDIR if not self.is_dir else errno.EPERM)

    def symlink(self, name: bytes, target: bytes, uid: int, gid: int) -> "Inode":
        raise KernelError(errno.ENOTDIR if not self.is_dir else errno.EPERM)

    def link(self, name: bytes, inode: "Inode") -> None:
        raise KernelError(errno.ENOTDIR if not self.is_dir else errno.EPERM)

    def unlink(self, name: bytes) -> None:
        raise KernelError(errno.ENOTDIR if not self.is_dir else errno.EPERM)

    def rmdir(self, name: bytes) -> None:
        raise KernelError(errno.ENOTDIR if not self.is_dir else errno.EPERM)

    def rename(self, name: bytes, new_dir: "Inode", new_name: bytes, flags: int) -> None:
        """Move entry `name` to `new_dir`/`new_name` (RENAME_NOREPLACE/EXCHANGE in flags): vfs_rename's checks of
        the two entries, here once for every filesystem -- EPERM without a rename operation, EXDEV across
        filesystems, ENOENT, and for a replaced entry EEXIST (RENAME_NOREPLACE), ENOTDIR / EISDIR (a directory
        and a non-directory) and ENOTEMPTY -- then the filesystem's own move, `rename_entry`."""
        if self.rename_entry is None:
            raise KernelError(errno.EPERM)
        if new_dir.sb is not self.sb:
            raise KernelError(errno.EXDEV)
        source = self.lookup(name)
        if source is None:
            raise KernelError(errno.ENOENT)
        target = new_dir.lookup(new_name)
        if flags & RENAME_EXCHANGE:
            if target is None:
                raise KernelError(errno.ENOENT)
        elif target is not None and target is not source:
            if flags & RENAME_NOREPLACE:
                raise KernelError(errno.EEXIST)
            if source.is_dir and not target.is_dir:
                raise KernelError(errno.ENOTDIR)
            if not source.is_dir and target.is_dir:
                raise KernelError(errno.EISDIR)
            if target.is_dir and next(iter(target.readdir()), None) is not None:
                raise KernelError(errno.ENOTEMPTY)
        self.rename_entry(name, new_dir, new_name, flags)

    # The filesystem's move of a checked entry (Linux's i_op->rename); None: the filesystem cannot rename.
    rename_entry: "Callable[[bytes, Inode, bytes, int], None] | None" = None

    # --- symlinks -----------------------------------------------------------------------------------------
    def readlink(self) -> bytes:
        raise KernelError(errno.EINVAL)

    # --- data: the filesystem's side of the page cache (address_space_operations, see mm/page_cache.py) ------
    mapping: "PageCache | None" = None   # the inode's page cache (i_mapping), made on first use
    has_backing_store = True             # False: the page cache is the file's only copy (tmpfs)

    @property
    def data_inode(self) -> "Inode":
        """The inode whose mapping holds this file's data (overlayfs: the upper or lower inode)."""
        return self

    def data_stamp(self) -> tuple[int, int]:
        """(size, mtime) of the data as the store has it now (a change seen here invalidates clean pages)."""
        return self.size, self.mtime_ns

    def write_inode(self) -> "Inode":
        """The data inode a write goes to, after whatever must happen first (overlayfs copies up)."""
        return self

    def readahead(self, index: int, frames: list[memoryview]) -> None:
        """Fill the page frames `frames` with the file's pages from `index` on, from its store (zeros past the
        end); the default reads them with one `read_at`."""
        data = self.read_at(index * 4096, 4096 * len(frames))
        for i, frame in enumerate(frames):
            chunk = data[i * 4096:(i + 1) * 4096]
            frame[:len(chunk)] = chunk
            frame[len(chunk):] = bytes(4096 - len(chunk))

    def writepages(self, index: int, pages: list[memoryview]) -> None:
        """Write consecutive pages from `index` on to the store; the last may be short (the end of the file)."""
        self.write_at(index * 4096, pages[0] if len(pages) == 1 else b"".join(pages))

    def write_begin(self, pos: int, count: int) -> None:
        """A write of `count` bytes at `pos` is about to be copied in: refuse it here if it may not (seals)."""

    def write_end(self, pos: int, copied: int) -> None:
        """`copied` bytes were written at `pos` into the page cache (tmpfs moves its size and times here)."""

    def read_at(self, offset: int, size: int) -> bytes:
        """A kernel read of the file's bytes: through the page cache (filesystems with a store of their own
        may read it directly)."""
        if self.is_dir:
            raise KernelError(errno.EISDIR)
        return page_cache(self).read(offset, size)

    def write_at(self, offset: int, data: bytes | memoryview) -> int:
        """A kernel write (overlayfs copy-up): through the page cache."""
        if self.is_dir:
            raise KernelError(errno.EISDIR)
        self.write_begin(offset, len(data))
        return page_cache(self).write_iter(offset, KernelIter(data))

    def truncate(self, size: int) -> None:
        raise KernelError(errno.EINVAL)

    def open(self, path: "VfsPath", flags: int) -> "File":
        """The open file description for this inode (devices and special files override this)."""
        from pynix.fs.file_ops import DirectoryFile, RegularFile
        if self.is_dir:
            return DirectoryFile(path, flags)
        if st.S_ISREG(self.mode):
            return RegularFile(path, flags)
        raise KernelError(errno.ENXIO)


@dataclass(eq=False)
class Dentry:
    name: bytes
    inode: Inode
    parent: "Dentry | None" = None               # None only for a filesystem's root
    children: dict[bytes, "Dentry"] = field(default_factory=dict)
    mounts: int = 0              # mounts sitting on this dentry (Linux's d_mountpoint): 0 skips the mount lookup

    def child(self, name: bytes) -> "Dentry | None":
        """The cached or freshly looked-up child `name` (None if it does not exist)."""
        d = self.children.get(name)
        if d is not None:
            if not self.inode.d_revalidate or self.inode.revalidate(name, d.inode):
                return d
            del self.children[name]
        inode = self.inode.lookup(name)
        if inode is None:
            return None
        d = Dentry(name, inode, self)
        self.children[name] = d
        return d

    def forget(self, name: bytes) -> None:
        self.children.pop(name, None)


@dataclass(eq=False)
class Mount:
    sb: SuperBlock
    root: Dentry
    parent: "Mount | None" = None
    mountpoint: Dentry | None = None
    readonly: bool = False
    source: str = "none"
    # propagation (fs/pnode.py) and the namespace the mount is in (None: an internal mount)
    peers: "PeerGroup | None" = None
    master: "PeerGroup | None" = None
    unbindable: bool = False
    ns: "MountTable | None" = None


class VfsPath:
    """A position in the mount tree (Linux's struct path), never changed once made; equal only to itself.  (A
    slotted class rather than a frozen dataclass: every path walk makes some, and a frozen dataclass's
    __init__ costs 0.5 us against 0.15.)"""

    __slots__ = ("mount", "dentry")

    def __init__(self, mount: Mount, dentry: Dentry) -> None:
        self.mount = mount
        self.dentry = dentry

    def __repr__(self) -> str:
        return f"VfsPath(mount={self.mount.source!r}, dentry={self.dentry.name!r})"

    @property
    def inode(self) -> Inode:
        return self.dentry.inode


class MountTable(NsCommon):
    """A mount namespace (Linux's struct mnt_namespace): its mounts, and which mount covers which dentry.

    clone/unshare(CLONE_NEWNS) gives the caller a copy (`copy_tree`): every mount copied, so that later mounts
    and unmounts in one namespace are invisible in the other -- unless propagation (fs/pnode.py) joins them."""

    ns_type = CLONE_NEWNS
    ns_name = "mnt"

    def __init__(self, root_sb: SuperBlock, source: str = "rootfs") -> None:
        self.root = Mount(root_sb, Dentry(b"/", root_sb.root), readonly=root_sb.readonly, source=source, ns=self)
        self.mounts: list[Mount] = [self.root]
        self._covering: dict[tuple[int, int], Mount] = {}

    def copy_tree(self, to_slave: bool = False) -> "tuple[MountTable, dict[Mount, Mount]]":
        """copy_mnt_ns: a new namespace with a copy of every mount, and which copy stands for which mount (the
        caller moves its root and working directory onto the copies).  Copies keep their originals'
        propagation (fs/pnode.py); `to_slave`: shared mounts are copied as their slaves."""
        from pynix.fs.pnode import copy_propagation
        new = MountTable.__new__(MountTable)
        new.mounts, new._covering = [], {}
        copies: dict[Mount, Mount] = {}
        for m in self.mounts:                      # parents come before their children in the list
            parent = copies.get(m.parent) if m.parent is not None else None
            c = Mount(m.sb, m.root, parent, m.mountpoint, m.readonly, m.source, ns=new)
            copy_propagation(m, c, to_slave)
            copies[m] = c
            new.mounts.append(c)
            if parent is not None:
                new._covering[(id(parent), id(m.mountpoint))] = c
                m.mountpoint.mounts += 1           # (a dentry counts the mounts on it in every namespace)
        new.root = copies[self.root]
        return new, copies

    def mount(self, sb: SuperBlock, where: VfsPath, source: str = "none", readonly: bool = False,
              root: Dentry | None = None) -> Mount:
        """Attach `sb` (or, for a bind mount, the subtree at its dentry `root`) over `where`; a directory only
        covers a directory and a file a file (ENOTDIR)."""
        root = root if root is not None else Dentry(where.dentry.name, sb.root)
        if where.inode.is_dir != root.inode.is_dir:
            raise KernelError(errno.ENOTDIR)
        m = Mount(sb, root, where.mount, where.dentry, readonly or sb.readonly, source, ns=self)
        self._covering[(id(where.mount), id(where.dentry))] = m
        where.dentry.mounts += 1
        self.mounts.append(m)
        return m

    def umount(self, m: Mount, detach: bool = False) -> None:
        """Take `m` out of the tree: EBUSY while mounts sit on it, unless `detach` (MNT_DETACH) takes them
        along; open files and working directories inside keep their (now unreachable) mounts."""
        if m is self.root:
            raise KernelError(errno.EINVAL)
        children = [o for o in self.mounts if o.parent is m]
        if children and not detach:
            raise KernelError(errno.EBUSY)
        for child in children:
            self.umount(child, detach=True)
        from pynix.fs.pnode import make_private
        make_private(m)                            # out of its peer group and its master's slaves
        self.detach_point(m)
        self.mounts.remove(m)

    def detach_point(self, m: Mount) -> None:
        """`m` no longer covers its mountpoint (umount, or the first half of a move)."""
        if m.parent is not None and self._covering.get((id(m.parent), id(m.mountpoint))) is m:
            del self._covering[(id(m.parent), id(m.mountpoint))]
            m.mountpoint.mounts -= 1

    def attach_point(self, m: Mount, parent: "Mount | None", mountpoint: Dentry) -> None:
        """`m` covers `mountpoint` of `parent` from now on (the second half of a move; None: the root)."""
        m.parent, m.mountpoint = parent, mountpoint
        if parent is not None:
            self._covering[(id(parent), id(mountpoint))] = m
            mountpoint.mounts += 1

    def rehash(self) -> None:
        """Rebuild the index of which mount covers which dentry, keyed by object identity: after the table
        was copied (the Python API's Machine.restore)."""
        self._covering = {(id(m.parent), id(m.mountpoint)): m for m in self.mounts if m.parent is not None}

    def covering(self, path: VfsPath) -> Mount | None:
        return self._covering.get((id(path.mount), id(path.dentry)))

    def follow_mounts(self, path: VfsPath) -> VfsPath:
        """Step down into whatever is mounted on `path` (repeatedly: mounts may stack)."""
        if not path.dentry.mounts:
            return path
        while (m := self._covering.get((id(path.mount), id(path.dentry)))) is not None:
            path = VfsPath(m, m.root)
        return path

    def root_path(self) -> VfsPath:
        return self.follow_mounts(VfsPath(self.root, self.root.root))

    def path_of(self, path: VfsPath, root: VfsPath) -> bytes:
        """The absolute name of `path` as seen from `root` (getcwd, /proc/pid/fd, /proc/mounts)."""
        parts: list[bytes] = []
        mount, dentry = path.mount, path.dentry
        while not (mount is root.mount and dentry is root.dentry):
            if dentry is mount.root:
                if mount.parent is None:
                    break
                mount, dentry = mount.parent, mount.mountpoint
                continue
            parts.append(dentry.name)
            if dentry.parent is None:
                break
            dentry = dentry.parent
        return b"/" + b"/".join(reversed(parts))


@dataclass(eq=False)
class FsContext:
    """A process's filesystem view (Linux's fs_struct): root, cwd, umask; shared by CLONE_FS."""
    mounts: MountTable
    root: VfsPath
    cwd: VfsPath
    umask: int = 0o022
    users: int = 1

    def copy(self) -> "FsContext":
        return FsContext(self.mounts, self.root, self.cwd, self.umask)


# ------------------------------------------------------------------------------------------ permissions
MAY_EXEC, MAY_WRITE, MAY_READ = 1, 2, 4


def permission(inode: Inode, mask: int, creds: Credentials) -> None:
    """generic_permission: the owner/group/other bits for the filesystem ids, then the capabilities that
    override them -- CAP_DAC_READ_SEARCH reads any file and searches or lists any directory, CAP_DAC_OVERRIDE
    allows the rest except executing a file no x bit allows.  EACCES otherwise."""
    mode = inode.mode
    if creds.fsuid == inode.uid:
        bits = (mode >> 6) & 7
    elif creds.in_group(inode.gid):
        bits = (mode >> 3) & 7
    else:
        bits = mode & 7
    if not mask & ~bits:
        return
    if inode.is_dir:
        if not mask & MAY_WRITE and creds.has_cap(CAP_DAC_READ_SEARCH) or creds.has_cap(CAP_DAC_OVERRIDE):
            return
    elif mask == MAY_READ and creds.has_cap(CAP_DAC_READ_SEARCH) or \
            (not mask & MAY_EXEC or mode & 0o111) and creds.has_cap(CAP_DAC_OVERRIDE):
        return
    raise KernelError(errno.EACCES)


# -------------------------------------------------------------------------------------------- path walk
RESOLVE_NO_XDEV, RESOLVE_NO_MAGICLINKS, RESOLVE_NO_SYMLINKS, RESOLVE_BENEATH, RESOLVE_IN_ROOT, RESOLVE_CACHED = \
    0x01, 0x02, 0x04, 0x08, 0x10, 0x20


@dataclass
class _LinkCount:
    """Symlinks followed so far in one path walk, nested or one after another (Linux's nd->total_link_count):
    more than MAXSYMLINKS is ELOOP, so `dir/link/link/...` through a link to `.` ends as on Linux."""
    count: int = 0


@dataclass
class Walker:
    """Resolves path names for one process (its FsContext and credentials).

    `restrict` holds openat2's RESOLVE_* restrictions: NO_XDEV refuses to cross a mount (EXDEV), NO_SYMLINKS any
    symlink (ELOOP), NO_MAGICLINKS the /proc links that jump to an object (ELOOP); BENEATH and IN_ROOT are walks
    whose `fs.root` is the starting directory -- BENEATH refuses what would leave it (an absolute path or
    symlink, ".." above it: EXDEV), IN_ROOT treats it as the root; both also refuse magic links."""
    fs: FsContext
    creds: Credentials = KERNEL_CREDS     # whose search permission the walk checks (the kernel's: every one)
    restrict: int = 0

    def _check_link(self, inode: Inode) -> None:
        if self.restrict & RESOLVE_NO_SYMLINKS or self.restrict & (RESOLVE_NO_MAGICLINKS | RESOLVE_BENEATH
                                                                  | RESOLVE_IN_ROOT) and inode.is_magic_link:
            raise KernelError(errno.ELOOP)

    def _cross(self, before: VfsPath, after: VfsPath) -> VfsPath:
        if self.restrict & RESOLVE_NO_XDEV and after.mount is not before.mount:
            raise KernelError(errno.EXDEV)
        return after

    def resolve(self, start: VfsPath, path: bytes, follow: bool = True, must_dir: bool = False) -> VfsPath:
        """The object `path` names (ENOENT if it does not exist)."""
        links = _LinkCount()
        parent, name, trailing = self._walk_parent(start, path, links)
        if name is None:                                 # "/" or a path made only of "." / ".." steps
            return parent
        follow = follow or trailing
        child = parent.dentry.children.get(name)         # the dcache hit of the last component (see _walk_parent)
        if child is not None and not child.mounts and (not follow or child.inode.mode & S_IFMT != S_IFLNK) \
                and (not parent.inode.d_revalidate or parent.inode.revalidate(name, child.inode)):
            result = VfsPath(parent.mount, child)
        else:
            result = self._step(parent, name, follow, links)
            if result is None:
                raise KernelError(errno.ENOENT)
        if (trailing or must_dir) and result.inode.mode & S_IFMT != S_IFDIR:
            raise KernelError(errno.ENOTDIR)
        return result

    def resolve_parent(self, start: VfsPath, path: bytes, links: int = 0) -> tuple[VfsPath, bytes | None, bool]:
        """Walk all but the last component: (the parent directory, the last name, whether a slash followed it).
        The last name is None when the path ends in `.`/`..` or is `/` (then the first item is the target).
        `links`: symlinks the caller already followed on the way here (they count towards MAXSYMLINKS)."""
        return self._walk_parent(start, path, _LinkCount(links))

    def _walk_parent(self, start: VfsPath, path: bytes,
                     links: "_LinkCount") -> tuple[VfsPath, bytes | None, bool]:
        """Every component but the last is a directory to search and enter.  The common step -- a name already in
        the dentry cache, still valid, neither a mountpoint nor a symlink -- is done inline on the dentry alone
        (Linux's RCU walk: lookup_fast); every other one (`.`, `..`, a miss, a mount to cross, a link to
        follow) goes through `_step` / `_dotdot` with the position as a VfsPath."""
        if not path:
            raise KernelError(errno.ENOENT)
        if len(path) >= PATH_MAX:
            raise KernelError(errno.ENAMETOOLONG)
        if path[0] == SLASH:
            if self.restrict & RESOLVE_BENEATH:
                raise KernelError(errno.EXDEV)
            cur = self._cross(start, self.fs.root) if self.restrict else self.fs.root
        else:
            cur = start
        if cur.dentry.mounts:
            cur = self._cross(cur, self.fs.mounts.follow_mounts(cur))
        parts = path.split(b"/")                    # empty parts are repeated or leading/trailing slashes
        last = parts.pop()
        trailing = not last
        while not last:
            if not parts:
                return cur, None, trailing
            last = parts.pop()
        creds, dentry = self.creds, cur.dentry
        for part in parts:
            if not part:
                continue
            inode = dentry.inode
            mode = inode.mode
            if len(part) > NAME_MAX:
                raise KernelError(errno.ENAMETOOLONG)
            if mode & S_IFMT != S_IFDIR:
                raise KernelError(errno.ENOTDIR)
            if mode & 0o111 != 0o111:               # searchable by everyone: nothing to check
                permission(inode, MAY_EXEC, creds)
            child = dentry.children.get(part)
            if child is not None and not child.mounts and child.inode.mode & S_IFMT != S_IFLNK \
                    and (not inode.d_revalidate or inode.revalidate(part, child.inode)):
                dentry = child
                continue
            if dentry is not cur.dentry:
                cur = VfsPath(cur.mount, dentry)
            if part == b"..":
                cur = self._dotdot(cur)
            elif part != b".":
                nxt = self._step(cur, part, True, links)
                if nxt is None:
                    raise KernelError(errno.ENOENT)
                cur = nxt
            dentry = cur.dentry
        if dentry is not cur.dentry:
            cur = VfsPath(cur.mount, dentry)
        if len(last) > NAME_MAX:
            raise KernelError(errno.ENAMETOOLONG)
        mode = dentry.inode.mode
        if mode & S_IFMT != S_IFDIR:
            raise KernelError(errno.ENOTDIR)
        if mode & 0o111 != 0o111:
            permission(dentry.inode, MAY_EXEC, creds)
        if last == b"..":
            return self._dotdot(cur), None, trailing
        if last == b".":
            return cur, None, trailing
        return cur, last, trailing

    def _dotdot(self, cur: VfsPath) -> VfsPath:
        root = self.fs.root
        while True:
            if cur.mount is root.mount and cur.dentry is root.dentry:
                if self.restrict & RESOLVE_BENEATH:
                    raise KernelError(errno.EXDEV)
                return cur                                # never above the process root
            if cur.dentry is cur.mount.root:
                if cur.mount.parent is None:
                    return cur
                cur = self._cross(cur, VfsPath(cur.mount.parent, cur.mount.mountpoint))
                continue
            parent = cur.dentry.parent
            up = VfsPath(cur.mount, parent if parent is not None else cur.dentry)
            return self._cross(up, self.fs.mounts.follow_mounts(up))

    def _step(self, cur: VfsPath, name: bytes, follow: bool, links: "_LinkCount") -> VfsPath | None:
        """Look `name` up in directory `cur`, cross mounts, and follow a symlink if asked."""
        child = cur.dentry.child(name)
        if child is None:
            return None
        nxt = VfsPath(cur.mount, child)
        if child.mounts:
            nxt = self._cross(cur, self.fs.mounts.follow_mounts(nxt))
        if follow and nxt.inode.is_symlink:
            self._check_link(nxt.inode)
            if links.count >= MAXSYMLINKS:
                raise KernelError(errno.ELOOP)
            links.count += 1
            jumped = nxt.inode.nd_jump_link()
            if jumped is not None:
                return jumped
            target = nxt.inode.readlink()
            parent, name2, trailing = self._walk_parent(cur, target, links)
            if name2 is None:
                return parent
            result = self._step(parent, name2, True, links)
            if result is not None and trailing and not result.inode.is_dir:
                raise KernelError(errno.ENOTDIR)
            return result
        return nxt
