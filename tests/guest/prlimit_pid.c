/* prlimit64 on another process (what `prlimit -p PID` does): read and set a child's RLIMIT_NOFILE, which the
 * child then sees as its own; ESRCH for a pid no task has; EPERM for a target with other ids once the caller
 * has dropped CAP_SYS_RESOURCE by changing its uids (root runs this natively and under pynix). */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"

static void show(const char *what, int rc)
{
    printf("%s: %d %s\n", what, rc, rc ? errname(errno) : "0");
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    int go[2], done[2];
    pipe(go);
    pipe(done);
    pid_t child = fork();
    if (child == 0) {
        char c;
        read(go[0], &c, 1);
        struct rlimit own;
        getrlimit(RLIMIT_NOFILE, &own);
        printf("child sees nofile %lu:%lu\n", (unsigned long)own.rlim_cur, (unsigned long)own.rlim_max);
        fflush(stdout);
        write(done[1], "x", 1);
        pause();
        _exit(0);
    }
    struct rlimit old, set = {300, 400};
    show("prlimit child set", prlimit(child, RLIMIT_NOFILE, &set, &old));
    show("prlimit child get", prlimit(child, RLIMIT_NOFILE, NULL, &old));
    printf("parent reads child nofile %lu:%lu\n", (unsigned long)old.rlim_cur, (unsigned long)old.rlim_max);
    struct rlimit mine;
    getrlimit(RLIMIT_NOFILE, &mine);
    printf("parent's own unchanged: %d\n", mine.rlim_cur != 300);
    write(go[1], "x", 1);
    char c;
    read(done[0], &c, 1);
    show("prlimit no such pid", prlimit(0x3ffffff, RLIMIT_NOFILE, NULL, &old));
    struct rlimit bad = {500, 400};
    show("prlimit soft over hard", prlimit(child, RLIMIT_NOFILE, &bad, NULL));
    pid_t other = fork();
    if (other == 0) {                  /* a different uid without CAP_SYS_RESOURCE */
        setresgid(65534, 65534, 65534);
        setresuid(65534, 65534, 65534);
        show("unprivileged prlimit of root's child", prlimit(child, RLIMIT_NOFILE, NULL, &old));
        show("unprivileged prlimit of itself by pid", prlimit(getpid(), RLIMIT_NOFILE, NULL, &old));
        fflush(stdout);
        _exit(0);
    }
    waitpid(other, NULL, 0);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    return 0;
}
