/* mremap: grow in place or move with MREMAP_MAYMOVE (contents follow), shrink, errors. */
// reference: x86_64
// (qemu-riscv64 7.2 treats MAP_FIXED_NOREPLACE as a hint; the output is ISA-independent)
#include "conf.h"
#include <sys/mman.h>

int main(void)
{
    long page = sysconf(_SC_PAGESIZE);
    unsigned char *p = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) { printf("mmap: %s\n", errname(errno)); return 1; }
    for (long i = 0; i < 2 * page; i++) p[i] = (unsigned char)i;
    /* block growth in place with a neighbour */
    void *guard = mmap(p + 2 * page, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    printf("guard page: %s\n", guard == MAP_FAILED ? errname(errno) : "ok");
    void *r = mremap(p, 2 * page, 8 * page, 0);
    printf("grow in place blocked: %s\n", r == MAP_FAILED ? errname(errno) : "grew");
    unsigned char *q = mremap(p, 2 * page, 8 * page, MREMAP_MAYMOVE);
    if (q == MAP_FAILED) { printf("grow with MAYMOVE: %s\n", errname(errno)); return 1; }
    printf("moved: %d\n", q != p);
    int same = 1;
    for (long i = 0; i < 2 * page; i++) same &= q[i] == (unsigned char)i;
    printf("contents moved: %d\n", same);
    int zero = 1;
    for (long i = 2 * page; i < 8 * page; i++) zero &= q[i] == 0;
    printf("new part zero: %d\n", zero);
    q[8 * page - 1] = 1;
    unsigned char *s = mremap(q, 8 * page, page, 0);
    printf("shrink in place: %d\n", s == q);
    printf("kept first page: %d\n", s[100] == 100);
    SHOW("unaligned address", (long)mremap(q + 1, page, 2 * page, MREMAP_MAYMOVE));
    SHOW("zero new size", (long)mremap(q, page, 0, MREMAP_MAYMOVE));
    SHOW("bad flags", (long)mremap(q, page, 2 * page, 0x80));
    SHOW("FIXED without MAYMOVE", (long)mremap(q, page, page, MREMAP_FIXED, q + 16 * page));
    return 0;
}
