"""/proc/<pid>/fd and fdinfo (Linux's fs/proc/fd.c): what each descriptor refers to, and reopening it."""
from __future__ import annotations

import errno
import os
import stat as st
from typing import TYPE_CHECKING, Callable

from pynix.errors import KernelError
from pynix.fs.file import File, HostStreamFile
from pynix.fs.file_ops import InodeFile
from pynix.fs.proc.inode import O_CLOEXEC_BIT, ProcDir, ProcFileInode, ProcInode, ProcLinkInode, as_bytes, mount_id
from pynix.fs.vfs import Dentry, Inode, VfsPath
from pynix.uapi.fcntl import O_ACCMODE, O_NONBLOCK, O_RDONLY, O_WRONLY

if TYPE_CHECKING:
    from pynix.fs.proc.base import PidDir
    from pynix.fs.proc.root import ProcfsSuperBlock
    from pynix.task.task import ThreadGroup

class FdDir(ProcDir):
    """/proc/<pid>/fd: a symlink per open descriptor."""

    def __init__(self, sb: ProcfsSuperBlock, piddir: PidDir) -> None:
        g = piddir.group
        super().__init__(sb, piddir.key + (b"fd",), 0o500, g.creds.euid, g.creds.egid)
        self.piddir = piddir

    @property
    def size(self) -> int:
        """proc_fd_getattr: the directory's size is how many descriptors are open (Linux 6.2 on)."""
        return len(self._entries())

    def _entries(self) -> dict:
        if not self.piddir.alive():
            return {}
        return dict(self.piddir.group.fds.entries)

    def children(self) -> dict[bytes, Callable[[], Inode]]:
        return {b"%d" % fd: (lambda fd=fd, file=e.file: self._link(fd, file))
                for fd, e in sorted(self._entries().items())}

    def _link(self, fd: int, file: File) -> Inode:
        g = self.piddir.group
        mode = (0o500 if file.readable else 0) | (0o300 if file.writable else 0)
        sb = self.sb
        link = ProcLinkInode(sb, self.key_of(fd), lambda: fd_link_text(sb, g, file), mode, g.creds.euid,
                             g.creds.egid, lambda path: _jump_to_file(sb, path, file))
        link.link_size = 64                       # what Linux's proc_fd links report
        return link

    def key_of(self, fd: int) -> tuple:
        return self.piddir.key + (b"fd", fd)

    def lookup(self, name: bytes) -> Inode | None:
        entries = self._entries()
        if name.isdigit():
            entry = entries.get(int(name))
            if entry is not None and name == b"%d" % int(name):
                return self._link(int(name), entry.file)
            return None
        # The target of a link that is not a path ("pipe:[123]"), resolved relative to this directory: stands
        # for the object itself, so that opening /proc/self/fd/N reopens it (see the module comment).
        for fd, e in entries.items():
            if not isinstance(e.file, InodeFile) and fd_link_text(self.sb, self.piddir.group, e.file) == name:
                return ReopenInode(self.sb, self.key_of(fd) + (b"reopen",), e.file)
        return None


class FdInfoDir(ProcDir):
    """/proc/<pid>/fdinfo: position, flags, mount and inode of each descriptor."""

    def __init__(self, sb: ProcfsSuperBlock, piddir: PidDir) -> None:
        g = piddir.group
        super().__init__(sb, piddir.key + (b"fdinfo",), 0o500, g.creds.euid, g.creds.egid)
        self.piddir = piddir

    def children(self) -> dict[bytes, Callable[[], Inode]]:
        if not self.piddir.alive():
            return {}
        g = self.piddir.group
        kids = {}
        for fd, e in sorted(g.fds.entries.items()):
            def make(fd=fd, e=e) -> Inode:
                return ProcFileInode(self.sb, self.piddir.key + (b"fdinfo", fd), lambda: _fdinfo(e), 0o400,
                                     g.creds.euid, g.creds.egid)
            kids[b"%d" % fd] = make
        return kids


class ReopenInode(ProcInode):
    """Stands for an open file that has no path (a pipe, a host stream): opening it opens that object again,
    as opening /proc/pid/fd/N does on Linux.

    stat() shows the object (a pipe stats as S_IFIFO), but the mode the VFS acts on says character device for
    a pipe: the open must come here rather than go to the fifo rendezvous of named pipes, since this pipe
    exists already with both its ends (a simplification: Linux would still make an O_RDONLY open wait while
    the pipe has no writer)."""

    def __init__(self, sb: ProcfsSuperBlock, key: tuple, file: File) -> None:
        info = _file_stat(file)
        mode = info.get("mode", st.S_IFIFO | 0o600)
        if st.S_ISFIFO(mode):
            mode = st.S_IFCHR | st.S_IMODE(mode)
        super().__init__(sb, key, mode, info.get("uid", 0), info.get("gid", 0))
        self.file = file

    def stat(self) -> dict[str, int]:
        info = _file_stat(self.file)
        return info or super().stat()

    def truncate(self, size: int) -> None:
        pass                                      # never truncate a host file through its stream

    def open(self, path: VfsPath, flags: int) -> File:
        return reopen_file(self.file, flags)


def reopen_file(file: File, flags: int) -> File:
    """A new open file description for the object `file` refers to (a FIFO-style open of a pipe, a new
    description of a host stream)."""
    acc = flags & O_ACCMODE
    if isinstance(file, HostStreamFile):
        try:
            if st.S_ISSOCK(os.fstat(file.host_fd).st_mode):
                raise KernelError(errno.ENXIO)    # sockets cannot be opened by name
        except OSError:
            raise KernelError(errno.ENXIO) from None
        return HostStreamFile(file.host_fd, flags & (O_ACCMODE | O_NONBLOCK))
    pipe = getattr(file, "pipe", None)
    if pipe is not None:
        from pynix.fs.pipe import PipeReadFile, PipeWriteFile
        if acc == O_RDONLY:
            return PipeReadFile(pipe, flags)
        if acc == O_WRONLY:
            return PipeWriteFile(pipe, flags)
        raise KernelError(errno.EINVAL)
    raise KernelError(errno.ENXIO)


def _jump_to_file(sb: ProcfsSuperBlock, link: VfsPath, file: File) -> VfsPath:
    """Where /proc/pid/fd/N leads: the file's own path, or an object standing for a pathless file."""
    if isinstance(file, InodeFile):
        return file.path
    parent = link.dentry.parent
    inode = ReopenInode(sb, ("reopen", id(file)), file)
    return VfsPath(link.mount, Dentry(link.dentry.name, inode, parent))


def _file_stat(file: File) -> dict[str, int]:
    try:
        return file.stat()
    except KernelError:
        return {}


def _host_fd_name(host_fd: int) -> bytes:
    """What the host calls its descriptor (its /proc/self/fd link), or a Linux-like name from fstat."""
    try:
        return os.fsencode(os.readlink(f"/proc/self/fd/{host_fd}"))
    except OSError:
        pass
    try:
        if os.isatty(host_fd):
            return os.fsencode(os.ttyname(host_fd))
        info = os.fstat(host_fd)
    except OSError:
        return b"anon_inode:[host]"
    if st.S_ISFIFO(info.st_mode):
        return b"pipe:[%d]" % info.st_ino
    if st.S_ISSOCK(info.st_mode):
        return b"socket:[%d]" % info.st_ino
    return b"anon_inode:[host]"


def fd_link_text(sb: ProcfsSuperBlock, group: "ThreadGroup", file: File) -> bytes:
    """The target of /proc/<pid>/fd/N for `file`."""
    name = getattr(file, "proc_link_name", None)      # other file kinds may name themselves (socket:[N]...)
    if callable(name):
        return name()
    if isinstance(file, InodeFile):
        text = group.fs.mounts.path_of(file.path, sb.reader_root(group))
        if file.inode.nlink == 0 and not file.inode.is_dir:
            text += b" (deleted)"
        return text
    pipe = getattr(file, "pipe", None)
    if pipe is not None:
        return b"pipe:[%d]" % pipe.ino
    if isinstance(file, HostStreamFile):
        return _host_fd_name(file.host_fd)
    return b"anon_inode:[%s]" % type(file).__name__.lower().encode()


def _fdinfo(entry) -> bytes:
    file = entry.file
    flags = file.flags | (O_CLOEXEC_BIT if entry.cloexec else 0)
    pos = getattr(file, "offset", 0) if isinstance(file, InodeFile) else 0
    ino = _file_stat(file).get("ino", 0)
    mnt = mount_id(file.path.mount) if isinstance(file, InodeFile) else 0
    return as_bytes(f"pos:\t{pos}\nflags:\t0{flags:o}\nmnt_id:\t{mnt}\nino:\t{ino}\n")
