/* End of pipe life: read returns 0 only when every write end is closed (also in forked children), writes
 * with no reader fail with EPIPE (SIGPIPE ignored here), data written before the close is still read. */
#include "conf.h"

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    int p[2];
    MUST(pipe(p));
    int extra = dup(p[1]);
    write(p[1], "data", 4);
    close(p[1]);
    char buf[16];
    int flags = fcntl(p[0], F_GETFL);
    fcntl(p[0], F_SETFL, flags | O_NONBLOCK);
    SHOW("read the data", read(p[0], buf, sizeof buf));
    SHOW("read with a dup of the writer open", read(p[0], buf, sizeof buf));
    close(extra);
    SHOW("read after the last writer closed", read(p[0], buf, sizeof buf));
    SHOW("read again", read(p[0], buf, sizeof buf));
    close(p[0]);

    /* a writer in a child: EOF arrives when the child exits */
    MUST(pipe(p));
    pid_t pid = xfork();
    if (pid == 0) {
        close(p[0]);
        write(p[1], "from child", 10);
        usleep(30000);
        _exit(0);
    }
    close(p[1]);
    ssize_t n, total = 0;
    while ((n = read(p[0], buf, sizeof buf)) > 0) total += n;
    printf("read %zd bytes then %s\n", total, n == 0 ? "EOF" : errname(errno));
    reap("writer child", pid);
    close(p[0]);

    /* EPIPE */
    MUST(pipe(p));
    close(p[0]);
    SHOW("write without a reader", write(p[1], "x", 1));
    SHOW("write 0 bytes without a reader", write(p[1], "x", 0));
    close(p[1]);

    /* the reader goes away while the writer is blocked on a full pipe */
    MUST(pipe(p));
    pid = xfork();
    if (pid == 0) {
        close(p[1]);
        usleep(50000);
        _exit(0);          /* exits without reading */
    }
    close(p[0]);
    static char big[1 << 17];
    errno = 0;
    ssize_t w = write(p[1], big, sizeof big);   /* blocks once full, then fails or returns short */
    printf("big write to a reader that leaves: %s\n", w == -1 ? errname(errno) : w == 65536 ? "partial 65536" : "other");
    reap("reader child", pid);
    SHOW("next write", write(p[1], "x", 1));
    close(p[1]);

    /* a reader blocked in read is woken by the last close */
    MUST(pipe(p));
    pid = xfork();
    if (pid == 0) {
        close(p[1]);
        n = read(p[0], buf, sizeof buf);
        _exit(n == 0 ? 0 : 1);
    }
    close(p[0]);
    usleep(30000);
    close(p[1]);
    reap("blocked reader after the last close", pid);
    return 0;
}
