/* ppoll and pselect6 with a temporary signal mask (how make -j waits for its children): SIGCHLD is blocked,
 * the wait unblocks it, a child's exit -- or a SIGCHLD already pending when the call starts -- ends the wait
 * with EINTR after the handler ran, and the caller's mask is back afterwards. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/select.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"

static volatile int got;

static void on_chld(int sig) { (void)sig; got++; }

static int blocked_now(void)
{
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    return sigismember(&cur, SIGCHLD);
}

static void child_exits(int delay_us)
{
    if (fork() == 0) {
        usleep(delay_us);
        _exit(0);
    }
}

int main(void)
{
    struct sigaction sa = {0};
    sa.sa_handler = on_chld;
    sigaction(SIGCHLD, &sa, NULL);
    sigset_t block, empty;
    sigemptyset(&block);
    sigaddset(&block, SIGCHLD);
    sigemptyset(&empty);
    sigprocmask(SIG_BLOCK, &block, NULL);
    int fds[2];
    pipe(fds);                                   /* never written: only a signal ends the waits */
    fd_set rd;

    child_exits(100000);                         /* the child exits while pselect sleeps */
    FD_ZERO(&rd);
    FD_SET(fds[0], &rd);
    int r = pselect(fds[0] + 1, &rd, NULL, NULL, NULL, &empty);
    printf("pselect, child exits during the wait: %d %s, handler ran %d, SIGCHLD blocked again %d\n", r,
           r < 0 ? errname(errno) : "", got, blocked_now());
    wait(NULL);

    child_exits(0);                              /* SIGCHLD is pending before the call starts */
    usleep(200000);
    got = 0;
    FD_ZERO(&rd);
    FD_SET(fds[0], &rd);
    r = pselect(fds[0] + 1, &rd, NULL, NULL, NULL, &empty);
    printf("pselect, SIGCHLD already pending: %d %s, handler ran %d, SIGCHLD blocked again %d\n", r,
           r < 0 ? errname(errno) : "", got, blocked_now());
    wait(NULL);

    child_exits(100000);
    got = 0;
    struct pollfd p = {fds[0], POLLIN, 0};
    r = ppoll(&p, 1, NULL, &empty);
    printf("ppoll, child exits during the wait: %d %s, handler ran %d, SIGCHLD blocked again %d\n", r,
           r < 0 ? errname(errno) : "", got, blocked_now());
    wait(NULL);

    struct timespec ts = {0, 50000000};
    got = 0;
    r = ppoll(&p, 1, &ts, &block);               /* a mask that keeps SIGCHLD blocked: a plain timeout */
    printf("ppoll timeout with SIGCHLD blocked: %d, handler ran %d\n", r, got);
    return 0;
}
