/* The main translation unit of the start_cc_j2_* benchmarks (pynix/cli/bench.py's PARALLEL_BUILD). */
#include <stdio.h>
unsigned long crc_sum(unsigned n);
unsigned long sort_sum(unsigned n);
unsigned long fib_sum(unsigned n);
int main(void) {
    printf("%lu %lu %lu\n", crc_sum(1000), sort_sum(100), fib_sum(30));
    return 0;
}
