/* cpu: compute-bound guest code -- CRC-32 (IEEE 802.3, as zlib; slicing-by-8) over 64 MiB of generated data.
 *
 * usage: cpu [MIB]                 (default 64)
 * RESULT cpu <MB/s> MB/s
 *
 * No system calls in the timed part: this measures how fast the CPU emulation runs ordinary code (table
 * look-ups, shifts, loads).  The data comes from xorshift64* with a fixed seed (generated before timing).  The
 * digest is checked twice: against a constant computed natively with Python's zlib.crc32 (for the default size;
 * see CRC_64MIB), and for any size by recomputing the CRC of (almost) the first MiB with a bitwise (table-free) algorithm.
 */
#include "bench.h"

/* zlib.crc32 of the 64 MiB produced by generate() -- computed by pynix.cli.bench.cpu_reference_crc(64). */
#define CRC_64MIB 0x3f382019u

static uint32_t table[8][256];

/* make_table, crc_table and generate are global and never inlined: `pynix bench`'s floor runner (pynix/cli/floor.py)
   calls them one by one on pynix's CPU without a kernel, to time the same machine code as the loop below. */
#define FLOOR_ENTRY __attribute__((noinline, used))

FLOOR_ENTRY void make_table(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        table[0][i] = c;
    }
    for (int t = 1; t < 8; t++)
        for (int i = 0; i < 256; i++)
            table[t][i] = (table[t - 1][i] >> 8) ^ table[0][table[t - 1][i] & 0xff];
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Slicing-by-8: eight independent table look-ups per 8 bytes (the usual fast portable CRC). */
FLOOR_ENTRY uint32_t crc_table(const unsigned char *p, long n)
{
    uint32_t c = 0xFFFFFFFFu;
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        uint32_t lo = c ^ le32(p + i), hi = le32(p + i + 4);
        c = table[7][lo & 0xff] ^ table[6][(lo >> 8) & 0xff] ^ table[5][(lo >> 16) & 0xff] ^ table[4][lo >> 24] ^
            table[3][hi & 0xff] ^ table[2][(hi >> 8) & 0xff] ^ table[1][(hi >> 16) & 0xff] ^ table[0][hi >> 24];
    }
    for (; i < n; i++)
        c = table[0][(c ^ p[i]) & 0xff] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

static uint32_t crc_bitwise(const unsigned char *p, long n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (long i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1)));
    }
    return c ^ 0xFFFFFFFFu;
}

FLOOR_ENTRY void generate(unsigned char *p, long n)
{
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (long i = 0; i < n; i += 8) {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        uint64_t v = x * 0x2545F4914F6CDD1Dull;
        for (int k = 0; k < 8; k++)
            p[i + k] = (unsigned char)(v >> (8 * k)); /* little-endian on every host */
    }
}

int main(int argc, char **argv)
{
    long mib = arg_long(argc, argv, 1, 64);
    long n = mib * MIB;
    unsigned char *data = malloc(n);
    if (!data)
        die("malloc");
    generate(data, n);
    make_table();

    double t0 = now_us();
    uint32_t crc = crc_table(data, n);
    double t1 = now_us();

    /* The first MiB less 3 bytes (so the byte-at-a-time tail runs too), both ways. */
    uint32_t head = crc_table(data, MIB - 3), head_ref = crc_bitwise(data, MIB - 3);
    printf("INFO crc32=%08x size=%ldMiB\n", crc, mib);
    if (head != head_ref)
        fail("table CRC of the first MiB is %08x, the bitwise CRC says %08x", head, head_ref);
    if (mib == 64 && crc != CRC_64MIB)
        fail("CRC-32 of 64 MiB is %08x, expected %08x", crc, CRC_64MIB);
    result("cpu", mb_per_s((double)n, t1 - t0), "MB/s");
    return 0;
}
