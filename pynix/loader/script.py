"""Scripts run by an interpreter named on their first line: `#!/bin/sh -e` (Linux's fs/binfmt_script.c).

The line is read from the first BINPRM_BUF_SIZE bytes of the file.  After `#!` and any spaces or tabs comes the
interpreter's path; whatever follows it (spaces and tabs around it trimmed) is one optional argument, spaces
included.  The program that runs is the interpreter, with argv = [interpreter, argument?, script path as given
to execve, the original argv[1:]...].  ENOEXEC when the line names no interpreter, or when its name does not
fit in the buffer.
"""
from __future__ import annotations

import errno

from pynix.errors import KernelError

BINPRM_BUF_SIZE = 256
MAX_NESTING = 5                    # interpreters of interpreters before ELOOP (Linux's exec_binprm)


def parse_shebang(head: bytes) -> tuple[bytes, bytes | None] | None:
    """(interpreter, argument or None) of a script whose file starts with `head`; None if it is not a script."""
    head = head[:BINPRM_BUF_SIZE]
    if not head.startswith(b"#!"):
        return None
    end = head.find(b"\n")
    line = head[2:] if end < 0 else head[2:end]
    words = line.strip(b" \t")
    if not words:
        raise KernelError(errno.ENOEXEC, "#! names no interpreter")
    name, _, rest = words.replace(b"\t", b" ").partition(b" ")
    if end < 0 and not rest and len(head) == BINPRM_BUF_SIZE:
        raise KernelError(errno.ENOEXEC, "the #! interpreter's name does not fit in the first line's buffer")
    name = words[:len(name)]
    arg = words[len(name):].strip(b" \t")
    return name, (arg or None)


def script_argv(interpreter: bytes, arg: bytes | None, path: bytes, argv: list[bytes]) -> list[bytes]:
    """The interpreter's argv for running the script at `path` (as given to execve) with `argv`."""
    return [interpreter] + ([arg] if arg is not None else []) + [path] + argv[1:]
