"""Linux's user-space ABI constants (include/uapi/...), one module per header, shared by every layer: the
values x86_64 and riscv64 agree on (anything ISA-specific lives in pynix/arch)."""
