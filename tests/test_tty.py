"""The terminal: the N_TTY line discipline against a fake terminal (unit tests), a differential job-control
program run on a pseudo-terminal natively and under pynix, and interactive shells driven through a
pseudo-terminal (pexpect) the way a person would use them."""
from __future__ import annotations

import os
import re
import shutil
import struct
import sys
import termios
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

import harness
from pynix.errors import KernelError
from pynix.sync.wait import Block
from pynix.tty import termbits as tb
from pynix.tty.tty import Tty

# ------------------------------------------------------------------------------------------ a fake terminal


class FakeDriver:
    """The hardware side: collects what the terminal shows."""
    name = b"/dev/pts/fake"
    rdev = 0

    def __init__(self) -> None:
        self.out = bytearray()

    def open(self) -> None:
        pass

    def close(self) -> None:
        pass

    def write(self, data: bytes) -> None:
        self.out += data

    def write_room(self) -> int:
        return 1 << 30

    def unthrottle(self) -> None:
        pass

    def stat(self) -> dict:
        return {}

    def take(self) -> bytes:
        data, self.out = bytes(self.out), bytearray()
        return data


class FakeTty(Tty):
    """A terminal whose keyboard signals are recorded instead of sent."""

    def __init__(self) -> None:
        self.signals: list[int] = []
        super().__init__(SimpleNamespace(groups={}, tasks={}, ttys=[]), FakeDriver())

    def signal_foreground(self, sig: int) -> None:
        self.signals.append(sig)


@pytest.fixture
def tty() -> FakeTty:
    return FakeTty()


def typed(tty: FakeTty, keys: bytes) -> bytes:
    """Type `keys`; return the echo."""
    tty.receive(keys)
    return tty.driver.take()


def read(tty: FakeTty, size: int = 100, nonblocking: bool = False, restart_data=None) -> bytes:
    return tty.ldisc.read(SimpleNamespace(restart_data=restart_data), size, nonblocking)


def blocks(tty: FakeTty, size: int = 100) -> Block:
    with pytest.raises(Block) as info:
        read(tty, size)
    return info.value


def set_flags(tty: FakeTty, **changes) -> None:
    """Change the settings the way TCSETS does: iflag=+X sets bits, iflag=-X clears them; cc={index: value}."""
    new = tty.termios.copy()
    for name, value in changes.items():
        if name == "cc":
            for index, char in value.items():
                new.cc[index] = char
        elif value >= 0:
            setattr(new, name, getattr(new, name) | value)
        else:
            setattr(new, name, getattr(new, name) & ~-value)
    tty.set_termios(new)


def raw(tty: FakeTty, vmin: int = 1, vtime: int = 0) -> None:
    set_flags(tty, lflag=-(tb.ICANON | tb.ECHO | tb.ISIG | tb.IEXTEN), iflag=-(tb.ICRNL | tb.IXON),
              cc={tb.VMIN: vmin, tb.VTIME: vtime})


# --------------------------------------------------------------------------------------- defaults, layout
def test_default_settings_are_linux_tty_std_termios(tty):
    t = tty.termios
    assert (t.iflag, t.oflag, t.cflag, t.lflag) == (0o2400, 0o5, 0o2277, 0o105073)
    raw_struct = t.pack()
    assert len(raw_struct) == 36
    assert raw_struct[16] == 0                                   # c_line: N_TTY
    assert raw_struct[17:17 + 17] == bytes.fromhex("031c7f15040001001113 1a00120f171600".replace(" ", ""))
    assert tb.Termios.unpack(raw_struct) == t
    assert len(t.pack2()) == 44 and struct.unpack_from("<II", t.pack2(), 36) == (38400, 38400)


# ----------------------------------------------------------------------------------------- canonical mode
def test_canonical_line_is_read_only_when_complete(tty):
    assert typed(tty, b"hello") == b"hello"
    blocks(tty)
    assert typed(tty, b"\r") == b"\r\n"                          # ICRNL, echoed NL through ONLCR
    assert read(tty) == b"hello\n"
    blocks(tty)


def test_canonical_read_returns_one_line_at_a_time(tty):
    typed(tty, b"one\rtwo\r")
    assert read(tty) == b"one\n"
    assert read(tty, 2) == b"tw"                                # a short read leaves the rest of the line
    assert read(tty) == b"o\n"


def test_erase_kill_and_word_erase(tty):
    assert typed(tty, b"abc\x7f") == b"abc\b \b"                 # VERASE with ECHOE
    assert typed(tty, b"d\r") == b"d\r\n"
    assert read(tty) == b"abd\n"
    assert typed(tty, b"junk\x15") == b"junk" + b"\b \b" * 4      # VKILL with ECHOKE: erased visibly
    typed(tty, b"ok\r")
    assert read(tty) == b"ok\n"
    assert typed(tty, b"echo foo_1 bar \x17") == b"echo foo_1 bar " + b"\b \b" * 4
    assert typed(tty, b"\x17") == b"\b \b" * 6                   # a word: alphanumerics and _ after blanks
    typed(tty, b"x\r")
    assert read(tty) == b"echo x\n"
    assert typed(tty, b"\x7f") == b""                            # nothing to erase


def test_kill_without_echoke_echoes_kill_char_and_newline(tty):
    set_flags(tty, lflag=-tb.ECHOKE)
    assert typed(tty, b"abc\x15") == b"abc^U\r\n"
    typed(tty, b"z\r")
    assert read(tty) == b"z\n"


def test_erase_without_echoe_echoes_erase_char(tty):
    set_flags(tty, lflag=-(tb.ECHOE | tb.ECHOCTL))
    assert typed(tty, b"ab\x7f") == b"ab\x7f"


def test_erasing_control_characters_and_tabs(tty):
    assert typed(tty, b"a\x01") == b"a^A"                        # ECHOCTL
    assert typed(tty, b"\x7f") == b"\b \b\b \b"                  # ^A took two columns
    assert typed(tty, b"\tb") == b"\tb"
    assert typed(tty, b"\x7f\x7f") == b"\b \b" + b"\b" * 7       # the tab went from column 1 to 8


def test_tab_erase_counts_from_the_prompt_column(tty):
    tty.driver.write(tty.ldisc.process_output(b"$ "))            # the prompt leaves the cursor at column 2
    tty.driver.take()
    typed(tty, b"\t")
    assert typed(tty, b"\x7f") == b"\b" * 6


def test_utf8_erase_removes_a_whole_character(tty):
    set_flags(tty, iflag=tb.IUTF8)
    typed(tty, "aé".encode())
    assert typed(tty, b"\x7f") == b"\b \b"
    typed(tty, b"\r")
    assert read(tty) == b"a\n"


def test_eof_ends_a_line_or_the_input(tty):
    assert typed(tty, b"\x04") == b""                            # ^D is not echoed
    assert read(tty) == b""                                      # on an empty line: end of file
    typed(tty, b"ab\x04")
    assert read(tty) == b"ab"                                    # otherwise the line without a newline
    blocks(tty)
    typed(tty, b"x\x04y\r")
    assert tty.ldisc.bytes_available() == 3                      # FIONREAD does not count the EOF marker
    assert read(tty) == b"x"
    assert read(tty) == b"y\n"


def test_eol_characters_end_lines(tty):
    set_flags(tty, cc={tb.VEOL: ord(";"), tb.VEOL2: ord("|")})
    typed(tty, b"a;b|")
    assert read(tty) == b"a;"
    assert read(tty) == b"b|"


def test_lnext_quotes_the_next_key(tty):
    assert typed(tty, b"\x16") == b"^\b"
    assert typed(tty, b"\x03") == b"^C"
    assert tty.signals == []
    typed(tty, b"\r")
    assert read(tty) == b"\x03\n"


def test_reprint(tty):
    typed(tty, b"abc")
    assert typed(tty, b"\x12") == b"^R\r\nabc"


def test_echonl_and_no_echo(tty):
    set_flags(tty, lflag=-tb.ECHO)
    assert typed(tty, b"secret\r") == b""
    set_flags(tty, lflag=tb.ECHONL)
    assert typed(tty, b"more\r") == b"\r\n"
    assert read(tty) == b"secret\n"


def test_long_line_is_cut_at_the_buffer_size(tty):
    typed(tty, b"x" * 5000 + b"\r")
    assert read(tty, 10000) == b"x" * 4095 + b"\n"


# ------------------------------------------------------------------------------------- keyboard signals
@pytest.mark.parametrize("key, sig, echo", [(b"\x03", 2, b"^C"), (b"\x1c", 3, b"^\\"), (b"\x1a", 20, b"^Z")])
def test_signal_keys(tty, key, sig, echo):
    typed(tty, b"pending")
    assert typed(tty, key) == echo
    assert tty.signals == [sig]
    typed(tty, b"\r")
    assert read(tty) == b"\n"                                    # the input was flushed


def test_noflsh_keeps_input_and_isig_off_makes_plain_characters(tty):
    set_flags(tty, lflag=tb.NOFLSH)
    typed(tty, b"ab\x03\r")
    assert read(tty) == b"ab\n"
    set_flags(tty, lflag=-tb.ISIG)
    typed(tty, b"\x03\r")
    assert read(tty) == b"\x03\n" and tty.signals == [2]


def test_disabled_control_character(tty):
    set_flags(tty, cc={tb.VINTR: 0})                             # _POSIX_VDISABLE
    typed(tty, b"\x03\x00\r")
    assert tty.signals == []
    assert read(tty) == b"\x03\x00\n"


def test_flow_control_keys(tty):
    typed(tty, b"\x13")
    assert tty.output_stopped
    typed(tty, b"\x11")
    assert not tty.output_stopped
    set_flags(tty, iflag=tb.IXANY)
    typed(tty, b"\x13a")
    assert not tty.output_stopped


# ------------------------------------------------------------------------------------- input translation
def test_input_translation(tty):
    raw(tty)
    typed(tty, b"a\rb\n")
    assert read(tty) == b"a\rb\n"
    set_flags(tty, iflag=tb.ICRNL | tb.INLCR)
    typed(tty, b"\r\n")
    assert read(tty) == b"\n\r"
    set_flags(tty, iflag=tb.IGNCR)
    typed(tty, b"x\ry")
    assert read(tty) == b"xy"
    set_flags(tty, iflag=tb.ISTRIP)
    typed(tty, b"\xc1")
    assert read(tty) == b"A"


# ------------------------------------------------------------------------------------ raw and cbreak reads
def test_raw_vmin_vtime(tty):
    raw(tty, vmin=0, vtime=0)
    assert read(tty) == b""                                      # a polling read
    raw(tty, vmin=1)
    blocks(tty)
    with pytest.raises(KernelError):
        read(tty, nonblocking=True)                              # EAGAIN
    typed(tty, b"xy")
    assert read(tty) == b"xy"
    raw(tty, vmin=3)
    typed(tty, b"ab")
    assert blocks(tty).deadline is None                          # MIN not reached, no timer
    assert read(tty, 2) == b"ab"                                 # asking for fewer than MIN: enough
    typed(tty, b"cd")
    blocks(tty)
    typed(tty, b"e")
    assert read(tty) == b"cde"
    raw(tty, vmin=0, vtime=5)
    block = blocks(tty)
    assert block.deadline is not None and block.data == block.deadline
    assert read(tty, restart_data=time.monotonic_ns() - 1) == b""   # the timeout passed: 0 bytes
    raw(tty, vmin=4, vtime=1)
    typed(tty, b"z")
    assert blocks(tty).deadline == tty.ldisc.last_input_ns + 100_000_000   # the inter-byte timer


def test_raw_input_is_echoed_unprocessed_only_with_echo(tty):
    raw(tty)
    assert typed(tty, b"abc\x7f") == b""
    assert read(tty) == b"abc\x7f"


def test_switching_modes_keeps_typed_input(tty):
    typed(tty, b"partial")
    raw(tty)
    assert read(tty) == b"partial"                               # the line being typed becomes readable
    typed(tty, b"xyz")
    set_flags(tty, lflag=tb.ICANON)
    assert read(tty) == b"xyz"                                   # raw input becomes one complete line


def test_throttling_room(tty):
    raw(tty)
    typed(tty, b"x" * 4096)
    assert tty.ldisc.receive_room() == 0
    read(tty, 10)
    assert tty.ldisc.receive_room() == 10


def test_poll_mask(tty):
    from pynix.uapi.poll import POLLIN, POLLOUT
    assert tty.poll_mask() == POLLOUT | 0x100
    typed(tty, b"ab")
    assert not tty.poll_mask() & POLLIN                          # no complete line yet
    typed(tty, b"\r")
    assert tty.poll_mask() & POLLIN
    read(tty)
    raw(tty, vmin=2)
    typed(tty, b"a")
    assert not tty.poll_mask() & POLLIN                          # poll waits for VMIN bytes
    typed(tty, b"b")
    assert tty.poll_mask() & POLLIN
    tty.stop_output()
    assert not tty.poll_mask() & POLLOUT


# ------------------------------------------------------------------------------------------------ output
def test_output_processing(tty):
    out = tty.ldisc.process_output
    assert out(b"a\nb\n") == b"a\r\nb\r\n"
    assert tty.ldisc.column == 0
    out(b"abc\tx")
    assert tty.ldisc.column == 9
    set_flags(tty, oflag=tb.XTABS)
    assert out(b"\n\tx") == b"\r\n" + b" " * 8 + b"x"
    set_flags(tty, oflag=-tb.ONLCR)
    set_flags(tty, oflag=tb.OCRNL | tb.ONOCR | tb.OLCUC)
    assert out(b"ab\r") == b"AB\n"
    assert out(b"\r\r") == b"\n\n"
    set_flags(tty, oflag=-tb.OCRNL)
    out(b"x\r")
    assert out(b"\r") == b""                                     # ONOCR: no CR at column 0
    set_flags(tty, oflag=-tb.OPOST)
    assert out(b"a\nb\t") == b"a\nb\t"


def test_output_column_follows_utf8(tty):
    set_flags(tty, iflag=tb.IUTF8)
    tty.ldisc.process_output("\nééé".encode())
    assert tty.ldisc.column == 3


# =================================================================================== on a pseudo-terminal
try:
    import pexpect
except ImportError:                                              # the unit tests above still run
    pexpect = None
BUSYBOX = Path("/bin/busybox")
KERNEL_NOISE = re.compile(rb"pynix: unimplemented syscall [^\n]*\n")


def _spawn(argv: list[str], **kw):
    harness.need(pexpect is not None, "pexpect is not installed (pip install pexpect)")
    env = harness.pynix_env({"PS1": "$ ", "TERM": "xterm", "ENV": "", "HISTFILE": "/dev/null"})
    return pexpect.spawn(argv[0], argv[1:], env=env, timeout=30, **kw)


def _run_on_pty(argv: list[str]) -> tuple[int | None, bytes]:
    child = _spawn(argv)
    out = child.read()
    child.close()
    status = child.exitstatus if child.signalstatus is None else 128 + child.signalstatus
    return status, KERNEL_NOISE.sub(b"", out.replace(b"\r\n", b"\n"))


def test_job_control_differential(guest):
    """Settings, VMIN/VTIME, SIGWINCH, the job-control ioctls and background groups: native vs pynix."""
    binary = guest("tty_jobctl.c")
    if harness.selfcheck():
        pytest.skip("PYNIX_TEST_SELFCHECK=1")
    ref = _run_on_pty(harness.reference_command(binary))
    got = _run_on_pty(harness.pynix_command(binary))
    assert got == ref, f"reference:\n{ref[1].decode()}\npynix:\n{got[1].decode()}"
    assert b"background read: stopped by SIGTTIN" in got[1]


@pytest.fixture
def busybox() -> Path:
    harness.need(BUSYBOX.exists(), f"{BUSYBOX} is missing (Debian package busybox-static)")
    harness.need(harness.host_isa() == "x86_64", "the busybox tests expect an x86_64 host")
    if harness.selfcheck():
        pytest.skip("PYNIX_TEST_SELFCHECK=1")
    return BUSYBOX


class Session:
    """A host shell on a pseudo-terminal that records the terminal settings, runs pynix, and records them again."""

    def __init__(self, pynix_args: list[str], rows: int = 24, cols: int = 80) -> None:
        pynix = " ".join([sys.executable, "-m", "pynix", "run"] + pynix_args)
        self.child = _spawn(["/bin/sh", "-c", f"stty -g; echo BEGIN; {pynix}; echo \"END $?\"; stty -g"],
                            dimensions=(rows, cols))
        self.child.expect(rb"([0-9a-f:]+)\r\nBEGIN\r\n")
        self.before = self.child.match.group(1)

    def expect(self, pattern: bytes, timeout: float = 30):
        self.child.expect_exact(pattern, timeout=timeout)
        return self.child.before

    def send(self, keys: bytes) -> None:
        self.child.send(keys)

    def prompt(self) -> bytes:
        return self.expect(b"$ ")

    def command(self, line: bytes) -> bytes:
        self.send(line + b"\r")
        return self.prompt()

    def finish(self) -> int:
        """Wait for pynix to exit; check the terminal settings are what they were; return its exit status."""
        self.child.expect(rb"END (\d+)\r\n([0-9a-f:]+)\r\n")
        status, after = int(self.child.match.group(1)), self.child.match.group(2)
        assert after == self.before, "the host terminal settings were not restored"
        self.child.expect(pexpect.EOF)
        return status

    def raw_mode_on(self) -> bool:
        """While pynix runs, the host terminal is in raw mode (the master side reads the slave's settings)."""
        return not termios.tcgetattr(self.child.child_fd)[3] & termios.ICANON


def test_busybox_shell_interactive(busybox):
    s = Session([str(busybox), "sh"])
    s.prompt()
    assert s.raw_mode_on()
    assert b"hello\r\n" in s.command(b"echo hello")
    # busybox's own line editing (raw mode): backspace and ^U
    assert b"\r\nabd\r\n" in s.command(b"echo abc\x7fd")
    s.send(b"echo junk\x15echo ok\r")                            # (^U redraws the prompt)
    s.expect(b"\r\nok\r\n")
    s.prompt()
    # the kernel's canonical mode, for a program that reads lines: cat
    s.send(b"cat\r")
    time.sleep(1)
    s.send(b"abc\x7fd\r")
    assert s.expect(b"abd\r\n").endswith(b"abc\b \bd\r\n")      # echoed by the line discipline, then cat's copy
    s.send(b"junk\x15line\x17word\r")
    s.expect(b"word\r\nword\r\n")                              # the echo, then cat's copy
    s.send(b"\x04")                                              # ^D: end of file for cat
    s.prompt()
    # ^C interrupts the foreground program; the shell survives
    s.send(b"sleep 10\r")
    time.sleep(2)
    started = time.monotonic()
    s.send(b"\x03")
    s.prompt()
    assert time.monotonic() - started < 5
    assert b"alive\r\n" in s.command(b"echo alive")
    # the window size comes from the host terminal and follows it
    assert b"24 80\r\n" in s.command(b"stty size")
    s.child.setwinsize(40, 100)                                  # busybox redraws its prompt on SIGWINCH
    time.sleep(0.5)
    s.send(b"stty size\r")
    s.expect(b"40 100\r\n")
    s.prompt()
    s.send(b"exit\r")
    assert s.finish() == 0


def test_busybox_job_control(busybox):
    """^Z stops the foreground job, `jobs` lists it, `fg` resumes it.  Needs /dev/tty to open the console."""
    s = Session([str(busybox), "sh"])
    banner = s.prompt()
    if b"job control turned off" in banner:
        s.send(b"exit\r")
        s.finish()
        pytest.skip("/dev/tty does not open the console yet (devfs), so busybox sh runs without job control")
    s.send(b"sleep 10\r")
    time.sleep(2)
    s.send(b"\x1a")
    assert b"Stopped" in s.prompt()
    assert b"sleep 10" in s.command(b"jobs")
    s.send(b"fg\r")
    s.expect(b"sleep 10")
    time.sleep(1)
    s.send(b"\x03")
    s.prompt()
    s.send(b"sleep 1 &\r")
    s.prompt()
    time.sleep(2)
    assert b"Done" in s.command(b"echo x")
    s.send(b"\x04")                                              # ^D at the prompt: exit
    assert s.finish() == 0


def test_busybox_vi_edits_a_file(busybox):
    s = Session([str(busybox), "sh"], rows=30, cols=100)
    s.prompt()
    s.command(b"cd /tmp && rm -f pynix-tty-vi.txt")
    s.send(b"busybox vi pynix-tty-vi.txt\r")
    s.expect(b"~")                                               # vi has drawn its screen
    s.send(b"ihello from vi\x1b")
    time.sleep(0.5)
    s.send(b":wq\r")
    s.prompt()
    assert b"hello from vi\r\n" in s.command(b"cat pynix-tty-vi.txt")
    s.send(b"exit\r")
    assert s.finish() == 0


def test_default_program_is_an_interactive_sh():
    """`pynix run` without a program: /bin/sh (dash on Debian, a dynamic program) on the console, whose line
    editing is the kernel's canonical mode."""
    harness.need(shutil.which("dash") is not None or os.path.exists("/bin/sh"), "no /bin/sh")
    if harness.selfcheck():
        pytest.skip("PYNIX_TEST_SELFCHECK=1")
    s = Session([])
    s.prompt()
    assert b"\r\nsh\r\n" in s.command(b"echo $0")
    assert b"\r\nabcdxy zz\r\n" in s.command(b"echo abcdef\x7f\x7fxy foo\x17zz")
    s.send(b"sleep 10\r")
    time.sleep(2)
    s.send(b"\x03")
    s.prompt()
    assert b"icanon" in s.command(b"stty -a")
    s.send(b"\x04")
    assert s.finish() == 0
