"""procfs's inodes and files (Linux's fs/proc/inode.c, generic.c, seq_file): directories, generated files,
links and /proc/<pid>/mem; the mount ids mountinfo and fdinfo show."""
from __future__ import annotations

import errno
import itertools
import os
import stat as st
import weakref
from typing import TYPE_CHECKING, Callable, Iterable

from pynix.errors import KernelError
from pynix.fs.file import File
from pynix.fs.file_ops import SEEK_CUR, SEEK_SET, RegularFile
from pynix.fs.vfs import Inode, VfsPath, dtype_of

if TYPE_CHECKING:
    from pynix.fs.proc.root import ProcfsSuperBlock
    from pynix.mm.iov_iter import IovIter
    from pynix.task.task import Task, ThreadGroup

PROC_SUPER_MAGIC = 0x9FA0
PROC_ROOT_INO = 1
USER_HZ = 100                           # clock ticks of /proc/pid/stat, /proc/stat (sysconf(_SC_CLK_TCK))
PAGE_SIZE = 4096
RLIM_INFINITY = (1 << 64) - 1
O_CLOEXEC_BIT = 0o2000000

Render = Callable[[], bytes]


def as_bytes(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def random_uuid() -> str:
    """A random (version 4, RFC 4122 variant) UUID as text, Linux's generate_random_uuid (lib/uuid.c)."""
    raw = bytearray(os.urandom(16))
    raw[6], raw[8] = raw[6] & 0x0F | 0x40, raw[8] & 0x3F | 0x80
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class UncachedDentries(dict):
    """The `children` of every procfs dentry: a dict that never keeps anything, so every path walk through
    /proc asks the inodes again (Linux's pid_revalidate / proc_fd's d_revalidate, simplified)."""

    def get(self, name, default=None):
        return default

    def __setitem__(self, name, dentry) -> None:
        dentry.children = UncachedDentries()            # its children are not cached either

    def pop(self, name, default=None):
        return default


# --------------------------------------------------------------------------------------------- inodes
class ProcInode(Inode):
    def __init__(self, sb: "ProcfsSuperBlock", key: tuple, mode: int, uid: int = 0, gid: int = 0) -> None:
        super().__init__(sb, mode, uid, gid, ino=sb.ino_for(key))
        self.sb: ProcfsSuperBlock = sb

    def setattr(self, **kwargs) -> None:
        raise KernelError(errno.EPERM)

    def revalidate(self, name: bytes, child: Inode) -> bool:
        return False              # never trust a cached entry (normally none is kept at all: `UncachedDentries`)


class ProcDir(ProcInode):
    """A directory whose entries are computed: `children()` maps each name to a function building its inode."""

    def __init__(self, sb: "ProcfsSuperBlock", key: tuple, mode: int = 0o555, uid: int = 0, gid: int = 0) -> None:
        super().__init__(sb, key, st.S_IFDIR | mode, uid, gid)

    def children(self) -> dict[bytes, Callable[[], Inode]]:
        return {}

    def lookup(self, name: bytes) -> Inode | None:
        make = self.children().get(name)
        return make() if make is not None else None

    def readdir(self) -> Iterable[tuple[bytes, int, int]]:
        out = []
        for name, make in self.children().items():
            inode = make()
            out.append((name, inode.ino, dtype_of(inode.mode)))
        return out


class ProcFileInode(ProcInode):
    """A file whose text `render()` generates; `writer`, if given, takes what is written to it."""

    def __init__(self, sb: "ProcfsSuperBlock", key: tuple, render: Render, mode: int = 0o444, uid: int = 0,
                 gid: int = 0, writer: Callable[[bytes], None] | None = None) -> None:
        super().__init__(sb, key, st.S_IFREG | mode, uid, gid)
        self.render = render
        self.writer = writer

    def read_at(self, offset: int, size: int) -> bytes:
        return self.render()[offset:offset + size]

    def write_data(self, data: bytes) -> int:
        if self.writer is None:
            raise KernelError(errno.EINVAL)       # no ->write: vfs_write's EINVAL
        self.writer(data)
        return len(data)

    def truncate(self, size: int) -> None:
        pass                                      # O_TRUNC on a proc file is ignored, as on Linux

    def open(self, path: VfsPath, flags: int) -> File:
        return ProcSeqFile(path, flags)


class ProcMemInode(ProcInode):
    """/proc/PID/mem (Linux's mem_rw): the process's memory at file offsets equal to addresses.  Opening it
    takes the process's address space as it is then and needs ptrace access to it (same user, dumpable, or
    root); reads go through its page tables, writes are a debugger's (FOLL_FORCE: read-only text too)."""

    def __init__(self, sb: "ProcfsSuperBlock", key: tuple, group: "ThreadGroup") -> None:
        super().__init__(sb, key, st.S_IFREG | 0o600, group.creds.euid, group.creds.egid)
        self.group = group

    def open(self, path: VfsPath, flags: int) -> File:
        from pynix.task.cred import ptrace_may_access
        caller = self.sb.kernel.current
        group = self.group
        if caller is not None and not ptrace_may_access(caller.group.creds, group.creds, bool(group.dumpable)):
            raise KernelError(errno.EACCES)
        if group.exit_status is not None:
            raise KernelError(errno.ESRCH)
        return ProcMemFile(path, flags, group.mm)


class ProcMemFile(RegularFile):
    """An open /proc/PID/mem: a transfer stops at the first page that cannot be accessed (EIO if that is the
    first)."""

    def __init__(self, path: VfsPath, flags: int, mm) -> None:
        super().__init__(path, flags)
        self.mm = mm

    def read_iter(self, task: "Task", to: "IovIter") -> int:
        n = self.pread_iter(task, to, self.offset)
        self.offset += n
        return n

    def write_iter(self, task: "Task", source: "IovIter") -> int:
        n = self.pwrite_iter(task, source, self.offset)
        self.offset += n
        return n

    def pread_iter(self, task: "Task", to: "IovIter", pos: int) -> int:
        from pynix.mm.uaccess import copy_from_user
        done, want = 0, to.count
        while done < want:
            n = min(want - done, PAGE_SIZE - (pos + done) % PAGE_SIZE)
            try:
                chunk = copy_from_user(self.mm, pos + done, n)
            except KernelError:
                break
            done += to.copy_to(chunk)
        if want and not done:
            raise KernelError(errno.EIO)
        return done

    def pwrite_iter(self, task: "Task", source: "IovIter", pos: int) -> int:
        data = bytes(source.copy_from(source.count))
        done = 0
        while done < len(data):
            n = min(len(data) - done, PAGE_SIZE - (pos + done) % PAGE_SIZE)
            try:
                self.mm.force_write(pos + done, data[done:done + n])
            except KernelError:
                break
            done += n
        if data and not done:
            raise KernelError(errno.EIO)
        return done

    def lseek(self, offset: int, whence: int) -> int:
        """mem_lseek: any position (addresses are unsigned: no EINVAL for large ones)."""
        if whence not in (SEEK_SET, SEEK_CUR):
            raise KernelError(errno.EINVAL)
        self.offset = (offset if whence == SEEK_SET else self.offset + offset) & ((1 << 64) - 1)
        return self.offset


class ProcLinkInode(ProcInode):
    """A symlink whose target `target()` computes; `jump(path)`, if given, is the object it stands for."""

    def __init__(self, sb: "ProcfsSuperBlock", key: tuple, target: Render, mode: int = 0o777, uid: int = 0,
                 gid: int = 0, jump: Callable[[VfsPath], VfsPath] | None = None) -> None:
        super().__init__(sb, key, st.S_IFLNK | mode, uid, gid)
        self.target = target
        self.jump = jump

    link_size = 0

    @property
    def size(self) -> int:
        return self.link_size

    def readlink(self) -> bytes:
        return self.target()

    @property
    def is_magic_link(self) -> bool:
        return self.jump is not None

    def follow_link(self, path: VfsPath) -> VfsPath | None:
        """Where following this link leads without resolving its text (Linux's nd_jump_link), or None."""
        return self.jump(path) if self.jump is not None else None


class ProcSeqFile(RegularFile):
    """An open proc file: text generated at offset 0, kept while the reader moves forward (seq_file)."""

    def __init__(self, path: VfsPath, flags: int) -> None:
        super().__init__(path, flags)
        self._text: bytes | None = None

    def _content(self, offset: int) -> bytes:
        if self._text is None or offset == 0:
            self._text = self.inode.render()
        return self._text

    def read_iter(self, task: "Task", to: "IovIter") -> int:
        n = self.pread_iter(task, to, self.offset)
        self.offset += n
        return n

    def pread_iter(self, task: "Task", to: "IovIter", pos: int) -> int:
        return to.copy_to(self._content(pos)[pos:pos + to.count])

    def pwrite_iter(self, task: "Task", source: "IovIter", pos: int) -> int:
        return self.inode.write_data(bytes(source.copy_from(source.count)))

    def lseek(self, offset: int, whence: int) -> int:
        """seq_lseek: SEEK_SET and SEEK_CUR only."""
        if whence == SEEK_SET:
            new = offset
        elif whence == SEEK_CUR:
            new = self.offset + offset
        else:
            raise KernelError(errno.EINVAL)
        if new < 0:
            raise KernelError(errno.EINVAL)
        self.offset = new
        return new

    def bytes_available(self) -> int:
        return 0                                   # i_size is 0


_mount_ids: "weakref.WeakKeyDictionary[object, int]" = weakref.WeakKeyDictionary()
_next_mount_id = itertools.count(21)


def mount_id(mount: object) -> int:
    """Linux's mnt_id (mountinfo, fdinfo): a number per mount, stable while it exists."""
    mid = _mount_ids.get(mount)
    if mid is None:
        mid = _mount_ids[mount] = next(_next_mount_id)
    return mid
