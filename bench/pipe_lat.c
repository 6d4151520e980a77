/* pipe_lat: pipe latency (lmbench lat_pipe).
 *
 * usage: pipe_lat [ROUND_TRIPS]    (default 5000)
 * RESULT pipe_self <us per 1-byte write+read> us/op   one process, one pipe: the pipe path without any switch
 * RESULT pipe_lat <us per round trip> us/op           two processes, two pipes, one byte there and back
 *
 * Unlike ctxsw the processes are not pinned, so on a multi-CPU machine a round trip may be two cross-CPU
 * wake-ups.  Every byte is checked (the peer answers b with b+1).
 */
#include "bench.h"
#include <sys/wait.h>

static void round_trip(int wfd, int rfd, long i)
{
    unsigned char b = (unsigned char)i, r;
    if (write(wfd, &b, 1) != 1)
        die("write");
    ssize_t got = read(rfd, &r, 1);
    if (got != 1) {
        if (got == 0)
            fail("peer closed the pipe at round trip %ld", i);
        die("read");
    }
    if (r != (unsigned char)(b + 1))
        fail("round trip %ld: sent %u, got %u back (expected %u)", i, b, r, (unsigned char)(b + 1));
}

int main(int argc, char **argv)
{
    long n = arg_long(argc, argv, 1, 5000);

    /* 1. Same process: write one byte, read it back. */
    int self[2];
    if (pipe(self))
        die("pipe");
    long self_n = 4 * n;
    double t0 = 0;
    for (long i = -200; i < self_n; i++) {
        if (i == 0)
            t0 = now_us();
        unsigned char b = (unsigned char)(i * 7), r = 0;
        if (write(self[1], &b, 1) != 1)
            die("write");
        if (read(self[0], &r, 1) != 1)
            die("read");
        if (r != b)
            fail("pipe returned %u after %u was written", r, b);
    }
    double t1 = now_us();
    close(self[0]);
    close(self[1]);
    result("pipe_self", (t1 - t0) / self_n, "us/op");

    /* 2. Two processes. */
    int p2c[2], c2p[2];
    if (pipe(p2c) || pipe(c2p))
        die("pipe");
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        close(p2c[1]);
        close(c2p[0]);
        unsigned char b;
        for (;;) {
            ssize_t r = read(p2c[0], &b, 1);
            if (r == 0)
                _exit(0);
            if (r != 1)
                die("child read");
            b = (unsigned char)(b + 1);
            if (write(c2p[1], &b, 1) != 1)
                die("child write");
        }
    }
    close(p2c[0]);
    close(c2p[1]);
    for (long i = 0; i < 200; i++)
        round_trip(p2c[1], c2p[0], i);
    t0 = now_us();
    for (long i = 0; i < n; i++)
        round_trip(p2c[1], c2p[0], i);
    t1 = now_us();
    close(p2c[1]);
    int st;
    if (waitpid(pid, &st, 0) != pid)
        die("waitpid");
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        fail("child ended with status 0x%x", st);
    result("pipe_lat", (t1 - t0) / n, "us/op");
    return 0;
}
