/* epoll: ctl errors, level-triggered, EPOLLET, EPOLLONESHOT, HUP/ERR/RDHUP, nested epoll, close removes,
   timeouts, a blocking wait woken by a child, epoll_pwait's signal mask and EINTR. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"
#include "say.h"


#define TRY(expr) do { long r_ = (long)(expr); say("%-50s = %ld %s\n", #expr, r_, r_ < 0 ? errname(errno) : ""); } while (0)

static void waitshow(int ep, const char *what, int timeout)
{
    struct epoll_event ev[8];
    int n = epoll_wait(ep, ev, 8, timeout);
    say("%s: %d%s", what, n, n < 0 ? errname(errno) : "");
    for (int i = 0; i < n; i++)
        say(" [%llu %#x]", (unsigned long long)ev[i].data.u64, ev[i].events);
    say("\n");
}

static int add(int ep, int fd, uint32_t events, uint64_t data)
{
    struct epoll_event ev = {.events = events, .data.u64 = data};
    return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

static void on_usr1(int sig) { (void)sig; }

int main(void)
{
    int ep = epoll_create1(EPOLL_CLOEXEC);
    say("cloexec %d\n", fcntl(ep, F_GETFD));
    TRY(epoll_create1(1));
    TRY(epoll_create(0));
    int p[2];
    pipe(p);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 1};
    TRY(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
    TRY(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
    TRY(epoll_ctl(ep, EPOLL_CTL_MOD, p[1], &ev));
    TRY(epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL));
    TRY(epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev));
    TRY(epoll_ctl(p[0], EPOLL_CTL_ADD, p[1], &ev));
    TRY(epoll_ctl(ep, 99, p[1], &ev));
    TRY(epoll_ctl(ep, EPOLL_CTL_ADD, 1000, &ev));
    int reg = open("/proc/self/exe", O_RDONLY);
    TRY(epoll_ctl(ep, EPOLL_CTL_ADD, reg, &ev));
    ev.events = EPOLLIN | EPOLLEXCLUSIVE;
    TRY(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev));
    struct epoll_event evs[4];
    TRY(epoll_wait(ep, evs, 0, 0));
    TRY(epoll_wait(p[0], evs, 4, 0));

    /* level-triggered */
    waitshow(ep, "empty", 0);
    waitshow(ep, "timeout 30ms", 30);
    write(p[1], "abc", 3);
    waitshow(ep, "LT data", 0);
    waitshow(ep, "LT again", 0);
    char buf[16];
    read(p[0], buf, 3);
    waitshow(ep, "LT drained", 0);

    /* edge-triggered */
    ev.events = EPOLLIN | EPOLLET;
    ev.data.u64 = 2;
    TRY(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev));
    write(p[1], "abc", 3);
    waitshow(ep, "ET data", 0);
    waitshow(ep, "ET no new edge", 0);
    read(p[0], buf, 1);
    waitshow(ep, "ET partial read", 0);
    write(p[1], "d", 1);
    waitshow(ep, "ET new write", 0);
    read(p[0], buf, sizeof buf);

    /* one-shot */
    ev.events = EPOLLIN | EPOLLONESHOT;
    ev.data.u64 = 3;
    TRY(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev));
    write(p[1], "x", 1);
    waitshow(ep, "oneshot", 0);
    write(p[1], "y", 1);
    waitshow(ep, "oneshot disabled", 0);
    TRY(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev));
    waitshow(ep, "oneshot rearmed", 0);
    read(p[0], buf, sizeof buf);
    TRY(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL));

    /* write end, HUP and ERR */
    ev.events = EPOLLOUT;
    ev.data.u64 = 4;
    add(ep, p[1], EPOLLOUT, 4);
    waitshow(ep, "writable", 0);
    add(ep, p[0], EPOLLIN, 5);
    close(p[0]);
    waitshow(ep, "reader closed (removed, ERR)", 0);
    close(p[1]);
    waitshow(ep, "all closed", 0);

    /* eventfd, socketpair RDHUP, nested epoll */
    int efd = eventfd(0, EFD_NONBLOCK);
    add(ep, efd, EPOLLIN | EPOLLET, 6);
    int inner = epoll_create1(0);
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    add(inner, sv[0], EPOLLIN | EPOLLRDHUP, 7);
    add(ep, inner, EPOLLIN, 8);
    TRY(add(inner, ep, EPOLLIN, 9));
    waitshow(ep, "nothing yet", 0);
    uint64_t one = 1;
    write(efd, &one, 8);
    write(efd, &one, 8);
    waitshow(ep, "eventfd ET", 0);
    write(efd, &one, 8);
    waitshow(ep, "eventfd ET again", 0);
    write(sv[1], "z", 1);
    waitshow(ep, "nested", 0);
    waitshow(inner, "inner", 0);
    shutdown(sv[1], SHUT_WR);
    waitshow(inner, "peer shut", 0);
    struct pollfd pf = {ep, POLLIN, 0};
    say("poll on epoll %d %#x\n", poll(&pf, 1, 0), pf.revents);

    /* a blocking wait woken by a child */
    int q[2];
    pipe(q);
    int ep2 = epoll_create(1);
    add(ep2, q[0], EPOLLIN, 10);
    pid_t pid = fork();
    if (pid == 0) {
        usleep(30000);
        write(q[1], "w", 1);
        _exit(0);
    }
    waitshow(ep2, "woken", -1);
    waitpid(pid, NULL, 0);
    read(q[0], buf, 1);

    /* epoll_pwait: SIGUSR1 blocked normally, unblocked while waiting -> EINTR, handler ran */
    struct sigaction sa = {.sa_handler = on_usr1, .sa_flags = SA_RESTART};
    sigaction(SIGUSR1, &sa, NULL);
    sigset_t block, during;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigprocmask(SIG_BLOCK, &block, NULL);
    sigemptyset(&during);
    pid = fork();
    if (pid == 0) {
        usleep(30000);
        kill(getppid(), SIGUSR1);
        _exit(0);
    }
    int n = epoll_pwait(ep2, evs, 4, 5000, &during);
    say("pwait: %d %s\n", n, n < 0 ? errname(errno) : "");
    waitpid(pid, NULL, 0);
    sigset_t now;
    sigprocmask(SIG_BLOCK, NULL, &now);
    say("mask restored %d\n", sigismember(&now, SIGUSR1));
    kill(getpid(), SIGUSR1);
    n = epoll_pwait(ep2, evs, 4, 0, &block);
    say("pwait blocked-signal: %d\n", n);
    sigpending(&now);
    say("still pending %d\n", sigismember(&now, SIGUSR1));
    return 0;
}
