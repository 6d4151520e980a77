"""Processes as the Python API shows them (pynix/api): their standard streams, memory, mappings, descriptors
and symbols."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pynix.errors import KernelError
from pynix.fs.anon_inodes import AnonInodeFile
from pynix.fs.file import File, HostStreamFile
from pynix.loader.elf import ET_DYN, elf_symbols
from pynix.mm.uaccess import copy_from_user
from pynix.task.task import Task, ThreadGroup
from pynix.uapi.fcntl import O_RDONLY, O_WRONLY

if TYPE_CHECKING:
    from pynix.api.machine import Machine

PIPE = "pipe"                 # spawn(stdout=PIPE): the output is kept, and read as Process.stdout
AT_ENTRY = 9


# --------------------------------------------------------------------------------------- standard streams
class CapturedOutput(AnonInodeFile):
    """A program's stdout or stderr kept in the kernel (spawn's PIPE): writes never block, and the bytes are
    part of the machine's state, so a snapshot's restore takes back what was written since."""

    anon_name = b"pynix-output"

    def __init__(self) -> None:
        super().__init__(O_WRONLY)
        self.data = bytearray()

    def write_iter(self, task: Task, source) -> int:
        taken = 0
        for view in source.map(source.count):
            self.data += view
            taken += len(view)
        source.advance(taken)
        return taken


class InputBytes(AnonInodeFile):
    """A program's stdin from bytes given to spawn: read in order, then end of file."""

    anon_name = b"pynix-input"

    def __init__(self, data: bytes) -> None:
        super().__init__(O_RDONLY)
        self.data = bytes(data)
        self.pos = 0

    def read_iter(self, task: Task, to) -> int:
        chunk = self.data[self.pos:self.pos + to.count]
        n = to.copy_to(chunk)
        self.pos += n
        return n

    def bytes_available(self) -> int:
        return len(self.data) - self.pos


def stream_file(spec: object, fd: int) -> File | None:
    """The open file spawn's stdin (fd 0) / stdout / stderr argument names; None: the host's own."""
    if spec is None:
        return None
    if spec == PIPE and fd:
        return CapturedOutput()
    if isinstance(spec, (bytes, bytearray, memoryview)) and fd == 0:
        return InputBytes(bytes(spec))
    host_fd = spec if isinstance(spec, int) else getattr(spec, "fileno", lambda: None)()
    if not isinstance(host_fd, int):
        raise TypeError(f"spawn: {('stdin', 'stdout', 'stderr')[fd]} must be None, a host file or descriptor"
                        + (", or bytes" if fd == 0 else ", or PIPE"))
    return HostStreamFile(host_fd, O_RDONLY if fd == 0 else O_WRONLY)


# -------------------------------------------------------------------------------------------- processes
@dataclass(frozen=True)
class Mapping:
    """One line of /proc/PID/maps."""
    start: int
    end: int
    perms: str
    offset: int
    path: str


class Process:
    """A process of the machine (one spawned, or any other one a hook is told about)."""

    def __init__(self, machine: "Machine", group: ThreadGroup) -> None:
        self.machine = machine
        self.group = group
        self.pid = group.pid
        self._stdout: CapturedOutput | None = None
        self._stderr: CapturedOutput | None = None

    def __repr__(self) -> str:
        return f"<Process {self.pid} {self.group.exe!r} {'running' if self.returncode is None else self.returncode}>"

    @property
    def exited(self) -> bool:
        return self.group.exit_status is not None

    @property
    def wait_status(self) -> int | None:
        """The wait(2) status once it has ended: exit code << 8, or the signal that killed it."""
        return self.group.exit_status

    @property
    def returncode(self) -> int | None:
        """None while it runs, then its exit code, or -N when signal N killed it (as subprocess's)."""
        status = self.group.exit_status
        if status is None:
            return None
        return -(status & 0x7F) if status & 0x7F else status >> 8

    def wait(self) -> int | None:
        """Run the machine until this process has ended; its returncode (None if a hook paused the machine
        first: Machine.stop)."""
        self.machine.run(until=self)
        return self.returncode

    @property
    def stdout(self) -> bytes:
        """What it wrote to a stdout spawned as PIPE (so far)."""
        return bytes(self._stdout.data) if self._stdout is not None else b""

    @property
    def stderr(self) -> bytes:
        return bytes(self._stderr.data) if self._stderr is not None else b""

    @property
    def exe(self) -> str:
        return self.group.exe

    def _mm(self):
        if self.group.exit_status is not None:
            raise ProcessLookupError(f"process {self.pid} has exited")
        return self.group.mm

    def read_memory(self, addr: int, size: int) -> bytes:
        """`size` bytes at `addr` of its address space, as the program may read them (OSError EFAULT where it
        may not)."""
        try:
            return copy_from_user(self._mm(), addr, size)
        except KernelError as err:
            raise OSError(err.errno, f"cannot read {size} bytes at {addr:#x} of process {self.pid}") from None

    def read_string(self, addr: int, limit: int = 4096) -> bytes:
        """The NUL-terminated string at `addr` (without the NUL), at most `limit` bytes."""
        out = b""
        while len(out) < limit:
            chunk = self.read_memory(addr + len(out), min(256, 4096 - (addr + len(out)) % 4096))
            end = chunk.find(b"\0")
            if end >= 0:
                return out + chunk[:end]
            out += chunk
        return out[:limit]

    def write_memory(self, addr: int, data: bytes) -> None:
        """Write `data` at `addr` as a debugger does (ptrace's POKEDATA): read-only mappings such as program
        text too (the page becomes a private copy)."""
        try:
            self._mm().force_write(addr, bytes(data))
        except KernelError as err:
            raise OSError(err.errno, f"cannot write {len(data)} bytes at {addr:#x} of process {self.pid}") from None

    def maps(self) -> list[Mapping]:
        """Its memory mappings, as /proc/PID/maps lists them."""
        self._mm()
        text = self.machine._read_guest_file(f"/proc/{self.pid}/maps").decode(errors="replace")
        out = []
        for line in text.splitlines():
            fields = line.split(None, 5)
            start, end = (int(x, 16) for x in fields[0].split("-"))
            out.append(Mapping(start, end, fields[1], int(fields[2], 16), fields[5] if len(fields) > 5 else ""))
        return out

    def fds(self) -> dict[int, str]:
        """Its open descriptors and what each refers to, as /proc/PID/fd shows them."""
        from pynix.fs.proc import ProcfsSuperBlock, fd_link_text
        self._mm()
        kernel = self.machine.kernel
        procfs = next(m.sb for m in kernel.mounts.mounts if isinstance(m.sb, ProcfsSuperBlock))
        return {fd: fd_link_text(procfs, self.group, e.file).decode(errors="replace")
                for fd, e in sorted(self.group.fds.entries.items())}

    def symbol(self, name: str) -> int:
        """The address of symbol `name` of its program (its ELF symbol table, moved by a PIE's load bias);
        KeyError if the program does not define it (or is stripped)."""
        mm = self._mm()
        data = self.machine._read_guest_file(self.group.exe)
        value = elf_symbols(data)[name]
        if int.from_bytes(data[16:18], "little") == ET_DYN:
            auxv = mm.saved_auxv
            words = [int.from_bytes(auxv[i:i + 8], "little") for i in range(0, len(auxv), 8)]
            entry = dict(zip(words[::2], words[1::2])).get(AT_ENTRY, 0)
            value += entry - int.from_bytes(data[24:32], "little")
        return value
