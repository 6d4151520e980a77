"""devfs (/dev) and procfs (/proc): unit tests against the filesystems themselves, and differential runs of the
guest programs dev_null_zero.c, proc_self.c, proc_threads.c and smaps_faults.c."""
from __future__ import annotations

import errno
import os
import stat as st

import pytest

from harness import assert_same, assert_same_as_native, build
from pynix.errors import KernelError
from pynix.fs import devfs
from pynix.fs.devfs import DevfsSuperBlock, new_encode_dev
from pynix.fs.file_ops import SEEK_CUR, SEEK_END, SEEK_SET
from pynix.fs.proc import ProcfsSuperBlock
from pynix.fs.rootfs import build_mounts
from pynix.fs.tmpfs import TmpfsSuperBlock
from pynix.fs.vfs import FsContext, Walker
from pynix.syscall.sys_info import proc_values
from pynix.tty.devices import tty_init
from pynix.uapi.fcntl import O_RDONLY, O_RDWR, O_WRONLY


def _walker(mounts) -> Walker:
    root = mounts.root_path()
    return Walker(FsContext(mounts, root, root))


def _open(walker: Walker, path: str, flags: int = O_RDONLY):
    target = walker.resolve(walker.fs.root, path.encode())
    return target.inode.open(target, flags)


def _read_all(file, chunk: int = 4096) -> bytes:
    out = b""
    while True:
        data = file.read(None, chunk)
        if not data:
            return out
        out += data


# ------------------------------------------------------------------------------------------------- devfs
@pytest.fixture
def dev_walker():
    tty_init()                                   # the terminal drivers, as boot registers them
    return _walker(build_mounts(extra=[("/dev", DevfsSuperBlock())]))


def test_new_encode_dev():
    assert new_encode_dev(1, 3) == 0x103
    assert new_encode_dev(5, 1) == 0x501
    assert new_encode_dev(136, 0x123) == (0x23 | (136 << 8) | (0x100 << 12))
    assert devfs.dev_major(new_encode_dev(254, 70000)) == 254
    assert devfs.dev_minor(new_encode_dev(254, 70000)) == 70000


@pytest.mark.parametrize("name,major,minor,perm", [
    ("null", 1, 3, 0o666), ("zero", 1, 5, 0o666), ("full", 1, 7, 0o666), ("random", 1, 8, 0o666),
    ("urandom", 1, 9, 0o666), ("tty", 5, 0, 0o666), ("console", 5, 1, 0o600)])
def test_device_nodes(dev_walker, name, major, minor, perm):
    info = dev_walker.resolve(dev_walker.fs.root, f"/dev/{name}".encode()).inode.stat()
    assert st.S_ISCHR(info["mode"]) and st.S_IMODE(info["mode"]) == perm
    assert info["rdev"] == new_encode_dev(major, minor)


def test_dev_links_and_dirs(dev_walker):
    w = dev_walker
    for name, target in (("stdin", b"/proc/self/fd/0"), ("stdout", b"/proc/self/fd/1"),
                         ("stderr", b"/proc/self/fd/2"), ("fd", b"/proc/self/fd")):
        assert w.resolve(w.fs.root, f"/dev/{name}".encode(), follow=False).inode.readlink() == target
    shm = w.resolve(w.fs.root, b"/dev/shm")
    assert isinstance(shm.inode.sb, TmpfsSuperBlock), "/dev/shm is the tmpfs mounted over devfs's directory"
    assert st.S_IMODE(shm.inode.mode) == 0o1777
    assert w.resolve(w.fs.root, b"/dev/pts").inode.is_dir


def test_null_zero_full(dev_walker):
    null = _open(dev_walker, "/dev/null", O_RDWR)
    assert null.read(None, 100) == b""
    assert null.write(None, [memoryview(b"abc"), memoryview(b"de")]) == 5
    assert null.lseek(100, SEEK_SET) == 0 and null.lseek(5, SEEK_END) == 0 and null.lseek(0, 99) == 0
    assert null.pread(10, 1000) == b"" and null.pwrite(b"xyz", 7) == 3
    with pytest.raises(KernelError) as e:
        null.bytes_available()
    assert e.value.errno == errno.ENOTTY
    assert null.stat()["rdev"] == new_encode_dev(1, 3)

    zero = _open(dev_walker, "/dev/zero", O_RDWR)
    assert zero.read(None, 10000) == bytes(10000)
    assert zero.write(None, [memoryview(b"123")]) == 3
    assert zero.lseek(4096, SEEK_SET) == 0

    full = _open(dev_walker, "/dev/full", O_RDWR)
    assert full.read(None, 8) == bytes(8)
    with pytest.raises(KernelError) as e:
        full.write(None, [memoryview(b"x")])
    assert e.value.errno == errno.ENOSPC

    urandom = _open(dev_walker, "/dev/urandom")
    a, b = urandom.read(None, 32), urandom.read(None, 32)
    assert len(a) == len(b) == 32 and a != b


def test_tty_without_terminal_is_enxio(dev_walker, monkeypatch):
    monkeypatch.setattr(devfs, "host_terminal_fd", lambda: None)
    for name in ("/dev/tty", "/dev/console"):
        with pytest.raises(KernelError) as e:
            _open(dev_walker, name, O_RDWR)
        assert e.value.errno == errno.ENXIO


def test_tty_reaches_the_host_terminal(dev_walker, monkeypatch):
    master, slave = os.openpty()
    try:
        monkeypatch.setattr(devfs, "host_terminal_fd", lambda: slave)
        tty = _open(dev_walker, "/dev/tty", O_RDWR)
        assert tty.write(None, [memoryview(b"hi\n")]) == 3
        assert os.read(master, 100).replace(b"\r", b"") == b"hi\n"
        assert len(tty.ioctl_termios()) == 36                      # a terminal: TCGETS works
        assert tty.stat()["rdev"] == new_encode_dev(5, 0)          # ...but it stats as /dev/tty
        with pytest.raises(KernelError) as e:
            tty.lseek(0, SEEK_SET)
        assert e.value.errno == errno.ESPIPE
    finally:
        os.close(master)
        os.close(slave)


def test_mknod_in_dev_opens_the_driver(dev_walker):
    root = dev_walker.resolve(dev_walker.fs.root, b"/dev").inode
    root.mknod(b"mynull", st.S_IFCHR | 0o666, new_encode_dev(1, 3), 0, 0)
    root.mknod(b"nodriver", st.S_IFCHR | 0o666, new_encode_dev(42, 42), 0, 0)
    assert _open(dev_walker, "/dev/mynull", O_RDWR).write(None, [memoryview(b"zz")]) == 2
    with pytest.raises(KernelError) as e:
        _open(dev_walker, "/dev/nodriver")
    assert e.value.errno == errno.ENXIO


# ------------------------------------------------------------------------------------------------ procfs
class _Kernelish:
    """Just what procfs reads when no process exists."""

    def __init__(self, arch_name: str = "riscv64") -> None:
        from pynix.arch import arch_by_name
        from pynix.mm.frame_alloc import FrameAllocator
        import time
        self.arch = arch_by_name(arch_name)
        self.frames = FrameAllocator(4096)
        self.boot_time = time.monotonic() - 12.5
        self.groups, self.tasks, self.current = {}, {}, None
        self.mounts = build_mounts(extra=[("/dev", DevfsSuperBlock(self)),
                                          ("/proc", ProcfsSuperBlock(self, proc_values()))])


def test_global_files_without_processes():
    k = _Kernelish("riscv64")
    w = _walker(k.mounts)
    meminfo = _read_all(_open(w, "/proc/meminfo")).decode()
    assert meminfo.startswith("MemTotal:       %8d kB\n" % (4096 * 4))
    assert "\nMemFree:  " in meminfo and "\nMemAvailable:  " in meminfo
    cpuinfo = _read_all(_open(w, "/proc/cpuinfo"))
    assert cpuinfo == b"processor\t: 0\nhart\t\t: 0\nisa\t\t: rv64imafdc\nmmu\t\t: sv39\n\n"
    up, idle = map(float, _read_all(_open(w, "/proc/uptime")).split())
    assert 12.4 < up < 100 and idle >= 0
    assert _read_all(_open(w, "/proc/version")).startswith(b"Linux version 6.1.0-pynix ")
    assert _read_all(_open(w, "/proc/sys/kernel/pid_max")) == b"32768\n"
    assert b"nodev\tproc\n" in _read_all(_open(w, "/proc/filesystems"))
    assert _read_all(_open(w, "/proc/loadavg")).startswith(b"0.00 0.00 0.00 0/0 ")
    with pytest.raises(KernelError) as e:                   # nobody is asking: /proc/self leads nowhere
        w.resolve(w.fs.root, b"/proc/self/stat")
    assert e.value.errno == errno.ENOENT
    names = {name for name, _, _ in w.resolve(w.fs.root, b"/proc").inode.readdir()}
    assert {b"self", b"meminfo", b"cpuinfo", b"uptime", b"mounts", b"sys"} <= names


def test_x86_64_cpuinfo():
    k = _Kernelish("x86_64")
    text = _read_all(_open(_walker(k.mounts), "/proc/cpuinfo")).decode()
    assert text.startswith("processor\t: 0\nvendor_id\t: GenuineIntel\n")
    assert "\nflags\t\t: fpu " in text and " sse2 " in text and text.endswith("\n\n")


def test_proc_file_reads_are_consistent_and_seekable():
    k = _Kernelish()
    w = _walker(k.mounts)
    f = _open(w, "/proc/meminfo")
    whole = _read_all(f, 7)                                    # small pieces: one snapshot
    assert whole.startswith(b"MemTotal:") and whole.endswith(b"kB\n")
    assert f.lseek(0, SEEK_SET) == 0 and f.read(None, 9) == b"MemTotal:"
    assert f.lseek(-9, SEEK_CUR) == 0
    with pytest.raises(KernelError) as e:
        f.lseek(0, SEEK_END)                                   # seq_lseek: SET and CUR only
    assert e.value.errno == errno.EINVAL
    with pytest.raises(KernelError) as e:
        f.write(None, [memoryview(b"x")])
    assert e.value.errno == errno.EINVAL


# ------------------------------------------------------------------------------- procfs with a real process
@pytest.fixture(params=["x86_64-musl", "riscv64-musl"])
def machine(request):
    """A kernel with its program spawned (not run) from hello.c, and the program's task as the current task."""
    from pynix.arch import arch_by_name
    from pynix.boot import Machine
    binary = build("hello.c", request.param)
    machine = Machine(arch_by_name(request.param.split("-")[0]), 32 << 20)
    kernel = machine.kernel
    argv = [os.fsencode(binary), b"first", b"", b"two words"]
    envp = [b"A=1", b"PYNIX_UNIT=yes"]
    group = machine.spawn(str(binary), argv, envp, cwd="/tmp")
    kernel.current = group.tasks[0]
    return kernel, group, argv, envp, binary


def test_process_files(machine):
    kernel, group, argv, envp, binary = machine
    w = _walker(kernel.mounts)
    assert w.resolve(w.fs.root, b"/proc/self", follow=False).inode.readlink() == b"%d" % group.pid
    thread_self = w.resolve(w.fs.root, b"/proc/thread-self", follow=False).inode.readlink()
    assert thread_self == b"%d/task/%d" % (group.pid, group.pid)
    assert w.resolve(w.fs.root, b"/proc/self/exe", follow=False).inode.readlink() == os.fsencode(binary)
    assert w.resolve(w.fs.root, b"/proc/self/cwd", follow=False).inode.readlink() == b"/tmp"
    assert w.resolve(w.fs.root, b"/proc/self/cwd").inode.is_dir               # followed: the directory
    assert _read_all(_open(w, "/proc/self/cmdline")) == b"".join(a + b"\0" for a in argv)
    assert _read_all(_open(w, f"/proc/{group.pid}/environ")) == b"".join(e + b"\0" for e in envp)
    assert _read_all(_open(w, f"/proc/{group.pid}/comm")) == os.fsencode(binary.name[:15]) + b"\n"

    stat = _read_all(_open(w, "/proc/self/stat")).decode()
    assert stat.startswith(f"{group.pid} ({binary.name[:15]}) ")
    fields = stat.rsplit(")", 1)[1].split()
    assert len(fields) + 2 == 52
    assert fields[0] in "RS" and int(fields[1]) == 1 and int(fields[17]) == 1    # state, ppid (init), threads
    arg_start, arg_end = int(fields[45]), int(fields[46])
    assert arg_end - arg_start == sum(len(a) + 1 for a in argv)

    status = _read_all(_open(w, f"/proc/{group.pid}/status")).decode()
    assert status.startswith(f"Name:\t{binary.name[:15]}\n")
    for line in (f"Tgid:\t{group.pid}", f"Pid:\t{group.pid}", "PPid:\t1", "Threads:\t1", "State:\tR (running)"):
        assert f"\n{line}\n" in status
    assert "\nVmRSS:\t" in status and "\nVmSize:\t" in status

    maps = _read_all(_open(w, f"/proc/{group.pid}/maps")).decode().splitlines()
    stack = [line for line in maps if line.endswith("[stack]")]
    assert len(stack) == 1 and stack[0][73:] == "[stack]" and stack[0][72] == " "
    exe_lines = [line for line in maps if line.endswith(str(binary))]
    assert any(line.split()[1] == "r-xp" for line in exe_lines)
    for line in maps:
        addr, perms, offset, dev, inode = line.split()[:5]
        lo, hi = (int(x, 16) for x in addr.split("-"))
        assert lo < hi and len(perms) == 4 and ":" in dev and int(inode) >= 0

    names = {name for name, _, _ in w.resolve(w.fs.root, b"/proc").inode.readdir()}
    assert b"1" in names and b"%d" % group.pid in names                   # init and the program
    tasks = {name for name, _, _ in w.resolve(w.fs.root, b"/proc/%d/task" % group.pid).inode.readdir()}
    assert tasks == {b"%d" % group.pid}
    assert _read_all(_open(w, f"/proc/{group.pid}/task/{group.pid}/stat")).startswith(b"%d (" % group.pid)
    with pytest.raises(KernelError):
        w.resolve(w.fs.root, b"/proc/%d" % (group.pid + 1))


def test_faults_counted_and_shown_in_smaps(machine):
    """handle_fault counts the faults it resolves: a page of a host file that is not in the (cold) page cache
    is a major fault, the next page, read ahead with it, a minor one; smaps then shows the two pages as the
    process's own and clean (the page cache's frames, mapped once), and smaps_rollup sums every area."""
    import sys
    from pynix.fs.file_ops import file_mapping
    from pynix.hal import ACCESS_READ
    kernel, group, _argv, _envp, _binary = machine
    mm = group.mm
    w = _walker(kernel.mounts)
    host_file = os.fsencode(os.path.realpath(sys.executable))           # a file of the host nobody has read
    cache = file_mapping(w.resolve(w.fs.root, host_file).inode, group.tasks[0])
    addr = mm.get_unmapped_area(32 << 12)
    mm.map(addr, 32 << 12, 1, file=cache, image_end=addr + (32 << 12), name=os.fsdecode(host_file))
    mm.min_flt = mm.maj_flt = 0
    mm.handle_fault(addr, ACCESS_READ)
    mm.handle_fault(addr + 4096, ACCESS_READ)
    assert (mm.min_flt, mm.maj_flt) == (1, 1)

    smaps = _read_all(_open(w, f"/proc/{group.pid}/smaps")).decode()
    maps = _read_all(_open(w, f"/proc/{group.pid}/maps")).decode()
    headers = [line for line in smaps.splitlines() if not line.split(":")[0].isidentifier()]
    assert "\n".join(headers) + "\n" == maps                    # one entry per line of maps, in order
    entry = smaps[smaps.index(f"{addr:08x}-"):]
    entry = entry[:entry.index("VmFlags:")]
    fields = {line.split(":")[0]: int(line.split()[1]) for line in entry.splitlines()[1:]}
    assert fields["Size"] == 128 and fields["Rss"] == fields["Private_Clean"] == fields["Pss"] == 8
    assert fields["Private_Dirty"] == fields["Shared_Clean"] == fields["Anonymous"] == 0
    rollup = _read_all(_open(w, f"/proc/{group.pid}/smaps_rollup")).decode().splitlines()
    assert rollup[0][73:] == "[rollup]" and rollup[0].split()[1:5] == ["---p", "00000000", "00:00", "0"]
    total = sum(int(line.split()[1]) for line in smaps.splitlines() if line.startswith("Rss:"))
    assert f"Rss:{total:>20} kB" in rollup


def test_fd_links_and_mounts(machine):
    kernel, group, *_ = machine
    w = _walker(kernel.mounts)
    target = w.resolve(w.fs.root, b"/dev/null")
    fd = group.fds.install(target.inode.open(target, O_WRONLY))
    link = w.resolve(w.fs.root, b"/proc/self/fd/%d" % fd, follow=False)
    assert link.inode.readlink() == b"/dev/null" and st.S_IMODE(link.inode.mode) == 0o300
    assert w.resolve(w.fs.root, b"/proc/self/fd/%d" % fd).inode is target.inode
    fdinfo = _read_all(_open(w, "/proc/self/fdinfo/%d" % fd)).decode()
    assert fdinfo.startswith("pos:\t0\nflags:\t01\nmnt_id:\t")
    fds = {name for name, _, _ in w.resolve(w.fs.root, b"/proc/self/fd").inode.readdir()}
    assert b"%d" % fd in fds
    group.fds.close(fd)
    with pytest.raises(KernelError) as e:
        w.resolve(w.fs.root, b"/proc/self/fd/%d" % fd, follow=False)
    assert e.value.errno == errno.ENOENT

    mounts = _read_all(_open(w, "/proc/mounts")).decode().splitlines()
    assert "devtmpfs /dev devtmpfs rw,relatime 0 0" in mounts
    assert "proc /proc proc rw,relatime 0 0" in mounts
    assert "tmpfs /dev/shm tmpfs rw,relatime 0 0" in mounts
    info = [line.split() for line in _read_all(_open(w, "/proc/self/mountinfo")).decode().splitlines()]
    ids = {fields[4]: fields[0] for fields in info}
    shm = next(fields for fields in info if fields[4] == "/dev/shm")
    assert shm[1] == ids["/dev"]                               # /dev/shm's parent is /dev


def test_pipe_fd_reopens_through_proc(machine):
    """/proc/self/fd/N of a pipe reads "pipe:[ino]", and opening it reaches the same pipe."""
    from pynix.fs.pipe import create_pipe
    kernel, group, *_ = machine
    w = _walker(kernel.mounts)
    r, wr = create_pipe()
    rfd, wfd = group.fds.install(r), group.fds.install(wr)
    text = w.resolve(w.fs.root, b"/proc/self/fd/%d" % wfd, follow=False).inode.readlink()
    assert text == b"pipe:[%d]" % r.pipe.ino
    again = _open(w, "/proc/self/fd/%d" % wfd, O_WRONLY)
    task = kernel.current
    assert again.write(task, [memoryview(b"through proc")]) == 12
    assert r.read(task, 100) == b"through proc"
    target = w.resolve(w.fs.root, b"/proc/self/fd/%d" % rfd)
    assert st.S_ISFIFO(target.inode.stat()["mode"])


def test_reaped_process_disappears(machine):
    """Dentries under /proc are not cached: a process that is gone is gone, even after a lookup."""
    kernel, group, *_ = machine
    w = _walker(kernel.mounts)
    piddir = w.resolve(w.fs.root, b"/proc/%d" % group.pid)
    assert piddir.inode.is_dir
    f = _open(w, f"/proc/{group.pid}/stat")
    kernel.groups.pop(group.pid)
    kernel.tasks.pop(group.pid)
    with pytest.raises(KernelError) as e:
        w.resolve(w.fs.root, b"/proc/%d" % group.pid)
    assert e.value.errno == errno.ENOENT
    assert piddir.dentry.child(b"stat") is None               # a directory held open is empty now
    with pytest.raises(KernelError) as e:
        f.read(None, 100)                                      # an open file of it: ESRCH, as on Linux
    assert e.value.errno == errno.ESRCH


# ----------------------------------------------------------------------------------------- differential
def test_dev_null_zero(guest):
    got, _ = assert_same(guest("dev_null_zero.c"))
    assert b"ALL OK" in got.stdout
    assert b"written through /dev/stdout\n" in got.stdout and b"full write -> -1 ENOSPC\n" in got.stdout


def test_proc_self(guest):
    got, _ = assert_same(guest("proc_self.c"), ["first", "", "two words"],
                         env={"PYNIX_PROC_TEST": "hello from the environment"})
    text = got.stdout.decode()
    assert "ALL OK" in text and ": no\n" not in text, got.describe()


def test_proc_threads(guest):
    got, _ = assert_same(guest("proc_threads.c"))
    text = got.stdout.decode()
    assert "with 3 more threads: task entries +3, status Threads +3\n" in text
    assert "joined: task entries +0, status Threads +0\n" in text and ": no\n" not in text, got.describe()


def test_busybox_cat_sends_proc_files():
    """busybox cat copies with sendfile(2), which must read a /proc file through the file's own read (its text
    is generated, it has no page cache), as Linux's splice from seq files does."""
    assert_same("/bin/busybox", ["sh", "-c", "cat /proc/sys/kernel/ostype /proc/sys/kernel/ostype"])


def test_smaps_and_fault_counters(target):
    """/proc/self/smaps and smaps_rollup (their fields, in Linux's order; Rss, Pss, shared or private, clean or
    dirty of known mappings before and after a fork and a write; VmFlags) and the page-fault counters
    (getrusage, wait4, /proc/self/stat) against native Linux: guest/smaps_faults.c, whose comment says where
    Linux and pynix take different numbers of faults for the same work, and what it prints there instead."""
    out = assert_same_as_native("smaps_faults.c", target).decode()
    assert "writing 8 fresh pages: 8 minor faults, 0 major\n" in out
    assert "child after fork: Rss 32 Pss 16 Pss_Dirty 16 Shared_Clean 0 Shared_Dirty 32 " in out
    assert " no\n" not in out and " no " not in out and "differs" not in out


def test_book_smaps_as_on_linux(target):
    """The book's copy-on-write experiment (docs/book/memory.md, guest/book_smaps.c) prints what Linux prints."""
    assert_same_as_native("book_smaps.c", target)
