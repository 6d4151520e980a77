/* pthread_create/join/detach/exit: return values, distinct thread ids sharing one pid, arguments, joining a
 * finished thread, detached threads, small stacks, many short-lived threads, pthread_exit from main. */
// exit: 3
#include "conf.h"
#include <pthread.h>

#define N 8
static pid_t tids[N];
static int results[N];

static void *worker(void *arg)
{
    long i = (long)arg;
    tids[i] = (pid_t)syscall(SYS_gettid);
    results[i] = (int)(i * i);
    return (void *)(i + 100);
}

static void *exits_early(void *arg)
{
    (void)arg;
    pthread_exit((void *)42);
    return NULL;
}

static volatile int detached_ran;
static void *detached(void *arg)
{
    (void)arg;
    detached_ran = 1;
    return NULL;
}

static void *last_one(void *arg)
{
    (void)arg;
    usleep(50000);   /* the main thread has called pthread_exit by now; the process lives on */
    printf("last thread still running after main's pthread_exit\n");
    exit(3);         /* the process ends with this thread's exit() */
}

int main(void)
{
    pthread_t t[N];
    for (long i = 0; i < N; i++)
        if (pthread_create(&t[i], NULL, worker, (void *)i)) { printf("pthread_create failed\n"); return 1; }
    long sum = 0;
    for (int i = 0; i < N; i++) {
        void *ret;
        pthread_join(t[i], &ret);
        sum += (long)ret;
    }
    printf("join return values sum: %ld\n", sum);
    int distinct = 1;
    for (int i = 0; i < N; i++)
        for (int j = i + 1; j < N; j++) distinct &= tids[i] != tids[j];
    for (int i = 0; i < N; i++) distinct &= tids[i] != getpid() && tids[i] > 0;
    printf("thread ids distinct and not the pid: %d\n", distinct);
    int r = 0;
    for (int i = 0; i < N; i++) r += results[i];
    printf("results: %d\n", r);

    pthread_t e;
    pthread_create(&e, NULL, exits_early, NULL);
    usleep(20000);   /* let it finish before the join */
    void *ret;
    printf("join finished thread: %s, value %ld\n", errname(pthread_join(e, &ret)), (long)ret);

    pthread_t d;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_create(&d, &attr, detached, NULL);
    for (int i = 0; i < 1000 && !detached_ran; i++) usleep(1000);
    printf("detached thread ran: %d\n", detached_ran);

    pthread_t s;

    /* a small stack size still works */
    pthread_attr_init(&attr);
    printf("setstacksize 64k: %s\n", errname(pthread_attr_setstacksize(&attr, 65536)));
    pthread_create(&s, &attr, worker, (void *)0);
    pthread_join(s, &ret);
    printf("small-stack thread returned %ld\n", (long)ret);

    /* many short-lived threads, a few at a time */
    int created = 0;
    for (int round = 0; round < 25; round++) {
        pthread_t b[4];
        for (long i = 0; i < 4; i++) created += pthread_create(&b[i], NULL, worker, (void *)i) == 0;
        for (int i = 0; i < 4; i++) pthread_join(b[i], NULL);
    }
    printf("short-lived threads created: %d\n", created);

    pthread_create(&s, NULL, last_one, NULL);
    pthread_exit((void *)7);
}
