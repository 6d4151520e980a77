/* exec: program execution -- fork + execve of this same program + waitpid (lmbench lat_proc exec).
 *
 * usage: exec [ITERATIONS]         (default 100)
 *        exec --child CODE         (what the benchmark runs: exit with status CODE at once)
 * RESULT exec <us per fork+execve+exit+wait> us/op
 *
 * argv[0] must be a path to this program (the runner passes an absolute one).  Child i exits with status
 * i % 100 + 1, which the parent checks; a child whose execve failed exits 127 after printing an ERROR line.
 */
#include "bench.h"
#include <sys/wait.h>

static void one(const char *self, long i)
{
    char code[16];
    snprintf(code, sizeof code, "%ld", i % 100 + 1);
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        char *args[] = {(char *)self, "--child", code, NULL};
        char *envp[] = {NULL};
        execve(self, args, envp);
        fprintf(stderr, "ERROR execve errno=%d %s\n", errno, strerror(errno));
        _exit(127);
    }
    int st;
    if (waitpid(pid, &st, 0) != pid)
        die("waitpid");
    if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
        fail("the child could not execute %s (exit 127)", self);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != i % 100 + 1)
        fail("child %ld ended with status 0x%x, expected exit %ld", i, st, i % 100 + 1);
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--child") == 0)
        return atoi(argv[2]);
    long n = arg_long(argc, argv, 1, 100);
    const char *self = argv[0];
    if (!strchr(self, '/'))
        fail("argv[0] (%s) is not a path; run this program by its path", self);

    for (long i = 0; i < 3; i++)
        one(self, i);
    double t0 = now_us();
    for (long i = 0; i < n; i++)
        one(self, i);
    double t1 = now_us();
    result("exec", (t1 - t0) / n, "us/op");
    return 0;
}
