"""The Debian archive this machine's apt uses, for tools/riscv64-sysroot.

    python -m pynix.devtools.apt_sources [--etc DIR] [--suite SUITE --arch ARCH]

Reads apt's sources as apt-get does: `sources.list` and `sources.list.d/*.list` (one-line format: `deb
[options] URI suite component...`) and `sources.list.d/*.sources` (deb822 stanzas with Types, URIs, Suites,
Components, Enabled), in that order, and lists the distinct URIs of the enabled binary (`deb`) sources, one per
line.  With `--suite` and `--arch` it prints only the first of them that serves that suite for that architecture
from the Debian archive (its `dists/SUITE/Release` says `Origin: Debian` and lists ARCH), and fails with a
message naming every URI it tried when none does.  No host name is built in: the machine's own mirror (or a
proxy, or a snapshot) is what the sysroot comes from.
"""
from __future__ import annotations

import argparse
import sys
import urllib.error
import urllib.request
from pathlib import Path

TIMEOUT = 20.0


def _one_line_uris(text: str) -> list[str]:
    uris = []
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        if not words or words[0] != "deb":
            continue
        words = words[1:]
        if words and words[0].startswith("["):          # [arch=amd64 signed-by=...], maybe several words
            while words and not words[0].endswith("]"):
                words = words[1:]
            words = words[1:]
        if words:
            uris.append(words[0])
    return uris


def _deb822_uris(text: str) -> list[str]:
    uris = []
    for stanza in _stanzas(text):
        types = stanza.get("types", "").split()
        if "deb" not in types or stanza.get("enabled", "yes").lower() in ("no", "false", "0"):
            continue
        uris += stanza.get("uris", "").split()
    return uris


def _stanzas(text: str) -> list[dict[str, str]]:
    """deb822 paragraphs as {lower-case field: value}; continuation lines (leading space) join their field."""
    stanzas: list[dict[str, str]] = []
    current: dict[str, str] = {}
    field = None
    for raw in text.splitlines() + [""]:
        if raw.startswith("#"):
            continue
        if not raw.strip():
            if current:
                stanzas.append(current)
            current, field = {}, None
        elif raw[0] in " \t" and field is not None:
            current[field] += " " + raw.strip()
        elif ":" in raw:
            name, value = raw.split(":", 1)
            field = name.strip().lower()
            current[field] = value.strip()
    return stanzas


def source_uris(etc: Path = Path("/etc/apt")) -> list[str]:
    """The distinct URIs of the enabled `deb` sources, in apt's order (sources.list, then sources.list.d/)."""
    uris: list[str] = []
    main = etc / "sources.list"
    if main.is_file():
        uris += _one_line_uris(main.read_text(errors="replace"))
    parts = etc / "sources.list.d"
    for path in sorted(parts.iterdir()) if parts.is_dir() else []:
        if path.suffix == ".list":
            uris += _one_line_uris(path.read_text(errors="replace"))
        elif path.suffix == ".sources":
            uris += _deb822_uris(path.read_text(errors="replace"))
    return list(dict.fromkeys(uri.rstrip("/") for uri in uris))


def serves(release: str, arch: str) -> bool:
    """Does a Release file come from the Debian archive and list `arch`?"""
    fields = {}
    for line in release.splitlines():
        if line and line[0] not in " \t" and ":" in line:
            name, value = line.split(":", 1)
            fields[name.strip().lower()] = value.strip()
    return fields.get("origin") == "Debian" and arch in fields.get("architectures", "").split()


def fetch_release(uri: str, suite: str) -> str | None:
    try:
        with urllib.request.urlopen(f"{uri}/dists/{suite}/Release", timeout=TIMEOUT) as response:
            return response.read().decode(errors="replace")
    except (OSError, ValueError, urllib.error.URLError):
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pynix.devtools.apt_sources", description=__doc__.split("\n\n")[2])
    parser.add_argument("--etc", type=Path, default=Path("/etc/apt"), help="apt's configuration directory")
    parser.add_argument("--suite", help="only a URI serving this suite (e.g. trixie)")
    parser.add_argument("--arch", help="... for this architecture (e.g. riscv64)")
    ns = parser.parse_args(argv)
    uris = source_uris(ns.etc)
    if not ns.suite:
        print("\n".join(uris))
        return 0 if uris else 1
    for uri in uris:
        release = fetch_release(uri, ns.suite)
        if release is not None and serves(release, ns.arch or ""):
            print(uri)
            return 0
    tried = ", ".join(uris) if uris else f"none: no enabled deb source in {ns.etc}"
    print(f"no apt source of this machine serves Debian {ns.suite} for {ns.arch} (tried {tried}); add a Debian "
          f"mirror to {ns.etc}/sources.list.d/ or set DEBIAN_MIRROR", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
