#define _GNU_SOURCE
/* AF_UNIX SOCK_STREAM and SOCK_SEQPACKET with names: bind (filesystem, abstract, autobind), listen, connect,
   accept/accept4, address lengths, backlog, non-blocking connect, readiness of listening sockets, SO_PEERCRED,
   SO_PASSCRED + SCM_CREDENTIALS, unlink, and the errors of each step. */
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include "net_util.h"

static char dir[64];

static socklen_t mkaddr(struct sockaddr_un *a, const char *name)
{
    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    snprintf(a->sun_path, sizeof a->sun_path, "%s/%s", dir, name);
    return sizeof *a;
}

static socklen_t mkabstract(struct sockaddr_un *a, const char *name)
{
    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    int n = snprintf(a->sun_path + 1, sizeof a->sun_path - 1, "pynix-%d-%s", (int)getpid(), name);
    return offsetof(struct sockaddr_un, sun_path) + 1 + n;
}

static void names(int fd, const char *what)
{
    struct sockaddr_un a;
    socklen_t len = sizeof a;
    memset(&a, 0x55, sizeof a);
    int r = getsockname(fd, (struct sockaddr *)&a, &len);
    say("%s: getsockname %d len %d family %d path0 %s\n", what, r, (int)len, a.sun_family,
        len <= 2 ? "-" : a.sun_path[0] ? "path" : "abstract");
    len = sizeof a;
    r = getpeername(fd, (struct sockaddr *)&a, &len);
    if (r < 0)
        say("%s: getpeername %s\n", what, errname(errno));
    else
        say("%s: getpeername len %d path0 %s\n", what, (int)len, len <= 2 ? "-" : a.sun_path[0] ? "path" : "abstract");
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    umask(022);
    strcpy(dir, "/tmp/unixsXXXXXX");
    if (!mkdtemp(dir))
        return 1;
    struct sockaddr_un a, b;
    socklen_t alen = mkaddr(&a, "srv");
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    names(s, "fresh");
    say("poll fresh %#x\n", pmask(s));
    TRY(listen(s, 5));
    TRY(bind(s, (struct sockaddr *)&a, 1));
    TRY(bind(s, (struct sockaddr *)&a, sizeof a + 1));
    TRY(bind(s, (struct sockaddr *)&a, alen));
    TRY(bind(s, (struct sockaddr *)&a, alen));
    struct stat st;
    TRY(stat(a.sun_path, &st));
    say("S_ISSOCK %d mode %o size %ld\n", S_ISSOCK(st.st_mode), st.st_mode & 07777, (long)st.st_size);
    TRY(open(a.sun_path, O_RDWR));
    names(s, "bound");
    int s2 = socket(AF_UNIX, SOCK_STREAM, 0);
    TRY(bind(s2, (struct sockaddr *)&a, alen));
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    TRY(connect(c, (struct sockaddr *)&a, alen));
    TRY(accept(s, NULL, NULL));
    TRY(listen(s, 1));
    say("acceptconn %d %d\n", intopt(s, SOL_SOCKET, SO_ACCEPTCONN), intopt(c, SOL_SOCKET, SO_ACCEPTCONN));
    say("poll listening %#x\n", pmask(s));
    TRY(connect(c, (struct sockaddr *)&a, 1));
    mkaddr(&b, "nonexistent");
    TRY(connect(c, (struct sockaddr *)&b, sizeof b));
    mkaddr(&b, "file");
    close(open(b.sun_path, O_CREAT | O_WRONLY, 0644));
    TRY(connect(c, (struct sockaddr *)&b, sizeof b));
    int dg = socket(AF_UNIX, SOCK_DGRAM, 0);
    TRY(connect(dg, (struct sockaddr *)&a, alen));
    TRY(connect(s, (struct sockaddr *)&a, alen));
    TRY(connect(c, (struct sockaddr *)&a, alen));
    TRY(connect(c, (struct sockaddr *)&a, alen));
    say("poll listening with one %#x\n", pmask(s));
    names(c, "client");
    TRY(write(c, "hello", 5));
    struct sockaddr_un peer;
    socklen_t plen = sizeof peer;
    int srv = accept(s, (struct sockaddr *)&peer, &plen);
    say("accepted %d addrlen %d\n", srv >= 0, (int)plen);
    names(srv, "accepted");
    recvshow(srv, 64, 0, "srv got");
    TRY(write(srv, "world", 5));
    recvshow(c, 64, 0, "client got");
    struct ucred cr;
    socklen_t crlen = sizeof cr;
    TRY(getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cr, &crlen));
    say("peercred len %d pid ok %d uid ok %d\n", (int)crlen, cr.pid == getpid(), cr.uid == geteuid());
    crlen = 4;
    TRY(getsockopt(srv, SOL_SOCKET, SO_PEERCRED, &cr, &crlen));
    say("short peercred len %d\n", (int)crlen);
    TRY(accept(c, NULL, NULL));
    TRY(recv(s, &cr, 1, MSG_DONTWAIT));

    /* backlog: listen(1) takes two connections, then a non-blocking connect is EAGAIN */
    int q[4];
    for (int i = 0; i < 3; i++) {
        q[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
        TRY(connect(q[i], (struct sockaddr *)&a, alen));
    }
    int acc = accept4(s, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    say("accept4 nonblock %d cloexec %d\n", !!(fcntl(acc, F_GETFL) & O_NONBLOCK), !!(fcntl(acc, F_GETFD) & FD_CLOEXEC));
    TRY(accept4(s, NULL, NULL, 0x1234));
    TRY(connect(q[2], (struct sockaddr *)&a, alen));
    close(acc);
    acc = accept(s, NULL, NULL);
    say("second accept nonblock %d\n", !!(fcntl(acc, F_GETFL) & O_NONBLOCK));
    close(acc);

    /* a blocking accept woken by a child's connect; epoll sees the listener become readable */
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 7};
    acc = accept(s, NULL, NULL);          /* the one left from the backlog test */
    close(acc);
    TRY(epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev));
    TRYV(epoll_wait(ep, &ev, 1, 0));
    pid_t pid = fork();
    if (pid == 0) {
        int k = socket(AF_UNIX, SOCK_STREAM, 0);
        usleep(100000);
        if (connect(k, (struct sockaddr *)&a, alen) == 0)
            write(k, "from child", 10);
        _exit(0);
    }
    TRYV(epoll_wait(ep, &ev, 1, 5000));
    say("epoll event %#x data %u\n", ev.events, ev.data.u32);
    acc = accept(s, NULL, NULL);
    crlen = sizeof cr;
    getsockopt(acc, SOL_SOCKET, SO_PEERCRED, &cr, &crlen);
    say("child's peercred pid is child %d\n", cr.pid == pid);
    char buf[64];
    ssize_t n = recv(acc, buf, sizeof buf, MSG_WAITALL);
    say("waitall from child %zd '%.*s'\n", n, (int)(n > 0 ? n : 0), buf);
    waitpid(pid, NULL, 0);
    close(acc);
    close(ep);

    /* peer close: EOF, EPIPE */
    close(srv);
    recvshow(c, 64, 0, "after server close");
    TRY(send(c, "x", 1, MSG_NOSIGNAL));
    say("poll after close %#x\n", pmask(c));
    close(c);

    /* a listener closed with a queued connection resets it */
    int l2 = socket(AF_UNIX, SOCK_STREAM, 0);
    alen = mkaddr(&b, "l2");
    TRY(bind(l2, (struct sockaddr *)&b, alen));
    TRY(listen(l2, 3));
    c = socket(AF_UNIX, SOCK_STREAM, 0);
    TRY(connect(c, (struct sockaddr *)&b, alen));
    TRY(write(c, "lost", 4));
    close(l2);
    recvshow(c, 64, 0, "after listener close");
    recvshow(c, 64, 0, "again");
    close(c);
    TRY(connect(q[0], (struct sockaddr *)&b, alen));

    /* unlink removes the name, not the socket */
    TRY(unlink(a.sun_path));
    TRY(stat(a.sun_path, &st));
    c = socket(AF_UNIX, SOCK_STREAM, 0);
    TRY(connect(c, (struct sockaddr *)&a, alen));
    names(s, "unlinked listener");
    TRY(bind(s2, (struct sockaddr *)&a, alen));
    TRY(listen(s2, 0));
    TRY(connect(c, (struct sockaddr *)&a, alen));
    close(c);
    close(s2);
    unlink(a.sun_path);

    /* abstract names and autobind */
    int ab = socket(AF_UNIX, SOCK_STREAM, 0);
    socklen_t ablen = mkabstract(&b, "abs");
    TRY(bind(ab, (struct sockaddr *)&b, ablen));
    struct sockaddr_un got;
    socklen_t glen = sizeof got;
    getsockname(ab, (struct sockaddr *)&got, &glen);
    say("abstract len matches %d, name matches %d\n", glen == ablen, memcmp(&got, &b, ablen) == 0);
    int ab2 = socket(AF_UNIX, SOCK_STREAM, 0);
    TRY(bind(ab2, (struct sockaddr *)&b, ablen));
    TRY(listen(ab, 4));
    c = socket(AF_UNIX, SOCK_STREAM, 0);
    TRY(connect(c, (struct sockaddr *)&b, ablen - 1));
    TRY(connect(c, (struct sockaddr *)&b, ablen));
    close(c);
    struct sockaddr_un fam = {.sun_family = AF_UNIX};
    TRY(bind(ab2, (struct sockaddr *)&fam, sizeof(sa_family_t)));
    names(ab2, "autobound");
    close(ab);
    c = socket(AF_UNIX, SOCK_STREAM, 0);
    TRY(connect(c, (struct sockaddr *)&b, ablen));
    int passcred = 1;
    TRY(setsockopt(c, SOL_SOCKET, SO_PASSCRED, &passcred, sizeof passcred));
    say("passcred %d\n", intopt(c, SOL_SOCKET, SO_PASSCRED));
    TRY(listen(ab2, 1));
    glen = sizeof got;
    getsockname(ab2, (struct sockaddr *)&got, &glen);
    TRY(connect(c, (struct sockaddr *)&got, glen));
    names(c, "passcred client (autobound on connect)");
    acc = accept(ab2, NULL, NULL);
    TRY(write(acc, "cred", 4));
    char cbuf[CMSG_SPACE(sizeof(struct ucred))];
    struct iovec iov = {buf, sizeof buf};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
    n = recvmsg(c, &mh, 0);
    struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
    say("recvmsg %zd controllen %d\n", n, (int)mh.msg_controllen);
    if (cm) {
        struct ucred uc;
        memcpy(&uc, CMSG_DATA(cm), sizeof uc);
        say("cmsg level %d type %d len %d pid ok %d uid ok %d\n", cm->cmsg_level, cm->cmsg_type, (int)cm->cmsg_len,
            uc.pid == getpid(), uc.uid == getuid());
    }
    close(acc);
    close(c);
    close(ab2);

    /* seqpacket: connection with message boundaries */
    int sp = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    alen = mkaddr(&b, "seq");
    TRY(bind(sp, (struct sockaddr *)&b, alen));
    TRY(listen(sp, 2));
    c = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    say("poll unconnected seqpacket %#x\n", pmask(c));
    int st2 = socket(AF_UNIX, SOCK_STREAM, 0);
    TRY(connect(st2, (struct sockaddr *)&b, alen));
    TRY(connect(c, (struct sockaddr *)&b, alen));
    acc = accept(sp, NULL, NULL);
    TRY(send(c, "one", 3, 0));
    TRY(send(c, "two!", 4, 0));
    recvshow(acc, 2, 0, "seq short");
    recvshow(acc, 64, 0, "seq next");
    TRY(sendto(c, "x", 1, 0, (struct sockaddr *)&b, alen));
    close(c);
    recvshow(acc, 64, 0, "seq after close");
    close(acc);
    close(sp);

    /* bad arguments */
    TRY(socket(AF_UNIX, SOCK_STREAM, 5));
    TRY(socket(AF_UNIX, SOCK_RDM, 0));
    int dgs = socket(AF_UNIX, SOCK_DGRAM, 0);
    TRY(listen(dgs, 1));
    TRY(accept(dgs, NULL, NULL));
    int unb = socket(AF_UNIX, SOCK_STREAM, 0);
    TRY(listen(unb, 1));
    TRY(send(unb, "x", 1, MSG_NOSIGNAL));
    TRY(recv(unb, buf, 1, MSG_DONTWAIT));
    TRY(shutdown(unb, SHUT_RDWR));
    TRY(bind(0, (struct sockaddr *)&a, alen));
    TRY(bind(unb, (struct sockaddr *)1, alen));
    struct sockaddr_un wrong = {.sun_family = AF_INET};
    TRY(bind(unb, (struct sockaddr *)&wrong, sizeof wrong));
    TRY(connect(unb, (struct sockaddr *)&wrong, sizeof wrong));
    unlink(b.sun_path);
    mkaddr(&b, "file");
    unlink(b.sun_path);
    rmdir(dir);
    say("done\n");
    return 0;
}
