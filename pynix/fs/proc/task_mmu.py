"""/proc/<pid>/maps and the mount files (Linux's fs/proc/task_mmu.c and fs/proc_namespace.c)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from pynix.fs.pnode import propagation_fields
from pynix.fs.proc.inode import PAGE_SIZE, as_bytes, mount_id
from pynix.fs.vfs import VfsPath
from pynix.mm.page_cache import PageCache

if TYPE_CHECKING:
    from pynix.fs.proc.root import ProcfsSuperBlock
    from pynix.task.task import ThreadGroup

def _split_dev(dev: int) -> tuple[int, int]:
    return (dev >> 8) & 0xFFF, (dev & 0xFF) | ((dev >> 12) & 0xFFF00)


def show_maps(sb: ProcfsSuperBlock, group: "ThreadGroup") -> bytes:
    """show_map_vma: `start-end perms offset major:minor inode`, the name padded to column 73."""
    if group.exit_status is not None:
        return b""
    mm = group.mm

    # A file area whose zero-filled part (`image_end` onwards) reaches past its last file page -- an ELF
    # segment's area that mremap grew -- shows as the file part and an anonymous area, as Linux's vm_brk'd .bss.
    areas = []
    for vma in list(mm.vmas):
        if vma.backing is not None and vma.image_end < vma.end:
            file_end = (vma.image_end + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1)
            if file_end <= vma.start:
                areas.append((vma.start, vma.end, vma.prot, vma.shared, "", None, vma.shmem, 0))
                continue
            if file_end < vma.end:
                areas.append((vma.start, file_end, vma.prot, vma.shared, vma.name, vma.backing, None, vma.offset))
                areas.append((file_end, vma.end, vma.prot, vma.shared, "", None, None, 0))
                continue
        areas.append((vma.start, vma.end, vma.prot, vma.shared, vma.name, vma.backing, vma.shmem, vma.offset))

    lines: list[tuple] = []
    prev = None                  # (end, prot, name) of the last anonymous private area shown, for merging
    for start, end, prot, shared, name, image, shmem, offset in areas:
        dev = ino = 0
        anon = image is None and shmem is None and not shared
        if anon and prev is not None and prev == (start, prot, name):
            lines[-1] = (lines[-1][0], end, lines[-1][2])      # adjacent twins merge (vma_merge)
            prev = (end, prot, name)
            continue
        perms = ("r" if prot & 1 else "-") + ("w" if prot & 2 else "-") + ("x" if prot & 4 else "-") + \
                ("s" if shared else "p")
        if image is not None:
            if isinstance(image, PageCache):      # the mapped file's own identity (also after a rename)
                info = image.host.stat()
                dev, ino = info["dev"], info["ino"]
        else:
            offset = 0
            if shmem is not None and not name:
                name, ino = "/dev/zero (deleted)", sb.ino_for(("shmem", id(shmem)))
        major, minor = _split_dev(dev)
        rest = f" {perms} {offset:08x} {major:02x}:{minor:02x} {ino} "
        lines.append((start, end, (rest, name)))
        prev = (end, prot, name) if anon else None
    out = []
    for start, end, (rest, name) in lines:
        line = f"{start:08x}-{end:08x}{rest}"
        if name:
            line = line.ljust(72) + " " + name
        out.append(line + "\n")
    return as_bytes("".join(out))


def _mangle(path: bytes) -> bytes:
    """mangle(): the characters that would break a mount table line, as octal escapes."""
    for ch in b"\\ \t\n":
        path = path.replace(bytes([ch]), b"\\%03o" % ch)
    return path


def _mount_lines(sb: ProcfsSuperBlock, group: "ThreadGroup") -> list[tuple]:
    table = group.fs.mounts
    root = sb.reader_root(group)
    out = []
    for m in list(table.mounts):
        point = table.path_of(VfsPath(m, m.root), root)
        out.append((m, point))
    return out


def _mount_opts(m) -> str:
    return ("ro" if m.readonly else "rw") + ",relatime"


def show_mounts(sb: ProcfsSuperBlock, group: "ThreadGroup") -> bytes:
    out = []
    for m, point in _mount_lines(sb, group):
        out.append(b"%s %s %s %s 0 0\n" % (_mangle(as_bytes(m.source or "none")), _mangle(point),
                                           as_bytes(m.sb.fs_type), as_bytes(_mount_opts(m))))
    return b"".join(out)


def show_mountinfo(sb: ProcfsSuperBlock, group: "ThreadGroup") -> bytes:
    out = []
    lines = _mount_lines(sb, group)
    for m, _ in lines:
        mount_id(m)                                   # number the mounts in table order
    for m, point in lines:
        mid = mount_id(m)
        parent = mount_id(m.parent) if m.parent is not None else mid
        major, minor = _split_dev(m.sb.dev)
        out.append(b"%d %d %d:%d / %s %s %s- %s %s %s\n" % (
            mid, parent, major, minor, _mangle(point), as_bytes(_mount_opts(m)), propagation_fields(m), as_bytes(m.sb.fs_type),
            _mangle(as_bytes(m.source or "none")), b"ro" if m.sb.readonly else b"rw"))
    return b"".join(out)


def net_sysctls() -> dict:
    """/proc/sys/net: the network's fixed settings (net/proc.py)."""
    from pynix.net.proc import SYSCTLS
    return SYSCTLS


def net_tree(kernel) -> dict:
    """/proc/net: the network's own files (net/proc.py), as Linux's proc_create_net entries are."""
    from pynix.net.proc import proc_net_tree
    return proc_net_tree(kernel)
