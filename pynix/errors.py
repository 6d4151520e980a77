"""Kernel errors: raised deep inside, turned into -errno once, at the syscall boundary."""
import errno as _errno


class KernelError(Exception):
    """A Linux errno raised inside the kernel."""

    def __init__(self, err: int, message: str = "") -> None:
        super().__init__(message or _errno.errorcode.get(err, str(err)))
        self.errno = err


def printk(message: str) -> None:
    """A kernel log line on the host's stderr, in Kernel.log's format (for layers that have no kernel object)."""
    import sys
    print(f"pynix: {message}", file=sys.stderr, flush=True)
