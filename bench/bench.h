/* Shared helpers for the pynix guest benchmarks (bench/<name>.c).
 *
 * Every benchmark measures its own elapsed time with clock_gettime(CLOCK_MONOTONIC), so the start-up of an
 * emulator or interpreter is never counted, validates its own work, and prints one line per measurement:
 *
 *     RESULT <name> <value> <unit>        unit: us/op or MB/s (MB = 2^20 bytes, as in lmbench)
 *
 * Failures are machine-readable too (the runner, pynix/cli/bench.py, turns them into table footnotes):
 *
 *     ERROR <what> errno=<n> <strerror>   a system call failed                      -> exit 2
 *     FAIL <message>                      the work was done but the answer is wrong  -> exit 3
 *
 * A RESULT line is only printed after the numbers behind it were checked, so a program that fails later still
 * leaves its earlier results valid.
 */
#ifndef PYNIX_BENCH_H
#define PYNIX_BENCH_H

#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MIB (1024L * 1024L)

__attribute__((unused)) static void die(const char *what)
{
    int e = errno;
    fprintf(stderr, "ERROR %s errno=%d %s\n", what, e, strerror(e));
    fflush(stderr);
    exit(2);
}

__attribute__((unused)) static void fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("FAIL ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    fflush(stderr);
    exit(3);
}

__attribute__((unused)) static double now_us(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        die("clock_gettime");
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

__attribute__((unused)) static void result(const char *name, double value, const char *unit)
{
    printf("RESULT %s %.6g %s\n", name, value, unit);
    fflush(stdout);
}

/* Bandwidth in MB/s (2^20 bytes per MB) from a byte count and microseconds. */
__attribute__((unused)) static double mb_per_s(double bytes, double us)
{
    return us > 0 ? (bytes / (double)MIB) / (us / 1e6) : 0.0;
}

/* Positional integer argument `i` (argv[i]) or `def` when absent; a malformed or non-positive value is fatal. */
__attribute__((unused)) static long arg_long(int argc, char **argv, int i, long def)
{
    if (i >= argc)
        return def;
    char *end;
    long v = strtol(argv[i], &end, 0);
    if (*argv[i] == '\0' || *end != '\0' || v <= 0) {
        fprintf(stderr, "usage: %s: argument %d must be a positive integer, got '%s'\n", argv[0], i, argv[i]);
        exit(64);
    }
    return v;
}

/* The bandwidth benchmarks' streams (pipe_bw, tcp): fixed-size chunks, each stamped at both ends with its
 * index xor a per-benchmark magic, written whole and read back whole. */
__attribute__((unused)) static void stamp_chunk(unsigned char *buf, long size, uint64_t idx, uint64_t magic)
{
    uint64_t v = idx ^ magic;
    memcpy(buf, &v, 8);
    memcpy(buf + size - 8, &v, 8);
}

__attribute__((unused)) static void check_chunk_stamps(const unsigned char *buf, long size, long idx,
                                                       uint64_t magic)
{
    uint64_t want = (uint64_t)idx ^ magic, head, tail;
    memcpy(&head, buf, 8);
    memcpy(&tail, buf + size - 8, 8);
    if (head != want || tail != want)
        fail("chunk %ld carries the wrong stamps (%llx, %llx)", idx, (unsigned long long)head,
             (unsigned long long)tail);
}

__attribute__((unused)) static void write_chunk(int fd, const unsigned char *buf, long size)
{
    long put = 0;
    while (put < size) {
        ssize_t w = write(fd, buf + put, size - put);
        if (w <= 0)
            die("child write");
        put += w;
    }
}

/* Read exactly one chunk; returns 0 at the end of the stream (before any byte of a chunk). */
__attribute__((unused)) static int read_chunk(int fd, unsigned char *buf, long size)
{
    long got = 0;
    while (got < size) {
        ssize_t r = read(fd, buf + got, size - got);
        if (r < 0)
            die("read");
        if (r == 0) {
            if (got)
                fail("end of the stream in the middle of a chunk (%ld bytes of %ld)", got, size);
            return 0;
        }
        got += r;
    }
    return 1;
}
#endif
