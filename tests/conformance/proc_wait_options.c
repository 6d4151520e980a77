/* waitpid/wait4/waitid: WNOHANG, ECHILD, specific pids, process groups, WNOWAIT, siginfo fields,
 * invalid options. */
#include "conf.h"
#include <sys/resource.h>

int main(void)
{
    SHOW("waitpid no children", waitpid(-1, NULL, 0));
    SHOW("waitpid WNOHANG no children", waitpid(-1, NULL, WNOHANG));
    SHOW("waitpid bad options", waitpid(-1, NULL, 0x12345678));
    siginfo_t si;
    SHOW("waitid no options", waitid(P_ALL, 0, &si, 0));
    SHOW("waitid bad idtype", waitid(42, 0, &si, WEXITED));

    int gate[2];
    MUST(pipe(gate));
    pid_t pid = xfork();
    if (pid == 0) {
        char c;
        close(gate[1]);
        read(gate[0], &c, 1);       /* blocks until the parent closes the write end */
        _exit(21);
    }
    close(gate[0]);
    SHOW("WNOHANG while running", waitpid(pid, NULL, WNOHANG));
    memset(&si, 0xff, sizeof si);
    SHOW("waitid WNOHANG while running", waitid(P_PID, pid, &si, WEXITED | WNOHANG));
    printf("  si_pid cleared: %d\n", si.si_pid == 0);
    SHOW("waitpid other pid", waitpid(pid + 100000, NULL, 0));
    close(gate[1]);

    memset(&si, 0, sizeof si);
    SHOW("waitid WNOWAIT", waitid(P_PID, pid, &si, WEXITED | WNOWAIT));
    printf("  si_signo=%s si_code=%s si_status=%d si_pid_right=%d\n", signame(si.si_signo),
           si.si_code == CLD_EXITED ? "CLD_EXITED" : "other", si.si_status, si.si_pid == pid);
    int st = 0;
    struct rusage ru;
    pid_t r = wait4(pid, &st, 0, &ru);
    printf("wait4 after WNOWAIT: right pid %d, %s\n", r == pid, status_text(st));
    SHOW("waitpid again", waitpid(pid, NULL, 0));

    /* waitid P_ALL: the siginfo of an exit */
    pid = xfork();
    if (pid == 0) _exit(3);
    memset(&si, 0, sizeof si);
    SHOW("waitid P_ALL", waitid(P_ALL, 0, &si, WEXITED));
    printf("  si_code=%s si_status=%d\n", si.si_code == CLD_EXITED ? "CLD_EXITED" : "other", si.si_status);

    /* process groups: waitpid(0) waits for the caller's group, waitpid(-pgid) for that group */
    pid_t a = xfork();
    if (a == 0) { setpgid(0, 0); usleep(100000); _exit(1); }
    setpgid(a, a);
    pid_t b = xfork();
    if (b == 0) _exit(2);
    r = waitpid(0, &st, 0);
    printf("waitpid(0) got the same-group child: %d, %s\n", r == b, status_text(st));
    r = waitpid(-a, &st, 0);
    printf("waitpid(-pgid) got the other group's child: %d, %s\n", r == a, status_text(st));
    memset(&si, 0, sizeof si);
    pid_t c = xfork();
    if (c == 0) { setpgid(0, 0); _exit(4); }
    setpgid(c, c);
    SHOW("waitid P_PGID", waitid(P_PGID, c, &si, WEXITED));
    printf("  si_status=%d\n", si.si_status);

    /* __WALL and __WCLONE are accepted */
    pid = xfork();
    if (pid == 0) _exit(5);
    r = waitpid(pid, &st, __WALL);
    printf("__WALL: %s\n", status_text(st));
    return 0;
}
