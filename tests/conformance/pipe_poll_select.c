/* poll/select/ppoll on pipes: readiness after a write, POLLHUP after the writer closes, POLLERR for a writer
 * without readers, timeouts of 0 and of 50 ms, invalid descriptors (POLLNVAL, EBADF). */
#include "conf.h"
#include <poll.h>
#include <sys/select.h>
#include <time.h>

static void show_poll(const char *label, struct pollfd *fds, int n, int timeout)
{
    for (int i = 0; i < n; i++) fds[i].revents = 0;
    errno = 0;
    int r = poll(fds, n, timeout);
    printf("%s: %d%s%s", label, r, r < 0 ? " " : "", r < 0 ? errname(errno) : "");
    for (int i = 0; i < n; i++) {
        short e = fds[i].revents;
        printf(" [%s%s%s%s%s]", e & POLLIN ? "IN" : "", e & POLLOUT ? "OUT" : "", e & POLLHUP ? "HUP" : "",
               e & POLLERR ? "ERR" : "", e & POLLNVAL ? "NVAL" : "");
    }
    printf("\n");
}

int main(void)
{
    int p[2];
    MUST(pipe(p));
    struct pollfd fds[2] = {{p[0], POLLIN, 0}, {p[1], POLLOUT, 0}};
    show_poll("empty pipe", fds, 2, 0);
    write(p[1], "x", 1);
    show_poll("after a write", fds, 2, 0);
    char c;
    read(p[0], &c, 1);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    show_poll("read end only, 50 ms timeout", fds, 1, 50);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double el = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("  waited >= 45 ms: %d\n", el >= 0.045);
    write(p[1], "y", 1);
    close(p[1]);
    show_poll("data then writer closed", fds, 1, 0);
    read(p[0], &c, 1);
    show_poll("writer closed, drained", fds, 1, 0);
    close(p[0]);

    MUST(pipe(p));
    close(p[0]);
    struct pollfd w = {p[1], POLLOUT, 0};
    show_poll("writer without reader", &w, 1, 0);
    close(p[1]);

    struct pollfd bad[2] = {{99, POLLIN, 0}, {-1, POLLIN, 0}};
    show_poll("invalid fd and negative fd", bad, 2, 0);
    show_poll("no fds, 10 ms", NULL, 0, 10);

    /* a child's write wakes a blocked poll */
    MUST(pipe(p));
    pid_t pid = xfork();
    if (pid == 0) { usleep(30000); write(p[1], "z", 1); _exit(0); }
    struct pollfd r = {p[0], POLLIN, 0};
    show_poll("blocked until the child writes", &r, 1, 5000);
    reap("child", pid);

    /* select */
    fd_set rd, wr;
    FD_ZERO(&rd); FD_ZERO(&wr);
    FD_SET(p[0], &rd);
    FD_SET(p[1], &wr);
    struct timeval tv = {0, 0};
    int n = select((p[0] > p[1] ? p[0] : p[1]) + 1, &rd, &wr, NULL, &tv);
    printf("select: %d, read ready %d, write ready %d\n", n, FD_ISSET(p[0], &rd), FD_ISSET(p[1], &wr));
    read(p[0], &c, 1);
    FD_ZERO(&rd);
    FD_SET(p[0], &rd);
    tv.tv_sec = 0; tv.tv_usec = 20000;
    n = select(p[0] + 1, &rd, NULL, NULL, &tv);
    printf("select timeout: %d, read ready %d\n", n, FD_ISSET(p[0], &rd));
    FD_ZERO(&rd);
    FD_SET(50, &rd);
    tv.tv_usec = 0;
    SHOW("select on a closed fd", select(51, &rd, NULL, NULL, &tv));
    SHOW("select negative nfds", select(-1, NULL, NULL, NULL, &tv));

    struct timespec ts = {0, 0};
    struct pollfd pp = {p[1], POLLOUT, 0};
    SHOW("ppoll", ppoll(&pp, 1, &ts, NULL));
    return 0;
}
