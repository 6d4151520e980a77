"""Files pynix must refuse: exit status 126 (127 for a missing file) and a one-line message on stderr, never a
Python traceback.  The malformed ELFs are copies of a real guest binary with a header field patched."""
from __future__ import annotations

import errno
import os
import shutil
import struct
import subprocess
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


# ------------------------------------------------------------------------------------------- PT_INTERP

PT_INTERP, PT_NOTE = 3, 4


@pytest.fixture(scope="module")
def dynamic_elf() -> bytes:
    """The host's own dynamically linked `true` (x86_64): a real PT_INTERP to patch."""
    true = shutil.which("true")
    harness.need(true is not None and harness.host_isa() == "x86_64", "needs the host's x86_64 `true` program")
    data = Path(os.path.realpath(true)).read_bytes()
    harness.need(data[:4] == b"\x7fELF" and any(p.p_type == PT_INTERP for p in Elf(data).phdrs()),
                 "the host's `true` is not a dynamic ELF program")
    return data


def native_exec_errno(program: Path) -> int:
    """0 if `program` runs natively, else the errno of the native execve."""
    try:
        subprocess.run([str(program)], capture_output=True, timeout=harness.REFERENCE_TIMEOUT)
    except OSError as err:
        return err.errno
    return 0


def interp(elf: Elf) -> Phdr:
    return next(p for p in elf.phdrs() if p.p_type == PT_INTERP)


def patch_interp_no_nul(elf: Elf):
    """The interpreter's name fills PT_INTERP with no terminating NUL: Linux refuses it with ENOEXEC."""
    p = interp(elf)
    elf.data[p.p_offset + p.p_filesz - 1] = ord("x")


def patch_interp_past_eof(elf: Elf):
    """PT_INTERP's bytes lie past the end of the file: Linux's read of them fails with EIO."""
    p = interp(elf)
    p.p_offset = len(elf.data) + PAGE
    elf.put(p)


def patch_interp_too_long(elf: Elf):
    p = interp(elf)
    p.p_filesz = 4097          # more than PATH_MAX
    elf.put(p)


def patch_interp_one_byte(elf: Elf):
    p = interp(elf)
    p.p_filesz = 1
    elf.put(p)


INTERP_PATCHES = [(patch_interp_no_nul, errno.ENOEXEC), (patch_interp_past_eof, errno.EIO),
                  (patch_interp_too_long, errno.ENOEXEC), (patch_interp_one_byte, errno.ENOEXEC)]


@pytest.mark.parametrize("patch,err", INTERP_PATCHES, ids=[p.__name__.removeprefix("patch_") for p, _ in INTERP_PATCHES])
def test_bad_interp(dynamic_elf, tmp_path, patch, err):
    elf = Elf(dynamic_elf)
    patch(elf)
    program = write_exe(tmp_path / patch.__name__, bytes(elf.data))
    assert native_exec_errno(program) == err
    refuse(program)


def test_second_interp_is_ignored(dynamic_elf, tmp_path):
    """Only the first PT_INTERP counts: a second one (a PT_NOTE retyped, its bytes no path at all) changes
    nothing, natively or under pynix."""
    elf = Elf(dynamic_elf)
    note = next(p for p in elf.phdrs() if p.p_type == PT_NOTE and p.index > interp(elf).index)
    note.p_type = PT_INTERP
    elf.put(note)
    program = write_exe(tmp_path / "two-interps", bytes(elf.data))
    assert native_exec_errno(program) == 0
    result = run_pynix(program)
    assert_no_traceback(result)
    assert result.returncode == 0, result.describe()


# ------------------------------------------------------------------------------------------- messages

def test_message_escapes_the_program_name(tmp_path):
    """A refusal is one line even when the program's name holds a newline, control characters and bytes that
    are not UTF-8: they appear escaped."""
    name = b"bad\nname\x01\xff\\"
    program = tmp_path / os.fsdecode(name)
    write_exe(program, b"just text\n")
    result = run_pynix(program)
    assert_no_traceback(result)
    assert result.returncode == 126, result.describe()
    lines = result.stderr.decode("utf-8", "replace").splitlines()
    assert len(lines) == 1, result.describe()
    assert "bad\\nname\\x01\\xff\\\\" in lines[0], result.describe()


def test_message_escapes_the_interpreter_name(dynamic_elf, tmp_path):
    """The interpreter's name comes from the file: shown escaped too (exit 127: it does not exist)."""
    elf = Elf(dynamic_elf)
    p = interp(elf)
    bad = b"/lib64/\x01\n\x1b[31m"
    elf.data[p.p_offset:p.p_offset + p.p_filesz] = bad.ljust(p.p_filesz - 1, b"z") + b"\0"
    program = write_exe(tmp_path / "ctrl-interp", bytes(elf.data))
    assert native_exec_errno(program) == errno.ENOENT
    result = run_pynix(program)
    check_refusal(result, program, status=127)
    assert "/lib64/\\x01\\n\\x1b[31m" in result.stderr.decode(), result.describe()


# ------------------------------------------------------------------------------------------- segment tails

def _tiny_program() -> bytes:
    """A static x86_64 program written here byte by byte: segments whose file part ends mid-page (read-only
    and writable, with and without .bss, and one with no file part).  It writes memory around each file end
    to stdout, then stores into the .bss of the writable and of the read-only segments."""
    def write(addr: int, n: int) -> bytes:      # mov eax,1; mov edi,1; mov rsi,addr; mov edx,n; syscall
        return b"\xb8\x01\0\0\0\xbf\x01\0\0\0\x48\xbe" + struct.pack("<Q", addr) + b"\xba" + struct.pack("<I", n) \
            + b"\x0f\x05"

    def store(addr: int) -> bytes:              # mov rax,addr; mov byte [rax],1
        return b"\x48\xb8" + struct.pack("<Q", addr) + b"\xc6\x00\x01"

    code_at, marks = 0x401000, 0x401800
    pf_r, pf_w, pf_x = 4, 2, 1
    #          flags        offset  vaddr     filesz memsz   file bytes of the page
    segments = [(pf_r | pf_x, 0x1000, code_at, 0x806, 0x806, None),
                (pf_r, 0x2000, 0x602000, 0x100, 0x2000, 0xA1),           # read-only with .bss
                (pf_r | pf_w, 0x3000, 0x803000, 0x100, 0x2000, 0xB2),    # writable with .bss
                (pf_r, 0x4000, 0xA04000, 0x100, 0x100, 0xC3),            # read-only, no .bss
                (pf_r, 0x5000, 0xC05000, 0, 0x1000, None)]               # no file part at all
    code = (write(0x6020F0, 32) + write(0x603000, 16) + write(0x8030F0, 32) + write(0xA040F0, 32)
            + write(0xC05000, 16) + store(0x804000) + write(0x804000, 1) + write(marks, 2)
            + store(0x8030F8) + write(0x8030F0, 16) + store(0x603000) + write(marks + 2, 2)
            + store(0xC05000) + write(marks + 4, 2)
            + b"\xb8\x3c\0\0\0\x31\xff\x0f\x05")                         # exit(0)
    data = bytearray(0x6000)
    data[0x1000:0x1000 + len(code)] = code
    data[0x1800:0x1806] = b"A\nB\nC\n"
    for _flags, offset, _vaddr, _filesz, _memsz, fill in segments:
        if fill is not None:
            data[offset:offset + PAGE] = bytes([fill]) * PAGE
    data[:64] = b"\x7fELF\x02\x01\x01" + bytes(9) + struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, code_at, 64, 0, 0, 64,
                                                               56, len(segments), 64, 0, 0)
    for i, (flags, offset, vaddr, filesz, memsz, _fill) in enumerate(segments):
        data[64 + 56 * i:120 + 56 * i] = struct.pack("<IIQQQQQQ", PT_LOAD, flags, offset, vaddr, vaddr, filesz,
                                                     memsz, PAGE)
    return bytes(data)


def test_segment_tails_as_linux_maps_them(tmp_path):
    """Linux's elf_load: the page holding a segment's last file byte comes whole from the file; with .bss its
    rest is zeroed only in a writable segment (padzero's clear_user fails on a read-only page, silently); the
    .bss beyond that page, and a segment with no file part, are anonymous memory, writable whatever the
    segment's flags.  Differential against the native run."""
    harness.need(harness.host_isa() == "x86_64", "the native reference needs an x86_64 host")
    program = write_exe(tmp_path / "tails", _tiny_program())
    ref = harness.run_reference(program)
    got = run_guest(program)
    assert_no_traceback(got)
    assert (got.returncode, got.stdout) == (ref.returncode, ref.stdout), got.describe() + "\n" + ref.describe()
    assert ref.stdout[:32] == b"\xa1" * 32 and ref.stdout[48:80] == b"\xb2" * 16 + b"\0" * 16
    assert ref.stdout.endswith(b"B\nC\n") and ref.returncode == 0


def test_interp_far_into_the_file(dynamic_elf, tmp_path):
    """PT_INTERP may lie anywhere in the file (Linux reads it with elf_read): moved 1 MiB in, the program
    still runs, natively and under pynix."""
    elf = Elf(dynamic_elf)
    p = interp(elf)
    name = bytes(elf.data[p.p_offset:p.p_offset + p.p_filesz])
    far = max(len(elf.data), 1 << 20)
    elf.data[len(elf.data):] = bytes(far - len(elf.data)) + name
    p.p_offset = far
    elf.put(p)
    program = write_exe(tmp_path / "far-interp", bytes(elf.data))
    assert native_exec_errno(program) == 0
    result = run_pynix(program)
    assert_no_traceback(result)
    assert result.returncode == 0, result.describe()


def test_program_headers_read_beyond_the_first_page(base_elf):
    """exec parses from the file's first page and reads what lies beyond it from the page cache (Linux's
    load_elf_phdrs reads the table wherever e_phoff says): a table moved past the first 64 KiB parses to the same
    segments as in place, and one past the end of the file is refused as truncated."""
    from pynix.loader.elf import parse_elf
    original = base_elf.read_bytes()
    data = bytearray(original)
    phoff, phnum = struct.unpack_from("<Q", data, 0x20)[0], struct.unpack_from("<H", data, 0x38)[0]
    table = bytes(data[phoff:phoff + 56 * phnum])
    far = max(len(data), 17 * PAGE)
    data[len(data):] = bytes(far - len(data)) + table
    struct.pack_into("<Q", data, 0x20, far)
    reads = []

    def read(offset: int, size: int) -> bytes:
        reads.append((offset, size))
        return bytes(data[offset:offset + size])

    moved = parse_elf(bytes(data[:PAGE]), len(data), read)
    assert moved.segments == parse_elf(original).segments
    assert reads and all(offset + size <= len(data) for offset, size in reads)
    struct.pack_into("<Q", data, 0x20, len(data) + PAGE)
    with pytest.raises(Exception, match="truncated program header table"):
        parse_elf(bytes(data[:PAGE]), len(data), read)
