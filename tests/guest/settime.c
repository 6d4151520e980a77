/* Setting the clocks: the sandbox refuses with EPERM after Linux's own argument checks.  The valid times it
 * passes are the clocks' current values, so a run that could set them (root with CAP_SYS_TIME) changes nothing
 * that matters; the native reference runs without CAP_SYS_TIME. */
#include <stdio.h>
#include <errno.h>
#include <string.h>
#include <time.h>
#include <sys/time.h>
#include <sys/syscall.h>
#include <unistd.h>
#define SHOW(l, e) do { errno = 0; long r = (long)(e); printf("%s: %ld %s\n", l, r, r < 0 ? strerror(errno) : ""); } while (0)
int main(void) {
    struct timespec t, bad = {1, 2000000000};
    struct timeval tv, badtv = {1, 1000000};
    clock_gettime(CLOCK_REALTIME, &t);
    gettimeofday(&tv, NULL);
    struct timezone tz = {10000, 0};
    SHOW("realtime", syscall(SYS_clock_settime, CLOCK_REALTIME, &t));
    SHOW("realtime bad ts", syscall(SYS_clock_settime, CLOCK_REALTIME, &bad));
    SHOW("realtime efault", syscall(SYS_clock_settime, CLOCK_REALTIME, (void *)16));
    SHOW("monotonic", syscall(SYS_clock_settime, CLOCK_MONOTONIC, &t));
    SHOW("process cputime", syscall(SYS_clock_settime, CLOCK_PROCESS_CPUTIME_ID, &t));
    SHOW("invalid", syscall(SYS_clock_settime, 100, &t));
    SHOW("settimeofday", syscall(SYS_settimeofday, &tv, NULL));
    SHOW("settimeofday bad usec", syscall(SYS_settimeofday, &badtv, NULL));
    SHOW("settimeofday null", syscall(SYS_settimeofday, NULL, NULL));
    SHOW("settimeofday bad tz", syscall(SYS_settimeofday, NULL, &tz));
    SHOW("settimeofday efault", syscall(SYS_settimeofday, (void *)16, NULL));
    return 0;
}
