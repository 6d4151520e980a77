/* SA_SIGINFO handlers: si_signo, si_code (SI_USER from kill, SI_TKILL from raise/tgkill, SI_QUEUE), si_pid,
 * si_uid; the ucontext argument; sigaltstack with SA_ONSTACK (the handler runs on the alternate stack);
 * sigaltstack errors. */
#include "conf.h"
#include <stdint.h>
#include <ucontext.h>

static volatile int got_signo, got_code, pid_ok, uid_ok, ctx_ok, on_alt, alt_flag;
static char *alt_base;
static size_t alt_size;

static void info_handler(int sig, siginfo_t *si, void *ctx)
{
    got_signo = si->si_signo;
    got_code = si->si_code;
    pid_ok = si->si_pid == getpid();
    uid_ok = si->si_uid == getuid();
    ctx_ok = ctx != NULL;
    char here;
    on_alt = alt_base && (uintptr_t)&here >= (uintptr_t)alt_base && (uintptr_t)&here < (uintptr_t)alt_base + alt_size;
    stack_t cur;
    sigaltstack(NULL, &cur);
    alt_flag = cur.ss_flags & SS_ONSTACK;
    (void)sig;
}

static const char *code(int c)
{
    return c == SI_USER ? "SI_USER" : c == SI_TKILL ? "SI_TKILL" : c == SI_QUEUE ? "SI_QUEUE" :
           c == SI_KERNEL ? "SI_KERNEL" : "other";
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = info_handler;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);

    kill(getpid(), SIGUSR1);
    printf("kill: signo %s code %s pid %d uid %d ucontext %d\n", signame(got_signo), code(got_code), pid_ok,
           uid_ok, ctx_ok);
    syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGUSR1);
    printf("tgkill: code %s pid %d\n", code(got_code), pid_ok);
    union sigval v = {.sival_int = 5};
    sigqueue(getpid(), SIGUSR1, v);
    printf("sigqueue: code %s\n", code(got_code));
    printf("not on an alternate stack: %d %d\n", on_alt, alt_flag);

    stack_t ss, old;
    SHOW("query sigaltstack", sigaltstack(NULL, &old));
    printf("  disabled by default: %d\n", !!(old.ss_flags & SS_DISABLE));
    alt_size = 64 * 1024;
    alt_base = malloc(alt_size);
    ss.ss_sp = alt_base;
    ss.ss_size = alt_size;
    ss.ss_flags = 0;
    SHOW("sigaltstack set", sigaltstack(&ss, NULL));
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigaction(SIGUSR2, &sa, NULL);
    raise(SIGUSR2);
    printf("SA_ONSTACK handler on the alternate stack: %d, SS_ONSTACK reported: %d\n", on_alt, !!alt_flag);
    raise(SIGUSR1);   /* no SA_ONSTACK: normal stack */
    printf("handler without SA_ONSTACK on the alternate stack: %d\n", on_alt);
    ss.ss_size = 1024;
    SHOW("sigaltstack too small", sigaltstack(&ss, NULL));
    ss.ss_size = alt_size;
    ss.ss_flags = 0x1234;
    SHOW("sigaltstack bad flags", sigaltstack(&ss, NULL));
    ss.ss_flags = SS_DISABLE;
    SHOW("sigaltstack disable", sigaltstack(&ss, NULL));
    sigaltstack(NULL, &old);
    printf("  disabled now: %d\n", !!(old.ss_flags & SS_DISABLE));
    return 0;
}
