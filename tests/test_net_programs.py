"""Real programs on the machine's network (issue #13), inside one pynix machine: busybox nc both ways, ip/ifconfig
and /proc/net, hostname changes; the host's python3 with an http.server and a urllib client."""
from __future__ import annotations

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
