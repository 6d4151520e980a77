"""What a gdb remote stub needs to know about an ISA (arch/<isa>/gdb.py gives the values).

`GdbTarget.registers` is the register file gdb sees, in the order of the `g` packet; its target description XML
(qXfer:features:read:target.xml) is generated from the same list, so the two cannot disagree.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GdbRegister:
    name: str                    # gdb's name for it
    bits: int
    source: str | None           # the CPU register holding it (hal's name); None: not available (reads as xx)
    type: str = "int"            # a target-description type
    group: str | None = None
    regnum: int | None = None    # when gdb expects a number of its own (after a gap)


@dataclass(frozen=True)
class GdbFeature:
    name: str                    # org.gnu.gdb.<isa>.<feature>
    registers: tuple[GdbRegister, ...]
    types: str = ""              # type definitions (<flags>, <vector>, <union>) the registers use


@dataclass(frozen=True)
class GdbTarget:
    architecture: str                    # the target description's <architecture>
    features: tuple[GdbFeature, ...]
    breakpoints: dict[int, bytes]        # Z0 kind (gdb: the instruction length) -> software breakpoint bytes
    pc_after_breakpoint: int             # how far past the breakpoint instruction the pc is when its trap comes

    @property
    def registers(self) -> tuple[GdbRegister, ...]:
        return tuple(r for f in self.features for r in f.registers)

    def target_xml(self) -> str:
        parts = ['<?xml version="1.0"?>\n<!DOCTYPE target SYSTEM "gdb-target.dtd">\n<target version="1.0">\n',
                 f"  <architecture>{self.architecture}</architecture>\n  <osabi>GNU/Linux</osabi>\n"]
        for feature in self.features:
            parts.append(f'  <feature name="{feature.name}">\n{feature.types}')
            for r in feature.registers:
                extra = (f' group="{r.group}"' if r.group else "") + (f' regnum="{r.regnum}"' if r.regnum else "")
                parts.append(f'    <reg name="{r.name}" bitsize="{r.bits}" type="{r.type}"{extra}/>\n')
            parts.append("  </feature>\n")
        parts.append("</target>\n")
        return "".join(parts)
