/* signalfd: reading pending signals as struct signalfd_siginfo, SFD_NONBLOCK/SFD_CLOEXEC, changing the mask,
 * several records per read, blocking reads woken by another process, poll/select readiness, SIGCHLD records,
 * a child reading its own signals through an inherited descriptor, errors. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/select.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "errname.h"

static void sleep_ms(long ms) { struct timespec t = {0, ms * 1000000L}; while (nanosleep(&t, &t)) {} }

/* the result of an call and its errno, evaluated in that order */
#define TRY(call) ({ errno = 0; long r_ = (long)(call); last_errno = errno; r_; })
static int last_errno;

static void show(const char *what, const struct signalfd_siginfo *si) {
    printf("%s: signo %u code %d pid ok %d uid ok %d int %d\n", what, si->ssi_signo, si->ssi_code,
           si->ssi_pid == (unsigned)getpid(), si->ssi_uid == (unsigned)getuid(), si->ssi_int);
}

int main(void) {
    sigset_t all, mask;
    sigemptyset(&all);
    sigaddset(&all, SIGUSR1); sigaddset(&all, SIGUSR2); sigaddset(&all, SIGRTMIN); sigaddset(&all, SIGCHLD);
    sigprocmask(SIG_BLOCK, &all, 0);
    sigemptyset(&mask); sigaddset(&mask, SIGUSR1);

    int fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    printf("cloexec %d nonblock %d accmode %d\n", fcntl(fd, F_GETFD) == FD_CLOEXEC, !!(fcntl(fd, F_GETFL) & O_NONBLOCK),
           fcntl(fd, F_GETFL) & O_ACCMODE);
    struct stat st; fstat(fd, &st);
    printf("fstat: type %o perm %o\n", st.st_mode & S_IFMT, st.st_mode & 07777);
    struct signalfd_siginfo si[4];
    long r = TRY(read(fd, si, sizeof si)); printf("empty: %ld %s\n", r, errname(last_errno));
    r = TRY(read(fd, si, 100)); printf("short buffer: %ld %s\n", r, errname(last_errno));
    struct pollfd pfd = {fd, POLLIN | POLLOUT, 0};
    printf("poll empty: %d\n", poll(&pfd, 1, 0));

    kill(getpid(), SIGUSR1);
    r = poll(&pfd, 1, 0); printf("poll pending: %ld revents %#x\n", r, pfd.revents);
    printf("read: %zd\n", read(fd, si, sizeof si));
    show("kill", &si[0]);
    sigqueue(getpid(), SIGUSR1, (union sigval){.sival_int = 77});
    read(fd, si, sizeof si); show("sigqueue", &si[0]);

    /* SIGUSR2 is not in the mask: it stays pending; adding it to the mask makes it readable */
    raise(SIGUSR2);
    r = TRY(read(fd, si, sizeof si)); printf("not in mask: %ld %s\n", r, errname(last_errno));
    sigaddset(&mask, SIGUSR2); sigaddset(&mask, SIGRTMIN);
    printf("update returns fd: %d\n", signalfd(fd, &mask, 0) == fd);
    read(fd, si, sizeof si); show("raise", &si[0]);
    printf("still nonblocking after update: %d\n", !!(fcntl(fd, F_GETFL) & O_NONBLOCK));

    /* real-time signals queue: several records in one read, in order */
    for (int i = 1; i <= 3; i++) sigqueue(getpid(), SIGRTMIN, (union sigval){.sival_int = i});
    kill(getpid(), SIGUSR1);
    ssize_t n = read(fd, si, sizeof si);
    printf("batch: %zd records:", n / (ssize_t)sizeof si[0]);
    for (int i = 0; i < n / (ssize_t)sizeof si[0]; i++) printf(" %s/%d", si[i].ssi_signo == (unsigned)SIGUSR1 ? "USR1" : "RTMIN", si[i].ssi_int);
    printf("\n");

    /* a blocking signalfd woken by another process's kill */
    int bfd = signalfd(-1, &mask, 0);
    fflush(stdout);
    pid_t parent = getpid(), pid = fork();
    if (!pid) { sleep_ms(30); kill(parent, SIGUSR2); _exit(0); }
    n = read(bfd, si, sizeof si);
    printf("blocking read: %zd signo %u from child %d\n", n, si[0].ssi_signo, si[0].ssi_pid == (unsigned)pid);
    waitpid(pid, 0, 0);

    /* select and poll wait for a signal */
    pid = fork();
    if (!pid) { sleep_ms(30); kill(parent, SIGUSR1); _exit(0); }
    fd_set rf; FD_ZERO(&rf); FD_SET(bfd, &rf);
    struct timeval tv = {5, 0};
    r = select(bfd + 1, &rf, 0, 0, &tv); printf("select: %ld isset %d\n", r, FD_ISSET(bfd, &rf));
    read(bfd, si, sizeof si);
    waitpid(pid, 0, 0);
    pid = fork();
    if (!pid) { sleep_ms(30); kill(parent, SIGUSR1); _exit(0); }
    pfd.fd = bfd; pfd.events = POLLIN;
    r = poll(&pfd, 1, 5000); printf("poll wait: %ld revents %#x\n", r, pfd.revents);
    read(bfd, si, sizeof si);
    waitpid(pid, 0, 0);

    /* SIGCHLD through a signalfd (SIGCHLD blocked) */
    sigset_t chld; sigemptyset(&chld); sigaddset(&chld, SIGCHLD);
    struct timespec zero = {0, 0};
    while (sigtimedwait(&chld, 0, &zero) > 0) {}        /* the SIGCHLD of the children above */
    int cfd = signalfd(-1, &chld, 0);
    struct signalfd_siginfo c;
    fflush(stdout);
    pid = fork();
    if (!pid) _exit(7);
    read(cfd, &c, sizeof c);
    printf("sigchld: signo %u code %d status %d pid ok %d\n", c.ssi_signo, c.ssi_code, c.ssi_status, c.ssi_pid == (unsigned)pid);
    waitpid(pid, 0, 0);

    /* after fork the child reads its own signals through the inherited descriptor */
    fflush(stdout);
    pid = fork();
    if (!pid) {
        kill(getpid(), SIGUSR1);
        read(fd, si, sizeof si);
        printf("child reads its own: signo %u pid ok %d\n", si[0].ssi_signo, si[0].ssi_pid == (unsigned)getpid());
        fflush(stdout);
        _exit(0);
    }
    waitpid(pid, 0, 0);
    r = TRY(read(fd, si, sizeof si)); printf("parent has none: %ld %s\n", r, errname(last_errno));

    r = TRY(signalfd(0, &mask, 0)); printf("not a signalfd: %ld %s\n", r, errname(last_errno));
    r = TRY(signalfd(99, &mask, 0)); printf("bad fd: %ld %s\n", r, errname(last_errno));
    r = TRY(signalfd(-1, &mask, 0x40)); printf("bad flags: %ld %s\n", r, errname(last_errno));
    r = TRY(syscall(SYS_signalfd4, -1, &mask, 4, 0)); printf("bad size: %ld %s\n", r, errname(last_errno));
    return 0;
}
