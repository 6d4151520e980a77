"""Unit tests of the strace-style formatter.

Expected lines are copied from real ``strace`` 6.1 output on x86_64 (with -f's pid prefix and the column
padding removed), with the guest memory rebuilt in a fake reader.
"""
import errno
import struct

import pytest

from pynix.errors import KernelError
from pynix.syscall.strace import StraceArch, format_call, format_return, format_syscall, quote_bytes

# ISA facts used only to exercise the arch-dependent decoders (the real values belong under pynix/arch/).
X86_64 = StraceArch(stat_mode_offset=24, stat_rdev_offset=40, stat_size_offset=48,
                    sigaction_has_restorer=True, clone_tls_before_child_tid=False,
                    extra_mmap_flags=((0x40, "MAP_32BIT"),))
RISCV64 = StraceArch(stat_mode_offset=16, stat_rdev_offset=32, stat_size_offset=48,
                     sigaction_has_restorer=False, clone_tls_before_child_tid=True)


class FakeMem:
    """User memory as a few regions: {start address: bytes}."""

    def __init__(self, regions=None):
        self.regions = dict(regions or {})

    def put(self, addr, data):
        self.regions[addr] = bytes(data)
        return addr

    def _find(self, addr):
        for start, data in self.regions.items():
            if start <= addr < start + len(data):
                return start, data
        raise KernelError(errno.EFAULT)

    def read(self, addr, size):
        if size == 0:
            return b""
        start, data = self._find(addr)
        off = addr - start
        if off + size > len(data):
            raise KernelError(errno.EFAULT)
        return data[off:off + size]

    def read_cstring(self, addr, limit):
        start, data = self._find(addr)
        chunk = data[addr - start:addr - start + limit]
        nul = chunk.find(b"\0")
        if nul >= 0:
            return chunk[:nul]
        if len(chunk) < limit:
            raise KernelError(errno.EFAULT)
        return chunk


class FaultingMem:
    def read(self, addr, size):
        raise KernelError(errno.EFAULT)

    def read_cstring(self, addr, limit):
        raise KernelError(errno.EFAULT)


AT_FDCWD = (1 << 64) - 100
NEG1 = (1 << 64) - 1


def fmt(name, args, result, mem=None, arch=X86_64):
    return format_syscall(name, args, result, mem or FakeMem(), arch=arch)


# ---------------------------------------------------------------------------- strings and buffers

def test_write_simple():
    mem = FakeMem({0x1000: b"hi\n"})
    assert fmt("write", [1, 0x1000, 3], 3, mem) == 'write(1, "hi\\n", 3) = 3'


def test_quoting_rules():
    # octal escapes are short unless the next byte is an octal digit
    assert quote_bytes(b'zz\t"\\\x01\x012x\0') == '"zz\\t\\"\\\\\\1\\0012x\\0"'
    assert quote_bytes(b"\x7f\xff") == '"\\177\\377"'
    assert quote_bytes(b"\0\0\0\0") == '"\\0\\0\\0\\0"'
    assert quote_bytes(b"\x80\xff1\n") == '"\\200\\3771\\n"'
    assert quote_bytes(b"\r\x0b\x0c") == '"\\r\\v\\f"'
    assert quote_bytes(b"\xa4\x5d\x01", force_hex=True) == '"\\xa4\\x5d\\x01"'


def test_write_truncated_at_32():
    data = b"0123456789012345678901234567890123456789\n"
    mem = FakeMem({0x2000: data})
    assert fmt("write", [1, 0x2000, 41], 41, mem) == 'write(1, "01234567890123456789012345678901"..., 41) = 41'
    mem = FakeMem({0x2000: b"a" * 32})
    assert fmt("write", [1, 0x2000, 32], 32, mem) == 'write(1, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 32) = 32'


def test_read_elf_header_binary():
    data = bytes.fromhex("7f454c4602010103000000000000000003003e000100000010740200000000000000") + bytes(832)
    mem = FakeMem({0x3000: data})
    assert fmt("read", [3, 0x3000, 832], 832, mem) == (
        r'read(3, "\177ELF\2\1\1\3\0\0\0\0\0\0\0\0\3\0>\0\1\0\0\0\20t\2\0\0\0\0\0"..., 832) = 832')


def test_read_shows_result_bytes_only():
    mem = FakeMem({0x1000: b"abcXXXXXXX"})
    assert fmt("read", [0, 0x1000, 4096], 3, mem) == 'read(0, "abc", 4096) = 3'
    assert fmt("read", [3, 0x1000, 4096], 0, mem) == 'read(3, "", 4096) = 0'


def test_read_error_prints_pointer():
    assert (fmt("read", [3, 0x7ffe949efef0, 10], -errno.EAGAIN) ==
            "read(3, 0x7ffe949efef0, 10) = -1 EAGAIN (Resource temporarily unavailable)")


def test_bad_pointers():
    assert fmt("write", [1, 0, 5], 5) == "write(1, NULL, 5) = 5"
    assert fmt("write", [1, 0x10, 5], 5) == "write(1, 0x10, 5) = 5"
    assert fmt("write", [NEG1 & 0xFFFFFFFF, 0x10, 1], -errno.EBADF) == \
        "write(-1, 0x10, 1) = -1 EBADF (Bad file descriptor)"


def test_faulting_reader_falls_back_to_hex():
    mem = FaultingMem()
    assert fmt("write", [1, 0x1234, 3], 3, mem) == "write(1, 0x1234, 3) = 3"
    assert (fmt("openat", [AT_FDCWD, 0x5000, 0o2000000], -errno.EFAULT, mem) ==
            "openat(AT_FDCWD, 0x5000, O_RDONLY|O_CLOEXEC) = -1 EFAULT (Bad address)")
    assert fmt("execve", [0x10, 0x20, 0x30], -errno.EFAULT, mem) == \
        "execve(0x10, 0x20, 0x30) = -1 EFAULT (Bad address)"
    assert fmt("fstat", [3, 0x40], 0, mem) == "fstat(3, 0x40) = 0"


def test_pread_pwrite():
    mem = FakeMem({0x1000: b"zz\t\"\\\x01\x012x\0"})
    assert fmt("pwrite64", [5, 0x1000, 10, 5], 10, mem) == 'pwrite64(5, "zz\\t\\"\\\\\\1\\0012x\\0", 10, 5) = 10'
    mem = FakeMem({0x1000: b"\x06\0\0\0\x04\0\0\0@" + bytes(800)})
    assert fmt("pread64", [3, 0x1000, 784, 64], 784, mem) == (
        r'pread64(3, "\6\0\0\0\4\0\0\0@\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"..., 784, 64) = 784')


# ---------------------------------------------------------------------------- iovecs

def _iov(mem, base, items):
    raw = b"".join(struct.pack("<QQ", a, n) for a, n in items)
    return mem.put(base, raw)


def test_writev():
    mem = FakeMem({0x1000: b"ab", 0x1100: b"cde\n"})
    _iov(mem, 0x2000, [(0x1000, 2), (0x1100, 4)])
    assert (fmt("writev", [1, 0x2000, 2], 6, mem) ==
            'writev(1, [{iov_base="ab", iov_len=2}, {iov_base="cde\\n", iov_len=4}], 2) = 6')


def test_readv_distributes_result():
    mem = FakeMem({0x1000: b"hel", 0x1100: b"lo world" + bytes(12)})
    _iov(mem, 0x2000, [(0x1000, 3), (0x1100, 20)])
    assert (fmt("readv", [3, 0x2000, 2], 11, mem) ==
            'readv(3, [{iov_base="hel", iov_len=3}, {iov_base="lo world", iov_len=20}], 2) = 11')
    assert fmt("readv", [3, 0x2000, 2], -errno.EAGAIN, mem).startswith("readv(3, 0x2000, 2) = -1 EAGAIN")


def test_writev_many_and_bad():
    mem = FakeMem({0x1000: b"a"})
    _iov(mem, 0x2000, [(0x1000, 1)] * 40)
    line = fmt("writev", [1, 0x2000, 40], 40, mem)
    assert line.count('{iov_base="a", iov_len=1}') == 32
    assert line.endswith("}, ...], 40) = 40")
    assert fmt("writev", [1, 0x10, 2], -errno.EFAULT) == "writev(1, 0x10, 2) = -1 EFAULT (Bad address)"


# ---------------------------------------------------------------------------- open and friends

def test_openat():
    mem = FakeMem({0x1000: b"/etc/passwd\0"})
    assert (fmt("openat", [AT_FDCWD, 0x1000, 0o2000000], 3, mem) ==
            'openat(AT_FDCWD, "/etc/passwd", O_RDONLY|O_CLOEXEC) = 3')
    mem = FakeMem({0x1000: b"/nope\0"})
    assert (fmt("openat", [AT_FDCWD, 0x1000, 0], -errno.ENOENT, mem) ==
            'openat(AT_FDCWD, "/nope", O_RDONLY) = -1 ENOENT (No such file or directory)')


def test_open_flags_and_mode():
    mem = FakeMem({0x1000: b"/tmp/st/x.txt\0", 0x2000: b"/tmp\0"})
    assert (fmt("openat", [AT_FDCWD, 0x1000, 0o1101 | 0o2000, 0o644], 5, mem) ==
            'openat(AT_FDCWD, "/tmp/st/x.txt", O_WRONLY|O_CREAT|O_TRUNC|O_APPEND, 0644) = 5')
    assert (fmt("openat", [AT_FDCWD, 0x2000, 0o20200002, 0o600], 3, mem) ==
            'openat(AT_FDCWD, "/tmp", O_RDWR|O_TMPFILE, 0600) = 3')
    assert (fmt("openat", [AT_FDCWD, 0x2000, 0o20200002 | 0o2400000, 0o600], 3, mem) ==
            'openat(AT_FDCWD, "/tmp", O_RDWR|O_NOFOLLOW|O_CLOEXEC|O_TMPFILE, 0600) = 3')
    assert (fmt("openat", [AT_FDCWD, 0x2000, 0o10400000], 4, mem) ==
            'openat(AT_FDCWD, "/tmp", O_RDONLY|O_NOFOLLOW|O_PATH) = 4')
    assert (fmt("openat", [AT_FDCWD, 0x2000, 0o4056101, 0], 4, mem) ==
            'openat(AT_FDCWD, "/tmp", O_WRONLY|O_CREAT|O_APPEND|O_NONBLOCK|O_SYNC|O_DIRECT, 000) = 4')
    assert (fmt("openat", [AT_FDCWD, 0x2000, 0x40000000 | 0o1070602], -errno.EISDIR, mem) ==
            'openat(AT_FDCWD, "/tmp", O_RDWR|O_EXCL|O_NOCTTY|O_DSYNC|O_DIRECT|O_NOATIME|FASYNC|0x40000000)'
            ' = -1 EISDIR (Is a directory)')
    assert (fmt("openat", [AT_FDCWD, 0x2000, 3], -errno.EISDIR, mem) ==
            'openat(AT_FDCWD, "/tmp", O_ACCMODE) = -1 EISDIR (Is a directory)')
    assert fmt("open", [0x2000, 0o200000], 3, mem) == 'open("/tmp", O_RDONLY|O_DIRECTORY) = 3'


def test_long_path_not_truncated():
    path = b"/tmp/" + b"a" * 120
    mem = FakeMem({0x1000: path + b"\0"})
    assert fmt("chdir", [0x1000], 0, mem) == f'chdir("{path.decode()}") = 0'


def test_close_lseek_dup_pipe():
    assert fmt("close", [3], 0) == "close(3) = 0"
    assert fmt("lseek", [0, 0, 1], 0) == "lseek(0, 0, SEEK_CUR) = 0"
    assert fmt("lseek", [0, (1 << 64) - 5, 7], -errno.EINVAL) == \
        "lseek(0, -5, 0x7 /* SEEK_??? */) = -1 EINVAL (Invalid argument)"
    assert fmt("dup", [5], 6) == "dup(5) = 6"
    assert fmt("dup3", [5, 20, 0o2000000], 20) == "dup3(5, 20, O_CLOEXEC) = 20"
    assert fmt("dup3", [5, 21, 0], 21) == "dup3(5, 21, 0) = 21"
    mem = FakeMem({0x1000: struct.pack("<ii", 3, 4)})
    assert fmt("pipe2", [0x1000, 0o2004000], 0, mem) == "pipe2([3, 4], O_NONBLOCK|O_CLOEXEC) = 0"
    assert fmt("pipe2", [0x10, 0], -errno.EFAULT) == "pipe2(0x10, 0) = -1 EFAULT (Bad address)"


def test_fcntl():
    assert fmt("fcntl", [5, 3], 0x18000) == "fcntl(5, F_GETFL) = 0x18000 (flags O_RDONLY|O_LARGEFILE|O_DIRECTORY)"
    assert fmt("fcntl", [1, 3], 0x8001) == "fcntl(1, F_GETFL) = 0x8001 (flags O_WRONLY|O_LARGEFILE)"
    assert fmt("fcntl", [5, 2, 1], 0) == "fcntl(5, F_SETFD, FD_CLOEXEC) = 0"
    assert fmt("fcntl", [0, 1], 0) == "fcntl(0, F_GETFD) = 0"
    assert fmt("fcntl", [0, 1], 1) == "fcntl(0, F_GETFD) = 0x1 (flags FD_CLOEXEC)"
    assert fmt("fcntl", [5, 1030, 10], 11) == "fcntl(5, F_DUPFD_CLOEXEC, 10) = 11"
    assert fmt("fcntl", [0, 4, 0o6000], 0) == "fcntl(0, F_SETFL, O_RDONLY|O_APPEND|O_NONBLOCK) = 0"
    assert fmt("fcntl", [0, 6, 0x10], -errno.EFAULT) == "fcntl(0, F_SETLK, 0x10) = -1 EFAULT (Bad address)"
    assert fmt("fcntl", [0, 99, 5], -errno.EINVAL) == \
        "fcntl(0, 0x63 /* F_??? */, 0x5) = -1 EINVAL (Invalid argument)"


# ---------------------------------------------------------------------------- stat family

def _x86_stat(mode, size=0, rdev=0):
    buf = bytearray(144)
    struct.pack_into("<I", buf, 24, mode)
    struct.pack_into("<Q", buf, 40, rdev)
    struct.pack_into("<q", buf, 48, size)
    return bytes(buf)


def test_newfstatat_and_fstat():
    mem = FakeMem({0x1000: b"\0", 0x2000: _x86_stat(0o100644, 34671)})
    assert (fmt("newfstatat", [3, 0x1000, 0x2000, 0x1000], 0, mem) ==
            'newfstatat(3, "", {st_mode=S_IFREG|0644, st_size=34671, ...}, AT_EMPTY_PATH) = 0')
    mem = FakeMem({0x1000: b"/dev/null\0", 0x2000: _x86_stat(0o20666, rdev=0x103)})
    assert (fmt("newfstatat", [AT_FDCWD, 0x1000, 0x2000, 0], 0, mem) ==
            'newfstatat(AT_FDCWD, "/dev/null", {st_mode=S_IFCHR|0666, st_rdev=makedev(0x1, 0x3), ...}, 0) = 0')
    mem = FakeMem({0x1000: b"/nonexist\0"})
    assert (fmt("newfstatat", [AT_FDCWD, 0x1000, 0x7ffe949efdf0, 0x100], -errno.ENOENT, mem) ==
            'newfstatat(AT_FDCWD, "/nonexist", 0x7ffe949efdf0, AT_SYMLINK_NOFOLLOW)'
            ' = -1 ENOENT (No such file or directory)')
    assert (fmt("newfstatat", [AT_FDCWD, 0x1000, 0x10, 0xFFFF], -errno.EINVAL, mem) ==
            'newfstatat(AT_FDCWD, "/nonexist", 0x10, AT_SYMLINK_NOFOLLOW|AT_REMOVEDIR|AT_SYMLINK_FOLLOW|'
            'AT_NO_AUTOMOUNT|AT_EMPTY_PATH|AT_RECURSIVE|0x60ff) = -1 EINVAL (Invalid argument)')
    mem = FakeMem({0x2000: _x86_stat(0o40755, 4096)})
    assert fmt("fstat", [3, 0x2000], 0, mem) == "fstat(3, {st_mode=S_IFDIR|0755, st_size=4096, ...}) = 0"


def test_stat_layout_comes_from_arch():
    buf = bytearray(128)
    struct.pack_into("<I", buf, 16, 0o100755)
    struct.pack_into("<q", buf, 48, 99)
    mem = FakeMem({0x2000: bytes(buf)})
    assert fmt("fstat", [3, 0x2000], 0, mem, RISCV64) == "fstat(3, {st_mode=S_IFREG|0755, st_size=99, ...}) = 0"
    assert fmt("fstat", [3, 0x2000], 0, mem, StraceArch()) == "fstat(3, 0x2000) = 0"
    assert format_syscall("fstat", [3, 0x2000], 0, mem) == "fstat(3, 0x2000) = 0"


def test_statx():
    buf = bytearray(256)
    struct.pack_into("<I", buf, 0, 0x1FFF)
    struct.pack_into("<H", buf, 28, 0o40755)
    struct.pack_into("<Q", buf, 40, 4096)
    mem = FakeMem({0x1000: b"/etc\0", 0x2000: bytes(buf)})
    assert (fmt("statx", [AT_FDCWD, 0x1000, 0x100, 0xFFF, 0x2000], 0, mem) ==
            'statx(AT_FDCWD, "/etc", AT_STATX_SYNC_AS_STAT|AT_SYMLINK_NOFOLLOW, STATX_ALL, '
            '{stx_mask=STATX_ALL|STATX_MNT_ID, stx_attributes=0, stx_mode=S_IFDIR|0755, stx_size=4096, ...}) = 0')
    assert (fmt("statx", [AT_FDCWD, 0x1000, 0x5000, 0x1003, 0x2000], -errno.ENOENT, mem) ==
            'statx(AT_FDCWD, "/etc", AT_STATX_DONT_SYNC|AT_EMPTY_PATH, STATX_TYPE|STATX_MODE|STATX_MNT_ID, 0x2000)'
            ' = -1 ENOENT (No such file or directory)')


# ---------------------------------------------------------------------------- memory

def test_mmap_family():
    assert (fmt("mmap", [0, 8192, 3, 0x22, NEG1, 0], 0x7F7F98E43000) ==
            "mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f7f98e43000")
    assert (fmt("mmap", [0x7F7F98C7E000, 1400832, 5, 0x812, 3, 0x26000], 0x7F7F98C7E000) ==
            "mmap(0x7f7f98c7e000, 1400832, PROT_READ|PROT_EXEC, MAP_PRIVATE|MAP_FIXED|MAP_DENYWRITE, 3, 0x26000)"
            " = 0x7f7f98c7e000")
    assert (fmt("mmap", [0, 4096, 7, 0x8021, NEG1, 0], 0x7FB4A643B000) ==
            "mmap(NULL, 4096, PROT_READ|PROT_WRITE|PROT_EXEC, MAP_SHARED|MAP_ANONYMOUS|MAP_POPULATE, -1, 0)"
            " = 0x7fb4a643b000")
    flags = 0x2 | 0x20 | 0x40 | 0x4000 | 0x100 | 0x20000 | 0x100000 | (8 << 26)
    assert (fmt("mmap", [0x10000000, 4096, 1, flags, NEG1, 0], 0x10000000) ==
            "mmap(0x10000000, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS|MAP_32BIT|MAP_NORESERVE|MAP_GROWSDOWN|"
            "MAP_STACK|MAP_FIXED_NOREPLACE|8<<MAP_HUGE_SHIFT, -1, 0) = 0x10000000")
    assert (fmt("mmap", [0, 4096, 1 | 8 | 0x10000, 3 | 0x40000 | 0x80000 | (21 << 26), 5, 4096], -errno.EBADF) ==
            "mmap(NULL, 4096, PROT_READ|PROT_SEM|0x10000, MAP_SHARED_VALIDATE|MAP_HUGETLB|MAP_SYNC|"
            "21<<MAP_HUGE_SHIFT, 5, 0x1000) = -1 EBADF (Bad file descriptor)")
    # MAP_32BIT is an x86_64 flag: unnamed elsewhere
    assert "MAP_PRIVATE|MAP_ANONYMOUS|0x40" in fmt("mmap", [0, 4096, 0, 0x62, NEG1, 0], 0x1000, arch=RISCV64)
    assert fmt("munmap", [0x7FB4A643B000, 4096], 0) == "munmap(0x7fb4a643b000, 4096) = 0"
    assert fmt("mprotect", [0x7FB4A643B000, 4096, 0], 0) == "mprotect(0x7fb4a643b000, 4096, PROT_NONE) = 0"
    assert fmt("madvise", [0x7FB4A643B000, 4096, 4], 0) == "madvise(0x7fb4a643b000, 4096, MADV_DONTNEED) = 0"
    assert fmt("brk", [0], 0x556EFB1C4000) == "brk(NULL) = 0x556efb1c4000"
    assert fmt("brk", [0x556EFB1E5000], 0x556EFB1E5000) == "brk(0x556efb1e5000) = 0x556efb1e5000"


# ---------------------------------------------------------------------------- processes

def test_exit_and_simple_calls():
    assert fmt("exit_group", [0], None) == "exit_group(0) = ?"
    assert fmt("exit_group", [NEG1], None) == "exit_group(-1) = ?"
    assert fmt("exit", [300], None) == "exit(300) = ?"
    assert fmt("getpid", [], 6324) == "getpid() = 6324"
    for name in ("gettid", "getppid", "getuid", "geteuid", "getgid", "getegid"):
        assert fmt(name, [0] * 6, 0) == f"{name}() = 0"
    assert fmt("set_tid_address", [0x7F7F98C55A10], 6232) == "set_tid_address(0x7f7f98c55a10) = 6232"
    assert fmt("set_robust_list", [0x7F7F98C55A20, 24], 0) == "set_robust_list(0x7f7f98c55a20, 24) = 0"
    assert fmt("kill", [6324, 0], 0) == "kill(6324, 0) = 0"
    assert fmt("kill", [8461, 18], 0) == "kill(8461, SIGCONT) = 0"
    assert fmt("tgkill", [8461, 8461, 19], 0) == "tgkill(8461, 8461, SIGSTOP) = 0"


def test_execve():
    mem = FakeMem({0x1000: b"/bin/true\0", 0x1100: b"x\0", 0x1200: b"0123456789012345678901234567890123456789\0",
                   0x1300: b"A=1\0"})
    mem.put(0x2000, struct.pack("<QQQ", 0x1000, 0x1100, 0))
    mem.put(0x2100, struct.pack("<QQ", 0x1300, 0))
    mem.put(0x2200, struct.pack("<QQQ", 0x1000, 0x1200, 0))
    mem.put(0x2300, struct.pack("<QQQ", 0x1300, 0x1300, 0))
    assert (fmt("execve", [0x1000, 0x2000, 0x2100], 0, mem) ==
            'execve("/bin/true", ["/bin/true", "x"], 0x2100 /* 1 var */) = 0')
    assert (fmt("execve", [0x1000, 0x2200, 0x2300], -errno.ENOENT, mem) ==
            'execve("/bin/true", ["/bin/true", "01234567890123456789012345678901"...], 0x2300 /* 2 vars */)'
            ' = -1 ENOENT (No such file or directory)')
    # split formatting for a successful exec: call text before, result after
    assert format_call("execve", [0x1000, 0x2000, 0x2100], None, mem) == \
        'execve("/bin/true", ["/bin/true", "x"], 0x2100 /* 1 var */)'
    assert format_return("execve", 0) == "0"


def test_clone_x86_and_riscv_argument_order():
    flags = 0x200000 | 0x1000000 | 17
    # x86_64: flags, stack, parent_tid, child_tid, tls
    assert (fmt("clone", [flags, 0, 0, 0x7FB4A624EA10, 0], 6325) ==
            "clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD,"
            " child_tidptr=0x7fb4a624ea10) = 6325")
    # riscv64: flags, stack, parent_tid, tls, child_tid
    assert (fmt("clone", [flags, 0, 0, 0, 0x3FF0001000], 77, arch=RISCV64) ==
            "clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD,"
            " child_tidptr=0x3ff0001000) = 77")
    thread = 0x100 | 0x200 | 0x400 | 0x800 | 0x10000 | 0x40000 | 0x80000 | 0x100000 | 0x200000
    mem = FakeMem({0x5000: struct.pack("<i", 1235)})
    assert (fmt("clone", [thread, 0x7F00, 0x5000, 0x6000, 0x7000], 1235, mem, RISCV64) ==
            "clone(child_stack=0x7f00, flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|"
            "CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID, parent_tid=[1235],"
            " tls=0x6000, child_tidptr=0x7000) = 1235")


def test_clone3():
    flags = 0x100 | 0x200 | 0x400 | 0x800 | 0x10000 | 0x40000 | 0x80000 | 0x100000 | 0x200000
    args = struct.pack("<8Q", flags, 0, 0x7F23A1E14990, 0x7F23A1E14990, 0, 0x7F23A1614000, 0x7FFF80,
                       0x7F23A1E146C0) + bytes(24)
    mem = FakeMem({0x1000: args, 0x7F23A1E14990: struct.pack("<i", 8458)})
    assert (fmt("clone3", [0x1000, 88], 8458, mem) ==
            "clone3({flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|"
            "CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID, child_tid=0x7f23a1e14990, parent_tid=0x7f23a1e14990, "
            "exit_signal=0, stack=0x7f23a1614000, stack_size=0x7fff80, tls=0x7f23a1e146c0} => "
            "{parent_tid=[8458]}, 88) = 8458")


def test_wait4():
    mem = FakeMem({0x1000: struct.pack("<I", 0)})
    assert (fmt("wait4", [6325, 0x1000, 0, 0], 6325, mem) ==
            "wait4(6325, [{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0, NULL) = 6325")
    mem = FakeMem({0x1000: struct.pack("<I", 9)})
    assert (fmt("wait4", [NEG1, 0x1000, 0x40000000, 0], 8459, mem) ==
            "wait4(-1, [{WIFSIGNALED(s) && WTERMSIG(s) == SIGKILL}], __WALL, NULL) = 8459")
    mem = FakeMem({0x1000: struct.pack("<I", 0x137F)})
    assert (fmt("wait4", [8461, 0x1000, 2, 0], 8461, mem) ==
            "wait4(8461, [{WIFSTOPPED(s) && WSTOPSIG(s) == SIGSTOP}], WSTOPPED, NULL) = 8461")
    mem = FakeMem({0x1000: struct.pack("<I", 0xFFFF)})
    assert fmt("wait4", [8461, 0x1000, 8, 0], 8461, mem) == "wait4(8461, [{WIFCONTINUED(s)}], WCONTINUED, NULL) = 8461"
    assert fmt("wait4", [8459, 0x7FFC319AB064, 1, 0], 0, mem) == "wait4(8459, 0x7ffc319ab064, WNOHANG, NULL) = 0"


# ---------------------------------------------------------------------------- misc

def test_arch_prctl():
    assert fmt("arch_prctl", [0x1002, 0x7F7F98C55740], 0) == "arch_prctl(ARCH_SET_FS, 0x7f7f98c55740) = 0"
    mem = FakeMem({0x1000: struct.pack("<Q", 0x7F23A1E15740)})
    assert fmt("arch_prctl", [0x1003, 0x1000], 0, mem) == "arch_prctl(ARCH_GET_FS, [0x7f23a1e15740]) = 0"
    assert fmt("arch_prctl", [0x3001, 0], -errno.EINVAL) == \
        "arch_prctl(0x3001 /* ARCH_??? */, 0) = -1 EINVAL (Invalid argument)"


def test_sigaction_and_sigprocmask():
    act = struct.pack("<QQQQ", 0x55594E6E4439, 0x14000000, 0x7FB4A628D050, 0)
    mem = FakeMem({0x1000: act})
    assert (fmt("rt_sigaction", [2, 0x1000, 0, 8], 0, mem) ==
            "rt_sigaction(SIGINT, {sa_handler=0x55594e6e4439, sa_mask=[], sa_flags=SA_RESTORER|SA_RESTART,"
            " sa_restorer=0x7fb4a628d050}, NULL, 8) = 0")
    full = (1 << 64) - 1 - (3 << 31)   # everything but 32 and 33
    act = struct.pack("<QQQQ", 1, 0xFFFFFFFF00000000 | 0xC8000004 | 0x04000000, 0x7F23A1E54050, full)
    old = struct.pack("<QQQQ", 1, 0xDC000004, 0x7F23A1E54050, full & ~(1 << 8) & ~(1 << 18))
    mem = FakeMem({0x1000: act, 0x2000: old})
    assert (fmt("rt_sigaction", [10, 0x1000, 0x2000, 8], 0, mem) ==
            "rt_sigaction(SIGUSR1, {sa_handler=SIG_IGN, sa_mask=~[RTMIN RT_1], sa_flags=SA_RESTORER|SA_ONSTACK|"
            "SA_NODEFER|SA_RESETHAND|SA_SIGINFO|0xffffffff00000000, sa_restorer=0x7f23a1e54050}, {sa_handler=SIG_IGN,"
            " sa_mask=~[KILL STOP RTMIN RT_1], sa_flags=SA_RESTORER|SA_ONSTACK|SA_RESTART|SA_NODEFER|SA_RESETHAND|"
            "SA_SIGINFO, sa_restorer=0x7f23a1e54050}, 8) = 0")
    # riscv64's kernel struct sigaction has no sa_restorer
    mem = FakeMem({0x1000: struct.pack("<QQQ", 0, 0, 1 << 16)})
    assert (fmt("rt_sigaction", [37, 0, 0x1000, 8], 0, mem, RISCV64) ==
            "rt_sigaction(SIGRT_5, NULL, {sa_handler=SIG_DFL, sa_mask=[CHLD], sa_flags=0}, 8) = 0")
    mem = FakeMem({0x1000: struct.pack("<Q", 1 << 16), 0x2000: struct.pack("<Q", (1 << 64) - 1),
                   0x3000: struct.pack("<Q", 0)})
    assert fmt("rt_sigprocmask", [0, 0x1000, 0, 8], 0, mem) == "rt_sigprocmask(SIG_BLOCK, [CHLD], NULL, 8) = 0"
    assert fmt("rt_sigprocmask", [0, 0x2000, 0x3000, 8], 0, mem) == "rt_sigprocmask(SIG_BLOCK, ~[], [], 8) = 0"


def test_time_calls():
    mem = FakeMem({0x1000: struct.pack("<qq", 1795650744, 745297358), 0x2000: struct.pack("<qq", 0, 1000)})
    assert (fmt("clock_gettime", [0, 0x1000], 0, mem) ==
            "clock_gettime(CLOCK_REALTIME, {tv_sec=1795650744, tv_nsec=745297358}) = 0")
    assert fmt("gettimeofday", [0x1000, 0], 0, mem) == "gettimeofday({tv_sec=1795650744, tv_usec=745297358}, NULL) = 0"
    assert fmt("nanosleep", [0x2000, 0], 0, mem) == "nanosleep({tv_sec=0, tv_nsec=1000}, NULL) = 0"
    assert (fmt("clock_nanosleep", [1, 0, 0x2000, 0], 0, mem) ==
            "clock_nanosleep(CLOCK_MONOTONIC, 0, {tv_sec=0, tv_nsec=1000}, NULL) = 0")
    assert fmt("clock_gettime", [17, 0], -errno.EINVAL) == \
        "clock_gettime(0x11 /* CLOCK_??? */, NULL) = -1 EINVAL (Invalid argument)"
    assert fmt("clock_gettime", [7, 0x10], -errno.EFAULT) == \
        "clock_gettime(CLOCK_BOOTTIME, 0x10) = -1 EFAULT (Bad address)"


def test_getrandom_uname_prlimit_affinity():
    mem = FakeMem({0x1000: bytes.fromhex("ee49256de8824de2")})
    assert (fmt("getrandom", [0x1000, 8, 1], 8, mem) ==
            'getrandom("\\xee\\x49\\x25\\x6d\\xe8\\x82\\x4d\\xe2", 8, GRND_NONBLOCK) = 8')
    uts = b"Linux".ljust(65, b"\0") + b"vm".ljust(65, b"\0") + bytes(65 * 4)
    mem = FakeMem({0x1000: uts})
    assert fmt("uname", [0x1000], 0, mem) == 'uname({sysname="Linux", nodename="vm", ...}) = 0'
    mem = FakeMem({0x1000: struct.pack("<QQ", 8192 * 1024, (1 << 64) - 1), 0x2000: struct.pack("<QQ", 20000, 20000)})
    assert (fmt("prlimit64", [0, 3, 0, 0x1000], 0, mem) ==
            "prlimit64(0, RLIMIT_STACK, NULL, {rlim_cur=8192*1024, rlim_max=RLIM64_INFINITY}) = 0")
    assert (fmt("prlimit64", [0, 7, 0, 0x2000], 0, mem) ==
            "prlimit64(0, RLIMIT_NOFILE, NULL, {rlim_cur=20000, rlim_max=20000}) = 0")
    mem = FakeMem({0x1000: bytes([3]) + bytes(127)})
    assert fmt("sched_getaffinity", [0, 128, 0x1000], 32, mem) == "sched_getaffinity(0, 128, [0 1]) = 32"
    assert (fmt("sched_getaffinity", [0, 3, 0x7FFC817DE870], -errno.EINVAL, mem) ==
            "sched_getaffinity(0, 3, 0x7ffc817de870) = -1 EINVAL (Invalid argument)")


def test_ioctl():
    assert (fmt("ioctl", [1, 0x5413, 0x7FFE949EFDE8], -errno.ENOTTY) ==
            "ioctl(1, TIOCGWINSZ, 0x7ffe949efde8) = -1 ENOTTY (Inappropriate ioctl for device)")
    assert (fmt("ioctl", [0, 0x5401, 0x7FFE949EFDA0], -errno.ENOTTY) ==
            "ioctl(0, TCGETS, 0x7ffe949efda0) = -1 ENOTTY (Inappropriate ioctl for device)")
    assert (fmt("ioctl", [0, 0x1234, 0], -errno.ENOTTY) ==
            "ioctl(0, _IOC(_IOC_NONE, 0x12, 0x34, 0), 0) = -1 ENOTTY (Inappropriate ioctl for device)")
    assert (fmt("ioctl", [0, 0xC00C7803, 0], -errno.ENOTTY) ==
            "ioctl(0, _IOC(_IOC_READ|_IOC_WRITE, 0x78, 0x3, 0xc), 0) = -1 ENOTTY (Inappropriate ioctl for device)")
    mem = FakeMem({0x1000: struct.pack("<HHHH", 0, 0, 0, 0), 0x2000: struct.pack("<i", -1)})
    assert (fmt("ioctl", [1, 0x5413, 0x1000], 0, mem) ==
            "ioctl(1, TIOCGWINSZ, {ws_row=0, ws_col=0, ws_xpixel=0, ws_ypixel=0}) = 0")
    assert fmt("ioctl", [NEG1, 0x5421, 0x2000], -errno.EBADF, mem) == \
        "ioctl(-1, FIONBIO, [-1]) = -1 EBADF (Bad file descriptor)"
    termios = struct.pack("<IIII", 0x500, 0x5, 0xBF, 0x8A3B) + bytes(20)
    mem = FakeMem({0x1000: termios})
    assert (fmt("ioctl", [0, 0x5401, 0x1000], 0, mem) ==
            "ioctl(0, TCGETS, {c_iflag=ICRNL|IXON, c_oflag=NL0|CR0|TAB0|BS0|VT0|FF0|OPOST|ONLCR, "
            "c_cflag=B38400|CS8|CREAD, c_lflag=ISIG|ICANON|ECHO|ECHOE|ECHOK|IEXTEN|ECHOCTL|ECHOKE, ...}) = 0")


def test_readlink_getcwd_getdents_dirs():
    mem = FakeMem({0x1000: b"/proc/self/exe\0", 0x2000: b"/tmp/st/tXXXX", 0x3000: b"/nope\0"})
    assert fmt("readlink", [0x1000, 0x2000, 256], 9, mem) == 'readlink("/proc/self/exe", "/tmp/st/t", 256) = 9'
    assert (fmt("readlinkat", [AT_FDCWD, 0x3000, 0x7FFE949EFEF0, 256], -errno.ENOENT, mem) ==
            'readlinkat(AT_FDCWD, "/nope", 0x7ffe949efef0, 256) = -1 ENOENT (No such file or directory)')
    mem = FakeMem({0x1000: b"/tmp\0", 0x2000: b"/tmp/st/d\0"})
    assert fmt("getcwd", [0x1000, 256], 5, mem) == 'getcwd("/tmp", 256) = 5'
    assert fmt("mkdirat", [AT_FDCWD, 0x2000, 0o755], 0, mem) == 'mkdirat(AT_FDCWD, "/tmp/st/d", 0755) = 0'
    assert fmt("unlinkat", [AT_FDCWD, 0x2000, 0x200], 0, mem) == 'unlinkat(AT_FDCWD, "/tmp/st/d", AT_REMOVEDIR) = 0'
    assert fmt("chdir", [0x1000], 0, mem) == 'chdir("/tmp") = 0'
    ents = b""
    for name in (b".", b"..", b"file"):
        reclen = (19 + len(name) + 1 + 7) & ~7
        ents += struct.pack("<QqHB", 1, 0, reclen, 4) + name.ljust(reclen - 19, b"\0")
    mem = FakeMem({0x1000: ents + bytes(64)})
    assert (fmt("getdents64", [5, 0x1000, 256], len(ents), mem) ==
            f"getdents64(5, 0x1000 /* 3 entries */, 256) = {len(ents)}")
    assert fmt("getdents64", [5, 0x1000, 256], 0, mem) == "getdents64(5, 0x1000 /* 0 entries */, 256) = 0"


def test_futex():
    mem = FakeMem({0x2000: struct.pack("<qq", 1, 5)})
    assert fmt("futex", [0x7FFE949EFA3C, 129, 1, 0, 0, 0], 0) == "futex(0x7ffe949efa3c, FUTEX_WAKE_PRIVATE, 1) = 0"
    assert (fmt("futex", [0x7FFE949EFA3C, 0, 1, 0, 0, 0], -errno.EAGAIN) ==
            "futex(0x7ffe949efa3c, FUTEX_WAIT, 1, NULL) = -1 EAGAIN (Resource temporarily unavailable)")
    assert (fmt("futex", [0x7FFC319AB08C, 128 | 256 | 9, 1, 0x2000, 0, 0xFFFFFFFF], -errno.EAGAIN, mem) ==
            "futex(0x7ffc319ab08c, FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME, 1, {tv_sec=1, tv_nsec=5},"
            " FUTEX_BITSET_MATCH_ANY) = -1 EAGAIN (Resource temporarily unavailable)")
    assert (fmt("futex", [0x7FFC319AB08C, 128, 0, 0x2000, 0, 0], -errno.ETIMEDOUT, mem) ==
            "futex(0x7ffc319ab08c, FUTEX_WAIT_PRIVATE, 0, {tv_sec=1, tv_nsec=5}) = -1 ETIMEDOUT (Connection timed out)")
    assert (fmt("futex", [0x7FFC319AB08C, 128 | 4, 1, 2, 0x7FFC319AB08C, 0], 0) ==
            "futex(0x7ffc319ab08c, FUTEX_CMP_REQUEUE_PRIVATE, 1, 2, 0x7ffc319ab08c, 0) = 0")
    assert (fmt("futex", [0x7FFC319AB08C, 10, 1, 0, 0, 0xFF], 0) ==
            "futex(0x7ffc319ab08c, FUTEX_WAKE_BITSET, 1, 0xff) = 0")


def test_unknown_syscall_generic_form():
    assert fmt("io_uring_setup", [1, 2, 0, 0, 0, 0], 0) == "io_uring_setup(0x1, 0x2, 0, 0, 0, 0) = 0"
    assert fmt("frobnicate", [0x10, 0x20], -errno.ENOSYS) == \
        "frobnicate(0x10, 0x20, 0, 0, 0, 0) = -1 ENOSYS (Function not implemented)"


def test_errno_names_and_restart():
    assert format_return("read", -errno.EDEADLK) == "-1 EDEADLK (Resource deadlock avoided)"
    assert format_return("read", -errno.EOPNOTSUPP) == "-1 EOPNOTSUPP (Operation not supported)"
    assert format_return("read", -512) == "? ERESTARTSYS (To be restarted if SA_RESTART is set)"
    assert format_return("umask", 0o22) == "022"
    assert format_return("poll", 0) == "0 (Timeout)"


def test_padding_like_strace():
    assert format_syscall("brk", [0], 0x556EFB1C4000, FakeMem(), pad_to=40) == \
        "brk(NULL)                               = 0x556efb1c4000"
    line = format_syscall("close", [5], 0, FakeMem(), pad_to=40 - len("6324  "))
    assert "6324  " + line == "6324  close(5)                          = 0"


@pytest.mark.parametrize("name", ["read", "write", "openat", "ioctl", "futex", "clone", "rt_sigaction", "mmap",
                                  "execve", "wait4", "fcntl", "statx", "clone3", "readv", "writev", "prlimit64"])
def test_garbage_arguments_never_raise(name):
    for args in ([NEG1] * 6, [0] * 6, [0x1000] * 6, []):
        for result in (None, 0, -1, 5, NEG1 >> 1):
            line = fmt(name, args, result, FaultingMem())
            assert line.startswith(name + "(")


def test_strace_arch_derived_from_kernel_arch():
    from pynix.syscall.strace import strace_arch
    arch_mod = pytest.importorskip("pynix.arch")
    by_name = {a.name: a for a in arch_mod.all_arches()}
    for name, expected in (("x86_64", X86_64), ("riscv64", RISCV64)):
        if name not in by_name:
            continue
        derived = strace_arch(by_name[name])
        assert derived.stat_mode_offset == expected.stat_mode_offset
        assert derived.stat_rdev_offset == expected.stat_rdev_offset
        assert derived.stat_size_offset == expected.stat_size_offset
        assert derived.sigaction_has_restorer == expected.sigaction_has_restorer
        assert strace_arch(by_name[name]) is derived     # cached
