/* The program break through the raw brk syscall: query, grow (zeroed, usable), shrink, regrow (zeroed again),
 * requests below the start are refused by returning the old break. */
#include "conf.h"

static unsigned long rbrk(unsigned long addr) { return (unsigned long)syscall(SYS_brk, addr); }

int main(void)
{
    long page = sysconf(_SC_PAGESIZE);
    unsigned long start = rbrk(0);
    printf("query twice equal: %d\n", rbrk(0) == start);
    unsigned long grown = rbrk(start + 3 * page);
    printf("grow by 3 pages: %s\n", grown == start + 3 * page ? "ok" : "failed");
    unsigned char *p = (unsigned char *)start;
    int zero = 1;
    for (long i = 0; i < 3 * page; i++) zero &= p[i] == 0;
    printf("new memory zero: %d\n", zero);
    memset(p, 0xab, 3 * page);
    printf("written: %d\n", p[3 * page - 1] == 0xab);

    unsigned long odd = rbrk(start + 3 * page + 100);
    printf("unaligned break returned as asked: %d\n", odd == start + 3 * page + 100);
    printf("byte past page-aligned break usable: %d\n", (p[3 * page + 200] = 7) == 7);

    unsigned long shrunk = rbrk(start + page);
    printf("shrink to 1 page: %s\n", shrunk == start + page ? "ok" : "failed");
    unsigned long regrown = rbrk(start + 3 * page);
    printf("regrow: %s\n", regrown == start + 3 * page ? "ok" : "failed");
    printf("kept page intact: %d\n", p[page - 1] == 0xab);
    zero = 1;
    for (long i = page; i < 3 * page; i++) zero &= p[i] == 0;
    printf("regrown pages zero: %d\n", zero);

    printf("below start refused: %d\n", rbrk(start - page) == start + 3 * page);
    printf("absurd request refused: %d\n", rbrk(1UL << 62) == start + 3 * page);
    printf("back to start: %d\n", rbrk(start) == start);

    /* sbrk-style growth in many small steps */
    unsigned long cur = start;
    for (int i = 0; i < 100; i++) cur = rbrk(cur + 1000);
    printf("100 small steps: %d\n", cur == start + 100000);
    ((unsigned char *)start)[99999] = 1;
    printf("last byte usable: %d\n", ((unsigned char *)start)[99999]);
    return 0;
}
