/* Setting the wall clock (issue 21).  Without arguments: what any Linux gives -- as root (CAP_SYS_TIME) the
 * calls succeed, passing only the clock's current time so that a native run changes nothing that matters (as
 * tests/guest/settime.c does); an unprivileged child gets EPERM; argument errors; and clock_nanosleep's answer
 * for every clock.  With "jump" (only under pynix, whose machine clock is its own): the clock really moves, and
 * every reader of it follows. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timex.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "errname.h"

#define NS 1000000000LL
static void show(const char *what, long r)
{
    printf("%s: %ld %s\n", what, r < 0 ? -1 : r, r < 0 ? errname(errno) : "");
    errno = 0;
}

static long long now(clockid_t c)
{
    struct timespec t;
    clock_gettime(c, &t);
    return t.tv_sec * NS + t.tv_nsec;
}

static long settime_ns(long long ns)
{
    struct timespec t = {ns / NS, ns % NS};
    return syscall(SYS_clock_settime, CLOCK_REALTIME, &t);
}

static long adj(int modes, long sec, long usec, long tick)
{
    struct timex tx;
    memset(&tx, 0, sizeof tx);
    tx.modes = modes;
    tx.time.tv_sec = sec;
    tx.time.tv_usec = usec;
    tx.tick = tick;
    long r = syscall(SYS_adjtimex, &tx);
    return r >= 0 ? 0 : r;               /* the clock state (TIME_OK/TIME_ERROR) depends on the host's NTP */
}

static void set_calls(const char *who)
{
    printf("-- %s\n", who);
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct timezone utc = {0, 0}, far = {1000, 0};
    show("clock_settime now", settime_ns(now(CLOCK_REALTIME)));
    show("settimeofday now", syscall(SYS_settimeofday, &tv, NULL));
    show("settimeofday null null", syscall(SYS_settimeofday, NULL, NULL));
    show("settimeofday tz utc", syscall(SYS_settimeofday, NULL, &utc));
    show("settimeofday tz 1000 min", syscall(SYS_settimeofday, NULL, &far));
    show("clock_settime before boot", settime_ns(NS));
    show("clock_settime negative", settime_ns(-NS));
    show("adjtimex read", adj(0, 0, 0, 0));
    show("adjtimex adjtime read", adj(ADJ_OFFSET_SS_READ, 0, 0, 0));
    show("adjtimex step 0", adj(ADJ_SETOFFSET, 0, 0, 0));
    show("adjtimex step bad usec", adj(ADJ_SETOFFSET, 0, 1000000, 0));
    show("adjtimex step nano bad", adj(ADJ_SETOFFSET | ADJ_NANO, 0, 1000000000, 0));
    show("adjtimex tick 1", adj(ADJ_TICK, 0, 0, 1));
    show("adjtimex ADJ_ADJTIME alone", adj(0x8000, 0, 0, 0));
    struct timex tx = {0};
    show("clock_adjtime monotonic", syscall(SYS_clock_adjtime, CLOCK_MONOTONIC, &tx));
    show("clock_adjtime 100", syscall(SYS_clock_adjtime, 100, &tx));
    tx.modes = 0;
    long r = syscall(SYS_clock_adjtime, CLOCK_REALTIME, &tx);
    show("clock_adjtime realtime read", r >= 0 ? 0 : r);
}

static void nanosleep_clocks(void)
{
    static const int ids[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 16, -1, -2, 1000};
    struct timespec soon = {0, 1000}, past = {0, 1000};
    for (unsigned i = 0; i < sizeof ids / sizeof *ids; i++) {
        char what[64];
        long r = 0;
        if (ids[i] != 2) {                   /* a relative sleep on the process's own CPU clock never ends */
            r = syscall(SYS_clock_nanosleep, ids[i], 0, &soon, NULL);
            snprintf(what, sizeof what, "clock_nanosleep %d", ids[i]);
            show(what, r);
        }
        r = syscall(SYS_clock_nanosleep, ids[i], TIMER_ABSTIME, &past, NULL);
        snprintf(what, sizeof what, "clock_nanosleep %d abs", ids[i]);
        show(what, r);
    }
}

/* ---- "jump": the machine's clock really moves ---- */
static int failures;
static void check(const char *what, int ok)
{
    printf("%s %s\n", ok ? "OK" : "FAIL", what);
    failures += !ok;
}

static long long wake_at;
static void *sleeper(void *arg)
{
    (void)arg;
    struct timespec t = {wake_at / NS, wake_at % NS};
    syscall(SYS_clock_nanosleep, CLOCK_REALTIME, TIMER_ABSTIME, &t, NULL);
    return NULL;
}

static int jump(void)
{
    const long long day = 86400 * NS;
    long long real0 = now(CLOCK_REALTIME), mono0 = now(CLOCK_MONOTONIC), tai0 = now(CLOCK_TAI) - real0;
    check("set a day ahead", settime_ns(real0 + day) == 0);
    long long real1 = now(CLOCK_REALTIME), mono1 = now(CLOCK_MONOTONIC);
    check("clock_gettime follows", real1 - real0 >= day && real1 - real0 < day + 30 * NS);
    check("monotonic does not", mono1 - mono0 < 30 * NS);
    check("coarse follows", now(CLOCK_REALTIME_COARSE) - real0 >= day - NS);
    check("tai keeps its distance", llabs(now(CLOCK_TAI) - now(CLOCK_REALTIME) - tai0) < NS / 10);
    struct timeval tv;
    gettimeofday(&tv, NULL);
    check("gettimeofday follows", tv.tv_sec - real0 / NS >= 86400 && tv.tv_sec - real0 / NS < 86430);
    check("time follows", time(NULL) - real0 / NS >= 86400 && time(NULL) - real0 / NS < 86430);
    int fd = open("/tmp/pynix-clock-set-file", O_CREAT | O_WRONLY | O_TRUNC, 0600);
    struct stat st;
    fstat(fd, &st);
    close(fd);
    unlink("/tmp/pynix-clock-set-file");
    check("file timestamps follow", st.st_mtime - real0 / NS >= 86400 && st.st_mtime - real0 / NS < 86430);

    /* An absolute sleep on the wall clock wakes when the clock is set past its time. */
    wake_at = now(CLOCK_REALTIME) + 3600 * NS;
    pthread_t th;
    pthread_create(&th, NULL, sleeper, NULL);
    usleep(50000);
    long long before = now(CLOCK_MONOTONIC);
    settime_ns(now(CLOCK_REALTIME) + 3601 * NS);
    pthread_join(th, NULL);
    check("absolute sleep ends when the clock passes it", now(CLOCK_MONOTONIC) - before < 5 * NS);
    /* ... and keeps sleeping when the clock is set back. */
    wake_at = now(CLOCK_REALTIME) + 200000000LL;
    pthread_create(&th, NULL, sleeper, NULL);
    usleep(20000);
    before = now(CLOCK_MONOTONIC);
    settime_ns(now(CLOCK_REALTIME) - 10 * NS);
    pthread_join(th, NULL);
    check("absolute sleep outlasts a clock set back", now(CLOCK_MONOTONIC) - before >= 10 * NS);

    /* adjtimex steps it, and sets the TAI offset. */
    long long r0 = now(CLOCK_REALTIME);
    check("adjtimex step -1 s", adj(ADJ_SETOFFSET, -1, 0, 0) == 0);
    check("the step happened", llabs(now(CLOCK_REALTIME) - r0 + NS) < NS / 10);
    struct timex tx = {0};
    tx.modes = ADJ_TAI;
    tx.constant = 37;
    check("ADJ_TAI 37", syscall(SYS_adjtimex, &tx) >= 0 && tx.tai == 37);
    check("CLOCK_TAI is 37 s ahead", llabs(now(CLOCK_TAI) - now(CLOCK_REALTIME) - 37 * NS) < NS / 10);

    /* The first time zone set without a time warps the clock by it; gettimeofday reports the zone. */
    r0 = now(CLOCK_REALTIME);
    struct timezone tz = {60, 0}, got;
    check("settimeofday tz 60 min", syscall(SYS_settimeofday, NULL, &tz) == 0);
    check("the clock warped an hour", llabs(now(CLOCK_REALTIME) - r0 - 3600 * NS) < NS);
    syscall(SYS_gettimeofday, &tv, &got);   /* musl's wrapper does not ask for the zone */
    check("gettimeofday reports the zone", got.tz_minuteswest == 60);
    r0 = now(CLOCK_REALTIME);
    check("a second zone does not warp", syscall(SYS_settimeofday, NULL, &tz) == 0 &&
                                          llabs(now(CLOCK_REALTIME) - r0) < NS);

    /* A TFD_TIMER_CANCEL_ON_SET timer is cancelled by setting the clock: readable, then ECANCELED. */
    int tfd = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK);
    struct itimerspec its = {{0, 0}, {now(CLOCK_REALTIME) / NS + 3600, 0}};
    timerfd_settime(tfd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &its, NULL);
    uint64_t ticks;
    check("timerfd not readable before", read(tfd, &ticks, 8) == -1 && errno == EAGAIN);
    settime_ns(now(CLOCK_REALTIME) + NS);
    struct pollfd pfd = {tfd, POLLIN, 0};
    check("timerfd readable once the clock is set", poll(&pfd, 1, 0) == 1);
    check("timerfd read: ECANCELED", read(tfd, &ticks, 8) == -1 && errno == ECANCELED);
    check("again ECANCELED", read(tfd, &ticks, 8) == -1 && errno == ECANCELED);
    timerfd_settime(tfd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &its, NULL);
    check("re-armed: EAGAIN", read(tfd, &ticks, 8) == -1 && errno == EAGAIN);
    close(tfd);

    /* An unprivileged process cannot set it. */
    pid_t child = fork();
    if (child == 0) {
        setuid(65534);
        _exit(settime_ns(now(CLOCK_REALTIME)) == -1 && errno == EPERM ? 0 : 1);
    }
    int status;
    waitpid(child, &status, 0);
    check("unprivileged: EPERM", WIFEXITED(status) && WEXITSTATUS(status) == 0);
    printf(failures ? "FAILED\n" : "ALL OK\n");
    return failures != 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc > 1 && strcmp(argv[1], "jump") == 0)
        return jump();
    pid_t child = fork();
    if (child == 0) {
        if (getuid() == 0 && setuid(65534) != 0)
            _exit(1);
        set_calls("unprivileged");
        _exit(0);
    }
    waitpid(child, NULL, 0);
    if (getuid() == 0)
        set_calls("root");
    nanosleep_clocks();
    return 0;
}
