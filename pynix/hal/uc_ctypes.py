"""Raw ctypes on libunicorn: the fast calls and the hook prototypes the CPU's hot paths use.

The Unicorn binding's own prototyped functions convert every argument and release and retake the GIL on each
call; the CPU (cpu.py) and its saved contexts (context.py) call the few functions they need many times per
syscall or context switch through the handle below instead.
"""
from __future__ import annotations

import ctypes

from unicorn.unicorn_py3.unicorn import HOOK_TLB_FILL_CFUNC, uclib

# Calls that must be quick go through a second handle on the same libunicorn, opened with ctypes.PyDLL and
# without argument types: ~0.4 us a call, where the binding's prototyped functions (`uclib`) take ~1 us (they
# run every argument through a converter, and release and retake the GIL).  None of these calls back into
# Python and each returns at once, so keeping the GIL is safe.  They cannot fail for the fixed, valid register
# ids, contexts and requests they are given, so their status is not even converted (restype None) -- except
# uc_context_alloc's, which may be ENOMEM.
fast_uclib = ctypes.PyDLL(uclib._name)


def _fast(name: str, restype: type | None = None) -> ctypes._CFuncPtr:
    function = getattr(fast_uclib, name)
    function.restype = restype
    return function


fast_reg_read_batch = _fast("uc_reg_read_batch")
fast_reg_write = _fast("uc_reg_write")
fast_reg_read = _fast("uc_reg_read")
fast_context_alloc = _fast("uc_context_alloc", ctypes.c_int)
fast_context_save = _fast("uc_context_save")                  # a memcpy of the CPU state, both ways
fast_context_restore = _fast("uc_context_restore")
fast_context_reg_read = _fast("uc_context_reg_read")
fast_context_reg_write = _fast("uc_context_reg_write")
fast_ctl = _fast("uc_ctl")                                    # only for requests without arguments (TLB flush)
fast_context_size = _fast("uc_context_size", ctypes.c_size_t)
_context_box = ctypes.c_uint64()                               # CpuContext's register values pass through here
_context_box_arg = ctypes.byref(_context_box)

# Hook prototypes declared with only the leading C arguments the hook uses.  A C caller may pass more
# arguments than the callee reads (the System V calling convention leaves the rest in registers), and every
# argument ctypes does not convert to a Python object is time saved on each trap (~0.07 us for two).
NO_ARGS_HOOK = ctypes.CFUNCTYPE(None)                                    # (uc, user_data) ignored
INTNO_HOOK = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_uint32)    # (uc, intno), user_data ignored
# (uc, address, type, uc_tlb_entry *entry), user_data ignored; the entry as a plain address (see _fill_path)
TLB_FILL_HOOK = ctypes.CFUNCTYPE(ctypes.c_bool, ctypes.c_void_p, ctypes.c_uint64, ctypes.c_int,
                                        ctypes.c_void_p)
TlbEntry = HOOK_TLB_FILL_CFUNC._argtypes_[3]._type_          # struct uc_tlb_entry {paddr; perms}
