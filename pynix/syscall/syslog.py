"""syslog(2): reading and clearing the kernel log (kernel/printk/printk.c's do_syslog; glibc's klogctl).

The records come from the kernel log ring (pynix/printk.py), formatted as `<prefix>[seconds.micros] text`.
Permissions are Linux's with dmesg_restrict = 0: READ_ALL and SIZE_BUFFER are open to everyone, the rest needs
CAP_SYSLOG (or, as Linux still accepts with a warning, CAP_SYS_ADMIN).
"""
from __future__ import annotations

import errno

from pynix.errors import KernelError
from pynix.mm.uaccess import copy_to_user
from pynix.sync.wait import Block
from pynix.syscall.registry import s32, syscall
from pynix.task.capability import capable
from pynix.task.task import Task
from pynix.uapi.capability import CAP_SYSLOG, CAP_SYS_ADMIN

(SYSLOG_ACTION_CLOSE, SYSLOG_ACTION_OPEN, SYSLOG_ACTION_READ, SYSLOG_ACTION_READ_ALL, SYSLOG_ACTION_READ_CLEAR,
 SYSLOG_ACTION_CLEAR, SYSLOG_ACTION_CONSOLE_OFF, SYSLOG_ACTION_CONSOLE_ON, SYSLOG_ACTION_CONSOLE_LEVEL,
 SYSLOG_ACTION_SIZE_UNREAD, SYSLOG_ACTION_SIZE_BUFFER) = range(11)


@syscall
def sys_syslog(task: Task, type_: int, buf: int, length: int) -> int:
    log = task.kernel.klog
    action, length = s32(type_), s32(length)
    if action not in (SYSLOG_ACTION_READ_ALL, SYSLOG_ACTION_SIZE_BUFFER) and not (capable(task, CAP_SYSLOG) or capable(task, CAP_SYS_ADMIN)):
        raise KernelError(errno.EPERM)
    if action in (SYSLOG_ACTION_CLOSE, SYSLOG_ACTION_OPEN):
        return 0
    if action in (SYSLOG_ACTION_READ, SYSLOG_ACTION_READ_ALL, SYSLOG_ACTION_READ_CLEAR):
        if not buf or length < 0:
            raise KernelError(errno.EINVAL)
        if length == 0:
            return 0
        if action == SYSLOG_ACTION_READ:
            return _read(task, buf, length)
        lines = [r.syslog_line().encode() for r in log.since(log.clear_seq)]
        while lines and sum(map(len, lines)) > length:     # the newest records that fit, as syslog_print_all
            lines.pop(0)
        data = b"".join(lines)
        copy_to_user(task.mm, buf, data)
        if action == SYSLOG_ACTION_READ_CLEAR:
            log.clear_seq = log.next_seq
        return len(data)
    if action == SYSLOG_ACTION_CLEAR:
        log.clear_seq = log.next_seq
        return 0
    if action in (SYSLOG_ACTION_CONSOLE_OFF, SYSLOG_ACTION_CONSOLE_ON):
        log.console_enabled = action == SYSLOG_ACTION_CONSOLE_ON
        return 0
    if action == SYSLOG_ACTION_CONSOLE_LEVEL:
        if not 1 <= length <= 8:
            raise KernelError(errno.EINVAL)
        return 0
    if action == SYSLOG_ACTION_SIZE_UNREAD:
        return sum(len(r.syslog_line()) for r in log.since(log.syslog_seq))
    if action == SYSLOG_ACTION_SIZE_BUFFER:
        return log.size
    raise KernelError(errno.EINVAL)


def _read(task: Task, buf: int, length: int) -> int:
    """SYSLOG_ACTION_READ: wait for unread records, then hand over (and consume) as many whole ones as fit."""
    log = task.kernel.klog
    pending = log.since(log.syslog_seq)
    if not pending:
        raise Block(log.queue)
    out, seq = bytearray(), log.syslog_seq
    for record in pending:
        line = record.syslog_line().encode()
        if out and len(out) + len(line) > length:
            break
        out += line[:length - len(out)]
        seq = record.seq + 1
    copy_to_user(task.mm, buf, out)
    log.syslog_seq = seq
    return len(out)
