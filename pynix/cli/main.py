"""`pynix` command: dispatches to the subcommands (run, gdb, bench, syscalls, mkfs.fat)."""
from __future__ import annotations

import argparse
import gc
import importlib
import sys

# Subcommand -> module with add_parser(subparsers).  Only the module of the command given is imported: `pynix
# run` is what users wait for, and the benchmark runner's imports are not its business.
COMMANDS = {"run": "pynix.cli.run", "gdb": "pynix.cli.gdb", "bench": "pynix.cli.bench",
            "syscalls": "pynix.cli.syscalls", "mkfs.fat": "pynix.cli.mkfs"}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    gc.disable()            # imports make only long-lived objects: cyclic GC passes over them would find nothing
    wanted = [COMMANDS[argv[0]]] if argv and argv[0] in COMMANDS else list(COMMANDS.values())
    parser = argparse.ArgumentParser(prog="pynix", description="A Unix-like kernel in Python running Linux programs")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in wanted:
        importlib.import_module(name).add_parser(sub)
    args = parser.parse_args(argv)
    gc.enable()
    return args.func(args)
