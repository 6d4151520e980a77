"""Real programs on the machine's network (issue #13), inside one pynix machine: busybox nc both ways, ip/ifconfig
and /proc/net, hostname changes; the host's python3 with an http.server and a urllib client; and from the host
through `pynix run --publish`."""
from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

import harness
from harness import assert_no_traceback, run_pynix

BUSYBOX = Path("/bin/busybox")
PYTHON = Path("/usr/bin/python3")


@pytest.fixture(scope="module")
def busybox() -> Path:
    harness.need(BUSYBOX.exists(), f"{BUSYBOX} is missing (Debian package busybox-static)")
    return BUSYBOX


def sh(busybox: Path, script: str):
    got = run_pynix(busybox, ["sh", "-c", script])
    assert_no_traceback(got)
    return got


def test_nc_both_ways(busybox):
    got = sh(busybox, "busybox nc -l -p 12345 > /tmp/got & sleep 1; echo hello-nc | busybox nc 127.0.0.1 12345; "
                      "wait; cat /tmp/got; (echo from-server | busybox nc -l -p 12346 &); sleep 1; "
                      "busybox nc 127.0.0.1 12346 </dev/null; echo rc=$?")
    assert got.stdout == b"hello-nc\nfrom-server\nrc=0\n", got.describe()


def test_hostname_is_the_machines(busybox):
    got = sh(busybox, "hostname; hostname guest-box; hostname; uname -n; cat /proc/sys/kernel/hostname")
    assert got.stdout == b"pynix\nguest-box\nguest-box\nguest-box\n", got.describe()


def test_interfaces_and_proc_net(busybox):
    got = sh(busybox, "busybox ifconfig lo; busybox ip addr; busybox nc -l -p 4242 & sleep 1; "
                      "cat /proc/net/tcp6; busybox netstat -ltn; kill %1")
    out = got.stdout
    assert b"inet addr:127.0.0.1  Mask:255.0.0.0" in out, got.describe()
    assert b"inet6 ::1/128 scope host" in out, got.describe()
    assert b"00000000000000000000000000000000:1092 " in out, got.describe()     # [::]:4242 listening
    assert b"tcp        0      0 :::4242                 :::*                    LISTEN" in out, got.describe()


def test_python_http_server_and_urllib(tmp_path):
    harness.need(PYTHON.exists(), "no /usr/bin/python3")
    (tmp_path / "page.txt").write_text("served by pynix\n")
    script = (
        "import http.server, threading, urllib.request, functools\n"
        f"h = functools.partial(http.server.SimpleHTTPRequestHandler, directory={str(tmp_path)!r})\n"
        "srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), h)\n"
        "threading.Thread(target=srv.serve_forever, daemon=True).start()\n"
        "url = 'http://127.0.0.1:%d/page.txt' % srv.server_address[1]\n"
        "print(urllib.request.urlopen(url).read().decode(), end='')\n"
        "print(urllib.request.urlopen(url.replace('127.0.0.1', 'localhost')).status)\n"
        "srv.shutdown()\n")
    got = run_pynix(PYTHON, ["-c", script])
    assert_no_traceback(got)
    assert got.stdout == b"served by pynix\n200\n", got.describe()


def _free_host_port(kind=socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_publish_tcp_reaches_a_guest_http_server(tmp_path):
    """`pynix run -p HOST:GUEST python3 -m http.server GUEST` answers a host-side HTTP client."""
    harness.need(PYTHON.exists(), "no /usr/bin/python3")
    (tmp_path / "page.txt").write_text("published\n")
    port = _free_host_port()
    argv = harness.pynix_command(PYTHON, ["-m", "http.server", "-b", "0.0.0.0", "8000"],
                                 extra=["-p", f"{port}:8000"])
    proc = subprocess.Popen(argv, cwd=tmp_path, env=harness.pynix_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 90
        body = None
        while time.monotonic() < deadline and body is None:
            try:
                body = urllib.request.urlopen(f"http://127.0.0.1:{port}/page.txt", timeout=10).read()
            except OSError:
                time.sleep(0.5)                  # not listening in the guest yet (the connection is closed)
        assert body == b"published\n"
        again = urllib.request.urlopen(f"http://127.0.0.1:{port}/page.txt", timeout=10).read()
        assert again == b"published\n"
    finally:
        proc.kill()
        proc.wait()


def test_publish_port_in_use_is_a_startup_error():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        got = run_pynix("/bin/true", extra=["-p", f"{port}:80"])
    assert got.returncode == 2
    assert f"--publish {port}:80/tcp: host port {port}: Address already in use".encode() in got.stderr


def test_publish_udp_echo():
    harness.need(PYTHON.exists(), "no /usr/bin/python3")
    port = _free_host_port(socket.SOCK_DGRAM)
    script = ("import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\ns.bind(('0.0.0.0', 7000))\n"
              "for _ in range(2):\n    d, a = s.recvfrom(100)\n    s.sendto(d.upper(), a)\n")
    proc = subprocess.Popen(harness.pynix_command(PYTHON, ["-c", script], extra=["-p", f"{port}:7000/udp"]),
                            env=harness.pynix_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as c:
            c.settimeout(1)
            reply = None
            deadline = time.monotonic() + 90
            while reply is None and time.monotonic() < deadline:
                c.sendto(b"ping", ("127.0.0.1", port))
                try:
                    reply = c.recv(100)
                except socket.timeout:
                    pass
            assert reply == b"PING"
            c.settimeout(30)
            c.sendto(b"again", ("127.0.0.1", port))
            assert c.recv(100) == b"AGAIN"
        assert proc.wait(timeout=60) == 0
    finally:
        proc.kill()
        proc.wait()


REDIS_SERVER, REDIS_CLI = Path("/usr/bin/redis-server"), Path("/usr/bin/redis-cli")
REDIS_SESSION = """
redis-server --port {port} --bind 127.0.0.1 --save '' --appendonly no --daemonize no --logfile '' > /dev/null &
i=0
until redis-cli -p {port} PING > /dev/null 2>&1; do i=$((i+1)); [ $i -gt 300 ] && exit 9; sleep 0.2; done
redis-cli -p {port} PING
redis-cli -p {port} SET greeting hello
redis-cli -p {port} GET greeting
redis-cli -p {port} INCR counter
redis-cli -p {port} INCRBY counter 41
redis-cli -p {port} RPUSH list a b c
redis-cli -p {port} LRANGE list 0 -1
redis-cli -p {port} GET missing
redis-cli -p {port} SHUTDOWN NOSAVE
wait
echo server exited $?
"""


def test_redis_server_and_cli_in_one_machine():
    """Debian's redis-server and redis-cli (an epoll event loop, TCP on the machine's loopback) inside one
    pynix machine print what they print natively."""
    harness.need(REDIS_SERVER.exists() and REDIS_CLI.exists(),
                 "redis is not installed (Debian packages redis-server, redis-tools)")
    script = REDIS_SESSION.format(port=_free_host_port())
    native = harness.run_reference(Path("/bin/sh"), ["-c", script])
    got = run_pynix(Path("/bin/sh"), ["-c", script])
    assert_no_traceback(got)
    assert native.stdout == b"PONG\nOK\nhello\n1\n42\n3\na\nb\nc\n\nserver exited 0\n", native.describe()
    assert (got.returncode, got.stdout) == (native.returncode, native.stdout), got.describe()


def test_host_redis_cli_reaches_a_guest_redis_server_with_host_network():
    harness.need(REDIS_SERVER.exists() and REDIS_CLI.exists(),
                 "redis is not installed (Debian packages redis-server, redis-tools)")
    port = _free_host_port()
    proc = subprocess.Popen(harness.pynix_command(REDIS_SERVER, ["--port", str(port), "--bind", "127.0.0.1",
                                                                 "--save", "", "--daemonize", "no"],
                                                  extra=["--net", "host"]),
                            env=harness.pynix_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 90
        cli = [str(REDIS_CLI), "-p", str(port)]
        while subprocess.run(cli + ["PING"], capture_output=True).stdout != b"PONG\n":
            assert time.monotonic() < deadline and proc.poll() is None, proc.stderr.read() if proc.poll() else ""
            time.sleep(0.3)
        assert subprocess.run(cli + ["SET", "k", "from-host"], capture_output=True).stdout == b"OK\n"
        assert subprocess.run(cli + ["GET", "k"], capture_output=True).stdout == b"from-host\n"
        subprocess.run(cli + ["SHUTDOWN", "NOSAVE"], capture_output=True)
        assert proc.wait(timeout=60) == 0
    finally:
        proc.kill()
        proc.wait()


def test_time_wait_shows_in_ss_and_netstat(busybox):
    """The side that closes first leaves its 4-tuple in TIME_WAIT: ss (through /proc/net/tcp, pynix has no
    sock_diag netlink) and busybox netstat list it after the program that made it has exited."""
    harness.need(Path("/usr/bin/ss").exists() and PYTHON.exists(), "no ss (Debian package iproute2) or python3")
    script = ("python3 -c \"import socket\ns = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen()\n"
              "c = socket.create_connection(s.getsockname()); a, _ = s.accept()\n"
              "print(s.getsockname()[1], c.getsockname()[1]); a.close(); c.close(); s.close()\"; "
              "ss -t -a -n; busybox netstat -tn")
    got = sh(busybox, script)
    lines = got.stdout.decode().splitlines()
    server, client = lines[0].split()
    assert f"127.0.0.1:{server}" in next(l for l in lines if l.startswith("TIME-WAIT")), got.describe()
    assert any(l.split()[3:] == [f"127.0.0.1:{server}", f"127.0.0.1:{client}", "TIME_WAIT"] for l in lines), \
        got.describe()
