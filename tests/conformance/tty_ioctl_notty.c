/* Terminal calls on things that are not terminals (stdin is /dev/null, stdout a pipe, plus a file and a
 * pipe of our own): isatty, tcgetattr, TIOCGWINSZ, ttyname, tcgetpgrp all say ENOTTY; unknown ioctls ENOTTY;
 * ioctl on a bad fd EBADF; FIONREAD and FIONBIO work on pipes. */
// reference: x86_64
// (qemu-riscv64 7.2 answers unknown ioctls with ENOSYS where Linux says ENOTTY; the output is ISA-independent)
#include "conf.h"
#include <sys/ioctl.h>
#include <termios.h>

static void probe(const char *label, int fd)
{
    struct termios t;
    struct winsize ws;
    errno = 0;
    int a = isatty(fd);
    int ea = errno;
    printf("%s: isatty %d %s", label, a, errname(ea));
    printf(", tcgetattr %s", tcgetattr(fd, &t) ? errname(errno) : "ok");
    printf(", TIOCGWINSZ %s", ioctl(fd, TIOCGWINSZ, &ws) ? errname(errno) : "ok");
    char name[64];
    int r = ttyname_r(fd, name, sizeof name);
    printf(", ttyname_r %s", errname(r));
    errno = 0;
    pid_t pg = tcgetpgrp(fd);
    printf(", tcgetpgrp %s\n", pg == -1 ? errname(errno) : "ok");
}

int main(void)
{
    probe("stdin (/dev/null)", 0);
    probe("stdout (pipe)", 1);
    int p[2];
    MUST(pipe(p));
    probe("pipe", p[0]);
    int f = open("/etc/passwd", O_RDONLY);
    probe("regular file", f);
    int d = open("/", O_RDONLY | O_DIRECTORY);
    probe("directory", d);

    struct termios t;
    memset(&t, 0, sizeof t);
    SHOW("tcsetattr on a pipe", tcsetattr(p[0], TCSANOW, &t));
    SHOW("ioctl unknown request on a file", ioctl(f, 0x54ff, 0));
    SHOW("ioctl unknown request on a pipe", ioctl(p[0], 0x12345678, 0));
    SHOW("ioctl on a bad fd", ioctl(99, TCGETS, &t));
    SHOW("isatty bad fd", isatty(99));
    printf("  errno: %s\n", errname(errno));
    SHOW("TIOCSPGRP on a pipe", ioctl(p[0], TIOCSPGRP, &(pid_t){1}));
    SHOW("tcsetpgrp on a file", tcsetpgrp(f, getpgrp()));

    write(p[1], "12345", 5);
    int n = -1;
    SHOW("FIONREAD on a pipe", ioctl(p[0], FIONREAD, &n));
    printf("  bytes: %d\n", n);
    int on = 1;
    SHOW("FIONBIO on", ioctl(p[0], FIONBIO, &on));
    printf("  O_NONBLOCK now: %d\n", !!(fcntl(p[0], F_GETFL) & O_NONBLOCK));
    char buf[8];
    read(p[0], buf, 5);
    if (fcntl(p[0], F_GETFL) & O_NONBLOCK) SHOW("read empty non-blocking", read(p[0], buf, 1));
    else printf("read empty non-blocking: skipped, the pipe is still blocking\n");
    SHOW("FIONREAD on a regular file", ioctl(f, FIONREAD, &n));
    printf("  bytes > 0: %d\n", n > 0);
    SHOW("FIOCLEX", ioctl(f, FIOCLEX));
    printf("  FD_CLOEXEC now: %d\n", fcntl(f, F_GETFD));
    SHOW("FIONCLEX", ioctl(f, FIONCLEX));
    printf("  FD_CLOEXEC now: %d\n", fcntl(f, F_GETFD));

    pid_t pid = xfork();
    if (pid == 0) {   /* a new session has no controlling terminal, however we were started */
        OK("child: setsid", setsid());
        SHOW("child: open /dev/tty without a controlling terminal", open("/dev/tty", O_RDWR));
        _exit(0);
    }
    reap("child", pid);
    return 0;
}
