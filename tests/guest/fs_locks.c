/* fs_locks: advisory locks on a /dev/shm file.  flock: conflicts between open file descriptions (not between
   duplicates), lock conversion (and Linux's non-atomic conversion), release on the last close, inheritance by
   fork, a blocked LOCK_EX woken by the unlock.  fcntl record locks: F_GETLK from another process (type, range,
   owner), splitting/merging of one owner's ranges, l_len 0 and negative, release by closing any descriptor,
   F_SETLKW waking, EDEADLK, the argument errors; OFD locks (F_OFD_*) against POSIX locks.  Child processes report
   through stdout and are reaped before the parent goes on, so the output order is fixed. */
#define _GNU_SOURCE
#include "errname.h"
#include "fs_util.h"
#include <sys/file.h>
#include <sys/wait.h>
#include <time.h>

#ifndef F_OFD_GETLK
#define F_OFD_GETLK 36
#define F_OFD_SETLK 37
#define F_OFD_SETLKW 38
#endif

static void nap(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int reap(void)
{
    int status = 0;
    wait(&status);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static const char *lname(int t)
{
    return t == F_RDLCK ? "F_RDLCK" : t == F_WRLCK ? "F_WRLCK" : t == F_UNLCK ? "F_UNLCK" : "?";
}

static long setlk(int fd, int cmd, int type, int whence, long start, long len)
{
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = type;
    fl.l_whence = whence;
    fl.l_start = start;
    fl.l_len = len;
    return fcntl(fd, cmd, &fl);
}

/* F_GETLK (or F_OFD_GETLK) for a range: who would block it */
static void query(const char *label, int fd, int cmd, int type, long start, long len)
{
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = type;
    fl.l_whence = SEEK_SET;
    fl.l_start = start;
    fl.l_len = len;
    fl.l_pid = 0;
    errno = 0;
    if (fcntl(fd, cmd, &fl) < 0) {
        say("%s: -1 %s\n", label, errname(errno));
        return;
    }
    if (fl.l_type == F_UNLCK) {
        say("%s: F_UNLCK\n", label);
        return;
    }
    const char *who = fl.l_pid == -1 ? "ofd" : fl.l_pid == getppid() ? "parent" : fl.l_pid == getpid() ? "self" : "other";
    say("%s: %s start=%lld len=%lld whence=%d pid=%s\n", label, lname(fl.l_type), (long long)fl.l_start,
        (long long)fl.l_len, fl.l_whence, who);
}

static void test_flock(void)
{
    say("--- flock\n");
    int fd = open("f", O_RDWR);
    TRY("flock EX", flock(fd, LOCK_EX));
    TRY("flock SH (convert)", flock(fd, LOCK_SH));
    TRY("flock UN", flock(fd, LOCK_UN));
    TRY("flock UN again", flock(fd, LOCK_UN));
    TRY("flock SH|EX", flock(fd, LOCK_SH | LOCK_EX));
    TRY("flock 0", flock(fd, 0));
    TRY("flock NB only", flock(fd, LOCK_NB));
    TRY("flock 99", flock(99, LOCK_EX));
    int fd2 = open("f", O_RDONLY);
    TRY("fd EX", flock(fd, LOCK_EX));
    TRY("fd2 EX|NB (other description)", flock(fd2, LOCK_EX | LOCK_NB));
    TRY("fd2 SH|NB", flock(fd2, LOCK_SH | LOCK_NB));
    int fd3 = dup(fd);
    TRY("dup of fd EX|NB (same description)", flock(fd3, LOCK_EX | LOCK_NB));
    close(fd3);
    TRY("fd2 SH|NB after closing a dup", flock(fd2, LOCK_SH | LOCK_NB));
    TRY("fd UN", flock(fd, LOCK_UN));
    TRY("fd2 SH|NB", flock(fd2, LOCK_SH | LOCK_NB));
    TRY("fd SH|NB (shared)", flock(fd, LOCK_SH | LOCK_NB));
    TRY("fd EX|NB (conversion fails)", flock(fd, LOCK_EX | LOCK_NB));
    TRY("fd2 EX|NB (fd lost its lock)", flock(fd2, LOCK_EX | LOCK_NB));
    close(fd2);
    TRY("fd EX|NB after fd2 closed", flock(fd, LOCK_EX | LOCK_NB));
    int pfd = open("f", O_PATH);
    TRY("flock O_PATH", flock(pfd, LOCK_SH));
    close(pfd);

    pid_t pid = fork();
    if (pid == 0) {
        TRY("child: inherited fd EX|NB", flock(fd, LOCK_EX | LOCK_NB));
        int own = open("f", O_RDONLY);
        TRY("child: own fd SH|NB", flock(own, LOCK_SH | LOCK_NB));
        _exit(0);
    }
    reap();

    pid = fork();
    if (pid == 0) {
        int own = open("f", O_RDONLY);
        long r = flock(own, LOCK_EX);          /* waits for the parent's unlock */
        say("child: blocking EX: %ld %s\n", r, r < 0 ? errname(errno) : "ok");
        _exit(0);
    }
    nap(100);
    say("parent: unlocking\n");
    flock(fd, LOCK_UN);
    reap();
    say("parent: child done\n");
    TRY("fd EX|NB after the child exited", flock(fd, LOCK_EX | LOCK_NB));
    close(fd);
    fd = open("f", O_RDONLY);
    TRY("new description EX|NB after the last close", flock(fd, LOCK_EX | LOCK_NB));
    close(fd);
}

static void test_posix(void)
{
    say("--- fcntl record locks\n");
    int fd = open("f", O_RDWR);
    TRY("F_SETLK WR 0+5", setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 5));
    query("own F_GETLK WR 0+10", fd, F_GETLK, F_WRLCK, 0, 10);
    pid_t pid = fork();
    if (pid == 0) {
        query("child: F_GETLK WR 2+1", fd, F_GETLK, F_WRLCK, 2, 1);
        query("child: F_GETLK RD 5+5", fd, F_GETLK, F_RDLCK, 5, 5);
        TRY("child: F_SETLK WR 5+5", setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 5, 5));
        TRY("child: F_SETLK WR 4+2", setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 4, 2));
        TRY("child: F_SETLK RD 0+1", setlk(fd, F_SETLK, F_RDLCK, SEEK_SET, 0, 1));
        _exit(0);
    }
    reap();
    query("after the child exited, F_GETLK from self", fd, F_GETLK, F_WRLCK, 0, 100);

    TRY("F_SETLK RD 0+10 (over own WR)", setlk(fd, F_SETLK, F_RDLCK, SEEK_SET, 0, 10));
    TRY("F_SETLK WR 20+10", setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 20, 10));
    TRY("F_SETLK WR 30+10 (adjacent: merges)", setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 30, 10));
    TRY("F_SETLK WR 100+0 (to EOF)", setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 100, 0));
    TRY("F_SETLK RD 60 len -5", setlk(fd, F_SETLK, F_RDLCK, SEEK_SET, 60, -5));
    pid = fork();
    if (pid == 0) {
        query("child: RD 0+10", fd, F_GETLK, F_RDLCK, 0, 10);
        query("child: WR 0+10", fd, F_GETLK, F_WRLCK, 0, 10);
        query("child: WR 25+10", fd, F_GETLK, F_WRLCK, 25, 10);
        query("child: RD 1000+1", fd, F_GETLK, F_RDLCK, 1000, 1);
        query("child: WR 50+20", fd, F_GETLK, F_WRLCK, 50, 20);
        _exit(0);
    }
    reap();
    TRY("F_SETLK UN 24+2 (splits)", setlk(fd, F_SETLK, F_UNLCK, SEEK_SET, 24, 2));
    lseek(fd, 30, SEEK_SET);
    TRY("F_SETLK RD SEEK_CUR+0 len 5 (30..34)", setlk(fd, F_SETLK, F_RDLCK, SEEK_CUR, 0, 5));
    pid = fork();
    if (pid == 0) {
        query("child: WR 20+6", fd, F_GETLK, F_WRLCK, 20, 6);
        query("child: WR 24+2", fd, F_GETLK, F_WRLCK, 24, 2);
        query("child: WR 26+100", fd, F_GETLK, F_WRLCK, 26, 100);
        query("child: RD 30+5", fd, F_GETLK, F_RDLCK, 30, 5);
        query("child: RD 35+1", fd, F_GETLK, F_RDLCK, 35, 1);
        _exit(0);
    }
    reap();

    say("errors:\n");
    int ro = open("f", O_RDONLY);
    TRY("F_SETLK WR on a read-only fd", setlk(ro, F_SETLK, F_WRLCK, SEEK_SET, 0, 1));
    TRY("F_SETLK bad type", setlk(fd, F_SETLK, 7, SEEK_SET, 0, 1));
    TRY("F_SETLK bad whence", setlk(fd, F_SETLK, F_RDLCK, 9, 0, 1));
    TRY("F_SETLK start -1", setlk(fd, F_SETLK, F_RDLCK, SEEK_SET, -1, 1));
    TRY("F_SETLK len -1 at 0", setlk(fd, F_SETLK, F_RDLCK, SEEK_SET, 0, -1));
    TRY("F_GETLK F_UNLCK", setlk(fd, F_GETLK, F_UNLCK, SEEK_SET, 0, 1));
    TRY("F_SETLK bad pointer", fcntl(fd, F_SETLK, (struct flock *)8));
    TRY("F_SETLK 99", setlk(99, F_SETLK, F_RDLCK, SEEK_SET, 0, 1));

    say("closing any descriptor drops the process's locks:\n");
    close(ro);
    pid = fork();
    if (pid == 0) {
        query("child: WR 0+1000", fd, F_GETLK, F_WRLCK, 0, 1000);
        _exit(0);
    }
    reap();

    say("F_SETLKW waits:\n");
    TRY("F_SETLK WR 0+1", setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 1));
    pid = fork();
    if (pid == 0) {
        int own = open("f", O_RDWR);
        long r = setlk(own, F_SETLKW, F_WRLCK, SEEK_SET, 0, 1);
        say("child: F_SETLKW: %ld %s\n", r, r < 0 ? errname(errno) : "ok");
        _exit(0);
    }
    nap(100);
    say("parent: unlocking\n");
    setlk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0);
    reap();

    say("deadlock:\n");
    int p[2];
    pipe(p);
    TRY("parent F_SETLK WR 0+1", setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 1));
    pid = fork();
    if (pid == 0) {
        int own = open("f", O_RDWR);
        setlk(own, F_SETLK, F_WRLCK, SEEK_SET, 1, 1);
        write(p[1], "r", 1);
        long r = setlk(own, F_SETLKW, F_WRLCK, SEEK_SET, 0, 1);   /* waits for the parent (or EDEADLK) */
        _exit(r < 0 && errno == EDEADLK ? 1 : r < 0 ? 2 : 0);
    }
    char c;
    read(p[0], &c, 1);
    nap(100);
    long r = setlk(fd, F_SETLKW, F_WRLCK, SEEK_SET, 1, 1);
    int parent_deadlock = r < 0 && errno == EDEADLK;
    if (parent_deadlock)
        setlk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0);          /* let the child through */
    int child = reap();
    say("EDEADLK reported exactly once: %s\n", (parent_deadlock + (child == 1)) == 1 ? "yes" : "no");
    setlk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0);
    close(p[0]);
    close(p[1]);
    close(fd);
}

static void test_ofd(void)
{
    say("--- OFD locks\n");
    int a = open("f", O_RDWR);
    int b = open("f", O_RDWR);
    TRY("a F_OFD_SETLK WR 0+10", setlk(a, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 10));
    query("b F_OFD_GETLK WR 5+1", b, F_OFD_GETLK, F_WRLCK, 5, 1);
    query("a F_OFD_GETLK WR 5+1 (own)", a, F_OFD_GETLK, F_WRLCK, 5, 1);
    TRY("b F_OFD_SETLK RD 5+1", setlk(b, F_OFD_SETLK, F_RDLCK, SEEK_SET, 5, 1));
    TRY("b F_SETLK (POSIX) RD 5+1", setlk(b, F_SETLK, F_RDLCK, SEEK_SET, 5, 1));
    query("b F_GETLK (POSIX) WR 0+1", b, F_GETLK, F_WRLCK, 0, 1);
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_RDLCK;
    fl.l_len = 1;
    fl.l_pid = 1;
    TRY("F_OFD_SETLK with l_pid != 0", fcntl(b, F_OFD_SETLK, &fl));
    int a2 = dup(a);
    close(a);
    query("b F_OFD_GETLK after closing a (a dup remains)", b, F_OFD_GETLK, F_WRLCK, 0, 10);
    close(a2);
    query("b F_OFD_GETLK after the last close", b, F_OFD_GETLK, F_WRLCK, 0, 10);
    close(b);
}

int main(void)
{
    setup("locks");
    make_file("f", "0123456789", 0644);
    test_flock();
    test_posix();
    test_ofd();
    cleanup();
    return 0;
}
