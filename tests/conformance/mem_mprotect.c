/* mprotect: content survives PROT_NONE and back; writing a read-only page or reading a PROT_NONE page kills
 * the process with SIGSEGV (checked in children, without handlers); splitting a mapping's protection. */
#include "conf.h"
#include <sys/mman.h>

static void child_status(const char *label, void (*fn)(void *), void *arg)
{
    pid_t pid = xfork();
    if (pid == 0) {
        fn(arg);
        _exit(0);
    }
    reap(label, pid);
}

static void do_write(void *p) { *(volatile int *)p = 1; }
static void do_read(void *p) { (void)*(volatile int *)p; }
static void do_exec(void *p) { ((void (*)(void))p)(); }

int main(void)
{
    long page = sysconf(_SC_PAGESIZE);
    unsigned char *p = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) { printf("mmap: %s\n", errname(errno)); return 1; }
    memset(p, 0x5a, 4 * page);

    SHOW("mprotect none", mprotect(p, 4 * page, PROT_NONE));
    child_status("read PROT_NONE", do_read, p);
    SHOW("mprotect read", mprotect(p, 4 * page, PROT_READ));
    printf("content kept: %d\n", p[0] == 0x5a && p[4 * page - 1] == 0x5a);
    child_status("read PROT_READ", do_read, p);
    child_status("write PROT_READ", do_write, p);

    /* one page in the middle writable again */
    SHOW("mprotect page 2 rw", mprotect(p + 2 * page, page, PROT_READ | PROT_WRITE));
    child_status("write page 2", do_write, p + 2 * page);
    child_status("write page 1", do_write, p + page);
    child_status("write page 3", do_write, p + 3 * page);
    p[2 * page] = 1;
    printf("parent wrote page 2: %d\n", p[2 * page]);

    /* data pages are not executable */
    unsigned char *code = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(code, 0, page);
    child_status("execute non-exec page", do_exec, code);

    /* a copy-on-write page turned read-only in the parent stays writable for nobody */
    SHOW("mprotect all rw", mprotect(p, 4 * page, PROT_READ | PROT_WRITE));
    p[0] = 9;
    pid_t pid = xfork();
    if (pid == 0) {
        mprotect(p, page, PROT_READ);
        pid_t g = fork();
        if (g == 0) { p[0] = 10; _exit(0); }
        int st;
        waitpid(g, &st, 0);
        _exit(WIFSIGNALED(st) ? 100 + WTERMSIG(st) : WEXITSTATUS(st));
    }
    reap("grandchild write after child's mprotect", pid);
    printf("parent's page unchanged: %d\n", p[0]);
    return 0;
}
