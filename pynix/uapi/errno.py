"""include/uapi/asm-generic/errno.h: the name Linux (and strace, and errname.h) gives each errno value.
Python's errno.errorcode picks an alias for a few numbers; these are Linux's names."""
import errno as _errno

ERRNO_NAMES: dict[int, str] = dict(_errno.errorcode)
ERRNO_NAMES.update({_errno.EAGAIN: "EAGAIN", _errno.EDEADLK: "EDEADLK", _errno.EOPNOTSUPP: "EOPNOTSUPP",
                    524: "ENOTSUPP"})
