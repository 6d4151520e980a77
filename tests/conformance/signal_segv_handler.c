/* Synchronous signals with handlers: SIGSEGV on an unmapped address (SEGV_MAPERR, si_addr) and on a
 * read-only page (SEGV_ACCERR), recovered with siglongjmp; SIGFPE on x86_64 division by zero (FPE_INTDIV);
 * a blocked synchronous signal still kills; the handler may fix the mapping and return to retry. */
#include "conf.h"
#include <setjmp.h>
#include <sys/mman.h>

static sigjmp_buf env;
static volatile void *fault_addr;
static volatile int fault_code, fault_sig;
static char *fixable;
static long page;

static void on_fault(int sig, siginfo_t *si, void *ctx)
{
    (void)ctx;
    fault_sig = sig;
    fault_code = si->si_code;
    fault_addr = si->si_addr;
    siglongjmp(env, 1);
}

static void fix_and_return(int sig, siginfo_t *si, void *ctx)
{
    (void)sig; (void)ctx;
    fault_addr = si->si_addr;
    mprotect(fixable, page, PROT_READ | PROT_WRITE);   /* returning retries the faulting store */
}

static const char *code(int c)
{
    return c == SEGV_MAPERR ? "SEGV_MAPERR" : c == SEGV_ACCERR ? "SEGV_ACCERR" : "other";
}

int main(void)
{
    page = sysconf(_SC_PAGESIZE);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);

    volatile int *bad = (int *)0x1000;
    if (sigsetjmp(env, 1) == 0) {
        (void)*bad;
        printf("no fault?\n");
    }
    printf("unmapped read: %s %s, si_addr right: %d\n", signame(fault_sig), code(fault_code), fault_addr == (void *)bad);

    char *ro = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (sigsetjmp(env, 1) == 0) {
        ro[10] = 1;
        printf("no fault?\n");
    }
    printf("read-only write: %s %s, si_addr right: %d\n", signame(fault_sig), code(fault_code),
           fault_addr == (void *)(ro + 10));

    /* the mask was restored by siglongjmp(env, 1) with savesigs: SIGSEGV is not blocked now */
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    printf("SIGSEGV blocked after siglongjmp: %d\n", sigismember(&cur, SIGSEGV));

    /* a handler that repairs the page and returns: the store is retried and succeeds */
    fixable = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    sa.sa_sigaction = fix_and_return;
    sigaction(SIGSEGV, &sa, NULL);
    fixable[5] = 42;
    printf("store retried after the handler fixed the page: %d, si_addr right: %d\n", fixable[5],
           fault_addr == (void *)(fixable + 5));

    /* integer division by zero: SIGFPE on x86_64; riscv64 never traps (the quotient is -1) */
    sa.sa_sigaction = on_fault;
    sigaction(SIGFPE, &sa, NULL);
    volatile int zero = 0, one = 1;
    fault_sig = 0;
    if (sigsetjmp(env, 1) == 0) {
        volatile int q = one / zero;
        printf("division by zero gave %d\n", q);
    }
    if (fault_sig) printf("division by zero: %s %s\n", signame(fault_sig), fault_code == FPE_INTDIV ? "FPE_INTDIV" : "other");

    /* a blocked SIGSEGV caused by a fault kills the process anyway */
    pid_t pid = xfork();
    if (pid == 0) {
        sigset_t s;
        sigemptyset(&s);
        sigaddset(&s, SIGSEGV);
        sigprocmask(SIG_BLOCK, &s, NULL);
        (void)*bad;
        _exit(0);
    }
    reap("fault with SIGSEGV blocked", pid);
    /* and so does an ignored one */
    pid = xfork();
    if (pid == 0) {
        signal(SIGSEGV, SIG_IGN);
        (void)*bad;
        _exit(0);
    }
    reap("fault with SIGSEGV ignored", pid);
    return 0;
}
