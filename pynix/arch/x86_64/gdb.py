"""x86_64 for gdb: the register file of gdb's amd64 target description (features i386.core, i386.sse,
i386.linux, i386.segments), int3 as the software breakpoint.  The x87 stack and the data segment selectors are reported
unavailable (the CPU backend does not expose them)."""
from pynix.arch.gdb import GdbFeature, GdbRegister, GdbTarget

_EFLAGS = "".join(f'      <field name="{name}" start="{bit}" end="{bit}"/>\n' for bit, name in (
    (0, "CF"), (1, ""), (2, "PF"), (4, "AF"), (6, "ZF"), (7, "SF"), (8, "TF"), (9, "IF"), (10, "DF"), (11, "OF"),
    (14, "NT"), (16, "RF"), (17, "VM"), (18, "AC"), (19, "VIF"), (20, "VIP"), (21, "ID")))
_CORE_TYPES = f'    <flags id="i386_eflags" size="4">\n{_EFLAGS}    </flags>\n'
_SSE_TYPES = """    <vector id="v4f" type="ieee_single" count="4"/>
    <vector id="v2d" type="ieee_double" count="2"/>
    <vector id="v16i8" type="int8" count="16"/>
    <vector id="v8i16" type="int16" count="8"/>
    <vector id="v4i32" type="int32" count="4"/>
    <vector id="v2i64" type="int64" count="2"/>
    <union id="vec128">
      <field name="v4_float" type="v4f"/>
      <field name="v2_double" type="v2d"/>
      <field name="v16_int8" type="v16i8"/>
      <field name="v8_int16" type="v8i16"/>
      <field name="v4_int32" type="v4i32"/>
      <field name="v2_int64" type="v2i64"/>
      <field name="uint128" type="uint128"/>
    </union>
"""

_GPRS = ("rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp") + tuple(f"r{i}" for i in range(8, 16))
_CORE = tuple(GdbRegister(n, 64, n, "data_ptr" if n in ("rbp", "rsp") else "int64") for n in _GPRS) + (
    GdbRegister("rip", 64, "rip", "code_ptr"),
    GdbRegister("eflags", 32, "rflags", "i386_eflags"),
    GdbRegister("cs", 32, "cs", "int32"), GdbRegister("ss", 32, "ss", "int32"),
    GdbRegister("ds", 32, None, "int32"), GdbRegister("es", 32, None, "int32"),
    GdbRegister("fs", 32, None, "int32"), GdbRegister("gs", 32, None, "int32"),
) + tuple(GdbRegister(f"st{i}", 80, None, "i387_ext") for i in range(8)) + (
    GdbRegister("fctrl", 32, "fpcw", group="float"), GdbRegister("fstat", 32, "fpsw", group="float"),
) + tuple(GdbRegister(n, 32, None, group="float") for n in ("ftag", "fiseg", "fioff", "foseg", "fooff", "fop"))
_SSE = tuple(GdbRegister(f"xmm{i}", 128, f"xmm{i}", "vec128") for i in range(16)) + (
    GdbRegister("mxcsr", 32, "mxcsr", group="vector"),)
_SEGMENTS = (GdbRegister("fs_base", 64, "fs_base"), GdbRegister("gs_base", 64, "gs_base"))

GDB_TARGET = GdbTarget(
    architecture="i386:x86-64",
    features=(GdbFeature("org.gnu.gdb.i386.core", _CORE, _CORE_TYPES),
              GdbFeature("org.gnu.gdb.i386.sse", _SSE, _SSE_TYPES),
              # gdb sets up its Linux support (the shared-library list, PIE relocation) only with this feature
              GdbFeature("org.gnu.gdb.i386.linux", (GdbRegister("orig_rax", 64, None),)),
              GdbFeature("org.gnu.gdb.i386.segments", _SEGMENTS)),
    breakpoints={1: b"\xcc"},                      # int3
    pc_after_breakpoint=1,                         # the trap comes with rip past the int3
)
