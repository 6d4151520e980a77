/* Stopped and continued children: wait4 with WUNTRACED/WCONTINUED (status 0x7f / 0xffff), waitid with
 * WSTOPPED/WCONTINUED/WNOWAIT/WNOHANG (CLD_STOPPED, CLD_CONTINUED, si_status), the parent's SIGCHLD siginfo,
 * a stop reported once, a continue replacing an unreported stop, a child that stops itself. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *code_name(int code) {
    switch (code) {
    case CLD_EXITED: return "CLD_EXITED"; case CLD_KILLED: return "CLD_KILLED"; case CLD_DUMPED: return "CLD_DUMPED";
    case CLD_STOPPED: return "CLD_STOPPED"; case CLD_CONTINUED: return "CLD_CONTINUED"; case 0: return "0";
    default: return "?";
    }
}
static void show_wait(const char *what, pid_t child, pid_t r, int st) {
    printf("%s: pid ok %d status %#x stopped %d (sig %d) continued %d\n", what, r == child, st, WIFSTOPPED(st),
           WIFSTOPPED(st) ? WSTOPSIG(st) : 0, WIFCONTINUED(st));
}
static void show_info(const char *what, pid_t child, int r, siginfo_t *si) {
    printf("%s: ret %d signo %d code %s status %d pid ok %d\n", what, r, si->si_signo, code_name(si->si_code),
           si->si_status, si->si_pid == child);
}
static void show_chld(sigset_t *set, pid_t child) {
    siginfo_t si; int s = sigwaitinfo(set, &si);
    printf("SIGCHLD: %d code %s status %d pid ok %d\n", s == SIGCHLD, code_name(si.si_code), si.si_status, si.si_pid == child);
}

int main(void) {
    /* Linux discards SIGTSTP sent to a process of an orphaned process group (one whose members' parents are
     * all inside it or outside the session), as a test runner started without a terminal may leave us: a
     * group of our own, whose parent is in the session, is not orphaned.  (Under pynix the program is init,
     * a session leader, and this fails with EPERM; its group counts as started from a shell.) */
    setpgid(0, 0);
    sigset_t chld; sigemptyset(&chld); sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, 0);
    fflush(stdout);
    pid_t child = fork();
    if (!child) { for (;;) pause(); }
    int st = 0; siginfo_t si;

    kill(child, SIGSTOP);
    pid_t r = waitpid(child, &st, WUNTRACED);
    show_wait("wait4 WUNTRACED", child, r, st);
    show_chld(&chld, child);
    printf("stop reported once: %d\n", waitpid(child, &st, WUNTRACED | WNOHANG));
    kill(child, SIGCONT);
    show_chld(&chld, child);
    printf("WUNTRACED ignores continue: %d\n", waitpid(child, &st, WUNTRACED | WNOHANG));
    r = waitpid(child, &st, WCONTINUED);
    show_wait("wait4 WCONTINUED", child, r, st);

    kill(child, SIGTSTP);
    memset(&si, 0, sizeof si);
    r = waitid(P_PID, child, &si, WSTOPPED | WNOWAIT);
    show_info("waitid WSTOPPED|WNOWAIT", child, r, &si);
    memset(&si, 0, sizeof si);
    r = waitid(P_ALL, 0, &si, WSTOPPED);
    show_info("waitid WSTOPPED again", child, r, &si);
    memset(&si, 0x55, sizeof si);
    r = waitid(P_PID, child, &si, WSTOPPED | WNOHANG);
    show_info("waitid WSTOPPED|WNOHANG", child, r, &si);
    printf("exited-only waitid skips a stopped child: %d pid %d\n", waitid(P_PID, child, &si, WEXITED | WNOHANG), si.si_pid);
    printf("plain wait4 skips a stopped child: %d\n", waitpid(child, &st, WNOHANG));
    show_chld(&chld, child);

    kill(child, SIGCONT);
    r = waitid(P_PID, child, &si, WCONTINUED | WNOWAIT);
    show_info("waitid WCONTINUED|WNOWAIT", child, r, &si);
    r = waitid(P_PID, child, &si, WCONTINUED);
    show_info("waitid WCONTINUED", child, r, &si);
    show_chld(&chld, child);

    /* a stop followed by a continue before the parent looks: only the continue is reported */
    kill(child, SIGSTOP);
    show_chld(&chld, child);
    kill(child, SIGCONT);
    show_chld(&chld, child);
    printf("stop replaced: %d\n", waitpid(child, &st, WUNTRACED | WNOHANG));
    r = waitpid(child, &st, WUNTRACED | WCONTINUED);
    show_wait("wait4 after stop+cont", child, r, st);

    kill(child, SIGKILL);
    r = waitid(P_PID, child, &si, WEXITED | WSTOPPED | WCONTINUED);
    show_info("waitid killed", child, r, &si);
    show_chld(&chld, child);

    /* a child that stops itself, then is continued and exits */
    fflush(stdout);
    child = fork();
    if (!child) { raise(SIGSTOP); _exit(5); }
    r = waitpid(child, &st, WUNTRACED);
    show_wait("self-stop", child, r, st);
    show_chld(&chld, child);
    kill(child, SIGCONT);
    r = waitpid(child, &st, 0);
    printf("then exits: pid ok %d exited %d code %d\n", r == child, WIFEXITED(st), WEXITSTATUS(st));
    return 0;
}
