"""The guest's initial mount tree.

With no --root the guest's / is an overlay: the host's / through read-only hostfs below, an in-memory tmpfs
above.  Host paths work as under qemu-user (programs re-execute themselves by path, tests run binaries from
wherever they were built), the guest can create, change and delete files anywhere, and none of it reaches the
host.  /dev/shm is a tmpfs of its own, as on Linux; /sys/block and /sys/dev/block show pynix's block devices (block/sysfs.py)
where the host has those directories.

`--root DIR` puts the host directory DIR in the host's / place (still read-only under a tmpfs overlay);
`--root IMAGE` makes an ext2/ext3 (read-write), ext4 (read-only) or FAT32 image the root itself (no overlay).
`--mount HOST:GUEST[:rw]` binds host directories through hostfs (read-only unless asked), creating GUEST in the
root if it is missing.  Devfs, procfs and /dev/shm are mounted on top whatever the root is.
"""
from __future__ import annotations

import errno
import os

from pynix.errors import KernelError
from pynix.fs.hostfs import HostfsSuperBlock
from pynix.fs.overlayfs import OverlaySuperBlock
from pynix.fs.tmpfs import TmpfsSuperBlock
from pynix.fs.vfs import FsContext, MountTable, SuperBlock, VfsPath, Walker
from pynix.task.uts import NODENAME


STANDARD_MOUNTS = ("/dev", "/proc", "/dev/shm")     # created in any root that lacks them


def build_mounts(root: "str | SuperBlock" = "/", extra: list[tuple[str, SuperBlock]] | None = None,
                 sysroot: str | None = None, binds: list[tuple[str, HostfsSuperBlock]] | None = None) -> MountTable:
    """The mount tree: `root` is a host directory (the overlay's lower layer) or a filesystem used as the root
    itself (a FAT32 image); `extra` are mounted where the directory exists (STANDARD_MOUNTS and `binds`, the
    --mount directories, are created if missing)."""
    if isinstance(root, SuperBlock):
        mounts = MountTable(root, source=getattr(root, "source", None) or getattr(root, "image", root.fs_type))
    else:
        mounts = MountTable(OverlaySuperBlock(lower_layer(root, sysroot)), source="overlay")
    walker = Walker(FsContext(mounts, mounts.root_path(), mounts.root_path()))
    if not isinstance(root, SuperBlock):
        add_hostname(walker, NODENAME.encode())
    wanted = [(where, sb, where in STANDARD_MOUNTS)
              for where, sb in [("/dev/shm", TmpfsSuperBlock())] + (extra or [])]
    wanted += [(where, sb, True) for where, sb in binds or []]
    # Parents before children (/dev before /dev/shm), otherwise in the order given.
    for where, sb, create in sorted(wanted, key=lambda item: len([p for p in item[0].split("/") if p])):
        try:
            point = make_dirs(walker, where.encode()) if create else walker.resolve(mounts.root_path(), where.encode())
        except KernelError as err:
            if not create and err.errno in (errno.ENOENT, errno.ENOTDIR):
                continue                               # the host has no such directory: nothing to cover
            raise
        source = os.fsdecode(sb.host_root) if isinstance(sb, HostfsSuperBlock) else getattr(sb, "source", sb.fs_type)
        mounts.mount(sb, point, source=source, readonly=sb.readonly)
    return mounts


def add_hostname(walker: Walker, name: bytes) -> None:
    """Make the machine's hostname resolve: when the root's /etc/hosts does not name it, the in-memory layer's
    copy gets the line Debian's installer writes (127.0.1.1).  The host's file is never changed."""
    try:
        hosts = walker.resolve(walker.fs.root, b"/etc/hosts").inode
        text = hosts.read_at(0, hosts.size)
        if any(name in line.split(b"#", 1)[0].split()[1:] for line in text.splitlines()):
            return
        hosts.write_at(len(text), (b"" if not text or text.endswith(b"\n") else b"\n") + b"127.0.1.1\t" + name + b"\n")
    except KernelError:
        return                                         # no /etc/hosts (or not writable): nothing to add to


def make_dirs(walker: Walker, path: bytes) -> VfsPath:
    """`mkdir -p path` as root at boot (mode 0755): the directory `path` of the guest, created if missing."""
    cur = walker.fs.root
    for name in [p for p in path.split(b"/") if p]:
        nxt = walker.resolve(cur, name) if cur.dentry.child(name) is not None else None
        if nxt is None:
            cur.inode.mkdir(name, 0o755, 0, 0)
            cur.dentry.forget(name)
            nxt = walker.resolve(cur, name)
        cur = nxt
    if not cur.inode.is_dir:
        raise KernelError(errno.ENOTDIR)
    return cur


def lower_layer(root: str, sysroot: str | None) -> SuperBlock:
    """The read-only layer under the root overlay: the host directory `root`, or with `-L SYSROOT`
    (qemu-user's option) the union of SYSROOT over it.

    qemu-user tries every absolute path of a path syscall under SYSROOT first and falls back to the plain path.
    Here that is a read-only overlay whose upper layer is SYSROOT: a name found in SYSROOT hides the one below,
    directories present in both are merged.  Doing it in the filesystem rather than in each syscall covers
    every lookup at once (the ELF interpreter, ld.so's library search, symlink targets, relative paths, the
    program itself), and readdir shows what lookups find.  Differences from qemu: qemu only rewrites absolute
    paths and opens the program named on its command line on the host; here a relative path that walks
    into a directory of SYSROOT and a program path that also exists under SYSROOT resolve to SYSROOT's file."""
    host = HostfsSuperBlock(root, readonly=True)
    if sysroot is None:
        return host
    return OverlaySuperBlock(host, upper=HostfsSuperBlock(sysroot, readonly=True))
