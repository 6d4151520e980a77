"""`pynix run`: load a program into a fresh machine and run it the way qemu-user would.

Exit status: the guest's exit status, 128+N when it was killed by signal N; 126 when the file cannot be
executed (not an ELF, another machine, malformed), 127 when it does not exist.
"""
from __future__ import annotations

import argparse
import errno
import os
import sys

from pynix.errors import KernelError


def parse_size(text: str) -> int:
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    text = text.strip().upper().removesuffix("B").removesuffix("I")
    if text and text[-1] in units:
        return int(text[:-1]) * units[text[-1]]
    return int(text)


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run a Linux program", description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--arch", choices=["riscv64", "x86_64"], help="ISA of the machine (default: from the ELF header)")
    p.add_argument("--mem", default="256M", type=parse_size, help="guest RAM size (default 256M)")
    p.add_argument("--strace", action="store_true", help="print each syscall in strace format to stderr")
    p.add_argument("--sched", choices=["rr", "cfs"], default="rr",
                   help="scheduling policy: round robin (default) or CFS-like fair scheduling with nice values")
    p.add_argument("--pids-max", type=int, default=4096, metavar="N",
                   help="most tasks the machine may hold at once; fork beyond it fails with EAGAIN (default 4096)")
    p.add_argument("--disk", action="append", default=[], metavar="IMAGE:GUEST",
                   help="mount the FAT32 image IMAGE read-write on the guest directory GUEST (repeatable; "
                        "make one with `pynix mkfs.fat`)")
    p.add_argument("program", help="host path of the program")
    p.add_argument("args", nargs=argparse.REMAINDER, help="its arguments")
    p.set_defaults(func=run_command)


def _elf_arch_name(path: str) -> str | None:
    from pynix.arch import arch_for_elf_machine
    try:
        with open(path, "rb") as f:
            header = f.read(20)
    except OSError:
        return None
    if len(header) < 20 or header[:4] != b"\x7fELF":
        return None
    arch = arch_for_elf_machine(int.from_bytes(header[18:20], "little"))
    return arch.name if arch else None


def _open_disks(specs: list[str]) -> list | None:
    """[(guest path, superblock)] for the --disk options, or None after printing why one cannot be used."""
    from pynix.fs.fat32 import Fat32SuperBlock
    disks = []
    for spec in specs:
        image, sep, guest = spec.rpartition(":")
        if not sep or not image or not guest.startswith("/"):
            print(f"pynix: --disk {spec}: expected IMAGE:GUEST with an absolute guest directory", file=sys.stderr)
            return None
        try:
            disks.append((guest, Fat32SuperBlock(image, uid=os.getuid(), gid=os.getgid())))
        except KernelError as err:
            print(f"pynix: --disk {spec}: cannot mount: {err}", file=sys.stderr)
            return None
    return disks


def run_command(args: argparse.Namespace) -> int:
    from pynix.arch import arch_by_name
    from pynix.kernel import Kernel

    path = args.program
    if not os.path.exists(path):
        print(f"pynix: {path}: No such file or directory", file=sys.stderr)
        return 127
    arch = arch_by_name(args.arch or _elf_arch_name(path) or "x86_64")
    if args.mem < (4 << 20) or args.mem % (2 << 20):
        print("pynix: --mem must be a multiple of 2M and at least 4M", file=sys.stderr)
        return 2
    trace = (lambda line: print(line, file=sys.stderr, flush=True)) if args.strace else None
    disks = _open_disks(args.disk)
    if disks is None:
        return 2
    kernel = Kernel(arch, args.mem, strace=trace, sched=args.sched, pids_max=args.pids_max, disks=disks)
    mounted = {id(m.sb) for m in kernel.mounts.mounts}
    for guest, sb in disks:
        if id(sb) not in mounted:
            print(f"pynix: --disk {sb.image}:{guest}: no directory {guest} in the guest", file=sys.stderr)
            return 2
    argv = [os.fsencode(path)] + [os.fsencode(a) for a in args.args]
    envp = [os.fsencode(f"{k}={v}") for k, v in os.environ.items()]
    try:
        kernel.spawn(path, argv, envp, cwd=os.getcwd())
    except KernelError as err:
        reason = str(err) or os.strerror(err.errno)
        print(f"pynix: {path}: cannot execute: {reason}", file=sys.stderr)
        return 127 if err.errno == errno.ENOENT else 126
    status = kernel.run()
    for _guest, sb in disks:
        sb.close()
    if status & 0x7F:
        if args.strace:
            print(f"+++ killed by signal {status & 0x7F} +++", file=sys.stderr)
        return 128 + (status & 0x7F)
    if args.strace:
        print(f"+++ exited with {status >> 8} +++", file=sys.stderr)
    return status >> 8
