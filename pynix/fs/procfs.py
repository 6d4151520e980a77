"""procfs: the guest's /proc, generated from the kernel's own state whenever it is read, in Linux's formats.

- Per process, /proc/<pid>/ (every live or zombie thread group; also /proc/<tid>/ for any thread, unlisted as on
  Linux): auxv, cmdline, comm, cwd, environ, exe, fd/, fdinfo/, limits, maps, mountinfo, mounts, root, stat, statm,
  status, task/<tid>/ (the same files for one thread).
- /proc/self and /proc/thread-self: symlinks that depend on who reads them (`kernel.current`).
- Global files: cmdline, cpuinfo (from `Arch.cpuinfo`), filesystems, loadavg, meminfo, mounts (-> self/mounts),
  stat, swaps, uptime, version, config.gz, a few sysctls under sys/ (kernel, vm, fs), and sysvipc/ (ipc/).

Inodes are created afresh by every lookup and nothing below /proc is kept in the dentry cache: processes come
and go and pids are reused, which Linux handles with pid_revalidate.  Here every procfs directory refuses its
cached entries (`revalidate`), and the dentries of a procfs mount do not even keep them (`_Uncached`, installed
on the mount's root dentry by the first lookup in it), so dead processes are not held in memory by names once
looked up.  A file's text is generated when it is read at offset 0 and kept while the reader moves
forward through it (seq_file's behaviour for sequential reads), so a read in small pieces sees one consistent
snapshot.

Links in /proc/<pid>/fd name what each descriptor refers to: the path of a file opened by path, "pipe:[ino]",
or for the host streams the guest was started with, the host's own name for them (a host terminal "/dev/pts/N",
which devfs also provides; a host pipe "pipe:[ino]").  Linux follows these links without resolving the text
(nd_jump_link), which matters for pipes and deleted files; here the text is resolved, and so that a name like
"pipe:[ino]" still reopens the pipe (`cat /dev/stdin`, `echo > /dev/stderr`), the fd directory also answers
lookups of those names.  `follow_link(path)` on the link inodes gives the exact target for a VFS that supports
magic links.

Command lines and environments are read from the process's memory through the user-access layer, like Linux's
get_mm_cmdline, between the `arg_start`/`arg_end`/`env_start`/`env_end` the loader records in the address space.
"""
from __future__ import annotations

import errno
import itertools
import os
import stat as st
import time
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterable

from pynix.block.genhd import proc_partitions
from pynix.errors import KernelError
from pynix.fs.file import File, HostStreamFile
from pynix.hal.clock import realtime_ns
from pynix.fs.file_ops import SEEK_CUR, SEEK_SET, InodeFile, RegularFile
from pynix.fs.locks import LeaseSettings
from pynix.fs.notify.fanotify import LIMITS as FANOTIFY_LIMITS
from pynix.fs.notify.inotify import LIMITS as INOTIFY_LIMITS
from pynix.fs.sysctl import int_sysctl
from pynix.fs.vfs import Dentry, Inode, SuperBlock, VfsPath, dtype_of
from pynix.mm.page_cache import PageCache
from pynix.uapi.capability import CAP_LAST_CAP
from pynix.task.seccomp import ActionsLogged, actions_avail
from pynix.uapi.fcntl import O_ACCMODE, O_NONBLOCK, O_RDONLY, O_WRONLY

if TYPE_CHECKING:
    from pynix.mm.iov_iter import IovIter
    from pynix.task.task import Task, ThreadGroup

PROC_SUPER_MAGIC = 0x9FA0
PROC_ROOT_INO = 1
USER_HZ = 100                           # clock ticks of /proc/pid/stat, /proc/stat (sysconf(_SC_CLK_TCK))
PAGE_SIZE = 4096
RLIM_INFINITY = (1 << 64) - 1
O_CLOEXEC_BIT = 0o2000000

Render = Callable[[], bytes]


def _b(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def random_uuid() -> str:
    """A random (version 4, RFC 4122 variant) UUID as text, Linux's generate_random_uuid (lib/uuid.c)."""
    raw = bytearray(os.urandom(16))
    raw[6], raw[8] = raw[6] & 0x0F | 0x40, raw[8] & 0x3F | 0x80
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


# ------------------------------------------------------------------------------------------- dentries
class _Uncached(dict):
    """The `children` of every procfs dentry: a dict that never keeps anything, so every path walk through
    /proc asks the inodes again (Linux's pid_revalidate / proc_fd's d_revalidate, simplified)."""

    def get(self, name, default=None):
        return default

    def __setitem__(self, name, dentry) -> None:
        dentry.children = _Uncached()            # its children are not cached either

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
        return False              # never trust a cached entry (normally none is kept at all: `_Uncached`)


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


# --------------------------------------------------------------------------------------- superblock
_mount_ids: "weakref.WeakKeyDictionary[object, int]" = weakref.WeakKeyDictionary()
_next_mount_id = itertools.count(21)


def mount_id(mount: object) -> int:
    """Linux's mnt_id (mountinfo, fdinfo): a number per mount, stable while it exists."""
    mid = _mount_ids.get(mount)
    if mid is None:
        mid = _mount_ids[mount] = next(_next_mount_id)
    return mid


@dataclass(frozen=True)
class ProcValues:
    """What /proc shows that other layers own -- the kernel's pid_max, uname's strings -- given when procfs is
    mounted (syscall/sys_info.py's proc_values), so that procfs need not import them."""
    pid_max: int
    release: str
    version: str


class ProcfsSuperBlock(SuperBlock):
    fs_type = "proc"
    magic = PROC_SUPER_MAGIC

    def __init__(self, kernel, values: ProcValues) -> None:
        super().__init__()
        self.kernel = kernel
        self.values = values
        self._inos: dict[tuple, int] = {("root",): PROC_ROOT_INO}
        self.boot_id = random_uuid()
        self.root = ProcRoot(self)

    def ino_for(self, key: tuple) -> int:
        """A stable inode number per procfs object (same pid and file -> same number)."""
        ino = self._inos.get(key)
        if ino is None:
            ino = self._inos[key] = self.new_ino()
        return ino

    def uncache_mount_roots(self) -> None:
        """Make sure no mount of this filesystem caches dentries (see `_Uncached`)."""
        mounts = getattr(self.kernel, "mounts", None)
        for m in getattr(mounts, "mounts", ()):
            if m.sb is self and not isinstance(m.root.children, _Uncached):
                m.root.children = _Uncached()

    # --- who is asking ------------------------------------------------------------------------------
    def current(self) -> "Task | None":
        return getattr(self.kernel, "current", None)

    def reader_root(self, fallback: "ThreadGroup") -> VfsPath:
        """Paths in link targets and mount tables are shown relative to the reading process's root."""
        task = self.current()
        return task.group.fs.root if task is not None else fallback.fs.root


# ----------------------------------------------------------------------------------------- the root
class ProcRoot(ProcDir):
    def __init__(self, sb: ProcfsSuperBlock) -> None:
        ProcInode.__init__(self, sb, ("root",), st.S_IFDIR | 0o555)
        self._static: dict[bytes, Callable[[], Inode]] | None = None

    def _static_children(self) -> dict[bytes, Callable[[], Inode]]:
        if self._static is None:
            sb, k = self.sb, self.sb.kernel
            files = {b"cmdline": lambda: _cmdline_global(sb.values), b"cpuinfo": lambda: _cpuinfo(k),
                     b"filesystems": lambda: _filesystems(), b"loadavg": lambda: _loadavg(k),
                     b"meminfo": lambda: _meminfo(k), b"stat": lambda: _stat_global(k),
                     b"partitions": lambda: proc_partitions(),
                     b"swaps": lambda: b"Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n",
                     b"uptime": lambda: _uptime(k), b"version": lambda: _version(sb.values)}
            static: dict[bytes, Callable[[], Inode]] = {
                name: (lambda name=name, render=render: ProcFileInode(sb, ("g", name), render))
                for name, render in files.items()}
            static[b"self"] = lambda: ProcLinkInode(sb, ("self",), self._self_target)
            static[b"thread-self"] = lambda: ProcLinkInode(sb, ("thread-self",), self._thread_self_target)
            static[b"mounts"] = lambda: ProcLinkInode(sb, ("mounts",), lambda: b"self/mounts")
            static[b"sys"] = lambda: TreeDir(sb, ("sys",), _sysctl_tree(sb))
            static[b"sysvipc"] = lambda: TreeDir(sb, ("sysvipc",), _sysvipc_tree(k))
            static[b"net"] = lambda: TreeDir(sb, ("net",), _net_tree(k))
            static[b"config.gz"] = lambda: ProcFileInode(sb, ("g", b"config.gz"), _config_gz)
            self._static = static
        return self._static

    def _self_target(self) -> bytes:
        task = self.sb.current()
        if task is None:
            raise KernelError(errno.ENOENT)
        return b"%d" % task.group.pid

    def _thread_self_target(self) -> bytes:
        task = self.sb.current()
        if task is None:
            raise KernelError(errno.ENOENT)
        return b"%d/task/%d" % (task.group.pid, task.tid)

    def children(self) -> dict[bytes, Callable[[], Inode]]:
        kids = dict(self._static_children())
        for pid, group in sorted(getattr(self.sb.kernel, "groups", {}).items()):
            kids[b"%d" % pid] = lambda group=group: PidDir(self.sb, group, None)
        return kids

    def lookup(self, name: bytes) -> Inode | None:
        self.sb.uncache_mount_roots()
        if name.isdigit() and not name.startswith(b"0"):
            kernel = self.sb.kernel
            pid = int(name)
            group = getattr(kernel, "groups", {}).get(pid)
            if group is not None:
                return PidDir(self.sb, group, None)
            task = getattr(kernel, "tasks", {}).get(pid)   # any thread's id works, unlisted (proc_pid_lookup)
            if task is not None:
                return PidDir(self.sb, task.group, task, thread_as_process=True)
            return None
        make = self._static_children().get(name)
        return make() if make is not None else None


class TreeDir(ProcDir):
    """A fixed directory tree: nested dicts of name -> subtree or (render, mode, writer)."""

    def __init__(self, sb: ProcfsSuperBlock, key: tuple, tree: dict) -> None:
        super().__init__(sb, key)
        self.tree = tree

    def children(self) -> dict[bytes, Callable[[], Inode]]:
        kids: dict[bytes, Callable[[], Inode]] = {}
        for name, node in self.tree.items():
            key = self.key_of(name)
            if isinstance(node, dict):
                kids[name] = lambda key=key, node=node: TreeDir(self.sb, key, node)
            else:
                render, mode, writer = node
                kids[name] = lambda key=key, r=render, m=mode, w=writer: ProcFileInode(self.sb, key, r, m,
                                                                                       writer=w)
        return kids

    def key_of(self, name: bytes) -> tuple:
        return ("tree", self.ino, name)


# ------------------------------------------------------------------------------------- processes
def _alive(kernel, group: "ThreadGroup", task: "Task | None") -> bool:
    if getattr(kernel, "groups", {}).get(group.pid) is not group:
        return False
    return task is None or getattr(kernel, "tasks", {}).get(task.tid) is task


class PidDir(ProcDir):
    """/proc/<pid> (task None), /proc/<pid>/task/<tid>, or /proc/<tid> of a non-leader thread."""

    def __init__(self, sb: ProcfsSuperBlock, group: "ThreadGroup", task: "Task | None",
                 thread_as_process: bool = False) -> None:
        self.group, self.task = group, task
        self.in_task_dir = task is not None and not thread_as_process
        tid = task.tid if task is not None else group.pid
        self.key = ("pid", group.pid, tid, self.in_task_dir)
        super().__init__(sb, self.key, 0o555, group.creds.euid, group.creds.egid)

    @property
    def thread(self) -> "Task | None":
        """The task whose per-thread values are shown: the one named, or the leader for /proc/<pid>."""
        if self.task is not None:
            return self.task
        return _leader(self.group)

    def alive(self) -> bool:
        return _alive(self.sb.kernel, self.group, self.task)

    def check(self) -> None:
        if not self.alive():
            raise KernelError(errno.ESRCH)

    def _file(self, name: bytes, render: Callable[[], bytes], mode: int = 0o444,
              writer: Callable[[bytes], None] | None = None) -> Callable[[], Inode]:
        def checked() -> bytes:
            self.check()
            return render()
        g = self.group
        return lambda: ProcFileInode(self.sb, self.key + (name,), checked, mode, g.creds.euid, g.creds.egid,
                                     writer)

    def _link(self, name: bytes, target: Callable[[], bytes],
              jump: Callable[[VfsPath], VfsPath] | None = None) -> Callable[[], Inode]:
        g = self.group
        return lambda: ProcLinkInode(self.sb, self.key + (name,), target, 0o777, g.creds.euid, g.creds.egid, jump)

    def children(self) -> dict[bytes, Callable[[], Inode]]:
        if not self.alive():
            return {}
        sb, k, g = self.sb, self.sb.kernel, self.group
        thread_view = self.task is not None
        kids = {
            b"auxv": self._file(b"auxv", lambda: g.mm.saved_auxv, 0o400),
            b"cmdline": self._file(b"cmdline", lambda: _cmdline(g)),
            b"comm": self._file(b"comm", lambda: _b(_comm(g, self.thread)) + b"\n", 0o644, self._write_comm),
            b"cwd": self._link(b"cwd", lambda: self._fs_path("cwd"), lambda p: self._fs_jump("cwd")),
            b"environ": self._file(b"environ", lambda: _environ(g), 0o400),
            b"exe": self._link(b"exe", self._exe_target),
            b"fd": lambda: FdDir(sb, self),
            b"fdinfo": lambda: FdInfoDir(sb, self),
            b"limits": self._file(b"limits", lambda: _limits(g)),
            b"maps": self._file(b"maps", lambda: _maps(sb, g)),
            b"mountinfo": self._file(b"mountinfo", lambda: _mountinfo(sb, g)),
            b"mounts": self._file(b"mounts", lambda: _mounts(sb, g)),
            b"root": self._link(b"root", lambda: self._fs_path("root"), lambda p: self._fs_jump("root")),
            b"stat": self._file(b"stat", lambda: _stat(k, g, self.thread, thread_view)),
            b"statm": self._file(b"statm", lambda: _statm(g)),
            b"status": self._file(b"status", lambda: _status(k, g, self.thread, thread_view)),
        }
        if not self.in_task_dir:
            kids[b"task"] = lambda: TaskDir(sb, self)
        return dict(sorted(kids.items()))

    # --- links ----------------------------------------------------------------------------------------
    def _exe_target(self) -> bytes:
        g = self.group
        if not self.alive() or g.exit_status is not None or not g.exe:
            raise KernelError(errno.ENOENT)
        return os.fsencode(g.exe)

    def _fs_jump(self, which: str) -> VfsPath:
        g = self.group
        if not self.alive() or g.exit_status is not None:
            raise KernelError(errno.ENOENT)
        return getattr(g.fs, which)

    def _fs_path(self, which: str) -> bytes:
        g = self.group
        path = self._fs_jump(which)
        return g.fs.mounts.path_of(path, self.sb.reader_root(g))

    def _write_comm(self, data: bytes) -> None:
        task = self.thread
        if task is None or not hasattr(task, "comm"):
            raise KernelError(errno.EINVAL)
        task.comm = os.fsdecode(data.split(b"\n")[0][:15])


class TaskDir(ProcDir):
    """/proc/<pid>/task: one directory per thread."""

    def __init__(self, sb: ProcfsSuperBlock, piddir: PidDir) -> None:
        g = piddir.group
        super().__init__(sb, piddir.key + (b"task",), 0o555, g.creds.euid, g.creds.egid)
        self.piddir = piddir

    def children(self) -> dict[bytes, Callable[[], Inode]]:
        if not self.piddir.alive():
            return {}
        kernel, g = self.sb.kernel, self.piddir.group
        return {b"%d" % t.tid: (lambda t=t: PidDir(self.sb, g, t))
                for t in g.tasks if getattr(kernel, "tasks", {}).get(t.tid) is t}


class FdDir(ProcDir):
    """/proc/<pid>/fd: a symlink per open descriptor."""

    def __init__(self, sb: ProcfsSuperBlock, piddir: PidDir) -> None:
        g = piddir.group
        super().__init__(sb, piddir.key + (b"fd",), 0o500, g.creds.euid, g.creds.egid)
        self.piddir = piddir

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
    return _b(f"pos:\t{pos}\nflags:\t0{flags:o}\nmnt_id:\t{mnt}\nino:\t{ino}\n")


# ------------------------------------------------------------------------------- process contents
def _leader(group: "ThreadGroup") -> "Task | None":
    for t in group.tasks:
        if t.tid == group.pid:
            return t
    return group.tasks[0] if group.tasks else None


def _comm(group: "ThreadGroup", task: "Task | None") -> str:
    """The command name (TASK_COMM_LEN - 1 = 15 bytes): the thread's own if the task keeps one, else the
    basename of the executable as exec sets it."""
    for obj in (task, group):
        name = getattr(obj, "comm", None) if obj is not None else None
        if name:
            return name[:15]
    return os.path.basename(group.exe or "")[:15]


def _state(kernel, group: "ThreadGroup", task: "Task | None") -> str:
    from pynix.task.task import TaskState
    if task is None or task.state is TaskState.ZOMBIE:
        return "Z"
    if task.state is TaskState.TRACED:
        return "t"
    if getattr(task, "stopped", False) or getattr(group, "stopped", False):
        return "T"
    if task is getattr(kernel, "current", None):
        return "R"
    return "S" if task.state is TaskState.SLEEPING else "R"


def _tracer_pid(task: "Task | None") -> int:
    link = getattr(task, "ptrace", None)
    return link.tracer.pid if link is not None else 0


STATE_NAMES = {"R": "R (running)", "S": "S (sleeping)", "D": "D (disk sleep)", "T": "T (stopped)",
               "t": "t (tracing stop)", "X": "X (dead)", "Z": "Z (zombie)", "I": "I (idle)"}


def _read_user(mm, start: int, end: int) -> bytes:
    if end <= start:
        return b""
    from pynix.mm.uaccess import copy_from_user
    try:
        return copy_from_user(mm, start, end - start)
    except KernelError:
        return b""


def mm_args(mm) -> tuple[int, int, int, int, int] | None:
    """(arg_start, arg_end, env_start, env_end, start_stack) of an address space, as the loader recorded them
    (Linux's mm_struct fields), or None for one that never ran a program."""
    if not mm.arg_end:
        return None
    return (mm.arg_start, mm.arg_end, mm.env_start, mm.env_end, mm.start_stack)


def _cmdline(group: "ThreadGroup") -> bytes:
    """get_mm_cmdline: the argument strings; if the last byte was overwritten (setproctitle), the text runs
    on into the environment up to the first NUL."""
    if group.exit_status is not None:
        return b""
    args = mm_args(group.mm)
    if args is None:
        return b""
    arg_start, arg_end, env_start, env_end, _ = args
    data = _read_user(group.mm, arg_start, arg_end)
    if data and data[-1] != 0:
        more = _read_user(group.mm, env_start, env_end)
        nul = more.find(b"\0")
        data += more[:nul] if nul >= 0 else more
    return data


def _environ(group: "ThreadGroup") -> bytes:
    if group.exit_status is not None:
        return b""
    args = mm_args(group.mm)
    if args is None:
        return b""
    return _read_user(group.mm, args[2], args[3])


def _cpu_ticks(group: "ThreadGroup", task: "Task | None", whole: bool) -> tuple[int, int]:
    if whole:
        utime, stime = group.cpu_time_ns()
    else:
        utime, stime = (task.utime_ns, task.stime_ns) if task is not None else (0, 0)
    return utime * USER_HZ // 10**9, stime * USER_HZ // 10**9


def _start_ticks(kernel, obj) -> int:
    """Start time in clock ticks after boot (the `start_time` of a task or group, in time.monotonic()
    seconds like `kernel.boot_time`, if the kernel records it)."""
    start = getattr(obj, "start_time", None)
    boot = getattr(kernel, "boot_time", None)
    if start is None or boot is None:
        return 0
    return max(int((start - boot) * USER_HZ), 0)


class _MemUsage:
    """Sizes of an address space, in bytes (what status, stat and statm report)."""

    def __init__(self, group: "ThreadGroup") -> None:
        self.size = self.rss = self.rss_anon = self.rss_file = self.rss_shmem = 0
        self.data = self.stack = self.exe = 0
        self.start_code = self.end_code = self.start_data = self.end_data = 0
        self.start_brk = self.brk = 0
        if group.exit_status is not None:
            return
        mm = group.mm
        exe = group.exe
        for vma in list(mm.vmas):
            length = vma.end - vma.start
            self.size += length
            try:
                resident = len(mm.page_table.present_slots(vma.start, vma.end)) * PAGE_SIZE
            except Exception:
                resident = 0
            self.rss += resident
            if vma.shmem is not None:
                self.rss_shmem += resident
            elif vma.backing is not None:
                self.rss_file += resident
            else:
                self.rss_anon += resident
            if vma.name == "[stack]":
                self.stack += length
            elif vma.prot & 2 and not vma.shared:
                self.data += length
            if vma.backing is not None and vma.name == exe:
                if vma.prot & 4:
                    self.exe += length
                    self.start_code = self.start_code or vma.start
                    self.end_code = max(self.end_code, vma.end)
                elif vma.prot & 2:
                    self.start_data = self.start_data or vma.start
                    self.end_data = max(self.end_data, vma.end)
        self.start_brk, self.brk = mm.brk_start, mm.brk


def _sigset(signals: object) -> int:
    """A signal set as a mask (bit n-1 for signal n), from a mask or a collection of signal numbers."""
    if isinstance(signals, int):
        return signals
    try:
        return sum(1 << (sig - 1) for sig in signals if 1 <= sig <= 64)
    except TypeError:
        return 0


def _sig_masks(group: "ThreadGroup") -> tuple[int, int]:
    """(ignored, caught) signal sets from the handlers."""
    ign = cgt = 0
    for sig, action in group.sigactions.items():
        if 1 <= sig <= 64:
            if action.handler == 1:
                ign |= 1 << (sig - 1)
            elif action.handler != 0:
                cgt |= 1 << (sig - 1)
    return ign, cgt


def _stat(kernel, group: "ThreadGroup", task: "Task | None", thread_view: bool) -> bytes:
    """/proc/<pid>/stat: the 52 fields of do_task_stat."""
    from pynix.tty.tty import tty_stat_fields
    whole = not thread_view
    pid = task.tid if thread_view and task is not None else group.pid
    state = _state(kernel, group, task)
    utime, stime = _cpu_ticks(group, task, whole)
    cutime = group.children_utime_ns * USER_HZ // 10**9
    cstime = group.children_stime_ns * USER_HZ // 10**9
    mem = _MemUsage(group)
    args = None if group.exit_status is not None else mm_args(group.mm)
    arg_start, arg_end, env_start, env_end, start_stack = args or (0, 0, 0, 0, 0)
    ign, cgt = _sig_masks(group)
    nice = group.nice
    rsslim = group.rlimits.get(5, (RLIM_INFINITY, RLIM_INFINITY))[0]
    exit_code = group.exit_status if group.exit_status is not None else 0
    blocked = task.sigmask if task is not None else 0
    fields = [
        state, group.ppid, group.pgid, group.sid, *tty_stat_fields(kernel, group),   # ... tty_nr tpgid
        0x400000, 0, 0, 0, 0,                                            # flags minflt cminflt majflt cmajflt
        utime, stime, cutime, cstime, 20 + nice, nice,                   # utime stime cutime cstime prio nice
        len(group.live_tasks) or 1, 0, _start_ticks(kernel, task or group),   # threads itrealvalue starttime
        mem.size, mem.rss // PAGE_SIZE, rsslim,                          # vsize rss rsslim
        mem.start_code, mem.end_code, start_stack, 0, 0,                 # startcode endcode startstack esp eip
        _sigset(getattr(task, "pending", 0)) & 0x7FFFFFFF, blocked & 0x7FFFFFFF,   # signal blocked (decimal)
        ign & 0x7FFFFFFF, cgt & 0x7FFFFFFF,                              # sigignore sigcatch
        0, 0, 0, group.exit_signal, 0, 0, 0, 0, 0, 0,                   # wchan nswap cnswap exit_signal cpu
        #                                                                  rt_priority policy blkio guest cguest
        mem.start_data, mem.end_data, mem.start_brk,                     # start_data end_data start_brk
        arg_start, arg_end, env_start, env_end, exit_code,               # arg/env bounds exit_code
    ]
    return _b(f"{pid} ({_comm(group, task)}) " + " ".join(str(f) for f in fields) + "\n")


def _statm(group: "ThreadGroup") -> bytes:
    mem = _MemUsage(group)
    pages = [mem.size, mem.rss, mem.rss_file + mem.rss_shmem, mem.exe, 0, mem.data + mem.stack, 0]
    return _b(" ".join(str(p // PAGE_SIZE) for p in pages) + "\n")


def _kb(value: int) -> str:
    return f"{value // 1024:8d} kB"


def _status(kernel, group: "ThreadGroup", task: "Task | None", thread_view: bool) -> bytes:
    creds = group.creds
    pid = task.tid if thread_view and task is not None else group.pid
    state = _state(kernel, group, task)
    ign, cgt = _sig_masks(group)
    blocked = task.sigmask if task is not None else 0
    pending = _sigset(getattr(task, "pending", 0))
    shared = _sigset(getattr(group, "shared_pending", 0))
    name = _comm(group, task).replace("\\", "\\\\").replace("\n", "\\n")
    fd_size = 64
    while fd_size < max(group.fds.entries, default=0) + 1:
        fd_size *= 2
    seccomp = task.seccomp if task is not None else None
    lines = [
        f"Name:\t{name}",
        f"Umask:\t{group.fs.umask:04o}",
        f"State:\t{STATE_NAMES.get(state, state)}",
        f"Tgid:\t{group.pid}",
        "Ngid:\t0",
        f"Pid:\t{pid}",
        f"PPid:\t{group.ppid}",
        f"TracerPid:\t{_tracer_pid(task)}",
        f"Uid:\t{creds.uid}\t{creds.euid}\t{creds.suid}\t{creds.fsuid}",
        f"Gid:\t{creds.gid}\t{creds.egid}\t{creds.sgid}\t{creds.fsgid}",
        f"FDSize:\t{fd_size}",
        f"Groups:\t{' '.join(map(str, creds.groups))} ",     # Linux's trailing space
        f"NStgid:\t{group.pid}",
        f"NSpid:\t{pid}",
        f"NSpgid:\t{group.pgid}",
        f"NSsid:\t{group.sid}",
    ]
    if group.exit_status is None:
        mem = _MemUsage(group)
        lines += [
            f"VmPeak:\t{_kb(mem.size)}", f"VmSize:\t{_kb(mem.size)}", f"VmLck:\t{_kb(group.mm.locked_bytes)}",
            f"VmPin:\t{_kb(0)}",
            f"VmHWM:\t{_kb(mem.rss)}", f"VmRSS:\t{_kb(mem.rss)}", f"RssAnon:\t{_kb(mem.rss_anon)}",
            f"RssFile:\t{_kb(mem.rss_file)}", f"RssShmem:\t{_kb(mem.rss_shmem)}", f"VmData:\t{_kb(mem.data)}",
            f"VmStk:\t{_kb(mem.stack)}", f"VmExe:\t{_kb(mem.exe)}", f"VmLib:\t{_kb(0)}",
            f"VmPTE:\t{_kb(0)}", f"VmSwap:\t{_kb(0)}", f"HugetlbPages:\t{_kb(0)}",
            "CoreDumping:\t0", "THP_enabled:\t1",
        ]
    lines += [
        f"Threads:\t{len(group.live_tasks) or 1}",
        f"SigQ:\t0/{group.rlimits.get(11, (0, 0))[0]}",
        f"SigPnd:\t{pending:016x}",
        f"ShdPnd:\t{shared:016x}",
        f"SigBlk:\t{blocked:016x}",
        f"SigIgn:\t{ign:016x}",
        f"SigCgt:\t{cgt:016x}",
        f"CapInh:\t{creds.cap_inheritable:016x}",
        f"CapPrm:\t{creds.cap_permitted:016x}",
        f"CapEff:\t{creds.cap_effective:016x}",
        f"CapBnd:\t{creds.cap_bset:016x}",
        f"CapAmb:\t{creds.cap_ambient:016x}",
        f"NoNewPrivs:\t{int(group.no_new_privs)}",
        f"Seccomp:\t{seccomp.mode if seccomp is not None else 0}",
        f"Seccomp_filters:\t{seccomp.filter_count if seccomp is not None else 0}",
        "Speculation_Store_Bypass:\tnot vulnerable",
        "SpeculationIndirectBranch:\tnot affected",
        "Cpus_allowed:\t1",
        "Cpus_allowed_list:\t0",
        "Mems_allowed:\t1",
        "Mems_allowed_list:\t0",
        "voluntary_ctxt_switches:\t0",
        "nonvoluntary_ctxt_switches:\t0",
    ]
    return _b("\n".join(lines) + "\n")


_LIMITS = (("Max cpu time", "seconds"), ("Max file size", "bytes"), ("Max data size", "bytes"),
           ("Max stack size", "bytes"), ("Max core file size", "bytes"), ("Max resident set", "bytes"),
           ("Max processes", "processes"), ("Max open files", "files"), ("Max locked memory", "bytes"),
           ("Max address space", "bytes"), ("Max file locks", "locks"), ("Max pending signals", "signals"),
           ("Max msgqueue size", "bytes"), ("Max nice priority", ""), ("Max realtime priority", ""),
           ("Max realtime timeout", "us"))


def _limits(group: "ThreadGroup") -> bytes:
    out = [f"{'Limit':<25} {'Soft Limit':<20} {'Hard Limit':<20} {'Units':<10}\n"]
    for i, (name, unit) in enumerate(_LIMITS):
        soft, hard = group.rlimits.get(i, (RLIM_INFINITY, RLIM_INFINITY))
        line = f"{name:<25} "
        for v in (soft, hard):
            line += f"{'unlimited' if v == RLIM_INFINITY else str(v):<20} "
        out.append(line + (f"{unit:<10}\n" if unit else "\n"))
    return _b("".join(out))


def _split_dev(dev: int) -> tuple[int, int]:
    return (dev >> 8) & 0xFFF, (dev & 0xFF) | ((dev >> 12) & 0xFFF00)


def _maps(sb: ProcfsSuperBlock, group: "ThreadGroup") -> bytes:
    """show_map_vma: `start-end perms offset major:minor inode`, the name padded to column 73."""
    if group.exit_status is not None:
        return b""
    mm = group.mm

    # A file area whose zero-filled part (`image_end` onwards) reaches past its last file page -- an ELF
    # segment's area that mremap grew -- shows as the file part and an anonymous area, as Linux's vm_brk'd .bss.
    areas = []
    for vma in list(mm.vmas):
        if vma.backing is not None and vma.image_end < vma.end:
            file_end = (vma.image_end + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1)
            if file_end <= vma.start:
                areas.append((vma.start, vma.end, vma.prot, vma.shared, "", None, vma.shmem, 0))
                continue
            if file_end < vma.end:
                areas.append((vma.start, file_end, vma.prot, vma.shared, vma.name, vma.backing, None, vma.offset))
                areas.append((file_end, vma.end, vma.prot, vma.shared, "", None, None, 0))
                continue
        areas.append((vma.start, vma.end, vma.prot, vma.shared, vma.name, vma.backing, vma.shmem, vma.offset))

    lines: list[tuple] = []
    prev = None                  # (end, prot, name) of the last anonymous private area shown, for merging
    for start, end, prot, shared, name, image, shmem, offset in areas:
        dev = ino = 0
        anon = image is None and shmem is None and not shared
        if anon and prev is not None and prev == (start, prot, name):
            lines[-1] = (lines[-1][0], end, lines[-1][2])      # adjacent twins merge (vma_merge)
            prev = (end, prot, name)
            continue
        perms = ("r" if prot & 1 else "-") + ("w" if prot & 2 else "-") + ("x" if prot & 4 else "-") + \
                ("s" if shared else "p")
        if image is not None:
            if isinstance(image, PageCache):      # the mapped file's own identity (also after a rename)
                info = image.host.stat()
                dev, ino = info["dev"], info["ino"]
        else:
            offset = 0
            if shmem is not None and not name:
                name, ino = "/dev/zero (deleted)", sb.ino_for(("shmem", id(shmem)))
        major, minor = _split_dev(dev)
        rest = f" {perms} {offset:08x} {major:02x}:{minor:02x} {ino} "
        lines.append((start, end, (rest, name)))
        prev = (end, prot, name) if anon else None
    out = []
    for start, end, (rest, name) in lines:
        line = f"{start:08x}-{end:08x}{rest}"
        if name:
            line = line.ljust(72) + " " + name
        out.append(line + "\n")
    return _b("".join(out))


def _mangle(path: bytes) -> bytes:
    """mangle(): the characters that would break a mount table line, as octal escapes."""
    for ch in b"\\ \t\n":
        path = path.replace(bytes([ch]), b"\\%03o" % ch)
    return path


def _mount_lines(sb: ProcfsSuperBlock, group: "ThreadGroup") -> list[tuple]:
    table = group.fs.mounts
    root = sb.reader_root(group)
    out = []
    for m in list(table.mounts):
        point = table.path_of(VfsPath(m, m.root), root)
        out.append((m, point))
    return out


def _mount_opts(m) -> str:
    return ("ro" if m.readonly else "rw") + ",relatime"


def _mounts(sb: ProcfsSuperBlock, group: "ThreadGroup") -> bytes:
    out = []
    for m, point in _mount_lines(sb, group):
        out.append(b"%s %s %s %s 0 0\n" % (_mangle(_b(m.source or "none")), _mangle(point),
                                           _b(m.sb.fs_type), _b(_mount_opts(m))))
    return b"".join(out)


def _mountinfo(sb: ProcfsSuperBlock, group: "ThreadGroup") -> bytes:
    out = []
    lines = _mount_lines(sb, group)
    for m, _ in lines:
        mount_id(m)                                   # number the mounts in table order
    for m, point in lines:
        mid = mount_id(m)
        parent = mount_id(m.parent) if m.parent is not None else mid
        major, minor = _split_dev(m.sb.dev)
        out.append(b"%d %d %d:%d / %s %s - %s %s %s\n" % (
            mid, parent, major, minor, _mangle(point), _b(_mount_opts(m)), _b(m.sb.fs_type),
            _mangle(_b(m.source or "none")), b"ro" if m.sb.readonly else b"rw"))
    return b"".join(out)


def _net_sysctls() -> dict:
    """/proc/sys/net: the network's fixed settings (net/proc.py)."""
    from pynix.net.proc import SYSCTLS
    return SYSCTLS


def _net_tree(kernel) -> dict:
    """/proc/net: the network's own files (net/proc.py), as Linux's proc_create_net entries are."""
    from pynix.net.proc import proc_net_tree
    return proc_net_tree(kernel)


# ----------------------------------------------------------------------------------------- global files
def _version(values: ProcValues) -> bytes:
    release, version = values.release, values.version
    return _b(f"Linux version {release} (pynix@pynix) (gcc (Debian 12.2.0-14) 12.2.0, GNU ld (GNU Binutils for "
              f"Debian) 2.40) {version}\n")


def _cmdline_global(values: ProcValues) -> bytes:
    return _b(f"BOOT_IMAGE=/boot/vmlinuz-{values.release} root=/dev/root ro quiet\n")


def _cpuinfo(kernel) -> bytes:
    """The arch's description of its CPU, once per online CPU (one package of N cores, as cpu_tree says)."""
    arch = getattr(kernel, "arch", None)
    one = getattr(arch, "cpuinfo", "") or "processor\t: 0\n\n"
    count = kernel.online_cpus() if hasattr(kernel, "online_cpus") else 1
    return _b("".join(_cpuinfo_of(one, n, count) for n in range(count)))


_CPU_NUMBERED = ("processor\t: ", "hart\t\t: ", "core id\t\t: ", "apicid\t\t: ", "initial apicid\t: ")


def _cpuinfo_of(text: str, cpu: int, count: int) -> str:
    lines = []
    for line in text.splitlines(keepends=True):
        if line.startswith(_CPU_NUMBERED):
            line = line.rsplit(": ", 1)[0] + f": {cpu}\n"
        elif line.startswith(("siblings\t: ", "cpu cores\t: ")):
            line = line.rsplit(": ", 1)[0] + f": {count}\n"
        lines.append(line)
    return "".join(lines)


# /proc/config.gz: the kernel configuration, as test harnesses (LTP's tst_kconfig) read it to learn what this
# kernel has.  Only what pynix implements is set; a feature it lacks is "is not set" (add a line with it).
_CONFIG_SET = (
    "64BIT", "MMU", "MULTIUSER", "BINFMT_ELF", "BINFMT_SCRIPT", "FUTEX", "EPOLL", "SIGNALFD", "TIMERFD",
    "EVENTFD", "SHMEM", "TMPFS", "MEMFD_CREATE", "ADVISE_SYSCALLS", "MEMBARRIER", "RSEQ", "POSIX_TIMERS",
    "HIGH_RES_TIMERS", "PROC_FS", "DEVTMPFS", "UNIX98_PTYS", "OVERLAY_FS", "VFAT_FS", "FILE_LOCKING", "FHANDLE",
    "UNIX", "SYSVIPC", "POSIX_MQUEUE", "FSNOTIFY", "INOTIFY_USER", "KCMP", "CHECKPOINT_RESTORE", "NUMA",
    "CROSS_MEMORY_ATTACH",
)
_CONFIG_NOT_SET = (
    "SWAP", "SYSFS", "CGROUPS", "NAMESPACES", "USER_NS", "SECCOMP", "BPF_SYSCALL", "AIO", "IO_URING", "KEYS",
    "FANOTIFY", "DNOTIFY", "QUOTA", "HUGETLBFS", "TRANSPARENT_HUGEPAGE", "FUTEX_PI", "RT_GROUP_SCHED",
    "USERFAULTFD", "PERF_EVENTS", "MODULES", "KEXEC", "AUDIT", "SECURITY", "BLK_DEV_LOOP",
)


def _config_gz() -> bytes:
    import gzip
    lines = [f"CONFIG_{name}=y" for name in _CONFIG_SET] + [f"# CONFIG_{name} is not set" for name in _CONFIG_NOT_SET]
    return gzip.compress(("\n".join(lines) + "\n").encode(), mtime=0)


FILESYSTEMS = (b"tmpfs", b"devtmpfs", b"proc", b"pipefs", b"devpts", b"mqueue", b"hostfs")   # registered types


def _filesystems() -> bytes:
    """Block-device filesystems without "nodev" (busybox mount tries each of them when no -t is given)."""
    return b"".join(b"nodev\t%s\n" % name for name in FILESYSTEMS) \
        + b"".join(b"\t%s\n" % name for name in (b"ext2", b"ext3", b"ext4", b"vfat"))


def _uptime_seconds(kernel) -> float:
    boot = getattr(kernel, "boot_time", None)
    return max(time.monotonic() - boot, 0.0) if boot is not None else 0.0


def _busy_ns(kernel) -> int:
    tasks = list(getattr(kernel, "tasks", {}).values())
    return sum(t.utime_ns + t.stime_ns for t in tasks)


def _uptime(kernel) -> bytes:
    up = _uptime_seconds(kernel)
    idle = max(up - _busy_ns(kernel) / 1e9, 0.0)
    return _b(f"{up:.2f} {idle:.2f}\n")


def _runnable(kernel) -> int:
    from pynix.task.task import TaskState
    return sum(1 for t in getattr(kernel, "tasks", {}).values() if t.state is TaskState.RUNNABLE)


def _loadavg(kernel) -> bytes:
    tasks = getattr(kernel, "tasks", {})
    return _b(f"0.00 0.00 0.00 {_runnable(kernel)}/{len(tasks)} {getattr(kernel, '_last_pid', 0)}\n")


def _stat_global(kernel) -> bytes:
    up = _uptime_seconds(kernel)
    busy = _busy_ns(kernel) * USER_HZ // 10**9
    per_cpu = getattr(kernel, "cpu_busy_ns", [0])
    idle = max(int(up * USER_HZ) * len(per_cpu) - busy, 0)
    cpu = f"{busy} 0 0 {idle} 0 0 0 0 0 0"
    btime = int(realtime_ns() / 10**9 - up)      # the boot time on the wall clock moves when it is set
    lines = [f"cpu  {cpu}"]
    if len(per_cpu) == 1:
        lines.append(f"cpu0 {cpu}")
    else:                                        # each CPU's own time running tasks (Kernel.cpu_busy_ns)
        for n, ns in enumerate(per_cpu):
            mine = ns * USER_HZ // 10**9
            lines.append(f"cpu{n} {mine} 0 0 {max(int(up * USER_HZ) - mine, 0)} 0 0 0 0 0 0")
    lines += ["intr 0", "ctxt 0", f"btime {btime}",
             f"processes {getattr(kernel, '_last_pid', 0)}", f"procs_running {max(_runnable(kernel), 1)}",
             "procs_blocked 0", "softirq 0 0 0 0 0 0 0 0 0 0 0"]
    return _b("\n".join(lines) + "\n")


def _meminfo(kernel) -> bytes:
    frames = getattr(kernel, "frames", None)
    total = getattr(frames, "total_frames", 0) * PAGE_SIZE
    free = getattr(frames, "free_frames", 0) * PAGE_SIZE
    used = total - free
    rows = [("MemTotal", total), ("MemFree", free), ("MemAvailable", free), ("Buffers", 0), ("Cached", 0),
            ("SwapCached", 0), ("Active", used), ("Inactive", 0), ("Active(anon)", used), ("Inactive(anon)", 0),
            ("Active(file)", 0), ("Inactive(file)", 0), ("Unevictable", 0), ("Mlocked", 0), ("SwapTotal", 0),
            ("SwapFree", 0), ("Zswap", 0), ("Zswapped", 0), ("Dirty", 0), ("Writeback", 0), ("AnonPages", used),
            ("Mapped", 0), ("Shmem", 0), ("KReclaimable", 0), ("Slab", 0), ("SReclaimable", 0),
            ("SUnreclaim", 0), ("KernelStack", 0), ("PageTables", 0), ("NFS_Unstable", 0), ("Bounce", 0),
            ("WritebackTmp", 0), ("CommitLimit", total // 2), ("Committed_AS", used),
            ("VmallocTotal", 34359738367 * 1024), ("VmallocUsed", 0), ("VmallocChunk", 0), ("Percpu", 0),
            ("HardwareCorrupted", 0), ("AnonHugePages", 0), ("ShmemHugePages", 0), ("ShmemPmdMapped", 0),
            ("FileHugePages", 0), ("FilePmdMapped", 0)]
    out = [f"{(label + ':'):<15} {_kb(value)}\n" for label, value in rows]
    out += ["HugePages_Total:       0\n", "HugePages_Free:        0\n", "HugePages_Rsvd:        0\n",
            "HugePages_Surp:        0\n", f"Hugepagesize:   {_kb(2048 * 1024)}\n", f"Hugetlb:        {_kb(0)}\n",
            f"DirectMap4k:    {_kb(total)}\n"]
    return _b("".join(out))


def _setting(owner: object, attr: str, low: int) -> tuple:
    """A writable sysctl holding a number >= `low` in `owner.attr`: (render, mode, write)."""
    render, write = int_sysctl(owner, attr, low)
    return render, 0o644, write


def _sysctl_tree(sb: ProcfsSuperBlock) -> dict:
    kernel = sb.kernel

    def value(fn: Callable[[], object], mode: int = 0o644):
        return (lambda: _b(f"{fn()}\n"), mode, None)

    def const(v: object, mode: int = 0o644):
        return value(lambda: v, mode)

    values = sb.values
    ipc = getattr(kernel, "ipc", None)
    ipc_sysctls = {name: (render, 0o644, write) for name, (render, write) in ipc.sysctls().items()} if ipc else {}
    return {
        b"kernel": {
            **ipc_sysctls,
            b"hostname": value(lambda: kernel.uts_namespace.nodename.decode("utf-8", "replace")),
            b"domainname": value(lambda: kernel.uts_namespace.domainname.decode("utf-8", "replace")),
            b"ostype": const("Linux", 0o444),
            b"osrelease": const(values.release, 0o444),
            b"version": const(values.version, 0o444),
            b"pid_max": const(values.pid_max),
            b"threads-max": value(lambda: getattr(kernel, "pids_max", 4096)),
            b"ngroups_max": const(65536, 0o444),
            b"cap_last_cap": const(CAP_LAST_CAP, 0o444),
            b"overflowuid": const(65534),
            b"overflowgid": const(65534),
            b"seccomp": {
                b"actions_avail": (actions_avail, 0o444, None),
                b"actions_logged": (ActionsLogged.render, 0o644, ActionsLogged.write),
            },
            b"random": {
                b"boot_id": const(sb.boot_id, 0o444),
                b"uuid": value(random_uuid, 0o444),
                b"entropy_avail": const(256, 0o444),
                b"poolsize": const(256, 0o444),
            },
        },
        b"vm": {
            b"overcommit_memory": const(0),
            b"overcommit_ratio": const(50),
            b"max_map_count": const(65530),
            b"mmap_min_addr": const(65536),
        },
        b"fs": {
            b"inotify": {name.encode(): value(lambda name=name: getattr(INOTIFY_LIMITS, name))
                         for name in ("max_queued_events", "max_user_instances", "max_user_watches")},
            b"fanotify": {name.encode(): value(lambda name=name: getattr(FANOTIFY_LIMITS, name))
                          for name in ("max_queued_events", "max_user_groups", "max_user_marks")},
            **({b"mqueue": {name: (render, 0o644, write) for name, (render, write)
                            in ipc.mqueue.limits.sysctls().items()}} if ipc else {}),
            b"lease-break-time": _setting(LeaseSettings, "break_time", 0),
            b"leases-enable": _setting(LeaseSettings, "enable", 0),
            b"pipe-max-size": const(1048576),
            b"file-max": const(9223372036854775807),
            b"nr_open": const(1048576),
        },
        b"net": {section: {name: const(v, 0o444) for name, v in values.items()}
                 for section, values in _net_sysctls().items()},
    }


def _sysvipc_tree(kernel) -> dict:
    """/proc/sysvipc: the System V IPC objects, as ipcs reads them (pynix/ipc/)."""
    from pynix.ipc.msg import proc_sysvipc_msg
    from pynix.ipc.sem import proc_sysvipc_sem
    from pynix.ipc.shm import proc_sysvipc_shm
    ipc = getattr(kernel, "ipc", None)
    if ipc is None:
        return {}
    return {b"shm": (lambda: proc_sysvipc_shm(ipc), 0o444, None), b"sem": (lambda: proc_sysvipc_sem(ipc), 0o444, None),
            b"msg": (lambda: proc_sysvipc_msg(ipc), 0o444, None)}
