/* The book, chapter 6: a signal frame seen with gdb.  main sends itself SIGUSR1 with kill(); the handler
 * (SA_SIGINFO) runs on a frame pynix built on the stack: siginfo, then a ucontext_t with the registers kill()
 * was interrupted with, and the return address, which points at the C library's restorer (rt_sigreturn). */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <ucontext.h>
#include <unistd.h>

static volatile unsigned long saved_pc;

static void handler(int sig, siginfo_t *info, void *context) {
    ucontext_t *uc = context;
#if defined(__x86_64__)
    saved_pc = uc->uc_mcontext.gregs[REG_RIP];
#elif defined(__riscv)
    saved_pc = uc->uc_mcontext.__gregs[0];
#endif
    printf("handler: signal %d from pid %d\n", sig, info->si_pid == getpid());
}

int main(void) {
    struct sigaction sa = {.sa_sigaction = handler, .sa_flags = SA_SIGINFO};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    kill(getpid(), SIGUSR1);
    printf("back in main: saved pc %s\n", saved_pc ? "set" : "unset");
    return 0;
}
