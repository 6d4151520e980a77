/* futex2: futex_wait / futex_wake / futex_requeue (Linux 6.7+): a thread woken through a mask, a timeout on
   CLOCK_MONOTONIC, requeueing, and the argument checks.  Output through write(2) only. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "errname.h"
#include "say.h"

#define RES(r) ((r) < 0 ? errname(errno) : "ok")
#define NR_WAKE 454
#define NR_WAIT 455
#define NR_REQUEUE 456
#define NR_WAITV 449
#define U32 2
#define PRIVATE 128

struct waitv { uint64_t val, uaddr; uint32_t flags, reserved; };

static uint32_t word, other;
static volatile int woke;

static long fwait(uint32_t *addr, uint64_t val, uint64_t mask, unsigned flags, struct timespec *ts, int clk)
{
    return syscall(NR_WAIT, addr, val, mask, flags, ts, clk);
}
static long fwake(uint32_t *addr, uint64_t mask, int nr, unsigned flags)
{
    return syscall(NR_WAKE, addr, mask, nr, flags);
}

static void *waiter(void *arg)
{
    long r = fwait(&word, 0, (uintptr_t)arg, U32 | PRIVATE, NULL, 0);
    say("waiter mask %#lx: %s\n", (unsigned long)(uintptr_t)arg, RES(r));
    __atomic_add_fetch(&woke, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

static struct waitv pair[2];
static long waitv_result;
static void *waitv_thread(void *arg)
{
    (void)arg;
    waitv_result = syscall(NR_WAITV, pair, 2, 0, NULL, 0);
    return NULL;
}

static long waiting_after(int n)   /* let the waiters get to sleep */
{
    (void)n;
    usleep(200000);
    return 0;
}

int main(void)
{
    say("wait, word differs: %s\n", RES(fwait(&word, 1, ~0u, U32, NULL, 0)));
    say("wait, size u8: %s\n", RES(fwait(&word, 0, ~0u, 0, NULL, 0)));
    say("wait, size u64: %s\n", RES(fwait(&word, 0, ~0u, 3, NULL, 0)));
    say("wait, unknown flag: %s\n", RES(fwait(&word, 0, ~0u, U32 | 0x100, NULL, 0)));
    say("wait, mask 0: %s\n", RES(fwait(&word, 0, 0, U32, NULL, 0)));
    say("wait, val past 32 bits: %s\n", RES(fwait(&word, 1ull << 32, ~0u, U32, NULL, 0)));
    say("wait, misaligned: %s\n", RES(fwait((uint32_t *)((char *)&word + 1), 0, ~0u, U32, NULL, 0)));
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_nsec += 50000000;
    if (ts.tv_nsec >= 1000000000) { ts.tv_sec++; ts.tv_nsec -= 1000000000; }
    say("wait, monotonic timeout: %s\n", RES(fwait(&word, 0, ~0u, U32, &ts, CLOCK_MONOTONIC)));
    say("wait, bad clock: %s\n", RES(fwait(&word, 0, ~0u, U32, &ts, CLOCK_PROCESS_CPUTIME_ID)));
    struct timespec bad = {0, 2000000000};
    say("wait, bad timeout: %s\n", RES(fwait(&word, 0, ~0u, U32, &bad, CLOCK_MONOTONIC)));
    say("wake nobody: %ld\n", fwake(&word, ~0u, 1, U32));
    say("wake, mask 0: %s\n", RES(fwake(&word, 0, 1, U32)));
    say("wake, size u16: %s\n", RES(fwake(&word, ~0u, 1, 1)));

    pthread_t a, b;
    pthread_create(&a, NULL, waiter, (void *)(uintptr_t)0x1);
    pthread_create(&b, NULL, waiter, (void *)(uintptr_t)0x2);
    waiting_after(2);
    long n = fwake(&word, 0x2, 10, U32 | PRIVATE);
    while (woke < 1)
        usleep(1000);
    say("wake mask 0x2: %ld\n", n);
    n = fwake(&word, 0x1, 0, U32 | PRIVATE);
    say("wake 0 waiters: %ld\n", n);
    n = fwake(&word, ~0u, 10, U32 | PRIVATE);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    say("wake the rest: %ld\n", n);

    /* requeue: three waiters on word, wake one, move two to other, then wake those */
    woke = 0;
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&t[i], NULL, waiter, (void *)(uintptr_t)0xff);
    waiting_after(3);
    struct waitv w[2] = {{0, (uintptr_t)&word, U32 | PRIVATE, 0}, {0, (uintptr_t)&other, U32 | PRIVATE, 0}};
    w[0].val = 5;
    say("requeue, value differs: %s\n", RES(syscall(NR_REQUEUE, w, 0, 1, 2)));
    w[0].val = 0;
    say("requeue, flags: %s\n", RES(syscall(NR_REQUEUE, w, 1, 1, 2)));
    w[1].reserved = 1;
    say("requeue, reserved: %s\n", RES(syscall(NR_REQUEUE, w, 0, 1, 2)));
    w[1].reserved = 0;
    n = syscall(NR_REQUEUE, w, 0, 1, 2);
    while (woke < 1)
        usleep(1000);
    say("requeue: %ld\n", n);
    say("wake on the old word: %ld\n", fwake(&word, ~0u, 10, U32 | PRIVATE));
    n = fwake(&other, ~0u, 10, U32 | PRIVATE);
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    say("wake on the new word: %ld\n", n);

    /* futex_waitv: the index of the futex that woke the waiter */
    struct waitv two[2] = {{0, (uintptr_t)&word, U32 | PRIVATE, 0}, {0, (uintptr_t)&other, U32 | PRIVATE, 0}};
    say("waitv nr 0: %s\n", RES(syscall(NR_WAITV, two, 0, 0, NULL, 0)));
    say("waitv nr 129: %s\n", RES(syscall(NR_WAITV, two, 129, 0, NULL, 0)));
    say("waitv flags: %s\n", RES(syscall(NR_WAITV, two, 2, 1, NULL, 0)));
    two[1].val = 3;
    say("waitv value differs: %s\n", RES(syscall(NR_WAITV, two, 2, 0, NULL, 0)));
    two[1].val = 0;
    two[0].flags = 3;
    say("waitv u64: %s\n", RES(syscall(NR_WAITV, two, 2, 0, NULL, 0)));
    two[0].flags = U32 | PRIVATE;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_nsec += 50000000;
    if (ts.tv_nsec >= 1000000000) { ts.tv_sec++; ts.tv_nsec -= 1000000000; }
    say("waitv timeout: %s\n", RES(syscall(NR_WAITV, two, 2, 0, &ts, CLOCK_MONOTONIC)));
    memcpy(pair, two, sizeof pair);
    pthread_t wt;
    pthread_create(&wt, NULL, waitv_thread, NULL);
    waiting_after(1);
    n = fwake(&other, ~0u, 1, U32 | PRIVATE);
    pthread_join(wt, NULL);
    say("waitv woken through the second word: wake %ld, index %ld\n", n, waitv_result);
    say("nobody left on the first: %ld\n", fwake(&word, ~0u, 1, U32 | PRIVATE));
    say("ALL DONE\n");
    return 0;
}
