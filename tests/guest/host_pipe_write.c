/* host_pipe_write FD MODE: write to descriptor FD (1 or 2), a pipe whose reader the test has already closed, and
   report on the other standard stream.  MODE "default" (SIGPIPE kills), "ignore" (SIG_IGN: write fails with
   EPIPE), "handler" (a handler runs, then write fails with EPIPE), "blocked" (SIGPIPE blocked: EPIPE, and the
   signal is left pending). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "errname.h"

static volatile sig_atomic_t caught;

static void on_sigpipe(int sig)
{
    caught = sig;
}

int main(int argc, char **argv)
{
    if (argc != 3)
        return 2;
    int fd = atoi(argv[1]);
    int out = fd == 1 ? 2 : 1;
    const char *mode = argv[2];
    if (!strcmp(mode, "ignore")) {
        signal(SIGPIPE, SIG_IGN);
    } else if (!strcmp(mode, "handler")) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_sigpipe;
        sigaction(SIGPIPE, &sa, NULL);
    } else if (!strcmp(mode, "blocked")) {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGPIPE);
        sigprocmask(SIG_BLOCK, &set, NULL);
    }
    errno = 0;
    ssize_t n = write(fd, "hello\n", 6);
    dprintf(out, "write: %zd %s\n", n, errname(errno));
    if (!strcmp(mode, "handler"))
        dprintf(out, "handler ran: %s\n", caught == SIGPIPE ? "SIGPIPE" : "no");
    if (!strcmp(mode, "blocked")) {
        sigset_t pending;
        sigpending(&pending);
        dprintf(out, "SIGPIPE pending: %d\n", sigismember(&pending, SIGPIPE));
    }
    return 0;
}
