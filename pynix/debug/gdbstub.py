"""`pynix run --gdb [HOST:]PORT PROGRAM`: a gdb remote serial protocol stub for the first process.

gdb connects (`target remote :PORT`) before the program's first instruction.  The stub is a tracer
(pynix/trace): it takes the traps of the debugged process -- breakpoints, single steps, faults -- as ptrace
would (`trap_signal`), and serves gdb's packets while the machine stands still, in that tracepoint.  While the
machine runs, the connection is a watched host descriptor: Ctrl-C (a 0x03 byte) stops it at the next slice.

Served: ? g G p P m M X (memory through the process's page tables: EFAULT becomes an error reply; writes to
program text go to a private copy of the page, as ptrace's), Z0/z0 software breakpoints (the ISA's breakpoint
instruction), c C s S vCont (c, s, with or without a thread), Ctrl-C, qfThreadInfo/qsThreadInfo, T, Hg/Hc, qC,
qAttached, stop replies `T<signal>thread:<tid>;` (`swbreak:;` at a breakpoint), process exit `W`/`X`,
qXfer:features:read (the ISA's target description), qXfer:auxv:read, qXfer:exec-file:read, qThreadExtraInfo
(the task's comm), Z2-Z4 watchpoints (a memory hook on the watched frame, Cpu.watch), D (detach), k (kill).
`monitor ps|maps|fds` (qRcmd).  qXfer:libraries-svr4:read: the dynamic linker's list of shared objects
(debug/svr4.py).

Exec events (gdb's `catch exec`) when gdb offers them; fork and vfork events (`catch fork`, `catch vfork`,
`set follow-fork-mode`, `set detach-on-fork`) too when the stub is made with `fork_events`
(--gdb-fork-events): then the multiprocess extensions are on (thread ids `pPID.TID`, `D;PID` -- gdb detaches
the side of a fork it does not follow with it, and addresses each process's memory), and a fork of a debugged
process stops it right after the call with `T05fork:pCHILD.CHILD;` (`vfork:`), its child attached and
stopped with it, holding a copy of the parent's breakpoints that gdb removes before it detaches the child; a
vfork child's exec or exit stops the parent with `vforkdone:;`, an exec with `exec:HEXPATH;` (the breakpoints
went with the old program: gdb inserts them again).  These stops are reported at the next scheduling point,
when the registers are the ones the call returned with.
"""
from __future__ import annotations

import errno
import socket
import sys
from typing import TYPE_CHECKING

from pynix.errors import KernelError
from pynix.hal import ACCESS_READ, ACCESS_WRITE
from pynix.debug.svr4 import library_list_svr4
from pynix.mm.uaccess import copy_from_user
from pynix.trace.tracepoints import Tracepoints

if TYPE_CHECKING:
    from pynix.kernel import Kernel
    from pynix.task.task import Task, ThreadGroup

SIGINT, SIGKILL, SIGTRAP = 2, 9, 5
_WATCH_ACCESS = {"2": 2, "3": 1, "4": 3}      # Z2 write, Z3 read, Z4 access -> ACCESS_WRITE / ACCESS_READ bits
_WATCH_REASONS = {"2": "watch", "3": "rwatch", "4": "awatch"}
_ERR_FAULT = "E14"                           # EFAULT
_ERR_ARG = "E16"


class GdbStub(Tracepoints):
    def __init__(self, kernel: "Kernel", address: str, fork_events: bool = False) -> None:
        host, _, port = address.rpartition(":")
        self.kernel = kernel
        self.fork_events = fork_events               # offer fork/vfork events (and multiprocess) to gdb
        self.listener = socket.create_server((host or "127.0.0.1", int(port)), reuse_port=False)
        self.address = self.listener.getsockname()
        self.conn: socket.socket | None = None
        self.inbuf = b""
        self.inferior: ThreadGroup | None = None     # the first process debugged (the one --gdb started)
        self.attached: list[ThreadGroup] = []        # every process debugged (fork children, with fork events)
        self.target = None                           # the ISA's GdbTarget
        # id(address space) -> (it, address -> the bytes the breakpoint replaced); a vfork child shares its
        # parent's
        self.breakpoint_tables: dict[int, tuple[object, dict[int, bytes]]] = {}
        self.multiprocess = False                    # thread ids pPID.TID (negotiated with the events below)
        self.events: set[str] = set()                # "fork", "vfork", "exec": the stop events gdb asked for
        self.pending: list[tuple[Task, str]] = []    # stops to report at the next scheduling point (the reason)
        # a vfork child (debugged, or detached by gdb) -> its debugged parent, waiting for vforkdone
        self.vfork_parents: dict[ThreadGroup, Task] = {}
        # (Z type, address, length) -> (physical address, the CPU's handle)
        self.watchpoints: dict[tuple[str, int, int], tuple[int, object]] = {}
        self.thread: Task | None = None              # Hg: the thread register packets are about
        self.last_stop = ""

    # ------------------------------------------------------------------------------------------ wiring
    def attach(self, group: "ThreadGroup") -> None:
        """Wait for gdb, then serve it with `group`'s first thread stopped before its first instruction."""
        self.inferior = group
        self.attached = [group]
        self.target = group.arch.gdb
        print(f"pynix: waiting for gdb on {self.address[0]}:{self.address[1]}", file=sys.stderr, flush=True)
        self.conn, _ = self.listener.accept()
        self.conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.listener.close()
        self._serve(group.tasks[0], SIGTRAP, report=False)     # gdb asks with `?`
        if self.conn is not None:
            self.kernel.watch_host_fd(self.conn.fileno(), self._on_input)

    def _detach(self) -> None:
        if self.conn is not None:
            self.kernel.watch_host_fd(self.conn.fileno(), None)
            self.conn.close()
            self.conn = None
        for group in list(self.attached):
            self._detach_process(group)
        for key in list(self.watchpoints):
            self.kernel.cpu.unwatch(self.watchpoints.pop(key)[1])

    def _detach_process(self, group: "ThreadGroup") -> None:
        """Stop debugging `group`: its breakpoints go (unless another debugged process shares its memory)."""
        if group in self.attached:
            self.attached.remove(group)
        if group.exit_status is None and not any(g.mm is group.mm for g in self.attached):
            table = self.breakpoint_tables.pop(id(group.mm), (None, {}))[1]
            for address, original in table.items():
                try:
                    group.mm.force_write(address, original)
                except KernelError:
                    pass
        if group is self.inferior and self.attached:
            self.inferior = self.attached[0]         # (follow-fork-mode child: the child is the one now)

    def breakpoints(self, mm) -> dict[int, bytes]:
        """The breakpoints inserted in address space `mm`."""
        return self.breakpoint_tables.setdefault(id(mm), (mm, {}))[1]

    def _thread_id(self, task: "Task") -> str:
        return f"p{task.group.pid:x}.{task.tid:x}" if self.multiprocess else f"{task.tid:x}"

    # ------------------------------------------------------------------------------------ tracepoints
    def trap_signal(self, task: "Task", trap: object, sig: int) -> bool:
        kind = trap.kind.value
        if self.conn is None or task.group not in self.attached:
            return kind == "watchpoint" and bool(self.watchpoints)   # another process at a watched address
        reason = ""
        if kind == "watchpoint":                    # (trap.addr is physical: see Cpu.watch)
            hit = next(((k, pa) for k, (pa, _h) in self.watchpoints.items() if pa <= trap.addr < pa + k[2]), None)
            if hit is None:
                return True
            (z, addr, _size), pa = hit
            reason = f"{_WATCH_REASONS[z]}:{addr + trap.addr - pa:x};"
        elif kind == "breakpoint":
            cpu = self.kernel.cpu
            at = cpu.read("pc") - self.target.pc_after_breakpoint
            if at in self.breakpoints(task.group.mm):   # ours: report it at the breakpoint, as gdb expects
                cpu.write("pc", at)
                reason = "swbreak:;"
        passed = self._serve(task, sig, reason)
        return not passed                           # continued with the signal: the kernel raises it

    def sched_process_fork(self, parent: "Task", child: "Task") -> None:
        """A fork of a debugged process: with fork events the child is debugged too, stopped with its parent
        (which stops right after the call); without, it is not debugged, and its copy of the program loses
        the breakpoints (as gdb does to a fork child it does not follow), so that it does not die of their
        SIGTRAP."""
        if self.conn is None or parent.group not in self.attached or child.group is parent.group:
            return
        shared = child.group.mm is parent.group.mm             # vfork (CLONE_VM): one address space
        event = "vfork" if shared else "fork"
        if event in self.events:
            self.attached.append(child.group)
            if not shared:
                self.breakpoints(child.group.mm).update(self.breakpoints(parent.group.mm))
            else:
                self.vfork_parents[child.group] = parent
            self._stop_at_next_switch(parent, f"{event}:{self._thread_id(child)};")
            return
        if shared:
            return                                  # (the breakpoints are the parent's own)
        for address, original in self.breakpoints(parent.group.mm).items():
            try:
                child.group.mm.force_write(address, original)
            except KernelError:
                pass

    def sched_process_exec(self, task: "Task", filename: bytes) -> None:
        """The breakpoints went with the old image (gdb inserts them again); with exec events, stop."""
        group = task.group
        self._vfork_done(group)
        if self.conn is None or group not in self.attached:
            return
        self.breakpoints(group.mm).clear()
        if "exec" in self.events:
            self._stop_at_next_switch(task, f"exec:{filename.hex()};")

    def _vfork_done(self, child: "ThreadGroup") -> None:
        parent = self.vfork_parents.pop(child, None)
        if parent is not None and parent.group in self.attached and parent.group.exit_status is None:
            self._stop_at_next_switch(parent, "vforkdone:;")

    def _stop_at_next_switch(self, task: "Task", reason: str) -> None:
        self.pending.append((task, reason))
        self.kernel.cpu.stop()                      # at the end of the call, then sched_switch reports it

    def sched_switch(self, prev: "Task | None", task: "Task") -> None:
        while self.pending and self.conn is not None:
            stopped, reason = self.pending.pop(0)
            if stopped.group in self.attached and stopped.group.exit_status is None:
                self._serve(stopped, SIGTRAP, reason)
        self.pending = []

    def sched_process_exit(self, group: "ThreadGroup", wait_status: int) -> None:
        self._vfork_done(group)
        if self.conn is None or group not in self.attached:
            return
        sig = wait_status & 0x7F
        process = f";process:{group.pid:x}" if self.multiprocess else ""
        self.attached.remove(group)
        self.breakpoint_tables.pop(id(group.mm), None)
        if group is self.inferior and self.attached:
            self.inferior = self.attached[0]
        self._send((f"X{sig:02x}" if sig else f"W{wait_status >> 8 & 0xFF:02x}") + process)
        if not self.attached:
            self._detach()
            return
        self._serve(self.attached[0].tasks[0], SIGTRAP, report=False)   # gdb resumes the others

    def close(self) -> None:
        if self.conn is not None:
            self._detach()

    def _on_input(self) -> None:
        """The connection is readable while the machine runs: a Ctrl-C (0x03) stops it."""
        try:
            data = self.conn.recv(4096)
        except OSError:
            data = b""
        if not data:
            self._detach()
            return
        self.inbuf += data
        if b"\x03" in self.inbuf:
            self.inbuf = self.inbuf.replace(b"\x03", b"")
            current = self.kernel.current
            task = current if current is not None and current.group in self.attached else self.inferior.tasks[0]
            self._serve(task, SIGINT)

    # ------------------------------------------------------------------------------------ the protocol
    def _serve(self, task: "Task", sig: int, reason: str = "", report: bool = True) -> bool:
        """Report the stop of `task` by `sig` (the reply to the c/s that resumed it) and answer gdb until it
        resumes the machine.  True when it resumed with the signal to be delivered (C/S with that signal)."""
        self.thread = task
        self.last_stop = f"T{sig:02x}thread:{self._thread_id(task)};{reason}"
        if report:
            self._send(self.last_stop)
        while self.conn is not None:
            packet = self._recv_packet()
            if packet is None:                      # gdb went away: let the program run on
                self._detach()
                return False
            resumed = self._handle(packet)
            if resumed is not None:
                action, signal = resumed
                if action == "s":
                    self.kernel.cpu.single_step()
                return signal == sig and signal != 0
        return False

    def _handle(self, packet: str) -> tuple[str, int] | None:
        """Answer one packet; (action, signal) when it resumes the machine."""
        kind, body = packet[:1], packet[1:]
        if kind in ("c", "s"):
            return kind, 0
        if kind in ("C", "S"):
            return kind.lower(), int(body.split(";")[0], 16)
        if packet.startswith("vCont"):
            return self._vcont(packet)
        if packet.startswith("vKill;"):             # (without multiprocess gdb names a pid of its own)
            group = self._process(int(packet[6:], 16))
            self._send("OK")
            if group is not None and len(self.attached) > 1:
                self._kill_process(group)
            else:
                self._kill()
            return None
        handler = {"?": lambda: self.last_stop, "g": self._read_registers, "G": lambda: self._write_registers(body),
                   "p": lambda: self._read_register(body), "P": lambda: self._write_register(body),
                   "m": lambda: self._read_memory(body), "M": lambda: self._write_memory_hex(body),
                   "X": lambda: self._write_memory_binary(body), "Z": lambda: self._breakpoint(body, True),
                   "z": lambda: self._breakpoint(body, False), "H": lambda: self._set_thread(body),
                   "T": lambda: "OK" if self._task(body) else "E01", "q": lambda: self._query(body),
                   "D": lambda: self._detach_reply(body), "k": self._kill}.get(kind)
        reply = handler() if handler is not None else ""
        if reply is not None:
            self._send(reply)
        return None

    def _vcont(self, packet: str) -> tuple[str, int] | None:
        if packet == "vCont?":
            self._send("vCont;c;C;s;S")
            return None
        for action in packet.split(";")[1:]:
            verb, _, thread = action.partition(":")
            if thread and (t := self._task(thread)) is not None:
                self.thread = t
            if verb[0] in "cs":
                return verb[0], 0
            if verb[0] in "CS":
                return verb[0].lower(), int(verb[1:], 16)
        self._send("")
        return None

    def _query(self, body: str) -> str:
        name, _, rest = body.partition(":")
        if name == "Supported":
            return self._supported(rest.split(";"))
        if name == "Attached":
            return "1"
        if name == "C":
            return f"QC{self._thread_id(self.thread)}"
        if name == "fThreadInfo":
            return "m" + ",".join(self._thread_id(t) for t in self._live_tasks())
        if name == "sThreadInfo":
            return "l"
        if name.startswith("ThreadExtraInfo,"):
            task = self._task(name.split(",")[1])
            return task.comm.encode().hex() if task else "E01"
        if name == "Xfer":
            return self._xfer(rest)
        if name == "Symbol":
            return "OK"
        if name.startswith("Rcmd,"):
            return self._monitor(bytes.fromhex(name[5:]).decode(errors="replace").strip())
        return ""

    def _supported(self, offered: list[str]) -> str:
        """qSupported: exec events whenever gdb offers them; fork and vfork events only when the stub was made
        with `fork_events` (--gdb-fork-events), since they need the multiprocess extensions (gdb addresses the
        memory of a fork child and detaches it with D;PID), under which gdb names the program `process 2`
        instead of `Remote target`."""
        self.events = {e for e in ("fork", "vfork", "exec") if f"{e}-events+" in offered}
        self.multiprocess = self.fork_events and "multiprocess+" in offered
        if not self.multiprocess:
            self.events.discard("fork")
            self.events.discard("vfork")
        return ";".join(["PacketSize=4000", "qXfer:features:read+", "qXfer:auxv:read+", "qXfer:exec-file:read+",
                         "qXfer:libraries-svr4:read+", "swbreak+", "vContSupported+"] +
                        (["multiprocess+"] if self.multiprocess else []) +
                        [f"{e}-events+" for e in sorted(self.events)])

    def _monitor(self, command: str) -> str:
        """`monitor ps|maps|fds`: the kernel's view, sent as console output (O packets)."""
        if command == "ps":
            lines = ["  PID   TID  PPID STATE    COMM"] + [
                f"{t.group.pid:5} {t.tid:5} {t.group.parent.pid if t.group.parent else 0:5} "
                f"{'stopped' if t.stopped else t.state.name.lower():8} {t.comm}" for t in self.kernel.tasks.values()]
            text = "\n".join(lines) + "\n"
        elif command in ("maps", "fds"):
            text = self._proc_text(self._general_process().pid, command)
        else:
            text = "monitor commands: ps (every task), maps (the process's mappings), fds (its descriptors)\n"
        for at in range(0, len(text), 1024):
            self._send("O" + text[at:at + 1024].encode().hex())
        return "OK"

    def _proc_text(self, pid: int, what: str) -> str:
        """/proc/PID/maps as the guest reads it; for fds, each descriptor and what it refers to."""
        from pynix.fs.proc import ProcfsSuperBlock, fd_link_text
        if what == "fds":
            procfs = next(m.sb for m in self.kernel.mounts.mounts if isinstance(m.sb, ProcfsSuperBlock))
            group = self._general_process()
            return "".join(f"{fd:4} -> {fd_link_text(procfs, group, e.file).decode(errors='replace')}\n"
                           for fd, e in sorted(group.fds.entries.items()))
        from pynix.fs.vfs import FsContext, Walker
        mounts = self.kernel.mounts
        root = mounts.root_path()
        try:
            inode = Walker(FsContext(mounts, root, root)).resolve(root, f"/proc/{pid}/{what}".encode()).inode
            return inode.read_at(0, 1 << 20).decode(errors="replace")
        except KernelError as err:
            return f"/proc/{pid}/{what}: {err}\n"

    def _xfer(self, spec: str) -> str:
        """qXfer:OBJECT:read:ANNEX:OFFSET,LENGTH."""
        obj, op, annex, window = (spec.split(":") + ["", "", ""])[:4]
        if op != "read" or "," not in window:
            return ""
        offset, length = (int(x, 16) for x in window.split(","))
        group = self._general_process()
        if obj == "features" and annex == "target.xml":
            data = self.target.target_xml().encode()
        elif obj == "auxv":
            data = group.mm.saved_auxv
        elif obj == "exec-file":
            group = self._process(int(annex, 16)) if annex else group
            if group is None:
                return "E01"
            data = group.exe.encode()
        elif obj == "libraries-svr4":
            data = library_list_svr4(group.mm).encode()
        else:
            return "E00"
        chunk = data[offset:offset + length]
        return ("l" if offset + length >= len(data) else "m") + _escape_binary(chunk)

    # ---------------------------------------------------------------------------------------- registers
    def _registers_of(self, task: "Task"):
        """Where `task`'s registers are: the CPU for the task that last ran, else its saved context."""
        return self.kernel.cpu if task is self.kernel.current or task.context is None else task.context

    def _register_bytes(self, task: "Task", reg) -> str:
        size = reg.bits // 8
        if reg.source is not None:
            try:
                value = self._registers_of(task).read(reg.source)
            except (KeyError, AttributeError):
                value = None
            if value is not None:
                return (value & ((1 << reg.bits) - 1)).to_bytes(size, "little").hex()
        return "xx" * size

    def _read_registers(self) -> str:
        return "".join(self._register_bytes(self.thread, r) for r in self.target.registers)

    def _write_registers(self, data: str) -> str:
        raw, at = bytes.fromhex(data.replace("x", "0")), 0
        for reg in self.target.registers:
            size = reg.bits // 8
            if reg.source is not None and at + size <= len(raw) and "x" not in data[2 * at:2 * (at + size)]:
                self._write_value(self.thread, reg, int.from_bytes(raw[at:at + size], "little"))
            at += size
        return "OK"

    def _register_by_number(self, number: int):
        regs, expected = self.target.registers, 0
        for reg in regs:
            expected = reg.regnum if reg.regnum is not None else expected
            if expected == number:
                return reg
            expected += 1
        return None

    def _read_register(self, body: str) -> str:
        reg = self._register_by_number(int(body, 16))
        return self._register_bytes(self.thread, reg) if reg else "E00"

    def _write_register(self, body: str) -> str:
        number, _, value = body.partition("=")
        reg = self._register_by_number(int(number, 16))
        if reg is None:
            return "E00"
        if reg.source is not None:                  # (one that is not kept, such as orig_rax, reads unavailable)
            self._write_value(self.thread, reg, int.from_bytes(bytes.fromhex(value), "little"))
        return "OK"

    def _write_value(self, task: "Task", reg, value: int) -> None:
        try:
            self._registers_of(task).write(reg.source, value)
        except KeyError:
            pass                                    # not kept in a saved context: unavailable, as when read

    # ------------------------------------------------------------------------------------------- memory
    def _read_memory(self, body: str) -> str:
        """m: memory as the program sees it -- the breakpoints gdb inserted do not show (gdbserver's
        check_mem_read): gdb takes a breakpoint instruction it reads for one of the program's own."""
        addr, length = (int(x, 16) for x in body.split(","))
        mm = self._general_process().mm
        try:
            data = bytearray(copy_from_user(mm, addr, length))
        except KernelError:
            return _ERR_FAULT
        for at, original in self.breakpoints(mm).items():
            for i, byte in enumerate(original):
                if addr <= at + i < addr + length:
                    data[at + i - addr] = byte
        return data.hex()

    def _write_memory(self, addr: int, data: bytes) -> str:
        """M/X: a write over an inserted breakpoint changes what it will restore; the breakpoint stays."""
        data = bytearray(data)
        table = self.breakpoints(self._general_process().mm)
        for at, original in table.items():
            insn = self.target.breakpoints[len(original)]
            for i in range(len(original)):
                if addr <= at + i < addr + len(data):
                    original = original[:i] + bytes((data[at + i - addr],)) + original[i + 1:]
                    data[at + i - addr] = insn[i]
            table[at] = original
        return self._poke(addr, bytes(data))

    def _poke(self, addr: int, data: bytes) -> str:
        try:
            self._general_process().mm.force_write(addr, data)
        except KernelError as err:
            return _ERR_FAULT if err.errno == errno.EFAULT else _ERR_ARG
        return "OK"

    def _write_memory_hex(self, body: str) -> str:
        where, _, data = body.partition(":")
        addr, length = (int(x, 16) for x in where.split(","))
        return self._write_memory(addr, bytes.fromhex(data)[:length])

    def _write_memory_binary(self, body: str) -> str:
        where, _, data = body.partition(":")
        addr, length = (int(x, 16) for x in where.split(","))
        return self._write_memory(addr, _unescape_binary(data.encode("latin-1"))[:length]) if length else "OK"

    def _breakpoint(self, body: str, insert: bool) -> str:
        kind, addr, size = body.split(",")[:3]
        addr, size = int(addr, 16), int(size.split(";")[0], 16)
        if kind in _WATCH_ACCESS:
            return self._watchpoint(kind, addr, size, insert)
        if kind != "0":
            return ""                               # hardware breakpoints: not supported
        insn = self.target.breakpoints.get(size)
        if insn is None:
            return _ERR_ARG
        if not insert:
            return self._remove_breakpoint(addr)
        mm = self._general_process().mm
        table = self.breakpoints(mm)
        if addr in table:
            return "OK"
        try:
            original = copy_from_user(mm, addr, len(insn))
        except KernelError:
            return _ERR_FAULT
        reply = self._poke(addr, insn)
        if reply == "OK":
            table[addr] = original
        return reply

    def _watchpoint(self, kind: str, addr: int, size: int, insert: bool) -> str:
        """Z2-Z4: watch the frame behind [addr, addr + size) (within one page).  The page is made present and
        private first (a copy-on-write break where it is writable), so the frame stays the one watched."""
        key = (kind, addr, size)
        if not insert:
            watch = self.watchpoints.pop(key, None)
            if watch is not None:
                self.kernel.cpu.unwatch(watch[1])
            return "OK"
        if key in self.watchpoints:
            return "OK"
        if (addr & 0xFFF) + size > 0x1000:
            return _ERR_ARG
        mm = self._general_process().mm
        try:
            try:
                pa = mm.translate(addr, ACCESS_WRITE)
            except KernelError:
                pa = mm.translate(addr, ACCESS_READ)
        except KernelError:
            return _ERR_FAULT
        self.watchpoints[key] = (pa, self.kernel.cpu.watch(pa, size, _WATCH_ACCESS[kind]))
        return "OK"

    def _remove_breakpoint(self, addr: int) -> str:
        group = self._general_process()
        original = self.breakpoints(group.mm).pop(addr, None)
        return "OK" if original is None or group.exit_status is not None else self._poke(addr, original)

    # ------------------------------------------------------------------------------------------ threads
    def _live_tasks(self) -> list["Task"]:
        from pynix.task.task import TaskState
        return [t for g in self.attached for t in g.tasks if t.state is not TaskState.ZOMBIE]

    def _task(self, thread_id: str) -> "Task | None":
        """The task a thread id names: TID, or pPID.TID (multiprocess); -1 or 0 in either part: any of them
        (the general thread if it matches)."""
        pid, tid = None, thread_id
        if thread_id.startswith("p"):
            pid_text, _, tid = thread_id[1:].partition(".")
            pid = int(pid_text, 16)
            tid = tid or "-1"
        candidates = [t for t in self._live_tasks() if pid in (None, -1, 0) or t.group.pid == pid]
        if tid in ("-1", "0"):
            if self.thread in candidates:
                return self.thread
            return candidates[0] if candidates else None
        return next((t for t in candidates if t.tid == int(tid, 16)), None)

    def _process(self, pid: int) -> "ThreadGroup | None":
        return next((g for g in self.attached if g.pid == pid), None)

    def _general_process(self) -> "ThreadGroup":
        """The process memory and register packets are about: the general thread's (Hg)."""
        thread = self.thread
        return thread.group if thread is not None and thread.group in self.attached else self.inferior

    def _set_thread(self, body: str) -> str:
        op, thread_id = body[:1], body[1:]
        if thread_id in ("-1", "0", ""):
            return "OK"
        task = self._task(thread_id)
        if task is None:
            return "E01"
        if op == "g":
            self.thread = task
        return "OK"

    def _detach_reply(self, body: str) -> None:
        """D;PID (multiprocess): stop debugging that process, the others stay stopped; D: everything."""
        group = self._process(int(body[1:], 16)) if body.startswith(";") else None
        if group is None or len(self.attached) == 1:
            self._send("OK")
            self._detach()
            return
        self._detach_process(group)
        if self.thread is not None and self.thread.group is group:
            self.thread = self.attached[0].tasks[0]
        self._send("OK")

    def _kill(self) -> None:
        groups = list(self.attached)
        self._detach()
        for group in groups:
            self._kill_process(group)

    def _kill_process(self, group: "ThreadGroup") -> None:
        from pynix.task.exit import exit_group
        if group in self.attached:
            self._detach_process(group)
        exit_group(self.kernel, group, SIGKILL)

    # -------------------------------------------------------------------------------------- packet I/O
    def _send(self, data: str) -> None:
        if self.conn is None:
            return
        payload = data.encode("latin-1")
        packet = b"$" + payload + b"#%02x" % (sum(payload) & 0xFF)
        try:
            self.conn.sendall(packet)
        except OSError:
            self._detach()

    def _recv_packet(self) -> str | None:
        """The next packet's payload (acknowledged), or None when the connection is closed."""
        while True:
            start = self.inbuf.find(b"$")
            end = self.inbuf.find(b"#", start) if start >= 0 else -1
            if start >= 0 and end >= 0 and len(self.inbuf) >= end + 3:
                payload = self.inbuf[start + 1:end]
                self.inbuf = self.inbuf[end + 3:]
                self.conn.sendall(b"+")
                return payload.decode("latin-1")
            if start < 0:
                self.inbuf = b""                    # acks, and a Ctrl-C while already stopped
            try:
                data = self.conn.recv(65536)
            except OSError:
                data = b""
            if not data:
                return None
            self.inbuf += data


def _escape_binary(data: bytes) -> str:
    """The binary encoding of qXfer replies: # $ } * escaped as } followed by the byte xor 0x20."""
    out = bytearray()
    for b in data:
        if b in b"#$}*":
            out += bytes((0x7D, b ^ 0x20))
        else:
            out.append(b)
    return out.decode("latin-1")


def _unescape_binary(data: bytes) -> bytes:
    out, escaped = bytearray(), False
    for b in data:
        if escaped:
            out.append(b ^ 0x20)
            escaped = False
        elif b == 0x7D:
            escaped = True
        else:
            out.append(b)
    return bytes(out)
