/* mlock family: argument rules, RLIMIT_MEMLOCK for an unprivileged caller, VmLck accounting, fork dropping
 * locks.  (Lock accounting is compared, not residency: pynix never pages out.) */
#define _GNU_SOURCE
#include <errno.h>
#include "errname.h"
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void result(const char *what, long rc) {
    printf("%s = %ld%s%s\n", what, rc, rc < 0 ? " " : "", rc < 0 ? errname(errno) : "");
}

static long vmlck_kb(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmLck: %ld kB", &kb) == 1) break;
    if (f) fclose(f);
    return kb;
}

int main(void) {
    char *p = mmap(NULL, 16 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("VmLck at start: %ld kB\n", vmlck_kb());
    result("mlock 3 pages (unaligned start)", mlock(p + 100, 2 * 4096));
    printf("VmLck: %ld kB\n", vmlck_kb());
    result("mlock2 bad flags", syscall(SYS_mlock2, p, 4096, 2));
    result("mlock2 ONFAULT", syscall(SYS_mlock2, p + 8 * 4096, 4096, 1));
    printf("VmLck: %ld kB\n", vmlck_kb());
    result("munlock 1 page", munlock(p, 4096));
    printf("VmLck: %ld kB\n", vmlck_kb());
    munmap(p + 12 * 4096, 4096);
    result("mlock over a hole", mlock(p + 11 * 4096, 3 * 4096));
    result("mlock wrapping", mlock((void *)-4096L, 8192));
    result("mlock 0 bytes", mlock(p, 0));
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        printf("child VmLck: %ld kB\n", vmlck_kb());
        fflush(stdout);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    result("munlockall", munlockall());
    printf("VmLck: %ld kB\n", vmlck_kb());
    result("mlockall 0", mlockall(0));
    result("mlockall ONFAULT alone", mlockall(MCL_ONFAULT));
    result("mlockall 8", mlockall(8));
    result("mlockall FUTURE", mlockall(MCL_FUTURE));
    char *q = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("VmLck after mapping 4 pages: %ld kB\n", vmlck_kb());
    munmap(q, 4 * 4096);
    munlockall();

    /* an unprivileged caller: RLIMIT_MEMLOCK */
    if (geteuid() == 0) {
        struct rlimit small = {8192, 8192};
        setrlimit(RLIMIT_MEMLOCK, &small);
        if (setuid(1000) == 0) {
            result("unprivileged mlock 2 pages", mlock(p, 8192));
            result("unprivileged mlock 1 more", mlock(p + 4 * 4096, 4096));
            struct rlimit none = {0, 0};
            setrlimit(RLIMIT_MEMLOCK, &none);
            result("unprivileged mlock with limit 0", mlock(p + 6 * 4096, 4096));
        }
    }
    return 0;
}
