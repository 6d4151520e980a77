/* Interrupted system calls: a SIGALRM handler without SA_RESTART makes a blocking read fail with EINTR;
 * with SA_RESTART the read is restarted; nanosleep reports EINTR and the remaining time; alarm() returns the
 * seconds left of the previous alarm; setitimer/getitimer. */
#include "conf.h"
#include <poll.h>
#include <sys/select.h>
#include <sys/time.h>
#include <time.h>

static volatile sig_atomic_t alarms;
static int wake_fd = -1;

static void on_alarm(int sig)
{
    (void)sig;
    alarms++;
    if (wake_fd >= 0) write(wake_fd, "w", 1);   /* gives the restarted read something to return */
}

static int arm_ms(int ms)
{
    struct itimerval it = {{0, 0}, {ms / 1000, (ms % 1000) * 1000}};
    if (setitimer(ITIMER_REAL, &it, NULL)) {
        printf("setitimer: %s\n", errname(errno));
        exit(1);
    }
    return 0;
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sa.sa_flags = 0;
    sigaction(SIGALRM, &sa, NULL);

    int p[2];
    MUST(pipe(p));
    char c;
    arm_ms(50);
    errno = 0;
    ssize_t n = read(p[0], &c, 1);
    printf("read without SA_RESTART: %zd %s, alarms %d\n", n, errname(errno), alarms);

    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    wake_fd = p[1];
    arm_ms(50);
    errno = 0;
    n = read(p[0], &c, 1);
    printf("read with SA_RESTART: %zd [%c] %s, alarms %d\n", n, n == 1 ? c : '-', errname(errno), alarms);
    wake_fd = -1;

    sa.sa_flags = SA_RESTART;   /* nanosleep is never restarted, SA_RESTART or not */
    sigaction(SIGALRM, &sa, NULL);
    arm_ms(50);
    struct timespec req = {2, 0}, rem = {0, 0};
    errno = 0;
    int r = nanosleep(&req, &rem);
    printf("nanosleep 2 s interrupted: %d %s, remaining between 1 and 2 s: %d\n", r, errname(errno),
           rem.tv_sec == 1);

    /* pause returns after a handled signal */
    arm_ms(30);
    errno = 0;
    r = pause();
    printf("pause: %d %s\n", r, errname(errno));

    /* poll and select are never restarted after a handler, SA_RESTART or not (the handler has it) */
    int never[2];
    pipe(never);
    struct pollfd pfd = {never[0], POLLIN, 0};
    arm_ms(30);
    errno = 0;
    r = poll(&pfd, 1, 5000);
    printf("poll under SA_RESTART: %d %s\n", r, errname(errno));
    fd_set rset;
    FD_ZERO(&rset);
    FD_SET(never[0], &rset);
    struct timeval tv = {5, 0};
    arm_ms(30);
    errno = 0;
    r = select(never[0] + 1, &rset, NULL, NULL, &tv);
    printf("select under SA_RESTART: %d %s\n", r, errname(errno));

    /* alarm() */
    printf("alarm(10) first: %u\n", alarm(10));
    unsigned left = alarm(20);
    printf("alarm(20) returns about 10: %d\n", left >= 9 && left <= 10);
    printf("alarm(0) returns about 20: %d\n", (left = alarm(0), left >= 19 && left <= 20));
    printf("alarm(0) again: %u\n", alarm(0));

    struct itimerval it = {{0, 0}, {3, 0}}, cur;
    SHOW("setitimer 3 s", setitimer(ITIMER_REAL, &it, NULL));
    SHOW("getitimer", getitimer(ITIMER_REAL, &cur));
    printf("remaining in (2, 3] s: %d, interval 0: %d\n",
           (cur.it_value.tv_sec == 2 || (cur.it_value.tv_sec == 3 && cur.it_value.tv_usec == 0)),
           cur.it_interval.tv_sec == 0 && cur.it_interval.tv_usec == 0);
    memset(&it, 0, sizeof it);
    SHOW("disarm", setitimer(ITIMER_REAL, &it, &cur));
    printf("old value was set: %d\n", cur.it_value.tv_sec > 0 || cur.it_value.tv_usec > 0);
    SHOW("getitimer bad which", getitimer(42, &cur));
    it.it_value.tv_usec = 1000000;
    SHOW("setitimer usec out of range", setitimer(ITIMER_REAL, &it, NULL));

    /* a periodic timer fires repeatedly */
    alarms = 0;
    struct itimerval per = {{0, 20000}, {0, 20000}};
    setitimer(ITIMER_REAL, &per, NULL);
    for (int i = 0; i < 1000 && alarms < 3; i++) usleep(1000);
    memset(&per, 0, sizeof per);
    setitimer(ITIMER_REAL, &per, NULL);
    printf("periodic timer fired at least 3 times: %d\n", alarms >= 3);
    return 0;
}
