"""overlayfs: a writable tmpfs layer over a read-only lower layer (gVisor's default rootfs, Linux's overlayfs).

The guest sees the union of both layers.  Reading goes to the upper copy if there is one, else to the lower
file.  The first change to a lower object "copies it up": its parent directories are created in the upper layer,
then the object itself (directory, file data, symlink) with its attributes, and from then on the upper copy is
the object.  Removing a name that exists below leaves a whiteout (a set of hidden names per directory), and a
directory created over a whited-out one is opaque (the lower directory no longer shows through).  Renaming a
directory that has a lower part gives EXDEV, as Linux's overlayfs does without redirect_dir; `mv` then copies.
"""
from __future__ import annotations

import errno
import stat as st

from pynix.errors import KernelError
from pynix.fs.tmpfs import TmpfsSuperBlock
from pynix.fs.vfs import DT_DIR, RENAME_EXCHANGE, Inode, SuperBlock

COPY_CHUNK = 1 << 20
UPPER_INO_BIT = 1 << 48


class OverlaySuperBlock(SuperBlock):
    fs_type = "overlay"
    magic = 0x794C7630

    def __init__(self, lower: SuperBlock, upper: SuperBlock | None = None) -> None:
        """`upper` defaults to a fresh tmpfs; a read-only `upper` makes a read-only union of two layers (-L)."""
        upper = upper or TmpfsSuperBlock(mode=0o755)
        super().__init__(readonly=upper.readonly)
        self.upper_sb = upper
        self.lower_sb = lower
        self.root = OverlayInode(self, None, upper.root, lower.root)

    def close(self) -> None:
        self.upper_sb.close()
        self.lower_sb.close()

    def statfs(self) -> dict[str, int]:
        info = self.lower_sb.statfs()
        info.update(type=self.magic, flags=0)
        return info


class OverlayInode(Inode):
    def __init__(self, sb: OverlaySuperBlock, parent: "OverlayInode | None", upper: Inode | None,
                 lower: Inode | None, name: bytes = b"") -> None:
        real = upper or lower
        # Lower objects keep the host's inode number; objects that exist only in the upper tmpfs get numbers
        # from a range no host filesystem uses (overlayfs's "xino" idea), so the two never collide.
        super().__init__(sb, real.mode, real.uid, real.gid, real.rdev,
                         ino=lower.ino if lower else real.ino | UPPER_INO_BIT)
        self.parent, self.name = parent, name
        self.upper, self.lower = upper, lower
        self.whiteouts: set[bytes] = set()
        self.opaque = False
        self.children: dict[bytes, OverlayInode] = {}

    @property
    def real(self) -> Inode:
        return self.upper or self.lower

    # --- attributes follow the real inode -----------------------------------------------------------------
    @property
    def size(self) -> int:
        return self.real.size

    def stat(self) -> dict[str, int]:
        info = (self.upper or self.lower).stat()
        info["dev"], info["ino"] = self.sb.dev, self.ino
        self.mode, self.nlink = info["mode"], info["nlink"]
        return info

    def setattr(self, **changes) -> None:
        self.copy_up()
        self.upper.setattr(**changes)
        self.mode, self.uid, self.gid = self.upper.mode, self.upper.uid, self.upper.gid   # permission checks

    # --- extended attributes: read from the real inode, changed on the upper copy (ovl_xattr_get/set) ---------
    def getxattr(self, name: bytes) -> bytes:
        return self.real.getxattr(name)

    def listxattr(self) -> list[bytes]:
        return self.real.listxattr()

    def setxattr(self, name: bytes, value: bytes | None, flags: int) -> None:
        self.copy_up().setxattr(name, value, flags)

    # --- copy-up ------------------------------------------------------------------------------------------
    def copy_up(self) -> Inode:
        """Make sure this object exists in the upper layer (with its parents); return the upper inode."""
        if self.upper is not None:
            return self.upper
        parent_upper = self.parent.copy_up()
        low, info = self.lower, self.lower.stat()
        if low.is_dir:
            up = parent_upper.mkdir(self.name, info["mode"] & 0o7777, info["uid"], info["gid"])
        elif low.is_symlink:
            up = parent_upper.symlink(self.name, low.readlink(), info["uid"], info["gid"])
        elif st.S_ISREG(info["mode"]):
            up = parent_upper.create(self.name, info["mode"] & 0o7777, info["uid"], info["gid"])
            for offset in range(0, info["size"], COPY_CHUNK):
                up.write_at(offset, low.read_at(offset, COPY_CHUNK))
        else:
            up = parent_upper.mknod(self.name, info["mode"], info["rdev"], info["uid"], info["gid"])
        for name in low.listxattr():               # ovl_copy_xattr
            up.setxattr(name, low.getxattr(name), 0)
        up.atime_ns, up.mtime_ns = low.atime_ns, low.mtime_ns
        self.upper = up
        return up

    # --- directories --------------------------------------------------------------------------------------
    def lookup(self, name: bytes) -> Inode | None:
        if not self.is_dir:
            raise KernelError(errno.ENOTDIR)
        cached = self.children.get(name)
        if cached is not None:
            return cached
        if name in self.whiteouts:
            return None
        up = self.upper.lookup(name) if self.upper is not None else None
        low = None
        if self.lower is not None and not self.opaque and (up is None or up.is_dir):
            low = self.lower.lookup(name)
            if low is not None and up is not None and not low.is_dir:
                low = None                         # an upper directory hides a lower non-directory
        if up is None and low is None:
            return None
        child = OverlayInode(self.sb, self, up, low, name)
        self.children[name] = child
        return child

    def readdir(self):
        names: dict[bytes, tuple[int, int]] = {}
        if self.lower is not None and not self.opaque:
            for name, ino, dtype in self.lower.readdir():
                names[name] = (ino, dtype)
        if self.upper is not None:                 # the inode number `lookup` gives (see __init__)
            for name, ino, dtype in self.upper.readdir():
                below = names.get(name)
                if below is None or dtype != DT_DIR or below[1] != DT_DIR:
                    names[name] = (ino | UPPER_INO_BIT, dtype)
        # An object already looked up keeps the number it was given (a file copied up since keeps its lower one,
        # as overlayfs's origin does), so the listing agrees with stat.
        children = self.children
        return [(n, children[n].ino if n in children else ino, dtype) for n, (ino, dtype) in names.items()
                if n not in self.whiteouts]

    def _new_entry(self, name: bytes, make) -> Inode:
        if not self.is_dir:
            raise KernelError(errno.ENOTDIR)
        if self.lookup(name) is not None:
            raise KernelError(errno.EEXIST)
        upper = self.copy_up()
        hidden = name in self.whiteouts
        up = make(upper)
        self.whiteouts.discard(name)
        child = OverlayInode(self.sb, self, up, None, name)
        child.opaque = hidden and up.is_dir        # a new directory over a removed one shows nothing below
        self.children[name] = child
        return child

    def create(self, name: bytes, mode: int, uid: int, gid: int) -> Inode:
        return self._new_entry(name, lambda up: up.create(name, mode, uid, gid))

    def mkdir(self, name: bytes, mode: int, uid: int, gid: int) -> Inode:
        return self._new_entry(name, lambda up: up.mkdir(name, mode, uid, gid))

    def mknod(self, name: bytes, mode: int, rdev: int, uid: int, gid: int) -> Inode:
        return self._new_entry(name, lambda up: up.mknod(name, mode, rdev, uid, gid))

    def symlink(self, name: bytes, target: bytes, uid: int, gid: int) -> Inode:
        return self._new_entry(name, lambda up: up.symlink(name, target, uid, gid))

    def link(self, name: bytes, inode: Inode) -> None:
        if not isinstance(inode, OverlayInode) or inode.sb is not self.sb:
            raise KernelError(errno.EXDEV)
        target = inode.copy_up()
        self._new_entry(name, lambda up: (up.link(name, target), target)[1])

    def _remove(self, name: bytes, directory: bool) -> None:
        child = self.lookup(name)
        if child is None:
            raise KernelError(errno.ENOENT)
        if directory != child.is_dir:
            raise KernelError(errno.ENOTDIR if directory else errno.EISDIR)
        if directory and child.readdir():
            raise KernelError(errno.ENOTEMPTY)
        upper = self.copy_up()
        if child.upper is not None:
            (upper.rmdir if directory else upper.unlink)(name)
        if child.lower is not None:
            self.whiteouts.add(name)
        self.children.pop(name, None)

    def unlink(self, name: bytes) -> None:
        self._remove(name, False)

    def rmdir(self, name: bytes) -> None:
        self._remove(name, True)

    def rename_entry(self, name: bytes, new_dir: Inode, new_name: bytes, flags: int) -> None:
        assert isinstance(new_dir, OverlayInode)
        child = self.lookup(name)
        if flags & RENAME_EXCHANGE or (child.is_dir and child.lower is not None):
            raise KernelError(errno.EXDEV)
        target = new_dir.lookup(new_name)
        if target is not None and target.is_dir and target.lower is not None:
            raise KernelError(errno.EXDEV)
        child.copy_up()
        dest = new_dir.copy_up()
        self.upper.rename(name, dest, new_name, flags)
        new_dir.whiteouts.discard(new_name)        # the moved upper entry now covers any lower one
        if child.lower is not None:
            self.whiteouts.add(name)
        self.children.pop(name, None)
        new_dir.children.pop(new_name, None)

    # --- symlinks and data --------------------------------------------------------------------------------
    def readlink(self) -> bytes:
        return self.real.readlink()

    @property
    def data_inode(self) -> Inode:
        return self.real.data_inode

    def write_inode(self) -> Inode:
        return self.copy_up().write_inode()

    def read_at(self, offset: int, size: int) -> bytes:
        return self.real.read_at(offset, size)

    def write_at(self, offset: int, data: bytes | memoryview) -> int:
        return self.copy_up().write_at(offset, data)

    def truncate(self, size: int) -> None:
        self.copy_up().truncate(size)

    def open(self, path, flags: int):
        real = self.real
        if st.S_ISREG(real.mode) and flags & 3 in (1, 2):
            self.copy_up()                         # ovl_open: a file opened for writing is copied up first, so
            return super().open(path, flags)       # that its page cache (and any shared mapping) is the upper's
        if st.S_ISREG(real.mode) or real.is_dir:
            return super().open(path, flags)
        return real.open(path, flags)              # devices, fifos: the real object's own file

