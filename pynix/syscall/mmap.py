"""Memory mapping: mmap (anonymous and file mappings, private or shared), munmap, mprotect, mremap, msync,
mincore, brk, madvise, process_madvise, process_mrelease, cachestat, and the protection-key calls.  File mappings
map the file's page cache (mm/page_cache.py)."""
from __future__ import annotations

import errno
import os
import stat
import struct

from pynix.errors import KernelError
from pynix.fs.devfs import ZeroFile
from pynix.fs.file import File
from pynix.fs.file_ops import InodeFile, file_mapping
from pynix.mm.address_space import PAGE_MASK, page_align_up
from pynix.mm.frame_alloc import PAGE_SIZE
from pynix.mm.uaccess import copy_to_user
from pynix.syscall.mlock import lock_limit_check
from pynix.mm.uaccess import copy_from_user, read_iovec
from pynix.syscall.pidfd import pidfd_of
from pynix.syscall.registry import s32, syscall
from pynix.task.capability import capable
from pynix.task.cred import ptrace_may_access
from pynix.task.task import Task
from pynix.uapi.capability import CAP_SYS_NICE

PROT_READ, PROT_WRITE, PROT_EXEC, PROT_GROWSDOWN, PROT_GROWSUP = 1, 2, 4, 0x01000000, 0x02000000
MAP_SHARED, MAP_PRIVATE, MAP_SHARED_VALIDATE, MAP_TYPE = 0x1, 0x2, 0x3, 0xF
MAP_FIXED, MAP_ANONYMOUS, MAP_NORESERVE, MAP_FIXED_NOREPLACE = 0x10, 0x20, 0x4000, 0x100000
MAP_GROWSDOWN, MAP_LOCKED, MAP_POPULATE = 0x0100, 0x2000, 0x8000
MADV_DONTNEED = 4
MADV_DONTFORK, MADV_DOFORK, MADV_WIPEONFORK, MADV_KEEPONFORK = 10, 11, 18, 19
_FORK_ADVICE = {MADV_DONTFORK: ("dontfork", True), MADV_DOFORK: ("dontfork", False),
                MADV_WIPEONFORK: ("wipeonfork", True), MADV_KEEPONFORK: ("wipeonfork", False)}
MREMAP_MAYMOVE, MREMAP_FIXED, MREMAP_DONTUNMAP = 1, 2, 4
MS_ASYNC, MS_INVALIDATE, MS_SYNC = 1, 2, 4
# Advice that only steers Linux's heuristics (or never changes what the program sees): accepted, nothing to do.
_ADVISORY = {0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 100, 101}


def _check_prot(prot: int) -> int:
    if prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_GROWSDOWN | PROT_GROWSUP):
        raise KernelError(errno.EINVAL)
    return prot & 7


@syscall
def sys_mmap(task: Task, addr: int, length: int, prot: int, flags: int, fd: int, offset: int) -> int:
    """Linux's do_mmap: page-aligned, top-down placement, a usable hint honoured, MAP_FIXED replaces."""
    mm = task.mm
    prot &= 7                                    # mmap ignores unknown PROT bits (only mprotect checks them)
    flags &= 0xFFFFFFFF
    map_type = flags & MAP_TYPE
    file = None if flags & MAP_ANONYMOUS else task.group.fds.get(s32(fd))    # fget: EBADF before anything else
    if map_type not in (MAP_SHARED, MAP_PRIVATE, MAP_SHARED_VALIDATE) or length == 0 or offset & ~PAGE_MASK:
        raise KernelError(errno.EINVAL)
    size = page_align_up(length)
    if size == 0 or size > mm.arch.task_size:
        raise KernelError(errno.ENOMEM)
    backing = {}
    if isinstance(file, ZeroFile):
        file = None          # mmap_zero: private zero-filled memory, or (MAP_SHARED) shared anonymous memory
    if file is not None:
        backing = _file_backing(task, file, prot, map_type != MAP_PRIVATE, offset)
    elif (prot & PROT_WRITE or map_type != MAP_PRIVATE) and not flags & MAP_NORESERVE \
            and size > mm.frames.total_frames * PAGE_SIZE:
        raise KernelError(errno.ENOMEM)          # overcommit heuristic: more than all of RAM at once
    if flags & (MAP_FIXED | MAP_FIXED_NOREPLACE):
        if addr & ~PAGE_MASK:
            raise KernelError(errno.EINVAL)
        if addr + size > mm.arch.task_size:
            raise KernelError(errno.ENOMEM)
        if flags & MAP_FIXED_NOREPLACE and not flags & MAP_FIXED and not mm.is_free(addr, addr + size):
            raise KernelError(errno.EEXIST)
        start = addr
    elif addr and not addr & ~PAGE_MASK and addr + size <= mm.arch.mmap_base and mm.is_free(addr, addr + size):
        start = addr                             # a usable hint is honoured
    else:
        start = mm.get_unmapped_area(size)
    if flags & MAP_LOCKED:                       # can_do_mlock (EPERM), then mlock_future_ok: EAGAIN
        try:
            lock_limit_check(task, size)
        except KernelError as err:
            raise KernelError(errno.EAGAIN if err.errno == errno.ENOMEM else err.errno) from None
    if backing:
        vma = mm.map(start, size, prot, shared=map_type != MAP_PRIVATE, image_end=start + size, **backing)
    else:
        vma = mm.map(start, size, prot, shared=map_type != MAP_PRIVATE)
        vma.growsdown = bool(flags & MAP_GROWSDOWN)
    vma.locked = vma.locked or bool(flags & MAP_LOCKED)
    if flags & (MAP_LOCKED | MAP_POPULATE):
        mm.populate(start, start + size)
    return start


def _file_backing(task: Task, file: File, prot: int, shared: bool, offset: int) -> dict:
    """What a file mapping is made of: the file's page cache from `offset`.  EACCES as Linux: the file must be
    open for reading, and for writing if a shared mapping may write (then or after mprotect: `may_write`)."""
    if not isinstance(file, InodeFile) or not stat.S_ISREG(file.inode.mode):
        raise KernelError(errno.ENODEV if isinstance(file, InodeFile) else errno.EACCES)
    if not file.readable:
        raise KernelError(errno.EACCES)
    if shared and prot & PROT_WRITE and not file.writable:
        raise KernelError(errno.EACCES)
    name = task.group.fs.mounts.path_of(file.path, task.group.fs.root)
    return {"file": file_mapping(file.inode, task), "offset": offset,
            "name": os.fsdecode(name), "may_write": file.writable or not shared}


@syscall
def sys_munmap(task: Task, addr: int, length: int) -> int:
    if addr & ~PAGE_MASK or length == 0 or addr + page_align_up(length) > task.mm.arch.task_size:
        raise KernelError(errno.EINVAL)
    task.mm.unmap(addr, length)
    return 0


@syscall
def sys_mprotect(task: Task, addr: int, length: int, prot: int) -> int:
    return do_mprotect_pkey(task, addr, length, prot, -1)


def do_mprotect_pkey(task: Task, addr: int, length: int, prot: int, pkey: int) -> int:
    """Linux's do_mprotect_pkey: EINVAL for bad protection bits or an unaligned start, nothing to do for an
    empty range, ENOMEM past the end of user space; then the key (only -1, no key, exists: protection keys
    are never allocated here, so any other is EINVAL) and the change itself."""
    prot = _check_prot(prot & 0xFFFFFFFF)
    if addr & ~PAGE_MASK:
        raise KernelError(errno.EINVAL)
    if length == 0:
        return 0
    if addr + page_align_up(length) > task.mm.arch.task_size or page_align_up(length) == 0:
        raise KernelError(errno.ENOMEM)
    if pkey != -1:
        raise KernelError(errno.EINVAL)
    task.mm.protect(addr, length, prot)
    return 0


@syscall
def sys_mremap(task: Task, old: int, old_size: int, new_size: int, flags: int, new_addr: int) -> int:
    """mremap: argument checks as Linux's check_mremap_params / mremap_to; the work is AddressSpace.remap."""
    mm = task.mm
    fixed, dontunmap = bool(flags & MREMAP_FIXED), bool(flags & MREMAP_DONTUNMAP)
    if flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP) or old & ~PAGE_MASK \
            or (fixed or dontunmap) and not flags & MREMAP_MAYMOVE or dontunmap and old_size != new_size:
        raise KernelError(errno.EINVAL)
    old_size, new_size = page_align_up(old_size), page_align_up(new_size)
    if new_size == 0:
        raise KernelError(errno.EINVAL)
    if fixed or dontunmap:
        if new_addr & ~PAGE_MASK:
            raise KernelError(errno.EINVAL)
        if fixed and (new_size > mm.arch.task_size or new_addr > mm.arch.task_size - new_size
                      or old + old_size > new_addr and new_addr + new_size > old):
            raise KernelError(errno.EINVAL)       # out of range, or overlapping the old range
    elif new_size > mm.arch.task_size:
        raise KernelError(errno.ENOMEM)
    return mm.remap(old, old_size, new_size, bool(flags & MREMAP_MAYMOVE), fixed, dontunmap, new_addr)


@syscall
def sys_msync(task: Task, addr: int, length: int, flags: int) -> int:
    """msync: write back the dirty pages of the shared file mappings in the range (MS_ASYNC too: the write-back
    is immediate here).  ENOMEM if part of the range is unmapped, after syncing the rest (Linux)."""
    flags &= 0xFFFFFFFF
    if flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC) or addr & ~PAGE_MASK or flags & MS_ASYNC and flags & MS_SYNC:
        raise KernelError(errno.EINVAL)
    end = addr + page_align_up(length)
    if end > task.mm.arch.task_size:
        raise KernelError(errno.ENOMEM)
    parts, whole = task.mm.areas_in(addr, end)
    for vma, lo, hi in parts:
        if vma.file is not None and vma.shared and flags & (MS_ASYNC | MS_SYNC):
            vma.file.writeback(*vma.file_pages(lo, hi))
    if not whole:
        raise KernelError(errno.ENOMEM)
    return 0


@syscall
def sys_mincore(task: Task, addr: int, length: int, vec: int) -> int:
    """mincore: one byte per page, bit 0 set where the page is resident (AddressSpace.resident)."""
    if addr & ~PAGE_MASK:
        raise KernelError(errno.EINVAL)
    end = addr + page_align_up(length)
    if end > task.mm.arch.task_size or end < addr:
        raise KernelError(errno.ENOMEM)
    if end > addr:
        copy_to_user(task.mm, vec, task.mm.resident(addr, end))
    return 0


@syscall
def sys_brk(task: Task, addr: int) -> int:
    return task.mm.set_brk(addr)


@syscall
def sys_madvise(task: Task, addr: int, length: int, advice: int) -> int:
    advice = s32(advice)
    if addr & ~PAGE_MASK or advice not in _ADVISORY | {MADV_DONTNEED}:
        raise KernelError(errno.EINVAL)
    if length == 0:
        return 0
    end = addr + page_align_up(length)
    parts, whole = task.mm.areas_in(addr, end)
    if advice == MADV_WIPEONFORK and any(vma.shared or vma.backing is not None for vma, _, _ in parts):
        raise KernelError(errno.EINVAL)           # only private anonymous memory can be wiped
    for vma, lo, hi in parts:
        if advice == MADV_DONTNEED and not vma.shared:
            task.mm.zap(lo, hi - lo)
        elif advice in _FORK_ADVICE:
            task.mm.set_fork_advice(lo, hi, *_FORK_ADVICE[advice])
    if not whole:
        raise KernelError(errno.ENOMEM)          # part of the range was unmapped (the rest is still done)
    return 0


# Memory protection keys (x86_64).  The emulated CPU has no PKU (CPUID does not offer OSPKE), so as Linux on such
# a CPU: pkey_alloc is EINVAL (arch_pkeys_enabled() is false), no key is allocated (pkey_free, pkey_mprotect:
# EINVAL), and pkey_mprotect with key -1 is mprotect.

@syscall
def sys_pkey_alloc(task: Task, flags: int, init_val: int) -> int:
    raise KernelError(errno.EINVAL)


@syscall
def sys_pkey_free(task: Task, pkey: int) -> int:
    raise KernelError(errno.EINVAL)


@syscall
def sys_pkey_mprotect(task: Task, addr: int, length: int, prot: int, pkey: int) -> int:
    return do_mprotect_pkey(task, addr, length, prot, s32(pkey))


# process_madvise (Linux's vector_madvise): the advice another process may be given is only a hint.
MADV_WILLNEED, MADV_COLD, MADV_PAGEOUT, MADV_COLLAPSE = 3, 20, 21, 25


@syscall
def sys_process_madvise(task: Task, pidfd: int, vec: int, vlen: int, advice: int, flags: int) -> int:
    """madvise over an iovec of another process (or the caller): EINVAL for flags or, for another process,
    advice other than MADV_COLD/PAGEOUT/WILLNEED/COLLAPSE; EPERM without ptrace access and CAP_SYS_NICE.
    Returns the bytes advised, stopping at the first range that fails."""
    if flags:
        raise KernelError(errno.EINVAL)
    vectors = read_iovec(task.mm, vec, s32(vlen))
    group = pidfd_of(task, pidfd).live_group(task)
    if group.exit_status is not None:
        raise KernelError(errno.ESRCH)
    if not ptrace_may_access(task.group.creds, group.creds, bool(group.dumpable)):
        raise KernelError(errno.EPERM)
    target = group.live_tasks[0]
    if group is not task.group:
        if s32(advice) not in (MADV_COLD, MADV_PAGEOUT, MADV_WILLNEED, MADV_COLLAPSE):
            raise KernelError(errno.EINVAL)
        if not capable(task, CAP_SYS_NICE):
            raise KernelError(errno.EPERM)
    done = 0
    for base, length in vectors:
        try:
            sys_madvise(target, base, length, advice)
        except KernelError:
            if done:
                break
            raise
        done += length
    return done


@syscall
def sys_process_mrelease(task: Task, pidfd: int, flags: int) -> int:
    """Reap a dying process's memory now.  A killed process here releases its memory as it dies, so there is
    never one to reap: a process still running is EINVAL (not dying), one that exited is ESRCH (no memory)."""
    if flags:
        raise KernelError(errno.EINVAL)
    group = pidfd_of(task, pidfd).live_group(task)
    raise KernelError(errno.EINVAL if group.exit_status is None else errno.ESRCH)


@syscall
def sys_cachestat(task: Task, fd: int, cstat_range: int, cstat: int, flags: int) -> int:
    """Page-cache statistics of a file's range (struct cachestat_range {off, len}; len 0: to the end):
    pages cached, dirty (written through shared mappings and not yet written back), none under write-back or
    evicted (nothing is tracked after eviction)."""
    off, length = struct.unpack("<QQ", copy_from_user(task.mm, cstat_range, 16))
    if flags:
        raise KernelError(errno.EINVAL)
    file = task.group.fds.get(s32(fd))
    first = off >> 12
    last = (1 << 64) - 1 if length == 0 else (off + length - 1) >> 12
    cache = file.inode.data_inode.mapping if isinstance(file, InodeFile) else None   # (None: never cached)
    cached = dirty = 0
    if cache is not None:
        cached = sum(1 for i in cache.pages if first <= i <= last)
        dirty = sum(1 for i in cache.dirty if first <= i <= last)
    copy_to_user(task.mm, cstat, struct.pack("<5Q", cached, dirty, 0, 0, 0))
    return 0
