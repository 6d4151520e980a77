"""Snapshots of a whole machine (pynix/api): RAM, every task's registers and a deep copy of the kernel's objects,
to go back to as often as wanted (record and retry)."""
from __future__ import annotations

import copy
import types
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pynix.mm.page_cache import bind_memory

if TYPE_CHECKING:
    from pynix.api.machine import Machine


class SnapshotError(Exception):
    """The machine holds state a snapshot cannot copy (see Snapshot)."""


@dataclass
class Snapshot:
    """A copy of a whole machine, taken while it stood still (Machine.snapshot), to go back to with
    Machine.restore -- as often as wanted.

    Copied: RAM (the allocated frames), every task's registers, and every kernel object -- processes and
    threads, address spaces, open files and descriptor tables, the in-memory filesystems (the overlay's upper
    layer, tmpfs, /dev/shm), pipes, sockets between guest processes, timers, futexes, IPC objects, and the
    output of PIPE streams.  Files of host directories (the default root's lower layer, --mount) get host
    descriptors of their own at the same offsets, but their contents are the host's: a write to a host file
    is not undone.  Host streams (a host stdin/stdout) are not rewound either.

    Refused (SnapshotError): a machine with a console on the host terminal, disk images or a FAT32 root
    (their data is in host files the machine writes), published ports or a debugger (host sockets), tasks
    waiting for file locks, and anything else whose copy Python refuses (the error names it).  A few tables
    live outside the kernel object and are not copied: /proc mount ids (new after a restore) and the
    wall-clock-change notifications of TFD_TIMER_CANCEL_ON_SET timerfds and absolute CLOCK_REALTIME sleeps
    (not delivered to restored ones; the sleeps still end on time).  Neither time
    (a sleep due meanwhile ends at once) nor the kernel log (it tells what happened, restores included) is
    rewound."""
    state: dict
    frames: list[int]
    ram: bytes
    host_fds: list[int] = field(default_factory=list)
    closers: list = field(default_factory=list)     # of the copies that own host_fds (hostfs superblocks, files)
    closed: bool = False

    def close(self) -> None:
        """Close the host descriptors the snapshot holds (it cannot be restored afterwards)."""
        for close in self.closers:
            close()
        self.host_fds, self.closers, self.closed = [], [], True

    def __del__(self) -> None:
        self.close()


# Kernel attributes that are the hardware or the host's, shared by a machine and its snapshots.
_NOT_COPIED = ("arch", "ram", "cpu", "tracer", "klog", "console", "ttys", "_host_readers", "_host_signal_fd",
               "_host_signal_pending", "_until")


def _deepcopy_function(fn: types.FunctionType, memo: dict) -> types.FunctionType:
    """A closure whose cells are copied too (a timer's `lambda: wake(task)` must wake the copied task)."""
    if not fn.__closure__:
        return fn
    cells = tuple(types.CellType(copy.deepcopy(c.cell_contents, memo)) if c.cell_contents is not None
                  else types.CellType(None) for c in fn.__closure__)
    other = types.FunctionType(fn.__code__, fn.__globals__, fn.__name__, fn.__defaults__, cells)
    other.__kwdefaults__ = fn.__kwdefaults__
    memo[id(fn)] = other
    return other


def _copy_machine_state(payload: dict, memo: dict) -> dict:
    """deepcopy of the machine's objects.  Functions are atomic to `copy` (shared, not copied); the
    kernel's closures -- timer callbacks, wait-queue callbacks -- hold tasks and files that must be the
    copies, so for this one copy functions with cells are copied along (a scoped change of copy's
    private dispatch table: the module offers no other way)."""
    dispatch = copy._deepcopy_dispatch                     # noqa: SLF001
    saved = dispatch[types.FunctionType]
    dispatch[types.FunctionType] = _deepcopy_function
    try:
        return copy.deepcopy(payload, memo)
    except (TypeError, copy.Error, AttributeError) as err:
        raise SnapshotError(f"the machine holds state that cannot be copied: {err}") from None
    finally:
        dispatch[types.FunctionType] = saved


def _remap_futexes(futexes: dict, memo: dict) -> dict:
    """Private futexes are keyed by (id(address space), address): the copies' ids."""
    out = {}
    for key, waiters in futexes.items():
        if isinstance(key, tuple) and len(key) == 2 and isinstance(key[0], int) and key[0] in memo:
            key = (id(memo[key[0]]), key[1])
        out[key] = waiters
    return out


def take_snapshot(machine: "Machine") -> Snapshot:
    """Machine.snapshot: the kernel's objects (but the hardware's and the host's, _NOT_COPIED), the API's
    Process objects and its hooks' calls in progress, copied in one go (so that they keep pointing at each
    other), and the allocated frames of RAM."""
    from pynix.fs.hostfs import COPIED_CLOSERS, COPIED_FDS
    kernel = machine.kernel
    check_snapshotable(machine)
    payload = {"kernel": {k: v for k, v in vars(kernel).items() if k not in _NOT_COPIED},
               "processes": list(machine._processes.items()),               # noqa: SLF001 (the API's own)
               "hooks": (machine._hooks.calls, machine._hooks.restarts)}    # noqa: SLF001
    memo = _shared_memo(machine)
    state = _copy_machine_state(payload, memo)
    state["kernel"]["futexes"] = _remap_futexes(state["kernel"]["futexes"], memo)
    frames = kernel.frames.in_use()
    mv = kernel.ram.mv
    ram = b"".join(mv[pfn << 12:(pfn + 1) << 12] for pfn in frames)
    return Snapshot(state, frames, ram, list(memo.get(COPIED_FDS, {}).values()), memo.get(COPIED_CLOSERS, []))


def restore_snapshot(machine: "Machine", snap: Snapshot) -> None:
    """Machine.restore: a fresh copy of the snapshot's objects becomes the kernel's state (the snapshot stays
    usable), its frames go back into RAM, translated code and TLB are dropped, and the caller's Process
    objects are moved over to the copied processes of the same pids."""
    kernel = machine.kernel
    check_snapshotable(machine)
    if snap.closed:
        raise SnapshotError("this snapshot was closed")
    memo = _shared_memo(machine)
    state = _copy_machine_state(snap.state, memo)
    state["kernel"]["futexes"] = _remap_futexes(state["kernel"]["futexes"], memo)
    mv = kernel.ram.mv
    for i, pfn in enumerate(snap.frames):
        mv[pfn << 12:(pfn + 1) << 12] = snap.ram[i << 12:(i + 1) << 12]
    vars(kernel).update(state["kernel"])
    bind_memory(kernel.ram, kernel.frames)     # new page-cache pages come from the copied allocator
    kernel.mounts.rehash()
    kernel.current = None
    kernel.cpu.flush_code()
    mine = {p.pid: p for p in machine._processes.values()}                  # noqa: SLF001
    machine._processes = {}                                                  # noqa: SLF001
    for group, copied in state["processes"]:
        process = mine.get(copied.pid, copied)
        process.group, process._stdout, process._stderr = group, copied._stdout, copied._stderr  # noqa: SLF001
        machine._processes[group] = process                                  # noqa: SLF001
    machine._hooks.calls, machine._hooks.restarts = state["hooks"]          # noqa: SLF001
    for mm in {id(g.mm): g.mm for g in kernel.groups.values()}.values():
        kernel.new_mm(mm)                          # wired to this CPU (and its tracer)


def _shared_memo(machine: "Machine") -> dict:
    """deepcopy's memo seeded with what a machine and its copies share: the hardware and the host."""
    kernel = machine.kernel
    shared = [kernel, machine, machine._hooks, *machine._tracers, kernel.ram.mv, kernel.ram.words] + \
        [getattr(kernel, k) for k in _NOT_COPIED if hasattr(kernel, k)]             # noqa: SLF001
    return {id(obj): obj for obj in shared}


def check_snapshotable(machine: "Machine") -> None:
    """SnapshotError unless the machine's state can be copied (see Snapshot)."""
    from pynix.block.genhd import BLKDEVS
    from pynix.fs import locks
    from pynix.fs.fat import Fat32SuperBlock
    kernel = machine.kernel
    why = None
    if kernel.smp is not None:
        why = "it has several CPUs (their emulators and host threads are not copied yet: use cpus=1)"
    elif kernel.console is not None:
        why = "it has a console on the host terminal (spawn with stdin= and stdout= instead)"
    elif BLKDEVS:
        why = "it has disk images (their data is in host files)"
    elif any(isinstance(m.sb, Fat32SuperBlock) for m in kernel.mounts.mounts):
        why = "it has a FAT32 image mounted (its data is in a host file)"
    elif machine.publishers or kernel._host_readers:                          # noqa: SLF001
        why = "it serves host sockets (published ports, a debugger)"
    elif locks._waiting:                                                       # noqa: SLF001
        why = "tasks wait for file locks"
    elif kernel.current is not None:
        why = "it is running (from a hook: stop() it, and snapshot or restore once run() has returned)"
    if why is not None:
        raise SnapshotError(f"cannot snapshot this machine: {why}")
