"""`python -m pynix.cli.floor BINARY [MIB]`: `pynix bench`'s floor runner for the `cpu` benchmark.

It runs the compute loop of bench/cpu.c -- the program's own `crc_table` function, found by its symbol -- on
pynix's CPU without a kernel (hal/floor.py's FlatMachine): the binary's segments are copied to RAM at their
addresses with their permissions, the program's `generate` and `make_table` prepare the data and the tables as main() does, and only
`crc_table` over the whole buffer is timed, as the program times itself.  It prints the program's RESULT line,
so the benchmark runner reads it like any other runner's, and checks the digest the same way (FAIL otherwise).

The options change one thing of pynix's CPU configuration, to measure what moves the floor:
`--cpu-model NAME`, `--tb-size MIB`, `--timeslice-us N` (a timer stop that often, as the scheduler's).
"""
from __future__ import annotations

import argparse
import struct
import sys

from pynix.arch import arch_for_elf_machine
from pynix.hal.floor import CPU_MODELS, FlatMachine
from pynix.loader.elf import PT_LOAD, parse_elf

MIB = 1 << 20
CRC_64MIB = 0x3F382019            # bench/cpu.c's constant: zlib.crc32 of the 64 MiB generate() makes
_SHDR = struct.Struct("<IIQQQQIIQQ")
_SYM = struct.Struct("<IBBHQQ")
SHT_SYMTAB = 2


def symbols(data: bytes) -> dict[str, int]:
    """name -> address of the functions and objects in the ELF file's .symtab (a static binary, not stripped)."""
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    sections = [_SHDR.unpack_from(data, shoff + i * shentsize) for i in range(shnum)]
    found = {}
    for _name, kind, _flags, _addr, offset, size, link, _info, _align, entsize in sections:
        if kind != SHT_SYMTAB:
            continue
        strtab = sections[link]
        for at in range(offset, offset + size, entsize):
            name_at, _info, _other, _shndx, value, _size = _SYM.unpack_from(data, at)
            start = strtab[4] + name_at
            name = data[start:data.index(b"\0", start)].decode()
            if name and value:
                found[name] = value
    return found


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m pynix.cli.floor", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("binary", help="bench/cpu.c built for x86_64 or riscv64 (static, with its symbol table)")
    p.add_argument("mib", nargs="?", type=int, default=64, help="MiB of data (default 64, as cpu's)")
    p.add_argument("--cpu-model", help="a Unicorn CPU model instead of pynix's (x86_64: "
                   f"{', '.join(sorted(CPU_MODELS['x86_64']))}; riscv64: {', '.join(sorted(CPU_MODELS['riscv64']))})")
    p.add_argument("--tb-size", type=int, metavar="MIB", help="Unicorn's translation buffer size (default: its own)")
    p.add_argument("--timeslice-us", type=int, help="stop the CPU that often, as the scheduler's timer does")
    args = p.parse_args(argv)
    with open(args.binary, "rb") as f:
        data = f.read()
    elf = parse_elf(data)
    arch = arch_for_elf_machine(elf.arch.elf_machine)
    where = symbols(data)
    missing = [n for n in ("crc_table", "generate", "make_table") if n not in where]
    if missing:
        print(f"ERROR {args.binary} has no symbol {missing[0]} errno=2 No such file or directory")
        return 2
    end = max(s.vaddr + s.memsz for s in elf.segments if s.type == PT_LOAD)
    n = args.mib * MIB
    buffer = (end + MIB) & ~(MIB - 1)
    machine = FlatMachine(arch.name, (buffer + n + 4 * MIB + (2 * MIB - 1)) & ~(2 * MIB - 1),
                          arch.syscall_registers, cpu_model=args.cpu_model,
                          tb_size=args.tb_size * MIB if args.tb_size else None)
    for seg in elf.loads:
        machine.load(seg.vaddr, data[seg.offset:seg.offset + seg.filesz])      # .bss is RAM's zeros
        machine.protect(seg.vaddr, seg.memsz, seg.prot)
    try:
        machine.call(where["generate"], buffer, n)
        machine.call(where["make_table"])
        crc, seconds = machine.call(where["crc_table"], buffer, n, timeslice_us=args.timeslice_us)
    except RuntimeError as err:         # e.g. an instruction another --cpu-model does not have
        print(f"FAIL {err}")
        return 3
    crc &= 0xFFFFFFFF
    print(f"INFO crc32={crc:08x} size={args.mib}MiB")
    if args.mib == 64 and crc != CRC_64MIB:
        print(f"FAIL CRC-32 of 64 MiB is {crc:08x}, expected {CRC_64MIB:08x}")
        return 3
    print(f"RESULT cpu {n / MIB / seconds:.3f} MB/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
