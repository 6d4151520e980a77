/* getrandom: full-length results, successive calls differ, error cases. */
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include "errname.h"

static int failures = 0;

static void check(int ok, const char *what)
{
    printf("%s %s\n", ok ? "OK" : "FAIL", what);
    failures += !ok;
}

int main(void)
{
    unsigned char a[64], b[64], zero[64];
    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    memset(zero, 0, sizeof zero);
    check(getrandom(a, 32, 0) == 32, "getrandom(32) returns 32");
    check(getrandom(b, 32, 0) == 32, "second getrandom(32) returns 32");
    check(memcmp(a, b, 32) != 0, "two results differ");
    check(memcmp(a, zero, 32) != 0, "result is not all zero");
    check(memcmp(a + 32, zero, 32) == 0, "bytes past the requested length untouched");
    check(getrandom(a, 0, 0) == 0, "getrandom(0) returns 0");
    check(getrandom(a, 1, GRND_NONBLOCK) == 1, "getrandom(1, GRND_NONBLOCK) returns 1");
    static unsigned char big[4096];
    check(getrandom(big, sizeof big, 0) == (ssize_t)sizeof big, "getrandom(4096) returns 4096");
    int counts[256] = {0}, distinct = 0;
    for (size_t i = 0; i < sizeof big; i++)
        counts[big[i]]++;
    for (int i = 0; i < 256; i++)
        distinct += counts[i] > 0;
    check(distinct > 200, "4096 random bytes take more than 200 distinct values");
    errno = 0;
    check(getrandom(a, 8, 0x1000) == -1 && errno == EINVAL, "unknown flag fails with EINVAL");
    errno = 0;
    check(getrandom((void *)8, 8, 0) == -1 && errno == EFAULT, "bad buffer fails with EFAULT");
    printf("%s\n", failures ? "SOME CHECKS FAILED" : "ALL OK");
    return failures != 0;
}
