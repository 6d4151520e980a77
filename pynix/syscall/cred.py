"""User and group identities: get/set{uid,gid}, set{re,res}{uid,gid}, getres{uid,gid}, setfs{uid,gid},
get/setgroups (kernel/sys.c and kernel/groups.c).

Ids are unsigned 32-bit; (uid_t)-1 means "leave unchanged" where Linux says so and is invalid elsewhere.
Changing user ids freely needs CAP_SETUID, group ids and the group list CAP_SETGID (in the caller's own user
namespace); a change of user ids then moves the capability sets as commoncap.c does (task/capability.py:
leaving uid 0 drops them).  Ids cross the boundary through the caller's user namespace
(task/user_namespace.py): what a process passes is mapped to a kernel id (EINVAL when it is not mapped) and what
it is told is mapped back (65534 for an unmapped id).  Linux changes the credentials of the calling thread
only and glibc/musl broadcast the change to every thread of the process; pynix keeps one set per process, so
the result after the broadcast is the same.
"""
from __future__ import annotations

import errno
import struct
from dataclasses import replace

from pynix.errors import KernelError
from pynix.mm.uaccess import copy_from_user, copy_to_user
from pynix.syscall.registry import s32, syscall
from pynix.task.cred import NGROUPS_MAX, Credentials, commit_creds
from pynix.task.capability import cap_task_fix_setfsuid, cap_task_fix_setuid, capable
from pynix.task.task import Task
from pynix.uapi.capability import CAP_SETGID, CAP_SETUID

UNCHANGED = 0xFFFFFFFF


def _id(value: int) -> int:
    return value & 0xFFFFFFFF


def _in(task: Task, value: int, gid: bool = False) -> int:
    """make_kuid/make_kgid of a user-supplied id (-1 stays -1): EINVAL when the caller's namespace lacks it."""
    value = _id(value)
    if value == UNCHANGED:
        return value
    ns = task.group.creds.user_ns
    kernel_id = ns.make_kgid(value) if gid else ns.make_kuid(value)
    if kernel_id is None:
        raise KernelError(errno.EINVAL)
    return kernel_id


def _out(task: Task, kernel_id: int, gid: bool = False) -> int:
    ns = task.group.creds.user_ns
    return ns.from_kgid(kernel_id) if gid else ns.from_kuid(kernel_id)


def _set(task: Task, creds: Credentials) -> int:
    commit_creds(task, creds)
    return 0


def _set_uids(task: Task, old: Credentials, new: Credentials) -> int:
    """Commit a change of user ids with cap_task_fix_setuid's consequences for the capability sets."""
    return _set(task, cap_task_fix_setuid(old, new))


@syscall
def sys_getuid(task: Task) -> int:
    return _out(task, task.group.creds.uid)


@syscall
def sys_geteuid(task: Task) -> int:
    return _out(task, task.group.creds.euid)


@syscall
def sys_getgid(task: Task) -> int:
    return _out(task, task.group.creds.gid, gid=True)


@syscall
def sys_getegid(task: Task) -> int:
    return _out(task, task.group.creds.egid, gid=True)


@syscall
def sys_setuid(task: Task, uid: int) -> int:
    """With CAP_SETUID: all four ids become `uid`.  Otherwise the effective (and fs) id may become the real or
    the saved one."""
    old, uid = task.group.creds, _id(uid)
    if uid == UNCHANGED:
        raise KernelError(errno.EINVAL)
    uid = _in(task, uid)
    if capable(task, CAP_SETUID):
        return _set_uids(task, old, replace(old, uid=uid, euid=uid, suid=uid, fsuid=uid))
    if uid not in (old.uid, old.suid):
        raise KernelError(errno.EPERM)
    return _set_uids(task, old, replace(old, euid=uid, fsuid=uid))


@syscall
def sys_setgid(task: Task, gid: int) -> int:
    old, gid = task.group.creds, _id(gid)
    if gid == UNCHANGED:
        raise KernelError(errno.EINVAL)
    gid = _in(task, gid, gid=True)
    if capable(task, CAP_SETGID):
        return _set(task, replace(old, gid=gid, egid=gid, sgid=gid, fsgid=gid))
    if gid not in (old.gid, old.sgid):
        raise KernelError(errno.EPERM)
    return _set(task, replace(old, egid=gid, fsgid=gid))


def _setre(old_real: int, old_eff: int, old_saved: int, real: int, eff: int,
           privileged: bool) -> tuple[int, int, int]:
    """setreuid/setregid: the new (real, effective, saved) ids.  An unprivileged caller may set the real id to
    the real or effective one and the effective id to any of the three; the saved id follows the effective id
    when the real id is set or the effective id moves away from the real one."""
    new_real, new_eff, new_saved = old_real, old_eff, old_saved
    if real != UNCHANGED:
        if not privileged and real not in (old_real, old_eff):
            raise KernelError(errno.EPERM)
        new_real = real
    if eff != UNCHANGED:
        if not privileged and eff not in (old_real, old_eff, old_saved):
            raise KernelError(errno.EPERM)
        new_eff = eff
    if real != UNCHANGED or (eff != UNCHANGED and eff != old_real):
        new_saved = new_eff
    return new_real, new_eff, new_saved


@syscall
def sys_setreuid(task: Task, ruid: int, euid: int) -> int:
    old = task.group.creds
    uid, euid, suid = _setre(old.uid, old.euid, old.suid, _in(task, ruid), _in(task, euid), capable(task, CAP_SETUID))
    return _set_uids(task, old, replace(old, uid=uid, euid=euid, suid=suid, fsuid=euid))


@syscall
def sys_setregid(task: Task, rgid: int, egid: int) -> int:
    old = task.group.creds
    gid, egid, sgid = _setre(old.gid, old.egid, old.sgid, _in(task, rgid, True), _in(task, egid, True),
                             capable(task, CAP_SETGID))
    return _set(task, replace(old, gid=gid, egid=egid, sgid=sgid, fsgid=egid))


def _setres(old: tuple[int, int, int], new: tuple[int, int, int], privileged: bool) -> tuple[int, int, int]:
    """setresuid/setresgid: each id not -1 is set; unprivileged, only to one of the three current ids."""
    if not privileged and any(v != UNCHANGED and v not in old for v in new):
        raise KernelError(errno.EPERM)
    return tuple(o if v == UNCHANGED else v for o, v in zip(old, new))     # type: ignore[return-value]


@syscall
def sys_setresuid(task: Task, ruid: int, euid: int, suid: int) -> int:
    old = task.group.creds
    uid, euid, suid = _setres((old.uid, old.euid, old.suid), (_in(task, ruid), _in(task, euid), _in(task, suid)),
                               capable(task, CAP_SETUID))
    return _set_uids(task, old, replace(old, uid=uid, euid=euid, suid=suid, fsuid=euid))


@syscall
def sys_setresgid(task: Task, rgid: int, egid: int, sgid: int) -> int:
    old = task.group.creds
    gid, egid, sgid = _setres((old.gid, old.egid, old.sgid), (_in(task, rgid, True), _in(task, egid, True),
                                                                   _in(task, sgid, True)), capable(task, CAP_SETGID))
    return _set(task, replace(old, gid=gid, egid=egid, sgid=sgid, fsgid=egid))


def _put_ids(task: Task, addresses: tuple[int, int, int], values: tuple[int, int, int]) -> int:
    for addr, value in zip(addresses, values):
        copy_to_user(task.mm, addr, struct.pack("<I", value))
    return 0


@syscall
def sys_getresuid(task: Task, ruid: int, euid: int, suid: int) -> int:
    c = task.group.creds
    return _put_ids(task, (ruid, euid, suid), tuple(_out(task, v) for v in (c.uid, c.euid, c.suid)))


@syscall
def sys_getresgid(task: Task, rgid: int, egid: int, sgid: int) -> int:
    c = task.group.creds
    return _put_ids(task, (rgid, egid, sgid), tuple(_out(task, v, True) for v in (c.gid, c.egid, c.sgid)))


@syscall
def sys_setfsuid(task: Task, fsuid: int) -> int:
    """Always returns the previous fsuid; changes it only to one of the four current ids (or any, with
    CAP_SETUID), the filesystem capabilities following it.  setfsuid(-1) is the documented way to read it."""
    old = task.group.creds
    fsuid = old.user_ns.make_kuid(_id(fsuid)) if _id(fsuid) != UNCHANGED else None
    if fsuid is not None and fsuid != old.fsuid and (fsuid in (old.uid, old.euid, old.suid)
                                                     or capable(task, CAP_SETUID)):
        commit_creds(task, cap_task_fix_setfsuid(old, replace(old, fsuid=fsuid)))
    return _out(task, old.fsuid)


@syscall
def sys_setfsgid(task: Task, fsgid: int) -> int:
    old = task.group.creds
    fsgid = old.user_ns.make_kgid(_id(fsgid)) if _id(fsgid) != UNCHANGED else None
    if fsgid is not None and (fsgid in (old.gid, old.egid, old.sgid, old.fsgid) or capable(task, CAP_SETGID)):
        commit_creds(task, replace(old, fsgid=fsgid))
    return _out(task, old.fsgid, True)


@syscall
def sys_getgroups(task: Task, size: int, grouplist: int) -> int:
    """With size 0, only the count; EINVAL when the list does not fit."""
    groups, size = task.group.creds.groups, s32(size)
    if size < 0:
        raise KernelError(errno.EINVAL)
    if size:
        if size < len(groups):
            raise KernelError(errno.EINVAL)
        copy_to_user(task.mm, grouplist, struct.pack(f"<{len(groups)}I", *(_out(task, g, True) for g in groups)))
    return len(groups)


@syscall
def sys_setgroups(task: Task, size: int, grouplist: int) -> int:
    """Needs CAP_SETGID, and in a user namespace a written gid_map and setgroups not denied (may_setgroups); the
    list is kept sorted, as Linux's groups_sort() leaves it (duplicates stay)."""
    size = s32(size)
    if size < 0 or size > NGROUPS_MAX:
        raise KernelError(errno.EINVAL)
    creds = task.group.creds
    ns = creds.user_ns
    if not capable(task, CAP_SETGID) or ns.parent is not None and not (ns.setgroups_allowed and ns.gid_map.extents):
        raise KernelError(errno.EPERM)
    groups = struct.unpack(f"<{size}I", copy_from_user(task.mm, grouplist, 4 * size)) if size else ()
    groups = tuple(_in(task, g, True) for g in groups)
    return _set(task, replace(task.group.creds, groups=tuple(sorted(groups))))
