/* Signal semantics found by outside test suites (issue 21): SA_RESETHAND keeps the other flags, rt_sigqueueinfo
 * reaches an existing process (by its pid or by one of its thread ids), sigtimedwait/sigwaitinfo/sigwait work
 * however often they are called, and a core-action death sets WCOREDUMP exactly when Linux would dump core
 * (RLIMIT_CORE at least a page, the process dumpable).  The native run really dumps core: each child that may
 * dump runs in a fresh directory that the parent empties and removes. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "errname.h"

static volatile int caught, blocked_inside;

static void on_sig(int sig, siginfo_t *si, void *uc)
{
    (void)si; (void)uc;
    sigset_t now;
    sigprocmask(SIG_BLOCK, NULL, &now);
    blocked_inside = sigismember(&now, sig);
    caught++;
}

static volatile int handled;

static void count_handler(int sig)
{
    (void)sig;
    handled++;
}

static void resethand(void)
{
    struct sigaction sa = {0}, old;
    sa.sa_sigaction = on_sig;
    sa.sa_flags = SA_SIGINFO | SA_RESETHAND | SA_RESTART;
    sigaddset(&sa.sa_mask, SIGUSR2);
    sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1);
    sigaction(SIGUSR1, NULL, &old);
    printf("resethand: caught %d blocked inside %d handler dfl %d siginfo %d resethand %d restart %d mask usr2 %d\n",
           caught, blocked_inside, old.sa_handler == SIG_DFL, !!(old.sa_flags & SA_SIGINFO),
           !!(old.sa_flags & SA_RESETHAND), !!(old.sa_flags & SA_RESTART), sigismember(&old.sa_mask, SIGUSR2));
    sa.sa_flags = SA_RESETHAND;                      /* without SA_NODEFER the signal is blocked in the handler */
    sa.sa_handler = (void (*)(int))on_sig;
    sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1);
    sigaction(SIGUSR1, NULL, &old);
    printf("resethand plain: caught %d blocked inside %d handler dfl %d resethand %d\n", caught, blocked_inside,
           old.sa_handler == SIG_DFL, !!(old.sa_flags & SA_RESETHAND));
}

static long sigqueueinfo(pid_t pid, int sig, int code, int value)
{
    siginfo_t si;
    memset(&si, 0, sizeof si);
    si.si_signo = sig;
    si.si_code = code;
    si.si_pid = getpid();
    si.si_uid = getuid();
    si.si_value.sival_int = value;
    return syscall(SYS_rt_sigqueueinfo, pid, sig, &si);
}

static void show_queued(const char *what, long r)
{
    printf("%s: %ld %s", what, r, r < 0 ? errname(errno) : "");
    if (r == 0 && !strstr(what, "sig 0")) {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGRTMIN + 1);
        siginfo_t si;
        struct timespec ts = {5, 0};
        int s = sigtimedwait(&set, &si, &ts);
        printf(" -> sig %d code %d value %d", s == SIGRTMIN + 1, si.si_code, si.si_value.sival_int);
    }
    printf("\n");
}

static void *idle_thread(void *arg)
{
    *(volatile pid_t *)arg = (pid_t)syscall(SYS_gettid);
    pause();
    return NULL;
}

static void queueinfo(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGRTMIN + 1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    show_queued("sigqueueinfo self SI_QUEUE", sigqueueinfo(getpid(), SIGRTMIN + 1, SI_QUEUE, 41));
    show_queued("sigqueueinfo self SI_USER", sigqueueinfo(getpid(), SIGRTMIN + 1, SI_USER, 42));
    show_queued("sigqueueinfo self sig 0", sigqueueinfo(getpid(), 0, SI_QUEUE, 0));
    volatile pid_t tid = 0;
    pthread_t th;
    pthread_create(&th, NULL, idle_thread, (void *)&tid);
    while (!tid)
        sched_yield();
    show_queued("sigqueueinfo to a thread id", sigqueueinfo(tid, SIGRTMIN + 1, SI_QUEUE, 43));
    show_queued("sigqueueinfo thread id, SI_USER", sigqueueinfo(tid, SIGRTMIN + 1, SI_USER, 47));
    errno = 0;
    long k = kill(tid, 0);
    printf("kill(thread id, 0): %ld %s\n", k, k ? errname(errno) : "");
    show_queued("sigqueueinfo no such pid", sigqueueinfo(99999, SIGRTMIN + 1, SI_QUEUE, 44));
    pid_t child = fork();
    if (child == 0) {
        siginfo_t si;
        int s = sigwaitinfo(&set, &si);
        printf("child got %d code %d value %d\n", s == SIGRTMIN + 1, si.si_code, si.si_value.sival_int);
        fflush(stdout);
        _exit(0);
    }
    errno = 0;
    long r2 = sigqueueinfo(child, SIGRTMIN + 1, SI_USER, 46);
    int e2 = errno;
    long r = sigqueueinfo(child, SIGRTMIN + 1, SI_QUEUE, 45);
    int e = errno;
    waitpid(child, NULL, 0);
    printf("sigqueueinfo child: %ld %s\n", r, r < 0 ? errname(e) : "");
    printf("sigqueueinfo child SI_USER: %ld %s\n", r2, r2 < 0 ? errname(e2) : "");
    sigprocmask(SIG_UNBLOCK, &set, NULL);
}

static void waiting(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    sigprocmask(SIG_BLOCK, &set, NULL);
    struct timespec zero = {0, 0}, short_ = {0, 20000000};
    int got = 0, again = 0, sig;
    for (int i = 0; i < 5; i++) {
        raise(i % 2 ? SIGUSR2 : SIGUSR1);
        siginfo_t si;
        got += sigtimedwait(&set, &si, &zero) == (i % 2 ? SIGUSR2 : SIGUSR1);
        again += sigtimedwait(&set, &si, &zero) < 0 && errno == EAGAIN;
        again += sigtimedwait(&set, &si, &short_) < 0 && errno == EAGAIN;
        raise(SIGUSR1);
        got += sigwaitinfo(&set, &si) == SIGUSR1 && (si.si_code == SI_TKILL || si.si_code == SI_USER);  /* glibc */
        raise(SIGUSR2);
        got += sigwait(&set, &sig) == 0 && sig == SIGUSR2;
    }
    printf("sigtimedwait x5: got %d/15 timed out %d/10\n", got, again);
    /* Signals that arrive while the caller sleeps, from another process, again and again. */
    pid_t parent = getpid(), child = fork();
    if (child == 0) {
        for (int i = 0; i < 6; i++) {
            struct timespec d = {0, 10000000};
            nanosleep(&d, NULL);
            kill(parent, i % 2 ? SIGUSR2 : SIGUSR1);
        }
        _exit(0);
    }
    got = 0;
    for (int i = 0; i < 6; i++) {
        struct timespec ts = {10, 0};
        siginfo_t si;
        int s = i % 3 == 0 ? sigtimedwait(&set, &si, &ts) : i % 3 == 1 ? sigwaitinfo(&set, &si)
                                                                       : (sigwait(&set, &s) == 0 ? s : -1);
        got += s == (i % 2 ? SIGUSR2 : SIGUSR1);
    }
    waitpid(child, NULL, 0);
    printf("sleeping waits x6: got %d/6\n", got);
    sigprocmask(SIG_UNBLOCK, &set, NULL);

    /* A signal that is not blocked but has a handler: one arriving during the wait is taken by the wait. */
    struct sigaction sa = {0};
    sa.sa_handler = count_handler;
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);
    sigaction(SIGALRM, &sa, NULL);
    child = fork();
    if (child == 0) {
        for (int i = 0; i < 3; i++) {
            struct timespec d = {0, 50000000};
            nanosleep(&d, NULL);
            kill(parent, SIGUSR1);
        }
        _exit(0);
    }
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, SIGUSR1);
    got = 0;
    for (int i = 0; i < 3; i++) {
        siginfo_t si;
        got += sigwaitinfo(&one, &si) == SIGUSR1 && si.si_pid == child;
    }
    waitpid(child, NULL, 0);
    printf("unblocked waits x3: got %d/3 handler ran %d\n", got, handled);
    /* Interrupted by another signal's handler, then the waited-for signal is an ordinary handled signal again. */
    sigemptyset(&one);
    sigaddset(&one, SIGUSR2);
    for (int i = 0; i < 3; i++) {
        struct itimerval it = {{0, 0}, {0, 20000}};
        setitimer(ITIMER_REAL, &it, NULL);
        siginfo_t si;
        errno = 0;
        int r = syscall(SYS_rt_sigtimedwait, &one, &si, NULL, 8);   /* musl's wrapper retries after EINTR */
        printf("interrupted wait %d: %d %s handler ran %d", i, r, r < 0 ? errname(errno) : "", handled);
        raise(SIGUSR2);
        printf(" -> after raise %d\n", handled);
    }
}

/* A child that dies of `sig` with RLIMIT_CORE `limit`, dumpable or not: the parent prints its wait status. */
static void core(const char *what, int sig, rlim_t limit, int dumpable)
{
    char dir[] = "/tmp/pynix-core-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        exit(1);
    }
    pid_t child = fork();
    if (child == 0) {
        struct rlimit rl = {limit, RLIM_INFINITY};
        if (chdir(dir) != 0 || setrlimit(RLIMIT_CORE, &rl) != 0)
            _exit(99);
        if (!dumpable)
            prctl(PR_SET_DUMPABLE, 0);
        if (sig == SIGSEGV)
            *(volatile int *)8 = 1;
        if (sig == SIGABRT)
            abort();
        kill(getpid(), sig);
        for (;;)
            pause();
    }
    int status;
    waitpid(child, &status, 0);
    siginfo_t si = {0};
    printf("%s: signaled %d sig %d coredump %d\n", what, WIFSIGNALED(status), WTERMSIG(status),
           !!WCOREDUMP(status));
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (e->d_name[0] != '.') {
            char path[128];
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            unlink(path);
        }
    if (d)
        closedir(d);
    rmdir(dir);
    (void)si;
}

static void cores(void)
{
    core("SIGQUIT core 0", SIGQUIT, 0, 1);
    core("SIGQUIT core unlimited", SIGQUIT, RLIM_INFINITY, 1);
    core("SIGQUIT core 1 byte", SIGQUIT, 1, 1);
    core("SIGQUIT not dumpable", SIGQUIT, RLIM_INFINITY, 0);
    core("SIGSEGV fault core unlimited", SIGSEGV, RLIM_INFINITY, 1);
    core("SIGABRT abort core unlimited", SIGABRT, RLIM_INFINITY, 1);
    core("SIGABRT abort core 0", SIGABRT, 0, 1);
    core("SIGSYS core unlimited", SIGSYS, RLIM_INFINITY, 1);
    core("SIGTERM core unlimited", SIGTERM, RLIM_INFINITY, 1);
    core("SIGKILL core unlimited", SIGKILL, RLIM_INFINITY, 1);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    resethand();
    queueinfo();
    waiting();
    cores();
    return 0;
}
