/* Condition variables: a bounded producer/consumer queue, broadcast to many waiters, timed waits that time out
 * (CLOCK_REALTIME and CLOCK_MONOTONIC) and that are signalled in time. */
#include "conf.h"
#include <pthread.h>
#include <time.h>

#define QSIZE 4
#define ITEMS 500
static int queue[QSIZE], head, tail, count;
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_full = PTHREAD_COND_INITIALIZER, not_empty = PTHREAD_COND_INITIALIZER;

static void *producer(void *arg)
{
    long base = (long)arg;
    for (int i = 0; i < ITEMS; i++) {
        pthread_mutex_lock(&m);
        while (count == QSIZE) pthread_cond_wait(&not_full, &m);
        queue[tail] = (int)(base + i);
        tail = (tail + 1) % QSIZE;
        count++;
        pthread_cond_signal(&not_empty);
        pthread_mutex_unlock(&m);
    }
    return NULL;
}

static void *consumer(void *arg)
{
    long sum = 0;
    for (int i = 0; i < ITEMS; i++) {
        pthread_mutex_lock(&m);
        while (count == 0) pthread_cond_wait(&not_empty, &m);
        sum += queue[head];
        head = (head + 1) % QSIZE;
        count--;
        pthread_cond_signal(&not_full);
        pthread_mutex_unlock(&m);
    }
    *(long *)arg = sum;
    return NULL;
}

static pthread_cond_t go = PTHREAD_COND_INITIALIZER;
static int started, released, woke;
static void *waiter(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&m);
    started++;
    while (!released) pthread_cond_wait(&go, &m);
    woke++;
    pthread_mutex_unlock(&m);
    return NULL;
}

static double since(struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (t1.tv_sec - t0->tv_sec) + (t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void add_ms(struct timespec *ts, int ms)
{
    ts->tv_nsec += (long)ms * 1000000;
    ts->tv_sec += ts->tv_nsec / 1000000000;
    ts->tv_nsec %= 1000000000;
}

static pthread_cond_t late = PTHREAD_COND_INITIALIZER;
static int flag;
static void *signaller(void *arg)
{
    (void)arg;
    usleep(30000);
    pthread_mutex_lock(&m);
    flag = 1;
    pthread_cond_signal(&late);
    pthread_mutex_unlock(&m);
    return NULL;
}

int main(void)
{
    pthread_t p1, p2, c1, c2;
    long s1 = 0, s2 = 0;
    pthread_create(&c1, NULL, consumer, &s1);
    pthread_create(&c2, NULL, consumer, &s2);
    pthread_create(&p1, NULL, producer, (void *)0L);
    pthread_create(&p2, NULL, producer, (void *)100000L);
    pthread_join(p1, NULL); pthread_join(p2, NULL); pthread_join(c1, NULL); pthread_join(c2, NULL);
    printf("consumed sum: %ld (expected %ld)\n", s1 + s2, 2L * (ITEMS * (ITEMS - 1) / 2) + 100000L * ITEMS);

    pthread_t w[6];
    for (int i = 0; i < 6; i++) pthread_create(&w[i], NULL, waiter, NULL);
    for (;;) {
        pthread_mutex_lock(&m);
        int s = started;
        pthread_mutex_unlock(&m);
        if (s == 6) break;
        usleep(1000);
    }
    pthread_mutex_lock(&m);
    released = 1;
    pthread_cond_broadcast(&go);
    pthread_mutex_unlock(&m);
    for (int i = 0; i < 6; i++) pthread_join(w[i], NULL);
    printf("broadcast woke: %d\n", woke);

    struct timespec t0, deadline;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    clock_gettime(CLOCK_REALTIME, &deadline);
    add_ms(&deadline, 50);
    pthread_mutex_lock(&m);
    int err = pthread_cond_timedwait(&late, &m, &deadline);
    pthread_mutex_unlock(&m);
    double el = since(&t0);
    printf("timedwait (realtime) with nobody signalling: %s, waited >= 45 ms: %d, < 2 s: %d\n", errname(err),
           el >= 0.045, el < 2.0);

    pthread_condattr_t ca;
    pthread_cond_t mono;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&mono, &ca);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    deadline = t0;
    add_ms(&deadline, 50);
    pthread_mutex_lock(&m);
    err = pthread_cond_timedwait(&mono, &m, &deadline);
    pthread_mutex_unlock(&m);
    el = since(&t0);
    printf("timedwait (monotonic): %s, waited >= 45 ms: %d\n", errname(err), el >= 0.045);

    pthread_t s;
    clock_gettime(CLOCK_REALTIME, &deadline);
    add_ms(&deadline, 5000);
    pthread_create(&s, NULL, signaller, NULL);
    pthread_mutex_lock(&m);
    err = 0;
    while (!flag && err == 0) err = pthread_cond_timedwait(&late, &m, &deadline);
    pthread_mutex_unlock(&m);
    pthread_join(s, NULL);
    printf("timedwait signalled in time: %s, flag %d\n", errname(err), flag);

    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec -= 1;
    pthread_mutex_lock(&m);
    err = pthread_cond_timedwait(&late, &m, &deadline);
    pthread_mutex_unlock(&m);
    printf("timedwait with a past deadline: %s\n", errname(err));
    return 0;
}
