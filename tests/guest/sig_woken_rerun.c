/* A signal that comes while a sleeping call has been woken but has not yet returned (issue 21, CPython's
 * test_asyncio.test_subprocess test_stdin_broken_pipe with FastChildWatcher): a child exits, which closes its
 * end of a pipe (waking the parent's epoll_wait or poll on the other end) and then sends SIGCHLD.  Linux
 * finishes the woken call first (it returns the pipe's event) and runs the handler on the way out; the
 * handler's own write to a socketpair (asyncio's wakeup fd) must write its one byte and be seen by the next
 * wait.  pynix ran the handler before the woken call's re-run, and the handler's write took the call's saved
 * deadline for bytes it had already written. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"

static int sv[2];
static volatile long handler_wrote = -100;

static void on_chld(int sig)
{
    char b = (char)sig;
    handler_wrote = write(sv[1], &b, 1);
}

/* One round: the parent waits (epoll_wait or poll) on the write end of a pipe whose only reader is a child
 * that exits; SIGCHLD's handler writes to the socketpair.  Prints what each wait returned. */
static void round_(int use_epoll, int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_chld;
    sa.sa_flags = flags;
    sigaction(SIGCHLD, &sa, NULL);
    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
    int p[2];
    pipe(p);
    handler_wrote = -100;
    pid_t kid = fork();
    if (kid == 0) {
        close(p[1]);
        usleep(100000);
        _exit(0);
    }
    close(p[0]);
    int first, again, err = 0;
    short revents = 0;
    if (use_epoll) {
        int ep = epoll_create1(EPOLL_CLOEXEC);
        struct epoll_event ev = {.events = EPOLLIN, .data.fd = sv[0]}, out[2];
        epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &ev);
        ev.data.fd = p[1];
        epoll_ctl(ep, EPOLL_CTL_ADD, p[1], &ev);
        first = epoll_wait(ep, out, 2, 5000);
        err = errno;
        if (first == 1)
            revents = out[0].data.fd == p[1] ? (short)out[0].events : -1;
        again = epoll_wait(ep, out, 2, 0);
        close(ep);
    } else {
        struct pollfd fds[2] = {{.fd = p[1], .events = POLLIN}, {.fd = sv[0], .events = POLLIN}};
        first = poll(fds, 2, 5000);
        err = errno;
        revents = fds[0].revents;
        fds[0].revents = fds[1].revents = 0;
        again = poll(fds, 2, 0);
    }
    char b = 0;
    long got = read(sv[0], &b, 1);
    printf("%s%s: first wait %d %s (pipe events %#x), handler wrote %ld, next wait %d, wakeup byte %ld/%d\n",
           use_epoll ? "epoll_wait" : "poll", flags ? " SA_RESTART" : "", first, first < 0 ? errname(err) : "",
           (unsigned)(unsigned short)revents, handler_wrote, again, got, b);
    waitpid(kid, NULL, 0);
    close(p[1]);
    close(sv[0]);
    close(sv[1]);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    for (int use_epoll = 1; use_epoll >= 0; use_epoll--) {
        round_(use_epoll, 0);
        round_(use_epoll, SA_RESTART);
    }
    return 0;
}
