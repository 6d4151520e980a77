"""The terminal drivers' character devices, registered at boot (Linux's tty_init and unix98_pty_init):
/dev/tty (5:0), /dev/console (5:1) and /dev/ptmx (5:2); and the open of the host terminal's own /dev/pts/N node.

Without a console (the host's stdin is not a terminal) the terminal nodes reach the host terminal itself, if
pynix runs on one (devfs's HostTtyFile)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from pynix.fs.char_dev import register_chrdev
from pynix.fs.devfs import DEV_CONSOLE, DEV_PTMX, DEV_TTY, open_host_tty
from pynix.fs.devpts import DevptsSuperBlock, devpts_of_ptmx

if TYPE_CHECKING:
    from pynix.fs.file import File
    from pynix.fs.vfs import VfsPath


def open_dev_tty(path: "VfsPath", flags: int) -> "File":
    """/dev/tty: the caller's controlling terminal (a pseudo-terminal or the console); without one and without
    a console, the host terminal passed through."""
    from pynix.tty.tty import open_controlling_tty     # the terminal drivers load on first use: not at boot
    file = open_controlling_tty(path.inode.sb.kernel, path, flags)
    return file if file is not None else open_host_tty(path, flags)


def open_dev_console(path: "VfsPath", flags: int) -> "File":
    """/dev/console: the console (it never becomes a controlling terminal by open)."""
    from pynix.tty.console import open_console
    file = open_console(path.inode.sb.kernel, path, flags)
    return file if file is not None else open_host_tty(path, flags)


def open_dev_ptmx(path: "VfsPath", flags: int) -> "File":
    """ptmx_open: a new pseudo-terminal in the devpts instance of the node (/dev/pts/ptmx), or in the one
    mounted at "pts" next to it (/dev/ptmx)."""
    from pynix.tty.pty import open_ptmx
    sb = path.inode.sb
    kernel = sb.kernel
    return open_ptmx(kernel, sb if isinstance(sb, DevptsSuperBlock) else devpts_of_ptmx(kernel, path), path, flags)


def open_host_pts(path: "VfsPath", flags: int) -> "File | None":
    """The host terminal's /dev/pts/N node: the console over it (a session leader without a controlling terminal
    that opens it without O_NOCTTY acquires it); None without a console (the node then opens the host terminal)."""
    from pynix.tty.console import open_console
    return open_console(path.inode.sb.kernel, path, flags, acquire=True)


def tty_init() -> None:
    for dev, open_device in ((DEV_TTY, open_dev_tty), (DEV_CONSOLE, open_dev_console), (DEV_PTMX, open_dev_ptmx)):
        register_chrdev(dev, open_device)
