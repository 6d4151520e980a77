"""hostfs: a host directory seen inside the guest, confined to that directory, read-only or read-write.

Confinement is the point.  The guest's path walk asks this filesystem for one name at a time, and every host
operation is done *relative to a directory descriptor* reached by that same walk: the mounted directory is
opened once, and each directory below it is opened from its parent's descriptor by one name with
O_PATH|O_DIRECTORY|O_NOFOLLOW.  So a host path is never given to the host as a string with more than one
component, and nothing the host could do to the tree under us (a symlink swapped in for a directory, a rename)
makes an operation land outside the mounted directory:

- `..` is handled by the guest VFS (it never reaches the host), and names containing "/" or NUL, "." and ".."
  are refused here as well;
- a host symlink is returned to the guest as a symlink and resolved in the guest's namespace (an absolute target
  means the guest's root, not the host's); a symlink the guest creates is stored verbatim; no host call follows
  a symlink (files are opened with O_NOFOLLOW, attributes are changed with the *_NOFOLLOW forms or through an
  O_PATH descriptor of the object itself);
- rename and link take both directories from the walk and stay within one mount (EXDEV otherwise).

Directory descriptors are cached per superblock (least recently used first out), so a walk costs one host call
per name, not one per path component.  A cached descriptor follows its directory if the *host* moves it
elsewhere, as an open descriptor on Linux does; the guest itself cannot move anything out.  Objects are checked
against the inode number seen at lookup: one replaced on the host behind our back gives ESTALE, as NFS does.

Differences from a local Linux filesystem: files are created with the caller's host credentials (the guest's
uid/gid are applied with chown when the host allows it, and ignored otherwise); chmod/chown/utimes are the
host's decision (EPERM as it says); mknod makes fifos and sockets only (device nodes: EPERM, as on a `nodev`
mount made by an unprivileged user); fallocate extends sparsely.
"""
from __future__ import annotations

import copy
import ctypes
import errno
import os
import stat as st
import weakref
from collections import OrderedDict

from pynix.errors import KernelError
from pynix.fs.file_ops import RegularFile
from pynix.fs.file import O_ACCMODE, O_RDONLY, O_RDWR, O_WRONLY
from pynix.fs.vfs import RENAME_EXCHANGE, Inode, SuperBlock, VfsPath, dtype_of
from pynix.fs.xattr import XATTR_USER_PREFIX, resolve_name

_CLOEXEC = os.O_CLOEXEC | getattr(os, "O_NOCTTY", 0)
_O_DIR = os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_O_OBJ = os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC
DIR_FD_CACHE = 64
_HOST_ACCESS = {O_RDONLY: os.O_RDONLY, O_WRONLY: os.O_WRONLY, O_RDWR: os.O_RDWR}

_libc = ctypes.CDLL(None, use_errno=True)


def _host_error(e: OSError) -> KernelError:
    return KernelError(e.errno or errno.EIO)


def _check_name(name: bytes) -> None:
    if not name or b"/" in name or b"\0" in name or name in (b".", b".."):
        raise KernelError(errno.EINVAL)


def _renameat2(olddfd: int, old: bytes, newdfd: int, new: bytes, flags: int) -> None:
    if flags == 0:
        os.rename(old, new, src_dir_fd=olddfd, dst_dir_fd=newdfd)
        return
    if _libc.renameat2(olddfd, old, newdfd, new, ctypes.c_uint(flags)) != 0:
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))


COPIED_FDS = "pynix.hostfs: host descriptors of a copy"     # keys of deepcopy's memo (see _dup_for_copy)
COPIED_CLOSERS = "pynix.hostfs: what closes the copy's host descriptors"


def _dup_for_copy(fd: int, memo: dict) -> int:
    """A host descriptor of its own for the copy of the machine being made (the Python API's snapshot and
    restore deep-copy the kernel): the copy must not use descriptors the original closes.  One per host
    descriptor and copy (memo[COPIED_FDS]); the copied object that owns it closes it when it goes, and
    registers its close method in memo[COPIED_CLOSERS] for a snapshot closed before then."""
    fds = memo.setdefault(COPIED_FDS, {})
    if fd not in fds:
        fds[fd] = os.dup(fd)
    return fds[fd]


def _copy_except(obj: object, memo: dict, skip: tuple[str, ...]) -> object:
    """A deep copy of `obj` without its attributes `skip` (the caller sets them)."""
    other = object.__new__(type(obj))
    memo[id(obj)] = other
    for name, value in vars(obj).items():
        if name not in skip:
            setattr(other, name, copy.deepcopy(value, memo))
    return other


class HostfsSuperBlock(SuperBlock):
    fs_type = "hostfs"
    magic = 0x00C0FFEE

    def __init__(self, host_root: str, readonly: bool = True) -> None:
        super().__init__(readonly)
        self.host_root = os.fsencode(os.path.realpath(host_root))
        try:
            self.root_fd = os.open(self.host_root, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
        except OSError as e:
            raise _host_error(e) from None
        self.dir_fds: OrderedDict[HostfsInode, int] = OrderedDict()
        self.root = HostfsInode(self, None, b"", os.fstat(self.root_fd))

    def __deepcopy__(self, memo: dict) -> "HostfsSuperBlock":
        """A copy with a root descriptor of its own and no cached directory descriptors (a copied machine's)."""
        other = _copy_except(self, memo, ("root_fd", "dir_fds"))
        other.root_fd, other.dir_fds = _dup_for_copy(self.root_fd, memo), OrderedDict()
        memo.setdefault(COPIED_CLOSERS, []).append(other.close)
        return other

    def dir_fd(self, inode: "HostfsInode") -> int:
        """A host descriptor of directory `inode`, reached from the mounted directory one name at a time."""
        if inode.parent is None:
            return self.root_fd
        fd = self.dir_fds.get(inode)
        if fd is not None:
            self.dir_fds.move_to_end(inode)
            return fd
        if inode.unlinked:
            raise KernelError(errno.ENOENT)
        parent_fd = self.dir_fd(inode.parent)
        try:
            fd = os.open(inode.name, _O_DIR, dir_fd=parent_fd)
        except OSError as e:
            raise _host_error(e) from None
        try:
            inode.check_same(os.fstat(fd))
        except KernelError:
            os.close(fd)
            raise
        self.dir_fds[inode] = fd
        if len(self.dir_fds) > DIR_FD_CACHE:
            os.close(self.dir_fds.popitem(last=False)[1])
        return fd

    def forget_dir(self, inode: "HostfsInode") -> None:
        fd = self.dir_fds.pop(inode, None)
        if fd is not None:
            os.close(fd)

    def close(self) -> None:
        """Release every host descriptor (the mount is gone)."""
        for fd in self.dir_fds.values():
            os.close(fd)
        self.dir_fds.clear()
        if self.root_fd >= 0:
            os.close(self.root_fd)
            self.root_fd = -1

    def __del__(self) -> None:
        """A machine dropped without Machine.close (many machines in one process) gives its descriptors back."""
        if getattr(self, "root_fd", -1) >= 0:
            self.close()

    def statfs(self) -> dict[str, int]:
        info = super().statfs()
        try:
            v = os.statvfs(self.root_fd)
            info.update(bsize=v.f_bsize, frsize=v.f_frsize, blocks=v.f_blocks, bfree=v.f_bfree, bavail=v.f_bavail,
                        files=v.f_files, ffree=v.f_ffree, namelen=v.f_namemax)
        except OSError:
            pass
        return info


class HostfsInode(Inode):
    """A host object named `name` in directory `parent` (None: the mounted directory itself)."""

    def __init__(self, sb: HostfsSuperBlock, parent: "HostfsInode | None", name: bytes,
                 info: os.stat_result) -> None:
        super().__init__(sb, info.st_mode, info.st_uid, info.st_gid, info.st_rdev, ino=info.st_ino)
        self.parent, self.name = parent, name
        self.unlinked = False
        # children handed out by lookup/create, so that renames and removals done through the guest keep
        # their (parent, name) exact
        self.children: weakref.WeakValueDictionary[bytes, HostfsInode] = weakref.WeakValueDictionary()
        self.open_fds: dict[int, int] = {}       # host descriptors of the open files of this inode -> access
        self._apply(info)

    def __deepcopy__(self, memo: dict) -> "HostfsInode":
        other = _copy_except(self, memo, ("open_fds",))
        other.open_fds = {_dup_for_copy(fd, memo): access for fd, access in self.open_fds.items()}
        return other

    # --- where the object is on the host ----------------------------------------------------------------
    def _apply(self, info: os.stat_result) -> None:
        self.mode, self.uid, self.gid, self.nlink = info.st_mode, info.st_uid, info.st_gid, info.st_nlink
        self.atime_ns, self.mtime_ns, self.ctime_ns = info.st_atime_ns, info.st_mtime_ns, info.st_ctime_ns
        self._size = info.st_size
        self._blocks, self._blksize, self._host_dev = info.st_blocks, info.st_blksize, info.st_dev

    def check_same(self, info: os.stat_result) -> None:
        """ESTALE if the host object now found under our name is not the one looked up."""
        if info.st_ino != self.ino or st.S_IFMT(info.st_mode) != st.S_IFMT(self.mode):
            raise KernelError(errno.ESTALE)

    def _where(self) -> tuple[int, bytes]:
        """(descriptor of the parent directory, name) -- never for the mounted directory itself."""
        if self.unlinked:
            raise KernelError(errno.ENOENT)
        assert self.parent is not None
        return self.sb.dir_fd(self.parent), self.name

    def _open_object(self, flags: int) -> int:
        """A host descriptor of this very object (O_NOFOLLOW, checked against the inode number)."""
        if self.parent is None:
            return os.dup(self.sb.root_fd) if flags == _O_OBJ else os.open(".", flags, dir_fd=self.sb.root_fd)
        dfd, name = self._where()
        try:
            fd = os.open(name, flags, dir_fd=dfd)
        except OSError as e:
            raise _host_error(e) from None
        try:
            self.check_same(os.fstat(fd))
        except KernelError:
            os.close(fd)
            raise
        return fd

    def _open_data(self, access: int) -> int:
        """A host descriptor for reading or writing the contents of this regular file."""
        if self.is_dir:
            raise KernelError(errno.EISDIR)
        if not st.S_ISREG(self.mode):
            raise KernelError(errno.EINVAL)
        return self._open_object(access | os.O_NOFOLLOW | os.O_NONBLOCK | _CLOEXEC)

    def _refresh(self) -> None:
        """Current attributes: of the open directory itself if there is one, else of the name if it still is
        this object (deleted or replaced on the host: keep the last known attributes)."""
        try:
            if self.is_dir and (self.parent is None or self in self.sb.dir_fds):
                info = os.fstat(self.sb.dir_fd(self))
            else:
                dfd, name = self._where()
                info = os.stat(name, dir_fd=dfd, follow_symlinks=False)
            self.check_same(info)
            self._apply(info)
        except (OSError, KernelError):
            pass

    def _writable(self) -> None:
        if self.sb.readonly:
            raise KernelError(errno.EROFS)

    # --- attributes -------------------------------------------------------------------------------------
    @property
    def size(self) -> int:
        return self._size

    def stat(self) -> dict[str, int]:
        self._refresh()
        info = super().stat()
        info.update(blocks=self._blocks, blksize=self._blksize)   # what the host's disk really uses
        return info

    def setattr(self, *, mode: int | None = None, uid: int | None = None, gid: int | None = None,
                atime_ns: int | None = None, mtime_ns: int | None = None) -> None:
        """chmod/chown/utimens on the host object itself (through an O_PATH descriptor of it: a symlink is
        never followed); the host decides who may (EPERM)."""
        self._writable()
        fd = self._open_object(_O_OBJ)
        try:
            info = os.fstat(fd)
            if st.S_ISLNK(info.st_mode):
                if mode is not None:
                    raise KernelError(errno.EOPNOTSUPP)
                dfd, name = self._where()
                target, follow = name, dict(dir_fd=dfd, follow_symlinks=False)
            else:
                target, follow = f"/proc/self/fd/{fd}", {}
            if mode is not None:
                os.chmod(target, mode & 0o7777, **follow)
            if uid is not None or gid is not None:
                os.chown(target, -1 if uid is None else uid, -1 if gid is None else gid, **follow)
            if atime_ns is not None or mtime_ns is not None:
                os.utime(target, ns=(info.st_atime_ns if atime_ns is None else atime_ns,
                                     info.st_mtime_ns if mtime_ns is None else mtime_ns), **follow)
        except OSError as e:
            raise _host_error(e) from None
        finally:
            os.close(fd)
        self._refresh()

    # --- extended attributes: the host object's user.* ones, through an O_PATH descriptor of it -----------
    def _host_xattr(self, op):
        """`op` on the /proc/self/fd path of this very object (it names the object, never a symlink's target)."""
        fd = self._open_object(_O_OBJ)
        try:
            return op(f"/proc/self/fd/{fd}")
        except OSError as e:
            raise _host_error(e) from None
        finally:
            os.close(fd)

    def getxattr(self, name: bytes) -> bytes:
        resolve_name(name, (XATTR_USER_PREFIX,))       # trusted.*, security.*, system.*: the host's own
        return self._host_xattr(lambda where: os.getxattr(where, name))

    def setxattr(self, name: bytes, value: bytes | None, flags: int) -> None:
        resolve_name(name, (XATTR_USER_PREFIX,))
        self._writable()
        if value is None:
            self._host_xattr(lambda where: os.removexattr(where, name))
        else:
            self._host_xattr(lambda where: os.setxattr(where, name, value, flags))

    def listxattr(self) -> list[bytes]:
        if not (st.S_ISREG(self.mode) or self.is_dir):   # only these can have user.* attributes
            return []
        try:
            names = self._host_xattr(os.listxattr)
        except KernelError as e:                         # a host filesystem without xattrs lists none
            if e.errno != errno.EOPNOTSUPP:
                raise
            return []
        return [os.fsencode(n) for n in names if n.startswith("user.")]

    # --- directories ------------------------------------------------------------------------------------
    def _dir(self) -> int:
        if not self.is_dir:
            raise KernelError(errno.ENOTDIR)
        return self.sb.dir_fd(self)

    def _child(self, name: bytes, info: os.stat_result) -> "HostfsInode":
        """The inode of entry `name`: the one already handed out while it lives and is still that host object
        (so a file has one inode, with one page cache), else a new one."""
        child = self.children.get(name)
        if child is not None and child.ino == info.st_ino and st.S_IFMT(child.mode) == st.S_IFMT(info.st_mode):
            child._apply(info)
            return child
        child = HostfsInode(self.sb, self, name, info)
        self.children[name] = child
        return child

    def lookup(self, name: bytes) -> Inode | None:
        _check_name(name)
        dfd = self._dir()
        try:
            info = os.stat(name, dir_fd=dfd, follow_symlinks=False)
        except FileNotFoundError:
            return None
        except OSError as e:
            if e.errno in (errno.ENOTDIR, errno.ENAMETOOLONG):
                return None
            raise _host_error(e) from None
        return self._child(name, info)

    def readdir(self):
        dfd = self._dir()
        try:
            fd = os.open(".", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC, dir_fd=dfd)
        except OSError as e:
            raise _host_error(e) from None
        try:
            with os.scandir(fd) as it:
                entries = []
                for entry in it:
                    try:
                        mode = entry.stat(follow_symlinks=False).st_mode
                    except OSError:
                        mode = 0
                    entries.append((os.fsencode(entry.name), entry.inode(), dtype_of(mode)))
                return entries
        except OSError as e:
            raise _host_error(e) from None
        finally:
            os.close(fd)

    def _new(self, name: bytes, make, uid: int, gid: int) -> Inode:
        """Create `name` with `make(dir_fd, name)`, give it the guest's owner if the host allows, return it."""
        self._writable()
        _check_name(name)
        dfd = self._dir()
        try:
            make(dfd, name)
            info = os.stat(name, dir_fd=dfd, follow_symlinks=False)
        except OSError as e:
            raise _host_error(e) from None
        if (uid, gid) != (info.st_uid, info.st_gid):
            try:
                os.chown(name, uid, gid, dir_fd=dfd, follow_symlinks=False)
                info = os.stat(name, dir_fd=dfd, follow_symlinks=False)
            except OSError:
                pass                                 # the host keeps its own owner (not root, or squashed)
        self._refresh()
        return self._child(name, info)

    def _set_mode(self, dfd: int, name: bytes, mode: int) -> None:
        """The exact mode asked for, whatever pynix's own umask on the host is (never following a symlink)."""
        fd = os.open(name, _O_OBJ, dir_fd=dfd)
        try:
            if not st.S_ISLNK(os.fstat(fd).st_mode):
                os.chmod(f"/proc/self/fd/{fd}", mode & 0o7777)
        finally:
            os.close(fd)

    def create(self, name: bytes, mode: int, uid: int, gid: int) -> Inode:
        def make(dfd: int, n: bytes) -> None:
            fd = os.open(n, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | _CLOEXEC, 0o600, dir_fd=dfd)
            try:
                os.fchmod(fd, mode & 0o7777)
            finally:
                os.close(fd)
        return self._new(name, make, uid, gid)

    def mkdir(self, name: bytes, mode: int, uid: int, gid: int) -> Inode:
        def make(dfd: int, n: bytes) -> None:
            os.mkdir(n, 0o700, dir_fd=dfd)
            self._set_mode(dfd, n, mode)
        return self._new(name, make, uid, gid)

    def mknod(self, name: bytes, mode: int, rdev: int, uid: int, gid: int) -> Inode:
        if st.S_IFMT(mode) not in (st.S_IFIFO, st.S_IFSOCK):
            raise KernelError(errno.EPERM)           # no device nodes on the host (see the module docstring)

        def make(dfd: int, n: bytes) -> None:
            os.mknod(n, st.S_IFMT(mode) | 0o600, 0, dir_fd=dfd)
            self._set_mode(dfd, n, mode)
        return self._new(name, make, uid, gid)

    def symlink(self, name: bytes, target: bytes, uid: int, gid: int) -> Inode:
        return self._new(name, lambda dfd, n: os.symlink(target, n, dir_fd=dfd), uid, gid)

    def link(self, name: bytes, inode: Inode) -> None:
        if not isinstance(inode, HostfsInode) or inode.sb is not self.sb or inode.parent is None:
            raise KernelError(errno.EXDEV)
        self._writable()
        _check_name(name)
        dfd = self._dir()
        src_dfd, src_name = inode._where()
        try:
            os.link(src_name, name, src_dir_fd=src_dfd, dst_dir_fd=dfd, follow_symlinks=False)
        except OSError as e:
            raise _host_error(e) from None
        inode._refresh()
        self._refresh()

    def _detach(self, name: bytes) -> None:
        """`name` is gone from this directory: the inode that had it can no longer be reached by it."""
        child = self.children.pop(name, None)
        if child is not None:
            child.unlinked = True
            self.sb.forget_dir(child)
        self._refresh()

    def unlink(self, name: bytes) -> None:
        self._writable()
        _check_name(name)
        dfd = self._dir()
        try:
            os.unlink(name, dir_fd=dfd)
        except OSError as e:
            raise _host_error(e) from None
        self._detach(name)

    def rmdir(self, name: bytes) -> None:
        self._writable()
        _check_name(name)
        dfd = self._dir()
        try:
            os.rmdir(name, dir_fd=dfd)
        except OSError as e:
            raise _host_error(e) from None
        self._detach(name)

    def rename_entry(self, name: bytes, new_dir: Inode, new_name: bytes, flags: int) -> None:
        assert isinstance(new_dir, HostfsInode)
        self._writable()
        _check_name(name)
        _check_name(new_name)
        dfd, new_dfd = self._dir(), new_dir._dir()
        try:
            _renameat2(dfd, name, new_dfd, new_name, flags)
        except OSError as e:
            raise _host_error(e) from None
        moved, replaced = self.children.pop(name, None), new_dir.children.pop(new_name, None)
        if flags & RENAME_EXCHANGE:                  # the two objects swap names
            if replaced is not None:
                replaced.parent, replaced.name = self, name
                self.children[name] = replaced
        elif replaced is not None:
            replaced.unlinked = True
            self.sb.forget_dir(replaced)
        if moved is not None:
            moved.parent, moved.name = new_dir, new_name
            new_dir.children[new_name] = moved
        self._refresh()
        new_dir._refresh()

    # --- symlinks and data ------------------------------------------------------------------------------
    def readlink(self) -> bytes:
        if not self.is_symlink:
            raise KernelError(errno.EINVAL)
        dfd, name = self._where()
        try:
            return os.readlink(name, dir_fd=dfd)
        except OSError as e:
            raise _host_error(e) from None

    def read_at(self, offset: int, size: int) -> bytes:
        fd = self._open_data(os.O_RDONLY)
        try:
            return os.pread(fd, size, offset)
        except OSError as e:
            raise _host_error(e) from None
        finally:
            os.close(fd)

    # The page cache's side (address_space_operations): pages are read and written with a descriptor of an
    # open file of this inode if there is one (so an unlinked open file keeps working), else one opened by name.
    def _data_fd(self, write: bool) -> tuple[int, bool]:
        """(host descriptor, whether it must be closed after use)."""
        for fd, access in self.open_fds.items():
            if access == os.O_RDWR or access == (os.O_WRONLY if write else os.O_RDONLY):
                return fd, False
        if write:
            self._writable()
        return self._open_data(os.O_WRONLY if write else os.O_RDONLY), True

    def data_stamp(self) -> tuple[int, int]:
        """The host file's current (size, mtime): the cache forgets its clean pages when they change."""
        fd = next(iter(self.open_fds), None)
        try:
            self._apply(os.fstat(fd)) if fd is not None else self._refresh()
        except OSError:
            pass
        return self._size, self.mtime_ns

    def readahead(self, index: int, frames: list[memoryview]) -> None:
        fd, close = self._data_fd(False)
        try:
            n = os.preadv(fd, frames, index << 12)
        except OSError as e:
            raise _host_error(e) from None
        finally:
            if close:
                os.close(fd)
        for frame in frames:                       # zeros past the end of the file
            if n < len(frame):
                frame[max(n, 0):] = bytes(len(frame) - max(n, 0))
            n -= len(frame)

    def writepages(self, index: int, pages: list[memoryview]) -> None:
        fd, close = self._data_fd(True)
        try:
            pos, pages = index << 12, list(pages)
            while pages:
                n = os.pwritev(fd, pages, pos)
                pos += n
                while pages and n >= len(pages[0]):
                    n -= len(pages[0])
                    pages.pop(0)
                if pages and n:
                    pages[0] = pages[0][n:]
            self._apply(os.fstat(fd))
        except OSError as e:
            raise _host_error(e) from None
        finally:
            if close:
                os.close(fd)

    def write_at(self, offset: int, data: bytes | memoryview) -> int:
        self._writable()
        fd = self._open_data(os.O_WRONLY)
        try:
            return _pwrite_all(self, fd, data, offset)
        finally:
            os.close(fd)

    def truncate(self, size: int) -> None:
        self._writable()
        fd = self._open_data(os.O_WRONLY)
        try:
            os.ftruncate(fd, size)
            self._apply(os.fstat(fd))
        except OSError as e:
            raise _host_error(e) from None
        finally:
            os.close(fd)

    def open(self, path: VfsPath, flags: int):
        if st.S_ISREG(self.mode):
            return HostFile(path, flags)
        return super().open(path, flags)


def _pwrite_all(inode: HostfsInode, fd: int, data: bytes | memoryview, offset: int) -> int:
    try:
        done = 0
        view = memoryview(data)
        while done < len(view):
            done += os.pwrite(fd, view[done:], offset + done)
        inode._apply(os.fstat(fd))
        return done
    except OSError as e:
        raise _host_error(e) from None


class HostFile(RegularFile):
    """An open hostfs file: it keeps its own host descriptor, so that it stays usable after the name is
    unlinked or renamed (as an open file on Linux does)."""

    def __init__(self, path: VfsPath, flags: int) -> None:
        super().__init__(path, flags)
        inode: HostfsInode = path.inode
        access = _HOST_ACCESS.get(flags & O_ACCMODE, os.O_RDWR)
        self.host_fd = inode._open_data(access)
        inode.open_fds[self.host_fd] = access          # the page cache reads and writes through these

    def __deepcopy__(self, memo: dict) -> "HostFile":
        """A copy at the same offset with its own host descriptor (the host file's contents are not copied)."""
        other = _copy_except(self, memo, ("host_fd",))
        other.host_fd = _dup_for_copy(self.host_fd, memo)
        memo.setdefault(COPIED_CLOSERS, []).append(other.release)
        return other

    def stat(self) -> dict[str, int]:
        try:
            self.inode._apply(os.fstat(self.host_fd))
        except OSError:
            pass
        info = Inode.stat(self.inode)
        info.update(blocks=self.inode._blocks, blksize=self.inode._blksize)
        return info

    def seekable_size(self) -> int:
        return os.fstat(self.host_fd).st_size

    def bytes_available(self) -> int:
        return max(self.seekable_size() - self.offset, 0)

    def fsync(self) -> None:
        try:
            os.fsync(self.host_fd)
        except OSError as e:
            raise _host_error(e) from None

    def release(self) -> None:
        if self.host_fd >= 0:
            self.inode.open_fds.pop(self.host_fd, None)
            os.close(self.host_fd)
            self.host_fd = -1

    def __del__(self) -> None:
        """The file of a dropped machine (never released by the guest) closes its host descriptor."""
        if getattr(self, "host_fd", -1) >= 0:
            os.close(self.host_fd)
