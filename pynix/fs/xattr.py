"""Extended attributes kept in memory (Linux's simple_xattrs of fs/xattr.c, used by tmpfs in mm/shmem.c).

Names are `namespace.rest`.  `resolve_name` is xattr_resolve_name: a name whose namespace the filesystem has no
handler for is EOPNOTSUPP, a bare prefix ("user.") is EINVAL.  `SimpleXattrs` is one inode's store: get
(ENODATA if absent), set (XATTR_CREATE: EEXIST if present; XATTR_REPLACE: ENODATA if absent; None removes) and
the names in the order they were first set.  The permission rules of the namespaces (xattr_permission) are the
VFS's, in syscall/xattr.py.
"""
from __future__ import annotations

import errno
from dataclasses import dataclass, field

from pynix.errors import KernelError

XATTR_CREATE, XATTR_REPLACE = 1, 2
XATTR_NAME_MAX = 255
XATTR_SIZE_MAX = XATTR_LIST_MAX = 65536

XATTR_SECURITY_PREFIX = b"security."
XATTR_SYSTEM_PREFIX = b"system."
XATTR_TRUSTED_PREFIX = b"trusted."
XATTR_USER_PREFIX = b"user."

# tmpfs's handlers (shmem_xattr_handlers); system.* there is only POSIX ACLs, which pynix does not keep.
SIMPLE_XATTR_PREFIXES = (XATTR_SECURITY_PREFIX, XATTR_TRUSTED_PREFIX, XATTR_USER_PREFIX)


def resolve_name(name: bytes, prefixes: tuple[bytes, ...]) -> None:
    """xattr_resolve_name: EOPNOTSUPP unless `name` is in one of the handled namespaces, EINVAL for a bare prefix."""
    for prefix in prefixes:
        if name.startswith(prefix):
            if name == prefix:
                raise KernelError(errno.EINVAL)
            return
    raise KernelError(errno.EOPNOTSUPP)


@dataclass
class SimpleXattrs:
    """One inode's attributes: name -> value (dicts keep insertion order, as Linux's list does)."""

    values: dict[bytes, bytes] = field(default_factory=dict)

    def get(self, name: bytes) -> bytes:
        value = self.values.get(name)
        if value is None:
            raise KernelError(errno.ENODATA)
        return value

    def set(self, name: bytes, value: bytes | None, flags: int) -> None:
        """simple_xattr_set: create, replace or (value None) remove `name` under the XATTR_CREATE/REPLACE flags."""
        present = name in self.values
        if present and flags & XATTR_CREATE:
            raise KernelError(errno.EEXIST)
        if not present and (flags & XATTR_REPLACE or value is None):
            raise KernelError(errno.ENODATA)
        if value is None:
            del self.values[name]
        else:
            self.values[name] = bytes(value)

    def names(self) -> list[bytes]:
        return list(self.values)
