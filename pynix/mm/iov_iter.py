"""The buffer of one read or write (Linux's struct iov_iter): built once at the syscall boundary and handed down.

A read, readv, pread64, preadv, preadv2, recvmsg... builds a `UserIter` from its user pointer(s) and gives it to
the file's `read_iter`; a write gives one to `write_iter`.  Nothing below the syscall layer sees a user pointer:
a file moves its bytes with `copy_to` / `copy_from`, or asks for RAM views of the next bytes (`map`) to copy
into or out of them itself, then `advance`s.  The user pages are translated (and demand-faulted) only as the
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
    """An iov_iter over user memory (ITER_UBUF / ITER_IOVEC): `segments` of (base, length), `dest` True when the
    kernel writes into it (a read), False when it reads from it (a write)."""

    __slots__ = ("mm", "segments", "index", "skip", "access")

    def __init__(self, mm: AddressSpace, segments: list[tuple[int, int]], dest: bool) -> None:
        limit = mm.arch.task_size
        for base, length in segments:                              # access_ok on every segment
            if length and (base >= limit or length > limit - base):
                raise KernelError(errno.EFAULT)
        super().__init__(min(sum(length for _, length in segments), MAX_RW_COUNT))
        self.mm, self.segments = mm, segments
        self.index = self.skip = 0                 # current segment, bytes of it already moved
        self.access = ACCESS_WRITE if dest else ACCESS_READ

    @classmethod
    def ubuf(cls, mm: AddressSpace, addr: int, count: int, dest: bool) -> "UserIter":
        """read(2)/write(2)'s one buffer (import_ubuf)."""
        return cls(mm, [(addr, count)], dest)

    @classmethod
    def iovec(cls, mm: AddressSpace, iov: int, iovcnt: int, dest: bool) -> "UserIter":
        """readv(2)/writev(2)'s `struct iovec[iovcnt]` (import_iovec: EINVAL beyond UIO_MAXIOV or SSIZE_MAX)."""
        return cls(mm, read_iovec(mm, iov, iovcnt), dest)

    def map(self, n: int) -> list[memoryview]:
        n = min(n, self.count)
        if n <= 0:
            return []
        segments, index, skip = self.segments, self.index, self.skip
        base, length = segments[index]
        if length - skip >= n:                                     # the common case: one segment
            return user_buffers(self.mm, base + skip, n, self.access, partial=True)
        views: list[memoryview] = []
        while n > 0 and index < len(segments):
            base, length = segments[index]
            take = min(length - skip, n)
            if take > 0:
                try:
                    got = user_buffers(self.mm, base + skip, take, self.access, partial=True)
                except KernelError:
                    if views:
                        return views
                    raise
                views += got
                if sum(map(len, got)) < take:                      # stopped at a fault inside this segment
                    return views
                n -= take
            index, skip = index + 1, 0
        if not views:
            raise KernelError(errno.EFAULT)
        return views

    def advance(self, n: int) -> None:
        self.count -= n
        segments = self.segments
        while n > 0:
            left = segments[self.index][1] - self.skip
            if n < left:
                self.skip += n
                return
            n -= left
            self.index, self.skip = self.index + 1, 0
        while self.count and self.index < len(segments) and segments[self.index][1] == self.skip:
            self.index, self.skip = self.index + 1, 0              # step over empty segments


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
