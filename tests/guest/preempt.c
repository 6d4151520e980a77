/* Preemption: a thread busy-waits for a flag that another thread sets after sleeping, and a parent runs while
 * its forked child spins forever (the parent then exits, taking the machine down with it as init). */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static volatile int flag;

static void *setter(void *arg) {
    struct timespec t = {0, 20 * 1000 * 1000};
    nanosleep(&t, NULL);
    flag = 1;
    return arg;
}

int main(void) {
    pthread_t t;
    pthread_create(&t, NULL, setter, NULL);
    while (!flag) {}
    pthread_join(t, NULL);
    printf("spinner saw the flag\n");
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        for (volatile long x = 0;; x++) {}
    }
    struct timespec ts = {0, 50 * 1000 * 1000};
    nanosleep(&ts, NULL);
    printf("parent ran while a child spins\n");
    fflush(stdout);
    kill(pid, 9);
    _exit(0);
}
