/* How many epoll waiters one wake-up wakes (issue 21): three threads, each asleep in epoll_wait on its own
 * epoll instance watching the same pipe; one byte is written.  Without EPOLLEXCLUSIVE every instance reports
 * the pipe readable; with it, the wake-up stops at the first instance with a sleeper, so one thread reports it
 * and the others time out.  A thread that polls its instance (timeout 0) before the write is not asleep and
 * does not take the exclusive wake-up from the sleepers behind it. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>

#define WAITERS 3
static int pipefd[2];
static int epfds[WAITERS];
static volatile pid_t tids[WAITERS];
static int got[WAITERS];

static void *waiter(void *arg)
{
    int i = (int)(long)arg;
    tids[i] = (pid_t)syscall(SYS_gettid);
    struct epoll_event ev;
    got[i] = epoll_wait(epfds[i], &ev, 1, 700);
    return NULL;
}

static int asleep(pid_t tid)
{
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", tid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    return p && p[1] == ' ' && p[2] == 'S';
}

static void round_(const char *what, unsigned events, int idle_instance)
{
    pipe(pipefd);
    int idle = epoll_create1(0);
    struct epoll_event ev = {.events = events, .data.fd = pipefd[0]};
    if (idle_instance)                            /* registered first, but nobody sleeps on it */
        epoll_ctl(idle, EPOLL_CTL_ADD, pipefd[0], &ev);
    for (int i = 0; i < WAITERS; i++) {
        epfds[i] = epoll_create1(0);
        if (epoll_ctl(epfds[i], EPOLL_CTL_ADD, pipefd[0], &ev) != 0)
            perror("epoll_ctl");
        tids[i] = 0;
    }
    pthread_t th[WAITERS];
    for (int i = 0; i < WAITERS; i++)
        pthread_create(&th[i], NULL, waiter, (void *)(long)i);
    for (int i = 0; i < WAITERS; i++)
        while (!tids[i] || !asleep(tids[i]))
            sched_yield();
    write(pipefd[1], "x", 1);
    for (int i = 0; i < WAITERS; i++)
        pthread_join(th[i], NULL);
    int woken = 0;
    for (int i = 0; i < WAITERS; i++)
        woken += got[i] == 1;
    struct epoll_event e;
    int idle_ready = idle_instance ? epoll_wait(idle, &e, 1, 0) : -1;
    printf("%s: %d of %d waiters got the event", what, woken, WAITERS);
    if (idle_instance)
        printf(", the instance nobody waits on is ready %d", idle_ready);
    printf("\n");
    for (int i = 0; i < WAITERS; i++)
        close(epfds[i]);
    close(idle);
    close(pipefd[0]);
    close(pipefd[1]);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    round_("level-triggered", EPOLLIN, 0);
    round_("edge-triggered", EPOLLIN | EPOLLET, 0);
    round_("EPOLLEXCLUSIVE", EPOLLIN | EPOLLEXCLUSIVE, 0);
    round_("EPOLLEXCLUSIVE edge-triggered", EPOLLIN | EPOLLET | EPOLLEXCLUSIVE, 0);
    round_("EPOLLEXCLUSIVE behind an idle instance", EPOLLIN | EPOLLEXCLUSIVE, 1);
    return 0;
}
