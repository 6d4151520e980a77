/* AF_UNIX SOCK_DGRAM with names: sendto/recvfrom between bound and unbound sockets, sender addresses, connect
   and disconnect, EPERM for a socket connected elsewhere, a closed peer (ECONNREFUSED then ENOTCONN), the
   receive queue limit, SO_PASSCRED autobind and SCM_CREDENTIALS, SO_RCVTIMEO, and the errors. */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include "net_util.h"

static char dir[64];

static socklen_t mkaddr(struct sockaddr_un *a, const char *name)
{
    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    snprintf(a->sun_path, sizeof a->sun_path, "%s/%s", dir, name);
    return offsetof(struct sockaddr_un, sun_path) + strlen(a->sun_path) + 1;
}

static void from(int fd, int flags, const char *what)
{
    char buf[64] = {0};
    struct sockaddr_un a;
    memset(&a, 0x55, sizeof a);
    socklen_t len = sizeof a;
    ssize_t n = recvfrom(fd, buf, sizeof buf, flags, (struct sockaddr *)&a, &len);
    if (n < 0) {
        say("%s: %s\n", what, errname(errno));
        return;
    }
    const char *slash = len > 2 ? strrchr(a.sun_path, '/') : NULL;
    say("%s: %zd '%.*s' addrlen %d from %s\n", what, n, (int)n, buf, (int)len,
        len <= 2 ? "(unnamed)" : a.sun_path[0] ? (slash ? slash + 1 : a.sun_path) : "(abstract)");
}

int main(void)
{
    strcpy(dir, "/tmp/unixdXXXXXX");
    if (!mkdtemp(dir))
        return 1;
    struct sockaddr_un A, B, C;
    socklen_t alen = mkaddr(&A, "a"), blen = mkaddr(&B, "b"), clen = mkaddr(&C, "c");
    int a = socket(AF_UNIX, SOCK_DGRAM, 0), b = socket(AF_UNIX, SOCK_DGRAM, 0), c = socket(AF_UNIX, SOCK_DGRAM, 0);
    TRY(bind(a, (struct sockaddr *)&A, alen));
    TRY(bind(b, (struct sockaddr *)&B, blen));
    say("poll unbound %#x bound %#x\n", pmask(c), pmask(a));
    TRY(send(c, "x", 1, 0));
    TRY(sendto(c, "from c", 6, 0, (struct sockaddr *)&A, alen));
    TRY(sendto(b, "from b", 6, 0, (struct sockaddr *)&A, alen));
    say("poll a %#x\n", pmask(a));
    int avail = -1;
    ioctl(a, FIONREAD, &avail);
    say("FIONREAD %d\n", avail);
    from(a, 0, "1");
    from(a, MSG_PEEK, "2 peek");
    from(a, 0, "2");
    from(a, MSG_DONTWAIT, "3");
    struct sockaddr_un nope;
    socklen_t nlen = mkaddr(&nope, "none");
    TRY(sendto(c, "x", 1, 0, (struct sockaddr *)&nope, nlen));
    int st = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un S;
    socklen_t slen = mkaddr(&S, "stream");
    TRY(bind(st, (struct sockaddr *)&S, slen));
    TRY(sendto(c, "x", 1, 0, (struct sockaddr *)&S, slen));

    /* connect: send without an address, and only the peer may send to a connected socket */
    TRY(connect(b, (struct sockaddr *)&A, alen));
    struct sockaddr_un pn;
    socklen_t pl = sizeof pn;
    TRY(getpeername(b, (struct sockaddr *)&pn, &pl));
    say("peer addrlen %d\n", (int)pl);
    TRY(send(b, "connected", 9, 0));
    from(a, 0, "4");
    TRY(connect(a, (struct sockaddr *)&B, blen));
    TRY(sendto(c, "intruder", 8, 0, (struct sockaddr *)&A, alen));
    TRY(sendto(c, "to b", 4, 0, (struct sockaddr *)&B, blen));
    TRY(sendto(a, "explicit", 8, 0, (struct sockaddr *)&B, blen));
    from(b, 0, "5");
    struct sockaddr unspec = {.sa_family = AF_UNSPEC};
    TRY(connect(a, &unspec, sizeof unspec));
    TRY(getpeername(a, (struct sockaddr *)&pn, &pl));
    TRY(sendto(c, "welcome", 7, 0, (struct sockaddr *)&A, alen));
    from(a, 0, "6");

    /* a closed peer: ECONNREFUSED once, then ENOTCONN */
    int d = socket(AF_UNIX, SOCK_DGRAM, 0);
    TRY(bind(d, (struct sockaddr *)&C, clen));
    TRY(connect(b, (struct sockaddr *)&C, clen));
    close(d);
    TRY(send(b, "x", 1, 0));
    TRY(send(b, "x", 1, 0));
    TRY(connect(b, (struct sockaddr *)&C, clen));
    unlink(C.sun_path);

    /* the receive queue of an unconnected socket holds max_dgram_qlen + 1 datagrams */
    int e = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    int sent = 0;
    while (sendto(e, "q", 1, 0, (struct sockaddr *)&A, alen) == 1 && sent < 100)
        sent++;
    say("queued %d then %s, poll sender %#x\n", sent, errname(errno), pmask(e));
    int got = 0;
    char buf[64];
    while (recv(a, buf, sizeof buf, MSG_DONTWAIT) > 0)
        got++;
    say("drained %d\n", got);

    /* SO_PASSCRED: the sender autobinds, the receiver gets SCM_CREDENTIALS */
    int on = 1;
    TRY(setsockopt(e, SOL_SOCKET, SO_PASSCRED, &on, sizeof on));
    TRY(setsockopt(a, SOL_SOCKET, SO_PASSCRED, &on, sizeof on));
    TRY(sendto(e, "cred", 4, 0, (struct sockaddr *)&A, alen));
    char cbuf[256];
    struct sockaddr_un src;
    struct iovec iov = {buf, sizeof buf};
    struct msghdr mh = {.msg_name = &src, .msg_namelen = sizeof src, .msg_iov = &iov, .msg_iovlen = 1,
                        .msg_control = cbuf, .msg_controllen = sizeof cbuf};
    ssize_t n = recvmsg(a, &mh, 0);
    say("recvmsg %zd namelen %d abstract %d controllen %d\n", n, (int)mh.msg_namelen, src.sun_path[0] == 0,
        (int)mh.msg_controllen);
    struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
    if (cm) {
        struct ucred uc;
        memcpy(&uc, CMSG_DATA(cm), sizeof uc);
        say("cmsg %d/%d len %d pid ok %d uid %d gid %d\n", cm->cmsg_level, cm->cmsg_type, (int)cm->cmsg_len,
            uc.pid == getpid(), uc.uid == getuid(), uc.gid == getgid());
    }
    /* explicit credentials, and a control buffer too small for them */
    struct ucred mine = {getpid(), getuid(), getgid()};
    char sbuf[CMSG_SPACE(sizeof mine)];
    struct msghdr sm = {.msg_name = &A, .msg_namelen = alen, .msg_iov = &iov, .msg_iovlen = 1,
                        .msg_control = sbuf, .msg_controllen = sizeof sbuf};
    iov.iov_len = 3;
    memcpy(buf, "exp", 3);
    struct cmsghdr *sc = CMSG_FIRSTHDR(&sm);
    sc->cmsg_level = SOL_SOCKET;
    sc->cmsg_type = SCM_CREDENTIALS;
    sc->cmsg_len = CMSG_LEN(sizeof mine);
    memcpy(CMSG_DATA(sc), &mine, sizeof mine);
    TRY(sendmsg(e, &sm, 0));
    sc->cmsg_len = CMSG_LEN(sizeof mine) - 1;
    TRY(sendmsg(e, &sm, 0));
    sc->cmsg_len = CMSG_LEN(sizeof mine);
    sc->cmsg_type = 77;
    TRY(sendmsg(e, &sm, 0));
    iov.iov_len = sizeof buf;
    struct msghdr rm = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = 20};
    n = recvmsg(a, &rm, 0);
    say("small control: %zd controllen %d\n", n, (int)rm.msg_controllen);   /* (qemu-riscv64 drops MSG_CTRUNC) */

    /* SO_RCVTIMEO */
    struct timeval tv = {0, 200000}, back;
    TRY(setsockopt(a, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
    socklen_t tl = sizeof back;
    TRY(getsockopt(a, SOL_SOCKET, SO_RCVTIMEO, &back, &tl));
    say("rcvtimeo %ld.%06ld len %d\n", (long)back.tv_sec, (long)back.tv_usec, (int)tl);
    struct timeval t0, t1;
    gettimeofday(&t0, NULL);
    TRY(recv(a, buf, sizeof buf, 0));
    gettimeofday(&t1, NULL);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_usec - t0.tv_usec) / 1000;
    say("waited about the timeout %d\n", ms >= 150 && ms < 2000);
    tv.tv_usec = 1000000;
    TRY(setsockopt(a, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
    TRY(setsockopt(a, SOL_SOCKET, SO_RCVTIMEO, &tv, 8));

    /* sizes: EMSGSIZE above the send buffer; MSG_TRUNC reports the real length */
    static char big[300000];
    TRY(sendto(c, big, sizeof big, 0, (struct sockaddr *)&A, alen));
    TRY(sendto(c, "0123456789", 10, 0, (struct sockaddr *)&A, alen));
    TRYV(recv(a, buf, 4, MSG_TRUNC));
    TRY(shutdown(c, SHUT_WR));
    TRY(sendto(c, "x", 1, MSG_NOSIGNAL, (struct sockaddr *)&A, alen));
    TRY(bind(c, (struct sockaddr *)&A, 1));
    unlink(A.sun_path);
    unlink(B.sun_path);
    unlink(S.sun_path);
    rmdir(dir);
    say("done\n");
    return 0;
}
