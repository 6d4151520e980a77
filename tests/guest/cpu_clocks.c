/* Dynamic CPU-time clocks (issue 21): pthread_getcpuclockid and clock_getcpuclockid encode a thread or process
 * in a negative clock id (Linux's posix-cpu-timers).  A busy thread's clock runs, a sleeping thread's stays
 * still; another process's clock is readable; a clock naming nobody is EINVAL, and glibc turns that into
 * ESRCH for clock_getcpuclockid. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "errname.h"

static volatile int stop;

static long long ns(clockid_t clock)
{
    struct timespec ts;
    if (clock_gettime(clock, &ts) != 0)
        return -errno;
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void *spin(void *arg)
{
    (void)arg;
    volatile unsigned long x = 1;
    while (!stop)
        x = x * 6364136223846793005UL + 1;
    return NULL;
}

static void *idle(void *arg)
{
    (void)arg;
    while (!stop)
        usleep(10000);
    return NULL;
}

int main(void)
{
    pthread_t busy, lazy;
    clockid_t busy_clock, lazy_clock, self_clock, proc_clock;
    pthread_create(&busy, NULL, spin, NULL);
    pthread_create(&lazy, NULL, idle, NULL);
    printf("pthread_getcpuclockid: %d %d\n", pthread_getcpuclockid(busy, &busy_clock),
           pthread_getcpuclockid(lazy, &lazy_clock));
    pthread_getcpuclockid(pthread_self(), &self_clock);
    long long b0 = ns(busy_clock), l0 = ns(lazy_clock);
    /* Sleep (not spin: under pynix the threads share one CPU) until the busy thread has run 50 ms. */
    for (int i = 0; i < 1000 && ns(busy_clock) - b0 < 50000000; i++)
        usleep(10000);
    long long b1 = ns(busy_clock), l1 = ns(lazy_clock);
    printf("busy thread clock ran: %d\n", b1 - b0 >= 50000000);
    printf("idle thread clock nearly still: %d\n", l1 - l0 < (b1 - b0) / 4);
    printf("own thread clock matches CLOCK_THREAD_CPUTIME_ID: %d\n",
           ns(self_clock) <= ns(CLOCK_THREAD_CPUTIME_ID));
    struct timespec res = {0, 0};
    int rc = clock_getres(busy_clock, &res);
    printf("clock_getres(thread clock): %d res %ld\n", rc, res.tv_nsec);
    stop = 1;
    pthread_join(busy, NULL);
    pthread_join(lazy, NULL);

    printf("clock_getcpuclockid(self): %d\n", clock_getcpuclockid(getpid(), &proc_clock));
    printf("process clock >= its threads: %d\n", ns(proc_clock) >= b1);
    int pipefd[2];
    pipe(pipefd);
    pid_t child = fork();
    if (child == 0) {
        volatile unsigned long x = 1;
        for (long i = 0; i < 30000000; i++)
            x = x * 6364136223846793005UL + 1;
        write(pipefd[1], "x", 1);
        pause();
        _exit(0);
    }
    char c;
    read(pipefd[0], &c, 1);
    clockid_t child_clock;
    printf("clock_getcpuclockid(child): %d\n", clock_getcpuclockid(child, &child_clock));
    printf("child's clock ran: %d\n", ns(child_clock) > 1000000);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    printf("clock_getcpuclockid(reaped child): %s\n", errname(clock_getcpuclockid(child, &child_clock)));
    printf("clock of a reaped child: %s\n", errname(-ns(child_clock)));
    /* A thread clock naming a tid of another process, and the invalid 'which' 3. */
    clockid_t foreign = (~(clockid_t)1 << 3) | 4 | 2;
    printf("thread clock of init: %s\n", errname(-ns(foreign)));
    printf("which = 3: %s\n", errname(-ns((~(clockid_t)0 << 3) | 3)));
    return 0;
}
