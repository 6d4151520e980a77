"""The guest's initial mount tree.

With no --root the guest's / is an overlay: the host's / through read-only hostfs below, an in-memory tmpfs
above.  Host paths work as under qemu-user (programs re-execute themselves by path, tests run binaries from
wherever they were built), the guest can create, change and delete files anywhere, and none of it reaches the
host.  /dev/shm is a tmpfs of its own, as on Linux.
"""
from __future__ import annotations

import errno

from pynix.errors import KernelError
from pynix.fs.hostfs import HostfsSuperBlock
from pynix.fs.overlayfs import OverlaySuperBlock
from pynix.fs.tmpfs import TmpfsSuperBlock
from pynix.fs.vfs import MountTable, SuperBlock, Walker, FsContext


def build_mounts(root: str = "/", extra: list[tuple[str, SuperBlock]] | None = None) -> MountTable:
    mounts = MountTable(OverlaySuperBlock(HostfsSuperBlock(root, readonly=True)), source="overlay")
    walker = Walker(FsContext(mounts, mounts.root_path(), mounts.root_path()))
    wanted = [("/dev/shm", TmpfsSuperBlock())] + (extra or [])
    # Parents before children (/dev before /dev/shm), otherwise in the order given.
    for where, sb in sorted(wanted, key=lambda item: len([p for p in item[0].split("/") if p])):
        try:
            point = walker.resolve(mounts.root_path(), where.encode())
        except KernelError as err:
            if err.errno in (errno.ENOENT, errno.ENOTDIR):
                continue                               # the host has no such directory: nothing to cover
            raise
        mounts.mount(sb, point, source=sb.fs_type)
    return mounts
