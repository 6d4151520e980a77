/* fpu_env: the floating-point environment a new process starts with (Linux: round to nearest, no exception flags,
   x87 control word 0x37f = extended precision with all exceptions masked, MXCSR 0x1f80), and arithmetic that
   depends on it: long double precision, rounding of double operations, float->int conversion. */
#include <stdio.h>

int main(void)
{
    /* read with inline assembly: <fenv.h> would need -lm with glibc */
#if defined(__x86_64__)
    unsigned short fcw;
    unsigned int mxcsr;
    __asm__ volatile("fnstcw %0" : "=m"(fcw));
    __asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
    printf("x87 control word %#x, MXCSR %#x\n", fcw, mxcsr);
#elif defined(__riscv)
    unsigned long fcsr;
    __asm__ volatile("frcsr %0" : "=r"(fcsr));
    printf("fcsr %#lx\n", fcsr);
#endif
    volatile long double third = 1.0L / 3.0L;
    printf("1/3 as long double: %.25Lf\n", third);
    volatile double a = 1.0, b = 3.0, big = 1e308;
    printf("1/3 as double: %.20f\n", a / b);
    printf("sqrt-free rounding: %.17g %.17g\n", (a / b) * b, 0.1 + 0.2);
    printf("overflow to inf: %g, conversion: %d %ld\n", big * 10.0, (int)(a / b * 1000.0), (long)-2.5);
    volatile float f = 16777216.0f;
    printf("float rounding: %.1f\n", (double)(f + 1.0f));
    return 0;
}
