"""/proc/<pid> and /proc/<pid>/task/<tid> (Linux's fs/proc/base.c): the per-process directories and the
small files in them."""
from __future__ import annotations

import errno
import os
from typing import TYPE_CHECKING, Callable

from pynix.errors import KernelError
from pynix.fs.proc.array import (OOM_SCORE_ADJ_MAX, OOM_SCORE_ADJ_MIN, cmdline, environ, leader, parse_kstrtoint,
                            proc_comm, proc_oom_score, proc_pid_limits, proc_pid_stat, proc_pid_statm, proc_pid_status)
from pynix.fs.proc.fd import FdDir, FdInfoDir
from pynix.fs.proc.inode import ProcDir, ProcFileInode, ProcLinkInode, ProcMemInode, as_bytes
from pynix.fs.proc.namespaces import IdMapInode, NsDir
from pynix.fs.proc.task_mmu import show_maps, show_mountinfo, show_mounts, show_smaps, show_smaps_rollup
from pynix.fs.vfs import Inode, VfsPath
from pynix.uapi.capability import CAP_SYS_RESOURCE

PROC_NUMBUF = 13                  # the bytes a write of a number to a /proc/PID file may use, with its NUL

if TYPE_CHECKING:
    from pynix.fs.proc.root import ProcfsSuperBlock
    from pynix.task.task import Task, ThreadGroup

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
        return leader(self.group)

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
        sb, g = self.sb, self.group
        thread_view = self.task is not None
        kids = {
            b"auxv": self._file(b"auxv", lambda: g.mm.saved_auxv, 0o400),
            b"cmdline": self._file(b"cmdline", lambda: cmdline(g)),
            b"comm": self._file(b"comm", lambda: as_bytes(proc_comm(g, self.thread)) + b"\n", 0o644, self._write_comm),
            b"cwd": self._link(b"cwd", lambda: self._fs_path("cwd"), lambda p: self._fs_jump("cwd")),
            b"environ": self._file(b"environ", lambda: environ(g), 0o400),
            b"exe": self._link(b"exe", self._exe_target),
            b"fd": lambda: FdDir(sb, self),
            b"fdinfo": lambda: FdInfoDir(sb, self),
            b"limits": self._file(b"limits", lambda: proc_pid_limits(g)),
            b"maps": self._file(b"maps", lambda: show_maps(sb, g)),
            b"mem": lambda: ProcMemInode(sb, self.key + (b"mem",), g),
            b"mountinfo": self._file(b"mountinfo", lambda: show_mountinfo(sb, g)),
            b"mounts": self._file(b"mounts", lambda: show_mounts(sb, g)),
            b"oom_score": self._file(b"oom_score", lambda: proc_oom_score(sb.kernel, g)),
            b"oom_score_adj": self._file(b"oom_score_adj", lambda: b"%d\n" % g.oom_score_adj, 0o644,
                                         self._write_oom_score_adj),
            b"personality": self._file(b"personality", lambda: b"%08x\n" % g.personality, 0o400),
            b"root": self._link(b"root", lambda: self._fs_path("root"), lambda p: self._fs_jump("root")),
            b"stat": self._file(b"stat", lambda: proc_pid_stat(sb, g, self.thread, thread_view)),
            b"statm": self._file(b"statm", lambda: proc_pid_statm(g)),
            b"smaps": self._file(b"smaps", lambda: show_smaps(sb, g)),
            b"smaps_rollup": self._file(b"smaps_rollup", lambda: show_smaps_rollup(sb, g)),
            b"status": self._file(b"status", lambda: proc_pid_status(sb, g, self.thread, thread_view)),
        }
        kids[b"ns"] = lambda: NsDir(sb, self)
        for name, gid in ((b"uid_map", False), (b"gid_map", True)):
            kids[name] = lambda name=name, gid=gid: IdMapInode(sb, self.key + (name,), g, gid)
        kids[b"setgroups"] = lambda: IdMapInode(sb, self.key + (b"setgroups",), g, None)
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

    def _write_oom_score_adj(self, data: bytes) -> None:
        """oom_score_adj_write: EINVAL outside [-1000, 1000]; EACCES below the process's minimum without
        CAP_SYS_RESOURCE, whose holder's write also becomes the new minimum."""
        value = parse_kstrtoint(data[:PROC_NUMBUF - 1])
        if not OOM_SCORE_ADJ_MIN <= value <= OOM_SCORE_ADJ_MAX:
            raise KernelError(errno.EINVAL)
        self.check()
        g, writer = self.group, self.sb.current()
        privileged = writer is not None and writer.group.creds.has_cap(CAP_SYS_RESOURCE)
        if value < g.oom_score_adj_min and not privileged:
            raise KernelError(errno.EACCES)
        g.oom_score_adj = value
        if privileged:
            g.oom_score_adj_min = value

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
        return {b"%d" % self.sb.nr(t.tid): (lambda t=t: PidDir(self.sb, g, t))
                for t in g.tasks if getattr(kernel, "tasks", {}).get(t.tid) is t}
