"""`pynix run --net host` (issue #13, net/hostinet): guest AF_INET/AF_INET6 sockets are host sockets.  A server
the test starts on the host (a Python socket in a thread) answers guest clients -- the host's python3 and busybox
nc -- and a guest server is reached from the host.  Without --net host nothing of the host's network is
reachable."""
from __future__ import annotations

import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

import harness
from harness import assert_no_traceback, pynix_command, pynix_env

PYTHON = Path("/usr/bin/python3")
BUSYBOX = Path("/bin/busybox")


@pytest.fixture(autouse=True)
def python3():
    harness.need(PYTHON.exists(), "no /usr/bin/python3")


def _guest(script: str, net: str = "host", binary: Path = PYTHON, args=None):
    got = harness.run_pynix(binary, args if args is not None else ["-c", script], extra=["--net", net])
    assert_no_traceback(got)
    return got


class HostServer:
    """A TCP (or UDP) server on the host's loopback that answers each request with b"host:" + request."""

    def __init__(self, kind=socket.SOCK_STREAM, family=socket.AF_INET) -> None:
        self.sock = socket.socket(family, kind)
        self.sock.bind(("::1" if family == socket.AF_INET6 else "127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.seen: list = []
        if kind == socket.SOCK_STREAM:
            self.sock.listen()
        target = self._stream if kind == socket.SOCK_STREAM else self._datagram
        threading.Thread(target=target, daemon=True).start()

    def _stream(self) -> None:
        while True:
            conn, addr = self.sock.accept()
            with conn:
                self.seen.append(addr)
                data = b""
                while not data.endswith(b"\n"):
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                conn.sendall(b"host:" + data)

    def _datagram(self) -> None:
        while True:
            data, addr = self.sock.recvfrom(4096)
            self.seen.append(addr)
            self.sock.sendto(b"host:" + data, addr)


def test_guest_client_reaches_a_host_server():
    server = HostServer()
    got = _guest(f"""
import socket
s = socket.create_connection(('127.0.0.1', {server.port}))
print(s.getpeername() == ('127.0.0.1', {server.port}), s.getsockname()[0])
s.sendall(b'ping\\n')
print(s.makefile('rb').readline())
""")
    assert got.stdout == b"True 127.0.0.1\nb'host:ping\\n'\n", got.describe()
    assert len(server.seen) == 1


def test_guest_client_ipv6_and_busybox_nc():
    harness.need(BUSYBOX.exists(), f"{BUSYBOX} is missing (Debian package busybox-static)")
    try:
        server6 = HostServer(family=socket.AF_INET6)
    except OSError:
        pytest.skip("the host has no IPv6 loopback")
    got = _guest(f"""
import socket
s = socket.create_connection(('::1', {server6.port}))
s.sendall(b'six\\n'); print(s.recv(100)); print(s.family == socket.AF_INET6, s.getpeername()[:2])
""")
    assert got.stdout == f"b'host:six\\n'\nTrue ('::1', {server6.port})\n".encode(), got.describe()
    server = HostServer()
    got = harness.run_pynix(BUSYBOX, ["sh", "-c", f"echo via-nc | busybox nc 127.0.0.1 {server.port}"],
                            extra=["--net", "host"])
    assert got.stdout == b"host:via-nc\n", got.describe()


def test_udp_to_the_host():
    server = HostServer(kind=socket.SOCK_DGRAM)
    got = _guest(f"""
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(b'dgram', ('127.0.0.1', {server.port}))
data, addr = s.recvfrom(100)
print(data, addr == ('127.0.0.1', {server.port}), s.getsockname()[1] > 0)
s.sendto(b'0123456789', ('127.0.0.1', {server.port}))
buf = bytearray(4); print(s.recv_into(buf, 4, socket.MSG_TRUNC), buf)
""")
    assert got.stdout == b"b'host:dgram' True True\n15 bytearray(b'host')\n", got.describe()


def test_host_client_reaches_a_guest_server():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    script = f"""
import socket
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(('127.0.0.1', {port})); srv.listen()
print('listening', srv.getsockname() == ('127.0.0.1', {port}), flush=True)
conn, addr = srv.accept()
print('peer is the host', addr[0], conn.getsockname() == ('127.0.0.1', {port}), flush=True)
conn.sendall(b'guest:' + conn.recv(100)); conn.close()
"""
    proc = subprocess.Popen(pynix_command(PYTHON, ["-c", script], None, ["--net", "host"]), env=pynix_env(None),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert proc.stdout.readline() == b"listening True\n"
        with socket.create_connection(("127.0.0.1", port), timeout=60) as c:
            c.sendall(b"hello")
            reply = c.recv(100)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert reply == b"guest:hello", err
    assert out == b"peer is the host 127.0.0.1 True\n", err


def test_errors_options_and_timeouts():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]          # nobody listens there once the probe is closed
    server = HostServer()
    got = _guest(f"""
import errno, socket, struct, time
s = socket.socket()
try:
    s.connect(('127.0.0.1', {closed}))
except OSError as e:
    print('connect', errno.errorcode[e.errno])
s = socket.socket(); s.setblocking(False)
print('nonblocking', errno.errorcode[s.connect_ex(('127.0.0.1', {server.port}))])
s = socket.create_connection(('127.0.0.1', {server.port}))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
print('nodelay', s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
print('keepalive', s.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE))
print('type', s.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE) == socket.SOCK_STREAM)
try:
    s.setsockopt(socket.SOL_SOCKET, 26, b'\\0' * 16)     # SO_ATTACH_FILTER: it holds a pointer
except OSError as e:
    print('attach_filter', errno.errorcode[e.errno])
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack('qq', 0, 200000))
print('rcvtimeo', struct.unpack('qq', s.getsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, 16)))
t = time.monotonic()
try:
    s.recv(10)
except OSError as e:
    print('recv', errno.errorcode[e.errno], 0.15 < time.monotonic() - t < 5)
try:
    socket.socket().bind(('10.255.255.1', 0))
except OSError as e:
    print('bind', errno.errorcode[e.errno])
b = socket.socket(); b.bind(('127.0.0.1', 0))
c = socket.socket()
try:
    c.bind(b.getsockname())
except OSError as e:
    print('bind again', errno.errorcode[e.errno])
""")
    assert got.stdout == (b"connect ECONNREFUSED\nnonblocking EINPROGRESS\nnodelay 1\nkeepalive 1\ntype True\n"
                          b"attach_filter ENOPROTOOPT\nrcvtimeo (0, 200000)\nrecv EAGAIN True\n"
                          b"bind EADDRNOTAVAIL\nbind again EADDRINUSE\n"), got.describe()


def test_guest_tcp_round_trip_with_select_and_unix_stays_private(tmp_path):
    """A guest server and client on the host's loopback, driven by select and a blocking recv in two threads;
    an AF_UNIX socket the guest binds is not created on the host."""
    path = tmp_path / "guest.sock"
    got = _guest(f"""
import select, socket, threading
srv = socket.socket(); srv.bind(('127.0.0.1', 0)); srv.listen()
def serve():
    conn, _ = srv.accept()
    while True:
        select.select([conn], [], [])
        data = conn.recv(65536)
        if not data:
            break
        conn.sendall(data)
    conn.close()
t = threading.Thread(target=serve); t.start()
c = socket.create_connection(srv.getsockname())
total = 0
for i in range(20):
    c.sendall(bytes(5000))
    n = 0
    while n < 5000:
        n += len(c.recv(65536))
    total += n
c.close(); t.join()
print(total)
u = socket.socket(socket.AF_UNIX); u.bind({str(path)!r}); print(u.getsockname() == {str(path)!r})
""")
    assert got.stdout == b"100000\nTrue\n", got.describe()
    assert not path.exists()


def test_private_network_is_the_default():
    server = HostServer()
    got = _guest(f"""
import errno, socket
try:
    socket.create_connection(('127.0.0.1', {server.port}))
except OSError as e:
    print(errno.errorcode[e.errno])
""", net="private")
    assert got.stdout == b"ECONNREFUSED\n", got.describe()
    assert server.seen == []


def test_publish_with_host_network_is_refused():
    got = harness.run_pynix(PYTHON, ["-c", "pass"], extra=["--net", "host", "-p", "18081:80"])
    assert got.returncode == 2 and b"--publish has no meaning with --net host" in got.stderr, got.describe()


def test_edge_triggered_epoll_sees_each_new_arrival():
    """A non-blocking reader under EPOLLET reads until EAGAIN and must be told again when more arrives."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def serve():
        conn, _ = listener.accept()
        with conn:
            for part in (b"first", b"second", b"third"):
                conn.recv(10)                      # the guest asks for each part
                conn.sendall(part)
    threading.Thread(target=serve, daemon=True).start()
    got = _guest(f"""
import select, socket
s = socket.create_connection(('127.0.0.1', {listener.getsockname()[1]})); s.setblocking(False)
ep = select.epoll(); ep.register(s.fileno(), select.EPOLLIN | select.EPOLLET)
for i in range(3):
    s.send(b'?')
    events = ep.poll(30)
    data = b''
    while True:
        try:
            chunk = s.recv(100)
        except BlockingIOError:
            break
        data += chunk
        if not chunk:
            break                                  # (the server closes after the last part)
    print(len(events), data)
""")
    assert got.stdout == b"1 b'first'\n1 b'second'\n1 b'third'\n", got.describe()
