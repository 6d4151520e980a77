"""The kernel log (Linux's printk ring buffer, kernel/printk/printk.c).

Every kernel message becomes a record with a sequence number, a level and a timestamp since boot, kept in a ring
of `LOG_BUF_LEN` bytes of text (the oldest records fall out first).  The guest reads it as Linux's guests do:
syslog(2) (`dmesg` from busybox) and /dev/kmsg (util-linux `dmesg`, one record per read).  The host sees it
only when asked (`pynix run -v`: the console is stderr; `--log FILE`), so the program's own output is never
interleaved with kernel chatter -- except a record printed with `console=True`, which explains why the program
failed (a kernel bug, an out-of-memory kill, a deadlock stop) and always reaches stderr too.
"""
from __future__ import annotations

import sys
import time
from collections import deque
from dataclasses import dataclass
from typing import TextIO

from pynix.sync.wait import WaitQueue

LOG_BUF_LEN = 1 << 17                 # CONFIG_LOG_BUF_SHIFT=17: Linux's default ring size
# levels (include/linux/kern_levels.h); the facility of kernel messages is 0 (LOG_KERN), of /dev/kmsg writes 1
LOGLEVEL_ERR, LOGLEVEL_WARNING, LOGLEVEL_NOTICE, LOGLEVEL_INFO = 3, 4, 5, 6
LOG_USER = 1


@dataclass(frozen=True)
class LogRecord:
    seq: int
    ts_us: int                        # microseconds since boot
    prefix: int                       # facility << 3 | level
    text: str

    def syslog_line(self) -> str:
        """The line syslog(2)'s READ actions return: `<prefix>[seconds.micros] text`."""
        return f"<{self.prefix}>[{self.ts_us // 1000000:5d}.{self.ts_us % 1000000:06d}] {self.text}\n"

    def kmsg_line(self) -> str:
        """The record one read(2) of /dev/kmsg returns: `prefix,seq,usec,flags;text`."""
        return f"{self.prefix},{self.seq},{self.ts_us},-;{self.text}\n"


class KernelLog:
    """The log ring, its syslog(2) read position, and where the console copy of each record goes."""

    def __init__(self, console: TextIO | None = None, size: int = LOG_BUF_LEN) -> None:
        self.console = console            # -v: sys.stderr; --log FILE: that file; None: the ring only
        self.size = size
        self.records: deque[LogRecord] = deque()
        self.bytes = 0
        self.next_seq = 0
        self.syslog_seq = 0               # the next record syslog(2)'s destructive READ returns
        self.clear_seq = 0                # records before this were cleared (SYSLOG_ACTION_CLEAR)
        self.console_enabled = True       # SYSLOG_ACTION_CONSOLE_OFF/ON
        self.queue = WaitQueue()          # readers waiting for a new record
        self._boot = time.monotonic_ns()

    def printk(self, text: str, level: int = LOGLEVEL_INFO, facility: int = 0, console: bool = False) -> None:
        """Append one record per line of `text`; copy it to the console (and to stderr if `console`)."""
        for line in text.splitlines() or [""]:
            record = LogRecord(self.next_seq, (time.monotonic_ns() - self._boot) // 1000, facility << 3 | level,
                               line)
            self.next_seq += 1
            self.records.append(record)
            self.bytes += len(line) + 1
            while self.bytes > self.size and len(self.records) > 1:
                self.bytes -= len(self.records.popleft().text) + 1
        sinks = []
        if self.console is not None and self.console_enabled:
            sinks.append(self.console)
        if console and sys.stderr not in sinks:
            sinks.append(sys.stderr)
        for sink in sinks:
            try:
                print(f"pynix: {text}", file=sink, flush=True)
            except (OSError, ValueError):
                pass                      # the host's stderr is gone (its reader closed the pipe): line lost
        self.queue.wake_all()

    @property
    def first_seq(self) -> int:
        return self.records[0].seq if self.records else self.next_seq

    def since(self, seq: int) -> list[LogRecord]:
        """The records still in the ring with a sequence number >= `seq`."""
        skip = max(seq - self.first_seq, 0)
        return list(self.records)[skip:]

    def record(self, seq: int) -> LogRecord | None:
        """The record numbered `seq`, if still in the ring."""
        index = seq - self.first_seq
        return self.records[index] if 0 <= index < len(self.records) else None
