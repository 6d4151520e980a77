"""`pynix` command: dispatches to the subcommands (run, bench, syscalls, mkfs.fat)."""
from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    from pynix.cli import bench, mkfs, run, syscalls

    parser = argparse.ArgumentParser(prog="pynix", description="A Unix-like kernel in Python running Linux programs")
    sub = parser.add_subparsers(dest="command", required=True)
    for module in (run, bench, syscalls, mkfs):
        module.add_parser(sub)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    return args.func(args)
