"""Chapter 6 exercises (docs/book/signals.md)."""
import pytest

from conftest import pynix_python, pynix_tty

pytestmark = pytest.mark.exercise


def test_status_sigq_counts_queued_signals():
    """6.1: /proc/PID/status `SigQ:` is the number of signals queued for the process's user / its
    RLIMIT_SIGPENDING (Linux's user->sigpending).  A blocked SIGUSR1 sent twice is queued once (standard
    signals do not queue), a blocked SIGRTMIN sent three times three times: 4 more than before."""
    out = pynix_python(
        "import os, signal\n"
        "def sigq(): return [l for l in open('/proc/self/status') if l.startswith('SigQ:')][0].split()[1]\n"
        "before = sigq()\n"
        "signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR1, signal.SIGRTMIN])\n"
        "for sig in (signal.SIGUSR1, signal.SIGUSR1, signal.SIGRTMIN, signal.SIGRTMIN, signal.SIGRTMIN):\n"
        "    os.kill(os.getpid(), sig)\n"
        "print(before, sigq())\n")
    before, after = (q.split("/") for q in out.split())
    assert int(after[0]) - int(before[0]) == 4 and int(after[1]) > 0, out


def test_ldisc_imaxbel():
    """6.2: IMAXBEL: a character typed into a canonical line that is already full (4095 characters) is
    dropped, and the line discipline echoes BEL (\\a) for it instead of the character (4.4BSD's ttyinput;
    pynix/tty/ldisc.py drops it silently after echoing it)."""
    shown = pynix_tty("/usr/bin/python3", "-c",
                      "import sys, termios\n"
                      "t = termios.tcgetattr(0); t[0] |= termios.IMAXBEL; termios.tcsetattr(0, termios.TCSANOW, t)\n"
                      "print('ready', flush=True)\n"
                      "print('line', len(sys.stdin.readline()))\n",
                      typed=b"x" * 4100 + b"\n")
    assert b"line 4096" in shown, shown[-200:]                     # 4095 characters and the NL
    assert shown.count(b"x") == 4095 and b"\a" in shown, shown[-200:]
