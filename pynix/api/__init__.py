"""The Python API: pynix as a library (docs/api.md).  `from pynix import Machine`.

A thin facade over boot.py's Machine and the kernel's tracepoints (pynix/trace/tracepoints.py): a machine is
built (machine.py, from config.py's options), programs are spawned into it (process.py), it runs until they
end or until told to pause, and Python functions can watch and change what its processes do -- their system
calls (before and after they run), signals, execs, faults and exits (hooks.py).  Hooks ride on the
tracepoints, so a machine without hooks runs exactly as `pynix run` does, with the untraced syscall
dispatcher; while syscall hooks are set, the tracing dispatcher (syscall/dispatch.py) asks them about every
call.  Hooks run with the machine standing still, inside the kernel: they may read and write the memory of
any process, and ask the machine to pause (`Machine.stop`).

`snapshot()` / `restore()` (snapshot.py) copy the whole machine -- RAM, every task's registers, the kernel's
objects (tasks, address spaces, files, the in-memory filesystems, pipes, sockets) -- for record-and-retry
work; see `Snapshot` for what cannot be copied.
"""
from pynix.api.config import MachineError
from pynix.api.hooks import ExecEvent, ExitEvent, FaultEvent, SignalEvent, SyscallCall
from pynix.api.machine import Machine
from pynix.api.process import PIPE, Mapping, Process
from pynix.api.snapshot import Snapshot, SnapshotError

__all__ = ["Machine", "MachineError", "Process", "Mapping", "PIPE", "Snapshot", "SnapshotError", "SyscallCall",
           "SignalEvent", "ExecEvent", "FaultEvent", "ExitEvent"]
