"""/dev/kmsg (1:11): the kernel log as a file, one record per read (kernel/printk/printk.c's devkmsg_fops).

Each open file has its own position, a sequence number starting at the oldest record still in the ring.  A read
returns exactly one record as `prefix,seq,usec,flags;text\\n` (EINVAL if the buffer cannot hold it, EPIPE once
if the record at the position was overwritten, EAGAIN or a wait when there is none yet).  lseek SEEK_SET 0 goes
to the oldest record, SEEK_DATA to the first one after the last syslog(2) clear, SEEK_END past the newest.  A
write adds one record, with `<N>` at its start choosing level and facility (LOG_USER by default).
"""
from __future__ import annotations

import errno
from typing import TYPE_CHECKING

from pynix.errors import KernelError
from pynix.fs.file_ops import SEEK_DATA, SEEK_END, SEEK_SET, InodeFile
from pynix.fs.vfs import VfsPath
from pynix.printk import LOG_USER, LOGLEVEL_WARNING, KernelLog
from pynix.sync.wait import Block
from pynix.uapi.poll import POLLERR, POLLIN, POLLOUT, POLLPRI, POLLRDNORM, POLLWRNORM

if TYPE_CHECKING:
    from pynix.mm.iov_iter import IovIter
    from pynix.task.task import Task

MAX_RECORD = 8192 - 32               # devkmsg_write's limit on one record (LOG_LINE_MAX)


class KmsgFile(InodeFile):
    def __init__(self, path: VfsPath, flags: int) -> None:
        super().__init__(path, flags)
        self.log: KernelLog = path.inode.sb.kernel.klog
        self.seq = self.log.first_seq

    def read_iter(self, task: "Task", to: "IovIter") -> int:
        log = self.log
        if self.seq < log.first_seq:             # overwritten since the last read: say so once, then go on
            self.seq = log.first_seq
            raise KernelError(errno.EPIPE)
        record = log.record(self.seq)
        if record is None:
            if self.nonblocking:
                raise KernelError(errno.EAGAIN)
            raise Block(log.queue)
        line = record.kmsg_line().encode()
        if len(line) > to.count:
            raise KernelError(errno.EINVAL)
        n = to.copy_to(line)
        self.seq += 1
        return n

    def write_iter(self, task: "Task", source: "IovIter") -> int:
        count = source.count
        if count > MAX_RECORD:
            raise KernelError(errno.EINVAL)
        text = bytes(source.copy_from(count)).decode("utf-8", "replace")
        level, facility = LOGLEVEL_WARNING, LOG_USER
        if text.startswith("<") and ">" in text[:12] and text[1:text.index(">")].isdigit():
            prefix = int(text[1:text.index(">")])
            level = prefix & 7
            facility = prefix >> 3 or LOG_USER
            text = text[text.index(">") + 1:]
        self.log.printk(text.rstrip("\n"), level=level, facility=facility)
        return count

    def lseek(self, offset: int, whence: int) -> int:
        if offset:
            raise KernelError(errno.ESPIPE)
        if whence == SEEK_SET:
            self.seq = self.log.first_seq
        elif whence == SEEK_DATA:
            self.seq = max(self.log.clear_seq, self.log.first_seq)
        elif whence == SEEK_END:
            self.seq = self.log.next_seq
        else:
            raise KernelError(errno.EINVAL)
        return 0

    def poll_mask(self) -> int:
        mask = POLLOUT | POLLWRNORM
        if self.seq < self.log.first_seq:
            return mask | POLLIN | POLLRDNORM | POLLERR | POLLPRI
        if self.seq < self.log.next_seq:
            mask |= POLLIN | POLLRDNORM
        return mask

    def poll_queues(self, task: "Task") -> tuple:
        return (self.log.queue,)
