/* Clocks: every clock id reads; MONOTONIC never goes back; REALTIME agrees with time() and gettimeofday();
 * CPU-time clocks advance with work and not with sleep; clock_getres; invalid ids and pointers. */
#include "conf.h"
#include <sys/time.h>
#include <time.h>

static double ts(clockid_t c)
{
    struct timespec t;
    if (clock_gettime(c, &t)) return -1;
    return t.tv_sec + t.tv_nsec / 1e9;
}

int main(void)
{
    struct { clockid_t id; const char *name; } clocks[] = {
        {CLOCK_REALTIME, "REALTIME"}, {CLOCK_MONOTONIC, "MONOTONIC"}, {CLOCK_PROCESS_CPUTIME_ID, "PROCESS_CPUTIME"},
        {CLOCK_THREAD_CPUTIME_ID, "THREAD_CPUTIME"}, {CLOCK_MONOTONIC_RAW, "MONOTONIC_RAW"},
        {CLOCK_REALTIME_COARSE, "REALTIME_COARSE"}, {CLOCK_MONOTONIC_COARSE, "MONOTONIC_COARSE"},
        {CLOCK_BOOTTIME, "BOOTTIME"}, {CLOCK_TAI, "TAI"},
    };
    for (size_t i = 0; i < sizeof clocks / sizeof clocks[0]; i++) {
        struct timespec t, r;
        errno = 0;
        int g = clock_gettime(clocks[i].id, &t);
        int e = errno;
        int gr = clock_getres(clocks[i].id, &r);
        printf("%s: gettime %s, nsec in range %d, getres %s, resolution <= 10 ms %d\n", clocks[i].name,
               g ? errname(e) : "ok", t.tv_nsec >= 0 && t.tv_nsec < 1000000000, gr ? errname(errno) : "ok",
               r.tv_sec == 0 && r.tv_nsec > 0 && r.tv_nsec <= 10000000);
    }
    struct timespec r;
    clock_getres(CLOCK_MONOTONIC, &r);
    printf("MONOTONIC resolution is 1 ns: %d\n", r.tv_sec == 0 && r.tv_nsec == 1);

    double prev = ts(CLOCK_MONOTONIC);
    int backwards = 0;
    for (int i = 0; i < 10000; i++) {
        double now = ts(CLOCK_MONOTONIC);
        if (now < prev) backwards++;
        prev = now;
    }
    printf("monotonic went backwards: %d times\n", backwards);

    time_t t0 = time(NULL);
    double rt = ts(CLOCK_REALTIME);
    struct timeval tv;
    gettimeofday(&tv, NULL);
    printf("time() vs REALTIME within 2 s: %d\n", rt - t0 >= -2 && rt - t0 <= 2);
    printf("gettimeofday vs REALTIME within 2 s: %d, usec in range: %d\n",
           tv.tv_sec + tv.tv_usec / 1e6 - rt < 2 && tv.tv_sec + tv.tv_usec / 1e6 - rt > -2,
           tv.tv_usec >= 0 && tv.tv_usec < 1000000);
    printf("after 2020: %d\n", t0 > 1577836800);
    time_t tl = 0;
    time_t tr = time(&tl);
    printf("time(&t) stores the result: %d\n", tl == tr);

    double c0 = ts(CLOCK_PROCESS_CPUTIME_ID), m0 = ts(CLOCK_MONOTONIC);
    volatile unsigned long x = 0;
    while (ts(CLOCK_PROCESS_CPUTIME_ID) - c0 < 0.05 && ts(CLOCK_MONOTONIC) - m0 < 3) x++;
    double c1 = ts(CLOCK_PROCESS_CPUTIME_ID);
    printf("cpu time advanced with work: %d\n", c1 - c0 >= 0.05);
    usleep(100000);
    double c2 = ts(CLOCK_PROCESS_CPUTIME_ID);
    printf("cpu time nearly still during sleep: %d\n", c2 - c1 < 0.08);

    struct timespec t;
    SHOW("clock_gettime invalid id", clock_gettime(12345, &t));
    SHOW("clock_getres invalid id", clock_getres(-100, &t));
    SHOW("clock_getres NULL result", clock_getres(CLOCK_MONOTONIC, NULL));
    SHOW("clock_gettime bad pointer", syscall(SYS_clock_gettime, CLOCK_MONOTONIC, (void *)16));
    SHOW("clock_settime unprivileged or invalid", syscall(SYS_clock_settime, CLOCK_MONOTONIC, &t));
    return 0;
}
