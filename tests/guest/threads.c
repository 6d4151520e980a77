/* pthreads: 8 threads on a mutex-protected counter, join values, thread-local storage, a condition variable
 * handshake, distinct tids, and a futex wait that times out. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include <linux/futex.h>
#include <sys/syscall.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static long counter;
static int turn;
static __thread int tls_value = 42;
static pid_t tids[8];

static void *worker(void *arg) {
    long id = (long)arg;
    tls_value = (int)id;
    tids[id] = (pid_t)syscall(SYS_gettid);
    for (int i = 0; i < 20000; i++) {
        pthread_mutex_lock(&lock);
        counter++;
        pthread_mutex_unlock(&lock);
    }
    return (void *)(id * 10 + (tls_value == id));
}

static void *pong(void *arg) {
    for (int i = 0; i < 100; i++) {
        pthread_mutex_lock(&lock);
        while (turn != 1) pthread_cond_wait(&cond, &lock);
        turn = 0;
        pthread_cond_signal(&cond);
        pthread_mutex_unlock(&lock);
    }
    return arg;
}

int main(void) {
    pthread_t t[8];
    for (long i = 0; i < 8; i++) pthread_create(&t[i], NULL, worker, (void *)i);
    long sum = 0;
    for (int i = 0; i < 8; i++) {
        void *r;
        pthread_join(t[i], &r);
        sum += (long)r;
    }
    int distinct = 1;
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < i; j++)
            if (tids[i] == tids[j] || tids[i] == getpid()) distinct = 0;
    printf("counter=%ld joined=%ld main_tls=%d distinct_tids=%d\n", counter, sum, tls_value, distinct);

    pthread_t p;
    pthread_create(&p, NULL, pong, NULL);
    for (int i = 0; i < 100; i++) {
        pthread_mutex_lock(&lock);
        turn = 1;
        pthread_cond_signal(&cond);
        while (turn != 0) pthread_cond_wait(&cond, &lock);
        pthread_mutex_unlock(&lock);
    }
    pthread_join(p, NULL);
    printf("condvar ping-pong done\n");

    int word = 0;
    struct timespec ts = {0, 20 * 1000 * 1000};
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    long r = syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, &ts, NULL, 0);
    int e = errno;
    clock_gettime(CLOCK_MONOTONIC, &b);
    long ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
    printf("futex timeout: %ld %s waited>=20ms:%d\n", r, e == ETIMEDOUT ? "ETIMEDOUT" : "?", ms >= 19);
    r = syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 1, &ts, NULL, 0);
    printf("futex value mismatch: %ld %s\n", r, errno == EAGAIN ? "EAGAIN" : "?");
    return 0;
}
