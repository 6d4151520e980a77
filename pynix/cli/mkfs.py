"""`pynix mkfs.fat IMAGE SIZE`: create an empty FAT32 disk image (for `pynix run --disk IMAGE:GUEST`).

SIZE takes K, M, G suffixes (64M, 1G).  The image file is created or overwritten; it is sparse, so a large
image costs little host space until it is filled.  FAT32 needs at least 65525 clusters, so the smallest image
is 33M.  The result is an ordinary FAT32 file system: Linux, mtools and `fsck.fat` read it.
"""
from __future__ import annotations

import argparse
import os
import sys


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("mkfs.fat", help="create an empty FAT32 disk image", description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-n", "--label", default="NO NAME", help="volume label (up to 11 characters)")
    p.add_argument("image", help="host path of the image file (created or overwritten)")
    p.add_argument("size", help="size of the image, e.g. 64M or 1G")
    p.set_defaults(func=mkfs_command)


def mkfs_command(args: argparse.Namespace) -> int:
    from pynix.cli.run import parse_size
    from pynix.fs.fat import mkfs

    try:
        size = parse_size(args.size)
    except ValueError:
        print(f"pynix mkfs.fat: {args.size}: not a size (like 64M or 1G)", file=sys.stderr)
        return 2
    try:
        label = args.label.encode("ascii")
    except UnicodeEncodeError:
        label = b""
    if not label or len(label) > 11 or any(c in b'*?<>|":\\/.+,;=[]' or c < 0x20 for c in label):
        print(f"pynix mkfs.fat: {args.label!r}: a volume label is 1 to 11 plain ASCII characters", file=sys.stderr)
        return 2
    if os.path.isdir(args.image):
        print(f"pynix mkfs.fat: {args.image}: is a directory", file=sys.stderr)
        return 1
    try:
        info = mkfs(args.image, size, label=label)
    except ValueError as err:
        print(f"pynix mkfs.fat: {err}", file=sys.stderr)
        return 1
    except OSError as err:
        print(f"pynix mkfs.fat: {args.image}: {err.strerror}", file=sys.stderr)
        return 1
    cluster = info["sectors_per_cluster"] * 512
    print(f"{args.image}: FAT32, {info['sectors'] * 512 >> 20} MiB, {info['clusters']} clusters of {cluster} bytes")
    return 0
