"""The parts of /sys that pynix provides itself (block/sysfs.py has /sys/block), each a read-only tree mounted
over the host's directory of the same name at boot, so programs see this machine rather than the host:

- /sys/devices/system/cpu: online, possible, present (CPU lists, "0" for one CPU, "0-3" for four), offline
  (empty) and a cpuN directory per CPU with its topology -- what glibc's get_nprocs (online) and
  get_nprocs_conf (possible, then the cpuN entries) read, and so `nproc --all` and sysconf(_SC_NPROCESSORS_*).
  The count is the kernel's `online_cpus()` when the machine is built.
- /sys/kernel/mm/transparent_hugepage: enabled and defrag show the mode selected in brackets, as Linux prints
  them; pynix maps no huge pages, so "never" is selected (and writing is refused).
"""
from __future__ import annotations

from typing import Callable

from pynix.fs.proc import TreeDir
from pynix.fs.vfs import SuperBlock

SYSFS_MAGIC = 0x62656572
THP_ENABLED_MODES = ("always", "madvise", "never")
THP_DEFRAG_MODES = ("always", "defer", "defer+madvise", "madvise", "never")


class SysfsSuperBlock(SuperBlock):
    """A read-only sysfs directory tree (TreeDir's nested dicts; block/sysfs.py's computes its root)."""
    fs_type = "sysfs"
    magic = SYSFS_MAGIC

    def __init__(self, tree: dict | None = None) -> None:
        super().__init__(readonly=True)
        self._inos: dict[tuple, int] = {}
        if tree is not None:
            self.root = TreeDir(self, ("root",), tree)

    def ino_for(self, key: tuple) -> int:
        ino = self._inos.get(key)
        if ino is None:
            ino = self._inos[key] = self.new_ino()
        return ino


def _text(value: Callable[[], object]) -> tuple:
    return (lambda: f"{value()}\n".encode(), 0o444, None)


def cpulist(cpus: range) -> str:
    """Linux's "%*pbl" CPU list of a contiguous set: "0", "0-3", or "" when empty."""
    if not cpus:
        return ""
    return f"{cpus[0]}" if len(cpus) == 1 else f"{cpus[0]}-{cpus[-1]}"


def cpu_tree(nr_cpus: int) -> dict:
    """/sys/devices/system/cpu for a machine of `nr_cpus` CPUs, all present, possible and online: one package,
    one core per CPU, one thread per core."""
    cpus = range(nr_cpus)

    def topology(cpu: int) -> dict:
        return {b"physical_package_id": _text(lambda: 0), b"die_id": _text(lambda: 0),
                b"core_id": _text(lambda: cpu), b"thread_siblings_list": _text(lambda: cpu),
                b"core_cpus_list": _text(lambda: cpu), b"core_siblings_list": _text(lambda: cpulist(cpus)),
                b"package_cpus_list": _text(lambda: cpulist(cpus))}
    tree: dict = {b"online": _text(lambda: cpulist(cpus)), b"possible": _text(lambda: cpulist(cpus)),
                  b"present": _text(lambda: cpulist(cpus)), b"offline": _text(lambda: "")}
    for cpu in cpus:
        tree[f"cpu{cpu}".encode()] = {b"topology": topology(cpu)}
    return tree


def _modes(modes: tuple[str, ...], selected: str) -> tuple:
    return _text(lambda: " ".join(f"[{m}]" if m == selected else m for m in modes))


def thp_tree() -> dict:
    """/sys/kernel/mm/transparent_hugepage with THP disabled."""
    return {b"enabled": _modes(THP_ENABLED_MODES, "never"), b"defrag": _modes(THP_DEFRAG_MODES, "never")}


def sysfs_mounts(nr_cpus: int) -> list[tuple[str, SuperBlock]]:
    """(guest path, superblock) of each tree above for a machine of `nr_cpus` CPUs, for the boot's mounts."""
    return [("/sys/devices/system/cpu", SysfsSuperBlock(cpu_tree(nr_cpus))),
            ("/sys/kernel/mm/transparent_hugepage", SysfsSuperBlock(thp_tree()))]
