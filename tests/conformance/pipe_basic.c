/* pipe/pipe2: data in order, the two ends' modes and flags, FIONREAD, capacity (F_GETPIPE_SZ/F_SETPIPE_SZ),
 * seeking (ESPIPE), the wrong end (EBADF), O_DIRECT packet mode. */
#include "conf.h"
#include <sys/ioctl.h>

int main(void)
{
    int p[2];
    SHOW("pipe", pipe(p));
    printf("read end < write end, lowest free fds: %d %d\n", p[0], p[1]);
    SHOW("write 5", write(p[1], "hello", 5));
    SHOW("write 6", write(p[1], " world", 6));
    int avail = -1;
    SHOW("FIONREAD", ioctl(p[0], FIONREAD, &avail));
    printf("  available: %d\n", avail);
    char buf[128];
    ssize_t n = read(p[0], buf, 3);
    printf("read 3: %zd [%.*s]\n", n, (int)n, buf);
    n = read(p[0], buf, sizeof buf);
    printf("read rest: %zd [%.*s]\n", n, (int)n, buf);
    SHOW("read on the write end", read(p[1], buf, 1));
    SHOW("write on the read end", write(p[0], "x", 1));
    SHOW("lseek", lseek(p[0], 0, SEEK_CUR));
    SHOW("pread", pread(p[0], buf, 1, 0));
    printf("F_GETFL read end is O_RDONLY: %d, write end O_WRONLY: %d\n",
           (fcntl(p[0], F_GETFL) & O_ACCMODE) == O_RDONLY, (fcntl(p[1], F_GETFL) & O_ACCMODE) == O_WRONLY);
    printf("F_GETPIPE_SZ: %d\n", fcntl(p[0], F_GETPIPE_SZ));
    SHOW("F_SETPIPE_SZ 4096", fcntl(p[1], F_SETPIPE_SZ, 4096));
    SHOW("F_SETPIPE_SZ 5000 rounds up", fcntl(p[1], F_SETPIPE_SZ, 5000));
    SHOW("F_SETPIPE_SZ 0 gives one page", fcntl(p[1], F_SETPIPE_SZ, 0));
    SHOW("F_GETPIPE_SZ on a file", fcntl(open("/etc/passwd", O_RDONLY), F_GETPIPE_SZ));
    close(p[0]);
    close(p[1]);

    SHOW("pipe2 O_CLOEXEC|O_NONBLOCK", pipe2(p, O_CLOEXEC | O_NONBLOCK));
    printf("  cloexec: %d %d, nonblock: %d %d\n", fcntl(p[0], F_GETFD), fcntl(p[1], F_GETFD),
           !!(fcntl(p[0], F_GETFL) & O_NONBLOCK), !!(fcntl(p[1], F_GETFL) & O_NONBLOCK));
    close(p[0]);
    close(p[1]);
    SHOW("pipe2 bad flags", pipe2(p, O_APPEND));
    SHOW("pipe bad pointer", syscall(SYS_pipe2, (void *)16, 0));

    /* O_DIRECT: each write is a packet, a read returns at most one packet */
    SHOW("pipe2 O_DIRECT", pipe2(p, O_DIRECT));
    write(p[1], "abc", 3);
    write(p[1], "defgh", 5);
    n = read(p[0], buf, sizeof buf);
    printf("packet 1: %zd\n", n);
    n = read(p[0], buf, sizeof buf);
    printf("packet 2: %zd\n", n);
    write(p[1], "0123456789", 10);
    n = read(p[0], buf, 4);
    printf("short read of a packet: %zd, rest discarded: ", n);
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    n = read(p[0], buf, sizeof buf);
    printf("%s\n", n < 0 ? errname(errno) : "no");
    close(p[0]);
    close(p[1]);

    /* fstat of a pipe */
    pipe(p);
    struct stat sb;
    fstat(p[0], &sb);
    printf("fifo: %d, size field: %ld\n", S_ISFIFO(sb.st_mode), (long)sb.st_size);
    return 0;
}
