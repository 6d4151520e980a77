/* A pipeline built by hand: parent -> filter child -> sink child, joined with fork/dup2/close; 1 MiB of data
 * with a checksum; and two writers with PIPE_BUF-sized records never interleaving inside a record. */
#include "conf.h"
#include <ctype.h>
#include <limits.h>

#define TOTAL (1 << 20)

int main(void)
{
    int a[2], b[2];
    MUST(pipe(a));
    MUST(pipe(b));
    pid_t filter = xfork();
    if (filter == 0) {      /* stdin from a, stdout to b: uppercase everything */
        dup2(a[0], 0); dup2(b[1], 1);
        close(a[0]); close(a[1]); close(b[0]); close(b[1]);
        char buf[3000];
        ssize_t n;
        while ((n = read(0, buf, sizeof buf)) > 0) {
            for (ssize_t i = 0; i < n; i++) buf[i] = (char)toupper((unsigned char)buf[i]);
            for (ssize_t off = 0; off < n;) {
                ssize_t w = write(1, buf + off, n - off);
                if (w <= 0) _exit(2);
                off += w;
            }
        }
        _exit(n == 0 ? 0 : 1);
    }
    int result[2];
    MUST(pipe(result));
    pid_t sink = xfork();
    if (sink == 0) {        /* stdin from b: count and checksum, report through `result` */
        dup2(b[0], 0);
        close(a[0]); close(a[1]); close(b[0]); close(b[1]); close(result[0]);
        char buf[5000];
        ssize_t n;
        unsigned long count = 0, sum = 0, upper = 1;
        while ((n = read(0, buf, sizeof buf)) > 0) {
            for (ssize_t i = 0; i < n; i++) {
                sum = sum * 31 + (unsigned char)buf[i];
                if (islower((unsigned char)buf[i])) upper = 0;
            }
            count += n;
        }
        unsigned long r[3] = {count, sum, upper};
        write(result[1], r, sizeof r);
        _exit(0);
    }
    close(a[0]); close(b[0]); close(b[1]); close(result[1]);
    static char data[TOTAL];
    unsigned long expect = 0;
    for (int i = 0; i < TOTAL; i++) {
        data[i] = "abcdefghijklmnopqrstuvwxyz0123456789\n"[i % 37];
        expect = expect * 31 + (unsigned char)toupper((unsigned char)data[i]);
    }
    for (size_t off = 0; off < TOTAL;) {
        ssize_t w = write(a[1], data + off, TOTAL - off > 12345 ? 12345 : TOTAL - off);
        if (w <= 0) { printf("write: %s\n", errname(errno)); break; }
        off += w;
    }
    close(a[1]);
    unsigned long r[3] = {0};
    read(result[0], r, sizeof r);
    printf("sink got %lu bytes, checksum right: %d, all uppercase: %lu\n", r[0], r[1] == expect, r[2]);
    reap("filter", filter);
    reap("sink", sink);

    /* two writers, PIPE_BUF-sized records: each record arrives whole */
    int p[2];
    MUST(pipe(p));
    pid_t w[2];
    for (int k = 0; k < 2; k++) {
        w[k] = xfork();
        if (w[k] == 0) {
            close(p[0]);
            char rec[PIPE_BUF];
            memset(rec, 'A' + k, sizeof rec);
            for (int i = 0; i < 64; i++)
                if (write(p[1], rec, sizeof rec) != sizeof rec) _exit(1);
            _exit(0);
        }
    }
    close(p[1]);
    char rec[PIPE_BUF];
    int records = 0, torn = 0;
    for (;;) {
        size_t got = 0;
        ssize_t n = 0;
        while (got < sizeof rec && (n = read(p[0], rec + got, sizeof rec - got)) > 0) got += n;
        if (got == 0) break;
        records++;
        for (size_t i = 1; i < got; i++) if (rec[i] != rec[0]) { torn++; break; }
        if (got < sizeof rec) { torn++; break; }
    }
    printf("records: %d, torn: %d\n", records, torn);
    reap("writer A", w[0]);
    reap("writer B", w[1]);
    return 0;
}
