/* POSIX message queues: mq_open (O_CREAT/O_EXCL, attributes and their limits, names), mq_send/mq_receive
   (priorities, EMSGSIZE, O_NONBLOCK, timeouts, blocking), mq_notify (SIGEV_SIGNAL with SI_MESGQ, EBUSY, one-shot),
   mq_getattr/mq_setattr, poll, mq_unlink, and the mqueue filesystem mounted on a directory.  Queue names carry
   the pid (the host's queues are shared); ids, pids and names are never printed. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "errname.h"
#include "say.h"

#define RES(r) ((r) < 0 ? errname(errno) : "ok")

static char name[64];

static void attrs(mqd_t q, const char *what)
{
    struct mq_attr a;
    if (mq_getattr(q, &a) < 0)
        say("%s: getattr %s\n", what, errname(errno));
    else
        say("%s: flags %s maxmsg %ld msgsize %ld curmsgs %ld\n", what, a.mq_flags & O_NONBLOCK ? "O_NONBLOCK" : "0",
            a.mq_maxmsg, a.mq_msgsize, a.mq_curmsgs);
}

static void receive(mqd_t q, const char *what, size_t size, int timeout_ms)
{
    char buf[9000];
    unsigned prio = 99;
    ssize_t n;
    if (timeout_ms >= 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += timeout_ms * 1000000L;
        ts.tv_sec += ts.tv_nsec / 1000000000;
        ts.tv_nsec %= 1000000000;
        n = mq_timedreceive(q, buf, size, &prio, &ts);
    } else {
        n = mq_receive(q, buf, size, &prio);
    }
    if (n < 0)
        say("%s: %s\n", what, errname(errno));
    else
        say("%s: %zd prio %u '%.*s'\n", what, n, prio, (int)n, buf);
}

static int wait_child(pid_t pid)
{
    int status;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int pollin(mqd_t q)
{
    struct pollfd p = {q, POLLIN | POLLOUT, 0};
    return poll(&p, 1, 0) < 0 ? -1 : p.revents;
}

int main(void)
{
    snprintf(name, sizeof name, "/pynix-mq-%d", getpid());
    say("open missing: %s\n", RES(mq_open(name, O_RDWR)));
    struct mq_attr attr = {0, 4, 64, 0};
    struct mq_attr bad = {0, 0, 64, 0};
    say("maxmsg 0: %s\n", RES(mq_open(name, O_RDWR | O_CREAT, 0600, &bad)));
    bad.mq_maxmsg = 4;
    bad.mq_msgsize = -1;
    say("msgsize -1: %s\n", RES(mq_open(name, O_RDWR | O_CREAT, 0600, &bad)));
    say("slash in name: %s\n", RES(syscall(SYS_mq_open, "a/b", O_RDWR | O_CREAT, 0600, NULL)));
    say("empty name: %s\n", RES(syscall(SYS_mq_open, "", O_RDWR | O_CREAT, 0600, NULL)));
    say("dot name: %s\n", RES(syscall(SYS_mq_open, ".", O_RDWR | O_CREAT, 0600, NULL)));
    mqd_t q = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &attr);
    say("create: %s cloexec %d\n", RES(q), fcntl(q, F_GETFD));
    attrs(q, "fresh");
    say("excl again: %s\n", RES(mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &attr)));
    say("O_ACCMODE: %s\n", RES(syscall(SYS_mq_open, name + 1, O_ACCMODE, 0, NULL)));
    mqd_t ro = mq_open(name, O_RDONLY);
    say("open read-only: %s\n", RES(ro));
    say("send on read-only: %s\n", RES(mq_send(ro, "x", 1, 0)));
    say("send on a pipe: %s\n", RES(mq_send(1, "x", 1, 0)));
    mqd_t def = mq_open("/pynix-mq-default", O_RDWR | O_CREAT | O_EXCL, 0600, NULL);
    attrs(def, "default attributes");
    mq_close(def);
    mq_unlink("/pynix-mq-default");

    /* priorities: highest first, oldest first within one */
    say("send a/1: %s\n", RES(mq_send(q, "a", 1, 1)));
    say("send b/5: %s\n", RES(mq_send(q, "bb", 2, 5)));
    say("send c/1: %s\n", RES(mq_send(q, "ccc", 3, 1)));
    say("poll: %#x\n", pollin(q));
    say("send d/5: %s\n", RES(mq_send(q, "dddd", 4, 5)));
    attrs(q, "four queued");
    say("poll full: %#x\n", pollin(q));
    say("send too long: %s\n", RES(mq_send(q, name, 65, 0)));
    say("prio 32768: %s\n", RES(mq_send(q, "x", 1, 32768)));
    receive(q, "small buffer", 63, -1);
    receive(q, "first", 64, -1);
    receive(q, "second", 64, -1);
    receive(q, "third", 64, -1);
    receive(ro, "fourth via read-only", 64, -1);
    say("poll empty: %#x\n", pollin(q));
    receive(q, "timed on empty", 64, 50);
    struct timespec badts = {0, 1000000000};
    char buf[64];
    say("bad timeout: %s\n", RES(mq_timedreceive(q, buf, 64, NULL, &badts)));

    /* O_NONBLOCK through mq_setattr; a full queue */
    struct mq_attr nb = {O_NONBLOCK, 0, 0, 0}, old;
    say("setattr: %s\n", RES(mq_setattr(q, &nb, &old)));
    say("old flags %ld\n", old.mq_flags);
    attrs(q, "nonblocking");
    receive(q, "empty nonblocking", 64, -1);
    for (int i = 0; i < 4; i++)
        mq_send(q, "fill", 4, 0);
    say("send full nonblocking: %s\n", RES(mq_send(q, "x", 1, 0)));
    nb.mq_flags = 0;
    mq_setattr(q, &nb, NULL);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 50000000;
    if (ts.tv_nsec >= 1000000000) { ts.tv_sec++; ts.tv_nsec -= 1000000000; }
    say("timed send full: %s\n", RES(mq_timedsend(q, "x", 1, 0, &ts)));
    nb.mq_flags = O_NONBLOCK | 1;
    say("setattr bad flags: %s\n", RES(mq_setattr(q, &nb, NULL)));

    /* a sender sleeps until a receiver makes room */
    pid_t pid = fork();
    if (pid == 0) {
        say("child: blocked send: %s\n", RES(mq_send(q, "late", 4, 7)));
        _exit(0);
    }
    usleep(100000);
    char got[64];
    ssize_t n = mq_receive(q, got, 64, NULL);
    say("child: %d\n", wait_child(pid));
    say("made room: %zd\n", n);
    receive(q, "the late one", 64, -1);
    for (int i = 0; i < 3; i++)
        mq_receive(q, got, 64, NULL);
    attrs(q, "drained");

    /* a receiver sleeps until a message comes */
    pid = fork();
    if (pid == 0) {
        receive(q, "child: blocked receive", 64, -1);
        _exit(0);
    }
    usleep(100000);
    mq_send(q, "wake", 4, 3);
    say("child: %d\n", wait_child(pid));

    /* mq_notify: a signal when a message reaches the empty queue, once */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    struct sigevent sev;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_SIGNAL;
    sev.sigev_signo = SIGUSR1;
    sev.sigev_value.sival_int = 42;
    say("notify: %s\n", RES(mq_notify(q, &sev)));
    pid = fork();
    if (pid == 0) {
        say("child: notify busy: %s\n", RES(mq_notify(q, &sev)));
        say("child: unregister someone else's: %s\n", RES(mq_notify(q, NULL)));
        _exit(0);
    }
    wait_child(pid);
    say("notify again: %s\n", RES(mq_notify(q, &sev)));
    mq_send(q, "ping", 4, 0);
    siginfo_t si;
    struct timespec zero = {1, 0};
    int sig = sigtimedwait(&set, &si, &zero);
    say("signal %d code SI_MESGQ %d value %d from me %d\n", sig, si.si_code == SI_MESGQ, si.si_value.sival_int,
        si.si_pid == getpid());
    mq_send(q, "pong", 4, 0);
    zero.tv_sec = 0;
    zero.tv_nsec = 50000000;
    say("second message, no signal: %s\n", RES(sigtimedwait(&set, &si, &zero)));
    say("register on non-empty: %s\n", RES(mq_notify(q, &sev)));
    mq_send(q, "more", 4, 0);
    say("non-empty queue, no signal: %s\n", RES(sigtimedwait(&set, &si, &zero)));
    say("unregister: %s\n", RES(mq_notify(q, NULL)));
    sev.sigev_notify = 99;
    say("bad sigev_notify: %s\n", RES(mq_notify(q, &sev)));
    sev.sigev_notify = SIGEV_NONE;
    say("SIGEV_NONE: %s\n", RES(mq_notify(q, &sev)));
    mq_notify(q, NULL);

    /* another user */
    pid = fork();
    if (pid == 0) {
        if (setuid(1000) < 0) {
            say("setuid: %s\n", errname(errno));
            _exit(0);
        }
        say("other: open: %s\n", RES(mq_open(name, O_RDONLY)));
        say("other: unlink: %s\n", RES(mq_unlink(name)));
        struct mq_attr big = {0, 11, 64, 0};
        say("other: maxmsg 11: %s\n", RES(mq_open("/pynix-mq-big", O_RDWR | O_CREAT, 0600, &big)));
        _exit(0);
    }
    wait_child(pid);

    /* the filesystem */
    char dir[64], path[128];
    snprintf(dir, sizeof dir, "/tmp/pynix-mqfs-%d", getpid());
    mkdir(dir, 0755);
    int m = mount("none", dir, "mqueue", 0, NULL);
    say("mount: %s\n", RES(m));
    if (m == 0) {
        snprintf(path, sizeof path, "%s%s", dir, name);
        struct stat sb;
        int r = stat(path, &sb);
        say("stat: %s mode %o\n", RES(r), (unsigned)sb.st_mode);
        char text[200] = "";
        int fd = open(path, O_RDONLY);
        n = read(fd, text, sizeof text - 1);
        say("read: %zd %s", n, n > 0 ? text : "\n");
        close(fd);
        snprintf(path, sizeof path, "%s/pynix-mq-file-%d", dir, getpid());
        fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0644);
        say("open(O_CREAT) in the fs: %s\n", RES(fd));
        char qname[64];
        snprintf(qname, sizeof qname, "/pynix-mq-file-%d", getpid());
        mqd_t fq = mq_open(qname, O_RDWR);
        attrs(fq, "queue made by open");
        say("write to it: %s\n", RES(write(fd, "x", 1)));
        snprintf(text, sizeof text, "%s/sub", dir);
        say("mkdir in it: %s\n", RES(mkdir(text, 0755)));
        close(fd);
        mq_close(fq);
        say("unlink by path: %s\n", RES(unlink(path)));
        say("mq_open after unlink: %s\n", RES(mq_open(qname, O_RDWR)));
        say("umount: %s\n", RES(umount(dir)));
    }
    rmdir(dir);

    say("mq_close: %s\n", RES(mq_close(ro)));
    say("mq_unlink: %s\n", RES(mq_unlink(name)));
    say("mq_unlink again: %s\n", RES(mq_unlink(name)));
    say("still usable: %s\n", RES(mq_send(q, "x", 1, 0)));
    attrs(q, "unlinked");
    say("ALL DONE\n");
    return 0;
}
