"""The pynix book (docs/book/): it builds, its code references resolve, its experiments show what pynix prints,
and each of its exercises is still undone.

- The site is built with `mkdocs build --strict` (warnings are errors) into build/site.
- Every backticked repository path (`pynix/mm/page_table.py`) must exist; `pynix/x/y.py:Name` and
  `pynix/x/y.py:Class.method` must name a top-level function or class (or a method of one) of that module.
- An experiment is a ```console block preceded by `<!-- experiment: NAME [arch=x86_64|riscv64|both] -->`.  Its
  `$ ` lines are commands, run in order by one bash in the repository root, stderr going where stdout goes (one pipe); the
  other lines are the output they must print.  In the expected output a line `...` matches any lines (also
  none), `<N>` a decimal number and `<HEX>` a hexadecimal one: the values that vary between runs.  Inside the
  commands `pynix` is `python3 -m pynix` and `$(guest NAME.c)` is tests/guest/NAME.c built for the
  experiment's ISA (musl, static), as harness.build() builds it.
- Exercises (docs/book/exercises/test_*.py, marker `exercise`) are run in a subprocess: each must FAIL, so that
  none is accidentally solved already (and none is a test that cannot fail).  Every chapter has at least two
  experiments, and its Exercises section sets at least two of them by name (`test_chN_x.py::test_name`).
"""
from __future__ import annotations

import ast
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest

import harness

ROOT = harness.ROOT
BOOK = ROOT / "docs" / "book"
CHAPTERS = sorted(BOOK.glob("*.md"))
TARGET_OF_ARCH = {"x86_64": "x86_64-musl", "riscv64": "riscv64-musl"}


# --------------------------------------------------------------------------------------------- the site

def test_site_builds_strict(tmp_path):
    harness.need(importlib.util.find_spec("mkdocs") is not None,
                 "mkdocs is not installed (pip install mkdocs, or ./tools/test installs the test extra)")
    site = ROOT / "build" / "site"
    r = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--clean", "-q", "-f",
                        str(ROOT / "mkdocs.yml"), "-d", str(site)],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "WARNING" not in r.stderr, r.stderr
    for chapter in CHAPTERS:
        assert (site / chapter.with_suffix(".html").name).is_file(), chapter.name


# --------------------------------------------------------------------------------------------- references

_REF = re.compile(r"`((?:pynix|tests|tools|docs|bench)/[\w./-]*)(?::([A-Za-z_][\w.]*))?`")


def _references() -> list[tuple[str, str, str | None]]:
    return [(chapter.name, m[1], m[2]) for chapter in CHAPTERS for m in _REF.finditer(chapter.read_text())]


def _defines(module: Path, dotted: str) -> bool:
    """`Name` or `Class.method` is defined at the top level of `module` (functions, classes, assignments)."""
    body = ast.parse(module.read_text()).body
    for part in dotted.split("."):
        found = None
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == part:
                found = node
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if any(isinstance(t, ast.Name) and t.id == part for t in targets):
                    found = node
        if found is None:
            return False
        body = getattr(found, "body", [])
    return True


def test_book_has_references():
    assert len(_references()) > 20           # the check below checks something


@pytest.mark.parametrize("chapter,path,name", _references(), ids=lambda v: str(v))
def test_reference_resolves(chapter, path, name):
    target = ROOT / path
    assert target.exists(), f"{chapter}: `{path}` does not exist"
    if name is not None:
        assert target.suffix == ".py", f"{chapter}: `{path}:{name}` names something in a non-Python file"
        assert _defines(target, name), f"{chapter}: {path} defines no {name}"


# --------------------------------------------------------------------------------------------- experiments

@dataclass
class Experiment:
    chapter: str
    name: str
    arch: str
    commands: list[str]
    expected: list[str]


_EXPERIMENT = re.compile(r"<!-- experiment: (\S+)(?: arch=(x86_64|riscv64|both))? -->\s*\n```console\n(.*?)\n```",
                         re.S)


def _experiments() -> list[Experiment]:
    found = []
    for chapter in CHAPTERS:
        for m in _EXPERIMENT.finditer(chapter.read_text()):
            lines = m[3].split("\n")
            commands = [line[2:] for line in lines if line.startswith("$ ")]
            expected = [line for line in lines if not line.startswith("$ ")]
            for arch in (("x86_64", "riscv64") if m[2] == "both" else (m[2] or "x86_64",)):
                found.append(Experiment(chapter.name, m[1], arch, commands, expected))
    return found


def _pattern(expected: list[str]) -> re.Pattern:
    parts = []
    for line in expected:
        if line == "...":
            parts.append(r"(?:[^\n]*\n)*?")
        else:
            text = re.escape(line).replace(re.escape("<N>"), r"-?\d+").replace(re.escape("<HEX>"), r"(?:0x)?[0-9a-f]+")
            parts.append(text + r"\n")
    return re.compile("".join(parts))


def _need_tools(experiment: Experiment) -> None:
    """Skip (fail under PYNIX_REQUIRE_ALL=1) an experiment whose host programs are missing: the absolute paths
    its commands name (/bin/busybox, /usr/sbin/mke2fs...) and gdb for `pynix gdb`."""
    for command in experiment.commands:
        for path in re.findall(r"(?<![\w.])(/(?:usr/)?s?bin/[\w.+-]+)", command):
            harness.need(Path(path).exists(), f"{path} is not installed")
        if "pynix gdb" in command:
            harness.need(shutil.which("gdb") is not None, "gdb is not installed (Debian package gdb)")


def _env_for(experiment: Experiment) -> dict[str, str]:
    _need_tools(experiment)
    env = dict(os.environ)
    for name in sorted({n for c in experiment.commands for n in re.findall(r"\$\(guest ([\w.-]+)\)", c)}):
        env["BOOK_GUEST_" + re.sub(r"\W", "_", name)] = str(harness.build(name, TARGET_OF_ARCH[experiment.arch]))
    return env


_PRELUDE = r"""
set -o pipefail
pynix() { python3 -m pynix "$@"; }
guest() { local v="BOOK_GUEST_${1//[^A-Za-z0-9_]/_}"; printf '%s\n' "${!v}"; }
"""


def test_book_has_experiments():
    per_chapter = {}
    for e in _experiments():
        per_chapter.setdefault(e.chapter, set()).add(e.name)
    for chapter in CHAPTERS:
        if chapter.name != "index.md":
            assert len(per_chapter.get(chapter.name, ())) >= 2, f"{chapter.name} has fewer than two experiments"


@pytest.mark.parametrize("experiment", _experiments(), ids=lambda e: f"{e.chapter[:-3]}-{e.name}-{e.arch}")
def test_experiment(experiment):
    if harness.selfcheck():
        pytest.skip("PYNIX_TEST_SELFCHECK=1: experiments only run pynix")
    env = _env_for(experiment)
    script = _PRELUDE + "\n".join(experiment.commands) + "\n"
    r = subprocess.run(["bash", "-c", script], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=harness.PYNIX_TIMEOUT * max(1, len(experiment.commands)))
    output = r.stdout
    if output and not output.endswith("\n"):
        output += "\n"
    assert "Traceback (most recent call last)" not in output, output
    assert _pattern(experiment.expected).fullmatch(output), \
        f"{experiment.chapter}: experiment {experiment.name} printed\n{output}\nexpected\n" + "\n".join(experiment.expected)


# --------------------------------------------------------------------------------------------- exercises

EXERCISES = sorted((BOOK / "exercises").glob("test_*.py"))


_EXERCISE_REF = re.compile(r"`(test_ch\d+_\w+\.py)::(test_\w+)`")


def test_every_chapter_sets_its_exercises():
    """Each chapter's Exercises section names at least two tests of docs/book/exercises/, and each exists;
    each exercise test is named by its chapter."""
    named = set()
    for chapter in CHAPTERS:
        if chapter.name == "index.md":
            continue
        text = chapter.read_text()
        refs = _EXERCISE_REF.findall(text[text.index("## Exercises"):])
        assert len(refs) >= 2, f"{chapter.name} sets fewer than two exercises"
        for file, test in refs:
            assert _defines(BOOK / "exercises" / file, test), f"{chapter.name}: {file} defines no {test}"
        named |= set(refs)
    for file in EXERCISES:
        tests = {node.name for node in ast.parse(file.read_text()).body
                 if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")}
        assert tests <= {t for f, t in named if f == file.name}, f"{file.name}: tests no chapter sets"


def test_every_exercise_is_still_undone(tmp_path):
    assert EXERCISES, "the book has no exercises"
    if harness.selfcheck():
        pytest.skip("PYNIX_TEST_SELFCHECK=1: the exercises only run pynix")
    report = tmp_path / "exercises.xml"
    marker = "exercise"      # a variable: test_install reads a literal after "-m" as a module that python runs
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-m", marker, "-p", "no:cacheprovider",
                        f"--junitxml={report}", str(BOOK / "exercises")],
                       cwd=ROOT, capture_output=True, text=True, timeout=1800)
    assert report.exists(), r.stdout + r.stderr
    cases = ET.parse(report).getroot().iter("testcase")
    outcome = {}
    for case in cases:
        kinds = {child.tag for child in case}
        outcome[f"{case.get('classname')}.{case.get('name')}"] = \
            "failed" if "failure" in kinds else "error" if "error" in kinds else "skipped" if "skipped" in kinds else "passed"
    files = {Path(f).stem for f in EXERCISES}
    assert files <= {name.split(".")[-2] for name in outcome}, f"exercise files without tests: {outcome}"
    skipped = [n for n, o in outcome.items() if o == "skipped"]
    harness.need(not skipped, f"exercises skipped (missing tools): {skipped}")
    wrong = {n: o for n, o in outcome.items() if o != "failed"}
    assert not wrong, f"exercises that do not fail (already solved, or broken):\n{wrong}\n{r.stdout[-4000:]}"
