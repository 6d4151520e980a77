/* sigaction and sigprocmask state: installing and reading back handlers, flags and masks; SIGKILL/SIGSTOP
 * cannot be caught or blocked; a blocked signal stays pending until unblocked, then runs once; sa_mask and
 * the signal itself are blocked while its handler runs; SA_RESETHAND; SA_NODEFER. */
// reference: x86_64
// (qemu-riscv64 7.2 does not apply sa_mask while a handler runs; the output is ISA-independent)
#include "conf.h"

static volatile sig_atomic_t hits, blocked_in_handler, self_blocked, depth, max_depth;

static void handler(int sig)
{
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    blocked_in_handler = sigismember(&cur, SIGUSR2);
    self_blocked = sigismember(&cur, sig);
    hits++;
}

static void nested(int sig)
{
    depth++;
    if (depth > max_depth) max_depth = depth;
    if (depth < 3) raise(sig);      /* SA_NODEFER: delivered again right away, inside this handler */
    depth--;
}

int main(void)
{
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGUSR2);
    sa.sa_flags = SA_RESTART;
    SHOW("sigaction SIGUSR1", sigaction(SIGUSR1, &sa, &old));
    printf("old handler was SIG_DFL: %d\n", old.sa_handler == SIG_DFL);
    SHOW("read back", sigaction(SIGUSR1, NULL, &old));
    printf("handler matches: %d, SA_RESTART kept: %d, mask has SIGUSR2: %d, mask has SIGTERM: %d\n",
           old.sa_handler == handler, !!(old.sa_flags & SA_RESTART), sigismember(&old.sa_mask, SIGUSR2),
           sigismember(&old.sa_mask, SIGTERM));
    SHOW("sigaction SIGKILL", sigaction(SIGKILL, &sa, NULL));
    SHOW("sigaction SIGSTOP", sigaction(SIGSTOP, &sa, NULL));
    SHOW("query SIGKILL", sigaction(SIGKILL, NULL, &old));
    SHOW("signal 0", syscall(SYS_rt_sigaction, 0, NULL, &old, 8));
    SHOW("signal 65", syscall(SYS_rt_sigaction, 65, NULL, &old, 8));
    SHOW("bad sigsetsize", syscall(SYS_rt_sigaction, SIGUSR1, NULL, &old, 4));

    raise(SIGUSR1);
    printf("handler ran synchronously on raise: %d, SIGUSR2 blocked inside: %d, SIGUSR1 blocked inside: %d\n",
           hits, blocked_in_handler, self_blocked);

    sigset_t set, cur;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGKILL);
    sigaddset(&set, SIGSTOP);
    SHOW("block SIGUSR1+SIGKILL+SIGSTOP", sigprocmask(SIG_BLOCK, &set, NULL));
    sigprocmask(SIG_BLOCK, NULL, &cur);
    printf("blocked: USR1 %d, KILL %d, STOP %d\n", sigismember(&cur, SIGUSR1), sigismember(&cur, SIGKILL),
           sigismember(&cur, SIGSTOP));
    hits = 0;
    raise(SIGUSR1);
    raise(SIGUSR1);
    sigset_t pend;
    sigpending(&pend);
    printf("while blocked: hits %d, pending %d\n", hits, sigismember(&pend, SIGUSR1));
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    printf("after unblock: hits %d (standard signals do not queue)\n", hits);
    sigpending(&pend);
    printf("pending after: %d\n", sigismember(&pend, SIGUSR1));
    SHOW("sigprocmask bad how", sigprocmask(99, &set, NULL));
    SHOW("rt_sigprocmask bad size", syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, 4));

    sigset_t full, back;
    sigfillset(&full);
    sigprocmask(SIG_SETMASK, &full, &back);
    sigprocmask(SIG_SETMASK, &back, &cur);
    printf("SIG_SETMASK all then read: USR1 %d, TERM %d, KILL %d\n", sigismember(&cur, SIGUSR1),
           sigismember(&cur, SIGTERM), sigismember(&cur, SIGKILL));

    /* SA_RESETHAND: the handler runs once, then the action is SIG_DFL again */
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR2, &sa, NULL);
    hits = 0;
    raise(SIGUSR2);
    sigaction(SIGUSR2, NULL, &old);
    printf("SA_RESETHAND: hits %d, now SIG_DFL %d\n", hits, old.sa_handler == SIG_DFL);

    sa.sa_handler = nested;
    sa.sa_flags = SA_NODEFER;
    sigaction(SIGUSR2, &sa, NULL);
    raise(SIGUSR2);
    printf("SA_NODEFER nesting depth: %d\n", max_depth);

    /* SIG_IGN discards: raising an ignored signal does nothing, and it is not left pending */
    signal(SIGUSR1, SIG_IGN);
    sigprocmask(SIG_BLOCK, &set, NULL);
    raise(SIGUSR1);
    sigpending(&pend);
    printf("ignored+blocked signal pending: %d\n", sigismember(&pend, SIGUSR1));
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    printf("still alive after an ignored signal\n");
    return 0;
}
