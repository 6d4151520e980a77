/* Vector registers across signal handlers (issue 21): a fork + SIGKILL stress whose parent killed the slow
 * children from a SIGALRM timer died of SIGSEGV in its own memory, because returning from a handler restored
 * only the low 64 bits of each 128-bit xmm register, so vectorised code (glibc's string functions, loops gcc
 * vectorises) went on with corrupted values.  Here a 1 ms timer interrupts vector arithmetic thousands of
 * times, and the result must equal the same arithmetic done with no signals. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

typedef unsigned long long v2 __attribute__((vector_size(16)));
static volatile int alarms;
static void on_alarm(int sig) { (void)sig; alarms++; }

static v2 work(long n)
{
    v2 acc = {1, 2}, inc = {0x100000001ULL, 0x300000003ULL}, mul = {3, 5};
    for (long i = 0; i < n; i++)
        acc = acc * mul + inc;                   /* kept in one xmm register on x86_64 */
    return acc;
}

int main(void)
{
    const long n = 30000000;
    v2 quiet = work(n);
    struct sigaction sa = {0};
    sa.sa_handler = on_alarm;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = {{0, 1000}, {0, 1000}};
    setitimer(ITIMER_REAL, &it, NULL);
    v2 loud = work(n);
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    printf("interrupted by signals %d, same result %d\n", alarms > 0, memcmp(&quiet, &loud, sizeof quiet) == 0);
    return 0;
}
