"""The Python API (pynix/api.py, docs/api.md), in this process, on guest/api_target.c for every target.

Hooks count a program's system calls, make an open fail with ENOENT and change a call's argument; a process's
memory is read and written at a symbol of its ELF symbol table; the signal, exec, fault and exit events carry
the right data; a snapshot is restored twice and the program's output after it is the same both times (and
different when memory is changed after a restore); snapshots are refused where they cannot be made.  The
examples of docs/api.md are run as they are written.
"""
from __future__ import annotations

import errno
import os
import re
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from harness import GUEST_DIR, build, need, selfcheck

DOCS = Path(__file__).resolve().parent.parent / "docs" / "api.md"


@pytest.fixture(autouse=True)
def _only_pynix():
    if selfcheck():
        pytest.skip("PYNIX_TEST_SELFCHECK=1: these tests only run pynix")


@pytest.fixture
def program(target) -> str:
    return str(build("api_target.c", target))


def machine():
    from pynix import Machine
    return Machine(mem="64M")


def spawn(m, program, *args):
    from pynix import PIPE
    return m.spawn([program, *args], stdout=PIPE, stderr=PIPE, env={})


def test_count_syscalls(program):
    m = machine()
    counts: dict[str, int] = {}
    entered: list[str] = []

    @m.on_syscall()
    def count(call):
        counts[call.name] = counts.get(call.name, 0) + 1

    m.on_syscall(when="enter")(lambda call: entered.append(call.name))
    paths = ["/etc/passwd", "/nonexistent", "/"]
    p = spawn(m, program, "open", *paths)
    assert p.wait() == 0
    assert p.stdout == b"open /etc/passwd: OK\nopen /nonexistent: ENOENT\nopen /: OK\n"
    assert counts.get("open", 0) + counts.get("openat", 0) == len(paths)
    assert counts["close"] == 2                           # the two that opened
    assert "exit_group" not in counts and entered[-1] == "exit_group"   # it never returns
    assert sum(counts.values()) == len(entered) - 1


def test_openat_fails_with_enoent(program):
    m = machine()
    seen = []

    @m.on_syscall(["open", "openat"], when="enter")
    def deny(call):
        path = call.string(1 if call.name == "openat" else 0)
        seen.append(path)
        if path == b"/etc/passwd":
            call.skip(-errno.ENOENT)

    @m.on_syscall(["open", "openat"], when="exit")
    def after(call):
        seen.append((call.skipped, call.error))

    p = spawn(m, program, "open", "/etc/passwd", "/")
    assert p.wait() == 0
    assert p.stdout == b"open /etc/passwd: ENOENT\nopen /: OK\n"
    assert seen == [b"/etc/passwd", (True, errno.ENOENT), b"/", (False, None)]


def test_argument_change(program):
    """An enter hook points the path argument at another string, written into the program's memory."""
    m = machine()

    @m.on_syscall(["open", "openat"], when="enter")
    def redirect(call):
        index = 1 if call.name == "openat" else 0
        if call.string(index) == b"/nonexistent":
            where = call.process.symbol("api_secret")
            call.process.write_memory(where, b"/etc/passwd\0")
            call.args[index] = where

    p = spawn(m, program, "open", "/nonexistent")
    assert p.wait() == 0
    assert p.stdout == b"open /nonexistent: OK\n"


def test_memory_at_symbol(program):
    m = machine()
    pause = m.on_syscall("getpid")(lambda call: m.stop())    # pause at the first step
    p = spawn(m, program, "steps", "3")
    assert m.run() is None and p.returncode is None
    secret = p.symbol("api_secret")
    assert p.read_memory(secret, 16) == b"pynix api secret"
    assert p.read_string(secret) == b"pynix api secret"
    value = p.symbol("api_value")
    assert int.from_bytes(p.read_memory(value, 8), "little") == 42
    p.write_memory(value, (7).to_bytes(8, "little"))
    assert any(area.start <= secret < area.end and area.path == program and "w" in area.perms
               for area in p.maps())
    assert sorted(p.fds()) == [0, 1, 2] and p.fds()[1] == "anon_inode:[pynix-output]"
    with pytest.raises(KeyError):
        p.symbol("no_such_symbol")
    with pytest.raises(OSError) as err:
        p.read_memory(8, 4)
    assert err.value.errno == errno.EFAULT
    m.remove_hook(pause)
    assert p.wait() == 0
    assert p.stdout == b"step 1 value 7\nstep 2 value 8\nstep 3 value 10\n"
    with pytest.raises(ProcessLookupError):
        p.read_memory(secret, 1)


def test_snapshot_restore_same_output(program):
    from pynix import SnapshotError
    m = machine()
    pids = []

    @m.on_syscall("getpid")
    def step(call):
        pids.append(call.result)
        if len(pids) == 2:
            m.stop()
        if len(pids) == 1:
            with pytest.raises(SnapshotError, match="running"):
                m.snapshot()

    p = spawn(m, program, "steps", "4")
    assert m.run() is None
    assert p.stdout == b"step 1 value 42\n"
    snap = m.snapshot()
    assert p.wait() == 0
    first = p.stdout
    assert first == b"step 1 value 42\nstep 2 value 43\nstep 3 value 45\nstep 4 value 48\n"
    for _ in range(2):
        m.restore(snap)
        assert p.returncode is None and p.stdout == b"step 1 value 42\n" and not m.finished
        assert p.wait() == 0
        assert p.stdout == first
    m.restore(snap)                                       # retry with other data: the run differs
    p.write_memory(p.symbol("api_value"), (1000).to_bytes(8, "little"))
    assert p.wait() == 0
    assert p.stdout == b"step 1 value 42\nstep 2 value 1000\nstep 3 value 1002\nstep 4 value 1005\n"
    assert pids == [2] * (4 + 2 * 3)                     # each restored run makes the last two calls


def test_snapshot_refused_with_host_sockets():
    from pynix import Machine, SnapshotError
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    m = Machine(arch="x86_64", mem="64M", publish=[f"{port}:80"])
    with pytest.raises(SnapshotError, match="host sockets"):
        m.snapshot()


def test_on_signal(program):
    m = machine()
    events = []
    m.on_signal(events.append)
    p = spawn(m, program, "signal")
    assert p.wait() == 0
    assert p.stdout == b"got SIGUSR1\n"
    assert [(e.process, e.tid, e.signal, e.name, e.action, e.code) for e in events] == \
        [(p, p.pid, 10, "SIGUSR1", "deliver", -6)]       # SI_TKILL: raise() is tgkill/tkill


def test_on_exec(program):
    m = machine()
    events = []
    m.on_exec(events.append)
    p = spawn(m, program, "exec", program, "steps", "1")
    assert p.wait() == 0
    assert p.stdout == b"step 1 value 42\n"
    assert [(e.process, e.tid, e.filename, e.argv) for e in events] == \
        [(p, p.pid, program, [program.encode(), b"steps", b"1"])]


def test_on_fault_and_exit(program):
    m = machine()
    faults, exits = [], []
    m.on_fault(faults.append)
    m.on_exit(exits.append)
    p = spawn(m, program, "segv")
    assert p.wait() == -11
    assert [(f.process, f.tid, f.kind, f.access, f.address, f.signal) for f in faults] == \
        [(p, p.pid, "page_fault", "write", 0x10000, 11)]
    assert [(e.process, e.returncode, e.wait_status) for e in exits] == [(p, -11, 11)]
    assert any("killed by SIGSEGV" in line for line in m.log)


def test_hook_exception_reaches_run(program):
    m = machine()

    @m.on_syscall("getpid")
    def broken(call):
        raise ValueError("from the hook")

    p = spawn(m, program, "steps", "2")
    with pytest.raises(ValueError, match="from the hook"):
        m.run()
    assert p.returncode is None and p.stdout == b""
    m.remove_hook(broken)
    assert p.wait() == 0
    assert p.stdout == b"step 1 value 42\nstep 2 value 43\n"


def test_spawn_errors():
    from pynix import Machine, MachineError
    m = Machine(arch="x86_64", mem="64M")
    with pytest.raises(FileNotFoundError):
        m.spawn(["/nonexistent/program"])
    with pytest.raises(MachineError):
        Machine(mem="3M")
    with pytest.raises(ValueError):
        m.on_syscall("no_such_call")


def doc_examples() -> list[str]:
    return re.findall(r"```python\n(.*?)```", DOCS.read_text(), re.S)


def test_docs_have_examples():
    assert len(doc_examples()) >= 6


@pytest.mark.parametrize("index", range(len(doc_examples())))
def test_doc_example(index):
    need(Path("/bin/busybox").exists(), "/bin/busybox is not installed (Debian package busybox-static)")
    need(shutil.which("gcc") is not None, "gcc is not installed")
    exec(compile(doc_examples()[index], f"docs/api.md example {index + 1}", "exec"), {"__name__": "__doc__"})


def test_unhooked_machine_runs_untraced(program):
    """Hooks ride on the tracing dispatcher only while there are any: without them the plain one serves."""
    from pynix.syscall.dispatch import SyscallDispatcher, TracingDispatcher
    m = machine()
    p = spawn(m, program, "steps", "2")
    assert type(m.kernel.cpu.on_syscall) is SyscallDispatcher and m.kernel.tracer is None
    hook = m.on_syscall("getpid")(lambda call: m.stop())
    assert type(m.kernel.cpu.on_syscall) is TracingDispatcher
    assert m.run() is None
    assert [q.pid for q in m.processes] == [p.pid] and m.process(p.pid) is p
    m.remove_hook(hook)
    assert type(m.kernel.cpu.on_syscall) is SyscallDispatcher and m.kernel.tracer is None
    assert p.wait() == 0 and p.stdout == b"step 1 value 42\nstep 2 value 43\n"


def test_stdin_bytes_and_two_programs():
    """stdin as bytes; a second program spawned beside the first runs too (the first is the machine's)."""
    need(Path("/bin/busybox").exists(), "/bin/busybox is not installed (Debian package busybox-static)")
    from pynix import PIPE, Machine
    m = Machine(mem="64M")
    first = m.spawn(["/bin/busybox", "sh", "-c", "read line; echo first $line; sleep 0.2"], stdin=b"one\ntwo\n",
                    stdout=PIPE)
    second = m.spawn(["/bin/busybox", "wc", "-l"], stdin=b"a\nb\nc\n", stdout=PIPE)
    assert second.wait() == 0 and second.stdout.split() == [b"3"]
    assert first.wait() == 0 and first.stdout == b"first one\n"
    assert m.finished and second.pid != first.pid


def test_a_call_that_sleeps_is_one_call():
    """cat's first read waits for the pipe (it runs again when woken): its hooks see it once, with its result."""
    need(Path("/bin/busybox").exists(), "/bin/busybox is not installed (Debian package busybox-static)")
    from pynix import PIPE, Machine
    m = Machine(mem="64M")
    enters, exits = [], []
    m.on_syscall("read", when="enter")(lambda call: enters.append((call.process.pid, call.args[0])))
    m.on_syscall("read")(lambda call: exits.append((call.process.pid, call.args[0], call.result)))
    p = m.spawn(["/bin/busybox", "sh", "-c", "(sleep 0.3; echo hi) | /bin/busybox cat"], stdout=PIPE)
    assert p.wait() == 0 and p.stdout == b"hi\n"
    cat = {pid for pid, _fd in enters}
    assert len(cat) == 1 and enters == [(pid, 0) for pid, _fd, _r in exits]
    assert [r for _pid, _fd, r in exits] == [3, 0]


def test_snapshot_with_an_open_host_file(tmp_path):
    """A file of a --mount directory open across the snapshot: the restored machine reads on from where the
    snapshot was taken, with host descriptors of its own (the snapshot's are closed with it)."""
    need(Path("/bin/busybox").exists(), "/bin/busybox is not installed (Debian package busybox-static)")
    from pynix import PIPE, Machine, SnapshotError
    (tmp_path / "f").write_text("one\ntwo\nthree\n")
    m = Machine(mem="64M", mounts=[f"{tmp_path}:/data"])
    writes = []

    @m.on_syscall("write")
    def first_line(call):
        writes.append(call.result)
        if len(writes) == 1:
            m.stop()

    script = "exec 3</data/f; read a <&3; echo $a; read b <&3; echo $b; read c <&3; echo $c"
    p = m.spawn(["/bin/busybox", "sh", "-c", script], stdout=PIPE)
    assert m.run() is None and p.stdout == b"one\n" and p.fds()[3] == "/data/f"
    snap = m.snapshot()
    assert snap.host_fds
    assert p.wait() == 0 and p.stdout == b"one\ntwo\nthree\n"
    for _ in range(2):
        m.restore(snap)
        assert p.stdout == b"one\n" and p.fds()[3] == "/data/f"
        assert p.wait() == 0 and p.stdout == b"one\ntwo\nthree\n"
    fds = snap.host_fds
    snap.close()
    for fd in fds:
        with pytest.raises(OSError):
            os.fstat(fd)
    with pytest.raises(SnapshotError, match="closed"):
        m.restore(snap)


def test_restored_files_give_their_frames_back():
    """A 4 MiB tmpfs file made before the snapshot and removed after each restore: its page cache (a copy) gives
    its 1024 frames back every time, so retries do not use up the machine's RAM."""
    need(Path("/bin/busybox").exists(), "/bin/busybox is not installed (Debian package busybox-static)")
    import gc
    from pynix import PIPE, Machine
    m = Machine(mem="64M")
    writes = []

    @m.on_syscall("write")
    def first_line(call):
        writes.append(call.result)
        if len(writes) == 1:
            m.stop()

    script = "dd if=/dev/zero of=/tmp/big bs=1M count=4 2>/dev/null; echo made; rm /tmp/big; echo removed"
    p = m.spawn(["/bin/busybox", "sh", "-c", script], stdout=PIPE)
    m.run()
    snap = m.snapshot()
    freed = []
    for _ in range(3):
        m.restore(snap)
        gc.collect()
        before = m.kernel.frames.free_frames
        assert p.wait() == 0 and p.stdout == b"made\nremoved\n"
        gc.collect()
        freed.append(m.kernel.frames.free_frames - before)
    assert freed[0] == freed[1] == freed[2] > 0, freed


def test_symbol_of_a_pie(tmp_path):
    """A dynamic PIE (the host's gcc): Process.symbol adds the load bias the auxiliary vector shows."""
    need(shutil.which("gcc") is not None, "gcc is not installed")
    from pynix import PIPE, Machine
    program = tmp_path / "gdb_target-pie"
    subprocess.run(["gcc", "-O0", "-pie", "-fPIE", "-o", str(program), str(GUEST_DIR / "gdb_target.c")],
                   check=True, capture_output=True, timeout=120)
    m = Machine(mem="128M")
    pause = m.on_syscall("write")(lambda call: m.stop())
    p = m.spawn([str(program)], stdout=PIPE)
    m.run()
    counter = p.symbol("counter")
    assert int.from_bytes(p.read_memory(counter, 4), "little") == 5
    assert any(area.start <= counter < area.end and area.path == str(program) for area in p.maps())
    p.write_memory(counter, (9).to_bytes(4, "little"))
    assert int.from_bytes(p.read_memory(counter, 4), "little") == 9
    m.remove_hook(pause)
    assert p.wait() == 0 and p.stdout == b"x=42 counter=5\n"


@pytest.mark.parametrize("args", [["open", "/etc/passwd", "/nonexistent", "/"], ["steps", "3"], ["signal"],
                                  ["segv"]])
def test_same_as_reference(program, args):
    """Without hooks, the API runs api_target as the reference does (natively, or under qemu-riscv64)."""
    from harness import normalise_status, run_reference
    m = machine()
    p = spawn(m, program, *args)
    p.wait()
    ref = run_reference(program, args, env={})
    assert (p.stdout, normalise_status(p.returncode)) == (ref.stdout, normalise_status(ref.returncode))


def test_close_gives_back_host_descriptors(program):
    """Machine.close unmounts everything (Linux's kill_sb for each superblock): the host descriptors of the
    hostfs layer under the overlay root, taken while the program walked the host's directories, are closed
    even while the Machine object is still referenced."""
    import gc
    gc.collect()                                  # the machines earlier tests dropped
    fds = len(os.listdir("/proc/self/fd"))
    m = machine()
    p = spawn(m, program, "steps", "1")
    assert p.wait() == 0
    assert len(os.listdir("/proc/self/fd")) > fds
    m.close()
    assert len(os.listdir("/proc/self/fd")) == fds


def test_a_dropped_machine_is_freed(program):
    """Many machines in one process (a fuzzer, these tests): one that is dropped goes, with its emulator, its
    preemption thread, its RAM and its host descriptors (hostfs's directories: a suite of machines once ran
    the test process past select()'s 1,024 descriptors)."""
    import gc
    import threading
    import weakref
    gc.collect()
    fds = len(os.listdir("/proc/self/fd"))
    m = machine()
    p = spawn(m, program, "steps", "1")
    assert p.wait() == 0
    threads = threading.active_count()
    kernel, cpu = weakref.ref(m.kernel), weakref.ref(m.kernel.cpu.emu)
    del m, p
    gc.collect()
    assert kernel() is None and cpu() is None
    assert len(os.listdir("/proc/self/fd")) == fds
    for _ in range(100):
        if threading.active_count() < threads:
            break
        threading.Event().wait(0.01)
    assert threading.active_count() < threads
