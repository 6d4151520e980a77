/* The book, chapter 2: TLB refills after a context switch.  Two processes (a fork) and then two threads of one
 * process take turns through a pair of pipes; at each turn the one that runs reads one byte of each of its
 * PAGES pages.  A switch between the processes changes the address space and flushes the TLB, so each turn
 * refills at least PAGES translations; a switch between the threads keeps the TLB. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGES 64
#define ROUNDS 10

static volatile char *area;
static int ping[2], pong[2];

static long touch(void) {
    long sum = 0;
    for (int i = 0; i < PAGES; i++)
        sum += area[i * 4096];
    return sum;
}

static void turns(int in, int out, int first) {
    char c = 0;
    for (int r = 0; r < ROUNDS; r++) {
        if (!first || r > 0)
            if (read(in, &c, 1) != 1) exit(1);
        touch();
        if (write(out, &c, 1) != 1) exit(1);
    }
}

static void *second_thread(void *arg) {
    (void)arg;
    turns(pong[0], ping[1], 0);
    return NULL;
}

int main(void) {
    area = mmap(NULL, PAGES * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    for (int i = 0; i < PAGES; i++)
        area[i * 4096] = 1;                          /* the pages exist before the fork: no faults later */
    if (pipe(ping) || pipe(pong)) return 1;
    pid_t child = fork();
    if (child == 0) {
        turns(ping[0], pong[1], 0);
        return 0;
    }
    turns(pong[0], ping[1], 1);
    char c;
    if (read(pong[0], &c, 1) != 1) return 1;         /* the child's last turn */
    int status;
    waitpid(child, &status, 0);
    printf("processes: %d turns each\n", ROUNDS);
    pthread_t t;
    pthread_create(&t, NULL, second_thread, NULL);
    turns(ping[0], pong[1], 1);
    pthread_join(t, NULL);
    printf("threads: %d turns each\n", ROUNDS);
    return 0;
}
