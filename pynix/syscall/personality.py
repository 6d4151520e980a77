"""personality(2) (Linux's kernel/exec_domain.c): the process's execution domain and its flags.

Every domain runs as PER_LINUX here; the value is kept, inherited by children and kept across exec, and
reported as given; PER_LINUX32 makes uname report the ISA's 32-bit name (i686, riscv), as override_architecture
does.  Of the flags, UNAME26 changes what uname reports (a 2.6.x release) and ADDR_NO_RANDOMIZE
already holds (pynix never randomises addresses); the others (READ_IMPLIES_EXEC, ADDR_LIMIT_32BIT, ...) change
nothing."""
from __future__ import annotations

from pynix.syscall.registry import syscall
from pynix.task.task import Task

UNAME26, ADDR_NO_RANDOMIZE = 0x0020000, 0x0040000
PER_MASK, PER_LINUX32 = 0x00FF, 0x0008        # personality(): the execution domain, its 32-bit Linux one


@syscall
def sys_personality(task: Task, persona: int) -> int:
    """Set the personality unless `persona` is 0xffffffff; return the old one."""
    old = task.group.personality
    persona &= 0xFFFFFFFF
    if persona != 0xFFFFFFFF:
        task.group.personality = persona
    return old


def uname26_release(release: str) -> str:
    """override_release: "2.6.(60 + minor)" followed by what comes after the version numbers of `release`."""
    end, dots = 0, 0
    while end < len(release) and (release[end].isdigit() or release[end] == "."):
        if release[end] == ".":
            dots += 1
            if dots >= 3:
                break
        end += 1
    return f"2.6.{int(release.split('.')[1]) + 60}{release[end:]}"
