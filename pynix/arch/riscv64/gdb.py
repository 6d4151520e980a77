"""riscv64 for gdb: the register file of gdb's riscv target description (riscv.cpu, riscv.fpu), ebreak and
c.ebreak as software breakpoints."""
from pynix.arch.gdb import GdbFeature, GdbRegister, GdbTarget

_ABI = ("zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "fp", "s1") + tuple(f"a{i}" for i in range(8)) + \
    tuple(f"s{i}" for i in range(2, 12)) + ("t3", "t4", "t5", "t6")
_TYPES = {"ra": "code_ptr", "sp": "data_ptr", "gp": "data_ptr", "tp": "data_ptr", "fp": "data_ptr"}
_CPU = tuple(GdbRegister(n, 64, f"x{i}", _TYPES.get(n, "int")) for i, n in enumerate(_ABI)) + (
    GdbRegister("pc", 64, "pc", "code_ptr"),)
_FABI = tuple(f"ft{i}" for i in range(8)) + ("fs0", "fs1") + tuple(f"fa{i}" for i in range(8)) + \
    tuple(f"fs{i}" for i in range(2, 12)) + tuple(f"ft{i}" for i in range(8, 12))
_FPU = tuple(GdbRegister(n, 64, f"f{i}", "ieee_double") for i, n in enumerate(_FABI)) + (GdbRegister("fcsr", 32, "fcsr", regnum=68),)   # CSR 0x003 -> 65 + 3

GDB_TARGET = GdbTarget(
    architecture="riscv:rv64",
    features=(GdbFeature("org.gnu.gdb.riscv.cpu", _CPU), GdbFeature("org.gnu.gdb.riscv.fpu", _FPU)),
    breakpoints={2: b"\x02\x90", 4: b"\x73\x00\x10\x00"},   # c.ebreak, ebreak
    pc_after_breakpoint=4,                         # Unicorn reports every riscv trap with the pc 4 past it
)
