/* clone and clone3 flag combinations, as Linux's copy_process and clone3_args_valid accept or refuse them:
 * a thread (CLONE_THREAD) needs CLONE_SIGHAND, which needs CLONE_VM; legacy clone ignores the exit signal of a
 * thread, clone3 refuses one for CLONE_THREAD or CLONE_PARENT, and refuses CSIGNAL bits and CLONE_DETACHED in
 * its flags.  The accepted combinations really create the thread or process. */
#define _GNU_SOURCE
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"

static volatile int ran;
static volatile long child_pid;

static int process_main(void *arg)
{
    (void)arg;
    child_pid = syscall(SYS_getpid);
    ran = 1;
    return 0;
}

/* The raw clone system call with a new stack, whose child sets *flag and ends with exit(2) at once (no C runs
 * on the child's stack; a libc wrapper may refuse CLONE_THREAD, as musl's does). */
static long clone_flag_then_exit(unsigned long flags, void *stack, volatile int *flag)
{
#if defined(__x86_64__)
    long ret;
    register long r10 __asm__("r10") = 0, r8 __asm__("r8") = 0;
    __asm__ __volatile__("syscall\n test %%rax, %%rax\n jnz 1f\n"
                         "movl $1, (%%rbx)\n movl $60, %%eax\n xorl %%edi, %%edi\n syscall\n 1:\n"
                         : "=a"(ret)
                         : "a"(SYS_clone), "D"(flags), "S"(stack), "d"(0), "r"(r10), "r"(r8), "b"(flag)
                         : "rcx", "r11", "memory");
    return ret;
#else
    register long a0 __asm__("a0") = flags;
    register long a1 __asm__("a1") = (long)stack, a2 __asm__("a2") = 0, a3 __asm__("a3") = 0;
    register long a4 __asm__("a4") = 0, a7 __asm__("a7") = SYS_clone;
    __asm__ __volatile__("ecall\n bnez a0, 1f\n li t0, 1\n sw t0, 0(%[flag])\n li a7, 93\n li a0, 0\n ecall\n 1:\n"
                         : "+r"(a0)
                         : "r"(a1), "r"(a2), "r"(a3), "r"(a4), "r"(a7), [flag] "r"(flag)
                         : "t0", "memory");
    return a0;
#endif
}

static const char *clone_raw(unsigned long flags)
{
    long r = syscall(SYS_clone, flags, 0, 0, 0, 0);    /* only for refused combinations: no child is made */
    if (r == 0)
        _exit(0);
    return r < 0 ? errname(errno) : "created";
}

static const char *clone3_with(uint64_t flags, uint64_t exit_signal)
{
    struct clone_args args;
    memset(&args, 0, sizeof args);
    args.flags = flags;
    args.exit_signal = exit_signal;
    long r = syscall(SYS_clone3, &args, sizeof args);
    if (r == 0)
        _exit(0);
    if (r > 0)
        waitpid(r, NULL, __WALL);
    return r < 0 ? errname(errno) : "created";
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    printf("clone THREAD: %s\n", clone_raw(CLONE_THREAD));
    printf("clone THREAD|SIGHAND: %s\n", clone_raw(CLONE_THREAD | CLONE_SIGHAND));
    printf("clone SIGHAND: %s\n", clone_raw(CLONE_SIGHAND | SIGCHLD));
    printf("clone THREAD|VM: %s\n", clone_raw(CLONE_THREAD | CLONE_VM));

    char *stack = malloc(1 << 16);
    int thread_flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM;
    long tid = clone_flag_then_exit(thread_flags | SIGCHLD, stack + (1 << 16), &ran);
    if (tid < 0) {
        printf("clone THREAD|SIGHAND|VM|SIGCHLD: %s\n", errname(-tid));
    } else {
        while (!ran)
            sched_yield();
        int waited = waitpid(tid, NULL, __WALL | WNOHANG);   /* a thread is no child to wait for */
        printf("clone THREAD|SIGHAND|VM|SIGCHLD: a thread (own tid: %s, waitpid: %s)\n",
               tid != getpid() ? "yes" : "no", waited < 0 ? errname(errno) : "a child");
    }
    usleep(20000);                                 /* let it finish exiting before its stack is reused */

    ran = 0;
    int pid = clone(process_main, stack + (1 << 16), CLONE_VM | CLONE_SIGHAND | SIGCHLD, NULL);
    int status = -1;
    if (pid < 0) {
        printf("clone VM|SIGHAND|SIGCHLD: %s\n", errname(errno));
    } else {
        pid_t waited = waitpid(pid, &status, 0);
        printf("clone VM|SIGHAND|SIGCHLD: a process sharing memory (ran: %d, own pid: %s, reaped: %s)\n", ran,
               child_pid == pid && pid != getpid() ? "yes" : "no", waited == pid && WIFEXITED(status) ? "yes" : "no");
    }

    printf("clone3 THREAD|SIGHAND|VM + exit signal: %s\n",
           clone3_with(CLONE_THREAD | CLONE_SIGHAND | CLONE_VM, SIGCHLD));
    printf("clone3 PARENT + exit signal: %s\n", clone3_with(CLONE_PARENT, SIGCHLD));
    printf("clone3 CSIGNAL bits in flags: %s\n", clone3_with(SIGCHLD, 0));
    printf("clone3 DETACHED: %s\n", clone3_with(CLONE_DETACHED, SIGCHLD));
    printf("clone3 exit signal 65: %s\n", clone3_with(0, 65));
    printf("clone3 THREAD without SIGHAND: %s\n", clone3_with(CLONE_THREAD | CLONE_VM, 0));
    printf("clone3 plain fork: %s\n", clone3_with(0, SIGCHLD));
    return 0;
}
