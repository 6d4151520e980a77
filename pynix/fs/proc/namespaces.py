"""/proc/<pid>/ns and the user-namespace map files (Linux's fs/proc/namespaces.c, kernel/user_namespace.c's
proc files)."""
from __future__ import annotations

import errno
from typing import TYPE_CHECKING, Callable

from pynix.errors import KernelError
from pynix.fs.file import File
from pynix.fs.nsfs import ns_path
from pynix.fs.proc.inode import ProcDir, ProcFileInode, ProcLinkInode, ProcSeqFile
from pynix.fs.vfs import Inode, VfsPath
from pynix.task.user_namespace import show_map, write_map, write_setgroups

if TYPE_CHECKING:
    from pynix.fs.proc.base import PidDir
    from pynix.fs.proc.root import ProcfsSuperBlock
    from pynix.fs.ns_common import NsCommon
    from pynix.mm.iov_iter import IovIter
    from pynix.task.task import Task, ThreadGroup

class NsDir(ProcDir):
    """/proc/<pid>/ns: a magic link per namespace, reading "uts:[4026531838]" and leading to its nsfs inode
    (fs/nsfs.py), which setns(2) takes."""

    NAMES = (b"ipc", b"mnt", b"net", b"pid", b"pid_for_children", b"user", b"uts")

    def __init__(self, sb: ProcfsSuperBlock, piddir: PidDir) -> None:
        g = piddir.group
        self.key = piddir.key + (b"ns",)
        super().__init__(sb, self.key, 0o511, g.creds.euid, g.creds.egid)
        self.piddir = piddir

    def _ns(self, name: bytes) -> "NsCommon":
        self.piddir.check()
        task = self.piddir.thread
        if task is None or task.nsproxy is None:
            raise KernelError(errno.ENOENT)
        if name == b"user":
            return self.piddir.group.creds.user_ns
        if name == b"pid":
            return task.pid_link.ns
        ns = getattr(task.nsproxy, name.decode())
        if name == b"pid_for_children" and ns.child_reaper is None:
            raise KernelError(errno.ENOENT)         # a pid namespace before its pid 1 exists (pidns_for_children_get)
        return ns

    def children(self) -> dict[bytes, Callable[[], Inode]]:
        if not self.piddir.alive():
            return {}
        g = self.piddir.group
        return {name: (lambda name=name: NsLinkInode(self.sb, self.key + (name,),
                                                     lambda: self._ns(name).link_text(), 0o777, g.creds.euid,
                                                     g.creds.egid, lambda path: ns_path(self._ns(name))))
                for name in self.NAMES}


class NsLinkInode(ProcLinkInode):
    """/proc/<pid>/ns/NAME: following it leads to the namespace's nsfs inode, whatever its text says."""

    def nd_jump_link(self) -> VfsPath:
        return self.jump(None)


class IdMapInode(ProcFileInode):
    """/proc/<pid>/uid_map and gid_map (`gid` False/True) and setgroups (`gid` None) of the process's user
    namespace (task/user_namespace.py: what may be written, once)."""

    def __init__(self, sb: ProcfsSuperBlock, key: tuple, group: "ThreadGroup", gid: bool | None) -> None:
        super().__init__(sb, key, self._render, 0o644, group.creds.euid, group.creds.egid)
        self.group, self.gid = group, gid

    def _render(self) -> bytes:
        ns = self.group.creds.user_ns
        if self.gid is None:
            return b"allow\n" if ns.setgroups_allowed else b"deny\n"
        reader = self.sb.current()
        return show_map(ns, reader.group.creds.user_ns if reader is not None else ns, self.gid)

    def open(self, path: VfsPath, flags: int) -> File:
        return IdMapFile(path, flags, self.sb.current())


class IdMapFile(ProcSeqFile):
    """An open map file: it remembers the user namespace of its opener (Linux's seq_user_ns)."""

    def __init__(self, path: VfsPath, flags: int, opener: "Task | None") -> None:
        super().__init__(path, flags)
        self.opener_ns = opener.group.creds.user_ns if opener is not None else None

    def pwrite_iter(self, task: "Task", source: "IovIter", pos: int) -> int:
        inode = self.inode
        data = bytes(source.copy_from(source.count))
        ns = inode.group.creds.user_ns
        if inode.gid is None:
            return write_setgroups(ns, task.group.creds, data, pos)
        return write_map(ns, task.group.creds, self.opener_ns or ns, inode.gid, data, pos)
