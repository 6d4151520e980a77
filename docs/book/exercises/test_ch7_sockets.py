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
