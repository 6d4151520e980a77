"""Process credentials (Linux's struct cred, include/linux/cred.h).

Linux keeps four user ids: the real id (who started the process), the effective id (what permission checks use
for most things), the saved id (lets a set-user-id program drop its privilege and take it back) and the
filesystem id (what file permission checks use; it follows the effective id unless setfsuid() says otherwise);
likewise for groups, plus the supplementary group list.  pynix has no capability sets: an effective uid of 0
holds every capability (CAP_SETUID, CAP_SETGID, CAP_FOWNER, ...), and giving it up gives them all up, which is
what Linux does for a process without file capabilities or securebits.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from pynix.task.user_namespace import INIT_USER_NS, UserNamespace

NGROUPS_MAX = 65536
CAP_LAST_CAP = 40                         # CAP_CHECKPOINT_RESTORE, Linux 5.9 and later
ALL_CAPS = (1 << (CAP_LAST_CAP + 1)) - 1
SECURE_KEEP_CAPS, SECURE_KEEP_CAPS_LOCKED = 1 << 4, 1 << 5     # securebits (PR_SET_SECUREBITS)


def host_cap_bset() -> int:
    """The capability bounding set of the user running pynix, which the machine's first process inherits (as
    a container's processes get the runtime's): a capability the host user cannot ever hold, the machine's
    root does not hold either.  All capabilities where the host does not say."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("CapBnd:"):
                    return int(line.split()[1], 16) & ALL_CAPS
    except OSError:
        pass
    return ALL_CAPS


@dataclass(frozen=True)
class Credentials:
    uid: int = 0
    euid: int = 0
    suid: int = 0
    fsuid: int = 0
    gid: int = 0
    egid: int = 0
    sgid: int = 0
    fsgid: int = 0
    groups: tuple[int, ...] = ()          # supplementary groups, sorted (Linux's groups_sort)
    # -- user namespaces (task/user_namespace.py); the ids above are kernel ids, mapped by `user_ns` --
    user_ns: UserNamespace = INIT_USER_NS
    ns_caps: bool = False                 # made `user_ns` and has not exec'd since: every capability in it

    @classmethod
    def of_host(cls) -> "Credentials":
        """The identities of the user running pynix, which the first guest process inherits."""
        uid, euid, suid = os.getresuid()
        gid, egid, sgid = os.getresgid()
        return cls(uid, euid, suid, euid, gid, egid, sgid, egid, tuple(sorted(set(os.getgroups()))))

    @property
    def privileged(self) -> bool:
        """Holds the capabilities (CAP_SETUID, CAP_SETGID, CAP_FOWNER, ...) in its own user namespace: effective
        uid 0 there, or the namespace's creator before exec (see user_namespace.ns_capable for other ones)."""
        if self.user_ns is INIT_USER_NS:
            return self.euid == 0
        return self.ns_caps or self.user_ns.from_kuid(self.euid) == 0

    def in_group(self, gid: int) -> bool:
        """in_group_p(): the filesystem gid or a supplementary group."""
        return gid == self.fsgid or gid in self.groups


def ptrace_may_access(caller: Credentials, target: Credentials, target_dumpable: bool) -> bool:
    """__ptrace_may_access with PTRACE_MODE_REALCREDS: the caller's real ids match all of the target's user ids
    and group ids (and the target is dumpable), or the caller is root (CAP_SYS_PTRACE)."""
    if caller.privileged:
        return True
    return (caller.uid == target.uid == target.euid == target.suid and caller.gid == target.gid == target.egid
            == target.sgid and target_dumpable)
