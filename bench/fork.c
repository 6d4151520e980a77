/* fork: process creation and teardown -- fork + child _exit + waitpid (lmbench lat_proc fork).
 *
 * usage: fork [ITERATIONS]         (default 300)
 * RESULT fork <us per fork+exit+wait> us/op
 *
 * A small static program, as in lmbench: the cost is mostly the kernel's process bookkeeping and address-space
 * copy.  Child i exits with status i & 0x7f at once; the parent checks every status.
 */
#include "bench.h"
#include <sys/wait.h>

static void one(long i)
{
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0)
        _exit((int)(i & 0x7f));
    int st;
    if (waitpid(pid, &st, 0) != pid)
        die("waitpid");
    if (!WIFEXITED(st) || WEXITSTATUS(st) != (i & 0x7f))
        fail("child %ld ended with status 0x%x, expected exit %ld", i, st, i & 0x7f);
}

int main(int argc, char **argv)
{
    long n = arg_long(argc, argv, 1, 300);
    for (long i = 0; i < 10; i++)
        one(i);
    double t0 = now_us();
    for (long i = 0; i < n; i++)
        one(i);
    double t1 = now_us();
    result("fork", (t1 - t0) / n, "us/op");
    return 0;
}
