/* strace_calls: a fixed set of file, descriptor, process and signal calls, for comparing `pynix run --strace`
 * options with Debian's strace on the same binary (tests/test_strace_options.py).  Uses raw syscalls where a
 * libc might pick another call on another version; prints only what is deterministic. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"

static volatile int got;

static void on_usr1(int sig) { got = sig; }

int main(void)
{
    char buf[64];
    struct stat st;
    int fd = openat(AT_FDCWD, "/etc/passwd", O_RDONLY);
    ssize_t n = read(fd, buf, sizeof buf);
    fstat(fd, &st);
    int copy = dup(fd);
    close(copy);
    close(fd);
    errno = 0;
    int missing = openat(AT_FDCWD, "/nonexistent-pynix-strace", O_RDONLY);
    printf("read %s, missing file: %d %s\n", n > 0 ? "ok" : "failed", missing, errname(errno));
    fflush(stdout);

    int p[2];
    pipe(p);
    pid_t child = fork();
    if (child == 0) {
        close(p[0]);
        write(p[1], "child says hi\n", 14);
        _exit(3);
    }
    close(p[1]);
    n = read(p[0], buf, sizeof buf);
    int status;
    waitpid(child, &status, 0);
    close(p[0]);
    printf("pipe: %d bytes, child status %d\n", (int)n, WEXITSTATUS(status));
    fflush(stdout);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    syscall(SYS_kill, getpid(), SIGUSR1);
    printf("signal %d handled\n", got);
    return 0;
}
