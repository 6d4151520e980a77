"""The common shape of a /proc/sys file: a number kept in an attribute (Linux's proc_dointvec_minmax)."""
from __future__ import annotations

import errno
from typing import Callable

from pynix.errors import KernelError


def int_sysctl(owner: object, attr: str, low: int = 0) -> tuple[Callable[[], bytes], Callable[[bytes], None]]:
    """(render, write) of a sysctl holding `owner.attr`: written as a decimal number, EINVAL for anything else
    or for a value below `low`."""
    def write(data: bytes) -> None:
        try:
            value = int(data.split()[0])
        except (ValueError, IndexError):
            raise KernelError(errno.EINVAL) from None
        if value < low:
            raise KernelError(errno.EINVAL)
        setattr(owner, attr, value)
    return (lambda: b"%d\n" % getattr(owner, attr)), write
