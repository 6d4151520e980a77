"""uname."""
from __future__ import annotations

from pynix.mm.uaccess import copy_to_user
from pynix.syscall.registry import syscall
from pynix.task.task import Task

RELEASE = "6.1.0-pynix"
VERSION = "#1 SMP PREEMPT_DYNAMIC pynix"
NODENAME = "pynix"
FIELD = 65                                      # __NEW_UTS_LEN + 1


@syscall
def sys_uname(task: Task, buf: int) -> int:
    fields = ("Linux", NODENAME, RELEASE, VERSION, task.arch.name, "(none)")
    copy_to_user(task.mm, buf, b"".join(f.encode().ljust(FIELD, b"\0") for f in fields))
    return 0
