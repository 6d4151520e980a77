"""Process credentials (Linux's struct cred, include/linux/cred.h).

Linux keeps four user ids: the real id (who started the process), the effective id (what permission checks use
for most things), the saved id (lets a set-user-id program drop its privilege and take it back) and the
filesystem id (what file permission checks use; it follows the effective id unless setfsuid() says otherwise);
likewise for groups, plus the supplementary group list.  Privilege is the five capability sets beside them
(capabilities(7)): a check asks the effective set (`has_cap`, task/capability.py's `capable`); permitted bounds
the effective and what capset may add back, inheritable and ambient are what an execve passes on, and the
bounding set limits what an execve can ever grant.  How the ids and the sets move together (setuid, execve,
capset) is security/commoncap.c's, in task/capability.py.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pynix.task.user_namespace import INIT_USER_NS, UserNamespace
from pynix.uapi.capability import CAP_SYS_PTRACE, CAP_VALID_MASK

if TYPE_CHECKING:
    from pynix.task.task import Task

NGROUPS_MAX = 65536


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
    securebits: int = 0                   # SECURE_* (prctl PR_SET_SECUREBITS, PR_SET_KEEPCAPS)
    cap_inheritable: int = 0
    cap_permitted: int = CAP_VALID_MASK   # the defaults are init_cred's: root with every capability
    cap_effective: int = CAP_VALID_MASK
    cap_bset: int = CAP_VALID_MASK
    cap_ambient: int = 0
    # user namespaces (task/user_namespace.py): the ids above are kernel ids, mapped by `user_ns`; the
    # capability sets are capabilities in `user_ns` (ns_capable says what they give over other namespaces)
    user_ns: UserNamespace = INIT_USER_NS

    @classmethod
    def of_host(cls) -> "Credentials":
        """The identities and capability sets of the user running pynix, which the first guest process
        inherits (as a container's processes get the runtime's): a capability the host user does not hold,
        the machine's root does not hold either."""
        uid, euid, suid = os.getresuid()
        gid, egid, sgid = os.getresgid()
        caps = {"CapInh": 0, "CapPrm": 0, "CapEff": 0, "CapBnd": CAP_VALID_MASK, "CapAmb": 0}
        if euid == 0:
            caps.update(CapPrm=CAP_VALID_MASK, CapEff=CAP_VALID_MASK)
        try:
            with open("/proc/self/status") as status:
                for line in status:
                    key, _, value = line.partition(":")
                    if key in caps:
                        caps[key] = int(value, 16) & CAP_VALID_MASK
        except OSError:
            pass
        return cls(uid, euid, suid, euid, gid, egid, sgid, egid, tuple(sorted(set(os.getgroups()))),
                   cap_inheritable=caps["CapInh"], cap_permitted=caps["CapPrm"], cap_effective=caps["CapEff"],
                   cap_bset=caps["CapBnd"], cap_ambient=caps["CapAmb"])

    def has_cap(self, cap: int) -> bool:
        """Capability `cap` is in the effective set: held in the credentials' own user namespace (ns_capable
        in task/user_namespace.py extends it to other namespaces, as Linux's cap_capable)."""
        return bool(self.cap_effective >> cap & 1)

    def in_group(self, gid: int) -> bool:
        """in_group_p(): the filesystem gid or a supplementary group."""
        return gid == self.fsgid or gid in self.groups


def commit_creds(task: "Task", new: Credentials) -> None:
    """commit_creds: install `new` as the process's credentials.  A change of effective or filesystem ids, or
    a gain of permitted capabilities, clears the parent-death signal.  (Linux also makes such a process
    non-dumpable; pynix does not yet, because its ptrace_may_access callers do not exempt the caller's own
    process as Linux's __ptrace_may_access does.)"""
    old = task.group.creds
    if (old.euid, old.egid, old.fsuid, old.fsgid) != (new.euid, new.egid, new.fsuid, new.fsgid) \
            or new.cap_permitted & ~old.cap_permitted:
        task.pdeath_signal = 0
    task.group.creds = new


KERNEL_CREDS = Credentials()             # init_cred: what the kernel's own path walks and the init process hold


def ptrace_may_access(caller: Credentials, target: Credentials, target_dumpable: bool) -> bool:
    """__ptrace_may_access with PTRACE_MODE_REALCREDS: the caller's real ids match all of the target's user ids
    and group ids (and the target is dumpable, and holds no capability the caller lacks), or the caller has
    CAP_SYS_PTRACE."""
    if caller.has_cap(CAP_SYS_PTRACE):
        return True
    return (caller.uid == target.uid == target.euid == target.suid and caller.gid == target.gid == target.egid
            == target.sgid and target_dumpable and not target.cap_permitted & ~caller.cap_permitted)
