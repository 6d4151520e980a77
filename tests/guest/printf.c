/* printf: integer widths and signs, hex/octal, field widths, doubles in %f/%e/%g with several precisions.
   Stresses the guest's stdio, varargs and (soft or hard) floating point. */
#include <inttypes.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
    signed char sc = -128;
    unsigned char uc = 255;
    short s = -32768;
    unsigned short us = 65535;
    printf("char %hhd %hhu %hhx\n", sc, uc, uc);
    printf("short %hd %hu %ho\n", s, us, us);
    printf("int %d %d %u %x %X %o\n", INT_MIN, INT_MAX, UINT_MAX, 0xdeadbeefu, 0xdeadbeefu, 0777u);
    printf("long %ld %ld %lu %lx\n", LONG_MIN, LONG_MAX, ULONG_MAX, 0x0123456789abcdefUL);
    printf("long long %lld %llu %llx\n", LLONG_MIN, ULLONG_MAX, 0xfedcba9876543210ULL);
    printf("int8..64 %" PRId8 " %" PRId16 " %" PRId32 " %" PRId64 "\n",
           (int8_t)-1, (int16_t)-2, (int32_t)-3, (int64_t)-4);
    printf("uint64 %" PRIu64 " %#" PRIx64 " %#" PRIo64 "\n", UINT64_MAX, (uint64_t)1 << 63, (uint64_t)8);
    printf("size_t %zu ssize %zd ptrdiff %td\n", (size_t)12345678, (ssize_t)-12345678, (ptrdiff_t)-7);
    printf("widths [%8d] [%-8d] [%08d] [%+d] [% d] [%.5d] [%*d] [%-*d]\n",
           42, 42, -42, 42, 42, 42, 6, 7, 6, 7);
    printf("hex [%#x] [%#o] [%#10x] [%-#10x] [%x]\n", 255u, 8u, 255u, 255u, 0u);
    printf("strings [%s] [%10s] [%-10s] [%.3s] [%c%c%c] [%%]\n", "abc", "right", "left", "truncate", 'x', 'y', 'z');

    static const double values[] = {0.0, -0.0, 1.0, -1.5, 3.141592653589793, 2.718281828459045, 1e-7, 123456789.125,
                                    1e300, -2.5e-300, 0.1, 1.0 / 3.0, 6.02214076e23, 65536.0, 0.5, 9.999999};
    static const int precisions[] = {0, 1, 3, 6, 10, 17};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        double v = values[i];
        printf("double[%zu]:", i);
        for (size_t p = 0; p < sizeof precisions / sizeof precisions[0]; p++)
            printf(" %.*f|%.*e|%.*g", precisions[p], v, precisions[p], v, precisions[p], v);
        printf(" default %f %e %g\n", v, v, v);
    }
    printf("rounding %.0f %.0f %.0f %.0f %.1f %.2f\n", 0.5, 1.5, 2.5, -0.5, 0.05, 1.005);
    printf("wide [%12.4f] [%-12.4e] [%+.3g] [%012.3f] [%#.0f] [%#g]\n", 3.14159, 31415.9, 0.000123456, -2.5, 3.0, 1.0);
    /* arithmetic whose result is printed exactly */
    double acc = 0;
    for (int i = 1; i <= 1000; i++)
        acc += 1.0 / ((double)i * i);
    printf("sum 1/i^2 (1..1000) = %.15f\n", acc);
    float f = 1.0f / 3.0f;
    printf("float %.10f %g\n", (double)f, (double)(f * 3.0f));

    char buf[64];
    int n = snprintf(buf, 8, "%d-%s", 123456, "overflow");
    printf("snprintf returned %d, buffer [%s]\n", n, buf);
    n = snprintf(NULL, 0, "%lld", LLONG_MIN);
    printf("snprintf(NULL, 0) returned %d\n", n);
    long long parsed = 0;
    int consumed = 0;
    sscanf("  -9223372036854775807 tail", "%lld%n", &parsed, &consumed);
    printf("sscanf %lld consumed %d\n", parsed, consumed);
    double d = 0;
    sscanf("6.25e-3", "%lf", &d);
    printf("sscanf double %.6g\n", d);
    return 0;
}
