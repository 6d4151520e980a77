/* Timers as descriptors and objects: timerfd (one-shot and periodic expirations read as a counter,
 * TFD_NONBLOCK, timerfd_gettime), POSIX timers with SIGEV_SIGNAL and SIGEV_NONE, getitimer/setitimer on
 * ITIMER_VIRTUAL/ITIMER_PROF values. */
#include "conf.h"
#include <stdint.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>

static volatile sig_atomic_t fired;
static volatile int value_seen;
static void on_timer(int sig, siginfo_t *si, void *ctx)
{
    (void)sig; (void)ctx;
    fired++;
    value_seen = si->si_value.sival_int;
}

int main(void)
{
    int fd = timerfd_create(CLOCK_MONOTONIC, 0);
    printf("timerfd_create: %s\n", fd >= 0 ? "ok" : errname(errno));
    if (fd >= 0) {
        struct itimerspec its = {{0, 0}, {0, 30000000}}, cur;
        SHOW("timerfd_settime one-shot 30 ms", timerfd_settime(fd, 0, &its, NULL));
        SHOW("timerfd_gettime", timerfd_gettime(fd, &cur));
        printf("  armed, remaining <= 30 ms: %d\n", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0 &&
               cur.it_value.tv_nsec <= 30000000);
        uint64_t n = 0;
        SHOW("read blocks until expiry", read(fd, &n, sizeof n));
        printf("  expirations: %llu\n", (unsigned long long)n);
        SHOW("read with a short buffer", read(fd, &n, 4));
        its.it_interval.tv_nsec = 10000000;
        its.it_value.tv_nsec = 10000000;
        timerfd_settime(fd, 0, &its, NULL);
        usleep(55000);
        read(fd, &n, sizeof n);
        printf("periodic 10 ms after 55 ms: at least 3 expirations: %d\n", n >= 3);
        memset(&its, 0, sizeof its);
        timerfd_settime(fd, 0, &its, NULL);
        close(fd);
    }
    fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    uint64_t n;
    SHOW("nonblocking read of a disarmed timerfd", read(fd, &n, sizeof n));
    printf("TFD_CLOEXEC: %d\n", fcntl(fd, F_GETFD));
    SHOW("timerfd_create bad clock", timerfd_create(12345, 0));
    SHOW("timerfd_create bad flags", timerfd_create(CLOCK_MONOTONIC, 0x1));
    struct itimerspec bad = {{0, 0}, {0, 1000000000}};
    SHOW("timerfd_settime bad nsec", timerfd_settime(fd, 0, &bad, NULL));

    /* POSIX timer delivering a signal with a value */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_timer;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
    struct sigevent sev;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_SIGNAL;
    sev.sigev_signo = SIGUSR1;
    sev.sigev_value.sival_int = 77;
    timer_t tid;
    SHOW("timer_create", timer_create(CLOCK_MONOTONIC, &sev, &tid));
    struct itimerspec its = {{0, 0}, {0, 20000000}};
    SHOW("timer_settime 20 ms", timer_settime(tid, 0, &its, NULL));
    for (int i = 0; i < 1000 && !fired; i++) usleep(1000);
    printf("timer signal: fired %d, value %d\n", fired, value_seen);
    SHOW("timer_getoverrun", timer_getoverrun(tid));
    SHOW("timer_delete", timer_delete(tid));

    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_NONE;
    SHOW("timer_create SIGEV_NONE", timer_create(CLOCK_REALTIME, &sev, &tid));
    its.it_value.tv_sec = 10;
    its.it_value.tv_nsec = 0;
    timer_settime(tid, 0, &its, NULL);
    struct itimerspec cur;
    SHOW("timer_gettime", timer_gettime(tid, &cur));
    printf("  remaining in (9, 10] s: %d\n", cur.it_value.tv_sec == 9 || (cur.it_value.tv_sec == 10 && cur.it_value.tv_nsec == 0));
    timer_delete(tid);

    struct itimerval iv = {{0, 0}, {5, 0}}, ov;
    SHOW("setitimer VIRTUAL", setitimer(ITIMER_VIRTUAL, &iv, NULL));
    SHOW("getitimer VIRTUAL", getitimer(ITIMER_VIRTUAL, &ov));
    printf("  virtual timer armed: %d\n", ov.it_value.tv_sec >= 4);
    memset(&iv, 0, sizeof iv);
    setitimer(ITIMER_VIRTUAL, &iv, NULL);
    SHOW("setitimer PROF disarm", setitimer(ITIMER_PROF, &iv, &ov));
    return 0;
}
