"""/proc/<pid>/maps, smaps, smaps_rollup (Linux's fs/proc/task_mmu.c) and the mount files (fs/proc_namespace.c).

smaps reads the process's real page tables and the frames' reference counts: which pages of each area are
mapped (Rss), how many processes map each (Pss, Shared_* / Private_*), and whether it has been written since it
was last the same as its file (*_Dirty).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pynix.fs.pnode import propagation_fields
from pynix.fs.proc.inode import PAGE_SIZE, as_bytes, mount_id
from pynix.fs.vfs import VfsPath
from pynix.mm.address_space import VmArea
from pynix.mm.frame_alloc import PAGE_SHIFT
from pynix.mm.page_cache import PageCache

if TYPE_CHECKING:
    from pynix.mm.address_space import AddressSpace
    from pynix.fs.proc.root import ProcfsSuperBlock
    from pynix.task.task import ThreadGroup

def _split_dev(dev: int) -> tuple[int, int]:
    return (dev >> 8) & 0xFFF, (dev & 0xFF) | ((dev >> 12) & 0xFFF00)


@dataclass
class MapArea:
    """One line of /proc/PID/maps (and entry of smaps): a VMA, part of one, or adjacent ones shown as one, with
    the (vma, start, end) parts it covers."""
    start: int
    end: int
    fields: str                  # between the range and the name: " perms offset major:minor inode "
    name: str
    parts: list[tuple[VmArea, int, int]]

    def header(self) -> str:
        """show_map_vma: `start-end perms offset major:minor inode`, the name padded to column 73."""
        line = f"{self.start:08x}-{self.end:08x}{self.fields}"
        if self.name:
            line = line.ljust(72) + " " + self.name
        return line + "\n"


def map_areas(sb: ProcfsSuperBlock, mm: "AddressSpace") -> list[MapArea]:
    """The lines of maps.  A file area whose zero-filled part (`image_end` onwards) reaches past its last file
    page -- an ELF segment's area that mremap grew -- shows as the file part and an anonymous area, as Linux's
    vm_brk'd .bss; adjacent anonymous private areas alike show as one (vma_merge)."""
    areas = []
    for vma in list(mm.vmas):
        if vma.backing is not None and vma.image_end < vma.end:
            file_end = (vma.image_end + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1)
            if file_end <= vma.start:
                areas.append((vma.start, vma.end, vma.prot, vma.shared, "", None, vma.shmem, 0, vma))
                continue
            if file_end < vma.end:
                areas.append((vma.start, file_end, vma.prot, vma.shared, vma.name, vma.backing, None, vma.offset,
                              vma))
                areas.append((file_end, vma.end, vma.prot, vma.shared, "", None, None, 0, vma))
                continue
        areas.append((vma.start, vma.end, vma.prot, vma.shared, vma.name, vma.backing, vma.shmem, vma.offset, vma))

    lines: list[MapArea] = []
    prev = None                  # (end, prot, name, flags) of the last anonymous private area shown, for merging
    for start, end, prot, shared, name, image, shmem, offset, vma in areas:
        dev = ino = 0
        anon = image is None and shmem is None and not shared
        if anon and prev is not None and prev == (start, prot, name, vm_flags(vma)):
            lines[-1].end = end
            lines[-1].parts.append((vma, start, end))
            prev = (end, prot, name, prev[3])
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
        lines.append(MapArea(start, end, f" {perms} {offset:08x} {major:02x}:{minor:02x} {ino} ", name,
                             [(vma, start, end)]))
        prev = (end, prot, name, vm_flags(vma)) if anon else None
    return lines


def show_maps(sb: ProcfsSuperBlock, group: "ThreadGroup") -> bytes:
    if group.exit_status is not None:
        return b""
    return as_bytes("".join(area.header() for area in map_areas(sb, group.mm)))


# ----------------------------------------------------------------------------------------------- smaps
PSS_SHIFT = 12                   # Pss is summed in bytes << PSS_SHIFT, so that dividing by the sharers loses little


@dataclass
class MemSizeStats:
    """Linux's struct mem_size_stats: the pages of an area (or of all, for smaps_rollup) by kind, in bytes;
    the pss fields in bytes << PSS_SHIFT."""
    resident: int = 0
    shared_clean: int = 0
    shared_dirty: int = 0
    private_clean: int = 0
    private_dirty: int = 0
    anonymous: int = 0
    pss: int = 0
    pss_dirty: int = 0
    pss_anon: int = 0
    pss_file: int = 0
    pss_shmem: int = 0
    pss_locked: int = 0

    def account(self, kind: str, mapcount: int, dirty: bool, locked: bool) -> None:
        """smaps_account for one page of `kind` ("anon", "file" or "shmem") that `mapcount` page-table entries
        map: a page mapped once is private and wholly this process's; a shared one is shared, and its Pss is
        its size divided among the sharers."""
        self.resident += PAGE_SIZE
        if kind == "anon":
            self.anonymous += PAGE_SIZE
        private = mapcount < 2
        pss = (PAGE_SIZE << PSS_SHIFT) // (1 if private else mapcount)
        self.pss += pss
        if kind == "anon":
            self.pss_anon += pss
        elif kind == "shmem":
            self.pss_shmem += pss
        else:
            self.pss_file += pss
        if locked:
            self.pss_locked += pss
        if dirty:
            self.pss_dirty += pss
            if private:
                self.private_dirty += PAGE_SIZE
            else:
                self.shared_dirty += PAGE_SIZE
        elif private:
            self.private_clean += PAGE_SIZE
        else:
            self.shared_clean += PAGE_SIZE


def smap_gather_stats(mm: "AddressSpace", parts: list[tuple[VmArea, int, int]], mss: MemSizeStats) -> None:
    """Walk the page-table entries of `parts` (smaps_pte_range) and account each mapped frame by what it is:
    the page cache's own frame of a file page (its mapcount is its reference count less the cache's
    reference; dirty if written through a shared mapping and not yet written back, or a tmpfs page, which has
    no store to be clean against), a page of a shared anonymous object (mapcount likewise; counted dirty:
    pynix does not see which were only read), a page of the kernel's own bytes (the vdso: clean), or else an
    anonymous frame -- a private page, a copy made by copy-on-write, a .bss page -- whose references are all
    page-table entries, dirty (Linux maps the zero page for an anonymous page only read, and does not count
    it; pynix gives it a frame at once).  A PROT_NONE page keeps its frame and counts, as in Linux."""
    fmt, words, refcount = mm.fmt, mm.ram.words, mm.frames.refcount
    for vma, lo, hi in parts:
        cache, shmem = vma.file, vma.shmem
        for va, slot in mm.page_table.present_slots(lo, hi):
            pfn = fmt.pfn(words[slot])
            index = (vma.offset + va - vma.start) >> PAGE_SHIFT
            if cache is not None and va < vma.image_end and cache.pages.get(index) == pfn:
                mss.account("file", refcount[pfn] - 1, not cache.backed or index in cache.dirty, vma.locked)
            elif shmem is not None and shmem.pages.get(index) == pfn:
                mss.account("shmem", refcount[pfn] - 1, True, vma.locked)
            elif vma.image is not None and va < vma.image_end:
                mss.account("file", refcount[pfn], False, vma.locked)
            else:
                mss.account("anon", refcount[pfn], True, vma.locked)


def _kb(label: str, value: int) -> str:
    """SEQ_PUT_DEC: the label padded to 16 columns, then the value in kB, 8 wide."""
    return f"{label:<16}{value >> 10:8d} kB\n"


def _show_smap_stats(mss: MemSizeStats, rollup: bool) -> str:
    """__show_smap: the fields smaps and smaps_rollup share (Linux 6.7's set, with KSM).  pynix has no KSM,
    huge pages, swap or MADV_FREE, so those fields are 0, and keeps no accessed bits: every mapped page is
    Referenced."""
    out = [_kb("Rss:", mss.resident), _kb("Pss:", mss.pss >> PSS_SHIFT), _kb("Pss_Dirty:", mss.pss_dirty >> PSS_SHIFT)]
    if rollup:
        out += [_kb("Pss_Anon:", mss.pss_anon >> PSS_SHIFT), _kb("Pss_File:", mss.pss_file >> PSS_SHIFT),
                _kb("Pss_Shmem:", mss.pss_shmem >> PSS_SHIFT)]
    out += [_kb("Shared_Clean:", mss.shared_clean), _kb("Shared_Dirty:", mss.shared_dirty),
            _kb("Private_Clean:", mss.private_clean), _kb("Private_Dirty:", mss.private_dirty),
            _kb("Referenced:", mss.resident), _kb("Anonymous:", mss.anonymous)]
    out += [_kb(label, 0) for label in ("KSM:", "LazyFree:", "AnonHugePages:", "ShmemPmdMapped:", "FilePmdMapped:",
                                        "Shared_Hugetlb:", "Private_Hugetlb:", "Swap:", "SwapPss:")]
    out.append(_kb("Locked:", mss.pss_locked >> PSS_SHIFT))
    return "".join(out)


def vm_flags(vma: VmArea) -> str:
    """show_smap_vma_flags: the two-letter names of the VM_* flags the area has, in the order of their bits.
    The initial stack counts as VM_GROWSDOWN (Linux grows it; pynix maps it whole), the kernel's own mappings
    (the vdso) as VM_DONTEXPAND."""
    shared = vma.shared and vma.may_write          # a file not open for writing: VM_MAYSHARE without VM_SHARED
    flags = [(vma.prot & 1, "rd"), (vma.prot & 2, "wr"), (vma.prot & 4, "ex"), (shared, "sh"), (True, "mr"),
             (not vma.shared or vma.may_write, "mw"), (True, "me"), (vma.shared, "ms"),
             (vma.growsdown or vma.name == "[stack]", "gd"), (vma.locked, "lo"), (vma.dontfork, "dc"),
             (vma.image is not None, "de"), (vma.accounted, "ac"), (vma.wipeonfork, "wf")]
    return "VmFlags: " + "".join(name + " " for on, name in flags if on) + "\n"


def show_smaps(sb: ProcfsSuperBlock, group: "ThreadGroup") -> bytes:
    """/proc/PID/smaps: each line of maps, then what its pages are (show_smap)."""
    if group.exit_status is not None:
        return b""
    mm, out = group.mm, []
    for area in map_areas(sb, mm):
        mss = MemSizeStats()
        smap_gather_stats(mm, area.parts, mss)
        out += [area.header(), _kb("Size:", area.end - area.start), _kb("KernelPageSize:", PAGE_SIZE),
                _kb("MMUPageSize:", PAGE_SIZE), _show_smap_stats(mss, False), f"THPeligible:    {0:8d}\n",
                vm_flags(area.parts[0][0])]
    return as_bytes("".join(out))


def show_smaps_rollup(sb: ProcfsSuperBlock, group: "ThreadGroup") -> bytes:
    """/proc/PID/smaps_rollup: the sums over every area, under one `[rollup]` line spanning them all."""
    if group.exit_status is not None:
        return b""
    mm = group.mm
    vmas = list(mm.vmas)
    if not vmas:
        return b""
    mss = MemSizeStats()
    smap_gather_stats(mm, [(vma, vma.start, vma.end) for vma in vmas], mss)
    rollup = MapArea(vmas[0].start, vmas[-1].end, " ---p 00000000 00:00 0 ", "[rollup]", [])
    return as_bytes(rollup.header() + _show_smap_stats(mss, True))


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
