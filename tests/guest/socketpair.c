/* socketpair(AF_UNIX): stream, dgram, seqpacket -- data, shutdown, EOF, EPIPE/SIGPIPE, MSG_NOSIGNAL,
   MSG_PEEK/MSG_DONTWAIT/MSG_TRUNC, sendmsg/recvmsg with iovecs and SCM_RIGHTS, socket options, addresses,
   poll readiness, non-socket and unsupported-family errors. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"
#include "say.h"


static const char *en(int e)
{
    switch (e) {
    case EPIPE: return "EPIPE";
    case ENOTSOCK: return "ENOTSOCK";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    case EPROTONOSUPPORT: return "EPROTONOSUPPORT";
    case ESOCKTNOSUPPORT: return "ESOCKTNOSUPPORT";
    case ECONNRESET: return "ECONNRESET";
    case ECONNREFUSED: return "ECONNREFUSED";
    case ENOPROTOOPT: return "ENOPROTOOPT";
    case EMSGSIZE: return "EMSGSIZE";
    case EISCONN: return "EISCONN";
    case ENOTCONN: return "ENOTCONN";
    default: return errname(e);
    }
}

#define TRY(expr) do { long r_ = (long)(expr); say("%-55s = %ld %s\n", #expr, r_, r_ < 0 ? en(errno) : ""); } while (0)

static int pmask(int fd)
{
    struct pollfd p = {fd, POLLIN | POLLOUT | POLLRDHUP, 0};
    poll(&p, 1, 0);
    return p.revents;
}

static volatile int sigpipes;
static void on_pipe(int s) { (void)s; sigpipes++; }

static void recvshow(int fd, size_t len, int flags, const char *what)
{
    char buf[64] = {0};
    ssize_t n = recv(fd, buf, len, flags);
    say("%s: %zd %s '%.*s'\n", what, n, n < 0 ? en(errno) : "", n > 0 ? (int)(n < (ssize_t)len ? n : (ssize_t)len) : 0, buf);
}

int main(void)
{
    signal(SIGPIPE, on_pipe);
    int sv[2];
    TRY(socketpair(AF_INET, SOCK_STREAM, 0, sv));
    TRY(socketpair(12345, SOCK_STREAM, 0, sv));
    TRY(socketpair(AF_UNIX, SOCK_STREAM, 7, sv));
    TRY(socketpair(AF_UNIX, 4 /* SOCK_RDM */, 0, sv));

    /* stream */
    TRY(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
    say("cloexec %d fl %#x\n", fcntl(sv[0], F_GETFD), fcntl(sv[0], F_GETFL));
    struct stat st;
    fstat(sv[0], &st);
    say("S_ISSOCK %d\n", S_ISSOCK(st.st_mode));
    say("poll idle %#x\n", pmask(sv[0]));
    TRY(write(sv[0], "hello", 5));
    TRY(send(sv[0], " world", 6, 0));
    say("poll data %#x\n", pmask(sv[1]));
    recvshow(sv[1], 3, MSG_PEEK, "peek");
    recvshow(sv[1], 64, 0, "recv");
    recvshow(sv[1], 64, MSG_DONTWAIT, "empty dontwait");
    int type = 0, err = -1, sndbuf = 0;
    socklen_t len = sizeof type;
    TRY(getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &type, &len));
    say("type %d len %d\n", type, (int)len);
    len = sizeof err;
    TRY(getsockopt(sv[0], SOL_SOCKET, SO_ERROR, &err, &len));
    say("err %d\n", err);
    len = sizeof sndbuf;
    TRY(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &(int){8192}, sizeof(int)));
    TRY(getsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, &len));
    say("sndbuf %d\n", sndbuf);
    TRY(getsockopt(sv[0], SOL_SOCKET, 9999, &sndbuf, &len));
    TRY(getsockopt(sv[0], 6 /* IPPROTO_TCP */, 1, &sndbuf, &len));
    struct ucred cred;
    len = sizeof cred;
    TRY(getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &cred, &len));
    say("peercred pid ok %d uid ok %d len %d\n", cred.pid == getpid(), cred.uid == getuid(), (int)len);
    struct sockaddr_un sa;
    memset(&sa, 0x55, sizeof sa);
    len = sizeof sa;
    TRY(getsockname(sv[0], (struct sockaddr *)&sa, &len));
    say("name len %d family %d\n", (int)len, sa.sun_family);
    len = sizeof sa;
    TRY(getpeername(sv[0], (struct sockaddr *)&sa, &len));
    say("peer len %d\n", (int)len);
    TRY(getsockname(0 + 2 * 0 + 1 - 1 + 100, (struct sockaddr *)&sa, &len));
    int pp[2];
    pipe(pp);
    TRY(send(pp[1], "x", 1, 0));
    TRY(sendto(sv[0], "x", 1, 0, (struct sockaddr *)&sa, sizeof(sa_family_t) + 2));

    /* sendmsg/recvmsg with iovecs and SCM_RIGHTS */
    struct iovec iov[2] = {{"ab", 2}, {"cdef", 4}};
    char cbuf[CMSG_SPACE(sizeof(int))];
    struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 2, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &pp[0], sizeof(int));
    TRY(sendmsg(sv[0], &mh, 0));
    TRY(send(sv[0], "tail", 4, 0));
    char r1[3] = {0}, r2[16] = {0};
    struct iovec riov[2] = {{r1, 2}, {r2, 16}};
    char rc[CMSG_SPACE(sizeof(int)) + 16];
    memset(rc, 0, sizeof rc);
    struct msghdr rh = {.msg_iov = riov, .msg_iovlen = 2, .msg_control = rc, .msg_controllen = sizeof rc};
    rh.msg_namelen = 99;
    rh.msg_name = &sa;
    ssize_t n = recvmsg(sv[1], &rh, MSG_CMSG_CLOEXEC);
    say("recvmsg %zd '%s' '%s' namelen %d controllen %d flags %#x\n", n, r1, r2, (int)rh.msg_namelen,
        (int)rh.msg_controllen, rh.msg_flags);
    c = CMSG_FIRSTHDR(&rh);
    if (c && c->cmsg_type == SCM_RIGHTS) {
        int got;
        memcpy(&got, CMSG_DATA(c), sizeof got);
        say("got fd: cloexec %d\n", fcntl(got, F_GETFD));
        write(pp[1], "via passed fd", 13);
        char t[32] = {0};
        read(got, t, sizeof t);
        say("read through it: %s\n", t);
    }
    recvshow(sv[1], 64, 0, "after fds");

    /* shutdown and close */
    TRY(shutdown(sv[0], 7));
    TRY(shutdown(sv[0], SHUT_WR));
    say("poll after SHUT_WR: mine %#x peer %#x\n", pmask(sv[0]), pmask(sv[1]));
    recvshow(sv[1], 64, 0, "peer reads EOF");
    sigpipes = 0;
    TRY(write(sv[0], "x", 1));
    TRY(send(sv[0], "x", 1, MSG_NOSIGNAL));
    say("sigpipes %d\n", sigpipes);
    TRY(write(sv[1], "back", 4));
    recvshow(sv[0], 64, 0, "other direction still works");
    TRY(write(sv[1], "unread", 6));
    close(sv[0]);
    say("poll after peer close %#x\n", pmask(sv[1]));
    TRY(write(sv[1], "x", 1));
    say("sigpipes %d\n", sigpipes);
    close(sv[1]);

    TRY(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    TRY(write(sv[0], "left behind", 11));
    close(sv[1]);
    say("poll unread close %#x\n", pmask(sv[0]));
    recvshow(sv[0], 64, 0, "after reset");
    recvshow(sv[0], 64, 0, "then");
    close(sv[0]);

    /* blocking read across fork */
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    pid_t pid = fork();
    if (pid == 0) {
        close(sv[0]);
        usleep(20000);
        write(sv[1], "from child", 10);
        _exit(0);
    }
    close(sv[1]);
    recvshow(sv[0], 64, MSG_WAITALL, "waitall");
    recvshow(sv[0], 64, 0, "eof");
    waitpid(pid, NULL, 0);
    close(sv[0]);

    /* datagrams */
    for (int t = 0; t < 2; t++) {
        int kind = t ? SOCK_SEQPACKET : SOCK_DGRAM;
        say("-- %s\n", t ? "seqpacket" : "dgram");
        TRY(socketpair(AF_UNIX, kind | SOCK_NONBLOCK, 0, sv));
        say("fl nonblock %d\n", !!(fcntl(sv[0], F_GETFL) & O_NONBLOCK));
        TRY(send(sv[0], "one", 3, 0));
        TRY(send(sv[0], "", 0, 0));
        TRY(send(sv[0], "three3", 6, 0));
        say("poll %#x\n", pmask(sv[1]));
        recvshow(sv[1], 64, 0, "msg1");
        recvshow(sv[1], 64, 0, "empty msg");
        recvshow(sv[1], 2, MSG_TRUNC, "trunc");
        recvshow(sv[1], 64, 0, "none");
        TRY(send(sv[0], "abcdef", 6, 0));
        char small[3];
        struct iovec si = {small, 3};
        struct msghdr sm = {.msg_iov = &si, .msg_iovlen = 1};
        n = recvmsg(sv[1], &sm, 0);
        say("recvmsg %zd flags %#x\n", n, sm.msg_flags);
        static char huge[300000];
        TRY(send(sv[0], huge, sizeof huge, 0));
        len = sizeof type;
        getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &type, &len);
        say("type %d\n", type);
        TRY(send(sv[0], "bye", 3, 0));
        close(sv[1]);
        sigpipes = 0;
        TRY(send(sv[0], "x", 1, 0));
        say("sigpipes %d poll %#x\n", sigpipes, pmask(sv[0]));
        recvshow(sv[0], 64, 0, "recv after peer close");
        close(sv[0]);
    }
    return 0;
}
