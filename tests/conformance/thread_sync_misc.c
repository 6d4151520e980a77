/* Barriers, read-write locks, semaphores (unnamed, futex based; sem_timedwait timeouts), pthread_once. */
#include "conf.h"
#include <pthread.h>
#include <semaphore.h>
#include <sys/mman.h>
#include <time.h>

#define N 4
static pthread_barrier_t bar;
static int serial, phase_ok = 1, phase;
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;

static void *barrier_worker(void *arg)
{
    (void)arg;
    for (int round = 0; round < 5; round++) {
        pthread_mutex_lock(&m);
        if (phase != round) phase_ok = 0;
        pthread_mutex_unlock(&m);
        int r = pthread_barrier_wait(&bar);
        if (r == PTHREAD_BARRIER_SERIAL_THREAD) {
            pthread_mutex_lock(&m);
            serial++;
            phase++;
            pthread_mutex_unlock(&m);
        }
        pthread_barrier_wait(&bar);
    }
    return NULL;
}

static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static void *try_rd(void *arg) { (void)arg; long r = pthread_rwlock_tryrdlock(&rw); if (!r) pthread_rwlock_unlock(&rw); return (void *)r; }
static void *try_wr(void *arg) { (void)arg; long r = pthread_rwlock_trywrlock(&rw); if (!r) pthread_rwlock_unlock(&rw); return (void *)r; }

static sem_t sem;
static void *poster(void *arg)
{
    (void)arg;
    for (int i = 0; i < 1000; i++) sem_post(&sem);
    return NULL;
}

static int once_calls;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static void once_fn(void) { once_calls++; }
static void *call_once(void *arg) { (void)arg; pthread_once(&once, once_fn); return NULL; }

static long run(void *(*fn)(void *))
{
    pthread_t t;
    void *r;
    pthread_create(&t, NULL, fn, NULL);
    pthread_join(t, &r);
    return (long)r;
}

int main(void)
{
    pthread_barrier_init(&bar, NULL, N);
    pthread_t t[N];
    for (int i = 0; i < N; i++) pthread_create(&t[i], NULL, barrier_worker, NULL);
    for (int i = 0; i < N; i++) pthread_join(t[i], NULL);
    printf("barrier: serial threads %d, phases in step %d\n", serial, phase_ok);

    pthread_rwlock_rdlock(&rw);
    printf("rdlock held: other reader %s, writer %s\n", errname((int)run(try_rd)), errname((int)run(try_wr)));
    pthread_rwlock_unlock(&rw);
    pthread_rwlock_wrlock(&rw);
    printf("wrlock held: reader %s, writer %s\n", errname((int)run(try_rd)), errname((int)run(try_wr)));
    pthread_rwlock_unlock(&rw);
    printf("unlocked: reader %s, writer %s\n", errname((int)run(try_rd)), errname((int)run(try_wr)));

    sem_init(&sem, 0, 0);
    int v;
    printf("sem_trywait empty: %s\n", sem_trywait(&sem) ? errname(errno) : "0");
    pthread_t p1, p2;
    pthread_create(&p1, NULL, poster, NULL);
    pthread_create(&p2, NULL, poster, NULL);
    int got = 0;
    for (int i = 0; i < 2000; i++) got += sem_wait(&sem) == 0;
    pthread_join(p1, NULL);
    pthread_join(p2, NULL);
    sem_getvalue(&sem, &v);
    printf("sem_wait x2000: %d, value after %d\n", got, v);

    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 30000000;
    if (ts.tv_nsec >= 1000000000) { ts.tv_sec++; ts.tv_nsec -= 1000000000; }
    printf("sem_timedwait empty: %s\n", sem_timedwait(&sem, &ts) ? errname(errno) : "0");
    ts.tv_nsec = 1000000000;
    printf("sem_timedwait bad timespec: %s\n", sem_timedwait(&sem, &ts) ? errname(errno) : "0");
    sem_post(&sem);
    printf("sem_timedwait posted: %s\n", sem_timedwait(&sem, &ts) ? errname(errno) : "0");

    pthread_t o[4];
    for (int i = 0; i < 4; i++) pthread_create(&o[i], NULL, call_once, NULL);
    for (int i = 0; i < 4; i++) pthread_join(o[i], NULL);
    pthread_once(&once, once_fn);
    printf("pthread_once calls: %d\n", once_calls);

    /* a process-shared semaphore in MAP_SHARED memory between processes */
    sem_t *ps = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (ps == MAP_FAILED) { printf("mmap: %s\n", errname(errno)); return 1; }
    sem_init(ps, 1, 0);
    pid_t pid = xfork();
    if (pid == 0) {
        int ok = sem_wait(ps) == 0;     /* blocks until the parent posts */
        sem_post(ps + 1 - 1);
        _exit(ok ? 0 : 1);
    }
    usleep(20000);
    sem_post(ps);
    reap("child waiting on a process-shared semaphore", pid);
    sem_getvalue(ps, &v);
    printf("value after the child posted back: %d\n", v);
    return 0;
}
