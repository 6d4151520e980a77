"""A task's namespaces (Linux's kernel/nsproxy.c): the UTS, IPC, mount and network namespaces it lives in and the
pid namespace its children will be created in.  Its user namespace is in its credentials (Credentials.user_ns)
and its own pid namespace in its pid (Task.pid_link), as in Linux.

Code reaches a task's namespaces through `task.nsproxy`: `.uts` (uname), `.ipc` (System V IPC, mqueue), `.mnt`
(the mount table, which is also the task's `fs.mounts`), `.net` (sockets, devices), `.pid_for_children`.  A
clone shares its parent's nsproxy unless a CLONE_NEW* flag asks for new namespaces (`copy_namespaces`);
unshare(2) replaces the caller's, setns(2) one of them.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from pynix.fs.vfs import FsContext, VfsPath
from pynix.task.pid_namespace import create_pid_ns
from pynix.task.user_namespace import INIT_USER_NS
from pynix.uapi.sched import CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWUTS

if TYPE_CHECKING:
    from pynix.fs.vfs import Mount, MountTable
    from pynix.ipc.util import IpcNamespace
    from pynix.net.namespace import NetNamespace
    from pynix.task.pid_namespace import PidNamespace
    from pynix.task.user_namespace import UserNamespace
    from pynix.task.uts import UtsNamespace

CLONE_NEWNS_ALL = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID | CLONE_NEWNET


@dataclass(eq=False, frozen=True)
class NsProxy:
    uts: "UtsNamespace"
    ipc: "IpcNamespace"
    mnt: "MountTable"
    pid_for_children: "PidNamespace"
    net: "NetNamespace"


def copy_namespaces(nsproxy: NsProxy, flags: int, user_ns: "UserNamespace", fs: FsContext | None,
                    active_pid_ns: "PidNamespace") -> NsProxy:
    """create_new_namespaces: the namespaces the CLONE_NEW* bits of `flags` ask for, made for user namespace
    `user_ns`, the others shared.  A new mount namespace is a copy of the current one, and the filesystem context
    `fs` (the new task's or the unsharing one's, not shared with anyone) moves onto the copies; a new pid
    namespace is a child of the caller's active one and holds only the children created after it."""
    if not flags & CLONE_NEWNS_ALL:
        return nsproxy
    changes: dict[str, object] = {}
    for flag, name in ((CLONE_NEWUTS, "uts"), (CLONE_NEWIPC, "ipc"), (CLONE_NEWNET, "net")):
        if flags & flag:
            ns = getattr(nsproxy, name).copy_ns()
            ns.mark_copied(user_ns)
            changes[name] = ns
    if flags & CLONE_NEWPID:
        changes["pid_for_children"] = create_pid_ns(active_pid_ns, user_ns)
    if flags & CLONE_NEWNS:
        table, copies = nsproxy.mnt.copy_tree(to_slave=user_ns is not (nsproxy.mnt.owner or INIT_USER_NS))
        table.mark_copied(user_ns)
        changes["mnt"] = table
        if fs is not None:
            move_fs(fs, table, copies)
    return replace(nsproxy, **changes)


def move_fs(fs: FsContext, table: "MountTable", copies: "dict[Mount, Mount]") -> None:
    """The root and working directory of `fs` move onto the copies of their mounts in `table` (mounts without a
    copy -- detached ones -- stay where they are)."""
    fs.mounts = table
    fs.root = VfsPath(copies.get(fs.root.mount, fs.root.mount), fs.root.dentry)
    fs.cwd = VfsPath(copies.get(fs.cwd.mount, fs.cwd.mount), fs.cwd.dentry)


def reader_nsproxy(kernel: object) -> NsProxy:
    """The namespaces whose view a /proc file shows: the reading task's (the current one), else the machine's
    first ones."""
    task = getattr(kernel, "current", None)
    return task.nsproxy if task is not None and task.nsproxy is not None else kernel.init_nsproxy
