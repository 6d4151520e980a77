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
#define MAGIC 0x5049504542574242ULL    /* the chunks' stamps: index xor this */

static void fill_pattern(unsigned char *buf)
{
    for (long i = 0; i < CHUNK; i++)
        buf[i] = (unsigned char)(i * 31 + 7);
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
            stamp_chunk(buf, CHUNK, (uint64_t)c, MAGIC);
            write_chunk(p[1], buf, CHUNK);
        }
        _exit(0);
    }
    close(p[1]);

    double t0 = 0;
    long c = 0;
    while (read_chunk(p[0], buf, CHUNK)) {
        if (c == 0)
            t0 = now_us();
        check_chunk_stamps(buf, CHUNK, c, MAGIC);
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
