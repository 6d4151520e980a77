/* A zombie is still a process until it is reaped: kill(zombie, 0) and kill(zombie, SIGTERM) succeed, as do
 * kill() of a process group whose only member is a zombie, tkill/tgkill/sigqueue and setpgid of it; getpgid and
 * getsid of it answer, and /proc/PID shows it in state Z (stat and status); once reaped, all of these are
 * ESRCH/ENOENT. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"

static const char *result(long r) { return r < 0 ? errname(errno) : "ok"; }

static void show_proc(pid_t pid)
{
    char path[64], buf[512] = "", state = '?';
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) {
        printf("/proc/PID/stat: %s\n", errname(errno));
        return;
    }
    if (fgets(buf, sizeof buf, f)) {
        char *after = strrchr(buf, ')');
        if (after) sscanf(after + 2, "%c", &state);
    }
    fclose(f);
    printf("/proc/PID/stat state: %c\n", state);
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    f = fopen(path, "r");
    while (f && fgets(buf, sizeof buf, f))
        if (strncmp(buf, "State:", 6) == 0)
            printf("/proc/PID/status %s", buf);
    if (f) fclose(f);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    pid_t child = fork();
    if (child == 0) {
        setpgid(0, 0);                             /* a process group of its own, with only the zombie-to-be */
        _exit(7);
    }
    setpgid(child, child);                         /* (either of the two settles it; one may fail: no matter) */
    siginfo_t info;
    waitid(P_PID, child, &info, WEXITED | WNOWAIT);   /* it is a zombie now (and stays one) */
    printf("zombie: kill(pid, 0) %s\n", result(kill(child, 0)));
    printf("zombie: kill(pid, SIGTERM) %s\n", result(kill(child, SIGTERM)));
    printf("zombie: kill(pid, SIGKILL) %s\n", result(kill(child, SIGKILL)));
    printf("zombie: kill(-pgid, 0) %s\n", result(kill(-child, 0)));
    printf("zombie: tgkill %s\n", result(syscall(SYS_tgkill, child, child, SIGTERM)));
    printf("zombie: tkill %s\n", result(syscall(SYS_tkill, child, 0)));
    printf("zombie: sigqueue %s\n", result(sigqueue(child, SIGUSR1, (union sigval){0})));
    printf("zombie: setpgid %s\n", result(setpgid(child, child)));
    pid_t pgid = getpgid(child), sid = getsid(child);
    printf("zombie: getpgid %s (its own group: %s)\n", result(pgid), pgid == child ? "yes" : "no");
    printf("zombie: getsid %s (mine: %s)\n", result(sid), sid == getsid(0) ? "yes" : "no");
    show_proc(child);
    int status = 0;
    pid_t reaped = waitpid(child, &status, 0);
    printf("waitpid %s, exit status %d\n", reaped == child ? "ok" : "failed", WEXITSTATUS(status));
    printf("reaped: kill(pid, 0) %s\n", result(kill(child, 0)));
    printf("reaped: kill(-pgid, 0) %s\n", result(kill(-child, 0)));
    printf("reaped: getpgid %s\n", result(getpgid(child)));
    printf("reaped: getsid %s\n", result(getsid(child)));
    printf("reaped: tkill %s\n", result(syscall(SYS_tkill, child, 0)));
    printf("reaped: sigqueue %s\n", result(sigqueue(child, SIGUSR1, (union sigval){0})));
    show_proc(child);
    return 0;
}
