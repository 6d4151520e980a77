/* O_NONBLOCK pipes: EAGAIN on an empty pipe, fill to capacity, PIPE_BUF atomicity (a write that does not fit
 * whole fails), partial writes above PIPE_BUF, the capacity after F_SETPIPE_SZ. */
#include "conf.h"
#include <limits.h>

static long fill(int fd, size_t chunk)
{
    static char buf[1 << 16];
    long total = 0;
    for (;;) {
        ssize_t n = write(fd, buf, chunk);
        if (n < 0) { if (errno != EAGAIN) printf("fill: %s\n", errname(errno)); break; }
        total += n;
    }
    return total;
}

static void drain(int fd)
{
    char buf[4096];
    while (read(fd, buf, sizeof buf) > 0) {}
}

int main(void)
{
    int p[2];
    MUST(pipe2(p, O_NONBLOCK));
    char buf[100];
    SHOW("read empty", read(p[0], buf, sizeof buf));
    printf("PIPE_BUF: %d\n", PIPE_BUF);
    printf("fill with 1000-byte writes: %ld\n", fill(p[1], 1000));
    SHOW("write to a full pipe", write(p[1], "x", 1));
    drain(p[0]);
    SHOW("F_SETPIPE_SZ one page", fcntl(p[1], F_SETPIPE_SZ, 4096));
    printf("fill a one-page pipe with 1-byte writes: %ld\n", fill(p[1], 1));
    drain(p[0]);
    SHOW("F_SETPIPE_SZ back to 64 KiB", fcntl(p[1], F_SETPIPE_SZ, 65536));

    /* leave 100 bytes of room */
    long room = fill(p[1], 4096);
    printf("filled with 4096-byte writes: %ld\n", room);
    read(p[0], buf, 100);
    static char page[4096];
    SHOW("write 4096 (<= PIPE_BUF) into 100 bytes of room", write(p[1], page, sizeof page));
    SHOW("write 100 into 100 bytes of room", write(p[1], page, 100));
    drain(p[0]);
    read(p[0], buf, 1);
    fill(p[1], 4096);
    char dummy[100];
    read(p[0], dummy, 100);
    static char big[8192];
    SHOW("write 8192 (> PIPE_BUF) into 100 bytes of room: partial", write(p[1], big, sizeof big));
    drain(p[0]);

    SHOW("F_SETPIPE_SZ 8192", fcntl(p[1], F_SETPIPE_SZ, 8192));
    printf("fill after resize: %ld\n", fill(p[1], 512));
    SHOW("shrink below the contents", fcntl(p[1], F_SETPIPE_SZ, 4096));
    drain(p[0]);

    /* toggling O_NONBLOCK on the read end with F_SETFL */
    MUST(pipe(p));
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    SHOW("read empty after F_SETFL O_NONBLOCK", read(p[0], buf, 1));
    fcntl(p[0], F_SETFL, 0);
    write(p[1], "y", 1);
    SHOW("blocking read with data", read(p[0], buf, 1));
    return 0;
}
