"""Compile guest C/C++ programs for the supported targets, caching the binaries under build/.

Targets:
  riscv64-musl, x86_64-musl  -- `python -m ziglang cc -target <isa>-linux-musl -static`
  x86_64-glibc               -- the host's `gcc -static` (C) / `g++ -static` (C++)

The cache key is the source text, the flags and the target, so editing a test program rebuilds it and nothing
else.  Binaries live in build/guest/<target>/ inside the source tree (ignored by git); zig's own cache (musl, libc++)
lives in build/zig-cache so the ~40 s first build per target is paid once per checkout.
"""
from __future__ import annotations

import hashlib
import re
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("PYNIX_BUILD_DIR", ROOT / "build"))

TARGETS = ("riscv64-musl", "x86_64-musl", "x86_64-glibc")


def _command(target: str, cplusplus: bool) -> list[str]:
    if target.endswith("-musl"):
        isa = target.split("-")[0]
        return [sys.executable, "-m", "ziglang", "c++" if cplusplus else "cc",
                "-target", f"{isa}-linux-musl", "-static"]
    if target == "x86_64-glibc":
        return ["g++" if cplusplus else "gcc", "-static"]
    raise ValueError(f"unknown target {target!r}; expected one of {TARGETS}")


def _with_local_headers(source: Path, seen: set[Path] | None = None) -> bytes:
    """The source's bytes followed by those of the headers it includes with quotes (recursively): what the
    cache key must cover so that changing a shared header rebuilds its users."""
    seen = set() if seen is None else seen
    text = source.read_bytes()
    out = [text]
    for name in re.findall(rb'^\s*#\s*include\s+"([^"]+)"', text, re.M):
        header = (source.parent / name.decode()).resolve()
        if header.is_file() and header not in seen:
            seen.add(header)
            out.append(_with_local_headers(header, seen))
    return b"".join(out)


def compile_guest(source: str | Path, target: str, flags: tuple[str, ...] = ("-O2",)) -> Path:
    """Return the path of `source` compiled for `target`, building it only if the cache has no copy."""
    source = Path(source)
    cplusplus = source.suffix in (".cc", ".cpp", ".cxx")
    text = _with_local_headers(source)
    key = hashlib.sha256(text + repr((target, flags)).encode()).hexdigest()[:16]
    out = BUILD / "guest" / target / f"{source.stem}-{key}"
    if out.exists():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, ZIG_GLOBAL_CACHE_DIR=str(BUILD / "zig-cache"))
    tmp = out.with_suffix(".tmp")
    cmd = _command(target, cplusplus) + list(flags) + [str(source), "-o", str(tmp)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"building {source} for {target} failed:\n{' '.join(cmd)}\n{proc.stderr}")
    tmp.rename(out)  # atomic: concurrent test workers never see a half-written binary
    return out


def main(argv: list[str] | None = None) -> int:
    """`python -m pynix.devtools.guestcc DIR...`: build every C/C++ source in DIRs for every target, two at a
    time, so a test run starts with a warm cache (the first zig build of each target dominates CI time)."""
    import argparse
    from concurrent.futures import ThreadPoolExecutor

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("dirs", nargs="+", type=Path)
    parser.add_argument("--targets", default=",".join(TARGETS))
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args(argv)
    sources = [s for d in args.dirs for s in sorted(d.iterdir()) if s.suffix in (".c", ".cc", ".cpp")]
    targets = args.targets.split(",")
    # One job per target first: each target's first build compiles its libc and must not race itself.
    jobs = [(s, t) for t in targets for s in sources]
    failures = 0
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        warm = list(pool.map(lambda t: _try(sources[0], t), targets)) if sources else []
        failures += warm.count(False)
        failures += list(pool.map(lambda job: _try(*job), jobs)).count(False)
    return 1 if failures else 0


def _try(source: Path, target: str) -> bool:
    try:
        compile_guest(source, target)
        return True
    except RuntimeError as err:
        print(err, file=sys.stderr)
        return False


if __name__ == "__main__":
    raise SystemExit(main())
