/* file_read: file read bandwidth from the page cache (lmbench bw_file_rd io_only).
 *
 * usage: file_read [MIB]           (default 64)
 * RESULT file_read_1m <MB/s> MB/s     read() of 1 MiB at a time
 * RESULT file_read_4k <MB/s> MB/s     read() of 4 KiB at a time
 *
 * The program writes the file itself (/tmp/pynix-bench-file_read.<pid>, removed at the end), so it is in the
 * page cache when read.  Every 4 KiB block starts with its own index; each block's index is checked on every
 * pass, the first block of every MiB is compared in full, and the byte count must be exact.
 */
#include "bench.h"
#include <fcntl.h>

#define BLOCK 4096
#define MAGIC 0x46494c4552454144ULL

static void make_block(unsigned char *b, uint64_t idx)
{
    for (int i = 8; i < BLOCK; i++)
        b[i] = (unsigned char)(i * 13 + 5);
    uint64_t v = idx ^ MAGIC;
    memcpy(b, &v, 8);
}

static void check(const unsigned char *buf, long len, long first_block, const unsigned char *ref)
{
    for (long off = 0; off < len; off += BLOCK) {
        uint64_t v;
        memcpy(&v, buf + off, 8);
        uint64_t idx = (uint64_t)(first_block + off / BLOCK);
        if (v != (idx ^ MAGIC))
            fail("block %llu holds the stamp of block %llu", (unsigned long long)idx,
                 (unsigned long long)(v ^ MAGIC));
        if (idx % (MIB / BLOCK) == 0 && memcmp(buf + off + 8, ref + 8, BLOCK - 8) != 0)
            fail("block %llu has wrong contents", (unsigned long long)idx);
    }
}

static char path[64];

static void remove_file(void)
{
    if (path[0])
        unlink(path);
}

static double read_pass(int fd, unsigned char *buf, long size, long io, const unsigned char *ref)
{
    if (lseek(fd, 0, SEEK_SET) != 0)
        die("lseek");
    long total = 0;
    double t0 = now_us();
    for (;;) {
        ssize_t r = read(fd, buf, io);
        if (r < 0)
            die("read");
        if (r == 0)
            break;
        if (r != io || total % io)
            fail("short read: %ld bytes at offset %ld (asked %ld)", (long)r, total, io);
        check(buf, r, total / BLOCK, ref);
        total += r;
    }
    double t1 = now_us();
    if (total != size)
        fail("read %ld bytes, the file has %ld", total, size);
    return mb_per_s((double)size, t1 - t0);
}

int main(int argc, char **argv)
{
    long mib = arg_long(argc, argv, 1, 64);
    long size = mib * MIB;
    unsigned char *buf = malloc(MIB), ref[BLOCK];
    if (!buf)
        die("malloc");
    make_block(ref, 0);

    snprintf(path, sizeof path, "/tmp/pynix-bench-file_read.%ld", (long)getpid());
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        die("open /tmp file");
    atexit(remove_file); /* also on die() and fail() */
    for (long off = 0; off < size; off += MIB) {
        for (long b = 0; b < MIB / BLOCK; b++)
            make_block(buf + b * BLOCK, (uint64_t)((off + b * BLOCK) / BLOCK));
        if (write(fd, buf, MIB) != MIB)
            die("write");
    }

    (void)read_pass(fd, buf, size, MIB, ref); /* warm-up pass */
    double big = read_pass(fd, buf, size, MIB, ref);
    double small = read_pass(fd, buf, size, BLOCK, ref);
    close(fd);
    if (unlink(path))
        die("unlink");
    path[0] = 0;
    result("file_read_1m", big, "MB/s");
    result("file_read_4k", small, "MB/s");
    return 0;
}
