/* SECCOMP_RET_USER_NOTIF: a parent attaches a filter with a listener that intercepts getppid, uname and
 * openat, then forks; its children make the calls, the parent supervises them through the listener: RECV (the
 * call's data), poll readiness, SEND with a value, an error or CONTINUE, ID_VALID, ADDFD, and what a call
 * gets when the listener is closed.  The parent itself never makes the intercepted calls. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"

#if defined(__x86_64__)
#define ARCH_NR AUDIT_ARCH_X86_64
#elif defined(__riscv)
#define ARCH_NR AUDIT_ARCH_RISCV64
#endif

#define LOAD(field) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, field))
#define ON(nr, ret) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), BPF_STMT(BPF_RET | BPF_K, (ret))

static int listener;
static int go[2];                             /* a child prints what it saw once the parent is done printing */
static char child_log[4096], *logp = child_log;
#define CPRINT(...) (logp += sprintf(logp, __VA_ARGS__))

static void child_exit(int code)
{
    char c;
    read(go[0], &c, 1);
    fputs(child_log, stdout);
    exit(code);
}

static const char *ready(void)
{
    struct pollfd p = { .fd = listener, .events = POLLIN | POLLOUT };
    int n = poll(&p, 1, 0);
    static char buf[32];
    snprintf(buf, sizeof buf, "%s%s%s", n == 0 ? "none" : "", p.revents & POLLIN ? "IN" : "",
             p.revents & POLLOUT ? "OUT" : "");
    return buf;
}

static struct seccomp_notif req;

static int receive(pid_t child)
{
    struct pollfd p = { .fd = listener, .events = POLLIN };
    poll(&p, 1, -1);                          /* until the child's call arrives */
    memset(&req, 0, sizeof req);
    if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0) {
        printf("RECV: %s\n", errname(errno));
        return -1;
    }
    const char *name = req.data.nr == __NR_getppid ? "getppid" : req.data.nr == __NR_uname ? "uname" :
                       req.data.nr == __NR_openat ? "openat" : "?";
    printf("RECV: %s from the child: %s, arch %s, args %lld %lld; poll now %s\n", name,
           req.pid == (unsigned)child ? "yes" : "no", req.data.arch == ARCH_NR ? "native" : "?",
           req.data.nr == __NR_getppid ? (long long)req.data.args[0] : -1LL,
           req.data.nr == __NR_getppid ? (long long)req.data.args[5] : -1LL, ready());
    return 0;
}

static void answer(long long val, int error, unsigned flags)
{
    struct seccomp_notif_resp resp = { .id = req.id, .val = val, .error = error, .flags = flags };
    if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp) != 0)
        printf("SEND: %s\n", errname(errno));
}

static void report(const char *what, pid_t pid)
{
    int status;
    write(go[1], "x", 1);
    waitpid(pid, &status, 0);
    if (WIFEXITED(status))
        printf("%s: exited %d\n", what, WEXITSTATUS(status));
    else
        printf("%s: killed by signal %d\n", what, WTERMSIG(status));
}

/* A supervisor outside the filter gets the listener over a socket (SCM_RIGHTS) from the target that made it;
 * once that target is reaped nobody uses the filter: POLLHUP. */
static void hangup(void)
{
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    pid_t target = fork();
    if (target == 0) {
        struct sock_filter insns[] = { LOAD(nr), ON(__NR_getppid, SECCOMP_RET_USER_NOTIF),
                                       BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
        struct sock_fprog prog = { .len = sizeof insns / sizeof insns[0], .filter = insns };
        prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        int fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
        char cmsgbuf[CMSG_SPACE(sizeof fd)] = { 0 };
        struct iovec iov = { .iov_base = "L", .iov_len = 1 };
        struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cmsgbuf,
                              .msg_controllen = sizeof cmsgbuf };
        struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
        cmsg->cmsg_level = SOL_SOCKET;
        cmsg->cmsg_type = SCM_RIGHTS;
        cmsg->cmsg_len = CMSG_LEN(sizeof fd);
        memcpy(CMSG_DATA(cmsg), &fd, sizeof fd);
        sendmsg(sv[0], &msg, 0);
        close(fd);
        _exit(syscall(SYS_getppid, 5L, 0L, 0L, 0L, 0L, 6L) == 77 ? 0 : 1);
    }
    char c, cmsgbuf[CMSG_SPACE(sizeof(int))];
    struct iovec iov = { .iov_base = &c, .iov_len = 1 };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cmsgbuf,
                          .msg_controllen = sizeof cmsgbuf };
    recvmsg(sv[1], &msg, 0);
    memcpy(&listener, CMSG_DATA(CMSG_FIRSTHDR(&msg)), sizeof listener);
    if (receive(target) == 0)
        answer(77, 0, 0);
    int status;
    waitpid(target, &status, 0);
    printf("target answered and reaped: exited %d\n", WEXITSTATUS(status));
    struct pollfd p = { .fd = listener, .events = POLLIN };
    printf("poll on a filter nobody uses: %s\n", poll(&p, 1, -1) == 1 && p.revents & POLLHUP ? "POLLHUP" : "?");
    close(listener);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    hangup();
    struct sock_filter insns[] = {
        LOAD(nr),
        ON(__NR_getppid, SECCOMP_RET_USER_NOTIF),
        ON(__NR_uname, SECCOMP_RET_USER_NOTIF),
        ON(__NR_openat, SECCOMP_RET_USER_NOTIF),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = { .len = sizeof insns / sizeof insns[0], .filter = insns };
    int pipefd[2];
    pipe(pipefd);
    pipe(go);                             /* made before the filter: openat is intercepted after it */
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    listener = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
    if (listener < 0) {
        printf("NEW_LISTENER: %s\n", errname(errno));
        return 1;
    }
    int flags = fcntl(listener, F_GETFD);
    printf("listener: close-on-exec %d, poll %s\n", flags & FD_CLOEXEC, ready());
    printf("a second listener: %s\n",
           syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog) < 0 ?
           errname(errno) : "accepted");
    struct seccomp_notif dirty = { .id = 1 };
    printf("RECV into a dirty buffer: %s\n",
           ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &dirty) < 0 ? errname(errno) : "0");
    struct seccomp_notif_resp nobody = { .id = 12345 };
    printf("SEND to no call: %s\n", ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &nobody) < 0 ? errname(errno) : "0");

    pid_t child = fork();
    if (child == 0) {
        close(listener);                      /* the supervisor's end is the parent's alone */
        long r = syscall(SYS_getppid, 5L, 0L, 0L, 0L, 0L, 6L);
        CPRINT("child: getppid answered %ld\n", r);
        r = syscall(SYS_getppid, 5L, 0L, 0L, 0L, 0L, 6L);
        CPRINT("child: getppid answered %s\n", r < 0 ? errname(errno) : "?");
        r = syscall(SYS_getppid, 5L, 0L, 0L, 0L, 0L, 6L);
        CPRINT("child: getppid continued: %s\n", r == getpid() - 0 || r > 0 ? "the real parent" : "?");
        struct utsname u;
        r = syscall(SYS_uname, &u);
        CPRINT("child: uname continued: %ld %s\n", r, u.sysname);
        int fd = openat(AT_FDCWD, "/nonexistent", O_RDONLY);
        char buf[16] = { 0 };
        CPRINT("child: openat gave a descriptor: %s, reads \"%.*s\"\n", fd >= 0 ? "yes" : errname(errno),
               (int)read(fd, buf, sizeof buf), buf);
        fd = openat(AT_FDCWD, "/nonexistent", O_RDONLY);
        CPRINT("child: openat with a descriptor set at 40: %d, then the answer %d\n",
               fcntl(40, F_GETFD) >= 0, fd);
        child_exit(7);
    }
    if (receive(child) == 0) {
        struct seccomp_notif_resp bad = { .id = req.id, .val = 1, .flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE };
        printf("SEND CONTINUE with a value: %s\n",
               ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &bad) < 0 ? errname(errno) : "0");
        printf("ID_VALID: %s\n", ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &req.id) < 0 ? errname(errno) : "0");
        answer(1234, 0, 0);
    }
    if (receive(child) == 0)
        answer(0, -EPERM, 0);
    if (receive(child) == 0)
        answer(0, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE);
    if (receive(child) == 0)
        answer(0, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE);
    if (receive(child) == 0) {
        write(pipefd[1], "from the parent", 15);
        struct seccomp_notif_addfd add = { .id = req.id, .srcfd = pipefd[0],
                                           .flags = SECCOMP_ADDFD_FLAG_SEND };
        printf("ADDFD with SEND: %s\n", ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &add) >= 0 ? "a descriptor" :
               errname(errno));
    }
    if (receive(child) == 0) {
        struct seccomp_notif_addfd add = { .id = req.id, .srcfd = pipefd[0], .newfd = 40,
                                           .flags = SECCOMP_ADDFD_FLAG_SETFD, .newfd_flags = O_CLOEXEC };
        long r = ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &add);
        printf("ADDFD at 40: %ld\n", r);
        add.newfd = 0;
        add.flags = 0;
        add.newfd_flags = O_APPEND;
        printf("ADDFD with bad flags: %s\n", ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &add) < 0 ?
               errname(errno) : "0");
        answer(99, 0, 0);
        printf("SEND again: %s\n", ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &(struct seccomp_notif_resp){ .id = req.id }) < 0 ?
               "refused" : "0");
    }
    report("child", child);

    /* a child killed while it waits: its call is gone */
    child = fork();
    if (child == 0) {
        close(listener);
        syscall(SYS_getppid, 5L, 0L, 0L, 0L, 0L, 6L);
        exit(0);
    }
    if (receive(child) == 0) {
        kill(child, SIGKILL);
        report("killed child", child);
        printf("ID_VALID after the kill: %s\n",
               ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &req.id) < 0 ? errname(errno) : "0");
        printf("poll: %s\n", ready());
    }

    /* the listener closed under a waiting call: ENOSYS */
    child = fork();
    if (child == 0) {
        close(listener);                      /* the supervisor's end is the parent's alone */
        long r = syscall(SYS_getppid, 5L, 0L, 0L, 0L, 0L, 6L);
        CPRINT("child: getppid with the listener closed: %s\n", r < 0 ? errname(errno) : "?");
        r = syscall(SYS_getppid, 5L, 0L, 0L, 0L, 0L, 6L);
        CPRINT("child: and the next one: %s\n", r < 0 ? errname(errno) : "?");
        child_exit(0);
    }
    struct pollfd p = { .fd = listener, .events = POLLIN };
    poll(&p, 1, -1);
    close(listener);
    report("last child", child);
    return 0;
}
