"""pidfds (Linux's kernel/pid.c and fs/pidfs.c): a file descriptor that names a process.

It keeps naming the same process whatever pids are reused later.  poll reports POLLIN once the process has
exited, POLLIN|POLLHUP once it has also been reaped; /proc/<pid>/fd shows "anon_inode:[pidfd]".
"""
from __future__ import annotations

import errno
from typing import TYPE_CHECKING

from pynix.errors import KernelError
from pynix.fs.anon_inodes import AnonInodeFile
from pynix.fs.file import O_NONBLOCK, O_RDWR, POLLHUP, POLLIN, POLLRDNORM

if TYPE_CHECKING:
    from pynix.task.task import Task, ThreadGroup
    from pynix.sync.wait import WaitQueue


class PidFd(AnonInodeFile):
    anon_name = b"pidfd"

    def __init__(self, group: "ThreadGroup", flags: int) -> None:
        super().__init__(O_RDWR | (flags & O_NONBLOCK))
        self.group = group

    def reaped(self, task: "Task") -> bool:
        return task.kernel.groups.get(self.group.pid) is not self.group

    def live_group(self, task: "Task") -> "ThreadGroup":
        """The process, ESRCH once it has been reaped (pid_task returns nothing)."""
        if self.reaped(task):
            raise KernelError(errno.ESRCH)
        return self.group

    def poll_mask(self) -> int:
        if self.group.exit_status is None:
            return 0
        kernel = next((t.kernel for t in self.group.tasks), None)
        reaped = kernel is None or kernel.groups.get(self.group.pid) is not self.group
        return POLLIN | POLLRDNORM | (POLLHUP if reaped else 0)

    def poll_queues(self, task: "Task") -> "tuple[WaitQueue, ...]":
        parent = self.group.parent                  # its exit wakes the parent's wait queue
        return (parent.child_exit,) if parent is not None else ()
