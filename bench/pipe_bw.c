/* pipe_bw: pipe bandwidth (lmbench bw_pipe) -- a child writes 64 KiB chunks, the parent reads them.
 *
 * usage: pipe_bw [MIB]             (default 64: 1024 chunks)
 * RESULT pipe_bw <MB/s> MB/s
 *
 * Timing runs on the reading side from the arrival of the first chunk (so fork and child start-up are not
 * counted) to the last.  Each chunk carries its index in its first and last 8 bytes and both are checked; the
 * first and last chunks are compared byte for byte with the pattern, and the byte count must be exact.
 */
#include "bench.h"
#include <sys/wait.h>

#define CHUNK (64 * 1024)

static void fill_pattern(unsigned char *buf)
{
    for (long i = 0; i < CHUNK; i++)
        buf[i] = (unsigned char)(i * 31 + 7);
}

static void stamp(unsigned char *buf, uint64_t idx)
{
    uint64_t v = idx ^ 0x5049504542574242ULL;
    memcpy(buf, &v, 8);
    memcpy(buf + CHUNK - 8, &v, 8);
}

/* Read exactly one chunk; returns 0 at end of file (before any byte of a chunk). */
static int read_chunk(int fd, unsigned char *buf)
{
    long got = 0;
    while (got < CHUNK) {
        ssize_t r = read(fd, buf + got, CHUNK - got);
        if (r < 0)
            die("read");
        if (r == 0) {
            if (got)
                fail("end of file in the middle of a chunk (%ld bytes of %d)", got, CHUNK);
            return 0;
        }
        got += r;
    }
    return 1;
}

int main(int argc, char **argv)
{
    long mib = arg_long(argc, argv, 1, 64);
    long chunks = mib * MIB / CHUNK;
    if (chunks < 2)
        fail("need at least 2 chunks");
    unsigned char *buf = malloc(CHUNK), *ref = malloc(CHUNK);
    if (!buf || !ref)
        die("malloc");
    fill_pattern(ref);

    int p[2];
    if (pipe(p))
        die("pipe");
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        close(p[0]);
        memcpy(buf, ref, CHUNK);
        for (long c = 0; c < chunks; c++) {
            stamp(buf, (uint64_t)c);
            long put = 0;
            while (put < CHUNK) {
                ssize_t w = write(p[1], buf + put, CHUNK - put);
                if (w <= 0)
                    die("child write");
                put += w;
            }
        }
        _exit(0);
    }
    close(p[1]);

    double t0 = 0;
    long c = 0;
    while (read_chunk(p[0], buf)) {
        if (c == 0)
            t0 = now_us();
        uint64_t want = (uint64_t)c ^ 0x5049504542574242ULL, head, tail;
        memcpy(&head, buf, 8);
        memcpy(&tail, buf + CHUNK - 8, 8);
        if (head != want || tail != want)
            fail("chunk %ld carries the wrong stamps (%llx, %llx)", c, (unsigned long long)head,
                 (unsigned long long)tail);
        if ((c == 0 || c == chunks - 1) && memcmp(buf + 8, ref + 8, CHUNK - 16) != 0)
            fail("chunk %ld has wrong contents", c);
        c++;
    }
    double t1 = now_us();
    if (c != chunks)
        fail("received %ld chunks, expected %ld", c, chunks);
    int st;
    if (waitpid(pid, &st, 0) != pid)
        die("waitpid");
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        fail("writer ended with status 0x%x", st);
    result("pipe_bw", mb_per_s((double)(chunks - 1) * CHUNK, t1 - t0), "MB/s");
    return 0;
}
