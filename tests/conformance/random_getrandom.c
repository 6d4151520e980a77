/* getrandom: full reads of small and large sizes, flags (GRND_NONBLOCK, GRND_RANDOM, GRND_INSECURE),
 * invalid flags, bad buffers; two reads differ; bytes look random (every value appears in 64 KiB). */
#include "conf.h"
#include <sys/random.h>

#ifndef GRND_INSECURE
#define GRND_INSECURE 4
#endif

int main(void)
{
    unsigned char a[64], b[64];
    SHOW("getrandom 64", getrandom(a, sizeof a, 0));
    SHOW("getrandom 64 again", getrandom(b, sizeof b, 0));
    printf("two reads differ: %d\n", memcmp(a, b, sizeof a) != 0);
    SHOW("getrandom 0 bytes", getrandom(a, 0, 0));
    SHOW("GRND_NONBLOCK", getrandom(a, 16, GRND_NONBLOCK));
    SHOW("GRND_RANDOM", getrandom(a, 16, GRND_RANDOM));
    SHOW("GRND_INSECURE", getrandom(a, 16, GRND_INSECURE));
    SHOW("GRND_INSECURE|GRND_RANDOM", getrandom(a, 16, GRND_INSECURE | GRND_RANDOM));
    SHOW("unknown flag", getrandom(a, 16, 0x100));
    SHOW("bad buffer", getrandom((void *)16, 16, 0));

    static unsigned char big[1 << 16];
    SHOW("getrandom 64 KiB", getrandom(big, sizeof big, 0));
    int seen[256] = {0}, distinct = 0;
    for (size_t i = 0; i < sizeof big; i++) seen[big[i]]++;
    for (int i = 0; i < 256; i++) distinct += seen[i] > 0;
    printf("distinct byte values: %d\n", distinct);
    static unsigned char huge[1 << 22];
    long n = getrandom(huge, sizeof huge, 0);
    printf("getrandom 4 MiB returned all of it: %d\n", n == (long)sizeof huge);

    /* the libc interface built on it */
    unsigned char e[32];
    SHOW("getentropy 32", getentropy(e, sizeof e));
    SHOW("getentropy 257", getentropy(e, 257));
    return 0;
}
