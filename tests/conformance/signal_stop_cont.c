/* Job-control signals: SIGSTOP/SIGTSTP stop a child (waitpid WUNTRACED), SIGCONT resumes it (WCONTINUED),
 * a SIGCONT handler runs after the resume, SIGKILL works on a stopped child; waitid with WSTOPPED; abort()
 * ends with SIGABRT; the default action of SIGQUIT is a core dump (status shows the signal). */
#include "conf.h"

static volatile sig_atomic_t conts;
static void on_cont(int sig) { (void)sig; conts++; }

int main(void)
{
    int ready[2];
    MUST(pipe(ready));
    char c;
    int go[2];
    MUST(pipe(go));
    pid_t pid = xfork();
    if (pid == 0) {
        signal(SIGCONT, on_cont);     /* musl's signal() sets SA_RESTART: the read below resumes after it */
        close(go[1]);
        write(ready[1], "r", 1);
        while (read(go[0], &c, 1) < 0 && errno == EINTR) {}   /* lives until the parent has seen it continue */
        _exit(conts ? 10 : 11);
    }
    close(go[0]);
    read(ready[0], &c, 1);
    int st;
    kill(pid, SIGSTOP);
    pid_t r = waitpid(pid, &st, WUNTRACED);
    printf("after SIGSTOP: %s (right pid %d)\n", status_text(st), r == pid);
    SHOW("WNOHANG|WUNTRACED again (already reported)", waitpid(pid, &st, WNOHANG | WUNTRACED));
    kill(pid, SIGCONT);
    r = waitpid(pid, &st, WCONTINUED);
    printf("after SIGCONT: %s\n", status_text(st));
    close(go[1]);
    reap("child (its SIGCONT handler ran)", pid);

    /* SIGTSTP is discarded for a process in an orphaned process group: give the child its own group, whose
     * parent (us) is in another group of the same session, so that it is not orphaned however we were run */
    pid = xfork();
    if (pid == 0) { setpgid(0, 0); write(ready[1], "r", 1); for (;;) pause(); }
    setpgid(pid, pid);
    read(ready[0], &c, 1);
    kill(pid, SIGTSTP);
    waitpid(pid, &st, WUNTRACED);
    printf("after SIGTSTP: %s\n", status_text(st));
    siginfo_t si;
    memset(&si, 0, sizeof si);
    kill(pid, SIGCONT);
    SHOW("waitid WCONTINUED", waitid(P_PID, pid, &si, WCONTINUED));
    printf("  code CLD_CONTINUED %d, status %s\n", si.si_code == CLD_CONTINUED, signame(si.si_status));
    kill(pid, SIGSTOP);
    memset(&si, 0, sizeof si);
    SHOW("waitid WSTOPPED", waitid(P_PID, pid, &si, WSTOPPED));
    printf("  code CLD_STOPPED %d, status %s\n", si.si_code == CLD_STOPPED, signame(si.si_status));
    kill(pid, SIGKILL);
    reap("stopped child sent SIGKILL", pid);

    pid = xfork();
    if (pid == 0) abort();
    reap("abort()", pid);

    pid = xfork();
    if (pid == 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_cont;
        sigaction(SIGABRT, &sa, NULL);   /* abort() still ends the process after the handler returns */
        abort();
    }
    reap("abort() with a returning SIGABRT handler", pid);

    pid = xfork();
    if (pid == 0) { raise(SIGQUIT); _exit(0); }
    st = 0;
    waitpid(pid, &st, 0);
    printf("SIGQUIT: signaled %d, signal %s\n", WIFSIGNALED(st), signame(WTERMSIG(st)));   /* core flag varies */
    return 0;
}
