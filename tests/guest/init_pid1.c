/* The program runs as a child of the machine's init, as in a Linux container with an init (tini, docker --init,
 * or here `unshare --pid --fork` under sh): it is not pid 1, its parent is pid 1, orphans go to pid 1, signals to
 * init do nothing, kill(-1, SIGKILL) kills every other process but neither init nor the caller, and the
 * machine's exit status is the program's.  Natively this must run in its own pid namespace (the test does that):
 * it refuses to kill(-1) unless its parent is pid 1. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"

static const char *result(int r) { return r == 0 ? "0" : errname(errno); }

static void show_init(void)
{
    char buf[512] = "", state = '?';
    int ppid = -1;
    FILE *f = fopen("/proc/1/stat", "r");
    if (f && fgets(buf, sizeof buf, f)) {
        char *after = strrchr(buf, ')');
        if (after) sscanf(after + 2, "%c %d", &state, &ppid);
    }
    if (f) fclose(f);
    printf("/proc/1: state %c, ppid %d\n", state, ppid);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    printf("pid is 1: %s, parent is 1: %s\n", getpid() == 1 ? "yes" : "no", getppid() == 1 ? "yes" : "no");
    if (getppid() != 1 || getpid() > 100) {
        printf("not a child of init in a fresh pid namespace: stopping before kill(-1)\n");
        return 1;
    }
    printf("kill(1, 0) = %s\n", result(kill(1, 0)));
    printf("kill(1, SIGTERM) = %s\n", result(kill(1, SIGTERM)));
    printf("kill(1, SIGSTOP) = %s\n", result(kill(1, SIGSTOP)));
    printf("kill(1, SIGKILL) = %s\n", result(kill(1, SIGKILL)));
    usleep(100000);
    printf("after them, init is there: %s, still my parent: %s\n", kill(1, 0) == 0 ? "yes" : "no",
           getppid() == 1 ? "yes" : "no");
    show_init();

    /* An orphan is adopted by init. */
    int report[2];
    if (pipe(report) != 0)
        return 2;
    pid_t middle = fork();
    if (middle == 0) {
        if (fork() == 0) {                         /* the grandchild: wait until its parent is gone */
            close(report[0]);
            while (getppid() != 1)
                usleep(1000);
            char line[64];
            int n = snprintf(line, sizeof line, "orphan's parent is 1: yes\n");
            if (write(report[1], line, n) != n)
                _exit(3);
            pause();                               /* until kill(-1, SIGKILL) */
            _exit(4);
        }
        _exit(0);
    }
    close(report[1]);
    int status;
    waitpid(middle, &status, 0);
    char line[64] = "";
    ssize_t n = read(report[0], line, sizeof line - 1);
    printf("%s", n > 0 ? line : "no word from the orphan\n");

    /* kill(-1): every process but init and the caller. */
    pid_t child = fork();
    if (child == 0) {
        pause();
        _exit(5);
    }
    usleep(50000);
    printf("kill(-1, SIGKILL) = %s\n", result(kill(-1, SIGKILL)));
    waitpid(child, &status, 0);
    printf("child: %s %d\n", WIFSIGNALED(status) ? "killed by" : "exited", WIFSIGNALED(status) ? WTERMSIG(status)
                                                                                    : WEXITSTATUS(status));
    n = read(report[0], line, sizeof line);        /* the orphan died: the pipe's last writer is gone */
    printf("orphan gone: %s\n", n == 0 ? "yes" : "no");
    printf("the caller survived; init is there: %s\n", kill(1, 0) == 0 ? "yes" : "no");
    usleep(50000);
    printf("kill(-1, 0) with no one else left = %s\n", result(kill(-1, 0)));
    return 3;                                      /* the machine's exit status */
}
