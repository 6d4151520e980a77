"""A run imports only what it uses (docs/performance.md, start-up): syscall families on their first call, one ISA,
no disk, network-forwarding or debugger modules unless asked for.  These tests check that the lazy paths still
give every syscall and every ISA fact, and that a plain run leaves the unused subsystems unimported."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

from pynix.arch import ARCH_NAMES, ELF_MACHINES, all_arches, arch_by_name, arch_for_elf_machine
from pynix.syscall import FAMILIES, dispatch, load_handlers
from pynix.syscall.dispatch import SyscallTable
from pynix.syscall.registry import HANDLERS

ROOT = Path(__file__).resolve().parents[1]


def test_families_list_exactly_the_calls_each_module_defines():
    load_handlers()
    defined: dict[str, list[str]] = {}
    for name, fn in HANDLERS.items():
        defined.setdefault(fn.__module__.removeprefix("pynix.syscall."), []).append(name)
    for family in sorted(set(defined) | set(FAMILIES)):
        assert sorted(FAMILIES.get(family, ())) == sorted(defined.get(family, ())), \
            f'pynix/syscall/__init__.py: FAMILIES["{family}"] must be {tuple(defined.get(family, ()))}'


def _fake_task(pid: int, logged: list[str]):
    kernel = SimpleNamespace(log=lambda message, console=False: logged.append(message))
    return SimpleNamespace(kernel=kernel, group=SimpleNamespace(pid=pid),
                           pid_link=SimpleNamespace(ns=SimpleNamespace(level=0)))   # the initial pid namespace


def test_every_implemented_number_resolves_to_its_handler():
    load_handlers()
    for arch in all_arches():
        table = SyscallTable(arch)
        table._install(HANDLERS)
        for nr, name in arch.syscall_names.items():
            fn = HANDLERS.get(name)
            if fn is not None:
                assert table.entries[nr] == (fn, fn.__code__.co_argcount - 1), (arch.name, name)


def test_first_call_loads_the_family_and_later_calls_go_straight_to_the_handler():
    arch = arch_by_name("x86_64")
    nr = arch.syscall_number("getpid")
    table = SyscallTable(arch)
    loader, nargs = table.entries[nr]
    assert nargs == 6 and loader.__name__ == "load"
    assert loader(_fake_task(42, []), 0, 0, 0, 0, 0, 0) == 42
    assert table.entries[nr] == (HANDLERS["getpid"], 0)
    assert table.entries[arch.syscall_number("getppid")][0] is HANDLERS["getppid"]   # the whole family


def test_a_call_missing_from_families_still_works(monkeypatch):
    families = {f: tuple(n for n in names if n != "getpid") for f, names in FAMILIES.items()}
    monkeypatch.setattr(dispatch, "FAMILIES", families)
    arch = arch_by_name("riscv64")
    table = SyscallTable(arch)
    nr = arch.syscall_number("getpid")
    loader, _ = table.entries[nr]
    assert loader(_fake_task(7, []), 0, 0, 0, 0, 0, 0) == 7
    assert table.entries[nr] == (HANDLERS["getpid"], 0)


def test_an_unimplemented_call_is_enosys_and_logged_once():
    load_handlers()
    arch = arch_by_name("x86_64")
    nr, name = next((nr, n) for nr, n in sorted(arch.syscall_names.items()) if n not in HANDLERS)
    table = SyscallTable(arch)
    logged: list[str] = []
    loader, _ = table.entries[nr]
    assert loader(_fake_task(1, logged), 0, 0, 0, 0, 0, 0) == -38
    assert table.entries[nr] is None                 # -ENOSYS from the dispatcher from now on
    assert table.unimplemented(SimpleNamespace(log=logged.append), nr) == -38
    assert logged == [f"unimplemented syscall {name} ({nr}): returning -ENOSYS"]


def test_elf_machines_name_each_arch():
    assert sorted(ELF_MACHINES.values()) == sorted(ARCH_NAMES)
    for arch in all_arches():
        assert arch_for_elf_machine(arch.elf_machine) is arch
        assert arch.gdb.registers, arch.name        # the gdb target, imported on first use
    assert arch_for_elf_machine(40) is None          # EM_ARM


def test_a_plain_run_imports_only_what_it_uses(guest):
    program = guest("hello.c")
    driver = textwrap.dedent(f"""
        import sys
        sys.argv = ["pynix", "run", {str(program)!r}]
        from pynix.cli.main import main
        status = main()
        print(" ".join(sorted(m for m in sys.modules if m.startswith("pynix"))), file=sys.stderr)
        raise SystemExit(status)
    """)
    done = subprocess.run([sys.executable, "-c", driver], cwd=ROOT, capture_output=True, timeout=120)
    assert done.returncode == 0 and done.stdout.startswith(b"hello, world\n"), done
    loaded = set(done.stderr.decode().split())
    assert "pynix.syscall.fs_read_write" in loaded                   # write(2) was called
    other = {"x86_64": "riscv64", "riscv64": "x86_64"}[arch_for_elf_machine(
        int.from_bytes(program.read_bytes()[18:20], "little")).name]
    for unused in ("pynix.syscall.socket", "pynix.syscall.ipc", "pynix.syscall.mount", "pynix.net.publish",
                   "pynix.fs.fat", "pynix.fs.ext2.super", "pynix.block.probe", f"pynix.arch.{other}",
                   "pynix.arch.gdb", "pynix.debug.gdbstub", "pynix.syscall.strace"):
        assert unused not in loaded, unused
