/* pthread mutexes: mutual exclusion under contention, trylock, recursive and error-checking kinds,
 * spinlocks, a lock held across a sleeping owner. */
#include "conf.h"
#include <pthread.h>

#define THREADS 4
#define ITER 2000
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;
static pthread_spinlock_t spin;
static long spin_counter;

static void *inc(void *arg)
{
    (void)arg;
    for (int i = 0; i < ITER; i++) {
        pthread_mutex_lock(&lock);
        long v = counter;
        if (i % 200 == 0) sched_yield();   /* invite a preemption while holding the lock */
        counter = v + 1;
        pthread_mutex_unlock(&lock);
        pthread_spin_lock(&spin);
        spin_counter++;
        pthread_spin_unlock(&spin);
    }
    return NULL;
}

static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
static void *try_other(void *arg)
{
    return (void *)(long)pthread_mutex_trylock((pthread_mutex_t *)arg);
}
static void *unlock_other(void *arg)
{
    return (void *)(long)pthread_mutex_unlock((pthread_mutex_t *)arg);
}

static void *sleepy_owner(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&held);
    usleep(50000);
    counter = -1;
    pthread_mutex_unlock(&held);
    return NULL;
}

#include <sched.h>
int main(void)
{
    pthread_spin_init(&spin, 0);
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) pthread_create(&t[i], NULL, inc, NULL);
    for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
    printf("counter: %ld (expected %d)\n", counter, THREADS * ITER);
    printf("spin counter: %ld\n", spin_counter);

    pthread_mutex_lock(&held);
    printf("trylock own held normal mutex: %s\n", errname(pthread_mutex_trylock(&held)));
    pthread_t o;
    void *ret;
    pthread_create(&o, NULL, try_other, &held);
    pthread_join(o, &ret);
    printf("trylock from another thread: %s\n", errname((int)(long)ret));
    pthread_mutex_unlock(&held);
    pthread_create(&o, NULL, try_other, &held);
    pthread_join(o, &ret);
    printf("trylock after unlock: %s\n", errname((int)(long)ret));
    pthread_mutex_unlock(&held);   /* the other thread exited holding it; normal mutexes do not check */

    pthread_mutexattr_t a;
    pthread_mutex_t rec, chk;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&rec, &a);
    printf("recursive lock x3: %s %s %s\n", errname(pthread_mutex_lock(&rec)), errname(pthread_mutex_lock(&rec)),
           errname(pthread_mutex_trylock(&rec)));
    pthread_create(&o, NULL, try_other, &rec);
    pthread_join(o, &ret);
    printf("recursive trylock from another thread: %s\n", errname((int)(long)ret));
    printf("recursive unlock x3: %s %s %s\n", errname(pthread_mutex_unlock(&rec)),
           errname(pthread_mutex_unlock(&rec)), errname(pthread_mutex_unlock(&rec)));
    printf("recursive unlock once more: %s\n", errname(pthread_mutex_unlock(&rec)));

    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
    pthread_mutex_init(&chk, &a);
    printf("errorcheck unlock unlocked: %s\n", errname(pthread_mutex_unlock(&chk)));
    pthread_mutex_lock(&chk);
    printf("errorcheck relock: %s\n", errname(pthread_mutex_lock(&chk)));
    pthread_create(&o, NULL, unlock_other, &chk);
    pthread_join(o, &ret);
    printf("errorcheck unlock by another thread: %s\n", errname((int)(long)ret));
    printf("errorcheck unlock by owner: %s\n", errname(pthread_mutex_unlock(&chk)));

    /* a waiter blocks while the owner sleeps */
    counter = 0;
    pthread_create(&o, NULL, sleepy_owner, NULL);
    usleep(10000);
    pthread_mutex_lock(&held);
    printf("acquired after the owner finished: %d\n", counter == -1);
    pthread_mutex_unlock(&held);
    pthread_join(o, NULL);
    return 0;
}
