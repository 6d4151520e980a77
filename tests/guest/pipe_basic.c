/* pipe_basic: pipes within one process -- data order, O_NONBLOCK, EOF, EPIPE (SIGPIPE ignored), atomic small
   writes, Linux's page-buffer capacity, partial non-blocking writes, FIONREAD, fstat, pipe size, packet mode
   (O_DIRECT), and pipe2's error cases.  Output goes through write(2) only, so its order is exact. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "errname.h"
#include "say.h"


static char big[200000];

/* Write `chunk`-byte pieces to non-blocking `fd` until EAGAIN; return the total written. */
static long fill(int fd, size_t chunk)
{
    long total = 0;
    for (;;) {
        ssize_t n = write(fd, big, chunk);
        if (n < 0) {
            if (errno != EAGAIN)
                say("fill: unexpected %s\n", errname(errno));
            return total;
        }
        total += n;
    }
}

/* Read non-blocking `fd` until EAGAIN or EOF; return the total read. */
static long drain(int fd)
{
    long total = 0;
    for (;;) {
        ssize_t n = read(fd, big, sizeof big);
        if (n <= 0)
            return total;
        total += n;
    }
}

int main(void)
{
    int p[2], q[2];
    char buf[256];
    ssize_t n;

    signal(SIGPIPE, SIG_IGN);

    /* data in order, partial reads */
    if (pipe2(p, 0) != 0) {
        say("pipe2 failed: %s\n", errname(errno));
        return 1;
    }
    say("write hello: %zd\n", write(p[1], "hello ", 6));
    say("write world: %zd\n", write(p[1], "world", 5));
    int avail = -1;
    int r = ioctl(p[0], FIONREAD, &avail);
    say("FIONREAD: %d -> %d\n", r, avail);
    n = read(p[0], buf, 3);
    say("read 3: %zd '%.*s'\n", n, (int)n, buf);
    n = read(p[0], buf, sizeof buf);
    say("read rest: %zd '%.*s'\n", n, (int)n, buf);
    say("read 0 bytes of empty pipe: %zd\n", read(p[0], buf, 0));

    /* O_NONBLOCK set later through fcntl: empty read -> EAGAIN */
    fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK);
    errno = 0;
    n = read(p[0], buf, sizeof buf);
    say("nonblocking empty read: %zd %s\n", n, errname(errno));

    /* EOF only when the last write end is closed */
    int w2 = dup(p[1]);
    write(p[1], "tail", 4);
    close(p[1]);
    n = read(p[0], buf, sizeof buf);
    say("read after closing one writer: %zd '%.*s'\n", n, (int)(n > 0 ? n : 0), buf);
    errno = 0;
    n = read(p[0], buf, sizeof buf);
    say("read with a writer left (nonblocking): %zd %s\n", n, errname(errno));
    close(w2);
    say("read after closing the last writer: %zd\n", read(p[0], buf, sizeof buf));
    say("read again: %zd\n", read(p[0], buf, sizeof buf));
    close(p[0]);

    /* no reader: EPIPE (SIGPIPE is ignored, so the process survives) */
    pipe(p);
    close(p[0]);
    errno = 0;
    n = write(p[1], "x", 1);
    say("write without reader: %zd %s\n", n, errname(errno));
    errno = 0;
    n = write(p[1], "", 0);
    say("empty write without reader: %zd %s\n", n, errname(errno));
    close(p[1]);

    /* pipe2(O_NONBLOCK): both ends non-blocking */
    pipe2(p, O_NONBLOCK | O_CLOEXEC);
    say("F_GETFL read end %o, write end %o\n", fcntl(p[0], F_GETFL), fcntl(p[1], F_GETFL));
    say("F_GETFD read end %d, write end %d\n", fcntl(p[0], F_GETFD), fcntl(p[1], F_GETFD));
    errno = 0;
    n = read(p[0], buf, sizeof buf);
    say("empty O_NONBLOCK pipe2 read: %zd %s\n", n, errname(errno));

    /* capacity, as Linux's 16 page buffers give it */
    say("F_GETPIPE_SZ: %d\n", fcntl(p[1], F_GETPIPE_SZ));
    say("fill with 1-byte writes: %ld\n", fill(p[1], 1));
    say("drained: %ld\n", drain(p[0]));
    say("fill with 1000-byte writes: %ld\n", fill(p[1], 1000));
    say("drained: %ld\n", drain(p[0]));
    say("fill with 4096-byte writes: %ld\n", fill(p[1], 4096));
    say("drained: %ld\n", drain(p[0]));

    /* small writes are atomic: never split across the last free bytes */
    say("write 65000: %zd\n", write(p[1], big, 65000));
    say("write 500: %zd\n", write(p[1], big, 500));
    errno = 0;
    n = write(p[1], big, 100);
    say("write 100 with 36 bytes free: %zd %s\n", n, errname(errno));
    avail = -1;
    ioctl(p[0], FIONREAD, &avail);
    say("FIONREAD full pipe: %d\n", avail);
    say("read one page: %zd\n", read(p[0], big, 4096));
    say("write 100 again: %zd\n", write(p[1], big, 100));
    say("drained: %ld\n", drain(p[0]));

    /* large non-blocking writes are partial */
    say("write 200000 to empty pipe: %zd\n", write(p[1], big, sizeof big));
    errno = 0;
    n = write(p[1], big, sizeof big);
    say("write 200000 to full pipe: %zd %s\n", n, errname(errno));
    say("drained: %ld\n", drain(p[0]));
    say("write 65436 then 4146: %zd ", write(p[1], big, 65436));
    say("%zd\n", write(p[1], big, 4146));
    say("drained: %ld\n", drain(p[0]));

    /* F_SETPIPE_SZ */
    say("F_SETPIPE_SZ 5000: %d\n", fcntl(p[1], F_SETPIPE_SZ, 5000));
    say("F_GETPIPE_SZ: %d\n", fcntl(p[0], F_GETPIPE_SZ));
    say("write 10000 to an 8 KiB pipe: %zd\n", write(p[1], big, 10000));
    errno = 0;
    n = fcntl(p[1], F_SETPIPE_SZ, 4096);
    say("shrink below the data: %zd %s\n", n, errname(errno));
    say("drained: %ld\n", drain(p[0]));
    say("F_SETPIPE_SZ 1: %d\n", fcntl(p[1], F_SETPIPE_SZ, 1));
    errno = 0;
    n = fcntl(p[0] + 100, F_GETPIPE_SZ);
    say("F_GETPIPE_SZ of a closed fd: %zd %s\n", n, errname(errno));

    /* fstat */
    struct stat s0, s1;
    fstat(p[0], &s0);
    fstat(p[1], &s1);
    say("fstat: fifo %d, mode %o, size %ld, same inode %d, nlink %ld\n", S_ISFIFO(s0.st_mode),
        (unsigned)s0.st_mode, (long)s0.st_size, s0.st_ino == s1.st_ino && s0.st_dev == s1.st_dev,
        (long)s0.st_nlink);
    pipe(q);
    struct stat s2;
    fstat(q[0], &s2);
    say("another pipe has another inode: %d\n", s2.st_ino != s0.st_ino);
    close(q[0]);
    close(q[1]);
    close(p[0]);
    close(p[1]);

    /* packet mode */
    if (pipe2(p, O_DIRECT | O_NONBLOCK) == 0) {
        say("O_DIRECT F_GETFL read end %o, write end %o\n", fcntl(p[0], F_GETFL), fcntl(p[1], F_GETFL));
        write(p[1], "0123456789", 10);
        write(p[1], "abcdefghijklmnopqrst", 20);
        n = read(p[0], buf, sizeof buf);
        say("packet read: %zd '%.*s'\n", n, (int)n, buf);
        n = read(p[0], buf, 5);
        say("short packet read: %zd '%.*s'\n", n, (int)n, buf);
        errno = 0;
        n = read(p[0], buf, sizeof buf);
        say("then: %zd %s\n", n, errname(errno));
        say("write 5000 as packets: %zd\n", write(p[1], big, 5000));
        say("packet reads: %zd ", read(p[0], big, sizeof big));
        say("%zd\n", read(p[0], big, sizeof big));
        close(p[0]);
        close(p[1]);
    } else {
        say("pipe2(O_DIRECT) failed: %s\n", errname(errno));
    }

    /* errors */
    errno = 0;
    r = pipe2(p, O_RDWR);
    say("pipe2 bad flags: %d %s\n", r, errname(errno));
    errno = 0;
    r = pipe2(p, O_CREAT);
    say("pipe2 bad flags O_CREAT: %d %s\n", r, errname(errno));
    /* (Linux closes both new descriptors again; qemu-user 7.2 leaks them, so nothing here depends on it) */
    errno = 0;
    r = pipe2((int *)8, 0);
    say("pipe2 bad pointer: %d %s\n", r, errname(errno));
    say("done\n");
    return 0;
}
