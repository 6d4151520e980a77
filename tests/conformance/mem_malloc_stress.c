/* The allocator on top of brk/mmap: many sizes, large blocks (mmap threshold), realloc growth keeping data,
 * calloc zeroing, free and reuse, aligned allocation; all checked, nothing printed but results. */
// syscalls: brk mmap munmap mremap madvise
#include "conf.h"
#include <stdint.h>

int main(void)
{
    enum { N = 2000 };
    static unsigned char *blocks[N];
    static size_t sizes[N];
    unsigned seed = 12345;
    int bad = 0;
    for (int round = 0; round < 4; round++) {
        for (int i = 0; i < N; i++) {
            seed = seed * 1103515245 + 12345;
            size_t sz = (seed >> 8) % (i % 50 == 0 ? 300000 : 2000) + 1;
            if (blocks[i]) {
                for (size_t j = 0; j < sizes[i]; j += 97) if (blocks[i][j] != (unsigned char)(i + j)) bad++;
                free(blocks[i]);
            }
            blocks[i] = malloc(sz);
            if (!blocks[i]) { printf("malloc(%zu) failed\n", sz); return 1; }
            sizes[i] = sz;
            for (size_t j = 0; j < sz; j += 97) blocks[i][j] = (unsigned char)(i + j);
        }
    }
    printf("malloc/free rounds: corrupted blocks %d\n", bad);
    for (int i = 0; i < N; i++) free(blocks[i]);

    unsigned char *r = malloc(16);
    for (int i = 0; i < 16; i++) r[i] = (unsigned char)i;
    int keep = 1;
    for (size_t sz = 32; sz <= (8u << 20); sz *= 2) {
        r = realloc(r, sz);
        if (!r) { printf("realloc failed\n"); return 1; }
        for (int i = 0; i < 16; i++) keep &= r[i] == i;
        r[sz - 1] = 1;
    }
    r = realloc(r, 8);
    for (int i = 0; i < 8; i++) keep &= r[i] == i;
    printf("realloc up to 8 MiB and down kept the data: %d\n", keep);
    free(r);

    int zero = 1;
    for (int k = 0; k < 10; k++) {
        unsigned char *c = calloc(1000 + k * 50000, 3);
        for (size_t i = 0; i < (size_t)(1000 + k * 50000) * 3; i++) zero &= c[i] == 0;
        memset(c, 0xff, (size_t)(1000 + k * 50000) * 3);
        free(c);
    }
    printf("calloc zeroed after reuse: %d\n", zero);
    printf("calloc overflow: %s\n", calloc((size_t)-1 / 2, 4) ? "allocated?" : errname(errno));
    printf("malloc huge: %s\n", malloc((size_t)-1 / 2) ? "allocated?" : errname(errno));

    void *a = NULL;
    printf("posix_memalign 4096: %s", errname(posix_memalign(&a, 4096, 10000)));
    printf(", aligned %d\n", ((uintptr_t)a & 4095) == 0);
    free(a);
    printf("posix_memalign bad alignment: %s\n", errname(posix_memalign(&a, 3, 16)));
    void *al = aligned_alloc(65536, 65536);
    printf("aligned_alloc 64 KiB: aligned %d\n", al && ((uintptr_t)al & 65535) == 0);
    free(al);

    /* 64 MiB in one block, touched sparsely, then released */
    size_t big = 64u << 20;
    unsigned char *b = malloc(big);
    if (!b) { printf("64 MiB malloc failed\n"); return 1; }
    for (size_t i = 0; i < big; i += 1 << 20) b[i] = 1;
    printf("64 MiB block touched\n");
    free(b);
    return 0;
}
