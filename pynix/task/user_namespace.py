"""User namespaces (Linux's kernel/user_namespace.c): uid and gid maps, and capabilities relative to a namespace.

Credentials hold kernel ids (the initial namespace's numbers, Linux's kuid_t/kgid_t).  A user namespace's maps
translate between the ids seen inside it and kernel ids; what is not mapped shows as the overflow id 65534.
A new namespace has empty maps until /proc/PID/uid_map and gid_map are written (`write_map`: once each, at
offset 0, at most 340 non-overlapping lines "inside outside count"; a writer without CAP_SETUID/CAP_SETGID over
the parent namespace may only map its own effective id, one line of count 1, and for gid_map only after
"deny" was written to /proc/PID/setgroups).

Capabilities: the capability sets of a process's credentials (task/cred.py, task/capability.py) are
capabilities in its own user namespace -- a new namespace's creator gets them all there (set_cred_user_ns), and
execve recomputes them with the namespace's root as root.  Over a descendant namespace a process holds what it
holds in its own, and every capability over a child namespace it owns (`ns_capable`, Linux's cap_capable).
"""
from __future__ import annotations

import errno
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from pynix.errors import KernelError
from pynix.fs.ns_common import NsCommon
from pynix.uapi.capability import CAP_SETGID, CAP_SETUID, CAP_SYS_ADMIN, CAP_VALID_MASK
from pynix.uapi.sched import CLONE_NEWUSER

if TYPE_CHECKING:
    from pynix.task.cred import Credentials

OVERFLOW_ID = 65534                     # /proc/sys/kernel/overflowuid and overflowgid
UID_GID_MAP_MAX_EXTENTS = 340
MAX_USER_NS_LEVEL = 32                  # nesting limit (EUSERS beyond it)
ID_LIMIT = 1 << 32


@dataclass(frozen=True)
class IdExtent:
    first: int                          # the first id inside the namespace
    lower: int                          # the kernel id it stands for
    count: int


@dataclass(eq=False)
class IdMap:
    """One of a namespace's two maps; `extents` is empty until written (None of its ids is mapped)."""
    extents: tuple[IdExtent, ...] = ()

    def down(self, inside: int) -> int | None:
        """map_id_down: the kernel id of `inside`, None when it is not mapped."""
        for e in self.extents:
            if e.first <= inside < e.first + e.count:
                return e.lower + inside - e.first
        return None

    def up(self, kernel_id: int) -> int | None:
        """map_id_up: the id inside that stands for `kernel_id`, None when none does."""
        for e in self.extents:
            if e.lower <= kernel_id < e.lower + e.count:
                return e.first + kernel_id - e.lower
        return None


IDENTITY = (IdExtent(0, 0, ID_LIMIT - 1),)


@dataclass(eq=False)
class UserNamespace(NsCommon):
    parent: "UserNamespace | None" = None
    level: int = 0
    owner_kuid: int = 0                 # the creator's effective ids (kernel ids)
    owner_kgid: int = 0
    uid_map: IdMap = field(default_factory=IdMap)
    gid_map: IdMap = field(default_factory=IdMap)
    setgroups_allowed: bool = True      # /proc/PID/setgroups: "allow" until "deny" is written

    ns_type = CLONE_NEWUSER
    ns_name = "user"
    init_inum = 0xEFFFFFFD

    def __post_init__(self) -> None:
        self.owner = self.parent         # a user namespace is owned by its parent (NS_GET_USERNS)

    def ns_parent(self) -> "UserNamespace | None":
        return self.parent

    # --- translating ids ------------------------------------------------------------------------------
    def make_kuid(self, uid: int) -> int | None:
        return uid if self.parent is None else self.uid_map.down(uid)

    def make_kgid(self, gid: int) -> int | None:
        return gid if self.parent is None else self.gid_map.down(gid)

    def from_kuid(self, kuid: int) -> int:
        """from_kuid_munged: the uid shown inside for kernel uid `kuid` (65534 when unmapped)."""
        if self.parent is None:
            return kuid
        uid = self.uid_map.up(kuid)
        return OVERFLOW_ID if uid is None else uid

    def from_kgid(self, kgid: int) -> int:
        if self.parent is None:
            return kgid
        gid = self.gid_map.up(kgid)
        return OVERFLOW_ID if gid is None else gid


INIT_USER_NS = UserNamespace(uid_map=IdMap(IDENTITY), gid_map=IdMap(IDENTITY))


def create_user_ns(creds: "Credentials") -> "Credentials":
    """create_user_ns + set_cred_user_ns: credentials in a new child of the caller's user namespace, holding every
    capability there (until exec).  EUSERS past 32 levels, EPERM when the creator's ids are not mapped in its
    namespace.  Unlike Linux, a chrooted process is not refused (current_chrooted is not checked)."""
    parent = creds.user_ns
    if parent.level + 1 >= MAX_USER_NS_LEVEL:
        raise KernelError(errno.EUSERS)
    if parent.parent is not None and (parent.uid_map.up(creds.euid) is None
                                      or parent.gid_map.up(creds.egid) is None):
        raise KernelError(errno.EPERM)
    ns = UserNamespace(parent=parent, level=parent.level + 1, owner_kuid=creds.euid, owner_kgid=creds.egid,
                       setgroups_allowed=parent.setgroups_allowed)
    ns.mark_copied(parent)
    return set_cred_user_ns(creds, ns)


def set_cred_user_ns(creds: "Credentials", ns: UserNamespace) -> "Credentials":
    """The credentials moved into `ns` (unshare/clone with CLONE_NEWUSER, setns): every capability there, no
    inheritable or ambient ones, securebits cleared."""
    return replace(creds, user_ns=ns, securebits=0, cap_inheritable=0, cap_permitted=CAP_VALID_MASK,
                   cap_effective=CAP_VALID_MASK, cap_bset=CAP_VALID_MASK, cap_ambient=0)


def ns_capable(creds: "Credentials", target: UserNamespace, cap: int) -> bool:
    """cap_capable: the holder of `creds` has capability `cap` over objects owned by `target`."""
    ns: UserNamespace | None = target
    own = creds.user_ns
    while ns is not None:
        if ns is own:
            return creds.has_cap(cap)
        if ns.level <= own.level:
            return False
        if ns.parent is own and ns.owner_kuid == creds.euid:
            return True                           # the owner of a child namespace, seen from its parent
        ns = ns.parent
    return False


def _parse_map(data: bytes) -> tuple[IdExtent, ...]:
    extents: list[IdExtent] = []
    text = data.decode("ascii", "replace")
    for line in text.split("\n"):
        if not line.strip():
            continue
        fields = line.split()
        if len(fields) != 3 or not all(f.isdigit() for f in fields):
            raise KernelError(errno.EINVAL)
        first, lower, count = (int(f) for f in fields)
        if count == 0 or first + count > ID_LIMIT - 1 or lower + count > ID_LIMIT - 1 or \
                first + count <= first or lower + count <= lower:
            raise KernelError(errno.EINVAL)
        for e in extents:                        # mappings_overlap: neither range may overlap another
            if first < e.first + e.count and e.first < first + count or \
                    lower < e.lower + e.count and e.lower < lower + count:
                raise KernelError(errno.EINVAL)
        extents.append(IdExtent(first, lower, count))
        if len(extents) > UID_GID_MAP_MAX_EXTENTS:
            raise KernelError(errno.EINVAL)
    if not extents:
        raise KernelError(errno.EINVAL)
    return tuple(extents)


def write_map(ns: UserNamespace, writer: "Credentials", opener_ns: UserNamespace, gid: bool, data: bytes,
              offset: int) -> int:
    """map_write: set `ns`'s uid_map (or gid_map) from the text `data` written by `writer`, whose file was opened
    from user namespace `opener_ns`.  Errors as Linux: EPERM when already written, when the opener is neither in
    `ns` nor its parent, or when the writer may not map these ids; EINVAL for a bad line or a write not at 0."""
    the_map = ns.gid_map if gid else ns.uid_map
    if offset != 0 or len(data) >= 4096:
        raise KernelError(errno.EINVAL)
    if the_map.extents:
        raise KernelError(errno.EPERM)
    if ns.parent is None or (opener_ns is not ns and opener_ns is not ns.parent):
        raise KernelError(errno.EPERM)
    extents = _parse_map(data)
    parent = ns.parent
    if not _map_permitted(ns, writer, extents, gid):
        raise KernelError(errno.EPERM)
    kernel_ids = []                              # the outside ids are in the parent's terms: make them kernel ids
    for e in extents:
        low = (parent.make_kgid if gid else parent.make_kuid)(e.lower)
        high = (parent.make_kgid if gid else parent.make_kuid)(e.lower + e.count - 1)
        if low is None or high is None or high - low != e.count - 1:
            raise KernelError(errno.EPERM)
        kernel_ids.append(IdExtent(e.first, low, e.count))
    the_map.extents = tuple(kernel_ids)
    return len(data)


def _map_permitted(ns: UserNamespace, writer: "Credentials", extents: tuple[IdExtent, ...], gid: bool) -> bool:
    """new_idmap_permitted: its own effective id alone (the owner, one line of count 1; for gids only once
    setgroups is denied), or any ids with CAP_SETUID/CAP_SETGID over the parent namespace."""
    parent = ns.parent
    if len(extents) == 1 and extents[0].count == 1 and ns.owner_kuid == writer.euid:
        if not gid and parent.make_kuid(extents[0].lower) == writer.euid:
            return True
        if gid and not ns.setgroups_allowed and parent.make_kgid(extents[0].lower) == writer.egid:
            return True
    return ns_capable(writer, parent, CAP_SETGID if gid else CAP_SETUID)


def write_setgroups(ns: UserNamespace, writer: "Credentials", data: bytes, offset: int) -> int:
    """proc_setgroups_write: "allow" or "deny" (a newline may follow); deny cannot be undone, nor be set once
    gid_map is written (EPERM); anything else is EINVAL."""
    if offset != 0:
        raise KernelError(errno.EINVAL)
    word = data.rstrip(b"\n")
    if word not in (b"allow", b"deny"):
        raise KernelError(errno.EINVAL)
    if not ns_capable(writer, ns, CAP_SYS_ADMIN):
        raise KernelError(errno.EPERM)
    if word == b"allow":
        if not ns.setgroups_allowed:
            raise KernelError(errno.EPERM)
    else:
        if ns.gid_map.extents:
            raise KernelError(errno.EPERM)
        ns.setgroups_allowed = False
    return len(data)


def show_map(ns: UserNamespace, reader_ns: UserNamespace, gid: bool) -> bytes:
    """/proc/PID/uid_map as `reader_ns` sees it: the outside ids in the reader's terms, or in the parent's when
    the reader is inside `ns` itself (the initial namespace shows its identity map)."""
    the_map = ns.gid_map if gid else ns.uid_map
    view = ns.parent if reader_ns is ns and ns.parent is not None else reader_ns
    lines = []
    for e in the_map.extents:
        if ns.parent is None and view is ns:
            lower = e.lower
        else:
            lower = (view.gid_map if gid else view.uid_map).up(e.lower) if view.parent is not None else e.lower
            if lower is None:
                continue
        lines.append(b"%10d %10d %10d\n" % (e.first, lower, e.count))
    return b"".join(lines)
