/* Fork + random memory work + SIGKILL at random moments (issue 21): batches of children write at random into
 * memory they share copy-on-write with the parent (data segment, heap, a private mapping, a shared mapping
 * they may only read, the stack), make memory-map system calls at those pages, fork grandchildren, start
 * threads, vfork, map and unmap, while the parent kills them at random moments -- from a SIGALRM timer, as
 * the stress that found the bug did, and after random sleeps.  After every batch the parent checks its own
 * memory: a page shared or freed wrongly when a child died, or vector registers that a signal handler's
 * return failed to restore (the actual cause: see sig_vector_regs.c), shows up as changed bytes or as the
 * parent's own SIGSEGV. */
#define _GNU_SOURCE
#include <sched.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <pthread.h>
#include <sys/time.h>

#define DATA_PAGES 16
#define HEAP_PAGES 48
#define MAP_PAGES 32
#define PAGE 4096

static unsigned char data_seg[DATA_PAGES * PAGE] = {1};    /* .data: initialised, so file-backed private */
static unsigned char bss_seg[DATA_PAGES * PAGE];
static unsigned char *heap, *priv, *shared_ro;

static uint64_t rng = 88172645463325252ull;
static uint64_t next(void) { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return rng; }

static unsigned char expect(int region, size_t i, int gen) { return (unsigned char)(i * 31 + region * 7 + gen); }

static void fill(int gen)
{
    for (size_t i = 0; i < sizeof data_seg; i++) data_seg[i] = expect(0, i, gen);
    for (size_t i = 0; i < sizeof bss_seg; i++) bss_seg[i] = expect(1, i, gen);
    for (size_t i = 0; i < HEAP_PAGES * PAGE; i++) heap[i] = expect(2, i, gen);
    for (size_t i = 0; i < MAP_PAGES * PAGE; i++) priv[i] = expect(3, i, gen);
}

static int check_region(const char *name, const unsigned char *p, size_t size, int region, int gen)
{
    int bad = 0;
    for (size_t i = 0; i < size; i++)
        if (p[i] != (region < 0 ? (unsigned char)(i * 13) : expect(region, i, gen))) {
            if (!bad)
                printf("%s: first changed byte at page %zu offset %zu\n", name, i / PAGE, i % PAGE);
            bad++;
        }
    return bad;
}

static int check(int gen)
{
    return check_region("data", data_seg, sizeof data_seg, 0, gen) + check_region("bss", bss_seg, sizeof bss_seg, 1, gen)
           + check_region("heap", heap, HEAP_PAGES * PAGE, 2, gen) + check_region("private", priv, MAP_PAGES * PAGE, 3, gen)
           + check_region("shared", shared_ro, MAP_PAGES * PAGE, -1, gen);
}

static void scribble(unsigned char *base, size_t size, int n)
{
    for (int k = 0; k < n; k++)
        base[next() % size] = (unsigned char)next();
}

static const long vals[] = {0, 1, -1, 0x7fffffff, 0x80000000L, 0xffffffffL, -4096, 4096, 3, 8, 64, 0x400000, 255,
                            1L << 40};

/* A system call with hostile arguments (the values of tests/guest/syscall_fuzz.c), among calls that can only
 * change the calling child itself -- its memory map above all -- since the native reference runs them too. */
static void random_syscall(void)
{
    static const long calls[] = {SYS_read, SYS_write, SYS_close, SYS_dup, SYS_dup3, SYS_pipe2, SYS_lseek,
                                 SYS_readv, SYS_writev, SYS_pread64, SYS_pwrite64, SYS_fcntl, SYS_getpid,
                                 SYS_sched_yield, SYS_getrusage, SYS_times, SYS_uname, SYS_getcwd, SYS_futex,
                                 SYS_sysinfo, SYS_getrandom, SYS_mmap, SYS_munmap, SYS_mprotect, SYS_mremap,
                                 SYS_madvise, SYS_brk, SYS_mincore, SYS_msync, SYS_mlock, SYS_munlock};
    long nr = calls[next() % (sizeof calls / sizeof *calls)];
    long a[6];
    for (int i = 0; i < 6; i++)
        a[i] = vals[next() % (sizeof vals / sizeof *vals)];
    if (nr == SYS_munmap || nr == SYS_mprotect || nr == SYS_madvise || nr == SYS_mremap) {
        /* aim at the pages shared copy-on-write with the parent (not at the MAP_SHARED ones: MADV_REMOVE would
         * rightly punch a hole in the parent's view of them too) */
        unsigned char *regions[] = {data_seg, bss_seg, heap, priv};
        a[0] = ((long)regions[next() % 4] + (long)(next() % 8) * PAGE) & ~(long)(PAGE - 1);
        a[1] = (long)(1 + next() % 4) * PAGE;
        if (nr == SYS_madvise)
            a[2] = (long)(next() % 24);
    }
    syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

static void *thread_work(void *arg)
{
    (void)arg;
    for (int i = 0; i < 50; i++) { scribble(heap, HEAP_PAGES * PAGE, 8); scribble(data_seg, sizeof data_seg, 8); }
    return NULL;
}

static pid_t *live; static int nlive;
static void on_alarm(int sig) { (void)sig; if (nlive) { int k = (int)(next() % nlive); if (live[k] > 0) kill(live[k], SIGKILL); } }

static void child_work(void)
{
    rng ^= (uint64_t)getpid() * 0x9E3779B97F4A7C15ull;
    int null = open("/dev/null", O_RDWR);       /* random writes to 0, 1 and 2 go nowhere */
    dup2(null, 0);
    dup2(null, 1);
    dup2(null, 2);
    int rounds = (int)(next() % 200);
    for (int r = 0; r < rounds; r++) {
        switch (next() % 10) {
        case 0: scribble(data_seg, sizeof data_seg, 64); break;
        case 1: scribble(bss_seg, sizeof bss_seg, 64); break;
        case 2: scribble(heap, HEAP_PAGES * PAGE, 64); break;
        case 3: scribble(priv, MAP_PAGES * PAGE, 64); break;
        case 4: {
            unsigned char *m = mmap(NULL, 8 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (m != MAP_FAILED) { scribble(m, 8 * PAGE, 32); munmap(m, 8 * PAGE); }
            break;
        }
        case 5: {
            pid_t g = fork();                       /* a grandchild, killed with its parent or exiting */
            if (g == 0) { scribble(heap, HEAP_PAGES * PAGE, 16); scribble(data_seg, sizeof data_seg, 16); _exit(0); }
            if (g > 0 && next() % 2) waitpid(g, NULL, 0);
            break;
        }
        case 6:
            random_syscall();
            break;
        case 7: {
            pthread_t th;
            if (pthread_create(&th, NULL, thread_work, NULL) == 0 && next() % 2)
                pthread_join(th, NULL);
            break;
        }
        case 8: {
            pid_t v = vfork();
            if (v == 0) _exit(0);
            break;
        }
        default: {
            volatile unsigned char stack[2 * PAGE];
            for (int k = 0; k < 64; k++) stack[next() % sizeof stack] = (unsigned char)k;
            (void)shared_ro[next() % (MAP_PAGES * PAGE)];
        }
        }
        if (next() % 16 == 0)
            sched_yield();
    }
    _exit(3);
}

int main(int argc, char **argv)
{
    int batches = argc > 1 ? atoi(argv[1]) : 12, per_batch = 6;
    heap = malloc(HEAP_PAGES * PAGE);
    priv = mmap(NULL, MAP_PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    shared_ro = mmap(NULL, MAP_PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    for (size_t i = 0; i < MAP_PAGES * PAGE; i++) shared_ro[i] = (unsigned char)(i * 13);
    int total_bad = 0;
    struct sigaction sa = {0}; sa.sa_handler = on_alarm; sa.sa_flags = SA_RESTART; sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = {{0, 1500}, {0, 1500}}; setitimer(ITIMER_REAL, &it, NULL);
    for (int gen = 0; gen < batches; gen++) {
        fill(gen);
        pid_t kids[per_batch];
        memset(kids, 0, sizeof kids); live = kids; nlive = per_batch;
        for (int k = 0; k < per_batch; k++) {
            kids[k] = fork();
            if (kids[k] == 0) {
                struct itimerval off = {{0, 0}, {0, 0}}; setitimer(ITIMER_REAL, &off, NULL); signal(SIGALRM, SIG_DFL);
                child_work();
            }
            scribble((unsigned char *)&rng, sizeof rng, 0);
            if (next() % 3 == 0) {               /* the parent writes too, at pages its children share */
                size_t i = next() % sizeof data_seg;
                data_seg[i] = expect(0, i, gen);
                heap[i % (HEAP_PAGES * PAGE)] = expect(2, i % (HEAP_PAGES * PAGE), gen);
            }
        }
        for (int k = 0; k < per_batch; k++) {
            if (next() % 2) {
                struct timespec d = {0, (long)(next() % 3000000)};
                nanosleep(&d, NULL);
                kill(kids[k], SIGKILL);
            }
        }
        int killed = 0, exited = 0;
        for (int k = 0; k < per_batch; k++) {
            int st;
            pid_t w;
            while ((w = waitpid(kids[k], &st, 0)) < 0 && errno == EINTR)
                ;
            if (w == kids[k]) {
                killed += WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL;
                exited += WIFEXITED(st) && WEXITSTATUS(st) == 3;
            }
        }
        while (waitpid(-1, NULL, WNOHANG) > 0)
            ;
        nlive = 0;
        int bad = check(gen);
        total_bad += bad;
        if (bad)
            printf("batch %d: %d bytes changed\n", gen, bad);
        (void)killed, (void)exited;
    }
    printf("%d batches: parent memory %s\n", batches, total_bad ? "CORRUPTED" : "intact");
    return total_bad != 0;
}
