/* UDP over 127.0.0.1: autobind on send, sender addresses, message boundaries (truncation, MSG_TRUNC, MSG_PEEK,
   empty datagrams), connected sockets (peer filter, ECONNREFUSED from a closed port, AF_UNSPEC disconnect),
   SO_REUSEADDR, EMSGSIZE, FIONREAD, SO_RCVTIMEO, a blocking receive woken by another process, and errors. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <sys/wait.h>
#include "net_util.h"

static struct sockaddr_in sin4(const char *ip, int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, ip, &a.sin_addr);
    return a;
}

static int port_of(int fd)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &len);
    return ntohs(a.sin_port);
}

static int udp_bound(void)
{
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = sin4("127.0.0.1", 0);
    bind(s, (struct sockaddr *)&a, sizeof a);
    return s;
}

static void from(int fd, size_t len, int flags, int sender, const char *what)
{
    char buf[128] = {0};
    struct sockaddr_in a;
    socklen_t alen = sizeof a;
    memset(&a, 0, sizeof a);
    ssize_t n = recvfrom(fd, buf, len, flags, (struct sockaddr *)&a, &alen);
    if (n < 0) {
        say("%s: %s\n", what, errname(errno));
        return;
    }
    char ip[32];
    inet_ntop(AF_INET, &a.sin_addr, ip, sizeof ip);
    say("%s: %zd '%.*s' addrlen %d %s sender port matches %d\n", what, n, (int)(n < (ssize_t)len ? n : (ssize_t)len),
        buf, (int)alen, ip, sender < 0 || ntohs(a.sin_port) == port_of(sender));
}

int main(void)
{
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    say("defaults: type %d protocol %d rcvbuf %d sndbuf %d poll %#x\n", intopt(s, SOL_SOCKET, SO_TYPE),
        intopt(s, SOL_SOCKET, SO_PROTOCOL), intopt(s, SOL_SOCKET, SO_RCVBUF), intopt(s, SOL_SOCKET, SO_SNDBUF),
        pmask(s));
    TRY(send(s, "x", 1, 0));
    char buf[128];
    TRY(recv(s, buf, 1, MSG_DONTWAIT));
    TRY(shutdown(s, SHUT_RD));
    say("poll after shutdown %#x\n", pmask(s));
    recvshow(s, 10, 0, "recv after SHUT_RD");
    close(s);

    int a = udp_bound(), b = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in A = sin4("127.0.0.1", port_of(a));
    TRY(sendto(b, "one", 3, 0, (struct sockaddr *)&A, sizeof A));
    say("sender autobound %d\n", port_of(b) >= 32768 && port_of(b) <= 60999);
    TRY(sendto(b, "", 0, 0, (struct sockaddr *)&A, sizeof A));
    TRY(sendto(b, "three33", 7, 0, (struct sockaddr *)&A, sizeof A));
    TRY(sendto(b, "fourfour", 8, 0, (struct sockaddr *)&A, sizeof A));
    say("poll a %#x\n", pmask(a));
    int n = -1;
    ioctl(a, FIONREAD, &n);
    say("FIONREAD %d\n", n);
    from(a, sizeof buf, 0, b, "1");
    from(a, sizeof buf, 0, b, "empty");
    from(a, 3, MSG_PEEK, b, "peek");
    TRYV(recv(a, buf, 3, MSG_TRUNC));
    struct iovec iov = {buf, 4};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
    TRYV(recvmsg(a, &mh, 0));
    say("recvmsg flags %#x\n", mh.msg_flags);
    from(a, sizeof buf, MSG_DONTWAIT, b, "none");

    /* sizes and bad destinations */
    static char big[65508];
    TRY(sendto(b, big, sizeof big, 0, (struct sockaddr *)&A, sizeof A));
    TRYV(sendto(b, big, sizeof big - 1, 0, (struct sockaddr *)&A, sizeof A));
    TRYV(recv(a, big, sizeof big, 0));
    struct sockaddr_in zero = sin4("127.0.0.1", 0);
    TRY(sendto(b, "x", 1, 0, (struct sockaddr *)&zero, sizeof zero));
    TRY(sendto(b, "x", 1, 0, (struct sockaddr *)&A, 4));
    struct sockaddr_in6 six = {.sin6_family = AF_INET6};
    TRY(sendto(b, "x", 1, 0, (struct sockaddr *)&six, sizeof six));

    /* port sharing */
    int c = socket(AF_INET, SOCK_DGRAM, 0), on = 1;
    TRY(bind(c, (struct sockaddr *)&A, sizeof A));
    int r1 = socket(AF_INET, SOCK_DGRAM, 0), r2 = socket(AF_INET, SOCK_DGRAM, 0);
    TRY(setsockopt(r1, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on));
    TRY(setsockopt(r2, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on));
    struct sockaddr_in any = sin4("0.0.0.0", 0);
    TRY(bind(r1, (struct sockaddr *)&any, sizeof any));
    any.sin_port = htons(port_of(r1));
    TRY(bind(r2, (struct sockaddr *)&any, sizeof any));
    close(r1);
    close(r2);

    /* connected sockets: a default destination and a filter on who may send */
    TRY(connect(b, (struct sockaddr *)&A, sizeof A));
    TRY(send(b, "connected", 9, 0));
    from(a, sizeof buf, 0, b, "2");
    struct sockaddr_in pa;
    socklen_t plen = sizeof pa;
    TRY(getpeername(b, (struct sockaddr *)&pa, &plen));
    say("peer len %d port matches %d\n", (int)plen, ntohs(pa.sin_port) == port_of(a));
    struct sockaddr_in B = sin4("127.0.0.1", port_of(b));
    TRY(sendto(c, "from c", 6, 0, (struct sockaddr *)&B, sizeof B));
    TRY(sendto(a, "from a", 6, 0, (struct sockaddr *)&B, sizeof B));
    from(b, sizeof buf, MSG_DONTWAIT, a, "b gets only its peer");
    from(b, sizeof buf, MSG_DONTWAIT, a, "nothing more");
    struct sockaddr unspec = {.sa_family = AF_UNSPEC};
    TRY(connect(b, &unspec, sizeof unspec));
    TRY(getpeername(b, (struct sockaddr *)&pa, &plen));
    TRY(send(b, "x", 1, 0));

    /* a connected socket hears of a closed port: ECONNREFUSED on the next call */
    int gone = udp_bound();
    struct sockaddr_in G = sin4("127.0.0.1", port_of(gone));
    close(gone);
    int d = socket(AF_INET, SOCK_DGRAM, 0);
    TRY(connect(d, (struct sockaddr *)&G, sizeof G));
    TRY(send(d, "anyone?", 7, 0));
    usleep(20000);
    say("poll %#x\n", pmask(d));
    TRY(recv(d, buf, sizeof buf, MSG_DONTWAIT));
    TRY(recv(d, buf, sizeof buf, MSG_DONTWAIT));
    TRY(send(d, "again", 5, 0));
    usleep(20000);
    TRY(send(d, "and again", 9, 0));
    say("error now %d\n", intopt(d, SOL_SOCKET, SO_ERROR));
    int e = socket(AF_INET, SOCK_DGRAM, 0);
    TRY(sendto(e, "unconnected", 11, 0, (struct sockaddr *)&G, sizeof G));
    usleep(20000);
    TRY(sendto(e, "no error", 8, 0, (struct sockaddr *)&G, sizeof G));

    /* SO_RCVTIMEO and a receive woken by another process */
    struct timeval tv = {0, 100000};
    TRY(setsockopt(a, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
    TRY(recv(a, buf, sizeof buf, 0));
    pid_t pid = fork();
    if (pid == 0) {
        usleep(50000);
        sendto(e, "late", 4, 0, (struct sockaddr *)&A, sizeof A);
        _exit(0);
    }
    tv.tv_sec = 5;
    setsockopt(a, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    from(a, sizeof buf, 0, e, "woken");
    waitpid(pid, NULL, 0);
    say("done\n");
    return 0;
}
