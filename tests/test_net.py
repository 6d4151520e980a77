"""Differential tests of sockets (issue #13): AF_UNIX with names, TCP and UDP over loopback (IPv4 and IPv6),
socket options, device ioctls and netlink, natively / under qemu-riscv64 and under pynix."""
from __future__ import annotations

from harness import assert_same


def test_unix_stream(guest):
    got, _ = assert_same(guest("unix_stream.c"))
    assert b"S_ISSOCK 1 mode 755 size 0\n" in got.stdout
    assert b"after listener close: -1 ECONNRESET ''\n" in got.stdout
    assert b"waitall from child 10 'from child'\n" in got.stdout
    assert got.stdout.endswith(b"done\n")


def test_unix_dgram(guest):
    got, _ = assert_same(guest("unix_dgram.c"))
    assert b"queued 11 then EAGAIN" in got.stdout
    assert b"cmsg 1/2 len 28 pid ok 1 uid 1 gid 1\n" in got.stdout
    assert got.stdout.endswith(b"done\n")


def test_tcp_loopback(guest):
    got, _ = assert_same(guest("tcp_loopback.c"))
    assert b"poll refused 0x1c error ECONNREFUSED then 0\n" in got.stdout
    assert b"reset read: -1 ECONNRESET ''\n" in got.stdout
    assert b"waitall: 11  'part1-part2'\n" in got.stdout
    assert b"epoll saw 3\n" in got.stdout
    assert got.stdout.endswith(b"done\n")


def test_udp_loopback(guest):
    got, _ = assert_same(guest("udp_loopback.c"))
    assert b"recv(d, buf, sizeof buf, MSG_DONTWAIT)                       = -1 ECONNREFUSED\n" in got.stdout
    assert b"b gets only its peer: 6 'from a'" in got.stdout
    assert got.stdout.endswith(b"done\n")


def test_inet6(guest):
    got, _ = assert_same(guest("inet6.c"))
    assert b"dual accepted's peer: len 28 inet6 ::ffff:127.0.0.1 flow 0 scope 0\n" in got.stdout
    assert b"u6 got 8 from len 28 ::ffff:127.0.0.1\n" in got.stdout
    assert got.stdout.endswith(b"done\n")


def test_sockopt(guest):
    got, _ = assert_same(guest("sockopt.c"))
    assert b"set SO_RCVBUF                 10000 -> ok, reads 20000\n" in got.stdout
    assert b"set SO_PASSCRED                   1 -> EOPNOTSUPP, reads -95\n" in got.stdout
    assert got.stdout.endswith(b"done\n")


def test_netlink_and_interfaces(guest):
    got, _ = assert_same(guest("netlink.c"))
    assert b"ifaddrs lo family 2 flags 0x10049 addr 127.0.0.1 mask 255.0.0.0\n" in got.stdout
    assert b"link index 1 type 772 flags 0x10049 multi 1\n" in got.stdout
    assert b"ifconf lo 127.0.0.1\n" in got.stdout
    assert got.stdout.endswith(b"done\n")
