"""Differential tests of eventfd, epoll, AF_UNIX socket pairs and memfd_create (issue #7), native x86_64 and
qemu-riscv64 against pynix."""
from __future__ import annotations

from harness import assert_same, assert_same_as_native


def test_eventfd(guest):
    got, _ = assert_same(guest("eventfd.c"))
    assert b"blocked read: read 8 value 41\n" in got.stdout
    assert b"link anon_inode:[eventfd]\n" in got.stdout


def test_epoll(guest):
    got, _ = assert_same(guest("epoll.c"))
    assert b"ET no new edge: 0\n" in got.stdout
    assert b"pwait: -1 EINTR\n" in got.stdout


def test_epoll_sees_far_end_close(guest):
    got, _ = assert_same(guest("epoll_hup.c"))
    assert b"write end after the far end closed: 1 events 0x8\n" in got.stdout
    assert b"read end after the far end closed: 1 events 0x10\n" in got.stdout


def test_socketpair(guest):
    got, _ = assert_same(guest("socketpair.c"))
    assert b"read through it: via passed fd\n" in got.stdout
    assert b"waitall: 10  'from child'\n" in got.stdout


def test_memfd(guest):
    got, _ = assert_same(guest("memfd.c"))
    assert b"link /memfd:hello (deleted)\n" in got.stdout


def test_epoll_event_layout():
    """struct epoll_event is packed on x86_64 (12 bytes) and naturally aligned on riscv64 (16 bytes)."""
    import struct
    from pynix.arch import arch_by_name
    assert struct.calcsize(arch_by_name("x86_64").epoll_event_format) == 12
    assert struct.calcsize(arch_by_name("riscv64").epoll_event_format) == 16


def test_epoll_wakes_as_many_as_linux(target):
    """One wake-up of a file watched by several epoll instances, each with a sleeper: all report it, except
    with EPOLLEXCLUSIVE, where the wake-up stops at the first instance that had a sleeper."""
    out = assert_same_as_native("epoll_exclusive.c", target)
    assert b"level-triggered: 3 of 3 waiters got the event\n" in out
    assert b"EPOLLEXCLUSIVE: 1 of 3 waiters got the event\n" in out
