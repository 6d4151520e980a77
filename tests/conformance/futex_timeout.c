/* futex timeouts: FUTEX_WAIT takes a relative CLOCK_MONOTONIC timeout, FUTEX_WAIT_BITSET an absolute one
 * (CLOCK_MONOTONIC, or CLOCK_REALTIME with FUTEX_CLOCK_REALTIME); invalid timespecs are EINVAL. */
#include "conf.h"
#include <linux/futex.h>
#include <stdint.h>
#include <time.h>

static long futex(void *uaddr, int op, uint32_t val, const struct timespec *ts, void *uaddr2, uint32_t val3)
{
    return syscall(SYS_futex, uaddr, op, val, ts, uaddr2, val3);
}

static double now(clockid_t c)
{
    struct timespec t;
    clock_gettime(c, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void timed(const char *label, int op, struct timespec *ts, clockid_t clock, double expect)
{
    uint32_t w = 0;
    double t0 = now(CLOCK_MONOTONIC);
    errno = 0;
    long r = futex(&w, op, 0, ts, NULL, FUTEX_BITSET_MATCH_ANY);
    double el = now(CLOCK_MONOTONIC) - t0;
    (void)clock;
    printf("%s: %ld %s, waited long enough: %d, not far too long: %d\n", label, r, errname(errno),
           el >= expect * 0.9, el < expect + 2.0);
}

int main(void)
{
    struct timespec rel = {0, 50 * 1000000};
    timed("WAIT 50 ms relative", FUTEX_WAIT, &rel, CLOCK_MONOTONIC, 0.05);
    timed("WAIT_PRIVATE 50 ms relative", FUTEX_WAIT_PRIVATE, &rel, CLOCK_MONOTONIC, 0.05);

    struct timespec abs;
    clock_gettime(CLOCK_MONOTONIC, &abs);
    abs.tv_nsec += 60 * 1000000;
    if (abs.tv_nsec >= 1000000000) { abs.tv_sec++; abs.tv_nsec -= 1000000000; }
    timed("WAIT_BITSET absolute monotonic +60 ms", FUTEX_WAIT_BITSET, &abs, CLOCK_MONOTONIC, 0.05);

    clock_gettime(CLOCK_REALTIME, &abs);
    abs.tv_nsec += 60 * 1000000;
    if (abs.tv_nsec >= 1000000000) { abs.tv_sec++; abs.tv_nsec -= 1000000000; }
    timed("WAIT_BITSET|CLOCK_REALTIME absolute +60 ms", FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME, &abs,
          CLOCK_REALTIME, 0.05);

    clock_gettime(CLOCK_MONOTONIC, &abs);
    abs.tv_sec -= 1;
    timed("WAIT_BITSET deadline in the past", FUTEX_WAIT_BITSET, &abs, CLOCK_MONOTONIC, 0.0);

    struct timespec zero = {0, 0};
    timed("WAIT zero timeout", FUTEX_WAIT, &zero, CLOCK_MONOTONIC, 0.0);

    uint32_t w = 0;
    struct timespec bad = {0, 1000000000};
    SHOW("WAIT nsec = 1e9", futex(&w, FUTEX_WAIT, 0, &bad, NULL, 0));
    struct timespec neg = {-1, 0};
    SHOW("WAIT negative seconds", futex(&w, FUTEX_WAIT, 0, &neg, NULL, 0));
    SHOW("WAIT timeout on a bad address", futex(&w, FUTEX_WAIT, 0, (void *)16, NULL, 0));
    SHOW("WAKE|CLOCK_REALTIME", futex(&w, FUTEX_WAKE | FUTEX_CLOCK_REALTIME, 1, NULL, NULL, 0));
    return 0;
}
