"""The procfs superblock and /proc itself (Linux's fs/proc/root.c): the mount, the root directory and its
static subtrees."""
from __future__ import annotations

import errno
import stat as st
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from pynix.block.genhd import proc_partitions
from pynix.errors import KernelError
from pynix.fs.proc.base import PidDir
from pynix.fs.proc.inode import (PROC_ROOT_INO, PROC_SUPER_MAGIC, ProcDir, ProcFileInode, ProcInode, ProcLinkInode,
                            UncachedDentries, random_uuid)
from pynix.fs.proc.misc import (cmdline_global, config_gz, cpuinfo, filesystems, loadavg, meminfo, stat_global,
                           uptime, version, vmstat)
from pynix.fs.proc.proc_sysctl import sysctl_tree, sysvipc_tree
from pynix.fs.proc.task_mmu import net_tree
from pynix.fs.vfs import Inode, SuperBlock, VfsPath

if TYPE_CHECKING:
    from pynix.task.pid_namespace import PidNamespace
    from pynix.task.task import Task, ThreadGroup

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

    def __init__(self, kernel, values: ProcValues, pid_ns: "PidNamespace | None" = None) -> None:
        super().__init__()
        self.kernel = kernel
        self.values = values
        self.pid_ns = pid_ns or getattr(kernel, "init_pid_ns", None)   # the pids it shows (that of its mounter)
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
        """Make sure no mount of this filesystem caches dentries (see `UncachedDentries`)."""
        task = self.current()
        tables = [getattr(self.kernel, "mounts", None)] + ([task.group.fs.mounts] if task is not None else [])
        for table in tables:                       # the machine's first mount namespace and the reader's
            for m in getattr(table, "mounts", ()):
                if m.sb is self and not isinstance(m.root.children, UncachedDentries):
                    m.root.children = UncachedDentries()

    # --- the pid namespace it shows --------------------------------------------------------------------
    def nr(self, kernel_id: int) -> int:
        """The number of the task with kernel id `kernel_id` in this instance's pid namespace (0: not in it)."""
        ns = self.pid_ns
        if ns is None or ns.level == 0:
            return kernel_id
        task = self.kernel.tasks.get(kernel_id)
        return task.pid_link.nr_in(ns) if task is not None else 0

    def nrs(self, kernel_id: int) -> str:
        """Its numbers from this instance's namespace down to its own (the NSpid lines), tab-separated."""
        ns = self.pid_ns
        task = getattr(self.kernel, "tasks", {}).get(kernel_id)
        if ns is None or task is None or task.pid_link is None:
            return str(kernel_id) if ns is None or ns.level == 0 else "0"
        return "\t".join(str(nr) for _, nr in task.pid_link.numbers[ns.level:]) if self.nr(kernel_id) else "0"

    def find(self, nr: int) -> "Task | None":
        ns = self.pid_ns
        return getattr(self.kernel, "tasks", {}).get(nr) if ns is None or ns.level == 0 else ns.tasks.get(nr)

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
            files = {b"cmdline": lambda: cmdline_global(sb.values), b"cpuinfo": lambda: cpuinfo(k),
                     b"filesystems": lambda: filesystems(), b"loadavg": lambda: loadavg(k),
                     b"meminfo": lambda: meminfo(k), b"stat": lambda: stat_global(k),
                     b"partitions": lambda: proc_partitions(),
                     b"swaps": lambda: b"Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n",
                     b"uptime": lambda: uptime(k), b"version": lambda: version(sb.values),
                     b"vmstat": lambda: vmstat(k)}
            static: dict[bytes, Callable[[], Inode]] = {
                name: (lambda name=name, render=render: ProcFileInode(sb, ("g", name), render))
                for name, render in files.items()}
            static[b"self"] = lambda: ProcLinkInode(sb, ("self",), self._self_target)
            static[b"thread-self"] = lambda: ProcLinkInode(sb, ("thread-self",), self._thread_self_target)
            static[b"mounts"] = lambda: ProcLinkInode(sb, ("mounts",), lambda: b"self/mounts")
            static[b"sys"] = lambda: TreeDir(sb, ("sys",), sysctl_tree(sb))
            static[b"sysvipc"] = lambda: TreeDir(sb, ("sysvipc",), sysvipc_tree(k))
            static[b"net"] = lambda: TreeDir(sb, ("net",), net_tree(k))
            static[b"config.gz"] = lambda: ProcFileInode(sb, ("g", b"config.gz"), config_gz)
            self._static = static
        return self._static

    def _self_target(self) -> bytes:
        task = self.sb.current()
        if task is None:
            raise KernelError(errno.ENOENT)
        pid = self.sb.nr(task.group.pid)
        if not pid:
            raise KernelError(errno.ENOENT)          # the reader is not in this instance's pid namespace
        return b"%d" % pid

    def _thread_self_target(self) -> bytes:
        task = self.sb.current()
        if task is None:
            raise KernelError(errno.ENOENT)
        pid, tid = self.sb.nr(task.group.pid), self.sb.nr(task.tid)
        if not pid:
            raise KernelError(errno.ENOENT)
        return b"%d/task/%d" % (pid, tid)

    def children(self) -> dict[bytes, Callable[[], Inode]]:
        kids = dict(self._static_children())
        for pid, group in sorted(getattr(self.sb.kernel, "groups", {}).items()):
            nr = self.sb.nr(pid)
            if nr:
                kids[b"%d" % nr] = lambda group=group: PidDir(self.sb, group, None)
        return kids

    def lookup(self, name: bytes) -> Inode | None:
        self.sb.uncache_mount_roots()
        if name.isdigit() and not name.startswith(b"0"):
            kernel = self.sb.kernel
            task = self.sb.find(int(name))        # any thread's id works, unlisted (proc_pid_lookup)
            if task is None:
                return None
            if task.tid == task.group.pid and getattr(kernel, "groups", {}).get(task.tid) is task.group:
                return PidDir(self.sb, task.group, None)
            return PidDir(self.sb, task.group, task, thread_as_process=True)
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
