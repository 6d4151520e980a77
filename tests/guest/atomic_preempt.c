/* Preemption must be invisible to the guest: threads hammer one counter with atomic read-modify-write
 * instructions (x86 `lock add`, riscv `amoadd`) while the scheduler preempts them by timer.  An emulator stop
 * that re-ran a completed instruction would show up here as a count larger than the work done. */
#include <pthread.h>
#include <stdio.h>

enum { THREADS = 4, ROUNDS = 1500000 };
static long counter;

static void *worker(void *arg) {
    for (int i = 0; i < ROUNDS; i++) __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED);
    return arg;
}

int main(void) {
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) pthread_create(&t[i], NULL, worker, NULL);
    for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
    printf("counter=%ld expected=%ld\n", counter, (long)THREADS * ROUNDS);
    return counter != (long)THREADS * ROUNDS;
}
