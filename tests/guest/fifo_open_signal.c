/* fifo_open_signal: a blocking fifo open whose partner arrives and then signals it at once (before the waiter
   has run again).  Linux's open succeeds -- the partner's arrival ended the wait (wait_for_partner sees the
   counter move) -- and the handler runs after it; it is not EINTR.  CPython's test_eintr (test_os_open) opens
   a fifo with SIGALRM every 100 ms and retried such an EINTR forever: the lost open had taken a writer along. */
#define _GNU_SOURCE
#include "errname.h"
#include "fs_util.h"
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

static volatile sig_atomic_t handled;

static void on_usr1(int sig) { (void)sig; handled++; }

static void nap(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void read_all(const char *who, int fd)
{
    char buf[64];
    size_t total = 0;
    ssize_t n;
    while (total < sizeof buf - 1 && (n = read(fd, buf + total, sizeof buf - 1 - total)) > 0)
        total += n;
    buf[total] = 0;
    say("%s read until EOF: [%s]\n", who, buf);
}

static void reap(const char *who)
{
    int status = 0;
    wait(&status);
    say("%s exited %d\n", who, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

/* The parent opens with `mine` and blocks; the child opens with the other mode after 100 ms, signals the
   parent at once, then the writer side writes and the reader side reads until EOF. */
static void round_trip(int mine)
{
    int theirs = mine == O_RDONLY ? O_WRONLY : O_RDONLY;
    handled = 0;
    if (fork() == 0) {
        alarm(10);                               /* a lost open would leave the reader waiting for EOF */
        nap(100);
        int fd = open("p", theirs);
        kill(getppid(), SIGUSR1);
        if (theirs == O_WRONLY)
            write(fd, "from child", 10);
        else
            read_all("child", fd);
        close(fd);
        _exit(0);
    }
    errno = 0;
    int fd = open("p", mine);
    say("parent open %s: %s, handler ran %d\n", mine == O_RDONLY ? "O_RDONLY" : "O_WRONLY",
        fd < 0 ? errname(errno) : "ok", (int)handled);
    if (fd >= 0) {
        if (mine == O_WRONLY)
            write(fd, "from parent", 11);
        else
            read_all("parent", fd);
        close(fd);
    }
    reap("child");
}

int main(void)
{
    struct sigaction sa = {0};
    sa.sa_handler = on_usr1;                     /* no SA_RESTART: an interrupted open is EINTR */
    sigaction(SIGUSR1, &sa, NULL);
    setup("fifosig");
    TRY("mkfifo p", mkfifo("p", 0644));
    round_trip(O_WRONLY);
    round_trip(O_RDONLY);
    cleanup();
    return 0;
}
