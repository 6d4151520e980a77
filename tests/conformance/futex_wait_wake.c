/* futex(2) directly: FUTEX_WAIT returns EAGAIN when the word differs, FUTEX_WAKE returns how many it woke,
 * wakes respect the count, private and shared futexes, bitsets, requeue, argument errors. */
#include "conf.h"
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <limits.h>
#include <sys/mman.h>

static long futex(void *uaddr, int op, uint32_t val, const struct timespec *ts, void *uaddr2, uint32_t val3)
{
    return syscall(SYS_futex, uaddr, op, val, ts, uaddr2, val3);
}

static _Atomic uint32_t word, word2;
static _Atomic int asleep, woken;

static void *waiter(void *arg)
{
    int op = (int)(long)arg;
    atomic_fetch_add(&asleep, 1);
    while (atomic_load(&word) == 0) {
        long r = futex(&word, op, 0, NULL, NULL, FUTEX_BITSET_MATCH_ANY);
        if (r == -1 && errno != EAGAIN && errno != EINTR) { printf("FUTEX_WAIT: %s\n", errname(errno)); break; }
    }
    atomic_fetch_add(&woken, 1);
    return NULL;
}

/* FUTEX_WAKE until `woken` reaches `target` (a waiter that has not gone to sleep yet sees the changed word
 * and leaves without sleeping); returns the sum of the FUTEX_WAKE results */
static long wake_until(uint32_t *addr, int op, int target)
{
    long total = 0;
    for (int i = 0; i < 2000 && atomic_load(&woken) < target; i++) {
        long r = futex(addr, op, INT32_MAX, NULL, NULL, FUTEX_BITSET_MATCH_ANY);
        if (r > 0) total += r;
        else usleep(1000);
    }
    return total;
}

int main(void)
{
    uint32_t v = 5;
    SHOW("WAIT on a different value", futex(&v, FUTEX_WAIT, 4, NULL, NULL, 0));
    SHOW("WAIT private on a different value", futex(&v, FUTEX_WAIT_PRIVATE, 4, NULL, NULL, 0));
    SHOW("WAKE with no waiters", futex(&v, FUTEX_WAKE, 1, NULL, NULL, 0));
    SHOW("WAKE unaligned", futex((char *)&v + 1, FUTEX_WAKE, 1, NULL, NULL, 0));
    SHOW("WAIT unaligned", futex((char *)&v + 1, FUTEX_WAIT, 5, NULL, NULL, 0));
    SHOW("WAIT on a bad address", futex((void *)16, FUTEX_WAIT, 0, NULL, NULL, 0));
    SHOW("unknown op", futex(&v, 99, 0, NULL, NULL, 0));
    SHOW("WAIT_BITSET with bitset 0", futex(&v, FUTEX_WAIT_BITSET, 5, NULL, NULL, 0));
    SHOW("WAKE_BITSET with bitset 0", futex(&v, FUTEX_WAKE_BITSET, 1, NULL, NULL, 0));

    /* three waiters; wake exactly one, then the rest */
    pthread_t t[3];
    for (int i = 0; i < 3; i++) pthread_create(&t[i], NULL, waiter, (void *)(long)FUTEX_WAIT_PRIVATE);
    while (atomic_load(&asleep) < 3) usleep(1000);
    usleep(20000);
    long one = 0;
    for (int i = 0; i < 2000 && one == 0; i++) {
        one = futex(&word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
        if (!one) usleep(1000);
    }
    printf("WAKE 1 woke: %ld\n", one);
    usleep(20000);
    printf("still sleeping (the word is 0 so the woken one waits again): %d\n", atomic_load(&woken) == 0);
    atomic_store(&word, 1);
    wake_until((uint32_t *)&word, FUTEX_WAKE_PRIVATE, 3);
    for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
    printf("all woken: %d\n", atomic_load(&woken));

    /* bitsets: a wake with a disjoint bitset wakes nobody */
    atomic_store(&word, 0);
    atomic_store(&asleep, 0);
    atomic_store(&woken, 0);
    pthread_create(&t[0], NULL, waiter, (void *)(long)FUTEX_WAIT_BITSET_PRIVATE);   /* waits with MATCH_ANY */
    while (atomic_load(&asleep) < 1) usleep(1000);
    usleep(20000);
    long r = 0;
    for (int i = 0; i < 2000 && r == 0; i++) {     /* the waiter is asleep: a wake finds it eventually */
        r = futex(&word, FUTEX_WAKE_BITSET_PRIVATE, 1, NULL, NULL, 0x0f);
        if (!r) usleep(1000);
    }
    printf("WAKE_BITSET 0x0f woke a MATCH_ANY waiter: %ld\n", r);
    atomic_store(&word, 1);
    wake_until((uint32_t *)&word, FUTEX_WAKE_PRIVATE, 1);
    pthread_join(t[0], NULL);

    /* requeue: two waiters on `word`, move them to `word2`, then wake word2 */
    atomic_store(&word, 0);
    atomic_store(&asleep, 0);
    atomic_store(&woken, 0);
    for (int i = 0; i < 2; i++) pthread_create(&t[i], NULL, waiter, (void *)(long)FUTEX_WAIT_PRIVATE);
    while (atomic_load(&asleep) < 2) usleep(1000);
    usleep(30000);
    SHOW("CMP_REQUEUE with a stale value", futex(&word, FUTEX_CMP_REQUEUE_PRIVATE, 0, (void *)1L, &word2, 7));
    long moved = futex(&word, FUTEX_CMP_REQUEUE_PRIVATE, 0, (void *)(long)2, &word2, 0);
    printf("CMP_REQUEUE woke 0 and moved: %ld\n", moved);
    SHOW("WAKE on the old word after requeue", futex(&word, FUTEX_WAKE_PRIVATE, 10, NULL, NULL, 0));
    atomic_store(&word, 1);
    printf("WAKE on the new word: %ld\n", futex(&word2, FUTEX_WAKE_PRIVATE, 10, NULL, NULL, 0));
    wake_until((uint32_t *)&word, FUTEX_WAKE_PRIVATE, 2);
    for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);

    /* a shared futex between processes */
    uint32_t *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (shared == MAP_FAILED) { printf("mmap: %s\n", errname(errno)); return 1; }
    pid_t pid = xfork();
    if (pid == 0) {
        while (__atomic_load_n(shared, __ATOMIC_SEQ_CST) == 0) futex(shared, FUTEX_WAIT, 0, NULL, NULL, 0);
        _exit((int)__atomic_load_n(shared, __ATOMIC_SEQ_CST));
    }
    usleep(30000);
    __atomic_store_n(shared, 9, __ATOMIC_SEQ_CST);
    int st = 0;
    for (int i = 0; i < 2000; i++) {     /* wake until the child has gone (it may not have slept yet) */
        futex(shared, FUTEX_WAKE, 1, NULL, NULL, 0);
        if (waitpid(pid, &st, WNOHANG) == pid) break;
        usleep(1000);
    }
    printf("child waiting on a shared futex: %s\n", status_text(st));
    return 0;
}
