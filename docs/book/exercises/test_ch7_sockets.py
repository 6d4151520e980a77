"""Chapter 7 exercises (docs/book/sockets.md)."""
import pytest

from conftest import pynix_python

pytestmark = pytest.mark.exercise


def test_unix_so_peek_off():
    """7.1: SO_PEEK_OFF on AF_UNIX sockets (Linux's sk_set_peek_off): -1 (off) by default; once set, each
    recv(MSG_PEEK) starts at the offset and moves it on, and a normal recv moves it back by what it took."""
    out = pynix_python(
        "import socket\n"
        "SO_PEEK_OFF = 42\n"
        "a, b = socket.socketpair()\n"
        "print(a.getsockopt(socket.SOL_SOCKET, SO_PEEK_OFF))\n"
        "a.setsockopt(socket.SOL_SOCKET, SO_PEEK_OFF, 0)\n"
        "b.sendall(b'hello world')\n"
        "print(a.recv(5, socket.MSG_PEEK), a.recv(6, socket.MSG_PEEK), a.getsockopt(socket.SOL_SOCKET, SO_PEEK_OFF))\n"
        "print(a.recv(11), a.getsockopt(socket.SOL_SOCKET, SO_PEEK_OFF))\n")
    assert out == "-1\nb'hello' b' world' 11\nb'hello world' 0\n", out


def test_unix_so_peergroups():
    """7.2: SO_PEERGROUPS (Linux 4.13): the supplementary groups of the peer of an AF_UNIX socket, as they
    were when it connected (or made the pair), like SO_PEERCRED's uid and gid; an array of 32-bit gids."""
    out = pynix_python(
        "import os, socket\n"
        "os.setgroups([5, 7])\n"
        "a, b = socket.socketpair()\n"
        "os.setgroups([9])\n"
        "raw = a.getsockopt(socket.SOL_SOCKET, 59, 64)\n"
        "print(sorted(int.from_bytes(raw[i:i + 4], 'little') for i in range(0, len(raw), 4)))\n")
    assert out == "[5, 7]\n", out


def test_sysctl_msg_next_id():
    """7.3: /proc/sys/kernel/msg_next_id (Linux's checkpoint/restore knob): -1 by default; a number written to
    it is the id the next msgget(2) of the namespace creates, once, and it reads -1 again afterwards."""
    out = pynix_python(
        "import ctypes\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "def next_id(): return open('/proc/sys/kernel/msg_next_id').read().strip()\n"
        "before = next_id()\n"
        "open('/proc/sys/kernel/msg_next_id', 'w').write('12345\\n')\n"
        "print(before, next_id(), libc.msgget(0, 0o1600), next_id(), libc.msgget(0, 0o1600) != 12345)\n")
    assert out == "-1 12345 12345 -1 True\n", out
