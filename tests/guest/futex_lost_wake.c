/* Lost futex wake-ups (issue 21): a waiter that stopped waiting without being woken -- killed, or interrupted
 * by a handler (EINTR, no SA_RESTART), or whose handler made a system call before its wait was restarted --
 * must not take a later FUTEX_WAKE meant for a live waiter.  Python installs its handlers without SA_RESTART
 * and multiprocessing's semaphores are futexes in shared memory, so both cases happen in its test suite,
 * where pynix stopped with a false "deadlock".  Each case ends with FUTEX_WAKE(1) and a live waiter that must
 * return 0; without the fix the machine finds every task asleep. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "errname.h"

static long futex(unsigned *uaddr, int op, unsigned val)
{
    return syscall(SYS_futex, uaddr, op, val, NULL, NULL, 0);
}

/* Wait until thread `tid` of process `pid` is asleep (state S in /proc), as a waiter in FUTEX_WAIT is. */
static void wait_asleep(pid_t pid, pid_t tid)
{
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/%d/task/%d/stat", pid, tid);
    for (int i = 0; i < 100000; i++) {
        FILE *f = fopen(path, "r");
        if (f) {
            size_t n = fread(buf, 1, sizeof buf - 1, f);
            fclose(f);
            buf[n] = 0;
            char *p = strrchr(buf, ')');
            if (p && p[1] == ' ' && p[2] == 'S')
                return;
        }
        sched_yield();
    }
    printf("never asleep\n");
    exit(1);
}

static void killed_waiter(void)
{
    unsigned *word = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    pid_t first = fork();
    if (first == 0) {
        futex(word, FUTEX_WAIT, 0);
        _exit(1);
    }
    wait_asleep(first, first);
    kill(first, SIGKILL);
    int status;
    waitpid(first, &status, 0);
    pid_t second = fork();
    if (second == 0) {
        long r = futex(word, FUTEX_WAIT, 0);
        _exit(r == 0 ? 0 : 2);
    }
    wait_asleep(second, second);
    long woken = futex(word, FUTEX_WAKE, 1);
    waitpid(second, &status, 0);
    printf("killed waiter: wake woke %ld, second exited %d\n", woken,
           WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

static unsigned word2;
static volatile pid_t waiter_tid;
static volatile int handled;

static void on_usr1(int sig)
{
    (void)sig;
    handled++;
    if (handled == 2)
        getppid();                               /* a system call inside the handler of a restarted wait */
}

static void *waiter(void *arg)
{
    (void)arg;
    waiter_tid = (pid_t)syscall(SYS_gettid);
    errno = 0;
    long r = futex(&word2, FUTEX_WAIT_PRIVATE, 0);
    printf("interrupted wait: %ld %s\n", r, r < 0 ? errname(errno) : "");
    r = futex(&word2, FUTEX_WAIT_PRIVATE, 0);    /* SA_RESTART from here on */
    printf("restarted wait: %ld %s\n", r, r < 0 ? errname(errno) : "");
    r = futex(&word2, FUTEX_WAIT_PRIVATE, 0);
    printf("last wait: %ld %s\n", r, r < 0 ? errname(errno) : "");
    return NULL;
}

static void interrupted_waiter(void)
{
    struct sigaction sa = {0};
    sa.sa_handler = on_usr1;                     /* no SA_RESTART, as Python's handlers */
    sigaction(SIGUSR1, &sa, NULL);
    pthread_t th;
    pthread_create(&th, NULL, waiter, NULL);
    while (!waiter_tid)
        sched_yield();
    wait_asleep(getpid(), waiter_tid);
    syscall(SYS_tgkill, getpid(), waiter_tid, SIGUSR1);   /* -> EINTR (the handler was installed without it) */
    while (handled < 1)
        sched_yield();
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &sa, NULL);
    wait_asleep(getpid(), waiter_tid);           /* in the second wait */
    syscall(SYS_tgkill, getpid(), waiter_tid, SIGUSR1);   /* restarted, after a syscall in the handler */
    while (handled < 2)
        sched_yield();
    usleep(20000);
    wait_asleep(getpid(), waiter_tid);
    long woken = futex(&word2, FUTEX_WAKE_PRIVATE, 1);
    while (woken == 0) {                         /* a wake that raced with the restart: wake the re-run wait */
        usleep(1000);
        woken = futex(&word2, FUTEX_WAKE_PRIVATE, 1);
    }
    wait_asleep(getpid(), waiter_tid);           /* in the last wait */
    woken = futex(&word2, FUTEX_WAKE_PRIVATE, 1);
    pthread_join(th, NULL);
    printf("interrupted waiter: handled %d, last wake woke %ld\n", handled, woken);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    killed_waiter();
    interrupted_waiter();
    return 0;
}
