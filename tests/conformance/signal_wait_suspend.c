/* Waiting for signals: sigsuspend (returns EINTR after a handler), sigwait/sigwaitinfo/sigtimedwait consume
 * a pending blocked signal without a handler, sigtimedwait times out with EAGAIN, sigqueue values. */
#include "conf.h"
#include <time.h>

static volatile sig_atomic_t hits;
static void handler(int sig) { (void)sig; hits++; }

int main(void)
{
    signal(SIGUSR1, handler);
    sigset_t usr1, old, empty;
    sigemptyset(&usr1);
    sigemptyset(&empty);
    sigaddset(&usr1, SIGUSR1);
    sigprocmask(SIG_BLOCK, &usr1, &old);
    raise(SIGUSR1);
    printf("blocked, pending, no handler yet: %d\n", hits);
    errno = 0;
    int r = sigsuspend(&empty);
    printf("sigsuspend: %d %s, handler ran %d\n", r, errname(errno), hits);
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    printf("mask restored (SIGUSR1 blocked again): %d\n", sigismember(&cur, SIGUSR1));

    raise(SIGUSR1);
    int sig = 0;
    printf("sigwait: %s", errname(sigwait(&usr1, &sig)));
    printf(" got %s, handler not run: %d\n", signame(sig), hits == 1);

    siginfo_t si;
    union sigval v = {.sival_int = 1234};
    SHOW("sigqueue self", sigqueue(getpid(), SIGUSR1, v));
    memset(&si, 0, sizeof si);
    r = sigwaitinfo(&usr1, &si);
    printf("sigwaitinfo: %s, code SI_QUEUE %d, value %d, pid is ours %d\n", signame(r), si.si_code == SI_QUEUE,
           si.si_value.sival_int, si.si_pid == getpid());

    struct timespec ts = {0, 50000000};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    errno = 0;
    r = sigtimedwait(&usr1, &si, &ts);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double el = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("sigtimedwait nothing pending: %d %s, waited >= 45 ms: %d\n", r, errname(errno), el >= 0.045);
    ts.tv_nsec = 0;
    errno = 0;
    r = sigtimedwait(&usr1, &si, &ts);
    printf("sigtimedwait zero timeout: %d %s\n", r, errname(errno));
    ts.tv_nsec = 2000000000L;
    errno = 0;
    r = sigtimedwait(&usr1, &si, &ts);
    printf("sigtimedwait bad timeout: %d %s\n", r, errname(errno));

    /* real-time signals queue, each with its value, in order */
    sigset_t rt;
    sigemptyset(&rt);
    sigaddset(&rt, SIGRTMIN);
    sigprocmask(SIG_BLOCK, &rt, NULL);
    for (int i = 0; i < 3; i++) { v.sival_int = 10 + i; sigqueue(getpid(), SIGRTMIN, v); }
    printf("queued rt values:");
    for (int i = 0; i < 3; i++) {
        ts.tv_sec = 0; ts.tv_nsec = 0;
        r = sigtimedwait(&rt, &si, &ts);
        printf(" %d", r == SIGRTMIN ? si.si_value.sival_int : -1);
    }
    printf("\n");

    /* a child's signal wakes sigsuspend */
    pid_t parent = getpid();
    hits = 0;
    pid_t pid = xfork();
    if (pid == 0) { usleep(30000); kill(parent, SIGUSR1); _exit(0); }
    sigsuspend(&empty);
    printf("woken by the child's signal: %d\n", hits);
    reap("child", pid);
    return 0;
}
