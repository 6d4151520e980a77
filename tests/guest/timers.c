/* POSIX timers (timer_create & co., through raw syscalls so that the kernel's timer ids are visible), and
 * setitimer's CPU-time timers.  Prints only ISA- and timing-independent facts. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "errname.h"

struct ksigevent { long value; int signo; int notify; int tid; int pad[11]; };   /* 64 bytes */
#define MS 1000000L

static int tcreate(int clock, struct ksigevent *ev) {
    int id = -1;
    long r = syscall(SYS_timer_create, clock, ev, &id);
    return r < 0 ? -errno : id;
}
static long tset(int id, int flags, long value_ns, long interval_ns, struct itimerspec *old) {
    struct itimerspec its = {{interval_ns / 1000000000L, interval_ns % 1000000000L},
                             {value_ns / 1000000000L, value_ns % 1000000000L}};
    return syscall(SYS_timer_settime, id, flags, &its, old) < 0 ? -errno : 0;
}
static long left_ns(int id, long *interval) {
    struct itimerspec its;
    if (syscall(SYS_timer_gettime, id, &its) < 0) return -errno;
    if (interval) *interval = its.it_interval.tv_sec * 1000000000L + its.it_interval.tv_nsec;
    return its.it_value.tv_sec * 1000000000L + its.it_value.tv_nsec;
}
static long now_ns(clockid_t c) { struct timespec t; clock_gettime(c, &t); return t.tv_sec * 1000000000L + t.tv_nsec; }
static void sleep_ms(long ms) { struct timespec t = {ms / 1000, ms % 1000 * MS}; while (nanosleep(&t, &t)) {} }
static const char *err(long r) { return r < 0 ? errname(-r) : "ok"; }

static volatile int hits, hit_code, hit_value;
static void handler(int s, siginfo_t *si, void *uc) { hits++; hit_code = si->si_code; hit_value = si->si_value.sival_int; }
static volatile sig_atomic_t cpu_sig;
static void cpu_handler(int s) { cpu_sig = s; }

static void spin_until_signal(void) {          /* burn CPU until a handler runs (5 s of wall time at most) */
    long end = now_ns(CLOCK_MONOTONIC) + 5000L * MS;
    while (!cpu_sig && now_ns(CLOCK_MONOTONIC) < end) { for (volatile int i = 0; i < 10000; i++) {} }
}

static volatile int callback_value;
static void thread_callback(union sigval v) { callback_value = v.sival_int; }

static int thread_tid;
static volatile int thread_ready;
static void *waiter(void *arg) {
    sigset_t set; sigemptyset(&set); sigaddset(&set, SIGRTMIN + 2);
    thread_tid = syscall(SYS_gettid); thread_ready = 1;
    siginfo_t si; int s = sigwaitinfo(&set, &si);
    printf("thread got %d: code SI_TIMER %d value %d\n", s - SIGRTMIN, si.si_code == SI_TIMER, si.si_value.sival_int);
    return 0;
}

static void after_exec(void) {
    printf("after exec: old timer %s, new id %d\n", err(left_ns(0, 0)), tcreate(CLOCK_MONOTONIC, 0));
    struct itimerval it; getitimer(ITIMER_REAL, &it);
    printf("after exec: ITIMER_REAL kept %d\n", it.it_value.tv_sec >= 8);
}

int main(int argc, char **argv) {
    if (argc > 1) { after_exec(); return 0; }
    /* ids count up from 0 and are not reused at once */
    int a = tcreate(CLOCK_MONOTONIC, 0), b = tcreate(CLOCK_REALTIME, 0), c = tcreate(CLOCK_BOOTTIME, 0);
    syscall(SYS_timer_delete, b);
    int d = tcreate(CLOCK_MONOTONIC, 0);
    printf("ids: %d %d %d %d\n", a, b, c, d);
    printf("deleted: gettime %s, delete %s, getoverrun %s\n", err(left_ns(b, 0)),
           err(syscall(SYS_timer_delete, b) < 0 ? -errno : 0), err(syscall(SYS_timer_getoverrun, b) < 0 ? -errno : 0));
    struct ksigevent ev = {0};
    printf("bad clock: %s, MONOTONIC_RAW EOPNOTSUPP %d\n", errname(-tcreate(99, 0)), tcreate(CLOCK_MONOTONIC_RAW, 0) == -EOPNOTSUPP);
    ev.notify = 7; ev.signo = SIGUSR1; printf("bad notify: %s\n", errname(-tcreate(CLOCK_MONOTONIC, &ev)));
    ev.notify = SIGEV_SIGNAL; ev.signo = 0; printf("bad signo: %s\n", errname(-tcreate(CLOCK_MONOTONIC, &ev)));
    ev.notify = SIGEV_THREAD_ID; ev.signo = SIGUSR1; ev.tid = 0x3fffffff; printf("bad tid: %s\n", errname(-tcreate(CLOCK_MONOTONIC, &ev)));
    printf("settime NULL: %s\n", err(syscall(SYS_timer_settime, a, 0, 0, 0) < 0 ? -errno : 0));
    struct itimerspec bad = {{0, 0}, {0, 1000000000L}};
    printf("settime bad nsec: %s\n", err(syscall(SYS_timer_settime, a, 0, &bad, 0) < 0 ? -errno : 0));
    syscall(SYS_timer_delete, a); syscall(SYS_timer_delete, c); syscall(SYS_timer_delete, d);

    /* the default sigevent: SIGALRM with the timer id as value; a handler sees SI_TIMER */
    struct sigaction sa; memset(&sa, 0, sizeof sa); sa.sa_sigaction = handler; sa.sa_flags = SA_SIGINFO;
    sigaction(SIGALRM, &sa, 0); sigaction(SIGUSR1, &sa, 0);
    int t = tcreate(CLOCK_MONOTONIC, 0);
    tset(t, 0, 10 * MS, 0, 0);
    while (!hits) pause();
    printf("default sigevent: code SI_TIMER %d, value == id %d\n", hit_code == SI_TIMER, hit_value == t);
    printf("one-shot after expiry: left %ld\n", left_ns(t, 0));

    /* gettime counts down; settime returns the old setting */
    tset(t, 0, 10000 * MS, 500 * MS, 0);
    long iv, left = left_ns(t, &iv);
    printf("gettime: %d interval %ld ms\n", left > 9000 * MS && left <= 10000 * MS, iv / MS);
    struct itimerspec old;
    tset(t, 0, 0, 0, &old);
    printf("old value: %d interval %ld ms; disarmed left %ld\n", old.it_value.tv_sec == 9, old.it_interval.tv_nsec / MS,
           left_ns(t, 0));

    /* SIGEV_SIGNAL with a value, TIMER_ABSTIME on CLOCK_REALTIME, taken with sigwaitinfo */
    sigset_t set; sigemptyset(&set); sigaddset(&set, SIGUSR2); sigaddset(&set, SIGRTMIN + 1); sigaddset(&set, SIGRTMIN + 2);
    sigprocmask(SIG_BLOCK, &set, 0);
    ev.notify = SIGEV_SIGNAL; ev.signo = SIGUSR2; ev.value = 0x1234;
    int u = tcreate(CLOCK_REALTIME, &ev);
    long start = now_ns(CLOCK_REALTIME);
    tset(u, TIMER_ABSTIME, start + 30 * MS, 0, 0);
    siginfo_t si; int s = sigwaitinfo(&set, &si);
    printf("abstime: sig USR2 %d code SI_TIMER %d timerid ok %d overrun %d value %#x waited %d\n", s == SIGUSR2,
           si.si_code == SI_TIMER, si.si_timerid == u, si.si_overrun, si.si_value.sival_int,
           now_ns(CLOCK_REALTIME) - start >= 29 * MS);

    /* a periodic timer whose signal stays blocked counts overruns */
    ev.signo = SIGRTMIN + 1; ev.value = 5;
    int p = tcreate(CLOCK_MONOTONIC, &ev);
    tset(p, 0, 1 * MS, 1 * MS, 0);
    sleep_ms(60);
    s = sigwaitinfo(&set, &si);
    int ov = si.si_overrun;
    printf("periodic: sig %d overrun>20 %d getoverrun==si_overrun %d\n", s - SIGRTMIN, ov > 20,
           syscall(SYS_timer_getoverrun, p) == ov);
    s = sigwaitinfo(&set, &si);
    printf("periodic again: sig %d\n", s - SIGRTMIN);
    syscall(SYS_timer_delete, p);
    sigset_t pend; sleep_ms(5); sigpending(&pend);
    printf("deleted periodic: pending %d\n", sigismember(&pend, SIGRTMIN + 1));

    /* SIGEV_NONE: nothing is sent, gettime counts down, a periodic one keeps going */
    ev.notify = SIGEV_NONE;
    int n = tcreate(CLOCK_MONOTONIC, &ev);
    tset(n, 0, 30 * MS, 0, 0);
    left = left_ns(n, 0);
    printf("SIGEV_NONE: counting %d\n", left > 0 && left <= 30 * MS);
    sleep_ms(40);
    printf("SIGEV_NONE: expired left %ld\n", left_ns(n, 0));
    tset(n, 0, 10 * MS, 10 * MS, 0);
    sleep_ms(25);
    left = left_ns(n, &iv);
    printf("SIGEV_NONE periodic: %d interval %ld ms\n", left > 0 && left <= 10 * MS, iv / MS);

    /* SIGEV_THREAD_ID: only the chosen thread gets it */
    pthread_t th; pthread_create(&th, 0, waiter, 0);
    while (!thread_ready) sched_yield();
    ev.notify = SIGEV_THREAD_ID; ev.signo = SIGRTMIN + 2; ev.value = 77; ev.tid = thread_tid;
    int q = tcreate(CLOCK_MONOTONIC, &ev);
    tset(q, 0, 10 * MS, 0, 0);
    pthread_join(th, 0);

    /* CPU-time timers: a CLOCK_PROCESS_CPUTIME_ID timer, ITIMER_VIRTUAL, ITIMER_PROF */
    signal(SIGVTALRM, cpu_handler); signal(SIGPROF, cpu_handler); signal(SIGUSR1, cpu_handler);
    ev.notify = SIGEV_SIGNAL; ev.signo = SIGUSR1;
    int k = tcreate(CLOCK_PROCESS_CPUTIME_ID, &ev);
    tset(k, 0, 20 * MS, 0, 0);
    spin_until_signal();
    printf("process cputime timer: %d\n", cpu_sig == SIGUSR1);
    cpu_sig = 0;
    int kt = tcreate(CLOCK_THREAD_CPUTIME_ID, &ev);
    tset(kt, 0, 20 * MS, 0, 0);
    spin_until_signal();
    printf("thread cputime timer: %d\n", cpu_sig == SIGUSR1);
    struct itimerval it = {{0, 0}, {0, 30000}}, cur;
    for (int which = ITIMER_VIRTUAL; which <= ITIMER_PROF; which++) {
        cpu_sig = 0;
        setitimer(which, &it, 0);
        getitimer(which, &cur);
        int counting = cur.it_value.tv_sec == 0 && cur.it_value.tv_usec > 0 && cur.it_value.tv_usec <= 40000;   /* Linux adds a tick */
        spin_until_signal();
        printf("itimer %d: counting %d signal %s\n", which, counting,
               cpu_sig == SIGVTALRM ? "SIGVTALRM" : cpu_sig == SIGPROF ? "SIGPROF" : "none");
    }
    struct itimerval big = {{0, 0}, {1, 0}}, oldv;
    setitimer(ITIMER_VIRTUAL, &big, 0);
    sleep_ms(100);                          /* sleeping uses no CPU time */
    setitimer(ITIMER_VIRTUAL, &(struct itimerval){{0, 0}, {0, 0}}, &oldv);
    getitimer(ITIMER_VIRTUAL, &cur);
    printf("virtual while asleep: %d, disarmed %ld\n", oldv.it_value.tv_sec * 1000000 + oldv.it_value.tv_usec > 900000,
           cur.it_value.tv_sec * 1000000 + cur.it_value.tv_usec);
    printf("bad which: %s\n", setitimer(7, &it, 0) < 0 ? errname(errno) : "ok");

    /* SIGEV_THREAD is the C library's: a helper thread that the kernel signals with SIGEV_THREAD_ID */
    struct sigevent tev; memset(&tev, 0, sizeof tev);
    tev.sigev_notify = SIGEV_THREAD; tev.sigev_notify_function = thread_callback; tev.sigev_value.sival_int = 42;
    timer_t lt;
    if (timer_create(CLOCK_MONOTONIC, &tev, &lt) == 0) {
        struct itimerspec its = {{0, 0}, {0, 10 * MS}};
        timer_settime(lt, 0, &its, 0);
        for (int i = 0; i < 500 && !callback_value; i++) sleep_ms(10);
        timer_delete(lt);
    }
    printf("SIGEV_THREAD callback: %d\n", callback_value);

    /* fork: timers are not inherited, ids start again at 0 */
    fflush(stdout);
    pid_t pid = fork();
    if (!pid) {
        printf("child: parent's timer %s, new id %d\n", err(left_ns(u, 0)), tcreate(CLOCK_MONOTONIC, 0));
        fflush(stdout);
        _exit(0);
    }
    int st; waitpid(pid, &st, 0);
    /* exec: POSIX timers are deleted, ITIMER_REAL survives */
    struct itimerval real = {{0, 0}, {10, 0}};
    setitimer(ITIMER_REAL, &real, 0);
    fflush(stdout);
    execl(argv[0], argv[0], "exec", (char *)0);
    printf("exec failed: %s\n", errname(errno));
    return 1;
}
