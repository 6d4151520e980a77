/* Across execve: descriptors marked FD_CLOEXEC (O_CLOEXEC, F_SETFD, F_DUPFD_CLOEXEC, pipe2, dup3) are
 * closed, the others stay open at the same numbers with their offsets and status flags; the signal mask and
 * ignored signals are kept; the cwd and umask are kept. */
// args: $SELF
// reference: x86_64
// (qemu-riscv64 cannot execve a riscv64 program without binfmt_misc; the output is ISA-independent)
#include "conf.h"

static void describe(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl == -1) { printf("fd %d: %s\n", fd, errname(errno)); return; }
    off_t off = lseek(fd, 0, SEEK_CUR);
    printf("fd %d: open, nonblock=%d, offset=%s%ld\n", fd, !!(fl & O_NONBLOCK),
           off == -1 ? errname(errno) : "", off == -1 ? 0L : (long)off);
}

int main(int argc, char **argv)
{
    if (argc >= 3 && !strcmp(argv[2], "after")) {
        for (int fd = 3; fd <= 12; fd++) describe(fd);
        sigset_t cur;
        sigprocmask(SIG_BLOCK, NULL, &cur);
        printf("SIGUSR1 blocked: %d, SIGUSR2 blocked: %d\n", sigismember(&cur, SIGUSR1), sigismember(&cur, SIGUSR2));
        struct sigaction sa;
        sigaction(SIGTERM, NULL, &sa);
        printf("SIGTERM ignored: %d\n", sa.sa_handler == SIG_IGN);
        sigaction(SIGINT, NULL, &sa);
        printf("SIGINT default (handler reset): %d\n", sa.sa_handler == SIG_DFL);
        char cwd[256];
        printf("cwd: %s\n", getcwd(cwd, sizeof cwd) ? cwd : errname(errno));
        mode_t m = umask(0);
        printf("umask: %03o\n", (unsigned)m);
        return 0;
    }
    if (argc < 2) return 2;
    for (int fd = 3; fd < 64; fd++) close(fd);
    int a = open("/etc/passwd", O_RDONLY);                    /* 3: stays */
    int b = open("/etc/passwd", O_RDONLY | O_CLOEXEC);           /* 4: closed */
    int c = open("/etc/passwd", O_RDONLY);                     /* 5: stays, offset 3 */
    lseek(c, 3, SEEK_SET);
    int d = dup(c);                                            /* 6: F_SETFD -> closed */
    fcntl(d, F_SETFD, FD_CLOEXEC);
    int e = fcntl(c, F_DUPFD_CLOEXEC, 7);                      /* 7: closed */
    int p[2];
    pipe2(p, O_CLOEXEC);                                       /* 8, 9: closed */
    int q[2];
    pipe(q);                                                   /* 10, 11: stay; 10 non-blocking */
    fcntl(q[0], F_SETFL, O_NONBLOCK);
    int f = dup3(a, 12, O_CLOEXEC);                            /* 12: closed */
    printf("descriptors: %d %d %d %d %d %d %d %d %d %d\n", a, b, c, d, e, p[0], p[1], q[0], q[1], f);
    printf("FD_CLOEXEC as read back: %d %d %d\n", fcntl(b, F_GETFD), fcntl(d, F_GETFD), fcntl(a, F_GETFD));

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    signal(SIGTERM, SIG_IGN);
    struct sigaction sa = {0};
    sa.sa_handler = (void (*)(int))describe;   /* any handler: exec resets it */
    sigaction(SIGINT, &sa, NULL);
    if (chdir("/etc") != 0) printf("chdir: %s\n", errname(errno));
    umask(027);

    char *args[] = {argv[1], argv[1], "after", NULL};
    char *env[] = {NULL};
    execve(argv[1], args, env);
    printf("execve: %s\n", errname(errno));
    return 1;
}
