"""`struct termios` as the kernel's ioctls see it (include/uapi/asm-generic/termbits.h, shared by x86_64 and
riscv64), and Linux's default terminal settings (`tty_std_termios` in drivers/tty/tty_io.c).

The ioctl structure is 36 bytes: four 32-bit flag words (input, output, control, local), the line-discipline
number, and 19 control characters.  `struct termios2` (TCGETS2/TCSETS2) appends the input and output speeds.
glibc's `struct termios` is larger (NCCS = 32 plus speeds) and is converted by the C library, so only these
kernel layouts appear here.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field

# c_iflag
IGNBRK, BRKINT, IGNPAR, PARMRK, INPCK, ISTRIP = 0o1, 0o2, 0o4, 0o10, 0o20, 0o40
INLCR, IGNCR, ICRNL, IUCLC, IXON, IXANY, IXOFF, IMAXBEL, IUTF8 = (0o100, 0o200, 0o400, 0o1000, 0o2000, 0o4000,
                                                               0o10000, 0o20000, 0o40000)
# c_oflag
OPOST, OLCUC, ONLCR, OCRNL, ONOCR, ONLRET, OFILL, OFDEL = 0o1, 0o2, 0o4, 0o10, 0o20, 0o40, 0o100, 0o200
TABDLY, XTABS = 0o14000, 0o14000
# c_cflag
CBAUD, B38400, CSIZE, CS8, CSTOPB, CREAD, PARENB, HUPCL, CLOCAL = (0o10017, 0o17, 0o60, 0o60, 0o100, 0o200, 0o400,
                                                                   0o2000, 0o4000)
# c_lflag
ISIG, ICANON, XCASE, ECHO, ECHOE, ECHOK, ECHONL, NOFLSH, TOSTOP = 0o1, 0o2, 0o4, 0o10, 0o20, 0o40, 0o100, 0o200, 0o400
ECHOCTL, ECHOPRT, ECHOKE, FLUSHO, PENDIN, IEXTEN, EXTPROC = 0o1000, 0o2000, 0o4000, 0o10000, 0o40000, 0o100000, 0o200000

# indices into c_cc
VINTR, VQUIT, VERASE, VKILL, VEOF, VTIME, VMIN, VSWTC, VSTART, VSTOP, VSUSP, VEOL = range(12)
VREPRINT, VDISCARD, VWERASE, VLNEXT, VEOL2 = range(12, 17)
NCCS = 19
DISABLED_CHAR = 0                  # _POSIX_VDISABLE: a control character set to 0 is switched off

# INIT_C_CC: ^C ^\ DEL ^U ^D, TIME 0, MIN 1, SWTC 0, ^Q ^S ^Z, EOL 0, ^R ^O ^W ^V, EOL2 0
INIT_C_CC = bytes([0o3, 0o34, 0o177, 0o25, 0o4, 0, 1, 0, 0o21, 0o23, 0o32, 0, 0o22, 0o17, 0o27, 0o26, 0, 0, 0])

TERMIOS_SIZE = 36
TERMIOS2_SIZE = 44
_TERMIOS = struct.Struct("<IIIIB19s")
_TERMIOS2 = struct.Struct("<IIIIB19sII")

# The baud rates a CBAUD value stands for (B0..B38400, then the CBAUDEX ones).
_BAUDS = [0, 50, 75, 110, 134, 150, 200, 300, 600, 1200, 1800, 2400, 4800, 9600, 19200, 38400]
_BAUDS_EX = [0, 57600, 115200, 230400, 460800, 500000, 576000, 921600, 1000000, 1152000, 1500000, 2000000,
             2500000, 3000000, 3500000, 4000000]


def baud_of(cflag: int) -> int:
    """The speed encoded in the CBAUD bits of `cflag` (tty_termios_baud_rate, without BOTHER)."""
    code = cflag & CBAUD
    if code & 0o10000:
        return _BAUDS_EX[code & 0o17]
    return _BAUDS[code]


@dataclass
class Termios:
    """One terminal's settings (Linux's `struct ktermios`)."""
    iflag: int = ICRNL | IXON
    oflag: int = OPOST | ONLCR
    cflag: int = B38400 | CS8 | CREAD | HUPCL
    lflag: int = ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN
    line: int = 0                                  # N_TTY
    cc: bytearray = field(default_factory=lambda: bytearray(INIT_C_CC))

    def copy(self) -> "Termios":
        return Termios(self.iflag, self.oflag, self.cflag, self.lflag, self.line, bytearray(self.cc))

    def pack(self) -> bytes:
        """The 36-byte kernel `struct termios` (TCGETS)."""
        return _TERMIOS.pack(self.iflag, self.oflag, self.cflag, self.lflag, self.line, bytes(self.cc))

    def pack2(self) -> bytes:
        """The 44-byte `struct termios2` (TCGETS2): the same plus c_ispeed and c_ospeed."""
        speed = baud_of(self.cflag)
        return _TERMIOS2.pack(self.iflag, self.oflag, self.cflag, self.lflag, self.line, bytes(self.cc), speed, speed)

    @classmethod
    def unpack(cls, raw: bytes) -> "Termios":
        """Settings from a `struct termios` (or the first 36 bytes of a `struct termios2`)."""
        iflag, oflag, cflag, lflag, line, cc = _TERMIOS.unpack_from(raw)
        return cls(iflag, oflag, cflag, lflag, line, bytearray(cc))
