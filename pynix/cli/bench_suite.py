"""The benchmarks of `pynix bench` (see cli/bench.py): the guest micro-benchmarks (bench/*.c, `Benchmark`), the
start-up commands (`Startup`), their groups, and how a benchmark's binary is built for an ISA.
"""
from __future__ import annotations

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path


ROOT = Path(__file__).resolve().parents[2]
BENCH_DIR = ROOT / "bench"
ARCHES = ("x86_64", "riscv64")
RUNNERS = ("native", "qemu", "floor", "pynix", "qiling")
TARGET = {"x86_64": "x86_64-musl", "riscv64": "riscv64-musl"}
QEMU = {"x86_64": "qemu-x86_64", "riscv64": "qemu-riscv64"}


@dataclass(frozen=True)
class Benchmark:
    name: str                 # bench/<name>.c
    results: tuple[str, ...]  # the RESULT names it prints, in order
    summary: str              # one line for --list and docs/performance.md
    quick: tuple[str, ...]    # arguments for --quick (a smoke test, not a measurement)
    notes: dict[str, str] = field(default_factory=dict)  # runner -> caveat printed under the table
    floor: bool = False       # the floor runner (pynix/cli/floor.py) runs its compute loop too
    program: str = ""         # bench/<program>.c when not bench/<name>.c (the --scale cases share one)
    args: tuple[str, ...] = ()  # its arguments when --args gives none


BENCHMARKS: dict[str, Benchmark] = {b.name: b for b in (
    Benchmark("syscall", ("syscall",), "getpid() via syscall(SYS_getpid) in a loop: null syscall latency", ("2000",)),
    Benchmark("ctxsw", ("ctxsw",), "two processes pinned to one CPU ping-pong a byte over two pipes: per switch",
              ("100",)),
    Benchmark("pipe_lat", ("pipe_self", "pipe_lat"),
              "1-byte write+read on one pipe in one process; round trip between two processes", ("100",)),
    Benchmark("pipe_bw", ("pipe_bw",), "64 KiB chunks from a child to its parent through a pipe", ("2",)),
    Benchmark("tcp", ("tcp_lat", "tcp_bw"), "1-byte round trip between two processes over 127.0.0.1 TCP; "
              "64 KiB chunks from a child to its parent over one connection", ("100", "2")),
    Benchmark("file_read", ("file_read_1m", "file_read_4k"),
              "read() of a 64 MiB /tmp file from the page cache, 1 MiB and 4 KiB at a time", ("2",)),
    Benchmark("stat", ("stat",), "stat() of a file in /tmp", ("200",)),
    Benchmark("fork", ("fork",), "fork + child _exit + waitpid", ("5",)),
    Benchmark("exec", ("exec",), "fork + execve of itself + exit + waitpid", ("2",), notes={
        "qemu": "qemu-user does not follow execve: under qemu-x86_64 the exec'd child runs natively, and "
                "qemu-riscv64 fails with ENOEXEC unless binfmt_misc routes riscv64 binaries back to qemu"}),
    Benchmark("pagefault", ("pagefault",), "write one byte to each page of a fresh 64 MiB anonymous mapping",
              ("2",)),
    Benchmark("mmap", ("mmap",), "mmap 1 MiB anonymous + touch first/last page + munmap", ("100",)),
    Benchmark("cpu", ("cpu",), "CRC-32 (slicing-by-8) over 64 MiB of generated data: guest code speed, no syscalls", ("1",),
              floor=True),
)}


# The riscv64 file tree made by tools/riscv64-sysroot: its programs run under `qemu-riscv64 -L` / `pynix run -L`.
SYSROOTS = {"riscv64": ROOT / "build" / "riscv64-sysroot"}
STARTUP_FILES = BENCH_DIR / "startup"


@dataclass(frozen=True)
class Startup:
    """A whole command timed end to end from the host, as hyperfine does: the median wall time of many runs, in ms.

    `commands` maps an arch to the argvs run one after the other (their times add up).  A bare program name is
    looked up in PATH; `{guest}` is bench/<name>.c built like a micro-benchmark, `{sysroot}` the arch's
    SYSROOTS entry (the program then runs with `-L SYSROOT` under qemu and pynix).  An arch without commands has
    no such program: the benchmark is skipped there with a note.  With `files`, the runs start in a fresh
    scratch directory holding those files of bench/startup/, which pynix sees read-write (`--mount`), so a
    step's output is the next step's input.  qemu-user runs the programs a guest exec's natively; `qemu_tools`
    are gcc helpers that are run under qemu too, through `gcc -B DIR/` scripts (see `qemu_wrappers`)."""
    name: str
    summary: str
    commands: dict[str, tuple[tuple[str, ...], ...]]
    runs: int                                         # timed runs per repeat, after one untimed warm-up
    files: tuple[str, ...] = ()
    qemu_tools: tuple[str, ...] = ()
    notes: dict[str, str] = field(default_factory=dict)
    pynix_options: tuple[str, ...] = ()               # `pynix run` options of this row (--cpus N)

    @property
    def results(self) -> tuple[str, ...]:
        return (self.name,)


# start_cc_j2_*: make -j2 by hand (GNU make's -j2 under pynix waits for ever in pselect: a SIGCHLD that its
# temporary mask unblocks does not end the wait -- a kernel bug of its own, not of SMP).
PARALLEL_BUILD = ("gcc -O2 -c smp_main.c & gcc -O2 -c smp_crc.c & wait; gcc -O2 -c smp_sort.c & "
                  "gcc -O2 -c smp_fib.c & wait; gcc -o smp smp_main.o smp_crc.o smp_sort.o smp_fib.o && ./smp")

STARTUPS: dict[str, Startup] = {s.name: s for s in (
    Startup("start_static", "a static musl program that returns 0 at once: the runner's own start-up",
            {"x86_64": (("{guest}",),), "riscv64": (("{guest}",),)}, runs=10),
    Startup("start_true", "the host's /bin/true (dynamic glibc: ld.so, libc)",
            {"x86_64": (("/bin/true",),)}, runs=10),
    Startup("start_busybox", "busybox sh -c true: the host's static busybox; riscv64: build/riscv64-sysroot's",
            {"x86_64": (("/bin/busybox", "sh", "-c", "true"),),
             "riscv64": (("{sysroot}/usr/bin/busybox", "sh", "-c", "true"),)}, runs=10),
    Startup("start_python3", "the host's python3 -c pass (dynamic glibc; imports site, encodings)",
            {"x86_64": (("/usr/bin/python3", "-c", "pass"),)}, runs=5),
    Startup("start_gcc", "the host's gcc -O2 -c hello.c, then gcc -o hello hello.o: driver, cc1, as, collect2, ld",
            {"x86_64": (("gcc", "-O2", "-c", "hello.c"), ("gcc", "-o", "hello", "hello.o"))}, runs=2,
            files=("hello.c",), qemu_tools=("cc1", "as", "collect2", "ld"),
            notes={"qemu": "qemu-user runs exec'd programs natively; gcc is given -B DIR/ with scripts that run "
                           "cc1, as, collect2 and ld under qemu too (each through a native /bin/sh)"}),
    *(Startup(f"start_cc_j2_cpus{cpus}", f"a 4-file C project built two compiles at a time (as make -j2 would) "
              f"with the host's gcc, then linked; pynix with --cpus {cpus} (the two rows' ratio is pynix's SMP "
              f"scaling)", {"x86_64": (("sh", "-c", PARALLEL_BUILD),)}, runs=1,
              files=("smp_main.c", "smp_crc.c", "smp_sort.c", "smp_fib.c"), pynix_options=("--cpus", str(cpus)),
              notes={"qemu": "qemu-user runs the programs sh exec's (gcc, cc1, as, ld) natively"})
      for cpus in (1, 2)),
)}

AnyBenchmark = Benchmark | Startup
ALL: dict[str, AnyBenchmark] = {**BENCHMARKS, **STARTUPS}
GROUPS = {"micro": tuple(BENCHMARKS), "startup": tuple(STARTUPS)}
STARTUP_RUNNERS = ("native", "qemu", "pynix")


def cpu_reference_crc(mib: int = 64) -> int:
    """zlib.crc32 of the data bench/cpu.c generates (xorshift64*, fixed seed): the source of its CRC_64MIB.

    Pure Python, ~8 s for 64 MiB; run it after changing the generator and paste the value into bench/cpu.c."""
    import struct
    import zlib

    mask = (1 << 64) - 1
    x, crc, out, pack = 0x9E3779B97F4A7C15, 0, [], struct.Struct("<Q").pack
    for _ in range(mib * (1 << 20) // 8):
        x ^= x >> 12
        x = (x ^ (x << 25)) & mask
        x ^= x >> 27
        out.append(pack((x * 0x2545F4914F6CDD1D) & mask))
        if len(out) == 65536:
            crc, out = zlib.crc32(b"".join(out), crc), []
    return zlib.crc32(b"".join(out), crc)


def build(bench: AnyBenchmark, arch: str) -> Path | str:
    """The benchmark's binary for `arch`, or a string saying why it could not be built."""
    from pynix.devtools.guestcc import compile_guest

    header = (BENCH_DIR / "bench.h").read_bytes()
    # compile_guest keys its cache on the source and the flags: put the header's hash in the flags too.
    flags = ("-O2", f"-DBENCH_H_SHA256={hashlib.sha256(header).hexdigest()[:12]}")
    try:
        return compile_guest(BENCH_DIR / f"{getattr(bench, 'program', '') or bench.name}.c", TARGET[arch], flags)
    except Exception as exc:  # noqa: BLE001 -- reported in the table, the other benchmarks go on
        lines = str(exc).strip().splitlines()
        errors = [ln.strip() for ln in lines if "error" in ln.lower() and not ln.startswith("building ")]
        return f"build failed: {(errors or lines or ['?'])[0][:200]}"
