/* Advisory locks: flock (shared/exclusive, LOCK_NB gives EWOULDBLOCK across open file descriptions, released
 * on close), fcntl record locks (F_SETLK conflicts seen from a child, F_GETLK reports the holder's range and
 * type, unlock of a sub-range splits the lock), lockf. */
#include "conf.h"
#include <sys/file.h>

static int child_try(const char *what, int (*fn)(void))
{
    pid_t pid = xfork();
    if (pid == 0) _exit(fn());
    int st;
    waitpid(pid, &st, 0);
    printf("%s: %s\n", what, WIFEXITED(st) ? errname(WEXITSTATUS(st)) : status_text(st));
    return st;
}

static int try_flock_ex(void)
{
    int fd = open("f", O_RDWR);
    return flock(fd, LOCK_EX | LOCK_NB) ? errno : 0;
}

static int try_flock_sh(void)
{
    int fd = open("f", O_RDWR);
    return flock(fd, LOCK_SH | LOCK_NB) ? errno : 0;
}

static int try_range(off_t start, off_t len, short type)
{
    int fd = open("f", O_RDWR);
    struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
    return fcntl(fd, F_SETLK, &fl) ? errno : 0;
}
static int try_0_10_wr(void) { return try_range(0, 10, F_WRLCK); }
static int try_20_10_wr(void) { return try_range(20, 10, F_WRLCK); }
static int try_5_1_rd(void) { return try_range(5, 1, F_RDLCK); }
static int try_50_1_wr(void) { return try_range(50, 1, F_WRLCK); }

static int getlk_child(void)
{
    int fd = open("f", O_RDWR);
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
    if (fcntl(fd, F_GETLK, &fl)) return errno;
    printf("  F_GETLK: type %s start %ld len %ld pid is the parent %d\n",
           fl.l_type == F_WRLCK ? "F_WRLCK" : fl.l_type == F_RDLCK ? "F_RDLCK" : "F_UNLCK", (long)fl.l_start,
           (long)fl.l_len, fl.l_pid == getppid());
    return 0;
}

int main(void)
{
    scratch();
    put_file("f", "0123456789012345678901234567890123456789");
    int fd = open("f", O_RDWR);
    SHOW("flock LOCK_EX", flock(fd, LOCK_EX));
    child_try("other description LOCK_EX|LOCK_NB", try_flock_ex);
    child_try("other description LOCK_SH|LOCK_NB", try_flock_sh);
    SHOW("flock convert to LOCK_SH", flock(fd, LOCK_SH));
    child_try("LOCK_SH|LOCK_NB against a shared lock", try_flock_sh);
    child_try("LOCK_EX|LOCK_NB against a shared lock", try_flock_ex);
    SHOW("flock LOCK_UN", flock(fd, LOCK_UN));
    child_try("LOCK_EX|LOCK_NB after unlock", try_flock_ex);
    SHOW("flock bad operation", flock(fd, 0));
    SHOW("flock bad fd", flock(99, LOCK_EX));
    flock(fd, LOCK_EX);
    close(fd);
    child_try("LOCK_EX|LOCK_NB after the holder closed", try_flock_ex);

    fd = open("f", O_RDWR);
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 30};
    SHOW("F_SETLK write lock 0..29", fcntl(fd, F_SETLK, &fl));
    child_try("child F_SETLK 0..9 write", try_0_10_wr);
    child_try("child F_SETLK 5 read", try_5_1_rd);
    child_try("child F_SETLK 50 write (free)", try_50_1_wr);
    child_try("F_GETLK from a child", getlk_child);
    fl.l_type = F_UNLCK; fl.l_start = 0; fl.l_len = 20;
    SHOW("unlock 0..19 (keeps 20..29)", fcntl(fd, F_SETLK, &fl));
    child_try("child F_SETLK 0..9 write now", try_0_10_wr);
    child_try("child F_SETLK 20..29 write", try_20_10_wr);
    fl.l_type = F_RDLCK; fl.l_start = 0; fl.l_len = 10;
    int ro = open("f", O_WRONLY);
    SHOW("read lock on a write-only fd", fcntl(ro, F_SETLK, &fl));
    fl.l_type = 42;
    SHOW("bad lock type", fcntl(fd, F_SETLK, &fl));
    fl.l_type = F_WRLCK; fl.l_whence = SEEK_SET; fl.l_start = -5;
    SHOW("negative start", fcntl(fd, F_SETLK, &fl));
    /* own locks never conflict with themselves */
    fl.l_start = 0; fl.l_len = 0;
    SHOW("relock everything", fcntl(fd, F_SETLK, &fl));
    fl.l_type = F_WRLCK;
    SHOW("F_GETLK own lock reports none", fcntl(fd, F_GETLK, &fl));
    printf("  type F_UNLCK: %d\n", fl.l_type == F_UNLCK);
    /* closing any descriptor of the file drops the process's record locks */
    close(open("f", O_RDONLY));
    child_try("child F_SETLK 0..9 after an unrelated close", try_0_10_wr);
    SHOW("lockf F_TLOCK", lockf(fd, F_TLOCK, 0));
    SHOW("lockf F_TEST (own)", lockf(fd, F_TEST, 0));
    SHOW("lockf F_ULOCK", lockf(fd, F_ULOCK, 0));
    return 0;
}
