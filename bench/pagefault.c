/* pagefault: demand-zero page fault cost -- touch each page of a fresh anonymous mapping
 * (lmbench lat_pagefault measures file pages; this one measures the anonymous demand-zero path).
 *
 * usage: pagefault [MIB]           (default 64: 16384 pages of 4 KiB)
 * RESULT pagefault <us per page> us/op
 *
 * One byte is written in every page (at a different offset each time); transparent huge pages are turned off
 * for the mapping when the kernel allows it (madvise failure is ignored), so each page is one fault.  Afterwards
 * every page must hold the byte written and zeros around it.
 */
#include "bench.h"
#include <sys/mman.h>

int main(int argc, char **argv)
{
    long mib = arg_long(argc, argv, 1, 64);
    long page = sysconf(_SC_PAGESIZE);
    if (page <= 0)
        page = 4096;
    long len = mib * MIB, pages = len / page;
    unsigned char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        die("mmap");
#ifdef MADV_NOHUGEPAGE
    (void)madvise(p, len, MADV_NOHUGEPAGE);
#endif

    double t0 = now_us();
    for (long i = 0; i < pages; i++)
        p[i * page + (i * 64) % page] = (unsigned char)(i | 1);
    double t1 = now_us();

    for (long i = 0; i < pages; i++) {
        long off = (i * 64) % page;
        unsigned char *pg = p + i * page;
        if (pg[off] != (unsigned char)(i | 1))
            fail("page %ld lost its byte", i);
        if (pg[(off + page / 2) % page] != 0 || pg[(off + 1) % page] != 0)
            fail("page %ld was not zero-filled", i);
    }
    if (munmap(p, len))
        die("munmap");
    result("pagefault", (t1 - t0) / pages, "us/op");
    return 0;
}
