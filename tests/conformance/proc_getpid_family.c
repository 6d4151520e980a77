/* Identity calls: getpid/gettid/getppid relations across fork and threads, real/effective ids agree. */
#include "conf.h"
#include <pthread.h>

static pid_t main_pid;

static void *thread(void *arg)
{
    (void)arg;
    long tid = syscall(SYS_gettid);
    printf("thread: getpid same as main: %d, gettid differs from pid: %d\n", getpid() == main_pid, tid != main_pid);
    printf("thread: getppid same as main's: %d\n", getppid() == *(pid_t *)arg);
    return NULL;
}

int main(void)
{
    main_pid = getpid();
    pid_t ppid = getppid();
    printf("pid positive: %d\n", main_pid > 0);
    printf("gettid == getpid in the main thread: %d\n", syscall(SYS_gettid) == main_pid);
    printf("getpid stable: %d\n", getpid() == main_pid && syscall(SYS_getpid) == main_pid);
    printf("ppid differs: %d\n", ppid != main_pid);

    pthread_t t;
    pthread_create(&t, NULL, thread, &ppid);
    pthread_join(t, NULL);

    int p[2];
    MUST(pipe(p));
    pid_t child = xfork();
    if (child == 0) {
        pid_t mine = getpid();
        pid_t info[2] = {mine, getppid()};
        write(p[1], info, sizeof info);
        _exit(syscall(SYS_gettid) == mine ? 0 : 1);
    }
    pid_t info[2];
    read(p[0], info, sizeof info);
    printf("child: fork returned its pid: %d, its parent is us: %d, differs from ours: %d\n",
           info[0] == child, info[1] == main_pid, child != main_pid);
    reap("child (gettid == getpid there)", child);

    printf("uid == euid: %d, gid == egid: %d\n", getuid() == geteuid(), getgid() == getegid());
    uid_t r, e, s;
    gid_t gr, ge, gs;
    SHOW("getresuid", getresuid(&r, &e, &s));
    printf("getresuid agrees: %d\n", r == getuid() && e == geteuid() && s == geteuid());
    SHOW("getresgid", getresgid(&gr, &ge, &gs));
    printf("getresgid agrees: %d\n", gr == getgid() && ge == getegid() && gs == getegid());
    int n = getgroups(0, NULL);
    printf("getgroups count non-negative: %d\n", n >= 0);
    SHOW("setuid(getuid())", setuid(getuid()));
    SHOW("setgid(getgid())", setgid(getgid()));
    printf("ids unchanged: %d\n", getuid() == r && getgid() == gr);
    return 0;
}
