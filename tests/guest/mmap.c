/* mmap: anonymous mmap/munmap/mprotect: errno values and data persistence (no signals involved). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "errname.h"

static int failures = 0;

/* Error cases go through the raw syscalls: musl's wrappers round or pre-check some arguments themselves. */
static int raw_mmap_fails(void *addr, size_t len, int prot, int flags, int fd)
{
    return syscall(SYS_mmap, addr, len, prot, flags, fd, 0) == -1;
}

static int raw_munmap_fails(void *addr, size_t len)
{
    return syscall(SYS_munmap, addr, len) == -1;
}

static int raw_mprotect_fails(void *addr, size_t len, int prot)
{
    return syscall(SYS_mprotect, addr, len, prot) == -1;
}

static void check(int ok, const char *what)
{
    printf("%s %s\n", ok ? "OK" : "FAIL", what);
    failures += !ok;
}

static void expect_errno(int failed, int expected, const char *what)
{
    int e = errno;
    printf("%s %s: %s (expected %s)\n", failed && e == expected ? "OK" : "FAIL", what, failed ? errname(e) : "succeeded",
           errname(expected));
    failures += !(failed && e == expected);
}

int main(void)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    printf("page size %zu\n", page);
    size_t len = 16 * (size_t)page;

    unsigned char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    check(p != MAP_FAILED, "mmap 16 pages anonymous");
    if (p == MAP_FAILED)
        return 1;
    check(((uintptr_t)p & (page - 1)) == 0, "mmap result is page aligned");
    int zero = 1;
    for (size_t i = 0; i < len; i++)
        zero &= p[i] == 0;
    check(zero, "anonymous memory is zero filled");
    for (size_t i = 0; i < len; i++)
        p[i] = (unsigned char)(i * 13 + 7);
    int same = 1;
    for (size_t i = 0; i < len; i++)
        same &= p[i] == (unsigned char)(i * 13 + 7);
    check(same, "written data reads back");

    errno = 0;
    expect_errno(raw_munmap_fails(p + 1, page), EINVAL, "munmap of an unaligned address");
    errno = 0;
    expect_errno(raw_munmap_fails(p, 0), EINVAL, "munmap of length 0");
    errno = 0;
    expect_errno(raw_mmap_fails(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1), EINVAL, "mmap length 0");
    errno = 0;
    expect_errno(raw_mmap_fails(NULL, page, PROT_READ, MAP_ANONYMOUS, -1), EINVAL,
                 "mmap without MAP_PRIVATE or MAP_SHARED");
    errno = 0;
    expect_errno(raw_mmap_fails(p + 1, page, PROT_READ, MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS, -1), EINVAL,
                 "mmap MAP_FIXED at an unaligned address");
    errno = 0;
    expect_errno(raw_mmap_fails(NULL, page, PROT_READ, MAP_PRIVATE, 12345), EBADF, "mmap of a bad fd");
    errno = 0;
    expect_errno(raw_mmap_fails(NULL, (size_t)1 << 47, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1),
                 ENOMEM, "mmap of 128 TiB");
    errno = 0;
    expect_errno(raw_mmap_fails(NULL, (size_t)-page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1), ENOMEM,
                 "mmap of (size_t)-pagesize bytes");
    errno = 0;
    expect_errno(raw_mprotect_fails(p + 1, page, PROT_READ), EINVAL, "mprotect of an unaligned address");
    errno = 0;
    expect_errno(raw_mprotect_fails(p, page, 0x1000), EINVAL, "mprotect with an unknown PROT bit");

    check(mprotect(p, len, PROT_READ) == 0, "mprotect(PROT_READ)");
    same = 1;
    for (size_t i = 0; i < len; i++)
        same &= p[i] == (unsigned char)(i * 13 + 7);
    check(same, "data survives mprotect(PROT_READ)");
    check(mprotect(p + 2 * page, 2 * page, PROT_READ | PROT_WRITE) == 0, "mprotect part back to read-write");
    p[2 * page] = 0xaa;
    p[4 * page - 1] = 0x55;
    check(p[2 * page] == 0xaa && p[4 * page - 1] == 0x55, "write after mprotect(PROT_READ|PROT_WRITE)");
    check(mprotect(p, len, PROT_READ | PROT_WRITE) == 0, "mprotect whole range read-write");

    /* punch a hole: the pages on both sides keep their contents */
    check(munmap(p + 5 * page, 3 * page) == 0, "munmap 3 pages in the middle");
    same = 1;
    for (size_t i = 0; i < 5 * page; i++)
        if (i != 2 * page && i != 4 * page - 1)
            same &= p[i] == (unsigned char)(i * 13 + 7);
    for (size_t i = 8 * page; i < len; i++)
        same &= p[i] == (unsigned char)(i * 13 + 7);
    check(same, "pages around the hole keep their data");
    errno = 0;
    expect_errno(raw_mprotect_fails(p + 5 * page, page, PROT_READ), ENOMEM, "mprotect of the hole");
    check(munmap(p + 5 * page, 3 * page) == 0, "munmap of an already unmapped range succeeds");

    /* refill the hole with MAP_FIXED: it must come back zeroed at exactly that address */
    unsigned char *q = mmap(p + 5 * page, 3 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS,
                            -1, 0);
    check(q == p + 5 * page, "MAP_FIXED returns the requested address");
    zero = 1;
    for (size_t i = 0; q != MAP_FAILED && i < 3 * page; i++)
        zero &= q[i] == 0;
    check(zero, "MAP_FIXED pages are fresh zero pages");
    /* MAP_FIXED over existing data replaces it */
    unsigned char *r = mmap(p, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS, -1, 0);
    check(r == p && p[0] == 0 && p[page - 1] == 0, "MAP_FIXED over a mapped page replaces its contents");
    check(p[page] == (unsigned char)(page * 13 + 7), "the next page is untouched");

    /* a hint that is free is honoured or at least yields a valid mapping */
    unsigned char *h = mmap(NULL, 3 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    check(h != MAP_FAILED && (h + 3 * page <= p || h >= p + len), "a second mapping does not overlap the first");
    check(munmap(h, 3 * page) == 0, "munmap second mapping");
    check(munmap(p, len) == 0, "munmap whole first mapping");

    /* a big mapping that is only partly touched (demand paging): 256 MiB, one byte per MiB */
    size_t big = (size_t)256 << 20;
    unsigned char *g = mmap(NULL, big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    check(g != MAP_FAILED, "mmap 256 MiB");
    if (g != MAP_FAILED) {
        unsigned sum = 0;
        for (size_t off = 0; off < big; off += 1 << 20)
            g[off] = (unsigned char)(off >> 20);
        for (size_t off = 0; off < big; off += 1 << 20)
            sum += g[off];
        printf("%s sparse 256 MiB mapping: checksum %u\n", sum == 255 * 128 ? "OK" : "FAIL", sum);
        failures += sum != 255 * 128;
        check(munmap(g, big) == 0, "munmap 256 MiB");
    }
    printf("%s\n", failures ? "SOME CHECKS FAILED" : "ALL OK");
    return failures != 0;
}
