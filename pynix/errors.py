"""Kernel errors: raised deep inside, turned into -errno once, at the syscall boundary."""
import errno as _errno


class KernelError(Exception):
    """A Linux errno raised inside the kernel."""

    def __init__(self, err: int, message: str = "") -> None:
        super().__init__(message or _errno.errorcode.get(err, str(err)))
        self.errno = err
