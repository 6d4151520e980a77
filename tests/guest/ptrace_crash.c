/* A program that dies of SIGSEGV two calls deep, for a debugger's backtrace (tests/test_ptrace.py runs gdb on
 * it inside pynix). */
#include <stdio.h>

static volatile int *target;

__attribute__((noinline)) static void crash_here(int depth) { *target = depth; }
__attribute__((noinline)) static void caller(int depth) { crash_here(depth + 1); }

int main(void)
{
    puts("about to crash");
    fflush(stdout);
    caller(41);
    return 0;
}
