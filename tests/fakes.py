"""Fakes for unit tests that call syscall handlers directly: a kernel that records wake-ups, a process and a
task over a real AddressSpace, a small machine to hold them, and `call`, which turns a handler's outcome into
what the real dispatcher makes of it (KernelError -> -errno; Block -> the task sleeps on the queues with the
Block's data kept in `task.restart_data` for the re-run; a completed call clears `restart_data`)."""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pynix.arch import arch_by_name  # noqa: E402
from pynix.errors import KernelError  # noqa: E402
from pynix.fs.file import FdTable  # noqa: E402
from pynix.hal import PhysicalMemory  # noqa: E402
from pynix.mm.frame_alloc import PAGE_SHIFT, FrameAllocator  # noqa: E402
from pynix.mm.uaccess import copy_to_user  # noqa: E402
from pynix.sync.wait import Block  # noqa: E402
from pynix.task.cred import Credentials  # noqa: E402
from pynix.uapi.capability import CAP_VALID_MASK  # noqa: E402

BLOCKED = "blocked"


def new_machine(size: int = 16 << 20):
    """(arch, RAM, frame allocator) of a small riscv64 machine."""
    return arch_by_name("riscv64"), PhysicalMemory(size), FrameAllocator(size >> PAGE_SHIFT)


class FakeKernel:
    def __init__(self) -> None:
        self.woken: list = []
        self.sigpipes: list = []               # tasks sent SIGPIPE, when a test records it instead of sending

    def wake(self, task) -> None:
        for queue in task.sleeping_on:
            if task in queue.waiters:
                queue.waiters.remove(task)
        task.sleeping_on = ()
        self.woken.append(task)


class FakeGroup:
    def __init__(self, mm, fs=None, uid: int = 1000, gid: int = 100, pid: int = 1) -> None:
        self.mm = mm
        self.arch = mm.arch
        self.fds = FdTable()
        self.fs = fs
        caps = CAP_VALID_MASK if uid == 0 else 0     # what a login of that user starts with
        self.creds = Credentials(uid, uid, uid, uid, gid, gid, gid, gid, cap_permitted=caps, cap_effective=caps)
        self.pid = pid


class FakeTask:
    def __init__(self, kernel: FakeKernel, group: FakeGroup, paths: int = 0) -> None:
        self.kernel = kernel
        self.group = group
        self.restart_data = None
        self.sleeping_on = ()
        self._next_path = paths

    @property
    def mm(self):
        return self.group.mm

    @property
    def arch(self):
        return self.group.arch

    def path(self, name: str | bytes) -> int:
        """Put a NUL-terminated string into user memory (from the `paths` address on); its address."""
        data = (name.encode() if isinstance(name, str) else name) + b"\0"
        addr = self._next_path
        copy_to_user(self.mm, addr, data)
        self._next_path += (len(data) + 15) & ~15
        return addr


def call(task, fn, *args):
    """Run one handler the way the dispatcher does: -errno for KernelError, BLOCKED for Block."""
    try:
        result = fn(task, *args)
    except KernelError as err:
        task.restart_data = None
        return -err.errno
    except Block as block:
        task.restart_data = block.data
        task.sleeping_on = block.queues
        for queue in block.queues:
            queue.waiters.append(task)
        return BLOCKED
    task.restart_data = None
    return result
