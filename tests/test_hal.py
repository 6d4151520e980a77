"""The machine layer on its own: a CPU over a small RAM arena, with a fill hook that maps fixed pages."""
from __future__ import annotations

import pytest

from pynix.arch import arch_by_name
from pynix.hal import PhysicalMemory, TrapKind, new_cpu

PAGE = 4096
CODE_VA = 0x10000


def _exit_with(arch: str, value: int) -> bytes:
    """Machine code for `syscall(value)`: the syscall number register gets `value`, then the trap."""
    if arch == "x86_64":
        return b"\xb8" + value.to_bytes(4, "little") + b"\x0f\x05"          # mov eax, value; syscall
    return ((value << 20) | (17 << 7) | 0x13).to_bytes(4, "little") + (0x73).to_bytes(4, "little")  # li a7; ecall


@pytest.mark.parametrize("arch", ["x86_64", "riscv64"])
def test_invalidate_code_of_several_frames(arch):
    """Frames refilled by the kernel (not by guest stores, which the emulator notices itself) must run their
    new code once `invalidate_code` was told about them: every frame of a batch, not just the first."""
    facts = arch_by_name(arch)
    ram = PhysicalMemory(2 << 20)
    cpu = new_cpu(arch, ram, facts.syscall_registers, facts.return_register)
    frames = [5, 9, 12]
    mapping = {CODE_VA + i * PAGE: pfn for i, pfn in enumerate(frames)}
    cpu.on_tlb_fill = lambda va, access: (mapping[va] << 12) | 5 if va in mapping else -1
    seen = []

    def on_syscall(nr, *args):
        seen.append(nr)
        cpu.stop()
    cpu.on_syscall = on_syscall

    def run_all() -> list[int]:
        del seen[:]
        for i in range(len(frames)):
            cpu.write("pc", CODE_VA + i * PAGE)
            assert cpu.run().kind is TrapKind.KERNEL_STOP
        return list(seen)

    def fill(base: int) -> None:
        for i, pfn in enumerate(frames):
            code = _exit_with(arch, base + i)
            ram.mv[pfn * PAGE:pfn * PAGE + len(code)] = code

    fill(100)
    assert run_all() == [100, 101, 102]
    fill(200)                                     # the kernel rewrites the frames behind the emulator's back
    cpu.invalidate_code(frames)
    assert run_all() == [200, 201, 202]


@pytest.mark.parametrize("arch", ["x86_64", "riscv64"])
def test_stop_handler_switches_contexts_inside_a_syscall(arch):
    """The kernel's trap handler (`on_stop`) may switch the CPU to another saved context inside a syscall trap
    and go on without leaving run(): each program then resumes exactly after its own last syscall.  When the
    handler declines, run() returns with the pc just past the syscall that stopped."""
    facts = arch_by_name(arch)
    ram = PhysicalMemory(2 << 20)
    cpu = new_cpu(arch, ram, facts.syscall_registers, facts.return_register)
    pfn = 5
    programs = {CODE_VA: [100, 101, 102], CODE_VA + 0x100: [200, 201, 202]}
    for start, numbers in programs.items():
        code = b"".join(_exit_with(arch, n) for n in numbers)
        ram.mv[pfn * PAGE + (start - CODE_VA):pfn * PAGE + (start - CODE_VA) + len(code)] = code
    cpu.on_tlb_fill = lambda va, access: (pfn << 12) | 5 if va == CODE_VA else -1
    contexts = []
    for start in programs:
        cpu.write("pc", start)
        contexts.append(cpu.save_context())
    seen, stops = [], []
    current = [0]

    def on_syscall(nr, *args):
        seen.append(nr)
        cpu.stop()
    cpu.on_syscall = on_syscall

    def on_stop(trap):
        stops.append(trap.kind)
        if len(seen) == 5:
            return False                          # leave run() after the fifth syscall
        cpu.update_context(contexts[current[0]])
        current[0] ^= 1
        cpu.restore_context(contexts[current[0]])
        return True
    cpu.on_stop = on_stop

    cpu.restore_context(contexts[0])
    trap = cpu.run()
    assert seen == [100, 200, 101, 201, 102]
    assert trap.kind is TrapKind.KERNEL_STOP and set(stops) == {TrapKind.KERNEL_STOP}
    size = len(_exit_with(arch, 0))
    assert cpu.read("pc") == CODE_VA + 3 * size   # just past program 0's third syscall


@pytest.mark.parametrize("arch", ["riscv64", "x86_64"])
def test_unicorn_internals_are_active(arch):
    """Both tricks of hal/uc_internals.py work with this machine's Unicorn: the syscall path reads registers as
    memory, and preemption stops only between translated blocks (a silent fallback would make preemption
    replay read-modify-write instructions)."""
    facts = arch_by_name(arch)
    cpu = new_cpu(arch, PhysicalMemory(2 << 20), facts.syscall_registers, facts.return_register)
    assert cpu.internals.register_window
    assert cpu.internals.exits_between_blocks


@pytest.mark.parametrize("arch", ["x86_64", "riscv64"])
def test_fault_address_is_exact(arch):
    """A load the fill hook refuses reaches the kernel with its own address, where the hook was told only its
    page (hal/uc_internals.py fault_address_offset: Linux's si_addr is the address itself)."""
    facts = arch_by_name(arch)
    ram = PhysicalMemory(2 << 20)
    cpu = new_cpu(arch, ram, facts.syscall_registers, facts.return_register)
    pfn, target = 5, 0x7654321
    load, register = (b"\x8a\x00", "rax") if arch == "x86_64" else ((0x00050503).to_bytes(4, "little"), "a0")
    ram.mv[pfn * PAGE:pfn * PAGE + len(load)] = load               # mov al, [rax] / lb a0, 0(a0)
    cpu.on_tlb_fill = lambda va, access: (pfn << 12) | 5 if va == CODE_VA else -1
    cpu.write("pc", CODE_VA)
    cpu.write(register, target)
    trap = cpu.run()
    assert (trap.kind, trap.pc, trap.addr, trap.access) == (TrapKind.PAGE_FAULT, CODE_VA, target, 1)


def test_pynix_run_v_reports_the_unicorn_internals():
    from harness import run_pynix
    got = run_pynix("/bin/true", extra=["-v"])
    assert got.returncode == 0, got.describe()
    assert b"unicorn: register window active" in got.stderr, got.describe()
    assert b"unicorn: no_exit_request active" in got.stderr, got.describe()
    quiet = run_pynix("/bin/true")
    assert b"unicorn:" not in quiet.stderr, quiet.describe()
