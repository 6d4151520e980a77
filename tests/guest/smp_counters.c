/* Shared counters under parallelism (issue 18, SMP): N workers each add 1 ITERS times to a counter with an
 * atomic read-modify-write (x86 `lock xadd`, riscv64 `amoadd`) and to another under a mutex.  Workers are the
 * threads of one process ("threads") or processes sharing a MAP_SHARED page with a process-shared mutex
 * ("procs"), or processes that map that page (a memfd) only after the fork, so that each starts without any
 * shared memory ("late").  Any lost update shows as a total below N * ITERS.
 * usage: smp_counters threads|procs|late N ITERS */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

struct shared {
    long atomic_count;
    long locked_count;
    long cas_count;
    pthread_mutex_t lock;
};

static struct shared *sh;
static long iters;

static void work(void) {
    for (long i = 0; i < iters; i++) {
        __atomic_fetch_add(&sh->atomic_count, 1, __ATOMIC_SEQ_CST);
        long old = __atomic_load_n(&sh->cas_count, __ATOMIC_RELAXED);     /* an LR/SC or cmpxchg loop */
        while (!__atomic_compare_exchange_n(&sh->cas_count, &old, old + 1, 1, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
            ;
        pthread_mutex_lock(&sh->lock);
        sh->locked_count++;
        pthread_mutex_unlock(&sh->lock);
    }
}

static void *thread_main(void *arg) {
    (void)arg;
    work();
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s threads|procs N ITERS\n", argv[0]);
        return 2;
    }
    int n = atoi(argv[2]);
    iters = atol(argv[3]);
    int late = strcmp(argv[1], "late") == 0;
    int procs = late || strcmp(argv[1], "procs") == 0;
    int memfd = -1;
    if (late) {
        memfd = memfd_create("smp_counters", 0);
        if (memfd < 0 || ftruncate(memfd, 4096) != 0) {
            perror("memfd");
            return 1;
        }
    }
    sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | (late ? 0 : MAP_ANONYMOUS), memfd, 0);
    if (sh == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    if (procs)
        pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    pthread_mutex_init(&sh->lock, &attr);
    if (late)
        munmap(sh, sizeof *sh);                  /* the children map it themselves, after the fork */
    if (procs) {
        for (int i = 0; i < n; i++) {
            pid_t pid = fork();
            if (pid < 0) {
                perror("fork");
                return 1;
            }
            if (pid == 0) {
                if (late) {
                    for (volatile long spin = 0; spin < 200000; spin++)   /* computing before it shares */
                        ;
                    sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
                    if (sh == MAP_FAILED)
                        _exit(1);
                }
                work();
                _exit(0);
            }
        }
        int status, ok = 0;
        while (wait(&status) > 0)
            ok += WIFEXITED(status) && WEXITSTATUS(status) == 0;
        printf("children ok: %d of %d\n", ok, n);
        if (late)
            sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
    } else {
        pthread_t tids[64];
        for (int i = 0; i < n && i < 64; i++)
            pthread_create(&tids[i], NULL, thread_main, NULL);
        for (int i = 0; i < n && i < 64; i++)
            pthread_join(tids[i], NULL);
    }
    long want = (long)n * iters;
    printf("%s x%d: atomic %ld, cas %ld, mutex %ld of %ld: %s\n", argv[1], n, sh->atomic_count, sh->cas_count,
           sh->locked_count, want,
           sh->atomic_count == want && sh->cas_count == want && sh->locked_count == want ? "exact" : "LOST");
    return 0;
}
