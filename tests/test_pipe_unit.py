"""Unit tests of pipes and the descriptor-table calls, run directly against the handlers with a fake task.

`fakes.call` does what the real dispatcher does with a handler's outcome; user memory is a real AddressSpace
over a small RAM.
"""
from __future__ import annotations

import errno
import stat
import sys
from pathlib import Path

import pytest

from fakes import BLOCKED, FakeGroup, FakeKernel, FakeTask, call, new_machine

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pynix.fs.file import File  # noqa: E402
from pynix.fs.pipe import POLLERR, POLLHUP, POLLIN, POLLOUT, Pipe, PipeReadFile, PipeWriteFile  # noqa: E402
from pynix.mm.address_space import AddressSpace  # noqa: E402
from pynix.mm.uaccess import copy_from_user, copy_to_user  # noqa: E402
from pynix.syscall import fs_fd, fs_read_write, pipe as pipe_calls  # noqa: E402

O_NONBLOCK, O_CLOEXEC, O_DIRECT, O_EXCL = 0o4000, 0o2000000, 0o40000, 0o200
F_DUPFD, F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_DUPFD_CLOEXEC = 0, 1, 2, 3, 4, 1030
F_SETPIPE_SZ, F_GETPIPE_SZ = 1031, 1032
BUF = 0x10000000           # user buffer for data
FDS = 0x20000000           # user int[2] for pipe2
BUF_SIZE = 1 << 20


@pytest.fixture(autouse=True)
def sigpipe(monkeypatch):
    """Record SIGPIPE instead of running signal generation on these fakes."""
    import pynix.fs.pipe as pipe_mod
    monkeypatch.setattr(pipe_mod, "send_sigpipe", lambda task: task.kernel.sigpipes.append(task))


@pytest.fixture(scope="module")
def machine():
    return new_machine()


@pytest.fixture
def task(machine):
    arch, ram, frames = machine
    mm = AddressSpace(arch, ram, frames)
    mm.map(BUF, BUF_SIZE, 3)
    mm.map(FDS, 4096, 3)
    t = FakeTask(FakeKernel(), FakeGroup(mm))          # uid 1000, gid 100
    yield t
    t.group.fds.close_all()
    mm.destroy()


def make_pipe(task, flags=0):
    assert call(task, pipe_calls.sys_pipe2, FDS, flags) == 0
    raw = copy_from_user(task.mm, FDS, 8)
    return int.from_bytes(raw[:4], "little"), int.from_bytes(raw[4:], "little")


def write(task, fd, data: bytes):
    copy_to_user(task.mm, BUF, data)
    return call(task, fs_read_write.sys_write, fd, BUF, len(data))


def read(task, fd, size):
    """(result, data): result is the count, -errno or BLOCKED."""
    result = call(task, fs_read_write.sys_read, fd, BUF, size)
    data = copy_from_user(task.mm, BUF, result) if isinstance(result, int) and result > 0 else b""
    return result, data


def neg(e: int) -> int:
    return -e


# ------------------------------------------------------------------------------------------------ pipe2

def test_pipe2_returns_lowest_descriptors_and_flags(task):
    r, w = make_pipe(task)
    assert (r, w) == (0, 1)
    fds = task.group.fds
    assert isinstance(fds.get(r), PipeReadFile) and isinstance(fds.get(w), PipeWriteFile)
    assert not fds.entry(r).cloexec and not fds.entry(w).cloexec
    r2, w2 = make_pipe(task, O_CLOEXEC | O_NONBLOCK)
    assert (r2, w2) == (2, 3)
    assert fds.entry(r2).cloexec and fds.entry(w2).cloexec
    assert call(task, fs_fd.sys_fcntl, r2, F_GETFL, 0) == O_NONBLOCK
    assert call(task, fs_fd.sys_fcntl, w2, F_GETFL, 0) == O_NONBLOCK | 1
    assert call(task, fs_fd.sys_fcntl, r, F_GETFL, 0) == 0
    assert call(task, fs_fd.sys_fcntl, w, F_GETFL, 0) == 1


def test_pipe_legacy_is_pipe2_without_flags(task):
    assert call(task, pipe_calls.sys_pipe, FDS) == 0
    raw = copy_from_user(task.mm, FDS, 8)
    assert raw == (0).to_bytes(4, "little") + (1).to_bytes(4, "little")


def test_pipe2_rejects_unknown_flags(task):
    assert call(task, pipe_calls.sys_pipe2, FDS, 1) == neg(errno.EINVAL)
    assert call(task, pipe_calls.sys_pipe2, FDS, 0o100) == neg(errno.EINVAL)     # O_CREAT
    assert call(task, pipe_calls.sys_pipe2, FDS, O_EXCL) == neg(errno.ENOPKG)    # notification pipe
    assert task.group.fds.entries == {}


def test_pipe2_efault_leaves_no_descriptor(task):
    assert call(task, pipe_calls.sys_pipe2, 0x1000, 0) == neg(errno.EFAULT)
    assert task.group.fds.entries == {}
    assert make_pipe(task) == (0, 1)          # the numbers were given back


def test_pipe2_emfile_when_only_one_slot_is_free(task):
    fds = task.group.fds
    fds.max_fds = 3
    r, w = make_pipe(task)
    assert call(task, pipe_calls.sys_pipe2, FDS, 0) == neg(errno.EMFILE)
    assert sorted(fds.entries) == [0, 1]
    # the half-made pipe was fully released: the existing pipe still works and nothing dangles
    assert write(task, w, b"x") == 1


# ------------------------------------------------------------------------------------------- read/write

def test_write_then_read_in_order_and_partial_reads(task):
    r, w = make_pipe(task)
    assert write(task, w, b"hello ") == 6
    assert write(task, w, b"world") == 5
    assert task.group.fds.get(r).bytes_available() == 11
    assert read(task, r, 3) == (3, b"hel")
    assert read(task, r, 100) == (8, b"lo world")
    assert task.group.fds.get(r).bytes_available() == 0


def test_read_of_zero_bytes_never_blocks(task):
    r, w = make_pipe(task)
    assert read(task, r, 0) == (0, b"")


def test_empty_nonblocking_read_is_eagain(task):
    r, w = make_pipe(task, O_NONBLOCK)
    assert read(task, r, 10) == (neg(errno.EAGAIN), b"")


def test_empty_blocking_read_blocks_until_a_write(task):
    r, w = make_pipe(task)
    pipe = task.group.fds.get(r).pipe
    assert read(task, r, 10)[0] == BLOCKED
    assert pipe.read_queue.waiters == [task]
    assert write(task, w, b"abc") == 3                  # (the same fake task plays the writer)
    assert task.kernel.woken == [task] and pipe.read_queue.waiters == []
    assert read(task, r, 10) == (3, b"abc")


def test_eof_only_after_the_last_writer_closes(task):
    r, w = make_pipe(task)
    w2 = call(task, fs_fd.sys_dup, w)
    assert write(task, w, b"data") == 4
    assert call(task, fs_fd.sys_close, w) == 0
    assert read(task, r, 100) == (4, b"data")
    assert read(task, r, 100)[0] == BLOCKED              # a writer (w2) is still open
    task.kernel.woken.clear()
    assert call(task, fs_fd.sys_close, w2) == 0
    assert task.kernel.woken == [task]                   # the blocked reader is woken for EOF
    assert read(task, r, 100) == (0, b"")
    assert read(task, r, 100) == (0, b"")


def test_eof_counts_forked_tables(task):
    r, w = make_pipe(task)
    child_fds = task.group.fds.copy()                    # fork: the same open files, one more reference each
    assert call(task, fs_fd.sys_close, w) == 0
    assert read(task, r, 10)[0] == BLOCKED               # the child still holds the write end
    child_fds.close(w)
    assert read(task, r, 10) == (0, b"")
    child_fds.close_all()


def test_write_without_reader_is_epipe(task):
    r, w = make_pipe(task)
    assert call(task, fs_fd.sys_close, r) == 0
    assert write(task, w, b"x") == neg(errno.EPIPE)
    assert task.kernel.sigpipes == [task]                  # and the writer was sent SIGPIPE
    assert call(task, fs_read_write.sys_write, w, BUF, 0) == 0     # empty writes succeed (Linux too)


def test_small_writes_are_atomic(task):
    r, w = make_pipe(task, O_NONBLOCK)
    assert write(task, w, bytes(65000)) == 65000          # 15 full pages + 3560 bytes in the 16th
    assert write(task, w, b"a" * 500) == 500               # merges into the last page (4060 of 4096)
    assert write(task, w, b"b" * 100) == neg(errno.EAGAIN)  # 36 bytes free: never split a small write
    assert task.group.fds.get(r).bytes_available() == 65500
    assert read(task, r, 4096)[0] == 4096                  # frees one page
    assert write(task, w, b"b" * 100) == 100
    data = b""
    while True:
        n, chunk = read(task, r, 65536)
        if n == neg(errno.EAGAIN):
            break
        data += chunk
    assert data == bytes(65000 - 4096) + b"a" * 500 + b"b" * 100


def test_capacity_follows_linux_page_buffers(task):
    """1000-byte writes: 4 fit in a page, 16 pages -> 64000 bytes (Linux), not 65536."""
    r, w = make_pipe(task, O_NONBLOCK)
    total = 0
    while (n := write(task, w, b"z" * 1000)) > 0:
        total += n
    assert n == neg(errno.EAGAIN) and total == 64000
    r2, w2 = make_pipe(task, O_NONBLOCK)
    total = 0
    while (n := write(task, w2, b"z")) > 0:
        total += n
    assert total == 65536


def test_nonblocking_large_write_is_partial(task):
    r, w = make_pipe(task, O_NONBLOCK)
    data = bytes(range(256)) * 400                       # 102400 bytes
    assert write(task, w, data) == 65536
    assert write(task, w, data) == neg(errno.EAGAIN)
    assert read(task, r, 65536) == (65536, data[:65536])


def test_nonblocking_large_write_merges_its_remainder_first(task):
    """Linux writes the sub-page remainder of a large write into the last buffer before whole pages."""
    r, w = make_pipe(task, O_NONBLOCK)
    assert write(task, w, b"x" * (16 * 4096 - 100)) == 16 * 4096 - 100     # 100 bytes free in the last page
    assert write(task, w, b"y" * 4146) == 50                             # 4146 & 4095 = 50: merged, rest full


def test_large_blocking_write_resumes_without_duplicates(task):
    r, w = make_pipe(task)
    data = bytes((i * 7 + i // 4096) & 0xFF for i in range(200_000))
    copy_to_user(task.mm, BUF, data)
    received = bytearray()
    reader = FakeTask(task.kernel, task.group)
    runs = 0
    while True:
        result = call(task, fs_read_write.sys_write, w, BUF + 0, len(data))
        runs += 1
        if result != BLOCKED:
            break
        assert isinstance(task.restart_data, int) and task.restart_data > 0
        # another thread drains part of the pipe (straight from the file: the writer's source buffer in
        # user memory must stay intact for its re-run)
        received += task.group.fds.get(r).read(reader, 30_000)
    assert result == len(data)
    assert task.restart_data is None
    received += task.group.fds.get(r).pipe.read(task, 1 << 20, nonblocking=True)
    assert bytes(received) == data
    assert runs > 2


def test_blocked_writer_gets_partial_count_when_the_reader_goes(task):
    r, w = make_pipe(task)
    assert write(task, w, bytes(100_000)) == BLOCKED
    assert task.restart_data == 65536
    task.kernel.woken.clear()
    other = FakeTask(task.kernel, task.group)            # another thread closes the read end
    assert call(other, fs_fd.sys_close, r) == 0
    assert task.kernel.woken == [task]
    assert call(task, fs_read_write.sys_write, w, BUF, 100_000) == 65536
    assert write(task, w, b"x") == neg(errno.EPIPE)


def test_small_blocking_write_waits_for_room_then_lands_whole(task):
    r, w = make_pipe(task)
    assert write(task, w, b"q" * (16 * 4096 - 10)) == 16 * 4096 - 10
    assert write(task, w, b"s" * 20) == BLOCKED
    assert task.restart_data == 0
    reader = FakeTask(task.kernel, task.group)
    assert task.group.fds.get(r).read(reader, 4096) == b"q" * 4096
    assert call(task, fs_read_write.sys_write, w, BUF, 20) == 20
    rest = task.group.fds.get(r).read(task, 1 << 20)
    assert rest == b"q" * (15 * 4096 - 10) + b"s" * 20


def test_packet_mode(task):
    r, w = make_pipe(task, O_DIRECT)
    assert call(task, fs_fd.sys_fcntl, w, F_GETFL, 0) == 1 | O_DIRECT
    assert call(task, fs_fd.sys_fcntl, r, F_GETFL, 0) == 0
    assert write(task, w, b"0123456789") == 10
    assert write(task, w, b"abcdefghijklmnopqrst") == 20
    assert read(task, r, 100) == (10, b"0123456789")     # one packet per read
    assert read(task, r, 5) == (5, b"abcde")             # the rest of the packet is discarded
    assert task.group.fds.get(r).bytes_available() == 0


def test_stat_and_poll(task):
    r, w = make_pipe(task)
    rf, wf = task.group.fds.get(r), task.group.fds.get(w)
    st = rf.stat()
    assert st["mode"] == stat.S_IFIFO | 0o600 and stat.S_ISFIFO(st["mode"])
    assert st["ino"] == wf.stat()["ino"] and st["uid"] == 1000 and st["gid"] == 100
    r2, _ = make_pipe(task)
    assert task.group.fds.get(r2).stat()["ino"] != st["ino"]
    assert set(st) >= {"dev", "ino", "mode", "nlink", "uid", "gid", "rdev", "size", "blksize", "blocks",
                       "atime", "atime_nsec", "mtime", "mtime_nsec", "ctime", "ctime_nsec"}
    assert rf.poll_mask() == 0 and wf.poll_mask() & POLLOUT
    write(task, w, b"x")
    assert rf.poll_mask() & POLLIN
    call(task, fs_fd.sys_close, w)
    assert rf.poll_mask() & POLLHUP
    r3, w3 = make_pipe(task)
    call(task, fs_fd.sys_close, r3)
    assert task.group.fds.get(w3).poll_mask() & POLLERR


def test_pipe_size_fcntl(task):
    r, w = make_pipe(task, O_NONBLOCK)
    assert call(task, fs_fd.sys_fcntl, r, F_GETPIPE_SZ, 0) == 65536
    assert call(task, fs_fd.sys_fcntl, w, F_SETPIPE_SZ, 5000) == 8192
    assert call(task, fs_fd.sys_fcntl, r, F_GETPIPE_SZ, 0) == 8192
    assert call(task, fs_fd.sys_fcntl, w, F_SETPIPE_SZ, 1) == 4096
    assert call(task, fs_fd.sys_fcntl, w, F_SETPIPE_SZ, 2 << 20) == neg(errno.EPERM)
    assert write(task, w, bytes(5000)) == 4096
    assert write(task, w, b"x") == neg(errno.EAGAIN)
    assert call(task, fs_fd.sys_fcntl, w, F_SETPIPE_SZ, 65536) == 65536
    assert write(task, w, bytes(5000)) == 5000
    assert call(task, fs_fd.sys_fcntl, w, F_SETPIPE_SZ, 4096) == neg(errno.EBUSY)


def test_direct_pipe_classes(task):
    pipe = Pipe()
    rf, wf = PipeReadFile(pipe), PipeWriteFile(pipe)
    assert (pipe.readers, pipe.writers) == (1, 1)
    rf.release()
    assert pipe.readers == 0
    wf.release()
    assert pipe.writers == 0


# --------------------------------------------------------------------------------------------- dup family

def test_dup_takes_lowest_and_clears_cloexec(task):
    r, w = make_pipe(task, O_CLOEXEC)
    fds = task.group.fds
    fd = call(task, fs_fd.sys_dup, w)
    assert fd == 2 and fds.get(fd) is fds.get(w) and not fds.entry(fd).cloexec
    assert call(task, fs_fd.sys_dup, 99) == neg(errno.EBADF)
    assert call(task, fs_fd.sys_dup, (1 << 64) - 1) == neg(errno.EBADF)


def test_dup_emfile(task):
    fds = task.group.fds
    fds.max_fds = 2
    make_pipe(task)
    assert call(task, fs_fd.sys_dup, 0) == neg(errno.EMFILE)


def test_dup2(task):
    r, w = make_pipe(task)
    fds = task.group.fds
    assert call(task, fs_fd.sys_dup2, w, 10) == 10
    assert fds.get(10) is fds.get(w)
    assert call(task, fs_fd.sys_dup2, w, w) == w                    # same fd, valid: no change
    fds.entry(w).cloexec = True
    assert call(task, fs_fd.sys_dup2, w, w) == w and fds.entry(w).cloexec
    assert call(task, fs_fd.sys_dup2, 50, 50) == neg(errno.EBADF)
    assert call(task, fs_fd.sys_dup2, 50, 51) == neg(errno.EBADF)
    assert call(task, fs_fd.sys_dup2, w, 1024) == neg(errno.EBADF)  # beyond RLIMIT_NOFILE
    assert call(task, fs_fd.sys_dup2, w, (1 << 64) - 1) == neg(errno.EBADF)
    # dup2 over an open descriptor closes it: the read end goes, so the pipe has no reader
    assert call(task, fs_fd.sys_dup2, w, r) == r
    assert write(task, w, b"x") == neg(errno.EPIPE)


def test_dup3(task):
    r, w = make_pipe(task)
    fds = task.group.fds
    assert call(task, fs_fd.sys_dup3, w, w, 0) == neg(errno.EINVAL)
    assert call(task, fs_fd.sys_dup3, 50, 50, 0) == neg(errno.EINVAL)          # checked before EBADF
    assert call(task, fs_fd.sys_dup3, w, 7, O_NONBLOCK) == neg(errno.EINVAL)
    assert call(task, fs_fd.sys_dup3, 50, 7, 0) == neg(errno.EBADF)
    assert call(task, fs_fd.sys_dup3, w, 5000, 0) == neg(errno.EBADF)
    assert call(task, fs_fd.sys_dup3, w, 7, O_CLOEXEC) == 7 and fds.entry(7).cloexec
    assert call(task, fs_fd.sys_dup3, r, 7, 0) == 7 and not fds.entry(7).cloexec
    assert fds.get(7) is fds.get(r)


def test_close_and_close_range(task):
    fds = task.group.fds
    for _ in range(3):
        make_pipe(task)                                   # 0..5
    assert call(task, fs_fd.sys_close, 9) == neg(errno.EBADF)
    assert call(task, fs_fd.sys_close, (1 << 32) - 1) == neg(errno.EBADF)
    assert call(task, fs_fd.sys_close, 5) == 0
    assert call(task, fs_fd.sys_close, 5) == neg(errno.EBADF)
    assert call(task, fs_fd.sys_close_range, 3, 2, 0) == neg(errno.EINVAL)
    assert call(task, fs_fd.sys_close_range, 0, 10, 1) == neg(errno.EINVAL)
    assert call(task, fs_fd.sys_close_range, 2, 3, 4) == 0                   # CLOSE_RANGE_CLOEXEC
    assert [fds.entry(fd).cloexec for fd in range(5)] == [False, False, True, True, False]
    assert call(task, fs_fd.sys_close_range, 3, (1 << 32) - 1, 0) == 0
    assert sorted(fds.entries) == [0, 1, 2]
    assert call(task, fs_fd.sys_close_range, 100, 200, 2) == 0               # nothing there: fine


def test_close_range_unshare_copies_a_shared_table(task):
    shared = task.group.fds
    r, w = make_pipe(task)
    shared.users = 2                                     # as if a CLONE_FILES child shared it
    assert call(task, fs_fd.sys_close_range, 0, 10, 2 | 4) == 0
    mine = task.group.fds
    assert mine is not shared and shared.users == 1 and mine.users == 1
    assert mine.entry(r).cloexec and not shared.entry(r).cloexec
    assert call(task, fs_fd.sys_close_range, 0, 10, 0) == 0
    assert mine.entries == {} and sorted(shared.entries) == [r, w]
    assert shared.get(w).pipe.readers == 1              # the other process still holds both ends
    task.group.fds = shared


def test_fcntl_descriptor_calls(task):
    r, w = make_pipe(task)
    fds = task.group.fds
    assert call(task, fs_fd.sys_fcntl, 40, F_GETFD, 0) == neg(errno.EBADF)
    assert call(task, fs_fd.sys_fcntl, 40, 12345, 0) == neg(errno.EBADF)     # EBADF before the command
    assert call(task, fs_fd.sys_fcntl, w, 12345, 0) == neg(errno.EINVAL)
    assert call(task, fs_fd.sys_fcntl, w, F_DUPFD, 10) == 10
    assert call(task, fs_fd.sys_fcntl, w, F_DUPFD, 10) == 11
    assert call(task, fs_fd.sys_fcntl, w, F_GETFD, 0) == 0
    assert call(task, fs_fd.sys_fcntl, w, F_DUPFD_CLOEXEC, 0) == 2
    assert call(task, fs_fd.sys_fcntl, 2, F_GETFD, 0) == 1
    assert call(task, fs_fd.sys_fcntl, w, F_DUPFD, 1024) == neg(errno.EINVAL)
    assert call(task, fs_fd.sys_fcntl, w, F_DUPFD, (1 << 64) - 1) == neg(errno.EINVAL)
    assert call(task, fs_fd.sys_fcntl, w, F_SETFD, 1) == 0
    assert fds.entry(w).cloexec and not fds.entry(10).cloexec                 # per descriptor
    assert call(task, fs_fd.sys_fcntl, w, F_SETFD, 0xFFFE) == 0
    assert call(task, fs_fd.sys_fcntl, w, F_GETFD, 0) == 0
    fds.max_fds = 12
    assert call(task, fs_fd.sys_fcntl, w, F_DUPFD, 10) == neg(errno.EMFILE)


def test_fcntl_status_flags_are_shared_by_duplicates(task):
    r, w = make_pipe(task)
    r2 = call(task, fs_fd.sys_dup, r)
    assert call(task, fs_fd.sys_fcntl, r, F_SETFL, O_NONBLOCK | 0o1 | 0o100 | 0o1000) == 0
    # access mode, O_CREAT, O_TRUNC are ignored; O_NONBLOCK is set on the shared open file
    assert call(task, fs_fd.sys_fcntl, r2, F_GETFL, 0) == O_NONBLOCK
    assert read(task, r2, 10) == (neg(errno.EAGAIN), b"")
    assert call(task, fs_fd.sys_fcntl, r, F_SETFL, 0o2000) == 0                # O_APPEND
    assert call(task, fs_fd.sys_fcntl, r, F_GETFL, 0) == 0o2000
    assert read(task, r2, 10)[0] == BLOCKED


def test_fcntl_o_direct_needs_a_pipe(task):
    class Other(File):
        pass
    fds = task.group.fds
    fd = fds.install(Other(2))
    r, w = make_pipe(task)
    assert call(task, fs_fd.sys_fcntl, fd, F_SETFL, O_DIRECT) == neg(errno.EINVAL)
    assert call(task, fs_fd.sys_fcntl, fd, F_GETPIPE_SZ, 0) == neg(errno.EBADF)
    assert call(task, fs_fd.sys_fcntl, w, F_SETFL, O_DIRECT) == 0
    assert write(task, w, b"ab") == 2 and write(task, w, b"cd") == 2
    assert read(task, r, 10) == (2, b"ab")
