/* SIGPIPE: writing to a pipe with no reader kills with SIGPIPE by default; with SIG_IGN or a handler the
 * write fails with EPIPE (after the handler ran); a blocked SIGPIPE stays pending. */
#include "conf.h"

static volatile sig_atomic_t got;
static void handler(int sig) { got = sig; }

static int broken_pipe(void)
{
    int p[2];
    if (pipe(p)) { printf("pipe: %s\n", errname(errno)); exit(1); }
    close(p[0]);
    return p[1];
}

int main(void)
{
    pid_t pid = xfork();
    if (pid == 0) {
        int fd = broken_pipe();
        write(fd, "x", 1);
        _exit(3);     /* not reached when SIGPIPE kills */
    }
    reap("default action", pid);

    signal(SIGPIPE, SIG_IGN);
    int fd = broken_pipe();
    SHOW("ignored: write", write(fd, "x", 1));
    close(fd);

    signal(SIGPIPE, handler);
    fd = broken_pipe();
    SHOW("handler: write", write(fd, "x", 1));
    printf("handler ran: %s\n", got ? signame(got) : "no");
    close(fd);

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPIPE);
    sigprocmask(SIG_BLOCK, &set, NULL);
    got = 0;
    fd = broken_pipe();
    SHOW("blocked: write", write(fd, "x", 1));
    sigset_t pend;
    sigpending(&pend);
    printf("pending while blocked: %d, handler ran: %d\n", sigismember(&pend, SIGPIPE), got != 0);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    printf("after unblock handler ran: %d\n", got != 0);
    close(fd);

    /* the pipeline case: `yes | head -1` -- the writer dies of SIGPIPE after the reader leaves */
    int p[2];
    MUST(pipe(p));
    pid = xfork();
    if (pid == 0) {
        signal(SIGPIPE, SIG_DFL);
        close(p[0]);
        for (;;) if (write(p[1], "y\n", 2) < 0) _exit(4);
    }
    close(p[1]);
    char buf[2];
    read(p[0], buf, 2);
    close(p[0]);
    reap("writer after the reader closed", pid);
    return 0;
}
