/* pty: Unix98 pseudo-terminals.  posix_openpt/grantpt/unlockpt/ptsname and the master ioctls (TIOCGPTN,
 * TIOCSPTLCK/TIOCGPTLCK, TIOCGPTPEER), the slave node, canonical and raw I/O through the pair with echo and
 * output processing, FIONREAD, non-blocking reads, poll readiness on both sides, a child that makes the slave
 * its controlling terminal (/dev/tty, /proc/self/stat's tty_nr, ^C from the master, TIOCSWINSZ + SIGWINCH),
 * EIO on the master once the slave is closed, and the hangup a slave sees when the master goes away. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include "errname.h"
#include "say.h"


/* bytes as a C-ish string: \r \n and other control characters made visible */
static const char *show(const char *buf, int n)
{
    static char out[1024];
    int j = 0;
    for (int i = 0; i < n && j < (int)sizeof out - 5; i++) {
        unsigned char c = buf[i];
        if (c == '\r') { out[j++] = '\\'; out[j++] = 'r'; }
        else if (c == '\n') { out[j++] = '\\'; out[j++] = 'n'; }
        else if (c < 32 || c == 127) j += snprintf(out + j, 5, "\\x%02x", c);
        else out[j++] = c;
    }
    out[j] = 0;
    return out;
}

/* read what is there now (the data path is synchronous: written bytes are readable at once) */
static void drain(const char *what, int fd)
{
    char buf[256];
    int flags = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    errno = 0;
    int n = read(fd, buf, sizeof buf);
    say("%s: %d \"%s\" %s\n", what, n, n > 0 ? show(buf, n) : "", n < 0 ? errname(errno) : "");
    fcntl(fd, F_SETFL, flags);
}

/* the result of a call and its errno, evaluated in that order */
static int rc;
static int err;
#define CALL(expr) (errno = 0, rc = (int)(expr), err = errno, rc)

/* Linux moves bytes between the two sides through a work queue: give it a moment */
static void settle(void) { usleep(20000); }

static int pollmask(int fd)
{
    struct pollfd p = { fd, POLLIN | POLLOUT | POLLPRI, 0 };
    poll(&p, 1, 0);
    return p.revents;
}

/* TIOCGPTLCK.  The riscv64 reference, qemu-user 7.2, does not translate this ioctl (ENOTTY there), so only
 * the x86_64 build asks. */
static void show_lock(const char *when, int m)
{
#ifdef __x86_64__
    int lock = -1;
    ioctl(m, TIOCGPTLCK, &lock);
    say("locked %s: %d\n", when, lock);
#else
    (void)when, (void)m;
#endif
}

static int open_master(int *index)
{
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    if (m < 0) { say("posix_openpt: %s\n", errname(errno)); exit(1); }
    if (grantpt(m) || unlockpt(m)) { say("grantpt/unlockpt failed\n"); exit(1); }
    ioctl(m, TIOCGPTN, index);
    return m;
}

static void test_names(void)
{
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    say("posix_openpt: %s\n", m >= 0 ? "ok" : errname(errno));
    int n = -1;
    say("TIOCGPTN: %d\n", ioctl(m, TIOCGPTN, &n) == 0 && n >= 0);
    char expect[64];
    snprintf(expect, sizeof expect, "/dev/pts/%d", n);
    const char *name = ptsname(m);
    say("ptsname is /dev/pts/N: %d\n", name && strcmp(name, expect) == 0);
    say("isatty(master): %d\n", isatty(m));
    show_lock("after open", m);
    CALL(open(expect, O_RDWR | O_NOCTTY));
    say("open locked slave: %d %s\n", rc, errname(err));
    CALL(ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY));
    say("TIOCGPTPEER locked: %d %s\n", rc, errname(err));
    int s;
    say("grantpt: %d\n", grantpt(m));
    say("unlockpt: %d\n", unlockpt(m));
    show_lock("after unlockpt", m);
    struct stat sb;
    stat(expect, &sb);
    say("slave node: chr %d major %d minor==N %d uid==me %d\n", S_ISCHR(sb.st_mode), major(sb.st_rdev),
        (int)minor(sb.st_rdev) == n, sb.st_uid == getuid());
    s = open(expect, O_RDWR | O_NOCTTY);
    struct stat fs;
    fstat(s, &fs);
    say("slave opened: %d same rdev %d isatty %d\n", s >= 0, fs.st_rdev == sb.st_rdev, isatty(s));
    char buf[64];
    say("ttyname(slave) == ptsname: %d\n", ttyname_r(s, buf, sizeof buf) == 0 && strcmp(buf, expect) == 0);
    int peer = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY);
    fstat(peer, &fs);
    say("TIOCGPTPEER: %d same rdev %d\n", peer >= 0, fs.st_rdev == sb.st_rdev);
    CALL(ioctl(s, TIOCGPTN, &n));
    say("TIOCGPTN on slave: %d %s\n", rc, errname(err));
    close(peer);
    close(s);
    say("node after slave close: %d\n", stat(expect, &sb) == 0);
    close(m);
    CALL(stat(expect, &sb));
    say("node after master close: %d %s\n", rc, errname(err));
}

static void test_io(void)
{
    int n;
    int m = open_master(&n);
    int s = open(ptsname(m), O_RDWR | O_NOCTTY);
    say("-- canonical\n");
    say("poll master %#x slave %#x\n", pollmask(m), pollmask(s));
    write(m, "hello", 5);
    settle();
    say("poll slave (partial line) %#x\n", pollmask(s));
    drain("master (echo)", m);
    write(m, " world\r", 7);
    settle();
    int avail = -1;
    ioctl(s, FIONREAD, &avail);
    say("FIONREAD slave: %d; poll slave %#x\n", avail, pollmask(s));
    drain("slave", s);
    drain("master (echo)", m);
    write(m, "abc\x7f\x7fx\x15line\r", 12);
    settle();
    drain("slave (after erase/kill)", s);
    drain("master (echo)", m);
    write(s, "one\ntwo\n", 8);
    settle();
    ioctl(m, FIONREAD, &avail);
    say("FIONREAD master: %d; poll master %#x\n", avail, pollmask(m));
    drain("master", m);
    drain("master (empty)", m);
    write(m, "\x04", 1);
    settle();
    drain("slave (^D)", s);
    say("-- raw\n");
    struct termios t;
    tcgetattr(s, &t);
    cfmakeraw(&t);
    tcsetattr(s, TCSANOW, &t);
    struct termios mt;
    tcgetattr(m, &mt);
    say("master sees slave settings: %d\n", (mt.c_lflag & ICANON) == 0);
    write(m, "x\r\x03y", 4);
    settle();
    drain("slave", s);
    drain("master (no echo)", m);
    write(s, "p\nq", 3);
    settle();
    drain("master (no ONLCR)", m);
    say("-- slave closed\n");
    close(s);
    say("poll master %#x\n", pollmask(m));
    char c;
    CALL(read(m, &c, 1));
    say("read master: %d %s\n", rc, errname(err));
    CALL(write(m, "z", 1));
    say("write master: %d %s\n", rc, errname(err));
    s = open(ptsname(m), O_RDWR | O_NOCTTY);
    say("reopened slave: %d; poll master %#x\n", s >= 0, pollmask(m));
    close(s);
    close(m);
}

static volatile sig_atomic_t winches, hups;
static void on_winch(int sig) { (void)sig; winches++; }
static void on_hup(int sig) { (void)sig; hups++; }

static void test_ctty(void)
{
    int n;
    int m = open_master(&n);
    char name[64];
    snprintf(name, sizeof name, "%s", ptsname(m));
    int ready[2], go[2];
    pipe(ready);
    pipe(go);
    say("-- controlling terminal\n");
    pid_t pid = fork();
    if (pid == 0) {
        close(m);
        close(ready[0]);
        close(go[1]);
        setsid();
        int s = open(name, O_RDWR);                       /* a session leader: acquires it */
        int r = ioctl(s, TIOCSCTTY, 0);                    /* already ours: succeeds */
        say("child: TIOCSCTTY %d\n", r);
        pid_t fg = tcgetpgrp(s);
        say("child: foreground is me %d, sid %d\n", fg == getpid(), tcgetsid(s) == getpid());
        int t = open("/dev/tty", O_RDWR);
        say("child: /dev/tty opened %d\n", t >= 0);
        write(t, "via /dev/tty\n", 13);                  /* the parent reads it from the master */
        signal(SIGWINCH, on_winch);
        write(ready[1], "r", 1);
        char c;
        read(go[0], &c, 1);                                /* the parent resized the terminal */
        struct winsize ws;
        ioctl(s, TIOCGWINSZ, &ws);
        say("child: SIGWINCH %d, size %dx%d\n", winches, ws.ws_row, ws.ws_col);
        write(ready[1], "r", 1);
        read(s, &c, 1);                                    /* killed by ^C from the master */
        say("child: read returned\n");
        _exit(0);
    }
    close(ready[1]);
    close(go[0]);
    char c;
    read(ready[0], &c, 1);
    char path[64], line[512] = "";
    snprintf(path, sizeof path, "/proc/%d/stat", pid);    /* (qemu-user fakes its own /proc/self/stat) */
    FILE *f = fopen(path, "r");
    fgets(line, sizeof line, f);
    fclose(f);
    int tty_nr = -1, tpgid = 0;
    sscanf(strrchr(line, ')') + 2, "%*c %*d %*d %*d %d %d", &tty_nr, &tpgid);
    say("parent: child's tty_nr major %d minor==N %d, tpgid is the child %d\n", major(tty_nr),
        (int)minor(tty_nr) == n, tpgid == pid);
    int pgrp = -1;
    ioctl(m, TIOCGPGRP, &pgrp);
    say("parent: TIOCGPGRP on master is the child %d\n", pgrp == pid);
    struct winsize ws = { 30, 100, 0, 0 };
    ioctl(m, TIOCSWINSZ, &ws);
    write(go[1], "g", 1);
    read(ready[0], &c, 1);
    usleep(100000);                                        /* the child sits in read() */
    write(m, "\x03", 1);
    settle();
    int status;
    waitpid(pid, &status, 0);
    say("parent: child %s %d\n", WIFSIGNALED(status) ? "killed by" : "exited", WIFSIGNALED(status) ?
        WTERMSIG(status) : WEXITSTATUS(status));
    drain("parent: master (echo)", m);
    close(m);
}

static void test_hangup(void)
{
    int n;
    int m = open_master(&n);
    char name[64];
    snprintf(name, sizeof name, "%s", ptsname(m));
    int ready[2], go[2];
    pipe(ready);
    pipe(go);
    say("-- hangup\n");
    pid_t pid = fork();
    if (pid == 0) {
        close(m);
        close(ready[0]);
        close(go[1]);
        setsid();
        signal(SIGHUP, on_hup);
        int s = open(name, O_RDWR);
        write(ready[1], "r", 1);
        char c;
        read(go[0], &c, 1);                                /* the master is closed now */
        errno = 0;
        int r = read(s, &c, 1);
        say("child: SIGHUP %d, read %d %s\n", hups, r, errname(errno));
        errno = 0;
        r = write(s, "x", 1);
        say("child: write %d %s\n", r, errname(errno));
        errno = 0;
        struct termios t;
        r = tcgetattr(s, &t);
        say("child: tcgetattr %d %s\n", r, errname(errno));
        say("child: poll %#x\n", pollmask(s));
        errno = 0;
        r = open(name, O_RDWR | O_NOCTTY);
        say("child: reopen %d %s\n", r, errname(errno));
        errno = 0;
        r = open("/dev/tty", O_RDWR);
        say("child: /dev/tty %d %s\n", r, errname(errno));
        _exit(0);
    }
    close(ready[1]);
    close(go[0]);
    char c;
    read(ready[0], &c, 1);
    close(m);
    write(go[1], "g", 1);
    int status;
    waitpid(pid, &status, 0);
    say("parent: child exited %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

static void test_blocking(void)
{
    int n;
    int m = open_master(&n);
    char name[64];
    snprintf(name, sizeof name, "%s", ptsname(m));
    int s = open(name, O_RDWR | O_NOCTTY);
    say("-- blocking\n");
    pid_t pid = fork();
    if (pid == 0) {
        close(m);
        usleep(50000);
        write(s, "late\n", 5);
        char buf[16];
        int k = read(s, buf, sizeof buf);                  /* waits for the parent's line */
        write(s, buf, k);
        _exit(0);
    }
    close(s);                                              /* the child holds the only slave file now */
    struct pollfd p = { m, POLLIN, 0 };
    int r = poll(&p, 1, 5000);
    say("poll master: %d revents %#x\n", r, p.revents);
    char buf[64];
    int k = read(m, buf, sizeof buf);
    say("read master: %d \"%s\"\n", k, show(buf, k));
    write(m, "back\r", 5);
    int got = 0;                                           /* echo "back\r\n", then the child's copy */
    while (got < 12 && (k = read(m, buf + got, sizeof buf - got)) > 0)
        got += k;
    say("read master: %d \"%s\"\n", got, show(buf, got));
    CALL(read(m, buf, sizeof buf));                        /* blocks until the child exits: EIO */
    say("read master after the slave closed: %d %s\n", rc, errname(err));
    waitpid(pid, NULL, 0);
    close(m);
}

int main(void)
{
    test_names();
    test_io();
    test_blocking();
    test_ctty();
    test_hangup();
    return 0;
}
