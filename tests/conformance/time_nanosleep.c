/* Sleeping: nanosleep/clock_nanosleep durations, TIMER_ABSTIME with deadlines in the past and future,
 * invalid arguments, usleep/sleep(0), sleeping children and parents in parallel. */
// reference: x86_64
// (qemu-riscv64 7.2 returns EINVAL instead of EFAULT for a bad timespec pointer; the output is ISA-independent)
#include "conf.h"
#include <time.h>

static double mono(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

int main(void)
{
    struct timespec req = {0, 50000000}, rem = {7, 7};
    double t0 = mono();
    SHOW("nanosleep 50 ms", nanosleep(&req, &rem));
    double el = mono() - t0;
    printf("  slept >= 50 ms: %d, < 1 s: %d\n", el >= 0.05, el < 1.0);

    req.tv_nsec = 0;
    SHOW("nanosleep 0", nanosleep(&req, NULL));
    req.tv_nsec = 1000000000;
    SHOW("nanosleep nsec = 1e9", nanosleep(&req, NULL));
    req.tv_sec = -1; req.tv_nsec = 0;
    SHOW("nanosleep negative", nanosleep(&req, NULL));
    SHOW("nanosleep bad pointer", syscall(SYS_nanosleep, (void *)16, NULL));

    struct timespec abs;
    clock_gettime(CLOCK_MONOTONIC, &abs);
    abs.tv_nsec += 40000000;
    if (abs.tv_nsec >= 1000000000) { abs.tv_sec++; abs.tv_nsec -= 1000000000; }
    t0 = mono();
    printf("clock_nanosleep ABSTIME +40 ms: %s", errname(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &abs, NULL)));
    printf(", slept >= 35 ms: %d\n", mono() - t0 >= 0.035);
    abs.tv_sec -= 10;
    t0 = mono();
    printf("clock_nanosleep ABSTIME in the past: %s", errname(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &abs, NULL)));
    printf(", returned at once: %d\n", mono() - t0 < 0.5);
    clock_gettime(CLOCK_REALTIME, &abs);
    abs.tv_nsec += 30000000;
    if (abs.tv_nsec >= 1000000000) { abs.tv_sec++; abs.tv_nsec -= 1000000000; }
    t0 = mono();
    printf("clock_nanosleep REALTIME ABSTIME +30 ms: %s",
           errname(clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &abs, NULL)));
    printf(", slept >= 25 ms: %d\n", mono() - t0 >= 0.025);
    struct timespec rel = {0, 10000000};
    printf("clock_nanosleep BOOTTIME relative: %s\n", errname(clock_nanosleep(CLOCK_BOOTTIME, 0, &rel, NULL)));
    printf("clock_nanosleep THREAD_CPUTIME: %s\n", errname(clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, 0, &rel, NULL)));
    printf("clock_nanosleep invalid clock: %s\n", errname(clock_nanosleep(12345, 0, &rel, NULL)));
    printf("clock_nanosleep MONOTONIC_RAW: %s\n", errname(clock_nanosleep(CLOCK_MONOTONIC_RAW, 0, &rel, NULL)));
    rel.tv_nsec = -1;
    printf("clock_nanosleep negative nsec: %s\n", errname(clock_nanosleep(CLOCK_MONOTONIC, 0, &rel, NULL)));

    t0 = mono();
    SHOW("usleep 20000", usleep(20000));
    printf("  slept >= 20 ms: %d\n", mono() - t0 >= 0.02);
    SHOW("sleep 0", sleep(0));

    /* four children sleep 300 ms at the same time: the total is about 300 ms, far from 1200 */
    t0 = mono();
    pid_t pids[4];
    for (int i = 0; i < 4; i++) {
        pids[i] = xfork();
        if (pids[i] == 0) { usleep(300000); _exit(0); }
    }
    for (int i = 0; i < 4; i++) waitpid(pids[i], NULL, 0);
    el = mono() - t0;
    printf("4 parallel 300 ms sleeps took >= 300 ms: %d, < 1 s: %d\n", el >= 0.3, el < 1.0);
    return 0;
}
