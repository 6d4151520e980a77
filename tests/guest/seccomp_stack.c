/* seccomp filter stacking (every filter runs, the strictest action wins, among equal actions the newest
 * filter's data), inheritance across fork and exec, TSYNC onto another thread, /proc/self/status, and
 * strict mode (read/write/exit allowed, anything else SIGKILL). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"

#define LOAD(field) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, field))
#define ON(nr, ret) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), BPF_STMT(BPF_RET | BPF_K, (ret))
#define ALLOW BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)

static long install(struct sock_filter *insns, unsigned short len, unsigned int flags)
{
    struct sock_fprog prog = { .len = len, .filter = insns };
    return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
}

static void result(const char *what, long r)
{
    printf("%s: %s\n", what, r < 0 ? errname(errno) : r == 0 ? "0" : "ran");
}

static void report(const char *what, pid_t pid)
{
    int status;
    waitpid(pid, &status, 0);
    if (WIFEXITED(status))
        printf("%s: exited %d\n", what, WEXITSTATUS(status));
    else
        printf("%s: killed by signal %d\n", what, WTERMSIG(status));
}

static void status_lines(void)
{
    char buf[4096];
    int fd = open("/proc/self/status", O_RDONLY);
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    buf[n > 0 ? n : 0] = 0;
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
        if (!strncmp(line, "Seccomp", 7) || !strncmp(line, "NoNewPrivs", 10))
            printf("  %s\n", line);
}

static void check_filters(const char *where)
{
    printf("%s: PR_GET_SECCOMP %d\n", where, prctl(PR_GET_SECCOMP, 0, 0, 0, 0));
    result("  getppid (ERRNO EPERM under ERRNO EACCES)", syscall(SYS_getppid));
    result("  getuid (ALLOW under ERRNO ENOENT)", syscall(SYS_getuid));
    result("  getgid (ERRNO ESRCH under ALLOW)", syscall(SYS_getgid));
    status_lines();
}

static int gate[2], back[2];
static pid_t thread_tid;

static void *thread_main(void *arg)
{
    struct sock_filter own[] = { LOAD(nr), ON(__NR_getsid, SECCOMP_RET_ERRNO | EDOM), ALLOW };
    char c;
    (void)arg;
    read(gate[0], &c, 1);                     /* until the main thread installed its filter */
    long r = syscall(SYS_getpgid, 0);
    printf("thread made before the TSYNC filter: getpgid %s\n", r < 0 ? errname(errno) : "ran");
    thread_tid = syscall(SYS_gettid);
    install(own, sizeof own / sizeof own[0], 0);   /* a filter of its own: no longer one of main's */
    write(back[1], "x", 1);
    read(gate[0], &c, 1);
    return NULL;
}

static void tsync(void)
{
    struct sock_filter deny_getpgid[] = { LOAD(nr), ON(__NR_getpgid, SECCOMP_RET_ERRNO | EXDEV), ALLOW };
    pthread_t t;
    char c;
    pipe(gate);
    pipe(back);
    pthread_create(&t, NULL, thread_main, NULL);
    result("TSYNC install", install(deny_getpgid, sizeof deny_getpgid / sizeof deny_getpgid[0],
                                    SECCOMP_FILTER_FLAG_TSYNC));
    long r = syscall(SYS_getpgid, 0);
    printf("main thread: getpgid %s\n", r < 0 ? errname(errno) : "ran");
    write(gate[1], "x", 1);
    read(back[0], &c, 1);
    r = install(deny_getpgid, sizeof deny_getpgid / sizeof deny_getpgid[0], SECCOMP_FILTER_FLAG_TSYNC);
    printf("TSYNC with a thread that has its own filter: %s\n",
           r == thread_tid ? "that thread's id" : r < 0 ? errname(errno) : "?");
    result("the same with TSYNC_ESRCH", install(deny_getpgid, sizeof deny_getpgid / sizeof deny_getpgid[0],
                                                SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_TSYNC_ESRCH));
    result("TSYNC with NEW_LISTENER", install(deny_getpgid, sizeof deny_getpgid / sizeof deny_getpgid[0],
                                              SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_NEW_LISTENER));
    write(gate[1], "x", 1);
    pthread_join(t, NULL);
    exit(0);
}

static void strict(int allowed_only)
{
    static const char msg[] = "strict: write works\n";
    fflush(stdout);
    long r = allowed_only ? prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT, 0, 0, 0)
                          : syscall(SYS_seccomp, SECCOMP_SET_MODE_STRICT, 0, NULL);
    if (r != 0)
        syscall(SYS_exit, 99);
    syscall(SYS_write, 1, msg, sizeof msg - 1);
    if (!allowed_only)
        syscall(SYS_getpid);
    syscall(SYS_exit, 3);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc > 1 && !strcmp(argv[1], "exec")) {
        check_filters("after exec");
        return 0;
    }
    /* 1: deny getppid EACCES, allow getuid, deny getgid ESRCH.  2: deny getppid EPERM, deny getuid ENOENT. */
    struct sock_filter first[] = { LOAD(nr), ON(__NR_getppid, SECCOMP_RET_ERRNO | EACCES),
                                   ON(__NR_getgid, SECCOMP_RET_ERRNO | ESRCH), ALLOW };
    struct sock_filter second[] = { LOAD(nr), ON(__NR_getppid, SECCOMP_RET_ERRNO | EPERM),
                                    ON(__NR_getuid, SECCOMP_RET_ERRNO | ENOENT), ALLOW };
    struct sock_filter third[] = { LOAD(nr), ON(__NR_getppid, SECCOMP_RET_KILL_PROCESS), ALLOW };
    pid_t pid;
    if ((pid = fork()) == 0) {
        prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        printf("before: PR_GET_SECCOMP %d\n", prctl(PR_GET_SECCOMP, 0, 0, 0, 0));
        status_lines();
        struct sock_fprog first_prog = { .len = sizeof first / sizeof first[0], .filter = first };
        result("first (prctl PR_SET_SECCOMP)", prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &first_prog, 0, 0));
        result("second", install(second, sizeof second / sizeof second[0], 0));
        check_filters("two filters");
        pid_t child = fork();
        if (child == 0) {
            check_filters("forked child");
            result("third in the child", install(third, sizeof third / sizeof third[0], 0));
            syscall(SYS_getppid);
            printf("not reached\n");
            exit(0);
        }
        report("child with a third filter", child);
        check_filters("parent after its child's filter");
        fflush(stdout);
        execl("/proc/self/exe", argv[0], "exec", (char *)NULL);
        printf("exec failed: %s\n", errname(errno));
        exit(1);
    }
    report("stacking", pid);
    if ((pid = fork()) == 0) {
        prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        tsync();
    }
    report("tsync", pid);
    if ((pid = fork()) == 0)
        strict(1);
    report("strict (prctl), allowed calls only", pid);
    if ((pid = fork()) == 0)
        strict(0);
    report("strict (seccomp), then getpid", pid);
    if ((pid = fork()) == 0) {
        prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        install(first, sizeof first / sizeof first[0], 0);
        result("strict after a filter", syscall(SYS_seccomp, SECCOMP_SET_MODE_STRICT, 0, NULL));
        exit(0);
    }
    report("modes", pid);
    return 0;
}
