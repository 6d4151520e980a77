"""Files without a filesystem of their own (Linux's fs/anon_inodes.c): eventfd, epoll and the like.

Linux backs all of them with one shared inode of the anon_inodefs pseudo-filesystem: fstat shows mode 0600 with
no file type, and /proc/<pid>/fd/N reads "anon_inode:[NAME]".
"""
from __future__ import annotations

from pynix.fs.file import File

ANON_INODE_DEV = 0x0E            # anon_inodefs's anonymous device (0:14 on a typical boot)
ANON_INODE_INO = 1               # the single inode every anonymous file shares
PAGE_SIZE = 4096


class AnonInodeFile(File):
    """An open file on the shared anonymous inode; subclasses name themselves with `anon_name`."""

    anon_name = b"anon"

    def stat(self) -> dict[str, int]:
        return {"dev": ANON_INODE_DEV, "ino": ANON_INODE_INO, "mode": 0o600, "nlink": 1, "uid": 0, "gid": 0,
                "rdev": 0, "size": 0, "blksize": PAGE_SIZE, "blocks": 0, "atime": 0, "atime_nsec": 0,
                "mtime": 0, "mtime_nsec": 0, "ctime": 0, "ctime_nsec": 0}

    def proc_link_name(self) -> bytes:
        """The /proc/<pid>/fd/N link text."""
        return b"anon_inode:[%s]" % self.anon_name
