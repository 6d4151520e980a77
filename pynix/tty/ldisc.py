"""The N_TTY line discipline (Linux's drivers/tty/n_tty.c): what happens between the keyboard and read(), and
between write() and the screen.

Input (`receive`), character by character, in n_tty_receive_char_special's order:
  - IXON: VSTOP (^S) stops output, VSTART (^Q) restarts it (IXANY: any key restarts it);
  - ISIG: VINTR (^C), VQUIT (^\\), VSUSP (^Z) send SIGINT, SIGQUIT, SIGTSTP to the foreground process group,
    flush the input (unless NOFLSH) and echo as ^C;
  - input translation: IGNCR drops CR, ICRNL turns CR into NL, INLCR NL into CR (ISTRIP, IUCLC too);
  - ICANON (canonical mode): the line being typed is edited in place -- VERASE (DEL) erases a character (a whole
    UTF-8 character with IUTF8), VWERASE (^W) a word, VKILL (^U) the line, VLNEXT (^V) quotes the next key,
    VREPRINT (^R) retypes the line; NL, VEOL, VEOL2 end the line, VEOF (^D) ends it without adding anything (so
    ^D on an empty line makes read() return 0: end of file);
  - echo: ECHO echoes what is typed (ECHOCTL shows control characters as ^X), ECHOE erases with "\\b \\b" (tabs
    by column), ECHOK/ECHOKE say how a killed line disappears, ECHONL echoes NL even without ECHO.
Reading (`read`): in canonical mode one line at most per read(), once it is complete; otherwise (raw or cbreak
mode) by VMIN/VTIME: return at once (0/0), wait with a timeout (0/T), wait for MIN bytes (M/0), or for MIN bytes
with an inter-byte timer (M/T).
Output (`process_output`): OPOST with ONLCR (NL -> CR NL), OCRNL, ONOCR, ONLRET, OLCUC, XTABS; the output
column is tracked for erasing tabs.

The discipline talks to its terminal (tty/tty.py's `Tty`) through a few methods: `termios`, `write_to_device`,
`signal_foreground`, `wake_readers`, `stop_output`, `start_output`, `output_stopped`, `hung_up`, `read_queue`.
"""
from __future__ import annotations

import errno
import time
from typing import TYPE_CHECKING

from pynix.errors import KernelError
from pynix.sync.wait import Block
from pynix.tty.termbits import (
    DISABLED_CHAR, ECHO, ECHOCTL, ECHOE, ECHOK, ECHOKE, ECHONL, ECHOPRT, ICANON, ICRNL, IEXTEN, IGNCR, INLCR,
    ISIG, ISTRIP, IUCLC, IUTF8, IXANY, IXON, NOFLSH, OCRNL, OLCUC, ONLCR, ONLRET, ONOCR, OPOST, TABDLY, VEOF, VEOL,
    VEOL2, VERASE, VINTR, VKILL, VLNEXT, VMIN, VQUIT, VREPRINT, VSTART, VSTOP, VSUSP, VTIME, VWERASE, XTABS,
)

if TYPE_CHECKING:
    from pynix.task.task import Task
    from pynix.tty.tty import Tty

N_TTY_BUF_SIZE = 4096                  # the input buffer; a canonical line holds at most 4095 characters
SIGINT, SIGQUIT, SIGTSTP = 2, 3, 20
NL, CR, TAB, BS = 0x0A, 0x0D, 0x09, 0x08
ERASE, WERASE, KILL = 0, 1, 2
_NOT_CONTINUATION = bytes(b for b in range(256) if not 0x80 <= b < 0xC0)
_CONTROL_BYTES = bytes(list(range(32)) + [127])


def iscntrl(c: int) -> bool:
    """The kernel's iscntrl (lib/ctype.c): 0-31 and DEL; the bytes 128-159 are not control characters there."""
    return c < 32 or c == 127


def _isalnum(c: int) -> bool:
    """The kernel's isalnum: ASCII letters and digits, and the Latin-1 letters 0xC0-0xFF (but x and /)."""
    return (0x30 <= c <= 0x39 or 0x41 <= c <= 0x5A or 0x61 <= c <= 0x7A
            or (c >= 0xC0 and c not in (0xD7, 0xF7)))


class NTty:
    """The state of the N_TTY discipline of one terminal.

    `buf` holds the input not yet read.  In canonical mode its first `canon_head` bytes are complete lines
    (readable) and the rest is the line being edited; `eols` lists the offsets of the line delimiters in it (NL,
    EOL, EOL2, or a 0 byte standing for VEOF, which read() does not return) -- Linux's read_flags bitmap."""

    def __init__(self, tty: "Tty") -> None:
        self.tty = tty
        self.buf = bytearray()
        self.canon_head = 0
        self.eols: list[int] = []
        self.icanon = bool(tty.termios.lflag & ICANON)
        self.column = 0                # where the cursor is (output processing keeps track)
        self.canon_column = 0          # the column the line being edited started at (for erasing tabs)
        self.lnext = False             # the next character is taken literally (after VLNEXT)
        self.erasing = False           # inside a \...\ ECHOPRT erase sequence
        self.last_input_ns = 0         # when the last byte arrived (the VMIN/VTIME inter-byte timer)

    # -------------------------------------------------------------------------------------------- settings
    def set_termios(self, old_lflag: int) -> None:
        """The settings changed (n_tty_set_termios).  Switching canonical mode on makes what is buffered one
        complete line; switching it off makes all of it readable."""
        lflag = self.tty.termios.lflag
        if (old_lflag ^ lflag) & ICANON:
            self.icanon = bool(lflag & ICANON)
            self.eols = []
            if self.icanon and self.buf:
                self.eols = [len(self.buf) - 1]
                self.canon_head = len(self.buf)
            else:
                self.canon_head = 0
            self.erasing = self.lnext = False
        self.tty.wake_readers()

    def _cc(self, c: int, index: int) -> bool:
        """Is `c` the control character at `index`?  A control character set to 0 (_POSIX_VDISABLE) is off."""
        value = self.tty.termios.cc[index]
        return value != DISABLED_CHAR and c == value

    def _is_continuation(self, c: int) -> bool:
        return bool(self.tty.termios.iflag & IUTF8) and (c & 0xC0) == 0x80

    # ----------------------------------------------------------------------------------------------- input
    def receive_room(self) -> int:
        """How many bytes the discipline can take now (n_tty_receive_buf_common's room).  A canonical line still
        being typed always accepts input (characters past the line limit are dropped, but erase, kill, NL and
        the signal characters still work); otherwise input waits in the device until a read makes room --
        Linux's throttling."""
        if self.icanon and self.canon_head == 0:
            return N_TTY_BUF_SIZE
        return max(N_TTY_BUF_SIZE - len(self.buf), 0)

    def receive(self, data: bytes) -> None:
        """Bytes from the keyboard (the driver's receive_buf)."""
        readable_before = self._readable_count()
        for c in data:
            self._receive_char(c)
        if data:
            self.last_input_ns = time.monotonic_ns()
        if self._readable_count() != readable_before:
            self.tty.wake_readers()

    def _readable_count(self) -> int:
        return self.canon_head if self.icanon else len(self.buf)

    def _receive_char(self, c: int) -> None:
        t = self.tty.termios
        iflag, lflag = t.iflag, t.lflag
        if self.lnext:                                     # quoted by VLNEXT: no special meaning
            self.lnext = False
            self._receive_plain(self._strip(c))
            return
        c = self._strip(c)
        if iflag & IXON:
            if self._cc(c, VSTART):
                self.tty.start_output()
                return
            if self._cc(c, VSTOP):
                self.tty.stop_output()
                return
        if lflag & ISIG:
            for index, sig in ((VINTR, SIGINT), (VQUIT, SIGQUIT), (VSUSP, SIGTSTP)):
                if self._cc(c, index):
                    self._signal_char(sig, c)
                    return
        if self.tty.output_stopped and iflag & IXON and iflag & IXANY:
            self.tty.start_output()                        # IXANY: any other key restarts output
        if c == CR:
            if iflag & IGNCR:
                return
            if iflag & ICRNL:
                c = NL
        elif c == NL and iflag & INLCR:
            c = CR
        if self.icanon:
            if self._cc(c, VERASE) or self._cc(c, VKILL) or (self._cc(c, VWERASE) and lflag & IEXTEN):
                self._eraser(c)
                return
            if self._cc(c, VLNEXT) and lflag & IEXTEN:
                self.lnext = True
                if lflag & ECHO:
                    self._finish_erasing()
                    if lflag & ECHOCTL:                    # show ^ and back up over it
                        self._echo_raw(b"^\b")
                return
            if self._cc(c, VREPRINT) and lflag & ECHO and lflag & IEXTEN:
                self._finish_erasing()
                self._echo_char(c)
                self._echo_raw(b"\n")
                for ch in self.buf[self.canon_head:]:
                    self._echo_char(ch)
                return
            if c == NL:
                if lflag & (ECHO | ECHONL):
                    self._echo_raw(b"\n")
                self._end_line(c)
                return
            if self._cc(c, VEOF):
                self._end_line(DISABLED_CHAR)              # a line end that read() does not return
                return
            if self._cc(c, VEOL) or (self._cc(c, VEOL2) and lflag & IEXTEN):
                if lflag & ECHO:
                    if len(self.buf) == self.canon_head:
                        self.canon_column = self.column
                    self._echo_char(c)
                self._end_line(c)
                return
        self._receive_plain(c)

    def _strip(self, c: int) -> int:
        t = self.tty.termios
        if t.iflag & ISTRIP:
            c &= 0x7F
        if t.iflag & IUCLC and t.lflag & IEXTEN and 0x41 <= c <= 0x5A:
            c += 0x20
        return c

    def _receive_plain(self, c: int) -> None:
        """An ordinary character (n_tty_receive_char): restart output under IXANY, echo, store."""
        t = self.tty.termios
        if self.tty.output_stopped and t.iflag & IXON and t.iflag & IXANY:
            self.tty.start_output()
        if t.lflag & ECHO:
            self._finish_erasing()
            if c == NL:                                    # (raw mode: NL is not special, but echoes as one)
                self._echo_raw(b"\n")
            else:
                if len(self.buf) == self.canon_head:
                    self.canon_column = self.column
                self._echo_char(c)
        self._put(c)

    def _put(self, c: int) -> None:
        if self.icanon and len(self.buf) - self.canon_head >= N_TTY_BUF_SIZE - 1:
            return                                         # the line is full: drop it
        self.buf.append(c)

    def _end_line(self, c: int) -> None:
        self.buf.append(c)
        self.eols.append(len(self.buf) - 1)
        self.canon_head = len(self.buf)

    def _signal_char(self, sig: int, c: int) -> None:
        """n_tty_receive_signal_char: signal the foreground group, flush (unless NOFLSH), restart output, echo."""
        t = self.tty.termios
        if not t.lflag & NOFLSH:
            self.flush_input()
        self.tty.signal_foreground(sig)
        if t.iflag & IXON:
            self.tty.start_output()
        if t.lflag & ECHO:
            self._echo_char(c)

    def _eraser(self, c: int) -> None:
        """VERASE, VWERASE, VKILL in canonical mode (n_tty's eraser)."""
        t = self.tty.termios
        lflag = t.lflag
        if len(self.buf) == self.canon_head:
            return                                         # nothing typed on this line
        if self._cc(c, VERASE):
            kind = ERASE
        elif self._cc(c, VWERASE):
            kind = WERASE
        else:
            if not lflag & ECHO:
                del self.buf[self.canon_head:]
                return
            if not (lflag & ECHOK and lflag & ECHOKE and lflag & ECHOE):
                del self.buf[self.canon_head:]
                self._finish_erasing()
                self._echo_char(c)                         # show the kill character (^U) ...
                if lflag & ECHOK:
                    self._echo_raw(b"\n")                  # ... and start a new line
                return
            kind = KILL                                    # ECHOKE: erase the line visibly, character by character
        seen_alnums = 0
        while len(self.buf) > self.canon_head:
            head = len(self.buf)
            while True:                                    # one character, maybe several UTF-8 bytes
                head -= 1
                ch = self.buf[head]
                if not (self._is_continuation(ch) and head > self.canon_head):
                    break
            if self._is_continuation(ch):
                break                                      # never erase part of a character
            if kind == WERASE:                             # a word: alphanumerics and _, after any separators
                if _isalnum(ch) or ch == ord("_"):
                    seen_alnums += 1
                elif seen_alnums:
                    break
            erased = bytes(self.buf[head:])
            del self.buf[head:]
            if lflag & ECHO:
                self._echo_erase(kind, ch, erased)
            if kind == ERASE:
                break
        if len(self.buf) == self.canon_head and lflag & ECHO:
            self._finish_erasing()

    def _echo_erase(self, kind: int, ch: int, erased: bytes) -> None:
        t = self.tty.termios
        lflag = t.lflag
        if lflag & ECHOPRT:                                # hardcopy style: \erased chars/
            if not self.erasing:
                self._echo_raw(b"\\")
                self.erasing = True
            self._echo_char(ch)
            for extra in erased[1:]:
                self._echo_raw(bytes([extra]))
                self.column = max(self.column - 1, 0)
        elif kind == ERASE and not lflag & ECHOE:
            self._echo_char(t.cc[VERASE])
        elif ch == TAB:                                    # back up to where the tab started
            num_chars, after_tab = 0, False
            for x in reversed(self.buf[self.canon_head:]):
                if x == TAB:
                    after_tab = True
                    break
                if iscntrl(x):
                    if lflag & ECHOCTL:
                        num_chars += 2
                elif not self._is_continuation(x):
                    num_chars += 1
            if not after_tab:
                num_chars += self.canon_column
            backspaces = 8 - (num_chars & 7)
            self.tty.write_to_device(b"\b" * backspaces)
            self.column = max(self.column - backspaces, 0)
        else:
            if iscntrl(ch) and lflag & ECHOCTL:            # ^X took two columns
                self._echo_raw(b"\b \b")
            if not iscntrl(ch) or lflag & ECHOCTL:
                self._echo_raw(b"\b \b")

    def _finish_erasing(self) -> None:
        if self.erasing:
            self._echo_raw(b"/")
            self.erasing = False

    # ------------------------------------------------------------------------------------------------ echo
    def _echo_char(self, c: int) -> None:
        """Echo a typed character: control characters as ^X under ECHOCTL (not TAB)."""
        if self.tty.termios.lflag & ECHOCTL and iscntrl(c) and c != TAB:
            self.tty.write_to_device(bytes([ord("^"), c ^ 0o100]))
            self.column += 2
        else:
            self._echo_raw(bytes([c]))

    def _echo_raw(self, data: bytes) -> None:
        self.tty.write_to_device(self.process_output(data))

    # ----------------------------------------------------------------------------------------------- read
    def input_available(self, for_poll: bool = False) -> bool:
        """n_tty's input_available_p: a complete line (canonical), or enough bytes for the read to return --
        for poll, VMIN of them when VTIME is 0."""
        if self.icanon:
            return self.canon_head > 0
        cc = self.tty.termios.cc
        amount = cc[VMIN] if for_poll and not cc[VTIME] and cc[VMIN] else 1
        return len(self.buf) >= amount

    def read(self, task: "Task", size: int, nonblocking: bool) -> bytes:
        """n_tty_read: the bytes a read() of `size` returns now, or Block until it can return (EAGAIN when
        non-blocking).  Nothing is consumed before the read can complete, so re-running it after a wake-up or a
        signal loses no input."""
        if size == 0:
            return b""
        tty = self.tty
        if self.icanon:
            if self.canon_head == 0:
                if tty.hung_up:
                    return b""
                if nonblocking:
                    raise KernelError(errno.EAGAIN)
                raise Block(tty.read_queue)
            return self._take_line(size)
        cc = tty.termios.cc
        vmin, vtime = cc[VMIN], cc[VTIME]
        avail = len(self.buf)
        if vmin == 0 and vtime == 0:                       # polling read: whatever is there
            return self._take(size)
        if vmin == 0:                                      # a read with a timeout of VTIME tenths of a second
            if avail:
                return self._take(size)
            deadline = task.restart_data if isinstance(task.restart_data, int) else \
                time.monotonic_ns() + vtime * 100_000_000
            if tty.hung_up or time.monotonic_ns() >= deadline:
                return b""
            if nonblocking:
                raise KernelError(errno.EAGAIN)
            raise Block(tty.read_queue, deadline=deadline, data=deadline)
        if avail >= min(vmin, size):                       # VMIN bytes (or as many as asked for) are there
            return self._take(size)
        if avail and (nonblocking or tty.hung_up):
            return self._take(size)
        if avail and vtime:                                # the inter-byte timer runs from the last byte
            deadline = self.last_input_ns + vtime * 100_000_000
            if time.monotonic_ns() >= deadline:
                return self._take(size)
            raise Block(tty.read_queue, deadline=deadline)
        if not avail:
            if tty.hung_up:
                return b""
            if nonblocking:
                raise KernelError(errno.EAGAIN)
        raise Block(tty.read_queue)

    def _take(self, size: int) -> bytes:
        data = bytes(self.buf[:size])
        del self.buf[:size]
        if data:
            self.tty.unthrottle()
        return data

    def _take_line(self, size: int) -> bytes:
        """canon_copy_from_read_buf: up to the end of the first line (the delimiter included, unless it is the
        VEOF marker) or `size` bytes, whichever is less; the rest of a long line is left for the next read."""
        n = min(size, self.canon_head)
        eol = self.eols[0] if self.eols and self.eols[0] < n else None
        if eol is None:
            data, consumed = bytes(self.buf[:n]), n
        else:
            end = eol if self.buf[eol] == DISABLED_CHAR else eol + 1
            data, consumed = bytes(self.buf[:end]), eol + 1
            self.eols.pop(0)
        del self.buf[:consumed]
        self.canon_head -= consumed
        self.eols = [e - consumed for e in self.eols]
        self.tty.unthrottle()
        return data

    def bytes_available(self) -> int:
        """FIONREAD: in canonical mode the bytes of complete lines, not counting VEOF markers (inq_canon)."""
        if not self.icanon:
            return len(self.buf)
        eofs = sum(1 for e in self.eols if e < self.canon_head and self.buf[e] == DISABLED_CHAR)
        return self.canon_head - eofs

    def flush_input(self) -> None:
        """Discard all unread input (TCIFLUSH, a signal character without NOFLSH): reset_buffer_flags."""
        self.buf.clear()
        self.canon_head = 0
        self.eols = []
        self.lnext = self.erasing = False
        self.tty.unthrottle()

    # --------------------------------------------------------------------------------------------- output
    def process_output(self, data: bytes) -> bytes:
        """OPOST output processing (do_output_char), tracking the cursor column.  Without OPOST the bytes go
        out as they are."""
        oflag = self.tty.termios.oflag
        if not oflag & OPOST:
            return data
        if oflag & ONLCR and not oflag & (OLCUC | OCRNL | ONOCR | ONLRET | TABDLY):
            # The usual settings: only NL -> CR NL.  Do it at C speed and follow the column on the last line.
            out = data.replace(b"\n", b"\r\n")
            cut = max(data.rfind(b"\n"), data.rfind(b"\r"))
            if cut >= 0:
                self.column = self.canon_column = 0
            self._advance_column(data[cut + 1:])
            return out
        out = bytearray()
        for c in data:
            if c == NL:
                if oflag & ONLRET:
                    self.column = 0
                if oflag & ONLCR:
                    out += b"\r\n"
                    self.column = self.canon_column = 0
                    continue
                self.canon_column = self.column
            elif c == CR:
                if oflag & ONOCR and self.column == 0:
                    continue
                if oflag & OCRNL:
                    c = NL
                    if oflag & ONLRET:
                        self.column = self.canon_column = 0
                else:
                    self.column = self.canon_column = 0
            elif c == TAB:
                spaces = 8 - (self.column & 7)
                self.column += spaces
                if oflag & TABDLY == XTABS:
                    out += b" " * spaces
                    continue
            elif c == BS:
                if self.column > 0:
                    self.column -= 1
            elif not iscntrl(c):
                if oflag & OLCUC and 0x61 <= c <= 0x7A:
                    c -= 0x20
                if not self._is_continuation(c):
                    self.column += 1
            out.append(c)
        return bytes(out)

    def _advance_column(self, text: bytes) -> None:
        """Move the column over `text`, which holds no CR or NL (do_output_char's column rules)."""
        if not text:
            return
        if len(text.translate(None, _CONTROL_BYTES)) != len(text):
            for c in text:                                 # tabs, backspaces, control characters: one by one
                if c == TAB:
                    self.column += 8 - (self.column & 7)
                elif c == BS:
                    self.column = max(self.column - 1, 0)
                elif not iscntrl(c) and not self._is_continuation(c):
                    self.column += 1
            return
        width = len(text)
        if self.tty.termios.iflag & IUTF8:
            width -= len(text.translate(None, _NOT_CONTINUATION))
        self.column += width
