/* Anonymous mappings: zero fill, private vs shared, MAP_FIXED replacing a range, hints, partial munmap,
 * MAP_FIXED_NOREPLACE, MAP_POPULATE/MAP_NORESERVE accepted. */
// reference: x86_64
// (qemu-riscv64 7.2 treats MAP_FIXED_NOREPLACE as a hint; the output is ISA-independent)
#include "conf.h"
#include <sys/mman.h>

static int all_zero(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i]) return 0;
    return 1;
}

int main(void)
{
    long page = sysconf(_SC_PAGESIZE);
    printf("page size: %ld\n", page);

    unsigned char *p = mmap(NULL, 16 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) { printf("mmap: %s\n", errname(errno)); return 1; }
    printf("page aligned: %d\n", ((unsigned long)p & (page - 1)) == 0);
    printf("zero filled: %d\n", all_zero(p, 16 * page));
    for (long i = 0; i < 16 * page; i++) p[i] = (unsigned char)(i * 7);
    unsigned sum = 0;
    for (long i = 0; i < 16 * page; i++) sum += p[i];
    printf("checksum: %u\n", sum);

    /* MAP_FIXED over the middle: fresh zero pages there, the rest untouched */
    unsigned char *q = mmap(p + 4 * page, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    printf("fixed at requested address: %d\n", q == p + 4 * page);
    printf("fixed range zero: %d\n", all_zero(p + 4 * page, 2 * page));
    printf("neighbours kept: %d %d\n", p[4 * page - 1] == (unsigned char)((4 * page - 1) * 7),
           p[6 * page] == (unsigned char)((6 * page) * 7));

    /* MAP_FIXED_NOREPLACE onto a mapped range fails; onto a freed one works */
    void *r = mmap(p, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    printf("noreplace over mapping: %s\n", r == MAP_FAILED ? errname(errno) : "mapped");
    SHOW("munmap middle page", munmap(p + 8 * page, page));
    r = mmap(p + 8 * page, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    printf("noreplace into hole: %s\n", r == p + 8 * page ? "ok" : r == MAP_FAILED ? errname(errno) : "elsewhere");
    printf("hole refilled with zeros: %d\n", all_zero(p + 8 * page, page));

    /* a free, aligned hint is honoured */
    SHOW("munmap all", munmap(p, 16 * page));
    void *h = mmap(p + 2 * page, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("hint honoured: %d\n", h == p + 2 * page);
    munmap(h, page);

    /* munmap of an unmapped range is not an error */
    SHOW("munmap unmapped", munmap(p, 16 * page));

    /* shared anonymous memory */
    int *s = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    printf("shared mapping: %s\n", s == MAP_FAILED ? errname(errno) : "ok");
    s[0] = 42;
    printf("shared value: %d\n", s[0]);

    /* flags that change nothing visible */
    int *z = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE | MAP_NORESERVE, -1, 0);
    printf("populate+noreserve: %s\n", z == MAP_FAILED ? errname(errno) : all_zero((void *)z, 4 * page) ? "zeroed" : "dirty");

    /* a big sparse mapping costs nothing until touched */
    size_t big = (size_t)1 << 30;
    unsigned char *b = mmap(NULL, big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    printf("1 GiB reserve: %s\n", b == MAP_FAILED ? errname(errno) : "ok");
    if (b != MAP_FAILED) {
        b[0] = 1; b[big / 2] = 2; b[big - 1] = 3;
        printf("sparse touch: %d %d %d\n", b[0], b[big / 2], b[big - 1]);
        munmap(b, big);
    }
    return 0;
}
