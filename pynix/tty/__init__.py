"""Terminals (Linux's drivers/tty): the terminal device, its line discipline, and the console over the host terminal.

- `termbits`  -- the `struct termios` flags and control characters, and Linux's default settings.
- `ldisc`     -- the N_TTY line discipline: input editing and echo, signals from the keyboard, output processing.
- `tty`       -- the terminal itself (Linux's tty_struct): settings, window size, controlling session and
                 foreground process group, job-control checks, the terminal ioctls, and the open-file object.
- `console`   -- the console: a terminal whose "hardware" is the host terminal pynix runs on.
- `pty`       -- Unix98 pseudo-terminals: a slave terminal whose "hardware" is its master (/dev/ptmx, /dev/pts/N).
"""
