"""Tracing: the kernel's tracepoints and the tracers that follow them (strace output, timeline export).

The kernel holds one tracer (`Kernel.tracer`, None when nothing traces) and calls its tracepoints at the
places Linux has tracepoints of the same names; with no tracer each place costs one None check, and the
syscall path costs nothing at all (tracing swaps in a different dispatcher, syscall/dispatch.py).
"""
from pynix.trace.tracepoints import Tracepoints, TracerGroup

__all__ = ["Tracepoints", "TracerGroup"]
