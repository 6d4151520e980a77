"""The buffer of one read or write (Linux's struct iov_iter): built once at the syscall boundary and handed down.

A read, readv, pread64, preadv, preadv2, recvmsg... builds a `UserIter` (`UserIter.iovec` for a vector) from its
user pointer(s) and gives it to the file's `read_iter`; a write gives one to `write_iter`.  Nothing below the
syscall layer sees a user pointer: a file moves its bytes with `copy_to` / `copy_from` / `zero`, or asks for RAM
views of the next bytes (`map`, or `map_all` when it must not take data it cannot deliver whole) to copy into or
out of them itself, then `advance`s.  The user pages are translated (and demand-faulted) only as the
copy reaches them, so a buffer that runs into unmapped memory gives Linux's short count, and EFAULT only when not
even the first byte is accessible -- and a huge iov_len costs nothing until it is used.

A `KernelIter` (Linux's ITER_KVEC) is the same cursor over a kernel buffer: sendfile and splice hand one to
`write_iter` to write bytes they already hold.
"""
from __future__ import annotations

import errno

from pynix.errors import KernelError
from pynix.hal import ACCESS_READ, ACCESS_WRITE
from pynix.mm.address_space import AddressSpace
from pynix.mm.uaccess import read_iovec, scatter, user_buffers

MAX_RW_COUNT = 0x7FFFF000        # Linux caps one read/write at INT_MAX rounded down to a page


class IovIter:
    """A cursor over the bytes of a buffer: `count` bytes are left to move."""

    __slots__ = ("count",)

    def __init__(self, count: int) -> None:
        self.count = count

    def map(self, n: int) -> list[memoryview]:
        """RAM views of up to `n` of the next bytes (fewer if the buffer runs into memory that may not be
        accessed); EFAULT if not even the first byte may be.  Does not advance."""
        raise NotImplementedError

    def map_all(self, n: int) -> list[memoryview]:
        """Like `map`, but EFAULT unless all of the next `n` bytes may be accessed (for a consumer that must
        not take data it cannot deliver whole, like a pipe read)."""
        views = self.map(n)
        if (len(views[0]) if len(views) == 1 else sum(map(len, views))) < min(n, self.count):
            raise KernelError(errno.EFAULT)
        return views

    def advance(self, n: int) -> None:
        raise NotImplementedError

    def copy_to(self, data: bytes | bytearray | memoryview) -> int:
        """copy_to_iter: copy `data` (at most `count` bytes of it) to the buffer and advance; the count copied,
        short at a fault, EFAULT if nothing could be copied."""
        n = min(len(data), self.count)
        if n == 0:
            return 0
        views = self.map(n)
        done = len(views[0]) if len(views) == 1 else sum(map(len, views))
        scatter(views, data[:done] if done < len(data) else data)
        self.advance(done)
        return done

    def copy_from(self, n: int) -> bytes | memoryview:
        """copy_from_iter: the next up to `n` bytes of the buffer (short at a fault, EFAULT if none), advanced."""
        n = min(n, self.count)
        if n == 0:
            return b""
        views = self.map(n)
        data = views[0] if len(views) == 1 else b"".join(views)
        self.advance(len(data))
        return data

    def zero(self, n: int) -> int:
        """iov_iter_zero: store up to `n` zero bytes (short at a fault, EFAULT if none); the count stored."""
        done = 0
        n = min(n, self.count)
        while done < n:
            want = min(n - done, 1 << 20)
            try:
                views = self.map(want)
            except KernelError:
                if done:
                    return done
                raise
            got = 0
            for view in views:
                view[:] = bytes(len(view))
                got += len(view)
            self.advance(got)
            done += got
            if got < want:                                  # stopped at a fault
                break
        return done


class UserIter(IovIter):
    """An iov_iter over user memory: one buffer (ITER_UBUF; `IovecIter` is the ITER_IOVEC kind).  `dest` is True
    when the kernel writes into it (a read), False when it reads from it (a write).  The cursor is at user
    address `base`, with `seg_left` bytes left in the current segment; `segments[index + 1:]` follow."""

    __slots__ = ("mm", "base", "seg_left", "access")
    segments: "list[tuple[int, int]] | tuple" = ()
    index = 0

    def __init__(self, mm: AddressSpace, addr: int, count: int, dest: bool) -> None:
        """read(2)/write(2)'s buffer (import_ubuf: access_ok, then at most MAX_RW_COUNT bytes)."""
        limit = mm.arch.task_size
        if count and (addr >= limit or count > limit - addr):
            raise KernelError(errno.EFAULT)
        self.count = count if count <= MAX_RW_COUNT else MAX_RW_COUNT
        self.mm, self.base, self.seg_left = mm, addr, count
        self.access = ACCESS_WRITE if dest else ACCESS_READ

    @staticmethod
    def iovec(mm: AddressSpace, iov: int, iovcnt: int, dest: bool) -> "IovecIter":
        """readv(2)/writev(2)'s `struct iovec[iovcnt]` (import_iovec: EINVAL beyond UIO_MAXIOV or SSIZE_MAX)."""
        return IovecIter(mm, read_iovec(mm, iov, iovcnt), dest)

    def map_all(self, n: int) -> list[memoryview]:
        if n > self.count:
            n = self.count
        if 0 < n <= self.seg_left:                                 # within one segment: user_buffers checks all
            return user_buffers(self.mm, self.base, n, self.access)
        return IovIter.map_all(self, n)

    def map(self, n: int) -> list[memoryview]:
        if n > self.count:
            n = self.count
        if n <= 0:
            return []
        if self.seg_left >= n:                                     # the common case: within one segment
            return user_buffers(self.mm, self.base, n, self.access, partial=True)
        views: list[memoryview] = []
        pieces = [(self.base, self.seg_left)] + list(self.segments[self.index + 1:])
        for base, length in pieces:
            take = min(length, n)
            if take > 0:
                try:
                    got = user_buffers(self.mm, base, take, self.access, partial=True)
                except KernelError:
                    if views:
                        return views
                    raise
                views += got
                if sum(map(len, got)) < take:                      # stopped at a fault inside this segment
                    return views
                n -= take
            if n <= 0:
                break
        if not views:
            raise KernelError(errno.EFAULT)
        return views

    def advance(self, n: int) -> None:
        self.count -= n
        if n < self.seg_left or not self.segments:
            self.base += n
            self.seg_left -= n
            return
        n -= self.seg_left
        segments = self.segments
        while True:
            self.index += 1
            if self.index >= len(segments):
                self.base, self.seg_left = 0, 0
                return
            self.base, self.seg_left = segments[self.index]
            if n < self.seg_left or (n == self.seg_left and not self.count):
                self.base += n
                self.seg_left -= n
                return
            n -= self.seg_left


class IovecIter(UserIter):
    """An iov_iter over a user `struct iovec` array (ITER_IOVEC)."""

    __slots__ = ("segments", "index")

    def __init__(self, mm: AddressSpace, segments: list[tuple[int, int]], dest: bool) -> None:
        limit = mm.arch.task_size
        total = 0
        for base, length in segments:                              # access_ok on every segment
            if length and (base >= limit or length > limit - base):
                raise KernelError(errno.EFAULT)
            total += length
        self.count = min(total, MAX_RW_COUNT)
        self.mm, self.segments, self.index = mm, segments, 0
        self.base, self.seg_left = segments[0] if segments else (0, 0)
        self.access = ACCESS_WRITE if dest else ACCESS_READ


class KernelIter(IovIter):
    """An iov_iter over one kernel buffer (ITER_KVEC)."""

    __slots__ = ("buffer", "pos")

    def __init__(self, buffer: bytes | bytearray | memoryview) -> None:
        super().__init__(len(buffer))
        self.buffer, self.pos = memoryview(buffer), 0

    def map(self, n: int) -> list[memoryview]:
        n = min(n, self.count)
        return [self.buffer[self.pos:self.pos + n]] if n > 0 else []

    def advance(self, n: int) -> None:
        self.pos += n
        self.count -= n
