/* gdb_threads: two threads besides main, for `info threads` under `pynix run --gdb` (tests/test_gdb.py). */
#include <pthread.h>
#include <stdio.h>

volatile int go;

static void *worker(void *arg)
{
    while (!go)
        ;
    return arg;
}

int rendezvous(int n)
{
    return n * 2;
}

int main(void)
{
    pthread_t threads[2];
    for (long i = 0; i < 2; i++)
        pthread_create(&threads[i], NULL, worker, (void *)i);
    int r = rendezvous(21);
    go = 1;
    for (int i = 0; i < 2; i++)
        pthread_join(threads[i], NULL);
    printf("r=%d\n", r);
    return 0;
}
