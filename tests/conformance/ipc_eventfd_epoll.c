/* eventfd counters (semaphore mode, EAGAIN, overflow limit) and epoll over pipes and eventfds: level vs edge
 * triggering, EPOLLONESHOT, EPOLL_CTL_MOD/DEL errors, timeouts, readiness after close of the other end. */
#include "conf.h"
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

static void show_wait(const char *label, int ep, int timeout)
{
    struct epoll_event ev[8];
    int n = epoll_wait(ep, ev, 8, timeout);
    printf("%s: %d%s%s", label, n, n < 0 ? " " : "", n < 0 ? errname(errno) : "");
    for (int i = 0; i < n; i++)
        printf(" [tag %lu%s%s%s%s]", (unsigned long)ev[i].data.u64, ev[i].events & EPOLLIN ? " IN" : "",
               ev[i].events & EPOLLOUT ? " OUT" : "", ev[i].events & EPOLLHUP ? " HUP" : "",
               ev[i].events & EPOLLERR ? " ERR" : "");
    printf("\n");
}

int main(void)
{
    int efd = eventfd(3, EFD_NONBLOCK);
    printf("eventfd: %s\n", efd >= 0 ? "ok" : errname(errno));
    uint64_t v = 0;
    SHOW("read", read(efd, &v, sizeof v));
    printf("  value %llu\n", (unsigned long long)v);
    SHOW("read empty", read(efd, &v, sizeof v));
    v = 5;
    SHOW("write 5", write(efd, &v, sizeof v));
    v = 0xffffffffffffffffULL;
    SHOW("write -1 (invalid)", write(efd, &v, sizeof v));
    v = 0xfffffffffffffffeULL;
    SHOW("write to overflow", write(efd, &v, sizeof v));
    SHOW("short read", read(efd, &v, 4));
    close(efd);
    efd = eventfd(2, EFD_SEMAPHORE | EFD_NONBLOCK);
    printf("semaphore reads:");
    for (int i = 0; i < 3; i++) {
        v = 0;
        long r = read(efd, &v, sizeof v);
        printf(" %s", r == 8 ? (v == 1 ? "1" : "?") : errname(errno));
    }
    printf("\n");
    SHOW("eventfd bad flags", eventfd(0, 0x1));

    int ep = epoll_create1(EPOLL_CLOEXEC);
    printf("epoll_create1: %s, cloexec %d\n", ep >= 0 ? "ok" : errname(errno), fcntl(ep, F_GETFD));
    int p[2];
    MUST(pipe(p));
    struct epoll_event e = {.events = EPOLLIN, .data.u64 = 1};
    SHOW("ADD pipe read end", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &e));
    SHOW("ADD again", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &e));
    e.data.u64 = 2;
    e.events = EPOLLIN;
    SHOW("ADD eventfd", epoll_ctl(ep, EPOLL_CTL_ADD, efd, &e));
    show_wait("nothing ready", ep, 0);
    write(p[1], "x", 1);
    show_wait("pipe readable (level)", ep, 0);
    show_wait("still readable (level)", ep, 0);
    v = 1;
    write(efd, &v, sizeof v);
    show_wait("both", ep, 0);
    char c;
    read(p[0], &c, 1);
    read(efd, &v, sizeof v);

    e.events = EPOLLIN | EPOLLET;
    e.data.u64 = 1;
    SHOW("MOD to edge-triggered", epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &e));
    write(p[1], "y", 1);
    show_wait("edge: first wait", ep, 0);
    show_wait("edge: second wait (no new data)", ep, 0);
    write(p[1], "z", 1);
    show_wait("edge: after more data", ep, 0);
    read(p[0], &c, 1); read(p[0], &c, 1);

    e.events = EPOLLIN | EPOLLONESHOT;
    epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &e);
    write(p[1], "w", 1);
    show_wait("oneshot: first", ep, 0);
    show_wait("oneshot: disarmed", ep, 0);
    SHOW("DEL", epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL));
    SHOW("DEL again", epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL));
    SHOW("MOD unregistered", epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &e));
    SHOW("ADD a regular file", epoll_ctl(ep, EPOLL_CTL_ADD, open("/etc/passwd", O_RDONLY), &e));
    SHOW("ADD epoll to itself", epoll_ctl(ep, EPOLL_CTL_ADD, ep, &e));
    SHOW("epoll_wait maxevents 0", epoll_wait(ep, &e, 0, 0));

    /* hang-up of a pipe's writer */
    int q[2];
    MUST(pipe(q));
    e.events = EPOLLIN;
    e.data.u64 = 3;
    epoll_ctl(ep, EPOLL_CTL_ADD, q[0], &e);
    close(q[1]);
    show_wait("writer closed", ep, 0);

    /* a blocking wait woken by a child */
    int ep2 = epoll_create1(0);
    int r[2];
    MUST(pipe(r));
    e.events = EPOLLIN;
    e.data.u64 = 4;
    epoll_ctl(ep2, EPOLL_CTL_ADD, r[0], &e);
    pid_t pid = xfork();
    if (pid == 0) { usleep(30000); write(r[1], "k", 1); _exit(0); }
    show_wait("woken by the child's write", ep2, 5000);
    reap("child", pid);
    show_wait("timeout 20 ms (data still unread, level)", ep2, 20);
    return 0;
}
