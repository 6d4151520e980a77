"""`pynix bench`: run the guest benchmarks (bench/*.c) and the start-up benchmarks under pynix and the reference
runners, print a table.

    pynix bench [NAMES...] [--arch x86_64|riscv64] [--runners native,qemu,floor,pynix,qiling] [--repeat N]
                [--json FILE] [--plot FILE.png] [--quick] [--args NAME=ARGS] [--timeout S] [--strict] [--list]

NAMES are benchmarks or the groups `micro` (the guest programs) and `startup` (whole commands); default: all.

Runners:
  native  the binary on the host CPU (x86_64 only, and only on an x86_64 host)
  qemu    qemu-user (`qemu-x86_64` / `qemu-riscv64`, Debian's qemu-user), when on PATH
  floor   pynix's CPU without a kernel (`python -m pynix.cli.floor BINARY ARGS`): the `cpu` benchmark's compute
          loop, the program's own function, on the CPU pynix builds with a flat address translation and no
          timer -- what guest code cannot beat under pynix (pynix/floor near 1.0x: the kernel costs nothing)
  pynix   `python -m pynix run --arch ARCH BINARY ARGS`
  qiling  the Qiling framework in a separate interpreter, only when `qiling` is importable (never required;
          guest programs only)

Micro-benchmarks: every runner executes the very same static musl binary (built by pynix.devtools.guestcc).  The
benchmarks time themselves inside the guest and print `RESULT <name> <value> <unit>` lines (unit us/op or MB/s);
the runner also records each run's wall-clock time.

Start-up benchmarks (`start_*`): a whole command -- the host's /bin/true, python3, busybox, gcc, or the riscv64
busybox of build/riscv64-sysroot -- timed end to end from the host as hyperfine does: one untimed warm-up, then
several runs per repeat, the median in ms.  `start_static` (a static program that exits at once) isolates each
runner's own start-up: for pynix the interpreter, the kernel's boot and the ELF load.

Within each repeat all runners run a benchmark back to back, in an order that rotates from one repeat to the next,
so slow drift of the machine hits every runner alike.  The tables show the median over the repeats and how many
times slower the subject runner (pynix, when it is selected) is than each other runner -- for bandwidths too
(reference MB/s divided by pynix MB/s), so a bigger number is always worse; the start-up table also gives the
difference in ms.  A run that exits non-zero, prints `FAIL`/`ERROR`, misses a RESULT line or times out is a
failure: its cell says "failed[n]" and footnote n says why; the other runs go on.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import shlex
import statistics
import sys
import tempfile
from pathlib import Path

from pynix.cli.bench_report import fmt, plot, render, render_walls, Session, to_json
from pynix.cli.bench_runners import (Outcome, prepare_startup, Prepared, run_once, run_startup, runner_command,
                                     runner_unavailable)
from pynix.cli.bench_suite import ALL, ARCHES, BENCHMARKS, Benchmark, build, GROUPS, RUNNERS, Startup


def _split_list(text: str, allowed: tuple[str, ...], what: str, parser: argparse.ArgumentParser) -> list[str]:
    items = [t.strip() for t in text.split(",") if t.strip()]
    bad = [t for t in items if t not in allowed]
    if bad or not items:
        parser.error(f"{what}: expected a comma-separated list of {', '.join(allowed)}; got {text!r}")
    return list(dict.fromkeys(items))


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "bench", help="run the guest and start-up benchmarks under pynix and reference runners",
        description=__doc__.split("\n\n", 2)[2], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("names", nargs="*", metavar="NAME",
                   help=f"benchmarks or groups to run (default: all): {', '.join([*GROUPS, *ALL])}")
    p.add_argument("--arch", default=",".join(ARCHES),
                   help="x86_64, riscv64 or both comma-separated (default: both)")
    p.add_argument("--runners", default=",".join(RUNNERS),
                   help="comma-separated subset of native,qemu,floor,pynix,qiling (default: all that are available)")
    p.add_argument("--repeat", type=int, default=None, metavar="N",
                   help="repeats of every benchmark under every runner (default 3, with --quick 1); a start-up "
                        "benchmark runs several times per repeat")
    p.add_argument("--json", metavar="FILE", help="write every value, the medians and the machine to FILE")
    p.add_argument("--plot", metavar="FILE.png", help="draw a log-scale grouped bar chart (needs matplotlib)")
    p.add_argument("--timeout", type=float, default=300, metavar="S", help="seconds before a run is killed")
    p.add_argument("--quick", action="store_true",
                   help="a smoke test that everything runs, not a measurement: tiny iteration counts, one "
                        "repeat, start-up commands once each without warm-up")
    p.add_argument("--args", action="append", default=[], metavar="NAME=ARGS",
                   help="arguments for one benchmark program, e.g. --args syscall=1000000 --args cpu=16")
    p.add_argument("--scale", action="store_true",
                   help="run the scale cases instead (pynix/cli/bench_scale.py): fork with touched memory, "
                        "switches among many runnable processes, stat in big directories and deep paths, "
                        "host memory per sleeping process; NAMES are then scale cases (scale_fork_64...) or "
                        "`sleepers`")
    p.add_argument("--strict", action="store_true", help="exit 1 if any run failed")
    p.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    p.set_defaults(func=main, _parser=p)


def _guarded(run, *args) -> Outcome:
    """`run(*args)`, with a crash of the runner's own code reported as that run's failure instead of ending the
    whole session."""
    try:
        return run(*args)
    except Exception as exc:  # noqa: BLE001 -- the table says what went wrong, the other runs go on
        return Outcome({}, 0.0, f"pynix bench: {type(exc).__name__}: {exc}")


def _progress(rep: int, repeat: int, arch: str, name: str, runner: str, outcomes: list[Outcome]) -> None:
    walls = [o.wall for o in outcomes]
    wall = f"{statistics.median(walls):6.2f} s" + (f" (median of {len(walls)})" if len(walls) > 1 else "")
    errors = [o.error for o in outcomes if o.error is not None]
    if errors:
        status = f"FAILED: {errors[0]}" + (f" ({len(errors)} of {len(outcomes)} runs)" if len(outcomes) > 1 else "")
    else:  # the median of every result, like the wall time
        status = ", ".join(f"{n}={fmt(statistics.median(o.results[n][0] for o in outcomes))} {u}"
                           for n, (_, u) in outcomes[0].results.items())
    print(f"[{rep + 1}/{repeat}] {arch:7} {name:13} {runner:6} {wall}  {status}", file=sys.stderr, flush=True)


def main(args: argparse.Namespace) -> int:
    parser: argparse.ArgumentParser = args._parser
    if args.list:
        for b in ALL.values():
            print(f"{b.name:13} {b.summary}  [{', '.join(b.results)}]")
        for group, names in GROUPS.items():
            print(f"{group:13} group: {' '.join(names)}")
        return 0
    unknown = [] if args.scale else [n for n in args.names if n not in ALL and n not in GROUPS]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join([*GROUPS, *ALL])}")
    if args.repeat is None:
        args.repeat = 1 if args.quick else 3
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    arches = _split_list(args.arch, ARCHES, "--arch", parser)
    wanted = _split_list(args.runners, RUNNERS, "--runners", parser)
    explicit = args.runners != ",".join(RUNNERS)
    bench_args: dict[str, list[str]] = {}
    for item in args.args:
        name, sep, rest = item.partition("=")
        if not sep or name not in BENCHMARKS:
            parser.error(f"--args: expected NAME=ARGS with NAME one of {', '.join(BENCHMARKS)}; got {item!r}")
        bench_args[name] = shlex.split(rest)
    args.bench_args = bench_args
    if args.plot and importlib.util.find_spec("matplotlib") is None:
        print("pynix bench: --plot needs matplotlib, which is not installed (pip install matplotlib)",
              file=sys.stderr)
        return 2

    if args.scale:
        from pynix.cli.bench_scale import SCALE
        benches = [b for b in SCALE if not args.names or b.name in args.names or b.program in args.names]
    else:
        names = [m for n in (args.names or ALL) for m in GROUPS.get(n, (n,))]
        benches = [ALL[n] for n in dict.fromkeys(names)]
    session = Session(arches=arches, runners={}, benches=benches)
    for arch in arches:
        session.runners[arch] = []
        for runner in wanted:
            why = runner_unavailable(runner, arch)
            if why is None:
                session.runners[arch].append(runner)
            elif (explicit or runner != "qiling") and not (runner == "native" and arch != "x86_64"):
                session.skipped.append(f"{runner} for {arch}: {why}")
    if any("qiling" in session.runners[a] for a in arches) and any(isinstance(b, Startup) for b in benches):
        session.skipped.append("qiling for the start-up benchmarks: they run under native, qemu and pynix only")

    with tempfile.TemporaryDirectory(prefix="pynix-bench-") as scratch:
        binaries: dict[tuple[str, str], Path | str] = {}
        prepared: dict[tuple[str, str], Prepared] = {}
        for arch in arches:
            if not session.runners[arch]:
                continue
            for bench in benches:
                if isinstance(bench, Benchmark) or any(a[0] == "{guest}" for a in bench.commands.get(arch, ())):
                    binaries[(arch, bench.name)] = build(bench, arch)
                if isinstance(bench, Startup):
                    prep = prepare_startup(bench, arch, Path(scratch), binaries.get((arch, bench.name)))
                    if isinstance(prep, str):
                        session.absent[(arch, bench.name)] = prep
                    else:
                        prepared[(arch, bench.name)] = prep
        try:
            for rep in range(args.repeat):
                for arch in arches:
                    for bench in benches:
                        runners = session.runners_of(arch, bench)
                        if not runners:
                            continue
                        k = rep % len(runners)
                        order = runners[k:] + runners[:k]  # rotate the order: drift hits every runner alike
                        if isinstance(bench, Startup):
                            _run_startup_repeat(session, args, rep, arch, bench, prepared[(arch, bench.name)],
                                                order)
                            continue
                        binary = binaries[(arch, bench.name)]
                        argv = bench_args.get(bench.name, list(bench.quick) if args.quick else list(bench.args))
                        for runner in order:
                            if isinstance(binary, str):
                                outcome = Outcome({}, 0.0, binary)
                            else:
                                outcome = _guarded(lambda: run_once(runner_command(runner, arch, binary, argv),
                                                                    bench, args.timeout))
                            session.record(arch, bench, runner, outcome)
                            _progress(rep, args.repeat, arch, bench.name, runner, [outcome])
        except KeyboardInterrupt:
            print("\npynix bench: interrupted; the results so far:", file=sys.stderr)
            session.skipped.append("the rest: interrupted")

    print()
    print(render(session))
    walls = render_walls(session)
    if walls and not args.scale:
        print(walls)
    if args.scale and "pynix" in wanted and (not args.names or "sleepers" in args.names):
        from pynix.cli.bench_scale import sleepers_report
        print(sleepers_report(arches, args.quick, args.timeout))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(to_json(session, args, binaries), indent=1) + "\n")
        print(f"wrote {args.json}")
    if args.plot:
        Path(args.plot).parent.mkdir(parents=True, exist_ok=True)
        plot(session, args.plot)
        print(f"wrote {args.plot}")
    failed = any(c.errors for c in session.cells.values())
    return 1 if args.strict and failed else 0


def _run_startup_repeat(session: Session, args: argparse.Namespace, rep: int, arch: str, bench: Startup,
                        prep: Prepared, order: list[str]) -> None:
    """One repeat of a start-up benchmark: a warm-up run per runner (the first repeat, unless --quick; a failed
    warm-up is recorded and that runner sits out the repeat), then `bench.runs` timed runs, the runners taking
    turns run by run."""
    runs = 1 if args.quick else bench.runs
    outcomes: dict[str, list[Outcome]] = {r: [] for r in order}
    active = list(order)
    if rep == 0 and not args.quick:
        for runner in order:
            warm = _guarded(run_startup, runner, arch, bench, prep, args.timeout)
            if warm.error is not None:
                session.record(arch, bench, runner, warm)
                outcomes[runner].append(warm)
                active.remove(runner)
    for _ in range(runs):
        for runner in active:
            outcome = _guarded(run_startup, runner, arch, bench, prep, args.timeout)
            session.record(arch, bench, runner, outcome)
            outcomes[runner].append(outcome)
    for runner in order:
        _progress(rep, args.repeat, arch, bench.name, runner, outcomes[runner])
