"""`pynix` command: dispatches to the subcommands (run, bench, syscalls)."""
from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    from pynix.cli import bench, run, syscalls

    parser = argparse.ArgumentParser(prog="pynix", description="A Unix-like kernel in Python running Linux programs")
    sub = parser.add_subparsers(dest="command", required=True)
    for module in (run, bench, syscalls):
        module.add_parser(sub)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    return args.func(args)
