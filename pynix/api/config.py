"""What a machine is built from (pynix/api, `pynix run`'s options): sizes, the root, host directories, disk
images."""
from __future__ import annotations

import errno
import os
import sys
from typing import Iterable

from pynix.arch import arch_for_elf_machine
from pynix.errors import KernelError
from pynix.fs.vfs import SuperBlock

DEFAULT_MEM = 256 << 20


class MachineError(Exception):
    """A machine that cannot be built as asked (a bad --root, --mount, --disk...)."""


def parse_size(text: str | int) -> int:
    """`256M`, `1G`, `4096K` or a number of bytes."""
    if isinstance(text, int):
        return text
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    text = text.strip().upper().removesuffix("B").removesuffix("I")
    if text and text[-1] in units:
        return int(text[:-1]) * units[text[-1]]
    return int(text)


def elf_arch_of(header: bytes) -> str | None:
    """The ISA name of an ELF header's machine (None: not an ELF, or no ISA pynix has)."""
    if len(header) < 20 or header[:4] != b"\x7fELF":
        return None
    arch = arch_for_elf_machine(int.from_bytes(header[18:20], "little"))
    return arch.name if arch else None


def _mount_ext(dev, fstype: str, readonly: bool, option: str):
    """The ext2/ext3/ext4 filesystem on `dev`; one that pynix cannot write is mounted read-only with a note, as
    mount(8) does for a write-protected disk."""
    from pynix.fs.ext2.super import MS_RDONLY, get_super
    try:
        return get_super(dev, fstype, MS_RDONLY if readonly else 0, None)
    except KernelError as err:
        if err.errno != errno.EROFS:
            raise
        print(f"pynix: {option}: {dev.name} is write-protected for pynix, mounting read-only", file=sys.stderr)
        return get_super(dev, fstype, MS_RDONLY, None)


def open_root(spec: str | None) -> str | SuperBlock:
    """The root of a machine (--root): a host directory name (kept as a string; None is the host's `/`), the
    filesystem of an ext2/ext3/ext4 image (attached as the next /dev/vdX) or a FAT32 image."""
    if spec is None:
        return "/"
    if os.path.isdir(spec):
        return os.path.abspath(spec)
    from pynix.block.genhd import attach_image, del_disk        # (disk code only for an image)
    from pynix.block.probe import probe
    from pynix.fs.fat import Fat32SuperBlock
    try:
        dev = attach_image(spec)
    except KernelError:
        dev = None
    if dev is not None:
        fstype = probe(dev)
        if fstype is not None and fstype.startswith("ext"):
            try:
                return _mount_ext(dev, fstype, False, f"--root {spec}")
            except KernelError as err:
                raise MachineError(f"--root {spec}: cannot mount: {err}") from None
        dev.close()                                # FAT32 keeps its own image file
        del_disk(dev)
    try:
        return Fat32SuperBlock(spec, uid=os.getuid(), gid=os.getgid())
    except KernelError as err:
        raise MachineError(f"--root {spec}: neither a directory nor a usable FAT32 image: {err}") from None


def open_binds(specs: Iterable[str]) -> list[tuple[str, SuperBlock]]:
    """[(guest path, hostfs superblock)] for mounts given as `HOST:GUEST[:ro|rw]` (--mount)."""
    from pynix.fs.hostfs import HostfsSuperBlock
    binds = []
    for spec in specs:
        parts = spec.split(":")
        mode = parts.pop() if len(parts) == 3 else "ro"
        if len(parts) != 2 or mode not in ("ro", "rw") or not parts[0] or not parts[1].startswith("/"):
            raise MachineError(f"--mount {spec}: expected HOST:GUEST[:ro|rw] with an absolute guest directory")
        host, guest = parts
        if not os.path.isdir(host):
            raise MachineError(f"--mount {spec}: {host} is not a directory")
        try:
            binds.append((guest, HostfsSuperBlock(host, readonly=mode == "ro")))
        except KernelError as err:
            raise MachineError(f"--mount {spec}: cannot mount: {err}") from None
    return binds


def open_disks(specs: Iterable[str]) -> list[tuple[str, SuperBlock]]:
    """Attach every disk `IMAGE[:GUEST][:ro]` (--disk) as the next /dev/vdX; [(guest path, superblock)] for
    those that name a guest directory, mounted with the filesystem their superblock shows (ext2/ext3/ext4 or
    FAT32).  An ext4 image that pynix cannot write is mounted read-only with a note, as mount(8) does for a
    write-protected disk."""
    if not specs:
        return []
    from pynix.block.genhd import attach_image
    from pynix.block.probe import probe
    from pynix.fs.fat import Fat32SuperBlock
    disks = []
    for spec in specs:
        rest, readonly = (spec[:-3], True) if spec.endswith(":ro") else (spec, False)
        image, sep, guest = rest.rpartition(":")
        if not sep or not guest.startswith("/"):
            image, guest = rest, ""
        if not image:
            raise MachineError(f"--disk {spec}: expected IMAGE, IMAGE:ro, IMAGE:GUEST or IMAGE:GUEST:ro with an "
                               "absolute guest directory")
        try:
            dev = attach_image(image, readonly)
            if not guest:
                continue
            fstype = probe(dev)
            if fstype == "vfat":
                disks.append((guest, Fat32SuperBlock(dev, readonly=readonly, uid=os.getuid(), gid=os.getgid())))
            elif fstype is None:
                raise MachineError(f"--disk {spec}: cannot mount: no ext2/ext3/ext4 or FAT32 filesystem on {image}")
            else:
                disks.append((guest, _mount_ext(dev, fstype, readonly, f"--disk {spec}")))
        except KernelError as err:
            raise MachineError(f"--disk {spec}: cannot mount: {err}") from None
    return disks
