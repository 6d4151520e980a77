/* mremap: grow in place, move, shrink, MREMAP_FIXED, MREMAP_DONTUNMAP, a shared file mapping growing over more of
   its file, and the errno rules; mincore and msync argument rules; madvise(MADV_DONTNEED) on anonymous memory.
   Addresses are never printed: only whether a mapping moved and what it holds. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "errname.h"

#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif

static long page;

static void fill(char *p, size_t n, int seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (char)(i * 7 + seed);
}

static int same(const char *p, size_t n, int seed)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != (char)(i * 7 + seed))
            return 0;
    return 1;
}

static int zero(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

/* The raw syscall: musl's and glibc's wrappers check some arguments themselves. */
static void *raw_mremap(void *old, size_t old_size, size_t new_size, long flags, void *new_addr)
{
    return (void *)syscall(SYS_mremap, old, old_size, new_size, flags, new_addr);
}

static void expect(void *r, int err, const char *what)
{
    int failed = r == MAP_FAILED;
    printf("%s %s: %s\n", failed && errno == err ? "OK" : "FAIL", what, failed ? errname(errno) : "succeeded");
}

static void expect_rc(int rc, int err, const char *what)
{
    printf("%s %s: %s\n", rc == -1 && errno == err ? "OK" : "FAIL", what, rc == -1 ? errname(errno) : "succeeded");
}

static void mincore_of(const char *what, void *p, size_t pages)
{
    unsigned char vec[16];
    if (mincore(p, pages * page, vec)) {
        printf("mincore %s: %s\n", what, errname(errno));
        return;
    }
    printf("mincore %s:", what);
    for (size_t i = 0; i < pages; i++)
        printf(" %d", vec[i] & 1);
    printf("\n");
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    page = sysconf(_SC_PAGESIZE);
    /* A reserved PROT_NONE window keeps the layout ours (nothing else is placed inside it): [a: 4 pages]
       [hole: 4 pages][reserved...]; holes are punched where a test needs unmapped memory. */
    char *window = mmap(NULL, 32 * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *a = mmap(window, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    munmap(window + 4 * page, 4 * page);
    char *hole = window + 20 * page;
    munmap(hole, page);
    fill(a, 4 * page, 1);

    char *r = mremap(a, 4 * page, 8 * page, 0);
    printf("grow in place into free pages: %s, moved=%d, kept=%d, new part zero=%d\n", r == MAP_FAILED ? "failed" : "ok",
           r != a, same(r, 4 * page, 1), zero(r + 4 * page, 4 * page));
    expect(raw_mremap(a, 8 * page, 9 * page, 0, NULL), ENOMEM, "grow over a mapping without MREMAP_MAYMOVE");
    r = mremap(a, 8 * page, 12 * page, MREMAP_MAYMOVE);
    printf("grow with MREMAP_MAYMOVE: moved=%d kept=%d\n", r != a, same(r, 4 * page, 1));
    unsigned char vec[2];
    printf("old range unmapped: %s\n", mincore(a, page, vec) == -1 ? errname(errno) : "still mapped");
    a = r;
    r = mremap(a, 12 * page, 2 * page, 0);
    printf("shrink: same address=%d kept=%d\n", r == a, same(r, 2 * page, 1));
    printf("shrunk tail unmapped: %s\n", mincore(a + 2 * page, page, vec) == -1 ? errname(errno) : "still mapped");

    /* MREMAP_FIXED into the reserved window, replacing what is there */
    char *target = window + 10 * page;
    r = mremap(a, 2 * page, 3 * page, MREMAP_MAYMOVE | MREMAP_FIXED, target);
    printf("MREMAP_FIXED: at target=%d kept=%d tail zero=%d\n", r == target, same(r, 2 * page, 1),
           zero(r + 2 * page, page));
    a = r;

    /* MREMAP_DONTUNMAP: the pages move, the old range stays mapped and reads zero */
    r = raw_mremap(a, 3 * page, 3 * page, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, NULL);
    if (r == MAP_FAILED) {
        printf("MREMAP_DONTUNMAP: %s\n", errname(errno));
    } else {
        printf("MREMAP_DONTUNMAP: moved=%d kept=%d old range zero=%d\n", r != a, same(r, 2 * page, 1),
               zero(a, 3 * page));
        munmap(r, 3 * page);
    }
    munmap(a, 3 * page);

    /* error rules */
    char *b = mmap(window + 14 * page, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    munmap(b + 2 * page, page);
    expect(raw_mremap(b + 1, page, 2 * page, MREMAP_MAYMOVE, NULL), EINVAL, "unaligned old address");
    expect(raw_mremap(b, page, 2 * page, 8, NULL), EINVAL, "unknown flag");
    expect(raw_mremap(b, page, 2 * page, MREMAP_FIXED, window), EINVAL, "MREMAP_FIXED without MREMAP_MAYMOVE");
    expect(raw_mremap(b, page, 0, MREMAP_MAYMOVE, NULL), EINVAL, "new size 0");
    expect(raw_mremap(b, page, 2 * page, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, NULL), EINVAL,
           "MREMAP_DONTUNMAP with a size change");
    expect(raw_mremap(b, 2 * page, 2 * page, MREMAP_MAYMOVE | MREMAP_FIXED, b + page), EINVAL,
           "MREMAP_FIXED onto an overlapping range");
    expect(raw_mremap(b, 3 * page, 4 * page, MREMAP_MAYMOVE, NULL), EFAULT, "old range larger than the mapping");
    expect(raw_mremap(hole, page, 2 * page, MREMAP_MAYMOVE, NULL), EFAULT, "unmapped old address");
    expect(raw_mremap(b, 0, page, MREMAP_MAYMOVE, NULL), EINVAL, "old size 0 of a private mapping");

    /* madvise(MADV_DONTNEED) zeroes private anonymous memory; mincore shows what is resident */
    fill(b, 2 * page, 3);
    int rc = madvise(b, page, MADV_DONTNEED);
    printf("madvise DONTNEED: rc=%d zero=%d rest kept=%d\n", rc, zero(b, page), same(b + page, page, 3 + 7 * page));
    munmap(b, 2 * page);
    char *c = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    mincore_of("fresh anonymous", c, 4);
    c[0] = 1;
    c[2 * page] = 1;
    mincore_of("after touching pages 0 and 2", c, 4);
    madvise(c, page, MADV_DONTNEED);
    mincore_of("after MADV_DONTNEED of page 0", c, 4);
    expect_rc(mincore(c + 1, page, vec), EINVAL, "mincore of an unaligned address");
    expect_rc(mincore(hole, page, vec), ENOMEM, "mincore of unmapped memory");
    expect_rc(mincore(c, page, (unsigned char *)8), EFAULT, "mincore into a bad vector");

    /* msync argument rules */
    expect_rc(msync(c + 1, page, MS_SYNC), EINVAL, "msync of an unaligned address");
    expect_rc(msync(c, page, MS_SYNC | MS_ASYNC), EINVAL, "msync with MS_SYNC|MS_ASYNC");
    expect_rc(msync(c, page, 8), EINVAL, "msync with an unknown flag");
    expect_rc(msync(hole, page, MS_SYNC), ENOMEM, "msync of unmapped memory");
    printf("msync of anonymous memory: %d\n", msync(c, 4 * page, MS_ASYNC));
    munmap(c, 4 * page);

    /* a shared file mapping grows over more of its file; a store in the new part reaches the file */
    char path[] = "/tmp/pynix-mremap-XXXXXX";
    int fd = mkstemp(path);
    char *data = malloc(4 * page);
    fill(data, 4 * page, 5);
    write(fd, data, 4 * page);
    char *f = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, page);
    f[0] = 'X';
    r = mremap(f, page, 3 * page, MREMAP_MAYMOVE);
    printf("file mapping grown: first=%c rest from the file=%d\n", r[0], same(r + 1, 3 * page - 1, 5 + 7 * (page + 1)));
    r[2 * page] = 'Y';
    munmap(r, 3 * page);
    char back[2] = {0};
    pread(fd, back, 1, 3 * page);
    pread(fd, back + 1, 1, page);
    printf("file after munmap: [%c%c]\n", back[0], back[1]);
    /* old size 0 duplicates a shared mapping */
    f = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    r = raw_mremap(f, 0, page, MREMAP_MAYMOVE, NULL);
    if (r == MAP_FAILED) {
        printf("duplicate a shared mapping: %s\n", errname(errno));
    } else {
        r[5] = 'D';
        printf("duplicate a shared mapping: distinct=%d shares=%d\n", r != f, f[5] == 'D');
    }
    close(fd);
    unlink(path);
    return 0;
}
