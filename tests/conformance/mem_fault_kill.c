/* Faults without handlers kill the process with the signal Linux chooses: SIGSEGV for a NULL read, a write
 * to a read-only mapping or to a string literal, SIGSEGV for a stack overflow, SIGILL/SIGTRAP for traps,
 * SIGFPE for an integer division by zero on x86_64 (riscv64 division never traps: the child prints -1). */
#include "conf.h"
#include <sys/mman.h>

static volatile int zero = 0;

static int recurse(int n)
{
    volatile char buf[4096];
    buf[0] = (char)n;
    return recurse(n + 1) + buf[0];
}

static void run(const char *label, int which)
{
    pid_t pid = xfork();
    if (pid == 0) {
        switch (which) {
        case 0: (void)*(volatile int *)0; break;
        case 1: { char *s = (char *)"literal"; *(volatile char *)s = 'L'; break; }
        case 2: recurse(0); break;
        case 3: __builtin_trap(); break;
        case 4: (void)*(volatile int *)(~0UL << 47); break;   /* a kernel-half address */
        case 5: { volatile int a = 1; printf("quotient %d\n", a / zero); break; }
        }
        _exit(99);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    if (which == 3)   /* __builtin_trap: ud2 on x86_64 (SIGILL), an illegal instruction or ebreak on riscv */
        printf("%s: %s\n", label, WIFSIGNALED(st) && (WTERMSIG(st) == SIGILL || WTERMSIG(st) == SIGTRAP) ?
               "killed by a trap signal" : status_text(st));
    else
        printf("%s: %s\n", label, status_text(st));
}

int main(void)
{
    run("null read", 0);
    run("write to a string literal", 1);
    run("stack overflow", 2);
    run("trap instruction", 3);
    run("kernel address", 4);
    run("divide by zero", 5);
    return 0;
}
