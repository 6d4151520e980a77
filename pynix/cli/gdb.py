"""`pynix gdb PROGRAM [ARGS...]`: run PROGRAM under `pynix run --gdb` and gdb attached to it.

pynix runs in a session of its own, so a Ctrl-C typed at gdb reaches gdb alone (which interrupts the program
through the stub) rather than the program; when stdin is a terminal, gdb keeps it and the program's stdin is
/dev/null.  gdb is Debian's `gdb` for a program of the host's ISA, `gdb-multiarch` otherwise.
"""
from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import threading


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("gdb", help="debug a program running under pynix with gdb", description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--gdb-program", metavar="GDB", help="the gdb to run (default: gdb, or gdb-multiarch for "
                                                         "another ISA's program)")
    p.add_argument("--ex", action="append", default=[], metavar="COMMAND",
                   help="a gdb command to run once attached (repeatable, as gdb -ex)")
    p.add_argument("--batch", action="store_true", help="run gdb in batch mode: the --ex commands, then quit")
    p.add_argument("--run-option", action="append", default=[], metavar="OPTION",
                   help="an option for `pynix run`, such as --arch=riscv64 or --strace (repeatable)")
    p.add_argument("program", help="the program to debug")
    p.add_argument("args", nargs=argparse.REMAINDER, help="its arguments")
    p.set_defaults(func=gdb_command)


def _default_gdb(program: str) -> str:
    from pynix.cli.run import _elf_arch_name
    host = {"amd64": "x86_64"}.get(platform.machine().lower(), platform.machine().lower())
    isa = _elf_arch_name(program)
    return "gdb" if isa in (None, host) else "gdb-multiarch"


def gdb_command(args: argparse.Namespace) -> int:
    gdb = args.gdb_program or _default_gdb(args.program)
    if shutil.which(gdb) is None:
        print(f"pynix gdb: {gdb} is not installed", file=sys.stderr)
        return 127
    stdin = subprocess.DEVNULL if os.isatty(0) else None
    pynix = subprocess.Popen([sys.executable, "-m", "pynix", "run", "--gdb", "127.0.0.1:0", *args.run_option,
                              args.program, *args.args], stdin=stdin, stderr=subprocess.PIPE,
                             start_new_session=True)
    line = pynix.stderr.readline().decode(errors="replace")
    port = re.search(r"waiting for gdb on [^:\s]+:(\d+)", line)
    if port is None:                               # pynix refused the program: say why
        sys.stderr.write(line + pynix.stderr.read().decode(errors="replace"))
        return pynix.wait()
    threading.Thread(target=_copy, args=(pynix.stderr,), daemon=True).start()
    argv = [gdb, "-q", "-nx"] + (["-batch"] if args.batch else []) + \
        ["-ex", f"target remote 127.0.0.1:{port.group(1)}"]
    for command in args.ex:
        argv += ["-ex", command]
    subprocess.run(argv + [args.program])
    try:
        return pynix.wait(timeout=10)
    except subprocess.TimeoutExpired:              # gdb quit without ending it (detached): it runs on
        return pynix.wait()


def _copy(stream) -> None:
    for chunk in iter(lambda: stream.read1(4096), b""):
        sys.stderr.buffer.write(chunk)
        sys.stderr.flush()
