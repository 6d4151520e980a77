"""Differential tests of sockets (issue #13): AF_UNIX with names, TCP and UDP over loopback (IPv4 and IPv6),
socket options, device ioctls and netlink, natively / under qemu-riscv64 and under pynix."""
from __future__ import annotations

import errno

import pytest

from harness import assert_same
from pynix.errors import KernelError


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


def test_cmsg_truncation(guest):
    """put_cmsg: a cmsg cut inside its data says how much of it fits (CPython's testSecondCmsgTruncInData)."""
    got, _ = assert_same(guest("cmsg_trunc.c"))
    assert b"room 43: got 2  controllen 43 ctrunc 1\n  cmsg at 0 len 20 level 41 type 52 value 64\n" \
           b"  cmsg at 24 len 19 level 41 type 67 value -1\n" in got.stdout
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


def test_tcp_time_wait(guest):
    got, _ = assert_same(guest("tcp_time_wait.c"))
    assert b"both closed: server-client 06 (1)\n" in got.stdout
    assert b"server port in TIME_WAIT (server reused)     reuse 0: bind EADDRINUSE\n" in got.stdout
    assert b"client port in TIME_WAIT                     reuse 1: bind EADDRINUSE\n" in got.stdout
    assert got.stdout.endswith(b"done\n")


def test_time_wait_expires_after_60_seconds():
    """The TIME_WAIT entry's kernel timer is set 60 s out; when it fires the entry leaves /proc/net/tcp and
    its port can be bound again (the differential test above cannot wait that long)."""
    import time
    from types import SimpleNamespace

    from pynix.net.inet.af_inet import pack_sockaddr
    from pynix.net.inet.route import LOOPBACK4
    from pynix.net.inet.tcp import TcpSocket
    from pynix.net.namespace import NetNamespace
    from pynix.net.proc import tcp_table
    from pynix.net.publish import _kernel_side
    from pynix.net.socket import AF_INET

    timers = []
    kernel = SimpleNamespace(init_nsproxy=SimpleNamespace(net=NetNamespace()),
                             add_timer=lambda when, fn: timers.append((when, fn)))
    task = _kernel_side(kernel)
    srv = TcpSocket(task, AF_INET)
    srv.bind(task, pack_sockaddr(AF_INET, LOOPBACK4, 0))
    srv.listen(task, 1)
    port = srv.lport
    cli = TcpSocket(task, AF_INET)
    cli.connect(task, pack_sockaddr(AF_INET, LOOPBACK4, port))
    conn = srv.accept(task, 0)
    for sock in (srv, conn, cli):                     # the server side closes first
        sock.release()
    rows = tcp_table(kernel.init_nsproxy.net, False).decode().splitlines()[1:]
    assert len(rows) == 1 and rows[0].split()[3] == "06" and rows[0].split()[1].endswith(f":{port:04X}")
    again = TcpSocket(task, AF_INET)
    with pytest.raises(KernelError) as err:
        again.bind(task, pack_sockaddr(AF_INET, LOOPBACK4, port))
    assert err.value.errno == errno.EADDRINUSE
    when, expire = timers[-1]
    assert 59e9 < when - time.monotonic_ns() <= 60e9
    expire()
    assert tcp_table(kernel.init_nsproxy.net, False).decode().splitlines()[1:] == []
    again.bind(task, pack_sockaddr(AF_INET, LOOPBACK4, port))
    assert again.lport == port


def test_tcp_urgent_data(guest):
    got, _ = assert_same(guest("tcp_oob.c"))
    assert b"read stops at the mark: 2  'ab'\n" in got.stdout
    assert b"at the mark                  poll 0x2 atmark 1 inq 0 select-except 1\n" in got.stdout
    assert b"oob again: -1 EINVAL '' flags\n" in got.stdout
    assert b"SIGURG to the owner: 1\n" in got.stdout
    assert got.stdout.endswith(b"done\n")


def test_unix_msg_oob_is_not_supported():
    """AF_UNIX urgent data is not implemented: MSG_OOB is EOPNOTSUPP as in a kernel without CONFIG_AF_UNIX_OOB
    (so no differential test: the host's kernel has it) and the byte is not sent as normal data."""
    from pathlib import Path

    import harness
    harness.need(Path("/usr/bin/python3").exists(), "no /usr/bin/python3")
    got = harness.run_pynix("/usr/bin/python3", ["-c", """
import errno, fcntl, socket, struct
for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM, socket.SOCK_SEQPACKET):
    a, b = socket.socketpair(socket.AF_UNIX, kind)
    for call in (lambda: a.send(b'x', socket.MSG_OOB), lambda: b.recv(1, socket.MSG_OOB | socket.MSG_DONTWAIT)):
        try:
            call()
        except OSError as e:
            print(errno.errorcode[e.errno], end=' ')
    try:
        fcntl.ioctl(b, 0x8905, struct.pack('i', 0))
    except OSError as e:
        print(errno.errorcode[e.errno], end=' ')
    b.setblocking(False)
    try:
        b.recv(1)
    except BlockingIOError:
        print('nothing sent')
"""])
    harness.assert_no_traceback(got)
    assert got.stdout == b"ENOTSUP ENOTSUP ENOTTY nothing sent\n" * 3, got.describe()     # (EOPNOTSUPP)
