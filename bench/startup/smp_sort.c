/* One translation unit of the make -j2 start-up benchmark (pynix/cli/bench.py's PARALLEL_BUILD). */
#include <stdlib.h>

static int cmp(const void *a, const void *b) {
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
    return x < y ? -1 : x > y;
}

unsigned long sort_sum(unsigned n) {
    unsigned v[1024];
    unsigned seed = 1;
    if (n > 1024)
        n = 1024;
    for (unsigned i = 0; i < n; i++)
        v[i] = seed = seed * 1103515245u + 12345u;
    qsort(v, n, sizeof v[0], cmp);
    unsigned long sum = 0;
    for (unsigned i = 0; i < n; i++)
        sum = sum * 31 + v[i];
    return sum;
}
