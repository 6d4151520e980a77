"""Files pynix must refuse: exit status 126 (127 for a missing file) and a one-line message on stderr, never a
Python traceback.  The malformed ELFs are copies of a real guest binary with a header field patched."""
from __future__ import annotations

import os
import shutil
import struct
from dataclasses import dataclass
from pathlib import Path

import pytest

import harness
from harness import assert_no_traceback, run_guest, run_pynix

PAGE = 0x1000
PT_NULL, PT_LOAD = 0, 1

# Two base binaries from different linkers: zig's lld (riscv64 musl) and GNU ld (x86_64 glibc).
BASE_TARGETS = ("riscv64-musl", "x86_64-glibc")


@dataclass
class Phdr:
    index: int
    offset_in_file: int  # where this program header sits in the file
    p_type: int
    p_flags: int
    p_offset: int
    p_vaddr: int
    p_paddr: int
    p_filesz: int
    p_memsz: int
    p_align: int

    FORMAT = "<IIQQQQQQ"

    def pack(self) -> bytes:
        return struct.pack(self.FORMAT, self.p_type, self.p_flags, self.p_offset, self.p_vaddr, self.p_paddr,
                           self.p_filesz, self.p_memsz, self.p_align)


class Elf:
    """Just enough of an ELF64 little-endian file to patch its header and program headers."""

    def __init__(self, data: bytes):
        assert data[:4] == b"\x7fELF" and data[4] == 2 and data[5] == 1, "base binary is not ELF64 LE"
        self.data = bytearray(data)

    @property
    def phoff(self) -> int:
        return struct.unpack_from("<Q", self.data, 0x20)[0]

    @property
    def phentsize(self) -> int:
        return struct.unpack_from("<H", self.data, 0x36)[0]

    @property
    def phnum(self) -> int:
        return struct.unpack_from("<H", self.data, 0x38)[0]

    def phdrs(self) -> list[Phdr]:
        result = []
        for i in range(self.phnum):
            at = self.phoff + i * self.phentsize
            result.append(Phdr(i, at, *struct.unpack_from(Phdr.FORMAT, self.data, at)))
        return result

    def loads(self) -> list[Phdr]:
        return [p for p in self.phdrs() if p.p_type == PT_LOAD]

    def put(self, phdr: Phdr) -> None:
        self.data[phdr.offset_in_file:phdr.offset_in_file + 56] = phdr.pack()

    def set(self, fmt: str, offset: int, value: int) -> None:
        struct.pack_into(fmt, self.data, offset, value)


@pytest.fixture(scope="module", params=BASE_TARGETS)
def base_elf(request) -> Path:
    return harness.build("exit_code.c", request.param)


def write_exe(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    path.chmod(0o755)
    return path


def refuse(program: Path, args=(), status: int = 126) -> None:
    """Run `program` under pynix and check that it is refused the way the contract says."""
    check_refusal(run_pynix(program, args), program, status)


def check_refusal(result, program: Path, status: int = 126) -> None:
    assert_no_traceback(result)
    assert result.returncode == status, f"expected exit status {status}\n" + result.describe()
    message = result.stderr.decode("utf-8", "replace").strip()
    assert message, "no message on stderr\n" + result.describe()
    assert len(message.splitlines()) == 1, "the message should be one line\n" + result.describe()
    assert program.name in message, "the message should name the program\n" + result.describe()
    assert result.stdout == b"", "nothing should reach stdout\n" + result.describe()


# ------------------------------------------------------------------------------------------- control

def test_unpatched_copy_runs(base_elf, tmp_path):
    """Control for everything below: the unmodified copy runs, so a refusal is caused by the patch."""
    copy = write_exe(tmp_path / "copy", base_elf.read_bytes())
    result = run_guest(copy, ["7"])
    assert_no_traceback(result)
    assert (result.returncode, result.stdout) == (7, b"exiting with 7 via exit\n"), result.describe()


# ------------------------------------------------------------------------------------------- not an ELF at all

def test_text_file(tmp_path):
    text = write_exe(tmp_path / "notes.txt", b"this is just some text\nnot a program\n")
    refuse(text)


def test_empty_file(tmp_path):
    refuse(write_exe(tmp_path / "empty", b""))


def test_elf_magic_only(tmp_path):
    refuse(write_exe(tmp_path / "magic", b"\x7fELF"))


def test_nonexistent_file(tmp_path):
    refuse(tmp_path / "no-such-program", status=127)


def test_directory(tmp_path):
    refuse(tmp_path)


# ------------------------------------------------------------------------------------------- truncated

@pytest.mark.parametrize("size", [20, 100, 2000])
def test_truncated(base_elf, tmp_path, size):
    data = base_elf.read_bytes()
    elf = Elf(data)
    if size == 2000:  # the program headers are complete; the segments' file data is not
        assert elf.phoff + elf.phnum * elf.phentsize <= 2000
        assert any(p.p_offset + p.p_filesz > 2000 for p in elf.loads())
    refuse(write_exe(tmp_path / f"truncated{size}", data[:size]))


# ------------------------------------------------------------------------------------------- patched headers

def patch_machine_aarch64(elf: Elf):
    elf.set("<H", 0x12, 183)


def patch_machine_i386(elf: Elf):
    elf.set("<H", 0x12, 3)


def patch_class_32bit(elf: Elf):
    elf.data[4] = 1


def patch_big_endian(elf: Elf):
    elf.data[5] = 2


def patch_type_relocatable(elf: Elf):
    elf.set("<H", 0x10, 1)  # ET_REL


def patch_type_core(elf: Elf):
    elf.set("<H", 0x10, 4)  # ET_CORE


def patch_phentsize(elf: Elf):
    elf.set("<H", 0x36, 32)


def patch_phoff_past_end(elf: Elf):
    elf.set("<Q", 0x20, len(elf.data) + 4096)


def patch_phnum_huge(elf: Elf):
    elf.set("<H", 0x38, 0xFFF0)  # table runs far past the end of the file


def patch_no_load_segments(elf: Elf):
    for p in elf.loads():
        p.p_type = PT_NULL
        elf.put(p)


def patch_overlapping_loads(elf: Elf):
    """Move the second PT_LOAD down so that it overlaps the first (keeping vaddr congruent to offset mod page)."""
    first, second = elf.loads()[:2]
    second.p_vaddr = second.p_paddr = (first.p_vaddr & ~(PAGE - 1)) + (second.p_vaddr % PAGE)
    assert second.p_vaddr < first.p_vaddr + first.p_memsz and second.p_vaddr + second.p_memsz > first.p_vaddr
    elf.put(second)


def patch_filesz_above_memsz(elf: Elf):
    load = elf.loads()[0]  # shrink p_memsz, so that the file range itself stays valid
    assert load.p_filesz > 16
    load.p_memsz = load.p_filesz - 16
    elf.put(load)


def patch_filesz_past_end_of_file(elf: Elf):
    load = elf.loads()[-1]
    load.p_filesz = load.p_memsz = len(elf.data) + 16 * PAGE
    elf.put(load)


def patch_vaddr_wraps_around(elf: Elf):
    load = elf.loads()[-1]
    load.p_memsz = 2**64 - (load.p_vaddr & ~(PAGE - 1)) + PAGE  # p_vaddr + p_memsz overflows 64 bits
    elf.put(load)


def patch_vaddr_kernel_half(elf: Elf):
    load = elf.loads()[-1]
    load.p_vaddr = load.p_paddr = 0xFFFF_8000_0000_0000 + (load.p_vaddr % PAGE)
    elf.put(load)


def patch_offset_not_congruent(elf: Elf):
    """p_offset and p_vaddr must be congruent modulo the page size (and p_align)."""
    load = elf.loads()[1]
    load.p_vaddr += 1
    load.p_paddr += 1
    elf.put(load)


PATCHES = [patch_machine_aarch64, patch_machine_i386, patch_class_32bit, patch_big_endian, patch_type_relocatable,
           patch_type_core, patch_phentsize, patch_phoff_past_end, patch_phnum_huge, patch_no_load_segments,
           patch_overlapping_loads, patch_filesz_above_memsz, patch_filesz_past_end_of_file,
           patch_vaddr_wraps_around, patch_vaddr_kernel_half, patch_offset_not_congruent]


@pytest.mark.parametrize("patch", PATCHES, ids=[p.__name__.removeprefix("patch_") for p in PATCHES])
def test_patched_elf(base_elf, tmp_path, patch):
    elf = Elf(base_elf.read_bytes())
    patch(elf)
    assert bytes(elf.data) != base_elf.read_bytes()
    refuse(write_exe(tmp_path / patch.__name__, bytes(elf.data)), ["7"])


# ------------------------------------------------------------------------------------------- dynamic ELF

def test_dynamic_elf_runs_or_is_refused_cleanly():
    """A dynamically linked host program (PT_INTERP) is not supported at first: it must either run correctly
    or be refused with status 126 and a message -- never crash."""
    true = shutil.which("true")
    harness.need(true is not None and harness.host_isa() == "x86_64", "needs the host's x86_64 `true` program")
    with open(os.path.realpath(true), "rb") as f:
        head = f.read(4096)
    harness.need(head[:4] == b"\x7fELF", "the host's `true` is not an ELF file")
    result = run_pynix(true)
    assert_no_traceback(result)
    if result.returncode != 0:
        check_refusal(result, Path(true))
