"""Capabilities: the check every privileged operation makes (kernel/capability.c's `capable`) and the rules by
which the capability sets change (security/commoncap.c): capset, the set-user-id family, and execve with the
file capabilities of the `security.capability` extended attribute.

`capable(task, CAP_X)` is whether CAP_X is in the effective set of the task's credentials: a capability in its
own user namespace (where Linux's capable() asks about the initial one -- the same for every task outside a user
namespace; objects a namespace owns are checked with task/user_namespace.py's ns_capable).  "Root" in these
rules is uid 0 of the credentials' user namespace.  A file's v3 capabilities count only when their root id is 0.  pynix keeps one set of
credentials per process (Linux: per thread, which libc keeps equal across threads for the id calls).
"""
from __future__ import annotations

import errno
import stat
import struct
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from pynix.errors import KernelError
from pynix.task.cred import Credentials
from pynix.uapi.capability import (CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER, CAP_FSETID,
                                   CAP_LINUX_IMMUTABLE, CAP_MAC_OVERRIDE, CAP_MKNOD, CAP_SETFCAP, CAP_SETPCAP,
                                   CAP_VALID_MASK, SECURE_KEEP_CAPS, SECURE_NO_SETUID_FIXUP, SECURE_NOROOT,
                                   VFS_CAP_FLAGS_EFFECTIVE, VFS_CAP_REVISION_1, VFS_CAP_REVISION_2,
                                   VFS_CAP_REVISION_3, VFS_CAP_REVISION_MASK, XATTR_CAPS_SZ_1, XATTR_CAPS_SZ_2,
                                   XATTR_CAPS_SZ_3, XATTR_NAME_CAPS)

if TYPE_CHECKING:
    from pynix.fs.vfs import Inode
    from pynix.task.task import Task

# The capabilities that follow the filesystem uid (CAP_FS_SET): setfsuid away from 0 drops them from the
# effective set, back to 0 raises them again from the permitted one.
CAP_FS_SET = sum(1 << c for c in (CAP_CHOWN, CAP_MKNOD, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER,
                                  CAP_FSETID, CAP_LINUX_IMMUTABLE, CAP_MAC_OVERRIDE))


def capable(task: "Task", cap: int) -> bool:
    """capable(): the task may use capability `cap` (CAP_* of uapi/capability.py)."""
    return task.group.creds.has_cap(cap)


# ---------------------------------------------------------------------------------------------------- capset
def cap_capset(old: Credentials, effective: int, inheritable: int, permitted: int) -> Credentials:
    """cap_capset: the sets capset(2) may install, or EPERM.  Permitted may only shrink, effective must lie in
    the new permitted set, inheritable may only gain what is permitted (unless CAP_SETPCAP) and never what
    left the bounding set; ambient capabilities no longer both permitted and inheritable are dropped."""
    if not old.has_cap(CAP_SETPCAP) and inheritable & ~(old.cap_inheritable | old.cap_permitted):
        raise KernelError(errno.EPERM)
    if inheritable & ~(old.cap_inheritable | old.cap_bset) or permitted & ~old.cap_permitted \
            or effective & ~permitted:
        raise KernelError(errno.EPERM)
    return replace(old, cap_effective=effective, cap_inheritable=inheritable, cap_permitted=permitted,
                   cap_ambient=old.cap_ambient & permitted & inheritable)


# ------------------------------------------------------------------------------------------------- setuid
def cap_task_fix_setuid(old: Credentials, new: Credentials) -> Credentials:
    """cap_emulate_setxuid, after setuid/setreuid/setresuid (unless SECURE_NO_SETUID_FIXUP): leaving uid 0 in
    all three ids clears permitted and effective (unless SECURE_KEEP_CAPS) and ambient; the effective uid
    leaving 0 clears the effective set, coming back to 0 restores it from the permitted one."""
    root = old.user_ns.make_kuid(0)           # the user namespace's root (None if unmapped there)
    if old.securebits & SECURE_NO_SETUID_FIXUP:
        return new
    if root in (old.uid, old.euid, old.suid) and root not in (new.uid, new.euid, new.suid):
        if not old.securebits & SECURE_KEEP_CAPS:
            new = replace(new, cap_permitted=0, cap_effective=0)
        new = replace(new, cap_ambient=0)
    if old.euid == root and new.euid != root:
        new = replace(new, cap_effective=0)
    elif old.euid != root and new.euid == root:
        new = replace(new, cap_effective=new.cap_permitted)
    return new


def cap_task_fix_setfsuid(old: Credentials, new: Credentials) -> Credentials:
    """cap_task_fix_setuid for LSM_SETID_FS: the filesystem capabilities follow a filesystem uid of 0."""
    root = old.user_ns.make_kuid(0)           # the user namespace's root (None if unmapped there)
    if old.securebits & SECURE_NO_SETUID_FIXUP:
        return new
    if old.fsuid == root and new.fsuid != root:
        return replace(new, cap_effective=new.cap_effective & ~CAP_FS_SET)
    if old.fsuid != root and new.fsuid == root:
        return replace(new, cap_effective=new.cap_effective | (new.cap_permitted & CAP_FS_SET))
    return new


def access_override_creds(creds: Credentials) -> Credentials:
    """access_override_creds: access(2) checks with the real ids, and with the capabilities a process of that
    real uid would have -- all its permitted ones for a real uid of 0, none otherwise."""
    root = creds.user_ns.make_kuid(0)         # the user namespace's root (None if unmapped there)
    effective = creds.cap_effective
    if not creds.securebits & SECURE_NO_SETUID_FIXUP:
        effective = creds.cap_permitted if creds.uid == root else 0
    return replace(creds, fsuid=creds.uid, fsgid=creds.gid, cap_effective=effective)


# --------------------------------------------------------------------------------------- file capabilities
@dataclass(frozen=True)
class VfsCaps:
    """struct cpu_vfs_cap_data: a file's capabilities as execve uses them."""
    permitted: int
    inheritable: int
    effective: bool                   # VFS_CAP_FLAGS_EFFECTIVE: the gained permitted set starts effective


def decode_vfs_caps(value: bytes) -> VfsCaps | None:
    """get_vfs_caps_from_disk on the attribute's bytes: EINVAL for a malformed value, None for a v3 value whose
    root id is not 0 (capabilities for another user namespace's root)."""
    if len(value) < 4:
        raise KernelError(errno.EINVAL)
    magic = struct.unpack_from("<I", value)[0]
    revision = magic & VFS_CAP_REVISION_MASK
    size = {VFS_CAP_REVISION_1: XATTR_CAPS_SZ_1, VFS_CAP_REVISION_2: XATTR_CAPS_SZ_2,
            VFS_CAP_REVISION_3: XATTR_CAPS_SZ_3}.get(revision)
    if size is None or len(value) != size:
        raise KernelError(errno.EINVAL)
    if revision == VFS_CAP_REVISION_3 and struct.unpack_from("<I", value, 20)[0] != 0:
        return None
    words = struct.unpack_from(f"<{(size - 4) // 4}I", value, 4)
    permitted = words[0] | (words[2] << 32 if len(words) >= 4 else 0)
    inheritable = words[1] | (words[3] << 32 if len(words) >= 4 else 0)
    return VfsCaps(permitted & CAP_VALID_MASK, inheritable & CAP_VALID_MASK, bool(magic & VFS_CAP_FLAGS_EFFECTIVE))


def check_caps_xattr(creds: Credentials, value: bytes) -> None:
    """cap_convert_nscap's checks on setxattr("security.capability"): only a v2 or v3 value (EINVAL), only
    with CAP_SETFCAP (EPERM)."""
    magic = struct.unpack_from("<I", value)[0] & VFS_CAP_REVISION_MASK if len(value) >= 4 else 0
    if (magic, len(value)) not in ((VFS_CAP_REVISION_2, XATTR_CAPS_SZ_2), (VFS_CAP_REVISION_3, XATTR_CAPS_SZ_3)):
        raise KernelError(errno.EINVAL)
    if not creds.has_cap(CAP_SETFCAP):
        raise KernelError(errno.EPERM)


def cap_inode_getsecurity(value: bytes) -> bytes:
    """What getxattr("security.capability") shows: a v3 value whose root id is 0 (this namespace's root) as
    the v2 value it amounts to, anything else as stored."""
    if len(value) == XATTR_CAPS_SZ_3 and struct.unpack_from("<I", value)[0] & VFS_CAP_REVISION_MASK == \
            VFS_CAP_REVISION_3 and struct.unpack_from("<I", value, 20)[0] == 0:
        magic = VFS_CAP_REVISION_2 | struct.unpack_from("<I", value)[0] & VFS_CAP_FLAGS_EFFECTIVE
        return struct.pack("<I", magic) + value[4:20]
    return value


def file_caps(inode: "Inode") -> VfsCaps | None:
    """get_file_caps: the executable's capabilities, or None (no attribute, a filesystem without extended
    attributes).  pynix's mounts have no nosuid flag, so every mount honours them."""
    try:
        value = inode.getxattr(XATTR_NAME_CAPS)
    except KernelError as err:
        if err.errno in (errno.ENODATA, errno.EOPNOTSUPP):
            return None
        raise
    return decode_vfs_caps(value)


def inode_killpriv(inode: "Inode") -> None:
    """cap_inode_killpriv: changing a file's owner removes its capabilities (security.capability)."""
    if XATTR_NAME_CAPS in inode.listxattr():
        inode.removexattr(XATTR_NAME_CAPS)


def file_remove_privs(task: "Task", inode: "Inode") -> None:
    """file_remove_privs, before a write to a regular file: the set-user-ID bit and a real set-group-ID bit
    (with group execute) go unless the writer has CAP_FSETID (should_remove_suid), and the file's capabilities
    go whoever writes (cap_inode_killpriv)."""
    mode = inode.mode
    if mode & (stat.S_ISUID | stat.S_ISGID) and stat.S_ISREG(mode) and not capable(task, CAP_FSETID):
        kept = mode & ~stat.S_ISUID
        if kept & stat.S_ISGID and kept & stat.S_IXGRP:
            kept &= ~stat.S_ISGID
        if kept != mode:
            inode.setattr(mode=kept & 0o7777)
    inode_killpriv(inode)


# ------------------------------------------------------------------------------------------------- execve
def cap_bprm_creds(old: Credentials, new: Credentials, fcaps: VfsCaps | None,
                   no_new_privs: bool) -> tuple[Credentials, bool]:
    """cap_bprm_creds_from_file: the credentials after execve, and whether the exec is secure (AT_SECURE).
    `new` holds the ids the set-user/group-id bits gave (bprm_fill_uid).  With P the old sets and F the file's:
        P'(permitted)  = (P(inheritable) & F(inheritable)) | (F(permitted) & P(bounding)) | P'(ambient)
        P'(effective)  = F(effective) ? P'(permitted) : P'(ambient)
    P'(ambient) is P(ambient), or empty for a set-id program or one with file capabilities.  Unless
    SECURE_NOROOT, a program run with a real or effective uid of 0 is treated as having every file capability,
    effective when the effective uid is 0 (but not a set-user-id-root program with file capabilities run by
    another user).  EPERM when the file's effective bit is set and one of its permitted capabilities is out of
    reach.  With no_new_privs a set-id program keeps the caller's ids and nothing is gained."""
    root = new.user_ns.make_kuid(0)           # the user namespace's root (None if unmapped there)
    effective = fcaps is not None and fcaps.effective
    permitted = 0
    if fcaps is not None:
        permitted = (old.cap_bset & fcaps.permitted) | (old.cap_inheritable & fcaps.inheritable)
        if effective and fcaps.permitted & ~permitted:
            raise KernelError(errno.EPERM)
    if not old.securebits & SECURE_NOROOT and not (fcaps is not None and new.uid != root and new.euid == root):
        if new.euid == root or new.uid == root:
            permitted = old.cap_bset | old.cap_inheritable
        if new.euid == root:
            effective = True
    is_setid = new.euid != old.uid or new.egid != old.gid
    euid, egid = new.euid, new.egid
    if (is_setid or permitted & ~old.cap_permitted) and no_new_privs:
        euid, egid = old.uid, old.gid                   # they get no more than they had, and maybe less
        permitted &= old.cap_permitted
    ambient = 0 if fcaps is not None or is_setid else old.cap_ambient
    secure = is_setid or (new.uid != root and (effective or bool(permitted & ~ambient)))
    permitted |= ambient
    cap_effective, securebits = permitted if effective else ambient, old.securebits & ~SECURE_KEEP_CAPS
    if (new.euid, new.suid, new.fsuid, new.egid, new.sgid, new.fsgid, new.cap_permitted, new.cap_effective,
            new.cap_ambient, new.securebits) == (euid, euid, euid, egid, egid, egid, permitted, cap_effective,
                                                 ambient, securebits):
        return new, secure                  # the usual exec changes nothing: credentials are shared, never changed
    return replace(new, euid=euid, suid=euid, fsuid=euid, egid=egid, sgid=egid, fsgid=egid,
                   cap_permitted=permitted, cap_effective=cap_effective, cap_ambient=ambient,
                   securebits=securebits), secure
