"""setns(2), and the namespace half of unshare(2) (Linux's kernel/nsproxy.c and each namespace's install).

unshare(CLONE_NEW*): the caller moves into new namespaces (task/nsproxy.py's copy_namespaces); CLONE_NEWUSER
first, which any process may do (the new namespace then gives it the capabilities the others need: CAP_SYS_ADMIN
over its user namespace, else EPERM).  CLONE_NEWPID changes only where the caller's children go.

setns(fd, nstype): `fd` is a /proc/PID/ns file (fs/nsfs.py) -- `nstype` 0 or its CLONE_NEW* kind, else EINVAL
-- or a pidfd, whose process's namespaces of the kinds `nstype` lists are all joined.  Joining needs
CAP_SYS_ADMIN over the namespace's owner and the caller's own user namespace (EPERM); a pid namespace must be the
caller's own or a descendant (EINVAL), and only the caller's future children enter it; joining a mount
namespace moves the root and working directory to its root (EINVAL while the filesystem context is shared); a
user namespace cannot be the current one, nor be joined by a threaded process (EINVAL), and gives every
capability in it.
"""
from __future__ import annotations

import errno
from dataclasses import replace

from pynix.errors import KernelError
from pynix.fs.ns_common import NsCommon
from pynix.fs.nsfs import NsFile
from pynix.fs.vfs import VfsPath
from pynix.syscall.registry import s32, syscall
from pynix.task.cred import commit_creds
from pynix.task.nsproxy import CLONE_NEWNS_ALL, copy_namespaces
from pynix.task.pidfd import PidFd
from pynix.task.task import Task, ThreadGroup
from pynix.task.user_namespace import INIT_USER_NS, UserNamespace, create_user_ns, ns_capable, set_cred_user_ns
from pynix.uapi.capability import CAP_SYS_ADMIN
from pynix.uapi.sched import (CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWUSER,
                              CLONE_NEWUTS)

_NSPROXY_FIELD = {CLONE_NEWUTS: "uts", CLONE_NEWIPC: "ipc", CLONE_NEWNS: "mnt", CLONE_NEWNET: "net",
                  CLONE_NEWPID: "pid_for_children"}


def unshare_namespaces(task: Task, flags: int) -> None:
    """unshare(2)'s CLONE_NEW* part (the caller has already unshared its filesystem context for CLONE_NEWNS and
    CLONE_NEWUSER)."""
    group = task.group
    creds = group.creds
    if flags & CLONE_NEWPID and task.nsproxy.pid_for_children is not task.pid_link.ns:
        raise KernelError(errno.EINVAL)           # unshared once already, and no child made since (copy_pid_ns)
    if flags & CLONE_NEWUSER:
        creds = create_user_ns(creds)
    if flags & CLONE_NEWNS_ALL and not ns_capable(creds, creds.user_ns, CAP_SYS_ADMIN):
        raise KernelError(errno.EPERM)
    task.nsproxy = copy_namespaces(task.nsproxy, flags, creds.user_ns, group.fs, task.pid_link.ns)
    group.creds = creds


def _target_ns(group: ThreadGroup, flag: int) -> NsCommon:
    """The namespace of kind `flag` that process `group` (its leader) lives in."""
    leader = group.tasks[0]
    if flag == CLONE_NEWUSER:
        return group.creds.user_ns
    if flag == CLONE_NEWPID:
        return leader.pid_link.ns
    return getattr(leader.nsproxy, _NSPROXY_FIELD[flag])


def _install(task: Task, ns: NsCommon) -> None:
    """One namespace's install operation: check, then make it the caller's."""
    group = task.group
    creds = group.creds
    if isinstance(ns, UserNamespace):
        if ns is creds.user_ns or len(group.live_tasks) > 1 or group.fs.users > 1:
            raise KernelError(errno.EINVAL)
        if not ns_capable(creds, ns, CAP_SYS_ADMIN):
            raise KernelError(errno.EPERM)
        commit_creds(task, set_cred_user_ns(creds, ns))
        return
    if not ns_capable(creds, ns.owner or INIT_USER_NS, CAP_SYS_ADMIN) or not ns_capable(creds, creds.user_ns, CAP_SYS_ADMIN):
        raise KernelError(errno.EPERM)
    if ns.ns_type == CLONE_NEWPID:
        if not ns.is_visible_from(task.pid_link.ns):
            raise KernelError(errno.EINVAL)      # only the caller's own pid namespace or one below it
    if ns.ns_type == CLONE_NEWNS:
        if any(g is not group and g.fs is group.fs for g in task.kernel.groups.values()):
            raise KernelError(errno.EINVAL)
        fs = group.fs
        root = ns.root_path()
        fs.mounts, fs.root, fs.cwd = ns, root, VfsPath(root.mount, root.dentry)
    task.nsproxy = replace(task.nsproxy, **{_NSPROXY_FIELD[ns.ns_type]: ns})


@syscall
def sys_setns(task: Task, fd: int, nstype: int) -> int:
    file = task.group.fds.get(s32(fd))
    nstype = s32(nstype)
    if isinstance(file, NsFile):
        ns = file.ns
        if nstype and nstype != ns.ns_type:
            raise KernelError(errno.EINVAL)
        _install(task, ns)
        return 0
    if isinstance(file, PidFd):
        if not nstype or nstype & ~(CLONE_NEWNS_ALL | CLONE_NEWUSER):
            raise KernelError(errno.EINVAL)
        group = file.live_group(task)
        if group.exit_status is not None:
            raise KernelError(errno.ESRCH)
        kinds = [f for f in (CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWPID, CLONE_NEWNET)
                 if nstype & f]
        targets = [_target_ns(group, f) for f in kinds]
        for ns in targets:                        # the user namespace first: it may grant the rest
            if ns.ns_type == CLONE_NEWUSER and ns is task.group.creds.user_ns:
                continue                          # (already in it: nothing to join)
            _install(task, ns)
        return 0
    raise KernelError(errno.EINVAL)
