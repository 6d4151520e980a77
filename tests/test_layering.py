"""Imports only point down: every import in pynix goes to its own layer or a lower one (DESIGN.md section 1).

The layers are data here, top first, each a list of module prefixes (the longest matching prefix decides a
module's layer).  A module may import from its own layer and every layer below it.  Imports under
`if TYPE_CHECKING:` are annotations only and are not checked; imports inside functions are real and are.
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path

PYNIX = Path(__file__).resolve().parent.parent / "pynix"

LAYERS: list[tuple[str, list[str]]] = [
    ("cli", ["pynix.__main__", "pynix.cli", "pynix.devtools"]),   # command line, host terminal, dev tools
    ("api", ["pynix.api"]),                                         # the Python API: a facade over boot and trace
    ("boot", ["pynix.boot"]),                                       # the Machine: RAM, CPU, kernel, mounts, init
    ("syscall", ["pynix.syscall", "pynix.trace", "pynix.debug"]),   # one module per syscall family; tracers
    ("kernel", ["pynix.kernel", "pynix.smp"]),                     # the kernel object, its trap loop, SMP
    ("procfs", ["pynix.fs.proc", "pynix.fs.sysfs", "pynix.block.sysfs"]),   # /proc and /sys show the subsystems below
    ("drivers", ["pynix.tty", "pynix.net"]),                       # files over the VFS, blocking on sync
    ("core", ["pynix.task", "pynix.fs", "pynix.ipc", "pynix.block",     # processes, files, IPC objects and block
              "pynix.bpf"]),                                        # devices: a process holds files, a pipe
                                                                    # signals its writer, exec walks paths, exit
                                                                    # undoes semaphores, ext2 reads a block device
                                                                    # and a loop device reads a file
    ("loader", ["pynix.loader"]),                                   # ELF -> program image in an address space
    ("mm", ["pynix.mm"]),                                           # frames, page tables, address spaces, uaccess
    ("arch", ["pynix.arch"]),                                       # ISA facts
    ("base", ["pynix.sync", "pynix.uapi", "pynix.errors", "pynix.printk",     # wait queues, Linux constants,
              "pynix.trace.tracepoints"]),                          # KernelError, the kernel log, the tracer
                                                                    # interface the kernel calls
    ("hal", ["pynix.hal"]),                                         # the only importer of the emulator
    ("package", ["pynix"]),                                         # pynix/__init__.py: the version
]

# (importing module, imported module) pairs allowed to point up, each with its reason.  Keep it short.
EXCEPTIONS: dict[tuple[str, str], str] = {
    ("pynix", "pynix.api"): "`from pynix import Machine`: the package's lazy attribute (PEP 562) is the public API",
}


def layer_of(module: str) -> int:
    best, rank = -1, -1
    for index, (_name, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, rank = len(prefix), index
    assert rank >= 0, f"{module} is in no layer: add it to LAYERS"
    return rank


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PYNIX.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def runtime_imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every pynix import outside `if TYPE_CHECKING:` blocks; `from pynix.x import y` counts
    as importing pynix.x.y when that is a module (a submodule import), else pynix.x."""
    tree = ast.parse(path.read_text(), str(path))
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    found = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "pynix"]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "pynix":
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                is_module = (PYNIX.parent / sub.replace(".", "/")).with_suffix(".py").exists() or \
                    (PYNIX.parent / sub.replace(".", "/") / "__init__.py").exists()
                found.append((node.lineno, sub if is_module else node.module))
    return found


def upward_imports() -> list[str]:
    bad = []
    for path in sorted(PYNIX.rglob("*.py")):
        importer = module_name(path)
        for line, imported in runtime_imports(path):
            if layer_of(imported) < layer_of(importer) and (importer, imported) not in EXCEPTIONS:
                bad.append(f"{path.relative_to(PYNIX.parent)}:{line}: {importer} ({LAYERS[layer_of(importer)][0]}) "
                           f"imports {imported} ({LAYERS[layer_of(imported)][0]})")
    return bad


def test_imports_only_point_down():
    bad = upward_imports()
    assert not bad, "imports that point up the layers (tests/test_layering.py, DESIGN.md section 1):\n" + \
        "\n".join(bad)


def test_exceptions_are_still_needed():
    """An exception nobody uses any more is removed from the list."""
    used = {(module_name(p), imported) for p in PYNIX.rglob("*.py") for _, imported in runtime_imports(p)}
    assert not [pair for pair in EXCEPTIONS if pair not in used]


def test_the_check_sees_an_upward_import(tmp_path, monkeypatch):
    """The walker itself works: a module of mm importing the syscall layer is reported."""
    fake = tmp_path / "pynix"
    (fake / "mm").mkdir(parents=True)
    (fake / "syscall").mkdir()
    (fake / "__init__.py").write_text("")
    (fake / "mm" / "__init__.py").write_text("")
    (fake / "syscall" / "__init__.py").write_text("")
    (fake / "syscall" / "futex.py").write_text("")
    (fake / "mm" / "bad.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                                        "    from pynix.syscall import futex as ok\n"
                                        "def f():\n    from pynix.syscall.futex import x\n")
    monkeypatch.setattr(sys.modules[__name__], "PYNIX", fake)
    assert upward_imports() == ["pynix/mm/bad.py:5: pynix.mm.bad (mm) imports pynix.syscall.futex (syscall)"]
