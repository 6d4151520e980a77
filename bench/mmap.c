/* mmap: mapping set-up and teardown -- mmap + touch + munmap of 1 MiB anonymous memory (lmbench lat_mmap).
 *
 * usage: mmap [ITERATIONS]         (default 10000)
 * RESULT mmap <us per mmap+munmap> us/op
 *
 * Each iteration maps 1 MiB, checks that its first and last pages read zero, writes one byte in each of them
 * (two demand-zero faults, so the unmap has real pages to free), and unmaps it.  The address is usually reused by
 * the next iteration, so a kernel that fails to discard the old pages is caught by the zero check.
 */
#include "bench.h"
#include <sys/mman.h>

static void one(long i)
{
    unsigned char *p = mmap(NULL, MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        die("mmap");
    if (((uintptr_t)p & 4095) != 0)
        fail("mmap returned an unaligned address %p", (void *)p);
    if (p[0] != 0 || p[MIB - 1] != 0)
        fail("iteration %ld: a fresh mapping at %p is not zero", i, (void *)p);
    p[0] = 1;
    p[MIB - 1] = 1;
    if (munmap(p, MIB))
        die("munmap");
}

int main(int argc, char **argv)
{
    long n = arg_long(argc, argv, 1, 10000);
    for (long i = 0; i < 100; i++)
        one(i);
    double t0 = now_us();
    for (long i = 0; i < n; i++)
        one(i);
    double t1 = now_us();
    result("mmap", (t1 - t0) / n, "us/op");
    return 0;
}
