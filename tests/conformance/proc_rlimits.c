/* Resource limits: getrlimit/setrlimit/prlimit, soft <= hard, RLIMIT_NOFILE enforced by open/dup/pipe,
 * limits inherited by children, invalid resources. */
#include "conf.h"
#include <sys/resource.h>

int main(void)
{
    struct rlimit rl, old;
    SHOW("getrlimit NOFILE", getrlimit(RLIMIT_NOFILE, &old));
    printf("soft <= hard: %d\n", old.rlim_cur <= old.rlim_max);
    SHOW("getrlimit STACK", getrlimit(RLIMIT_STACK, &rl));
    SHOW("getrlimit AS", getrlimit(RLIMIT_AS, &rl));
    SHOW("getrlimit CORE", getrlimit(RLIMIT_CORE, &rl));
    SHOW("getrlimit bad resource", syscall(SYS_prlimit64, 0, 999, NULL, &rl));

    rl.rlim_cur = 20; rl.rlim_max = 10;
    SHOW("setrlimit soft > hard", setrlimit(RLIMIT_NOFILE, &rl));
    rl.rlim_cur = 10; rl.rlim_max = old.rlim_max;
    SHOW("setrlimit NOFILE soft 10", setrlimit(RLIMIT_NOFILE, &rl));
    getrlimit(RLIMIT_NOFILE, &rl);
    printf("read back: %ld, hard unchanged: %d\n", (long)rl.rlim_cur, rl.rlim_max == old.rlim_max);

    for (int fd = 3; fd < 1024; fd++) close(fd);
    int last = -1, n = 0, err = 0;
    for (;;) {
        int fd = dup(0);
        if (fd < 0) { err = errno; break; }
        last = fd; n++;
    }
    printf("dup until failure: %d new fds, last %d, then %s\n", n, last, errname(err));
    SHOW("open at the limit", open("/etc/passwd", O_RDONLY));
    int p[2];
    SHOW("pipe at the limit", pipe(p));
    SHOW("dup2 to fd 10 (beyond limit)", dup2(0, 10));
    SHOW("fcntl F_DUPFD 10", fcntl(0, F_DUPFD, 10));
    close(9);
    SHOW("dup after closing 9", dup(0));

    pid_t pid = xfork();
    if (pid == 0) {
        struct rlimit c;
        getrlimit(RLIMIT_NOFILE, &c);
        _exit((int)c.rlim_cur);
    }
    reap("child's NOFILE soft limit as exit status", pid);

    struct rlimit64 { unsigned long long cur, max; } nl = {16, old.rlim_max}, ol;
    SHOW("prlimit64 self set and get", syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, &nl, &ol));
    printf("prlimit old soft: %llu\n", ol.cur);
    SHOW("prlimit64 by own pid", syscall(SYS_prlimit64, getpid(), RLIMIT_NOFILE, NULL, &ol));
    printf("prlimit current soft: %llu\n", ol.cur);
    SHOW("prlimit64 no such process", syscall(SYS_prlimit64, 0x3ffffff0, RLIMIT_NOFILE, NULL, &ol));

    /* lowering the hard limit is allowed, raising it back is not (unless privileged: not tested) */
    rl.rlim_cur = 5; rl.rlim_max = 5;
    SHOW("setrlimit CPU 5/5", setrlimit(RLIMIT_CPU, &rl));
    getrlimit(RLIMIT_CPU, &rl);
    printf("CPU limit: %ld/%ld\n", (long)rl.rlim_cur, (long)rl.rlim_max);
    return 0;
}
