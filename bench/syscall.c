/* syscall: null system call latency -- getpid() in a loop (lmbench lat_syscall null).
 *
 * usage: syscall [ITERATIONS]      (default 200000)
 * RESULT syscall <us per getpid> us/op
 *
 * syscall(SYS_getpid) goes to the kernel every time (no libc caching).  Each return value is checked against
 * the pid, so a kernel that answers without doing the work is caught.
 */
#include "bench.h"
#include <sys/syscall.h>

int main(int argc, char **argv)
{
    long n = arg_long(argc, argv, 1, 200000);
    long pid = syscall(SYS_getpid);
    if (pid <= 0)
        die("getpid");
    if (pid != (long)getpid())
        fail("syscall(SYS_getpid)=%ld but getpid()=%ld", pid, (long)getpid());

    long bad = 0;
    for (long i = 0; i < 1000; i++) /* warm-up: translate the loop, fill the TLB */
        bad += syscall(SYS_getpid) != pid;

    double t0 = now_us();
    for (long i = 0; i < n; i++)
        bad += syscall(SYS_getpid) != pid;
    double t1 = now_us();

    if (bad)
        fail("getpid returned a wrong pid %ld times", bad);
    if (t1 <= t0)
        fail("clock did not advance over %ld getpid calls", n);
    result("syscall", (t1 - t0) / n, "us/op");
    return 0;
}
