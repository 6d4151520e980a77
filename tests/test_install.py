"""The install step installs what the tests need: every command and file the tests use is either listed in
tools/test-packages (which ./tools/test installs) or part of every Debian system (an Essential or required
package), each line there names the package that really ships it (dpkg -S), and every third-party Python
module the tests import is in pyproject.toml's dependencies or its `test` extra.  CI runs the suite on a
machine that already has the packages, so this is what proves the first run on a fresh machine."""
from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
import tomllib
from functools import cache
from pathlib import Path

import pytest

import harness
from harness import ROOT

PACKAGES = ROOT / "tools" / "test-packages"
SBIN = "/usr/sbin:/sbin"
ISAS = ("riscv64", "x86_64")
# What the tests run: the tests themselves and the devtools and benchmark runner they drive.
SOURCES = sorted((ROOT / "tests").glob("*.py")) + sorted((ROOT / "pynix" / "devtools").glob("*.py")) \
    + sorted((ROOT / "pynix" / "cli").glob("bench*.py"))
LOCAL_MODULES = {"harness", "fakes", "conftest", "pynix"}
# Not on PyPI: CPython's own regression tests (Debian's libpython3.11-testsuite, in tools/test-packages), run
# as `python3.11 -m test`.
SYSTEM_MODULES = {"test"}


def table() -> dict[str, str]:
    lines = [line.split() for line in PACKAGES.read_text().splitlines() if line.strip() and line[0] != "#"]
    assert all(len(words) == 2 for words in lines), "tools/test-packages: each line is WHAT PACKAGE"
    return {what: package for what, package in lines}


def referenced() -> tuple[set[str], set[str]]:
    """(commands and paths the sources surely run, first words of argv lists that may be commands)."""
    sure: set[str] = set()
    maybe: set[str] = set()
    for path in SOURCES:
        text = path.read_text()
        sure |= set(re.findall(r"""which\(\s*["']([\w.+-]+)["']""", text))
        if re.search(r"""f["']qemu-\{|["']qemu-["']\s*\+""", text):     # f"qemu-{isa}", "qemu-" + isa
            sure |= {f"qemu-{isa}" for isa in ISAS}
        sure |= set(re.findall(r"""["'](/(?:usr/)?s?bin/[\w.+-]+)["']""", text))
        for line in text.splitlines():            # `all(shutil.which(p) for p in ("gcc", "make"))`
            if "which(" in line and (loop := re.search(r"\bfor\b.*?\bin\s*\(([^()]*)\)", line)):
                sure |= set(re.findall(r"""["']([a-z][\w.+-]*)["']""", loop.group(1)))
        # first words of list literals (not subscripts such as status["kill"])
        maybe |= set(re.findall(r"""(?<![\w\])])\[\s*["']([a-z][\w.+-]*)["']\s*[,\]]""", text))
    return {what for what in sure if not what.endswith("-")}, maybe


@cache
def dpkg_field(package: str, field: str) -> str:
    proc = subprocess.run(["dpkg-query", "-W", "-f", f"${{{field}}}", package], capture_output=True, text=True)
    return proc.stdout.strip() if proc.returncode == 0 else ""


def owner(path: str) -> str | None:
    """The Debian package that ships `path` (merged /usr: dpkg may know it as /bin/x or as /usr/bin/x)."""
    candidates = [path, os.path.realpath(path)]
    candidates += [p.removeprefix("/usr") if p.startswith("/usr/") else "/usr" + p for p in list(candidates)]
    for candidate in dict.fromkeys(candidates):
        proc = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
        if proc.returncode == 0:
            for line in proc.stdout.splitlines():  # "dash: /bin/sh", after any "diversion by dash ..." lines
                if not line.startswith("diversion by"):
                    return line.split(":", 1)[0].split(",")[0].strip()
    return None


def locate(what: str) -> str | None:
    if what.startswith("/"):
        return what if os.path.exists(what) else None
    return shutil.which(what, path=os.environ.get("PATH", "") + ":" + SBIN)


def base_system(path: str) -> bool:
    """Shipped by a package every Debian system has (Essential, or of required priority)?"""
    package = owner(path)
    return package is not None and (dpkg_field(package, "Essential") == "yes"
                                    or dpkg_field(package, "Priority") == "required")


@pytest.fixture(scope="module", autouse=True)
def debian():
    harness.need(shutil.which("dpkg") is not None, "not a Debian system (no dpkg): the package list is Debian's")


def test_every_line_names_the_package_that_ships_it():
    missing, wrong = [], []
    for what, package in table().items():
        path = locate(what)
        if path is None:
            missing.append(f"{what} ({package})")
        elif (got := owner(path)) is not None and got != package:
            wrong.append(f"{what}: tools/test-packages says {package}, dpkg says {got}")
    assert wrong == []
    if missing:
        message = "not installed (run ./tools/test): " + ", ".join(missing)
        if harness.require_all():
            pytest.fail(message)
        pytest.skip(message)


def test_every_command_the_tests_run_is_installed_by_the_project():
    listed = table()
    sure, maybe = referenced()
    unlisted = []
    names = {Path(w).name for w in listed}
    own = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"])   # pip installs these
    for what in sorted(sure | maybe):
        if what in listed or Path(what).name in names or what in own:
            continue
        path = locate(what)
        if path is None and what in maybe - sure:
            continue                               # a word in an argv list that is no command here
        if path is None or not base_system(path):
            unlisted.append(what)
    assert unlisted == [], (f"commands the tests use that neither tools/test-packages nor the base system "
                            f"installs: {unlisted}")


def test_scan_finds_what_tools_test_installs():
    """Control for the scan above: it sees the commands the tests are known to need."""
    sure, _ = referenced()
    assert {"qemu-riscv64", "qemu-x86_64", "/bin/busybox", "gcc", "make", "mdir", "fsck.fat"} <= sure


def test_every_python_module_the_tests_import_is_a_declared_dependency():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {re.split(r"[<>=!~ \[;]", spec, maxsplit=1)[0].lower().replace("-", "_")
                for spec in project["dependencies"] + project["optional-dependencies"]["test"]}
    imported: set[str] = set()
    for path in SOURCES:
        text = path.read_text()
        tree = ast.parse(text)
        # Every import of a test module runs; of the tools they drive, those a module does when imported (a
        # function's own import serves an option the tests do not use, such as `pynix bench --plot`).
        nodes = ast.walk(tree) if path.parent.name == "tests" else _module_level(tree.body)
        for node in nodes:
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                imported.add(node.module.split(".")[0])
        imported |= set(re.findall(r"""["']-m["']\s*,\s*["']([\w]+)["']""", text))    # python -m MODULE
    test_modules = {path.stem for path in SOURCES}
    third_party = imported - set(sys.stdlib_module_names) - LOCAL_MODULES - SYSTEM_MODULES - test_modules
    assert "ziglang" in third_party and "pytest" in third_party     # the scan sees `-m ziglang` and imports
    assert sorted(third_party - declared) == []


def _module_level(body: list[ast.stmt]):
    """The statements run when a module is imported: its body, into if/try blocks but not into functions."""
    for node in body:
        yield node
        if isinstance(node, (ast.If, ast.Try)):
            yield from _module_level(node.body + node.orelse + getattr(node, "finalbody", [])
                                     + [s for h in getattr(node, "handlers", []) for s in h.body])
