/* System time (issue 21): time spent in system calls is charged to stime -- by getrusage and times() -- and
 * computing to utime.  Both natively and under pynix: a loop of cheap system calls accumulates system time,
 * a loop that only computes accumulates (next to) none, and page faults are the kernel's time too. */
#include <stdio.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/times.h>
#include <time.h>
#include <unistd.h>

static long long usec(struct timeval tv) { return tv.tv_sec * 1000000LL + tv.tv_usec; }

static void self_usage(long long *user, long long *sys)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    *user = usec(ru.ru_utime);
    *sys = usec(ru.ru_stime);
}

static double elapsed(struct timespec a)
{
    struct timespec b;
    clock_gettime(CLOCK_MONOTONIC, &b);
    return (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
}

int main(void)
{
    long long u0, s0, u1, s1, u2, s2;
    struct timespec start;
    self_usage(&u0, &s0);
    clock_gettime(CLOCK_MONOTONIC, &start);
    volatile unsigned long x = 1;
    /* Each phase runs until its own CPU time (not the wall clock: the host may be busy) has grown enough, or
     * 30 s have passed; "grew 1" says it did within that time. */
    do {                                         /* compute: the usage read only now and then */
        for (int i = 0; i < 200000; i++)
            x = x * 6364136223846793005UL + 1;
        self_usage(&u1, &s1);
    } while (u1 - u0 <= 150000 && elapsed(start) < 30);
    clock_gettime(CLOCK_MONOTONIC, &start);
    do {                                         /* system calls */
        for (int i = 0; i < 200; i++)
            syscall(SYS_getppid);
        self_usage(&u2, &s2);
    } while (s2 - s1 <= 30000 && elapsed(start) < 30);
    long long u3, s3;
    for (int round = 0; round < 8; round++) {    /* page faults: the kernel's time too */
        char *p = mmap(NULL, 32 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        for (long i = 0; i < 32 << 20; i += 4096)
            p[i] = 1;
        munmap(p, 32 << 20);
    }
    self_usage(&u3, &s3);
    printf("computing: user time grew %d, mostly user %d\n", u1 - u0 > 100000, (s1 - s0) * 4 < u1 - u0);
    printf("system calls: system time grew %d\n", s2 - s1 > 20000);
    printf("page faults: system time grew %d\n", s3 - s2 > 20000);
    struct tms t;
    times(&t);
    printf("times: stime > 0 %d, utime > 0 %d\n", t.tms_stime > 0, t.tms_utime > 0);
    return 0;
}
