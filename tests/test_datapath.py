"""The data path (issue 12, and the file items of issue 21): one iov_iter per call, the page cache as every regular
file's data, and the behaviour that follows from them -- each a differential test against native Linux /
qemu-riscv64 (tests/guest/big_offsets.c, fs_datapath.c, shared_map_pwrite.c).  The first two take native x86_64
as the reference for every target: qemu-riscv64 checks a whole huge read buffer itself (EFAULT where Linux reads
what fits) and mmap's length before its descriptor (EINVAL where Linux says EBADF)."""
from __future__ import annotations

import errno

from fakes import FakeGroup, FakeKernel, FakeTask, call, new_machine
import harness
from harness import assert_same, assert_same_as_native
from pynix.fs.file import O_RDWR
from pynix.fs.file_ops import RegularFile
from pynix.fs.tmpfs import TmpfsSuperBlock
from pynix.fs.vfs import Dentry, Mount, VfsPath
from pynix.mm.address_space import PROT_READ, PROT_WRITE, AddressSpace
from pynix.mm.uaccess import copy_to_user
from pynix.syscall import fs_open, fs_read_write

BUF = 0x10000000


def test_big_offsets(target):
    """ftruncate/truncate to 1 TiB, pwrite/pwritev/lseek+write at 2^40 and 2^62 on tmpfs, a memfd and /dev/null
    (sparse files, EINVAL past 2^63-1), and /dev/zero read into a buffer far larger than its memory (short)."""
    out = assert_same_as_native("big_offsets.c", target)
    assert b"size=4611686018427388005 blocks=24" in out      # 2^62 + 5 bytes in three pages
    assert b"preadv iov_len 2^40                          12288" in out


def test_fs_datapath(target):
    """getdents64 on O_PATH (EBADF), mmap of a bad fd (EBADF) and of /dev/zero, rename's type checks, d_ino ==
    st_ino in the in-memory layer, /proc/self/fd listed while closing."""
    out = assert_same_as_native("fs_datapath.c", target)
    assert b"getdents64 on an O_PATH directory                  -1 EBADF" in out
    assert b"the parent sees the child's store: [from the child]" in out
    assert out.count(b"ENOTEMPTY") == 2 and b"MISMATCH" not in out
    assert b"saw 60 of 60" in out


def test_shared_map_and_pwrite_on_a_rw_mount(guest, tmp_path):
    """One process maps a --mount rw file MAP_SHARED, another pwrites and preads it: both see the change."""
    got, _ = assert_same(guest("shared_map_pwrite.c"), args=[str(tmp_path)],
                         extra=["--mount", f"{tmp_path}:{tmp_path}:rw"])
    assert b"[written by pwrite]" in got.stdout and b"[stored in the ma]" in got.stdout


# ------------------------------------------------------------------------------------------------ unit tests
def _world(mem: int = 16 << 20, max_pages: int | None = None):
    """A task over a small machine, with a tmpfs file open read-write at descriptor `fd` and a 1 MiB buffer."""
    arch, ram, frames = new_machine(mem)
    mm = AddressSpace(arch, ram, frames)
    mm.map(BUF, 1 << 20, PROT_READ | PROT_WRITE)
    task = FakeTask(FakeKernel(), FakeGroup(mm))
    sb = TmpfsSuperBlock(max_pages=max_pages)
    inode = sb.root.create(b"f", 0o644, 0, 0)
    mount = Mount(sb, Dentry(b"/", sb.root))
    fd = task.group.fds.install(RegularFile(VfsPath(mount, Dentry(b"f", inode, mount.root)), O_RDWR))
    return task, frames, sb, inode, fd



def test_tmpfs_data_is_only_page_cache_frames_and_holes_cost_nothing():
    task, frames, sb, inode, fd = _world()
    copy_to_user(task.mm, BUF, bytes(8192))                            # the user buffer's own pages first
    free = frames.free_frames
    assert call(task, fs_open.sys_ftruncate, fd, 1 << 40) == 0
    assert inode.size == 1 << 40 and frames.free_frames == free and sb.pages_used == 0
    assert call(task, fs_read_write.sys_pread64, fd, BUF, 8192, 1 << 39) == 8192   # a hole reads as zeros,
    assert frames.free_frames == free and inode.mapping.pages == {}                  # and allocates nothing
    assert call(task, fs_read_write.sys_pwrite64, fd, BUF, 1, 1 << 62) == 1
    assert sb.pages_used == 1 and list(inode.mapping.pages) == [1 << 50]             # one page, its only copy
    assert inode.stat()["blocks"] == 8
    assert call(task, fs_open.sys_ftruncate, fd, 0) == 0
    assert sb.pages_used == 0 and frames.free_frames == free


def test_tmpfs_size_limit_is_enospc_and_a_write_stops_short_at_it():
    task, frames, sb, inode, fd = _world(max_pages=16)                 # size=64k
    assert call(task, fs_read_write.sys_write, fd, BUF, 40 << 10) == 40 << 10
    assert call(task, fs_read_write.sys_write, fd, BUF, 40 << 10) == -errno.ENOSPC
    assert sb.pages_used <= 16 and inode.size == 40 << 10


def test_tmpfs_by_default_holds_at_most_half_of_the_machine():
    task, frames, sb, inode, fd = _world(mem=8 << 20)
    written, result = 0, 0
    while True:
        result = call(task, fs_read_write.sys_write, fd, BUF, 1 << 20)
        if result < 0:
            break
        written += result
    assert result == -errno.ENOSPC and written <= 4 << 20 and sb.pages_used <= frames.total_frames // 2


def test_host_changes_are_seen_through_the_page_cache(target, tmp_path):
    """A host file read through the default root (read-only hostfs under the overlay) while it is changed through
    a --mount rw of its directory: each read sees the change at once (revalidation by size and mtime)."""
    binary = harness.build("host_revalidate.c", target)
    host = tmp_path / "file"
    ref = harness.run_reference(binary, [str(host), str(host)])
    got = harness.run_pynix(binary, [str(host), f"/mnt/rw/{host.name}"], extra=["--mount", f"{tmp_path}:/mnt/rw:rw"])
    harness.assert_no_traceback(got)
    assert (got.returncode, got.stdout) == (ref.returncode, ref.stdout), got.describe() + ref.describe()
    assert b"after an append                      23 [FIRST contents and more]" in got.stdout
