/* madvise: MADV_DONTNEED drops private anonymous pages (they read back as zero) but not shared ones;
 * advice values that are only hints are accepted. */
#include "conf.h"
#include <sys/mman.h>

int main(void)
{
    long page = sysconf(_SC_PAGESIZE);
    unsigned char *p = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    unsigned char *s = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED || s == MAP_FAILED) { printf("mmap: %s\n", errname(errno)); return 1; }
    memset(p, 1, 4 * page);
    memset(s, 1, 4 * page);
    SHOW("dontneed private page 1", madvise(p + page, page, MADV_DONTNEED));
    printf("private after: %d %d %d\n", p[0], p[page], p[2 * page]);
    SHOW("dontneed shared", madvise(s, 4 * page, MADV_DONTNEED));
    printf("shared after: %d %d\n", s[0], s[3 * page]);
    int advice[] = {MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED};
    const char *names[] = {"normal", "random", "sequential", "willneed"};
    for (int i = 0; i < 4; i++) {
        char label[64];
        snprintf(label, sizeof label, "madvise %s", names[i]);
        SHOW(label, madvise(p, 4 * page, advice[i]));
    }
    printf("contents after hints: %d %d\n", p[0], p[page]);
    SHOW("posix_madvise dontneed (no-op)", posix_madvise(p, page, POSIX_MADV_DONTNEED));
    printf("posix_madvise kept data: %d\n", p[0]);
    return 0;
}
