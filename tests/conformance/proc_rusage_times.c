/* CPU accounting: getrusage (self, children, thread) grows with work and counts children only after they
 * are waited for; times() ticks; clock(); invalid who. */
#include "conf.h"
#include <sys/resource.h>
#include <sys/times.h>
#include <time.h>

static double tv(struct timeval t) { return t.tv_sec + t.tv_usec / 1e6; }

static double cpu(void)
{
    struct rusage r;
    getrusage(RUSAGE_SELF, &r);
    return tv(r.ru_utime) + tv(r.ru_stime);
}

/* Use `seconds` of CPU time (as getrusage sees it), giving up after 3 s of wall time: a loaded machine
 * must not make the test fail, a getrusage that never grows must not hang it. */
static void burn(double seconds)
{
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    double start = cpu();
    volatile unsigned long x = 0;
    do {
        for (int i = 0; i < 100000; i++) x += i;
        clock_gettime(CLOCK_MONOTONIC, &b);
    } while (cpu() - start < seconds && (b.tv_sec - a.tv_sec) < 3);
}

int main(void)
{
    struct rusage r0, r1, c0, c1, th;
    SHOW("getrusage SELF", getrusage(RUSAGE_SELF, &r0));
    SHOW("getrusage CHILDREN", getrusage(RUSAGE_CHILDREN, &c0));
    printf("children time zero at first: %d\n", tv(c0.ru_utime) + tv(c0.ru_stime) == 0);
    burn(0.15);
    getrusage(RUSAGE_SELF, &r1);
    double used = tv(r1.ru_utime) + tv(r1.ru_stime) - tv(r0.ru_utime) - tv(r0.ru_stime);
    printf("own cpu time grew by >= 0.1 s: %d, usec fields in range: %d\n", used >= 0.1,
           r1.ru_utime.tv_usec >= 0 && r1.ru_utime.tv_usec < 1000000);
    SHOW("getrusage THREAD", getrusage(RUSAGE_THREAD, &th));
    printf("thread time <= process time: %d\n", tv(th.ru_utime) + tv(th.ru_stime) <= tv(r1.ru_utime) + tv(r1.ru_stime) + 0.01);
    SHOW("getrusage invalid who", getrusage(42, &r0));
    SHOW("getrusage bad pointer", syscall(SYS_getrusage, RUSAGE_SELF, (void *)16));

    pid_t pid = xfork();
    if (pid == 0) { burn(0.15); _exit(0); }
    usleep(10000);
    getrusage(RUSAGE_CHILDREN, &c1);
    printf("running child not counted yet: %d\n", tv(c1.ru_utime) + tv(c1.ru_stime) == 0);
    int st;
    struct rusage w;
    wait4(pid, &st, 0, &w);
    getrusage(RUSAGE_CHILDREN, &c1);
    printf("after wait: children time >= 0.1 s: %d, wait4 rusage >= 0.1 s: %d\n",
           tv(c1.ru_utime) + tv(c1.ru_stime) >= 0.1, tv(w.ru_utime) + tv(w.ru_stime) >= 0.1);

    struct tms t;
    clock_t ticks = times(&t);
    printf("times: returned %s, user ticks > 0: %d, children user+sys ticks > 0: %d\n",
           ticks == (clock_t)-1 ? errname(errno) : "ok", t.tms_utime + t.tms_stime > 0, t.tms_cutime + t.tms_cstime > 0);
    printf("clock() > 0: %d\n", clock() > 0);
    return 0;
}
