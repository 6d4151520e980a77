/* ctxsw: context switch latency -- two processes ping-pong one byte over two pipes (lmbench lat_ctx, size 0).
 *
 * usage: ctxsw [ROUND_TRIPS]       (default 5000)
 * RESULT ctxsw <us per switch> us/op
 *
 * Both processes are pinned to one CPU (when sched_setaffinity works; failure is ignored, a single-CPU kernel
 * needs no pinning) so every hand-over is a real switch rather than a cross-CPU wake-up.  One round trip is two
 * switches; the figure per switch includes one 1-byte write and one 1-byte read.  The child answers each byte b
 * with b+1, and the parent checks every answer.
 */
#include "bench.h"
#include <sched.h>
#include <sys/wait.h>

static void child(int rfd, int wfd)
{
    unsigned char b;
    for (;;) {
        ssize_t r = read(rfd, &b, 1);
        if (r == 0)
            _exit(0);
        if (r != 1)
            die("child read");
        b = (unsigned char)(b + 1);
        if (write(wfd, &b, 1) != 1)
            die("child write");
    }
}

static void round_trip(int wfd, int rfd, long i)
{
    unsigned char b = (unsigned char)i, r;
    if (write(wfd, &b, 1) != 1)
        die("write");
    ssize_t got = read(rfd, &r, 1);
    if (got != 1) {
        if (got == 0)
            fail("child closed the pipe at round trip %ld", i);
        die("read");
    }
    if (r != (unsigned char)(b + 1))
        fail("round trip %ld: sent %u, got %u back (expected %u)", i, b, r, (unsigned char)(b + 1));
}

int main(int argc, char **argv)
{
    long n = arg_long(argc, argv, 1, 5000);

    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(0, &set);
    (void)sched_setaffinity(0, sizeof set, &set); /* inherited by the child; best effort */

    int p2c[2], c2p[2];
    if (pipe(p2c) || pipe(c2p))
        die("pipe");
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        close(p2c[1]);
        close(c2p[0]);
        child(p2c[0], c2p[1]);
    }
    close(p2c[0]);
    close(c2p[1]);

    for (long i = 0; i < 200; i++) /* warm-up: the child is running and both loops are translated */
        round_trip(p2c[1], c2p[0], i);
    double t0 = now_us();
    for (long i = 0; i < n; i++)
        round_trip(p2c[1], c2p[0], i);
    double t1 = now_us();

    close(p2c[1]);
    int st;
    if (waitpid(pid, &st, 0) != pid)
        die("waitpid");
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        fail("child ended with status 0x%x", st);
    result("ctxsw", (t1 - t0) / (2.0 * n), "us/op");
    return 0;
}
