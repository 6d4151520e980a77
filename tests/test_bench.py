"""`pynix bench` as a command: a `--quick` smoke run of a micro-benchmark and a start-up benchmark must give a
report with numbers under every runner, and a failing benchmark must be reported while the others go on.

No timing is asserted: the machine is shared and the numbers of a --quick run mean nothing.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import pytest

from harness import ROOT, host_isa, need, toolchain_missing
from pynix.cli import bench_report, bench_runners, bench_suite

NUMBER = re.compile(r"^\d+(\.\d+)?(e[+-]\d+)?$")


def run_bench(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pynix", "bench", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)


def tables(report: str) -> dict[str, dict[str, dict[str, str]]]:
    """The Markdown tables of a report: title -> row name -> column header -> cell."""
    found: dict[str, dict[str, dict[str, str]]] = {}
    title, header = None, None
    for line in report.splitlines():
        if line.startswith("### "):
            title, header = line[4:], None
        elif line.startswith("|") and title is not None:
            cells = [c.strip() for c in line.strip("|").split("|")]
            if header is None:
                header = cells
            elif not set(line) <= set("|-: "):
                found.setdefault(title, {})[cells[0]] = dict(zip(header, cells))
    return found


def runners_for(arch: str) -> list[str]:
    need(toolchain_missing(f"{arch}-musl") is None, f"no {arch}-musl toolchain: {toolchain_missing(f'{arch}-musl')}")
    need(shutil.which(bench_suite.QEMU[arch]) is not None, f"{bench_suite.QEMU[arch]} is not installed")
    if arch == "x86_64":
        need(host_isa() == "x86_64", "native x86_64 runs need an x86_64 host")
        return ["native", "qemu", "pynix"]
    return ["qemu", "pynix"]


@pytest.mark.parametrize("arch", ["x86_64", "riscv64"])
def test_quick_report_has_every_runner(arch, tmp_path):
    """syscall (a guest program timing itself) and start_static (a whole command timed from the host)."""
    runners = runners_for(arch)
    out = tmp_path / "bench.json"
    proc = run_bench("--quick", "--strict", "--arch", arch, "--runners", ",".join(runners), "--json", str(out),
                     "syscall", "start_static")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    found = tables(proc.stdout)
    micro, startup = found[arch], found[next(t for t in found if t.startswith(f"{arch} start-up"))]
    for row, unit in ((micro["syscall"], "us/op"), (startup["start_static"], "ms")):
        assert row["unit"] == unit
        for runner in runners:
            assert NUMBER.match(row[runner]), (runner, row)
        for other in runners[:-1]:
            assert re.fullmatch(r"\d+(\.\d+)?x", row[f"pynix/{other}"]), row
    assert NUMBER.match(startup["start_static"][f"pynix-{runners[0]}"]), startup
    assert f"pynix start-up overhead, {arch}:" in proc.stdout
    results = json.loads(out.read_text())["results"]
    got = {(r["result"], r["runner"]): r for r in results}
    for result in ("syscall", "start_static"):
        for runner in runners:
            r = got[(result, runner)]
            assert r["errors"] == [] and r["median"] > 0, r


def test_failure_is_reported_and_the_rest_goes_on():
    """A benchmark whose every run fails (a bad argument: the program exits 64 with a usage line) gets failed[n]
    cells and a footnote with the program's own message; the other benchmark still runs; --strict exits 1."""
    runners = runners_for("x86_64")
    proc = run_bench("--quick", "--strict", "--arch", "x86_64", "--runners", ",".join(runners),
                     "--args", "syscall=-1", "syscall", "start_true")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    found = tables(proc.stdout)
    row = found["x86_64"]["syscall"]
    notes = {}
    for runner in runners:
        m = re.fullmatch(r"failed\[(\d+)\]", row[runner])
        assert m, row
        notes[runner] = m.group(1)
    for runner, n in notes.items():
        footnote = re.search(rf"^\[{n}\] {runner} \(x86_64 syscall\): (.*)$", proc.stdout, re.M)
        assert footnote and "exit 64" in footnote.group(1) and "positive integer" in footnote.group(1), proc.stdout
    startup = found["x86_64 start-up (whole commands timed from the host, median ms)"]["start_true"]
    assert all(NUMBER.match(startup[r]) for r in runners), startup


def test_missing_program_is_skipped_with_a_note():
    """A start-up command without a riscv64 program is left out of the riscv64 table and named under it."""
    runners = runners_for("riscv64")
    proc = run_bench("--quick", "--arch", "riscv64", "--runners", ",".join(runners), "start_true")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "start_true" not in "".join(tables(proc.stdout).get("riscv64", {}))
    assert "skipped: start_true on riscv64: no riscv64 counterpart of this command" in proc.stdout


def test_table_rendering_without_running():
    """render() of a made-up session: medians, ratios, the ms difference and footnotes for partial failures."""
    start = bench_suite.STARTUPS["start_static"]
    session = bench_report.Session(arches=["x86_64"], runners={"x86_64": ["native", "qemu", "pynix"]},
                                benches=[bench_suite.BENCHMARKS["syscall"], start])
    for runner, values in (("native", [1.0, 3.0, 2.0]), ("qemu", [20.0]), ("pynix", [500.0, 400.0])):
        for v in values:
            session.record("x86_64", start, runner, bench_runners.Outcome({"start_static": (v, "ms")}, v / 1000, None))
    session.record("x86_64", bench_suite.BENCHMARKS["syscall"], "native",
                   bench_runners.Outcome({"syscall": (0.25, "us/op")}, 0.01, None))
    session.record("x86_64", bench_suite.BENCHMARKS["syscall"], "pynix", bench_runners.Outcome({}, 0.3, "exit 2"))
    report = bench_report.render(session)
    found = tables(report)
    assert found["x86_64"]["syscall"] == {
        "benchmark": "syscall", "unit": "us/op", "native": "0.25", "qemu": "-", "pynix": "failed[1]",
        "pynix/native": "-", "pynix/qemu": "-"}
    row = found["x86_64 start-up (whole commands timed from the host, median ms)"]["start_static"]
    assert row == {"benchmark": "start_static", "unit": "ms", "native": "2.00", "qemu": "20.0", "pynix": "450",
                   "pynix/native": "225.0x", "pynix/qemu": "22.5x", "pynix-native": "448"}
    assert "[1] pynix (x86_64 syscall): exit 2" in report
    assert "pynix start-up overhead, x86_64: 448 ms (start_static: pynix 450 ms, native 2.00 ms)" in report


@pytest.mark.parametrize("arch", ["x86_64", "riscv64"])
def test_floor_runner_times_the_cpu_loop(arch):
    """The floor runner runs the cpu benchmark's own CRC function on pynix's CPU without a kernel: the digest it
    prints is the program's (under pynix), the cpu row gets a floor column and pynix/floor, and a benchmark
    without a floor shows "-" there."""
    need(toolchain_missing(f"{arch}-musl") is None, f"no {arch}-musl toolchain")
    binary = bench_suite.build(bench_suite.BENCHMARKS["cpu"], arch)
    floor = subprocess.run([sys.executable, "-m", "pynix.cli.floor", str(binary), "2"], cwd=ROOT,
                           capture_output=True, text=True, timeout=300)
    program = subprocess.run([sys.executable, "-m", "pynix", "run", str(binary), "2"], cwd=ROOT,
                             capture_output=True, text=True, timeout=300)
    assert floor.returncode == 0 and program.returncode == 0, floor.stdout + floor.stderr + program.stdout
    info = [line for line in program.stdout.splitlines() if line.startswith("INFO crc32=")]
    assert info and floor.stdout.splitlines()[0] == info[0], (floor.stdout, program.stdout)
    assert re.fullmatch(r"RESULT cpu \d+(\.\d+)? MB/s", floor.stdout.splitlines()[1]), floor.stdout
    proc = run_bench("--quick", "--strict", "--arch", arch, "--runners", "floor,pynix", "cpu", "syscall")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = tables(proc.stdout)[arch]
    assert NUMBER.match(rows["cpu"]["floor"]) and NUMBER.match(rows["cpu"]["pynix"]), rows
    assert re.fullmatch(r"\d+(\.\d+)?x", rows["cpu"]["pynix/floor"]), rows
    assert rows["syscall"]["floor"] == "-" and NUMBER.match(rows["syscall"]["pynix"]), rows


def test_floor_symbols_and_a_binary_without_them():
    """floor.symbols reads a static binary's symbol table; a binary without the cpu functions is an ERROR."""
    from pynix.cli.floor import symbols
    need(toolchain_missing("x86_64-musl") is None, "no x86_64-musl toolchain")
    binary = bench_suite.build(bench_suite.BENCHMARKS["cpu"], "x86_64")
    found = symbols(binary.read_bytes())
    assert {"crc_table", "generate", "make_table", "main"} <= set(found)
    other = bench_suite.build(bench_suite.BENCHMARKS["syscall"], "x86_64")
    proc = subprocess.run([sys.executable, "-m", "pynix.cli.floor", str(other)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 2 and proc.stdout.startswith("ERROR ") and "crc_table" in proc.stdout, proc.stdout


def test_scale_quick_runs_every_case():
    """--scale --quick: every scale case (bench/scale.c, tiny sizes under the real RESULT names) gives a number,
    and the host-memory table has pynix's RSS with 1 and 3 sleeping guest processes."""
    from pynix.cli.bench_scale import SCALE
    need(toolchain_missing("x86_64-musl") is None, "no x86_64-musl toolchain")
    proc = run_bench("--scale", "--quick", "--strict", "--arch", "x86_64", "--runners", "pynix")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = tables(proc.stdout)["x86_64"]
    for case in SCALE:
        assert NUMBER.match(rows[case.results[0]]["pynix"]), (case.name, rows)
    memory = tables(proc.stdout)["host memory of pynix with sleeping guest processes (VmRSS)"]
    assert NUMBER.match(memory["x86_64"]["pynix RSS (MiB)"]), memory
    rss = [line for line in proc.stdout.splitlines() if line.startswith("| x86_64 |")]
    assert [line.split("|")[2].strip() for line in rss] == ["1", "3"], rss
    per_process = rss[1].split("|")[4].strip()           # a difference of two RSS samples: noise may make it < 0
    assert NUMBER.match(per_process.removeprefix("-")), rss
