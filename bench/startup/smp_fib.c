/* One translation unit of the make -j2 start-up benchmark (pynix/cli/bench.py's PARALLEL_BUILD). */
static unsigned long fib(unsigned n) {
    unsigned long a = 0, b = 1;
    while (n--) {
        unsigned long t = a + b;
        a = b;
        b = t;
    }
    return a;
}

unsigned long fib_sum(unsigned n) {
    unsigned long sum = 0;
    for (unsigned i = 0; i <= n; i++)
        sum += fib(i);
    return sum;
}
