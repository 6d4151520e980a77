/* Signals and threads: pthread_kill reaches the named thread (its handler runs there), a process-directed
 * signal goes to a thread that does not block it, the mask is per thread, handlers are shared by all. */
#include "conf.h"
#include <pthread.h>

static volatile pid_t handler_tid;
static volatile sig_atomic_t hits;
static void handler(int sig) { (void)sig; handler_tid = (pid_t)syscall(SYS_gettid); hits++; }

static volatile pid_t worker_tid;
static volatile int stop;
static void *worker(void *arg)
{
    int how = (int)(long)arg;    /* 0: keep the inherited mask, 1: block SIGUSR1, 2: unblock it */
    if (how) {
        sigset_t s;
        sigemptyset(&s);
        sigaddset(&s, SIGUSR1);
        pthread_sigmask(how == 1 ? SIG_BLOCK : SIG_UNBLOCK, &s, NULL);
    }
    worker_tid = (pid_t)syscall(SYS_gettid);
    while (!stop) usleep(1000);
    return NULL;
}

int main(void)
{
    signal(SIGUSR1, handler);
    pthread_t t;
    pthread_create(&t, NULL, worker, (void *)0L);
    while (!worker_tid) usleep(1000);
    SHOW("pthread_kill", pthread_kill(t, SIGUSR1));
    for (int i = 0; i < 1000 && !hits; i++) usleep(1000);
    printf("handler ran in the target thread: %d\n", handler_tid == worker_tid);
    stop = 1;
    pthread_join(t, NULL);

    /* the main thread blocks SIGUSR1 (the new thread inherits that mask and unblocks it): kill() to the
     * process reaches the worker */
    stop = 0; hits = 0; worker_tid = 0; handler_tid = 0;
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &s, NULL);
    pthread_create(&t, NULL, worker, (void *)2L);
    while (!worker_tid) usleep(1000);
    kill(getpid(), SIGUSR1);
    for (int i = 0; i < 1000 && !hits; i++) usleep(1000);
    printf("process signal handled by the unblocked thread: %d\n", hits == 1 && handler_tid == worker_tid);
    stop = 1;
    pthread_join(t, NULL);

    /* a worker that blocks it: a pthread_kill to it stays pending for that thread only */
    stop = 0; hits = 0; worker_tid = 0;
    pthread_sigmask(SIG_UNBLOCK, &s, NULL);
    pthread_create(&t, NULL, worker, (void *)1L);
    while (!worker_tid) usleep(1000);
    pthread_kill(t, SIGUSR1);
    usleep(30000);
    sigset_t pend;
    sigpending(&pend);
    printf("blocked in the target: hits %d, pending for main %d\n", hits, sigismember(&pend, SIGUSR1));
    stop = 1;
    pthread_join(t, NULL);
    printf("signal died with the thread: hits %d\n", hits);

    SHOW("pthread_kill signal 0 to self", pthread_kill(pthread_self(), 0));
    /* pthread_join returns once the kernel clears the thread's tid word, which Linux does a little before it
     * releases the thread: for a moment after the join the id may still be found.  Wait for that moment. */
    for (int i = 0; i < 100 && syscall(SYS_tgkill, getpid(), worker_tid, 0) == 0; i++) usleep(1000);
    SHOW("tgkill to a finished thread id", syscall(SYS_tgkill, getpid(), worker_tid, 0));
    return 0;
}
