/* Memory as Linux (issue 21): mincore reports resident pages (touched anonymous pages, the page cache behind a
 * file mapping, what mlock and MAP_POPULATE fault in); mlock/mlock2/MAP_LOCKED count locked pages (VmLck);
 * MADV_DONTFORK and MADV_WIPEONFORK are honoured by fork; a MAP_GROWSDOWN mapping grows when touched below. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"

#define PAGE 4096
static void residency(const char *what, void *p, int pages)
{
    unsigned char vec[64];
    errno = 0;
    long r = syscall(SYS_mincore, p, (long)pages * PAGE, vec);
    printf("%s: ", what);
    if (r < 0) {
        printf("%s\n", errname(errno));
        return;
    }
    for (int i = 0; i < pages; i++)
        putchar('0' + (vec[i] & 1));
    putchar('\n');
}

static long vmlck_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmLck: %ld kB", &kb) == 1)
            break;
    if (f)
        fclose(f);
    return kb;
}

static void mincore_cases(void)
{
    char *a = mmap(NULL, 6 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    residency("fresh anonymous", a, 6);
    a[0] = 1;
    a[2 * PAGE] = 1;
    (void)*(volatile char *)(a + 4 * PAGE);            /* a read maps the zero page: resident too */
    residency("touched 0, 2, read 4", a, 6);
    madvise(a, 3 * PAGE, MADV_DONTNEED);
    residency("after MADV_DONTNEED of 0-2", a, 6);
    mprotect(a + 4 * PAGE, PAGE, PROT_NONE);
    residency("page 4 PROT_NONE", a, 6);
    residency("unaligned", a + 1, 1);
    munmap(a + 5 * PAGE, PAGE);
    residency("a hole", a, 6);
    char path[] = "/tmp/pynix-mincore-XXXXXX";
    int fd = mkstemp(path);
    char buf[PAGE * 3];
    memset(buf, 7, sizeof buf);
    write(fd, buf, sizeof buf);                        /* in the page cache, never touched by this mapping */
    char *f = mmap(NULL, 4 * PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
    (void)f;
    munmap(f, 4 * PAGE);
    close(fd);
    unlink(path);
    char *pop = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    residency("MAP_POPULATE", pop, 4);
}

static void lock_cases(void)
{
    long base = vmlck_kb();
    char *p = mmap(NULL, 8 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("mlock 3 pages: %d\n", mlock(p, 3 * PAGE));
    printf("VmLck +%ld kB\n", vmlck_kb() - base);
    residency("after mlock", p, 4);
    printf("mlock2 ONFAULT 2 pages: %ld\n", syscall(SYS_mlock2, p + 4 * PAGE, 2 * PAGE, 1));
    printf("VmLck +%ld kB\n", vmlck_kb() - base);
    residency("after mlock2 ONFAULT", p + 4 * PAGE, 2);
    munlock(p, 8 * PAGE);
    printf("munlock: VmLck +%ld kB\n", vmlck_kb() - base);
    char *l = mmap(NULL, 5 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0);
    printf("MAP_LOCKED 5 pages: VmLck +%ld kB\n", vmlck_kb() - base);
    residency("MAP_LOCKED", l, 5);
    munmap(l, 5 * PAGE);
    printf("unmapped: VmLck +%ld kB\n", vmlck_kb() - base);
}

static void fork_cases(void)
{
    char *keep = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *gone = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *wipe = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *shared = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    memset(keep, 'k', 2 * PAGE);
    memset(gone, 'g', 2 * PAGE);
    memset(wipe, 'w', 3 * PAGE);
    printf("MADV_DONTFORK: %d\n", madvise(gone, 2 * PAGE, MADV_DONTFORK));
    printf("MADV_WIPEONFORK pages 0-1: %d\n", madvise(wipe, 2 * PAGE, MADV_WIPEONFORK));
    errno = 0;
    int r = madvise(shared, PAGE, MADV_WIPEONFORK);
    printf("MADV_WIPEONFORK shared: %d %s\n", r, r ? errname(errno) : "");
    pid_t child = fork();
    if (child == 0) {
        unsigned char v;
        errno = 0;
        long m = syscall(SYS_mincore, gone, PAGE, &v);
        printf("child: DONTFORK range mapped %d (%s)\n", m == 0, m ? errname(errno) : "0");
        printf("child: keep %c%c wipe %d %d %c\n", keep[0], keep[PAGE], wipe[0], wipe[PAGE], wipe[2 * PAGE]);
        wipe[0] = 'c';
        pid_t grandchild = fork();               /* the wipe-on-fork mark is inherited */
        if (grandchild == 0) {
            printf("grandchild: wipe %d %c\n", wipe[0], wipe[2 * PAGE]);
            _exit(0);
        }
        waitpid(grandchild, NULL, 0);
        _exit(0);
    }
    waitpid(child, NULL, 0);
    printf("parent: gone %c wipe %c%c%c\n", gone[0], wipe[0], wipe[PAGE], wipe[2 * PAGE]);
    madvise(gone, 2 * PAGE, MADV_DOFORK);
    madvise(wipe, 2 * PAGE, MADV_KEEPONFORK);
    child = fork();
    if (child == 0) {
        printf("child after DOFORK/KEEPONFORK: gone %c wipe %c\n", gone[0], wipe[0]);
        _exit(0);
    }
    waitpid(child, NULL, 0);
}

static sigjmp_buf jump;
static void on_segv(int sig)
{
    (void)sig;
    siglongjmp(jump, 1);
}

static void growsdown(void)
{
    /* A free area, then the growing mapping at its top. */
    char *area = mmap(NULL, 64 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(area, 64 * PAGE);
    char *top = mmap(area + 60 * PAGE, 4 * PAGE, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_GROWSDOWN, -1, 0);
    printf("MAP_GROWSDOWN: %d\n", top == area + 60 * PAGE);
    unsigned char v;
    errno = 0;
    printf("below it before: mapped %d\n", syscall(SYS_mincore, top - 5 * PAGE, PAGE, &v) == 0);
    struct sigaction sa = {0};
    sa.sa_handler = on_segv;
    sigaction(SIGSEGV, &sa, NULL);
    volatile int faulted = 0;
    if (sigsetjmp(jump, 1) == 0)
        top[-5 * PAGE] = 42;                     /* 5 pages below the start: the mapping grows down to it */
    else
        faulted = 1;
    printf("write 5 pages below: faulted %d\n", faulted);
    printf("below it after: mapped %d, value %d\n", syscall(SYS_mincore, top - 5 * PAGE, PAGE, &v) == 0,
           faulted ? -1 : top[-5 * PAGE]);
    residency("grown range", top - 5 * PAGE, 9);
    signal(SIGSEGV, SIG_DFL);
    munmap(area, 64 * PAGE);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    mincore_cases();
    lock_cases();
    fork_cases();
    growsdown();
    return 0;
}
