/* time: clock_gettime/gettimeofday/nanosleep sanity.  Prints OK/FAIL lines only. */
#include <stdio.h>
#include <sys/time.h>
#include <time.h>
#include "errname.h"

static int failures = 0;

static void check(int ok, const char *what)
{
    printf("%s %s\n", ok ? "OK" : "FAIL", what);
    failures += !ok;
}

static double ts(const struct timespec *t)
{
    return t->tv_sec + t->tv_nsec / 1e9;
}

int main(void)
{
    struct timespec a, b, prev;
    check(clock_gettime(CLOCK_MONOTONIC, &prev) == 0, "clock_gettime(CLOCK_MONOTONIC)");
    check(prev.tv_nsec >= 0 && prev.tv_nsec < 1000000000, "tv_nsec in [0, 1e9)");
    int monotonic = 1;
    for (int i = 0; i < 2000; i++) {
        clock_gettime(CLOCK_MONOTONIC, &a);
        if (a.tv_sec < prev.tv_sec || (a.tv_sec == prev.tv_sec && a.tv_nsec < prev.tv_nsec))
            monotonic = 0;
        prev = a;
    }
    check(monotonic, "CLOCK_MONOTONIC never goes backwards (2000 reads)");

    struct timespec req = {0, 10 * 1000 * 1000}, rem = {99, 99};
    clock_gettime(CLOCK_MONOTONIC, &a);
    int r = nanosleep(&req, &rem);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double slept = ts(&b) - ts(&a);
    check(r == 0, "nanosleep(10 ms) returns 0");
    check(slept >= 0.010, "nanosleep(10 ms) sleeps at least 10 ms");
    check(slept < 5.0, "nanosleep(10 ms) sleeps less than 5 s");

    req.tv_sec = 0;
    req.tv_nsec = 1000000000;
    errno = 0;
    check(nanosleep(&req, NULL) == -1 && errno == EINVAL, "nanosleep(tv_nsec=1e9) fails with EINVAL");

    clock_gettime(CLOCK_MONOTONIC, &a);
    struct timespec ms5 = {0, 5 * 1000 * 1000};
    check(clock_nanosleep(CLOCK_MONOTONIC, 0, &ms5, NULL) == 0, "clock_nanosleep(CLOCK_MONOTONIC, 5 ms)");
    clock_gettime(CLOCK_MONOTONIC, &b);
    check(ts(&b) - ts(&a) >= 0.005, "clock_nanosleep slept at least 5 ms");

    struct timespec rt;
    struct timeval tv;
    check(clock_gettime(CLOCK_REALTIME, &rt) == 0, "clock_gettime(CLOCK_REALTIME)");
    check(gettimeofday(&tv, NULL) == 0, "gettimeofday");
    double diff = (tv.tv_sec + tv.tv_usec / 1e6) - ts(&rt);
    check(diff > -1.0 && diff < 1.0, "gettimeofday within 1 s of CLOCK_REALTIME");
    check(tv.tv_usec >= 0 && tv.tv_usec < 1000000, "tv_usec in [0, 1e6)");
    check(rt.tv_sec > 1577836800, "CLOCK_REALTIME is after 2020-01-01");
    time_t now = time(NULL);
    check(now - rt.tv_sec >= -1 && now - rt.tv_sec <= 1, "time(NULL) within 1 s of CLOCK_REALTIME");

    struct timespec res;
    check(clock_getres(CLOCK_MONOTONIC, &res) == 0 && res.tv_sec == 0 && res.tv_nsec > 0 && res.tv_nsec <= 1000000,
          "clock_getres(CLOCK_MONOTONIC) between 1 ns and 1 ms");
    errno = 0;
    check(clock_gettime((clockid_t)12345, &a) == -1 && errno == EINVAL, "clock_gettime(bad clock) fails with EINVAL");
    printf("%s\n", failures ? "SOME CHECKS FAILED" : "ALL OK");
    return failures != 0;
}
