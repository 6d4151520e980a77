"""`pynix run --gdb 127.0.0.1:0 PROGRAM` driven by Debian's gdb in batch mode (and gdb-multiarch for riscv64).

The program (guest/gdb_target.c, built here with -g) stops before its first instruction; gdb breaks at main and
in a function, steps, prints locals and globals, changes memory, finishes a call, sees a SIGSEGV with a
backtrace, interrupts a spinning program, sets a watchpoint that fires, and sees the exit; `info threads` lists
the threads of guest/gdb_threads.c.  A raw-protocol test checks the replies
gdb's batch runs do not show (qXfer objects, thread queries, an error for unmapped memory).
"""
from __future__ import annotations

import re
import shutil
import signal
import socket
import subprocess
import sys
import time

import pytest

from harness import GUEST_DIR, need, pynix_command, pynix_env, selfcheck

def compile_debug(isa: str, tmp_path, name: str = "gdb_target") -> str:
    """guest/NAME.c built with debug information: the host's gcc (x86_64) or zig's riscv64 musl."""
    source, out = GUEST_DIR / f"{name}.c", tmp_path / f"{name}-{isa}"
    if isa == "x86_64":
        need(shutil.which("gcc") is not None, "gcc is not installed")
        cmd = ["gcc", "-g", "-O0", "-static", "-pthread", "-o", str(out), str(source)]
    else:
        pytest.importorskip("ziglang")
        cmd = [sys.executable, "-m", "ziglang", "cc", "-target", "riscv64-linux-musl", "-static", "-g", "-O0",
               "-fno-sanitize=undefined", "-o", str(out), str(source)]     # (zig's default traps on NULL)
    subprocess.run(cmd, check=True, capture_output=True, timeout=300)
    return str(out)


def gdb_for(isa: str) -> str:
    name = "gdb" if isa == "x86_64" else "gdb-multiarch"
    need(shutil.which(name) is not None, f"{name} is not installed (Debian package {name})")
    return name


class Debugged:
    """pynix running PROGRAM under --gdb on a free port."""

    def __init__(self, program: str, args=(), extra=()) -> None:
        if selfcheck():
            pytest.skip("PYNIX_TEST_SELFCHECK=1: this test only runs pynix")
        self.proc = subprocess.Popen(pynix_command(program, args, extra=["--gdb", "127.0.0.1:0", *extra]),
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=pynix_env())
        line = self.proc.stderr.readline().decode()
        match = re.search(r"waiting for gdb on 127\.0\.0\.1:(\d+)", line)
        assert match, f"no 'waiting for gdb' line: {line!r}"
        self.port = int(match.group(1))

    def finish(self, timeout: float = 60) -> tuple[int, bytes, bytes]:
        out, err = self.proc.communicate(timeout=timeout)
        return self.proc.returncode, out, err


def run_gdb(isa: str, program: str, commands: list[str], args=(), timeout: float = 120,
            extra=()) -> tuple[str, tuple]:
    debugged = Debugged(program, args, extra)
    argv = [gdb_for(isa), "-nx", "-batch", "-ex", "set confirm off", "-ex", f"target remote 127.0.0.1:{debugged.port}"]
    for command in commands:
        argv += ["-ex", command]
    gdb = subprocess.run(argv + [program], capture_output=True, timeout=timeout)
    return gdb.stdout.decode() + gdb.stderr.decode(), debugged.finish()


@pytest.fixture(params=["x86_64", "riscv64"])
def isa(request):
    return request.param


def test_break_step_print_finish(isa, tmp_path):
    program = compile_debug(isa, tmp_path)
    pc = "rip" if isa == "x86_64" else "pc"
    out, (status, stdout, stderr) = run_gdb(isa, program, [
        "break main", "continue", "bt", f"info registers {pc}", "step", "print a", "print b", "next", "print sum",
        "finish", "print counter", "set var counter = 7", "next", "print x", "continue"])
    assert re.search(r"Breakpoint 1, main \(argc=1, argv=0x[0-9a-f]+\) at .*gdb_target\.c:\d+", out), out
    assert re.search(r"#0  main \(argc=1, argv=0x[0-9a-f]+\) at .*gdb_target\.c", out), out
    assert re.search(rf"{pc}\s+0x[0-9a-f]+\s+0x[0-9a-f]+ <main\+\d+>", out), out
    assert re.search(r"add \(a=1, b=41\) at .*gdb_target\.c:\d+", out), out
    assert "$1 = 1\n" in out and "$2 = 41\n" in out and "$3 = 42\n" in out, out
    assert "Value returned is $4 = 42\n" in out, out
    assert "$5 = 5\n" in out and "$6 = 42\n" in out, out
    assert "[Inferior 1 (Remote target) exited normally]" in out, out
    assert status == 0 and stdout == b"x=42 counter=7\n", (status, stdout, stderr)


def test_segfault_backtrace(isa, tmp_path):
    program = compile_debug(isa, tmp_path)
    out, (status, stdout, _) = run_gdb(isa, program, ["continue", "bt", "print p", "kill"], args=["crash"])
    assert "Program received signal SIGSEGV, Segmentation fault." in out, out
    assert re.search(r"#0  (0x[0-9a-f]+ in )?fault \(p=0x0\) at .*gdb_target\.c:\d+", out), out
    assert re.search(r"#1  0x[0-9a-f]+ in main \(argc=2, argv=0x[0-9a-f]+\) at .*gdb_target\.c:\d+", out), out
    assert "(int *) 0x0" in out, out
    assert status == 128 + 9 and stdout == b"x=43 counter=5\n", (status, stdout)


def test_interrupt_and_change_memory(isa, tmp_path):
    """Ctrl-C in gdb (SIGINT to gdb, which sends the protocol's 0x03) stops a busy program; writing a global
    lets it leave its loop."""
    program = compile_debug(isa, tmp_path)
    debugged = Debugged(program, ["spin"])
    gdb = subprocess.Popen([gdb_for(isa), "-nx", "-batch", "-ex", f"target remote 127.0.0.1:{debugged.port}",
                            "-ex", "continue", "-ex", "print counter > 5", "-ex", "set var stop = 1",
                            "-ex", "continue", program], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    time.sleep(3)                                 # it spins
    gdb.send_signal(signal.SIGINT)
    out = gdb.communicate(timeout=60)[0].decode()
    status, stdout, _ = debugged.finish()
    assert "Program received signal SIGINT, Interrupt." in out, out
    assert re.search(r"main \(argc=2, argv=0x[0-9a-f]+\) at .*gdb_target\.c:\d+", out), out
    assert "$1 = 1\n" in out and "exited normally" in out, out
    assert status == 0 and stdout == b"x=43 counter=5\nstopped\n", (status, stdout)


def test_dynamic_glibc_program(tmp_path):
    """A PIE linked against the host's glibc: gdb relocates it (auxv), finds the shared libraries (the dynamic
    linker's list, read from memory) and shows a backtrace through libc at a SIGSEGV."""
    need(shutil.which("gcc") is not None, "gcc is not installed")
    program = tmp_path / "gdb_target-dynamic"
    subprocess.run(["gcc", "-g", "-O0", "-o", str(program), str(GUEST_DIR / "gdb_target.c")], check=True,
                   capture_output=True, timeout=120)
    out, (status, stdout, _) = run_gdb("x86_64", str(program), [
        "break add", "continue", "bt", "continue", "bt", "info sharedlibrary", "kill"], args=["crash"])
    assert re.search(r"Breakpoint 1, add \(a=2, b=41\) at .*gdb_target\.c:\d+", out), out
    assert "Program received signal SIGSEGV, Segmentation fault." in out, out
    assert re.search(r"#0  (0x[0-9a-f]+ in )?fault \(p=0x0\) at .*gdb_target\.c:\d+\n#1  0x[0-9a-f]+ in main ", out), out
    assert re.search(r"0x[0-9a-f]+ +0x[0-9a-f]+ +Yes( \(\*\))? +/\S*libc\.so\.6", out), out
    assert "Could not" not in out and status == 128 + 9, out


def test_monitor_commands(tmp_path):
    program = compile_debug("x86_64", tmp_path)
    out, (status, _, _) = run_gdb("x86_64", program, ["break add", "continue", "monitor ps", "monitor maps",
                                                      "monitor fds", "continue"])
    assert re.search(r"^ +2 +2 +1 +runnable +gdb_target-x86", out, re.M), out   # pid 2: init's child
    assert re.search(rf"^00400000-[0-9a-f]+ r--p 00000000 [0-9a-f:]+ \d+ +{re.escape(program)}$", out, re.M), out
    assert re.search(r"\[stack\]$", out, re.M) and re.search(r"^   0 -> ", out, re.M), out
    assert status == 0


def test_pynix_gdb_command(isa, tmp_path):
    """`pynix gdb PROGRAM ARGS` starts both and attaches; at the end of gdb's batch it detaches and the program
    runs on to its exit status."""
    program = compile_debug(isa, tmp_path)
    gdb_for(isa)
    if selfcheck():
        pytest.skip("PYNIX_TEST_SELFCHECK=1: this test only runs pynix")
    result = subprocess.run([sys.executable, "-m", "pynix", "gdb", "--batch", "--ex", "break add", "--ex", "continue",
                             "--ex", "print a + b", program, "two", "args"], capture_output=True, env=pynix_env(),
                            timeout=120)
    out = result.stdout.decode() + result.stderr.decode()
    assert re.search(r"Breakpoint 1, add \(a=3, b=41\)", out) and "$1 = 44\n" in out, out
    assert result.returncode == 0 and "x=44 counter=5\n" in out, out


def test_fork_child_does_not_inherit_breakpoints(isa, tmp_path):
    """The breakpoint is in code a fork child runs too: the child (not debugged) runs it without trapping."""
    program = compile_debug(isa, tmp_path, "gdb_fork")
    out, (status, stdout, _) = run_gdb(isa, program, ["break work", "continue", "bt 2", "continue"])
    assert re.search(r"Breakpoint 1, work \(n=2\)", out) and "exited normally" in out, out
    assert status == 0 and sorted(stdout.splitlines()) == [b"child 2", b"parent 3, child exited 0"], stdout


def test_watchpoint(isa, tmp_path):
    program = compile_debug(isa, tmp_path)
    out, (status, stdout, _) = run_gdb(isa, program, [
        "break add", "continue", "watch counter", "continue", "continue", "delete", "set var stop = 1", "continue"],
        args=["spin"])
    assert re.search(r"watchpoint 2: counter\n\nOld value = 5\nNew value = 6\n", out), out
    assert re.search(r"Old value = 6\nNew value = 7\n", out), out
    # (reported where the translated block that wrote ends: in the loop)
    assert re.search(r"main \(argc=2, argv=0x[0-9a-f]+\) at .*gdb_target\.c:\d+\n\d+\t +(counter\+\+;|while \(!stop\))",
                     out), out
    assert "exited normally" in out and status == 0 and stdout == b"x=43 counter=5\nstopped\n", (out, stdout)


def test_threads(isa, tmp_path):
    program = compile_debug(isa, tmp_path, "gdb_threads")
    out, (status, stdout, _) = run_gdb(isa, program, ["break rendezvous", "continue", "info threads", "thread 2",
                                                      "thread 1", "bt 1", "continue"])
    assert re.search(r"Thread 1 hit Breakpoint 1, rendezvous \(n=21\)", out), out
    threads = re.findall(r"^[* ] +(\d+) +Thread (\d+) \(gdb_threads-", out, re.M)
    assert [t[0] for t in threads] == ["1", "2", "3"] and threads[0][1] == "2", out   # the program is pid 2
    assert "[Switching to thread 2 (Thread " in out and "#0  rendezvous (n=21)" in out, out
    assert "exited normally" in out and status == 0 and stdout == b"r=42\n", (out, stdout)


class Remote:
    """A bare remote-protocol client (what gdb sends, without gdb)."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.buf = b""

    def ask(self, payload: str) -> str:
        data = payload.encode("latin-1")
        self.sock.sendall(b"$" + data + b"#%02x" % (sum(data) & 0xFF))
        while True:
            match = re.search(rb"\$([^#]*)#([0-9a-f]{2})", self.buf)
            if match:
                self.buf = self.buf[match.end():]
                body = match.group(1)
                assert int(match.group(2), 16) == sum(body) & 0xFF
                self.sock.sendall(b"+")
                return body.decode("latin-1")
            chunk = self.sock.recv(65536)
            assert chunk, "the stub closed the connection"
            self.buf += chunk


def test_protocol_replies(tmp_path):
    program = compile_debug("x86_64", tmp_path)
    debugged = Debugged(program)
    remote = Remote(debugged.port)
    assert "qXfer:features:read+" in remote.ask("qSupported:multiprocess+;swbreak+")
    assert remote.ask("?") == "T05thread:2;"                      # the program is pid 2, init's child
    xml = remote.ask("qXfer:features:read:target.xml:0,3000")
    assert xml.startswith("l<?xml") and "<architecture>i386:x86-64</architecture>" in xml
    assert 'name="org.gnu.gdb.i386.core"' in xml and 'name="fs_base"' in xml
    auxv = remote.ask("qXfer:auxv:read::0,1000")
    assert auxv.startswith("l") and len(auxv) > 16
    assert remote.ask("qXfer:exec-file:read::0,1000") == "l" + program
    assert remote.ask("qfThreadInfo") == "m2" and remote.ask("qsThreadInfo") == "l"
    assert remote.ask("qC") == "QC2" and remote.ask("T2") == "OK" and remote.ask("T3") == "E01"
    assert remote.ask("m0,8") == "E14"                           # nothing mapped at 0: EFAULT, not a crash
    regs = remote.ask("g")
    with open(program, "rb") as f:
        elf = f.read(64)
    entry = int.from_bytes(elf[24:32], "little")
    assert int.from_bytes(bytes.fromhex(regs[16 * 16:16 * 17]), "little") == entry    # rip, the 17th register
    text = remote.ask(f"m{entry:x},4")
    assert len(text) == 8 and text != "E14"
    assert remote.ask(f"Z0,{entry:x},1") == "OK"
    assert remote.ask(f"m{entry:x},4") == text            # an inserted breakpoint does not show in reads
    assert remote.ask(f"z0,{entry:x},1") == "OK" and remote.ask(f"m{entry:x},4") == text
    assert remote.ask("Z0,0,1") == "E14"                         # a breakpoint where nothing is mapped
    remote.sock.sendall(b"$D#44")
    status, stdout, _ = debugged.finish()
    assert status == 0 and stdout == b"x=42 counter=5\n"


def test_dynamic_program_faults_in_libc(tmp_path):
    """A fault inside the C library of a dynamic glibc program: the backtrace names the libc frame (from its
    symbols, or its debug information when libc6-dbg is installed), found through qXfer:libraries-svr4."""
    need(shutil.which("gcc") is not None, "gcc is not installed")
    program = tmp_path / "gdb_target-dynamic"
    subprocess.run(["gcc", "-g", "-O0", "-o", str(program), str(GUEST_DIR / "gdb_target.c")], check=True,
                   capture_output=True, timeout=120)
    out, (status, stdout, _) = run_gdb("x86_64", str(program), [
        "set debug remote 1", "continue", "set debug remote 0", "bt", "info sharedlibrary", "kill"], args=["libc"])
    assert "Program received signal SIGSEGV, Segmentation fault." in out, out
    assert re.search(r"Sending packet: \$qXfer:libraries-svr4:read:", out), out
    assert re.search(r'Packet received: [lm]<library-list-svr4 version="1.0" main-lm="0x[0-9a-f]+">'
                     r'.*<library name="/\S*libc\.so\.6" lm="0x[0-9a-f]+"', out), out
    assert re.search(r"#0  0x[0-9a-f]+ in (__GI__IO_fwrite|_IO_fwrite|fwrite) \(.*"
                     r"(libio/iofwrite\.c:\d+|from /\S*libc\.so\.6)\n#1  0x[0-9a-f]+ in main \(argc=2, ", out), out
    assert re.search(r"0x[0-9a-f]+ +0x[0-9a-f]+ +Yes( \(\*\))? +/\S*libc\.so\.6", out), out
    assert "while parsing target library list" not in out and status == 128 + 9, out
    assert stdout == b"x=43 counter=5\n"


def test_catch_exec(isa, tmp_path):
    """`catch exec` stops after the program runs itself again; a breakpoint set then is in the new image."""
    program = compile_debug(isa, tmp_path)
    out, (status, stdout, _) = run_gdb(isa, program, ["catch exec", "continue", "info inferiors", "break add",
                                                      "continue", "bt 1", "continue"], args=["exec"])
    assert f"is executing new program: {program}" in out, out
    assert re.search(rf"Catchpoint 1 \(exec'd {re.escape(program)}\), ", out), out
    assert re.search(r"Breakpoint 2, add \(a=1, b=41\) at .*gdb_target\.c:\d+", out), out
    assert "[Inferior 1 (Remote target) exited normally]" in out, out
    assert status == 0 and stdout == b"x=43 counter=5\nx=42 counter=5\n", (status, stdout)


def test_catch_fork_follow_parent(isa, tmp_path):
    """--gdb-fork-events: `catch fork` stops the parent with the child's pid; gdb detaches the child (whose
    copy of the breakpoint it removes first), and the parent alone hits it."""
    program = compile_debug(isa, tmp_path, "gdb_fork")
    out, (status, stdout, _) = run_gdb(isa, program, ["catch fork", "break work", "continue", "continue", "bt 2",
                                                      "continue"], extra=["--gdb-fork-events"])
    assert re.search(r"Catchpoint 1 \(forked process 3\), ", out), out
    assert "[Detaching after fork from child process 3]" in out, out
    assert re.search(r"Breakpoint 2, work \(n=2\) at .*gdb_fork\.c:\d+", out) and "work (n=1)" not in out, out
    assert "[Inferior 1 (process 2) exited normally]" in out, out
    assert status == 0 and sorted(stdout.splitlines()) == [b"child 2", b"parent 3, child exited 0"], stdout


def test_follow_fork_mode_child(isa, tmp_path):
    """`set follow-fork-mode child`: gdb detaches the parent and debugs the child, which hits the breakpoint;
    the parent runs on without it."""
    program = compile_debug(isa, tmp_path, "gdb_fork")
    out, (status, stdout, _) = run_gdb(isa, program, ["set follow-fork-mode child", "break work", "continue",
                                                      "bt 2", "info inferiors", "continue"],
                                       extra=["--gdb-fork-events"])
    assert "[Detaching after fork from parent process 2]" in out, out
    assert re.search(r"hit Breakpoint 1, work \(n=1\) at .*gdb_fork\.c:\d+", out) and "work (n=2)" not in out, out
    assert re.search(r"^\* 2 +process 3 ", out, re.M), out
    assert "[Inferior 2 (process 3) exited normally]" in out, out
    assert status == 0 and sorted(stdout.splitlines()) == [b"child 2", b"parent 3, child exited 0"], stdout


def test_catch_vfork(isa, tmp_path):
    """`catch vfork`: the parent stops with the vfork child; once the child has exec'd (vforkdone) the
    breakpoints are back in the parent, which hits one."""
    program = compile_debug(isa, tmp_path, "gdb_fork")
    out, (status, stdout, _) = run_gdb(isa, program, ["catch vfork", "break work", "continue", "continue", "bt 1",
                                                      "continue"], args=["vfork"], extra=["--gdb-fork-events"])
    assert re.search(r"Catchpoint 1 \(vforked process 3\), ", out), out
    assert "[Detaching after vfork from child process 3]" in out, out
    assert re.search(r"Breakpoint 2, work \(n=2\) at .*gdb_fork\.c:\d+", out), out
    assert "[Inferior 1 (process 2) exited normally]" in out, out
    assert status == 0 and sorted(stdout.splitlines()) == \
        [b"child 2", b"parent 3, child exited 0", b"parent 3, child exited 0"], stdout


def test_protocol_events_and_libraries(tmp_path):
    """Without --gdb-fork-events only exec events are taken (no multiprocess: gdb keeps naming the program
    Remote target); a static program's library list is empty."""
    program = compile_debug("x86_64", tmp_path)
    debugged = Debugged(program)
    remote = Remote(debugged.port)
    features = remote.ask("qSupported:multiprocess+;swbreak+;fork-events+;vfork-events+;exec-events+").split(";")
    assert "exec-events+" in features and "qXfer:libraries-svr4:read+" in features
    assert "fork-events+" not in features and "multiprocess+" not in features
    assert remote.ask("qXfer:libraries-svr4:read::0,1000") == 'l<library-list-svr4 version="1.0"/>'
    remote.sock.sendall(b"$D#44")
    status, stdout, _ = debugged.finish()
    assert status == 0 and stdout == b"x=42 counter=5\n"
