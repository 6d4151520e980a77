"""tools/riscv64-sysroot takes the Debian archive from the machine's apt sources (pynix/devtools/apt_sources.py):
both of apt's formats, in apt's order, only enabled binary sources; a clear message when none serves the suite."""
from __future__ import annotations

import subprocess
import sys

from harness import ROOT, pynix_env

from pynix.devtools.apt_sources import serves, source_uris  # noqa: E402


def test_both_formats_in_apts_order(tmp_path):
    (tmp_path / "sources.list").write_text(
        "# a comment\n"
        "deb http://mirror.example/debian bookworm main\n"
        "deb-src http://src.example/debian bookworm main\n"
        "deb [arch=amd64 signed-by=/usr/share/keyrings/x.gpg] http://opts.example/debian/ bookworm main # tail\n"
        "deb http://mirror.example/debian bookworm-updates main\n")
    parts = tmp_path / "sources.list.d"
    parts.mkdir()
    (parts / "b.sources").write_text(
        "Types: deb deb-src\n"
        "URIs: http://deb822.example/debian\n"
        "  http://second.example/debian\n"
        "Suites: bookworm\n"
        "Components: main\n"
        "\n"
        "# a disabled stanza\n"
        "Types: deb\n"
        "URIs: http://disabled.example/debian\n"
        "Suites: bookworm\n"
        "Enabled: no\n"
        "\n"
        "Types: deb-src\n"
        "URIs: http://onlysrc.example/debian\n"
        "Suites: bookworm\n")
    (parts / "a.list").write_text("deb http://list.example/debian trixie main\n")
    (parts / "c.list.disabled").write_text("deb http://ignored.example/debian trixie main\n")
    assert source_uris(tmp_path) == ["http://mirror.example/debian", "http://opts.example/debian",
                                     "http://list.example/debian", "http://deb822.example/debian",
                                     "http://second.example/debian"]


def test_release_must_be_debians_and_list_the_arch():
    release = "Origin: Debian\nLabel: Debian\nSuite: testing\nArchitectures: all amd64 arm64 riscv64\n"
    assert serves(release, "riscv64")
    assert not serves(release, "mips")
    assert not serves(release.replace("Origin: Debian", "Origin: Nodesource"), "riscv64")


def test_no_usable_source_says_so(tmp_path):
    (tmp_path / "sources.list").write_text("deb-src http://src.example/debian trixie main\n")
    proc = subprocess.run([sys.executable, "-m", "pynix.devtools.apt_sources", "--etc", str(tmp_path),
                           "--suite", "trixie", "--arch", "riscv64"], capture_output=True, text=True,
                          env=pynix_env(), cwd=ROOT, timeout=60)
    assert proc.returncode == 1 and proc.stdout == ""
    assert "no apt source of this machine serves Debian trixie for riscv64" in proc.stderr
    assert "no enabled deb source" in proc.stderr


def test_no_host_name_is_built_in():
    """The project names no Debian mirror of its own: tools and tests use the machine's apt sources."""
    tracked = subprocess.run(["git", "ls-files"], capture_output=True, text=True, cwd=ROOT).stdout.split()
    mirror = "deb.debian" + ".org"            # spelt apart so that this file does not name it either
    hits = [name for name in tracked
            if (ROOT / name).is_file() and mirror in (ROOT / name).read_text(errors="replace")]
    assert hits == []
