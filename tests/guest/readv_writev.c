/* readv_writev: gather-write several iovecs (one empty, one large) to stdout, scatter-read all of stdin,
   and check the error cases. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>
#include "errname.h"

static unsigned char big[100000];

static void say(const char *text)
{
    /* stdout is written with raw write(2) only, so the order of output is exact */
    write(1, text, strlen(text));
}

int main(void)
{
    char line[256];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = 'a' + (i * 7 + i / 26) % 26;
    for (size_t i = 99; i < sizeof big; i += 100)
        big[i] = '\n';

    struct iovec out[5] = {
        {"first ", 6},
        {"", 0},
        {"second ", 7},
        {"third\n", 6},
        {big, sizeof big},
    };
    ssize_t n = writev(1, out, 4);
    snprintf(line, sizeof line, "writev small returned %zd\n", n);
    say(line);
    n = writev(1, out + 4, 1);
    snprintf(line, sizeof line, "writev big returned %zd\n", n);
    say(line);
    n = writev(1, out, 0);
    snprintf(line, sizeof line, "writev iovcnt=0 returned %zd\n", n);
    say(line);
    errno = 0;
    n = writev(99, out, 1);
    snprintf(line, sizeof line, "writev fd 99 returned %zd %s\n", n, errname(errno));
    say(line);
    errno = 0;
    n = writev(1, out, -1);
    snprintf(line, sizeof line, "writev iovcnt=-1 returned %zd %s\n", n, errname(errno));
    say(line);
    errno = 0;
    n = readv(0, out, -1);
    snprintf(line, sizeof line, "readv iovcnt=-1 returned %zd %s\n", n, errname(errno));
    say(line);

    /* scatter-read stdin: each call fills a (3-byte, 0-byte, 10-byte, 64-byte) vector in order */
    static unsigned char all[1 << 20];
    size_t total = 0;
    int order_ok = 1;
    for (;;) {
        unsigned char a[3], b[1], c[10], d[64];
        memset(a, 0, sizeof a);
        memset(c, 0, sizeof c);
        memset(d, 0, sizeof d);
        struct iovec in[4] = {{a, sizeof a}, {b, 0}, {c, sizeof c}, {d, sizeof d}};
        n = readv(0, in, 4);
        if (n < 0) {
            snprintf(line, sizeof line, "readv failed: %s\n", errname(errno));
            say(line);
            return 1;
        }
        if (n == 0)
            break;
        size_t left = n;
        for (int i = 0; i < 4 && left; i++) {
            size_t take = left < in[i].iov_len ? left : in[i].iov_len;
            if (total + take > sizeof all)
                return 2;
            memcpy(all + total, in[i].iov_base, take);
            total += take;
            left -= take;
        }
        /* bytes past n in the vectors must be untouched */
        if ((size_t)n < sizeof c + sizeof a && n > (ssize_t)sizeof a && c[n - sizeof a] != 0)
            order_ok = 0;
    }
    unsigned long sum = 0;
    for (size_t i = 0; i < total; i++)
        sum = sum * 31 + all[i];
    snprintf(line, sizeof line, "readv read %zu bytes, checksum %lu, untouched-tail %s\n", total, sum,
             order_ok ? "ok" : "BAD");
    say(line);
    say("stdin was: [");
    write(1, all, total < 200 ? total : 200);
    say("]\n");
    return 0;
}
