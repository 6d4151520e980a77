"""What every namespace kind shares (Linux's struct ns_common, include/linux/ns_common.h): its kind (`ns_type`, a
CLONE_NEW* flag, and `ns_name`, as /proc/PID/ns names it), its inode number (fs/nsfs.py) and the user namespace
that owns it.  The machine's first namespaces of the kinds Linux numbers statically have Linux's fixed numbers
(PROC_*_INIT_INO); the others get numbers from 0xF0000000 up, as proc_alloc_inum does.
"""
from __future__ import annotations

import errno
import itertools
from typing import TYPE_CHECKING, ClassVar

from pynix.errors import KernelError

if TYPE_CHECKING:
    from pynix.fs.nsfs import NsfsInode
    from pynix.task.user_namespace import UserNamespace

_next_inum = itertools.count(0xF0000000)


class NsCommon:
    """Linux's struct ns_common, for the namespace classes to inherit: kind, inode number, owner."""

    ns_type: ClassVar[int] = 0              # CLONE_NEWUTS, CLONE_NEWPID ...
    ns_name: ClassVar[str] = ""             # "uts", "pid" ... (the /proc/PID/ns file and the link text)
    init_inum: ClassVar[int | None] = None  # PROC_*_INIT_INO: the fixed number of the machine's first one
    owner: "UserNamespace | None" = None    # the owning user namespace (None: the initial one)
    _inum: int = 0
    _copied: bool = False
    _nsfs_inode: "NsfsInode | None" = None

    @property
    def inum(self) -> int:
        if not self._inum:
            fixed = self.init_inum is not None and not self._copied
            self._inum = self.init_inum if fixed else next(_next_inum)
        return self._inum

    def mark_copied(self, owner: "UserNamespace | None") -> None:
        """This namespace was made by clone/unshare/setns, for user namespace `owner` (no fixed number)."""
        self._copied = True
        self.owner = owner

    def ns_parent(self) -> "NsCommon | None":
        """NS_GET_PARENT: the parent of a hierarchical namespace (pid, user); EINVAL for the others."""
        raise KernelError(errno.EINVAL)

    def is_visible_from(self, ns: "NsCommon") -> bool:
        """For the hierarchical kinds (pid, user): `ns` is this namespace or one of its ancestors."""
        cur: NsCommon | None = self
        while cur is not None:
            if cur is ns:
                return True
            cur = getattr(cur, "parent", None)
        return False

    def link_text(self) -> bytes:
        return b"%s:[%d]" % (self.ns_name.encode(), self.inum)


