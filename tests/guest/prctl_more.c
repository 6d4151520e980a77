/* The prctl options programs commonly read (issue 21): timer slack (per thread, inherited, 0 restores the
 * default the thread was created with), keepcaps, securebits, ambient capabilities, the bounding set drop,
 * THP disable, the machine-check kill policy; and what an unprivileged process may not change. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"

#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_IS_SET 1
#define PR_CAP_AMBIENT_RAISE 2
#define PR_CAP_AMBIENT_LOWER 3
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

static void result(const char *what, long rc)
{
    printf("%s = %ld%s%s\n", what, rc, rc < 0 ? " " : "", rc < 0 ? errname(errno) : "");
    errno = 0;
}

static void *thread_slack(void *arg)
{
    (void)arg;
    result("thread: PR_GET_TIMERSLACK", prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0));
    result("thread: PR_SET_TIMERSLACK 7", prctl(PR_SET_TIMERSLACK, 7, 0, 0, 0));
    result("thread: PR_GET_TIMERSLACK", prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0));
    result("thread: PR_SET_TIMERSLACK 0", prctl(PR_SET_TIMERSLACK, 0, 0, 0, 0));
    result("thread: PR_GET_TIMERSLACK", prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0));
    return NULL;
}

static void slack(void)
{
    result("PR_GET_TIMERSLACK", prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0));
    result("PR_SET_TIMERSLACK 1000", prctl(PR_SET_TIMERSLACK, 1000, 0, 0, 0));
    result("PR_GET_TIMERSLACK", prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0));
    pthread_t th;
    pthread_create(&th, NULL, thread_slack, NULL);
    pthread_join(th, NULL);
    result("after the thread: PR_GET_TIMERSLACK", prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0));
    pid_t child = fork();
    if (child == 0) {
        result("child: PR_GET_TIMERSLACK", prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0));
        result("child: PR_SET_TIMERSLACK 3", prctl(PR_SET_TIMERSLACK, 3, 0, 0, 0));
        result("child: PR_SET_TIMERSLACK 0", prctl(PR_SET_TIMERSLACK, 0, 0, 0, 0));
        result("child: PR_GET_TIMERSLACK", prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0));
        _exit(0);
    }
    waitpid(child, NULL, 0);
    result("PR_SET_TIMERSLACK 0", prctl(PR_SET_TIMERSLACK, 0, 0, 0, 0));
    result("PR_GET_TIMERSLACK", prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0));
}

static void caps(const char *who)
{
    printf("-- %s\n", who);
    result("PR_GET_KEEPCAPS", prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0));
    result("PR_SET_KEEPCAPS 2", prctl(PR_SET_KEEPCAPS, 2, 0, 0, 0));
    result("PR_SET_KEEPCAPS 1", prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0));
    result("PR_GET_KEEPCAPS", prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0));
    result("PR_GET_SECUREBITS", prctl(PR_GET_SECUREBITS, 0, 0, 0, 0));
    result("PR_SET_KEEPCAPS 0", prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0));
    result("PR_SET_SECUREBITS 0x10", prctl(PR_SET_SECUREBITS, 0x10, 0, 0, 0));
    result("PR_GET_SECUREBITS", prctl(PR_GET_SECUREBITS, 0, 0, 0, 0));
    result("PR_GET_KEEPCAPS", prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0));
    result("PR_SET_SECUREBITS 1<<30", prctl(PR_SET_SECUREBITS, 1 << 30, 0, 0, 0));
    result("PR_SET_SECUREBITS 0", prctl(PR_SET_SECUREBITS, 0, 0, 0, 0));
    result("PR_CAP_AMBIENT IS_SET CAP_CHOWN", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, 0, 0, 0));
    result("PR_CAP_AMBIENT IS_SET 99", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, 99, 0, 0));
    result("PR_CAP_AMBIENT RAISE CAP_CHOWN", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, 0, 0, 0));
    result("PR_CAP_AMBIENT LOWER CAP_CHOWN", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_LOWER, 0, 0, 0));
    result("PR_CAP_AMBIENT CLEAR_ALL", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0));
    result("PR_CAP_AMBIENT CLEAR_ALL 1", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 1, 0, 0));
    result("PR_CAP_AMBIENT 9", prctl(PR_CAP_AMBIENT, 9, 0, 0, 0));
    result("PR_CAPBSET_DROP 99", prctl(PR_CAPBSET_DROP, 99, 0, 0, 0));
    result("PR_CAPBSET_DROP CAP_SYS_TIME", prctl(PR_CAPBSET_DROP, 25, 0, 0, 0));
    result("PR_CAPBSET_READ CAP_SYS_TIME", prctl(PR_CAPBSET_READ, 25, 0, 0, 0));
    result("PR_CAPBSET_READ CAP_CHOWN", prctl(PR_CAPBSET_READ, 0, 0, 0, 0));
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    slack();
    result("PR_GET_THP_DISABLE", prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0));
    result("PR_SET_THP_DISABLE 1", prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0));
    result("PR_GET_THP_DISABLE", prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0));
    result("PR_SET_THP_DISABLE 1 1", prctl(PR_SET_THP_DISABLE, 1, 1, 0, 0));
    result("PR_MCE_KILL_GET", prctl(PR_MCE_KILL_GET, 0, 0, 0, 0));
    result("PR_MCE_KILL SET EARLY", prctl(PR_MCE_KILL, PR_MCE_KILL_SET, PR_MCE_KILL_EARLY, 0, 0));
    result("PR_MCE_KILL_GET", prctl(PR_MCE_KILL_GET, 0, 0, 0, 0));
    result("PR_MCE_KILL CLEAR", prctl(PR_MCE_KILL, PR_MCE_KILL_CLEAR, 0, 0, 0));
    result("PR_MCE_KILL_GET", prctl(PR_MCE_KILL_GET, 0, 0, 0, 0));
    pid_t child = fork();
    if (child == 0) {
        if (getuid() == 0 && setuid(65534) != 0)
            _exit(1);
        caps("unprivileged");
        _exit(0);
    }
    waitpid(child, NULL, 0);
    if (getuid() == 0)
        caps("root");
    return 0;
}
