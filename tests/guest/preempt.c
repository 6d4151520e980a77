/* Preemption: a thread busy-waits for a flag that another thread sets after sleeping; a process wakes a child
 * blocked in read() and then busy-waits for what the child does (it was alone on the CPU until it woke the
 * child); and a parent runs while its forked child spins forever (the parent then exits, taking the machine
 * down with it as init). */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>
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

    volatile int *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    int p[2];
    if (shared == MAP_FAILED || pipe(p))
        return 1;
    pid_t woken = fork();
    if (woken == 0) {
        char c;
        if (read(p[0], &c, 1) == 1)
            *shared = 1;
        _exit(0);
    }
    struct timespec nap = {0, 20 * 1000 * 1000};
    nanosleep(&nap, NULL);                /* the child is asleep in read() by now */
    if (write(p[1], "x", 1) != 1)
        return 1;
    while (!*shared) {}
    waitpid(woken, NULL, 0);
    printf("a woken child ran while its waker spins\n");
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
