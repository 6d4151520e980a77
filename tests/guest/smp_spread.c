/* Two computing processes on a machine of two or more CPUs (issue 18, SMP): the kernel spreads them, so between
 * them they run on more than one CPU.  Each child reports the CPUs it saw (sched_getcpu) as its exit status.
 * usage: smp_spread ITERS */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    long iters = argc > 1 ? atol(argv[1]) : 50000000;
    int seen = 0;
    for (int i = 0; i < 2; i++) {
        if (fork() == 0) {
            int mine = 0;
            volatile unsigned long x = 0;
            for (long j = 0; j < iters; j++) {
                x += (unsigned long)j * j;
                if ((j & 0xffff) == 0)
                    mine |= 1 << (sched_getcpu() & 7);
            }
            _exit(mine);
        }
    }
    int status;
    while (wait(&status) > 0)
        if (WIFEXITED(status))
            seen |= WEXITSTATUS(status);
    printf("cpus used:");
    for (int cpu = 0; cpu < 8; cpu++)
        if (seen & 1 << cpu)
            printf(" %d", cpu);
    printf("\n");
    return 0;
}
