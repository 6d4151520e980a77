/* SIGCHLD: delivered to the parent when a child exits (si_code CLD_EXITED/CLD_KILLED, si_pid, si_status);
 * SIG_IGN and SA_NOCLDWAIT make children reap themselves (wait gives ECHILD); SA_NOCLDSTOP. */
// reference: x86_64
// (qemu-riscv64 7.2 ignores SA_NOCLDSTOP; the output is ISA-independent)
#include "conf.h"

static volatile sig_atomic_t chld_count, last_code, last_status, pid_right;
static volatile pid_t expected;

static void on_chld(int sig, siginfo_t *si, void *ctx)
{
    (void)sig; (void)ctx;
    chld_count++;
    last_code = si->si_code;
    last_status = si->si_status;
    pid_right = si->si_pid == expected;
}

static const char *code_name(int c)
{
    return c == CLD_EXITED ? "CLD_EXITED" : c == CLD_KILLED ? "CLD_KILLED" : c == CLD_DUMPED ? "CLD_DUMPED" :
           c == CLD_STOPPED ? "CLD_STOPPED" : c == CLD_CONTINUED ? "CLD_CONTINUED" : "other";
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_chld;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigaction(SIGCHLD, &sa, NULL);

    sigset_t chld, old;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, &old);
    pid_t pid = xfork();
    if (pid == 0) _exit(5);
    expected = pid;
    int st;
    waitpid(pid, &st, 0);   /* reaped while SIGCHLD is blocked: the signal stays pending */
    sigset_t pend;
    sigpending(&pend);
    printf("SIGCHLD pending after reaping: %d\n", sigismember(&pend, SIGCHLD));
    sigprocmask(SIG_SETMASK, &old, NULL);
    printf("handler ran on unblock: %d, code %s, status %d, pid right %d\n", chld_count, code_name(last_code),
           last_status, pid_right);

    chld_count = 0;
    sigprocmask(SIG_BLOCK, &chld, NULL);
    pid = xfork();
    if (pid == 0) { pause(); _exit(99); }
    expected = pid;
    kill(pid, SIGTERM);
    sigsuspend(&old);   /* wait for SIGCHLD */
    sigprocmask(SIG_SETMASK, &old, NULL);
    printf("killed child: handler %d, code %s, status %s, pid right %d\n", chld_count, code_name(last_code),
           signame(last_status), pid_right);
    reap("killed child", pid);

    /* SA_NOCLDSTOP: no SIGCHLD for a stop; without it there is one */
    chld_count = 0;
    sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_NOCLDSTOP;
    sigaction(SIGCHLD, &sa, NULL);
    pid = xfork();
    if (pid == 0) { for (;;) pause(); }
    expected = pid;
    kill(pid, SIGSTOP);
    waitpid(pid, &st, WUNTRACED);
    printf("stopped: %s, SIGCHLD with SA_NOCLDSTOP: %d\n", status_text(st), chld_count);
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigaction(SIGCHLD, &sa, NULL);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    kill(pid, SIGCONT);
    sigsuspend(&old);
    sigprocmask(SIG_SETMASK, &old, NULL);
    printf("continued: SIGCHLD code %s\n", code_name(last_code));
    waitpid(pid, &st, WCONTINUED);
    printf("waitpid WCONTINUED: %s\n", status_text(st));
    kill(pid, SIGKILL);
    reap("stopped-then-killed child", pid);

    /* SIG_IGN: children are reaped automatically */
    signal(SIGCHLD, SIG_IGN);
    pid = xfork();
    if (pid == 0) _exit(1);
    errno = 0;
    pid_t r = waitpid(pid, &st, 0);
    printf("waitpid with SIGCHLD ignored: %ld %s\n", (long)(r == pid ? 1 : r), errname(errno));

    /* SA_NOCLDWAIT with a handler */
    chld_count = 0;
    sa.sa_flags = SA_SIGINFO | SA_NOCLDWAIT;
    sigaction(SIGCHLD, &sa, NULL);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    pid = xfork();
    if (pid == 0) _exit(2);
    expected = pid;
    sigsuspend(&old);
    sigprocmask(SIG_SETMASK, &old, NULL);
    errno = 0;
    r = waitpid(pid, &st, 0);
    printf("SA_NOCLDWAIT: handler %d, waitpid %ld %s\n", chld_count, (long)(r == pid ? 1 : r), errname(errno));
    return 0;
}
