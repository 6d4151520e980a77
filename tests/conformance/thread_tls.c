/* Thread-local storage: __thread variables start with their initial values in every thread and are private;
 * pthread keys with destructors; errno is per thread. */
#include "conf.h"
#include <pthread.h>

static __thread int tls_init = 1234;
static __thread long tls_zero;
static __thread char tls_array[64] = "initial";
static pthread_key_t key;
static int destructor_calls;
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;

static void destructor(void *v)
{
    pthread_mutex_lock(&m);
    destructor_calls += (int)(long)v;
    pthread_mutex_unlock(&m);
}

static void *worker(void *arg)
{
    long i = (long)arg;
    int ok = tls_init == 1234 && tls_zero == 0 && !strcmp(tls_array, "initial");
    tls_init = (int)i;
    tls_zero = i * 10;
    snprintf(tls_array, sizeof tls_array, "thread %ld", i);
    pthread_setspecific(key, (void *)(i + 1));
    errno = (int)i + 1;
    usleep(10000);   /* everybody has written its copy by now */
    ok &= tls_init == i && tls_zero == i * 10 && errno == (int)i + 1;
    char expect[64];
    snprintf(expect, sizeof expect, "thread %ld", i);
    ok &= !strcmp(tls_array, expect);
    ok &= (long)pthread_getspecific(key) == i + 1;
    return (void *)(long)ok;
}

int main(void)
{
    printf("main initial: %d %ld %s\n", tls_init, tls_zero, tls_array);
    printf("key create: %s\n", errname(pthread_key_create(&key, destructor)));
    printf("getspecific unset: %d\n", pthread_getspecific(key) == NULL);
    tls_init = -1;
    pthread_t t[5];
    for (long i = 0; i < 5; i++) pthread_create(&t[i], NULL, worker, (void *)i);
    int good = 0;
    for (int i = 0; i < 5; i++) {
        void *r;
        pthread_join(t[i], &r);
        good += (int)(long)r;
    }
    printf("threads with private, initialised TLS: %d\n", good);
    printf("main unchanged: %d %ld %s\n", tls_init, tls_zero, tls_array);
    printf("destructor calls sum: %d\n", destructor_calls);
    printf("key delete: %s\n", errname(pthread_key_delete(key)));

    /* TLS survives fork: the child sees the parent's thread's values */
    tls_zero = 77;
    pid_t pid = xfork();
    if (pid == 0) _exit(tls_zero == 77 && tls_init == -1 ? 0 : 1);
    reap("child sees the forking thread's TLS", pid);
    return 0;
}
