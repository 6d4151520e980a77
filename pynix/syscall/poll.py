"""poll, ppoll, select, pselect6: wait until one of several descriptors is ready.

Each file reports its ready events (`File.poll_mask`) and the wait queues that signal a change
(`File.poll_queues`).  If nothing is ready the task sleeps on all of those queues at once, with the timeout as a
deadline kept in the restart data, and the whole check runs again when any of them wakes it.
"""
from __future__ import annotations

import errno
import struct
import time

from pynix.errors import KernelError
from pynix.mm.uaccess import copy_from_user, copy_to_user
from pynix.sync.wait import Block
from pynix.syscall.registry import s32, syscall
from pynix.syscall.signal import with_sigmask
from pynix.syscall.time import read_timespec
from pynix.task.task import Task
from pynix.uapi.poll import POLLERR, POLLHUP, POLLIN, POLLNVAL, POLLOUT, POLLPRI, POLLRDNORM, POLLWRNORM

NSEC = 1_000_000_000
FD_SETSIZE_MAX = 1 << 20
POLL_ALWAYS = POLLERR | POLLHUP | POLLNVAL           # reported whether asked for or not


def _deadline(task: Task, timeout_ns: int | None) -> int | None:
    """The absolute deadline: fixed by the first run, kept across re-runs in the restart data."""
    if isinstance(task.restart_data, int):
        return task.restart_data
    if timeout_ns is None:
        return None
    return time.monotonic_ns() + timeout_ns


def _expired(deadline: int | None) -> bool:
    return deadline is not None and time.monotonic_ns() >= deadline


def _sleep(task: Task, queues: list, deadline: int | None) -> None:
    """Sleep on every queue until one is woken or the deadline passes.  A signal handler always ends the wait
    with EINTR, SA_RESTART or not (Linux's -ERESTARTNOHAND for poll and select)."""
    raise Block(*queues, deadline=deadline, data=deadline, restartable=False)


def do_poll(task: Task, fds_addr: int, nfds: int, timeout_ns: int | None) -> int:
    if nfds > task.group.rlimits[7][0]:
        raise KernelError(errno.EINVAL)
    raw = copy_from_user(task.mm, fds_addr, 8 * nfds)
    entries = [struct.unpack_from("<ihh", raw, 8 * i) for i in range(nfds)]
    deadline = _deadline(task, timeout_ns)
    table = task.group.fds
    out = bytearray(raw)
    ready, queues = 0, []
    for i, (fd, events, _) in enumerate(entries):
        revents = 0
        if fd >= 0:
            entry = table.entries.get(fd)
            if entry is None:
                revents = POLLNVAL
            else:
                revents = entry.file.poll_mask() & ((events & 0xFFFF) | POLL_ALWAYS)
                queues.extend(entry.file.poll_queues(task))
        struct.pack_into("<h", out, 8 * i + 6, revents)
        ready += bool(revents)
    if ready or timeout_ns == 0 or _expired(deadline):
        copy_to_user(task.mm, fds_addr, bytes(out))
        return ready
    _sleep(task, queues, deadline)


def _timespec_ns(task: Task, addr: int) -> int | None:
    """An optional timeout: None for a NULL pointer."""
    return read_timespec(task, addr) if addr else None


@syscall
def sys_poll(task: Task, fds: int, nfds: int, timeout: int) -> int:
    ms = s32(timeout)
    return do_poll(task, fds, nfds, None if ms < 0 else ms * 1_000_000)


@syscall
def sys_ppoll(task: Task, fds: int, nfds: int, tsp: int, sigmask: int, sigsetsize: int) -> int:
    """poll with a timespec and a temporary signal mask (make -j and event loops wait for SIGCHLD this way)."""
    timeout_ns = _timespec_ns(task, tsp)
    return with_sigmask(task, sigmask, sigsetsize, lambda: do_poll(task, fds, nfds, timeout_ns))


def _read_set(task: Task, addr: int, nbytes: int) -> int:
    return int.from_bytes(copy_from_user(task.mm, addr, nbytes), "little") if addr else 0


def do_select(task: Task, nfds: int, rfds: int, wfds: int, efds: int, timeout_ns: int | None) -> int:
    nfds = s32(nfds)
    if nfds < 0 or nfds > FD_SETSIZE_MAX:
        raise KernelError(errno.EINVAL)
    nbytes = (nfds + 63) // 64 * 8
    want = [_read_set(task, a, nbytes) for a in (rfds, wfds, efds)]
    deadline = _deadline(task, timeout_ns)
    got = [0, 0, 0]
    queues = []
    table = task.group.fds
    for fd in range(nfds):
        bit = 1 << fd
        if not (want[0] | want[1] | want[2]) & bit:
            continue
        entry = table.entries.get(fd)
        if entry is None:
            raise KernelError(errno.EBADF)
        mask = entry.file.poll_mask()
        queues.extend(entry.file.poll_queues(task))
        if want[0] & bit and mask & (POLLIN | POLLRDNORM | POLLHUP | POLLERR):
            got[0] |= bit
        if want[1] & bit and mask & (POLLOUT | POLLWRNORM | POLLERR):
            got[1] |= bit
        if want[2] & bit and mask & POLLPRI:
            got[2] |= bit
    count = sum(bin(g).count("1") for g in got)
    if count or timeout_ns == 0 or _expired(deadline):
        for addr, bits in zip((rfds, wfds, efds), got):
            if addr:
                copy_to_user(task.mm, addr, bits.to_bytes(nbytes, "little"))
        return count
    _sleep(task, queues, deadline)


@syscall
def sys_select(task: Task, nfds: int, readfds: int, writefds: int, exceptfds: int, timeout: int) -> int:
    timeout_ns = None
    if timeout:
        sec, usec = struct.unpack("<qq", copy_from_user(task.mm, timeout, 16))
        if sec < 0 or not 0 <= usec < 1_000_000:
            raise KernelError(errno.EINVAL)
        timeout_ns = sec * NSEC + usec * 1000
    return do_select(task, nfds, readfds, writefds, exceptfds, timeout_ns)


@syscall
def sys_pselect6(task: Task, nfds: int, readfds: int, writefds: int, exceptfds: int, timeout: int,
                 sigmask: int) -> int:
    """select with a timespec and a temporary signal mask; the last argument points at Linux's
    `{const sigset_t *ss; size_t ss_len}` pair (NULL, or a NULL ss: no mask)."""
    timeout_ns = _timespec_ns(task, timeout)
    ss = ss_len = 0
    if sigmask:
        ss, ss_len = struct.unpack("<QQ", copy_from_user(task.mm, sigmask, 16))
    return with_sigmask(task, ss, ss_len,
                        lambda: do_select(task, nfds, readfds, writefds, exceptfds, timeout_ns))

