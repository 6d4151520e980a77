/* dup_fcntl: dup, dup2, dup3, fcntl (F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD/F_SETFD, F_GETFL/F_SETFL), close and
   close_range, in one process: writing through duplicated descriptors to stdout, close-on-exec bits per
   descriptor, status flags shared by duplicates, and the error cases (errno names).  dup3 and close_range are
   called raw, since libc wrappers check some arguments themselves.  Output goes through write(2) only. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "errname.h"
#include "say.h"

#ifndef SYS_close_range
#define SYS_close_range 436            /* the same number on x86_64 and riscv64 */
#endif
#ifndef CLOSE_RANGE_UNSHARE
#define CLOSE_RANGE_UNSHARE 2
#define CLOSE_RANGE_CLOEXEC 4
#endif


/* dup2 as the kernel does it: the raw syscall where it exists (x86_64); elsewhere (riscv64 has only dup3) the
   way a libc builds it -- some libcs return `old` for dup2(old, old) without asking the kernel at all. */
static int kdup2(int old, int new)
{
#ifdef SYS_dup2
    return syscall(SYS_dup2, old, new);
#else
    if (old == new)
        return fcntl(old, F_GETFD) < 0 ? -1 : old;
    return syscall(SYS_dup3, old, new, 0);
#endif
}

/* "result errno" of a call that may fail */
#define TRY(label, expr) do { errno = 0; long r_ = (long)(expr); \
    say("%s: %ld %s\n", label, r_, r_ < 0 ? errname(errno) : "ok"); } while (0)

static void show_fd(int fd)
{
    errno = 0;
    int r = fcntl(fd, F_GETFD);
    if (r < 0)
        say(" %d:%s", fd, errname(errno));
    else
        say(" %d:%d", fd, r);
}

static void put(int fd, const char *text)
{
    errno = 0;
    ssize_t n = write(fd, text, strlen(text));
    if (n < 0)
        say("write to %d failed: %s\n", fd, errname(errno));
}

int main(void)
{
    int p[2];
    char buf[64];

    signal(SIGPIPE, SIG_IGN);

    /* dup: lowest free descriptor, cloexec clear, same open file */
    int base = dup(1);
    put(base, "written through dup(1)\n");
    int d2 = dup(1);
    say("second dup is next: %d\n", d2 == base + 1);
    close(base);
    int d3 = dup(2);
    say("dup reuses the lowest free: %d\n", d3 == base);
    say("dup F_GETFD: %d\n", fcntl(d3, F_GETFD));
    close(d2);
    close(d3);
    TRY("dup(99)", dup(99));
    TRY("dup(-1)", dup(-1));

    /* dup2 */
    TRY("dup2(1, 10)", dup2(1, 10));
    put(10, "written through fd 10\n");
    TRY("dup2(10, 10)", kdup2(10, 10));
    TRY("dup2(99, 99)", kdup2(99, 99));
    TRY("dup2(99, 11)", kdup2(99, 11));
    TRY("dup2(1, -1)", kdup2(1, -1));
    fcntl(10, F_SETFD, FD_CLOEXEC);
    TRY("dup2(1, 10) over a cloexec fd", kdup2(1, 10));
    say("cloexec after dup2 over it: %d\n", fcntl(10, F_GETFD));
    fcntl(10, F_SETFD, FD_CLOEXEC);
    TRY("dup2(10, 10) keeps cloexec", kdup2(10, 10));
    say("cloexec: %d\n", fcntl(10, F_GETFD));

    /* dup2 over an open descriptor closes what was there */
    pipe(p);
    TRY("dup2(write end, read end)", kdup2(p[1], p[0]));
    errno = 0;
    ssize_t n = write(p[1], "x", 1);
    say("write after the read end was replaced: %zd %s\n", n, errname(errno));
    close(p[0]);
    close(p[1]);

    /* dup3 (raw) */
    TRY("dup3(1, 1, 0)", syscall(SYS_dup3, 1, 1, 0));
    TRY("dup3(99, 99, 0)", syscall(SYS_dup3, 99, 99, 0));
    TRY("dup3(1, 11, O_NONBLOCK)", syscall(SYS_dup3, 1, 11, O_NONBLOCK));
    TRY("dup3(99, 11, 0)", syscall(SYS_dup3, 99, 11, 0));
    TRY("dup3(1, -1, 0)", syscall(SYS_dup3, 1, -1, 0));
    TRY("dup3(1, 11, O_CLOEXEC)", syscall(SYS_dup3, 1, 11, O_CLOEXEC));
    say("F_GETFD 11: %d\n", fcntl(11, F_GETFD));
    put(11, "written through fd 11\n");
    TRY("dup3(2, 11, 0)", syscall(SYS_dup3, 2, 11, 0));
    say("F_GETFD 11: %d\n", fcntl(11, F_GETFD));
    TRY("dup3 via libc", dup3(1, 12, O_CLOEXEC));
    say("F_GETFD 12: %d\n", fcntl(12, F_GETFD));

    /* fcntl F_DUPFD / F_DUPFD_CLOEXEC */
    TRY("F_DUPFD 20", fcntl(1, F_DUPFD, 20));
    TRY("F_DUPFD 20 again", fcntl(1, F_DUPFD, 20));
    TRY("F_DUPFD_CLOEXEC 20", fcntl(1, F_DUPFD_CLOEXEC, 20));
    TRY("F_DUPFD -1", fcntl(1, F_DUPFD, -1));
    say("F_GETFD 20..22:");
    for (int fd = 20; fd <= 22; fd++)
        show_fd(fd);
    say("\n");
    put(20, "written through fd 20\n");
    put(21, "written through fd 21\n");
    put(22, "written through fd 22\n");

    /* F_GETFD / F_SETFD are per descriptor */
    TRY("F_SETFD 21 FD_CLOEXEC", fcntl(21, F_SETFD, FD_CLOEXEC));
    say("F_GETFD 20..22:");
    for (int fd = 20; fd <= 22; fd++)
        show_fd(fd);
    say("\n");
    TRY("F_SETFD 22 0", fcntl(22, F_SETFD, 0));
    TRY("F_SETFD 20 0xfffe", fcntl(20, F_SETFD, 0xfffe));
    say("F_GETFD 20..22:");
    for (int fd = 20; fd <= 22; fd++)
        show_fd(fd);
    say("\n");
    TRY("F_GETFD 99", fcntl(99, F_GETFD));
    TRY("F_SETFD 99", fcntl(99, F_SETFD, 1));
    TRY("F_GETFL 99", fcntl(99, F_GETFL));
    TRY("unknown command on fd 1", fcntl(1, 9999, 0));

    /* F_GETFL / F_SETFL on pipe ends; status flags are shared by duplicates */
    pipe(p);
    say("F_GETFL read end %o, write end %o\n", fcntl(p[0], F_GETFL), fcntl(p[1], F_GETFL));
    int rdup = dup(p[0]);
    TRY("F_SETFL O_NONBLOCK|O_APPEND on the read end", fcntl(p[0], F_SETFL, O_NONBLOCK | O_APPEND));
    say("F_GETFL read end %o, its dup %o\n", fcntl(p[0], F_GETFL), fcntl(rdup, F_GETFL));
    errno = 0;
    n = read(rdup, buf, sizeof buf);
    say("read through the dup: %zd %s\n", n, errname(errno));
    TRY("F_SETFL O_RDWR|O_CREAT|O_TRUNC on the write end", fcntl(p[1], F_SETFL, O_RDWR | O_CREAT | O_TRUNC));
    say("F_GETFL write end %o\n", fcntl(p[1], F_GETFL));
    TRY("F_SETFL 0 on the dup", fcntl(rdup, F_SETFL, 0));
    say("F_GETFL read end %o\n", fcntl(p[0], F_GETFL));
    put(p[1], "through the pipe\n");
    n = read(p[0], buf, sizeof buf);
    say("read %zd: %.*s", n, (int)(n > 0 ? n : 0), buf);
    close(rdup);
    close(p[0]);
    close(p[1]);
    pipe2(p, O_NONBLOCK);
    say("pipe2(O_NONBLOCK) F_GETFL read end %o, write end %o\n", fcntl(p[0], F_GETFL), fcntl(p[1], F_GETFL));
    close(p[0]);
    close(p[1]);

    /* close */
    TRY("close(20)", close(20));
    TRY("close(20) again", close(20));
    errno = 0;
    n = write(20, "x", 1);
    say("write to closed fd: %zd %s\n", n, errname(errno));
    TRY("close(99)", close(99));
    TRY("close(-1)", close(-1));

    /* close_range */
    for (int fd = 30; fd <= 34; fd++)
        dup2(1, fd);
    TRY("close_range(31, 32, CLOEXEC)", syscall(SYS_close_range, 31, 32, CLOSE_RANGE_CLOEXEC));
    say("F_GETFD 30..34:");
    for (int fd = 30; fd <= 34; fd++)
        show_fd(fd);
    say("\n");
    TRY("close_range(33, ~0U, 0)", syscall(SYS_close_range, 33, ~0U, 0));
    say("F_GETFD 30..34:");
    for (int fd = 30; fd <= 34; fd++)
        show_fd(fd);
    say("\n");
    TRY("close_range(5, 4, 0)", syscall(SYS_close_range, 5, 4, 0));
    TRY("close_range(40, 50, 1)", syscall(SYS_close_range, 40, 50, 1));
    TRY("close_range(40, 50, 8)", syscall(SYS_close_range, 40, 50, 8));
    TRY("close_range(40, 50, 0) with nothing open", syscall(SYS_close_range, 40, 50, 0));
    TRY("close_range(30, 31, 0)", syscall(SYS_close_range, 30, 31, 0));
    say("F_GETFD 30..31:");
    show_fd(30);
    show_fd(31);
    say("\n");
    put(1, "stdout still open\n");
    say("done\n");
    return 0;
}
