/* TCP over 127.0.0.0/8: bind (ephemeral ports, conflicts, SO_REUSEADDR/SO_REUSEPORT), listen backlog,
   blocking and non-blocking connect (EINPROGRESS + SO_ERROR), accept addresses, data with MSG_PEEK /
   MSG_WAITALL / MSG_DONTWAIT, half close, FIN and RST (ECONNRESET, EPIPE + SIGPIPE, MSG_NOSIGNAL), SO_LINGER,
   SO_RCVTIMEO, readiness through poll and epoll, and the errors of each call.  Ports are never printed. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <sys/wait.h>
#include "net_util.h"

static volatile int sigpipes, usr1s;
static void on_pipe(int s) { (void)s; sigpipes++; }
static void on_usr1(int s) { (void)s; usr1s++; }
static char big_buf[4 << 20];

static struct sockaddr_in sin4(const char *ip, int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, ip, &a.sin_addr);
    return a;
}

static int port_of(int fd, int peer)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    if ((peer ? getpeername : getsockname)(fd, (struct sockaddr *)&a, &len) < 0)
        return -errno;
    return ntohs(a.sin_port);
}

static void show(int fd, const char *what)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    int r = getsockname(fd, (struct sockaddr *)&a, &len);
    char ip[32];
    inet_ntop(AF_INET, &a.sin_addr, ip, sizeof ip);
    int port = ntohs(a.sin_port);
    say("%s: name %d len %d %s port %s", what, r, (int)len, ip,
        port == 0 ? "0" : port >= 32768 && port <= 60999 ? "ephemeral" : "fixed");
    len = sizeof a;
    r = getpeername(fd, (struct sockaddr *)&a, &len);
    if (r < 0) {
        say(" peer %s\n", errname(errno));
        return;
    }
    inet_ntop(AF_INET, &a.sin_addr, ip, sizeof ip);
    say(" peer len %d %s\n", (int)len, ip);
}

static int listener(const char *ip, int backlog)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = sin4(ip, 0);
    if (bind(s, (struct sockaddr *)&a, sizeof a) < 0 || listen(s, backlog) < 0)
        say("listener failed %s\n", errname(errno));
    return s;
}

static int dial(int port, int flags)
{
    int c = socket(AF_INET, SOCK_STREAM | flags, 0);
    struct sockaddr_in a = sin4("127.0.0.1", port);
    int r = connect(c, (struct sockaddr *)&a, sizeof a);
    if (r < 0 && !(flags & SOCK_NONBLOCK && errno == EINPROGRESS))
        say("dial failed %s\n", errname(errno));
    return c;
}

int main(void)
{
    signal(SIGPIPE, on_pipe);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    say("defaults: type %d domain %d protocol %d rcvbuf %d sndbuf %d keepalive %d reuseaddr %d nodelay %d\n",
        intopt(s, SOL_SOCKET, SO_TYPE), intopt(s, SOL_SOCKET, SO_DOMAIN), intopt(s, SOL_SOCKET, SO_PROTOCOL),
        intopt(s, SOL_SOCKET, SO_RCVBUF), intopt(s, SOL_SOCKET, SO_SNDBUF), intopt(s, SOL_SOCKET, SO_KEEPALIVE),
        intopt(s, SOL_SOCKET, SO_REUSEADDR), intopt(s, IPPROTO_TCP, TCP_NODELAY));
    say("maxseg %d keepidle %d keepintvl %d keepcnt %d ttl %d\n", intopt(s, IPPROTO_TCP, TCP_MAXSEG),
        intopt(s, IPPROTO_TCP, TCP_KEEPIDLE), intopt(s, IPPROTO_TCP, TCP_KEEPINTVL),
        intopt(s, IPPROTO_TCP, TCP_KEEPCNT), intopt(s, IPPROTO_IP, IP_TTL));
    show(s, "fresh");
    say("poll fresh %#x\n", pmask(s));
    char buf[256];
    int u = socket(AF_INET, SOCK_STREAM, 0);      /* (shutdown bits of a listener pass to what it accepts) */
    TRY(send(u, "x", 1, 0));
    say("sigpipes %d\n", sigpipes);
    TRY(recv(u, buf, 1, 0));
    TRY(shutdown(u, SHUT_WR));
    say("poll unconnected after shutdown %#x\n", pmask(u));
    TRY(accept(u, NULL, NULL));
    close(u);
    struct sockaddr_in a = sin4("10.1.2.3", 0);
    TRY(bind(s, (struct sockaddr *)&a, sizeof a));
    a = sin4("127.0.0.1", 0);
    TRY(bind(s, (struct sockaddr *)&a, 8));
    a.sin_family = AF_INET6;
    TRY(bind(s, (struct sockaddr *)&a, sizeof a));
    a.sin_family = AF_INET;
    TRY(bind(s, (struct sockaddr *)&a, sizeof a));
    TRY(bind(s, (struct sockaddr *)&a, sizeof a));
    show(s, "bound");
    int port = port_of(s, 0);
    TRY(listen(s, 5));
    show(s, "listening");
    say("poll listening %#x acceptconn %d\n", pmask(s), intopt(s, SOL_SOCKET, SO_ACCEPTCONN));
    TRY(recv(s, buf, 1, 0));

    /* port conflicts */
    int o = socket(AF_INET, SOCK_STREAM, 0), on = 1;
    a = sin4("127.0.0.1", port);
    TRY(bind(o, (struct sockaddr *)&a, sizeof a));
    a = sin4("0.0.0.0", port);
    TRY(bind(o, (struct sockaddr *)&a, sizeof a));
    TRY(setsockopt(o, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on));
    TRY(bind(o, (struct sockaddr *)&a, sizeof a));
    a = sin4("127.0.0.2", port);
    TRY(bind(o, (struct sockaddr *)&a, sizeof a));
    close(o);
    int r1 = socket(AF_INET, SOCK_STREAM, 0), r2 = socket(AF_INET, SOCK_STREAM, 0), r3 = socket(AF_INET, SOCK_STREAM, 0);
    TRY(setsockopt(r1, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on));
    TRY(setsockopt(r2, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on));
    a = sin4("127.0.0.1", 0);
    TRY(bind(r1, (struct sockaddr *)&a, sizeof a));
    a.sin_port = htons(port_of(r1, 0));
    TRY(bind(r2, (struct sockaddr *)&a, sizeof a));
    TRY(bind(r3, (struct sockaddr *)&a, sizeof a));
    TRY(listen(r1, 1));
    TRY(listen(r2, 1));
    close(r1);
    close(r2);
    close(r3);

    /* refused connections, blocking and not */
    int free_port = port_of(r3, 0);
    int lone = socket(AF_INET, SOCK_STREAM, 0);
    a = sin4("127.0.0.1", 0);
    bind(lone, (struct sockaddr *)&a, sizeof a);
    free_port = port_of(lone, 0);          /* bound, never listening: nobody accepts there */
    int c = socket(AF_INET, SOCK_STREAM, 0);
    a = sin4("127.0.0.1", free_port);
    TRY(connect(c, (struct sockaddr *)&a, sizeof a));
    show(c, "refused");
    close(c);
    c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    TRY(connect(c, (struct sockaddr *)&a, sizeof a));
    struct pollfd pf = {c, POLLOUT, 0};
    poll(&pf, 1, 2000);
    int err1 = intopt(c, SOL_SOCKET, SO_ERROR), err2 = intopt(c, SOL_SOCKET, SO_ERROR);
    say("poll refused %#x error %s then %d\n", pf.revents, errname(err1), err2);
    TRY(connect(c, (struct sockaddr *)&a, sizeof a));
    close(c);
    a = sin4("127.0.0.1", port);
    c = socket(AF_INET, SOCK_STREAM, 0);
    TRY(connect(c, (struct sockaddr *)&a, 4));
    a.sin_family = AF_INET6;
    TRY(connect(c, (struct sockaddr *)&a, sizeof a));
    close(c);

    /* a connection */
    c = socket(AF_INET, SOCK_STREAM, 0);
    a = sin4("127.0.0.1", port);
    TRY(connect(c, (struct sockaddr *)&a, sizeof a));
    say("poll listener with one %#x\n", pmask(s));
    show(c, "client");
    say("peer port is the listener's %d\n", port_of(c, 1) == port);
    TRY(connect(c, (struct sockaddr *)&a, sizeof a));
    struct sockaddr_in pa;
    socklen_t plen = sizeof pa;
    int srv = accept(s, (struct sockaddr *)&pa, &plen);
    say("accepted addrlen %d client port matches %d\n", (int)plen, ntohs(pa.sin_port) == port_of(c, 0));
    show(srv, "accepted");
    say("accepted: nonblock %d maxseg %d acceptconn %d\n", !!(fcntl(srv, F_GETFL) & O_NONBLOCK),
        intopt(srv, IPPROTO_TCP, TCP_MAXSEG), intopt(srv, SOL_SOCKET, SO_ACCEPTCONN));
    say("poll client %#x server %#x\n", pmask(c), pmask(srv));
    TRY(send(c, "hello world", 11, 0));
    int n = -1;
    ioctl(srv, FIONREAD, &n);
    say("FIONREAD %d poll %#x\n", n, pmask(srv));
    ioctl(c, TIOCOUTQ, &n);
    say("SIOCOUTQ %d\n", n);
    recvshow(srv, 5, MSG_PEEK, "peek");
    recvshow(srv, 5, 0, "read");
    recvshow(srv, 64, 0, "rest");
    recvshow(srv, 64, MSG_DONTWAIT, "empty");
    TRYV(send(c, "0123456789", 10, 0));
    TRYV(recv(srv, buf, 4, MSG_TRUNC));
    recvshow(srv, 64, 0, "after trunc");
    pid_t pid = fork();
    if (pid == 0) {
        usleep(50000);
        send(c, "part1-", 6, 0);
        usleep(50000);
        send(c, "part2", 5, 0);
        _exit(0);
    }
    recvshow(srv, 11, MSG_WAITALL, "waitall");
    waitpid(pid, NULL, 0);

    /* SO_RCVTIMEO */
    struct timeval tv = {0, 150000};
    TRY(setsockopt(srv, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
    TRY(recv(srv, buf, 1, 0));
    /* SO_SNDTIMEO: a blocking send into a full connection returns what it wrote, then EAGAIN */
    TRY(setsockopt(srv, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv));
    static char lots[8 << 20];
    ssize_t part = send(srv, lots, sizeof lots, 0);
    say("timed send wrote part %d\n", part > 0 && part < (ssize_t)sizeof lots);
    int drained = 0;
    while (recv(c, lots, sizeof lots, MSG_DONTWAIT) > 0)
        drained = 1;
    say("drained %d\n", drained);

    /* half close: SHUT_WR sends a FIN, the other direction keeps working */
    TRY(shutdown(c, SHUT_WR));
    recvshow(srv, 64, 0, "server after client SHUT_WR");
    say("poll server %#x client %#x\n", pmask(srv), pmask(c));
    TRY(send(srv, "still here", 10, 0));
    recvshow(c, 64, 0, "client reads");
    sigpipes = 0;
    TRY(send(c, "x", 1, 0));
    say("sigpipes %d\n", sigpipes);
    TRY(shutdown(c, 7));
    close(srv);
    recvshow(c, 64, 0, "client after server close");
    say("poll client %#x\n", pmask(c));
    close(c);

    /* a normal close: the peer reads what is left, then EOF; its first write is answered by a RST */
    c = dial(port, 0);
    srv = accept(s, NULL, NULL);
    TRY(send(srv, "bye", 3, 0));
    close(srv);
    recvshow(c, 64, 0, "last data");
    recvshow(c, 64, 0, "eof");
    say("poll after FIN %#x\n", pmask(c));
    sigpipes = 0;
    TRY(send(c, "into the void", 13, 0));
    usleep(50000);
    say("poll after RST %#x\n", pmask(c));
    TRY(send(c, "again", 5, 0));
    TRY(send(c, "quiet", 5, MSG_NOSIGNAL));
    say("sigpipes %d\n", sigpipes);
    recvshow(c, 64, 0, "recv after RST");
    close(c);

    /* close with unread data: RST, ECONNRESET */
    c = dial(port, 0);
    srv = accept(s, NULL, NULL);
    TRY(send(c, "unread", 6, 0));
    usleep(20000);
    close(srv);
    usleep(20000);
    say("poll after reset %#x\n", pmask(c));
    sigpipes = 0;
    recvshow(c, 64, 0, "reset read");
    recvshow(c, 64, 0, "then");
    TRY(send(c, "x", 1, 0));
    say("sigpipes %d error %d\n", sigpipes, intopt(c, SOL_SOCKET, SO_ERROR));
    close(c);

    /* SO_LINGER {1, 0}: close resets */
    c = dial(port, 0);
    srv = accept(s, NULL, NULL);
    struct linger lg = {1, 0}, lback;
    TRY(setsockopt(srv, SOL_SOCKET, SO_LINGER, &lg, sizeof lg));
    socklen_t ll = sizeof lback;
    TRY(getsockopt(srv, SOL_SOCKET, SO_LINGER, &lback, &ll));
    say("linger %d %d len %d\n", lback.l_onoff, lback.l_linger, (int)ll);
    close(srv);
    usleep(20000);
    TRY(send(c, "x", 1, MSG_NOSIGNAL));
    TRY(send(c, "x", 1, MSG_NOSIGNAL));
    close(c);

    /* backlog: listen(1) completes two connections; the third waits for accept */
    int l1 = listener("127.0.0.1", 1);
    int lp = port_of(l1, 0);
    int q1 = dial(lp, SOCK_NONBLOCK), q2 = dial(lp, SOCK_NONBLOCK), q3 = dial(lp, SOCK_NONBLOCK);
    usleep(50000);
    say("queued: poll %#x %#x listener %#x\n", pmask(q1), pmask(q2), pmask(l1));
    struct pollfd p3 = {q3, POLLOUT, 0};
    TRYV(poll(&p3, 1, 0));
    int k = accept(l1, NULL, NULL);
    close(k);
    k = accept(l1, NULL, NULL);
    close(k);
    TRYV(poll(&p3, 1, 5000));
    say("third connected: error %d poll %#x\n", intopt(q3, SOL_SOCKET, SO_ERROR), p3.revents);
    a = sin4("127.0.0.1", lp);
    TRY(connect(q3, (struct sockaddr *)&a, sizeof a));
    TRY(connect(q3, (struct sockaddr *)&a, sizeof a));
    k = accept(l1, NULL, NULL);
    TRY(send(q3, "ok", 2, 0));
    recvshow(k, 64, 0, "third's data");
    close(k);
    close(q1);
    close(q2);
    close(q3);

    /* epoll: a non-blocking connect becomes writable, the listener readable */
    int ep = epoll_create1(0);
    c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    struct epoll_event ev = {.events = EPOLLOUT, .data.u32 = 1}, evl = {.events = EPOLLIN, .data.u32 = 2};
    TRY(epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev));
    TRY(epoll_ctl(ep, EPOLL_CTL_ADD, l1, &evl));
    TRYV(epoll_wait(ep, &ev, 1, 0));
    TRY(connect(c, (struct sockaddr *)&a, sizeof a));
    struct epoll_event evs[4];
    int ne = epoll_wait(ep, evs, 4, 2000);
    unsigned seen = 0;
    for (int i = 0; i < ne; i++)
        seen |= evs[i].data.u32 == 1 ? (evs[i].events & EPOLLOUT ? 1 : 0) : (evs[i].events & EPOLLIN ? 2 : 0);
    say("epoll saw %u\n", seen);
    TRY(connect(c, (struct sockaddr *)&a, sizeof a));
    TRY(connect(c, (struct sockaddr *)&a, sizeof a));
    close(c);
    close(ep);
    close(l1);

    /* the wildcard address reaches the machine itself; a listener on 0.0.0.0 takes 127.0.0.2 */
    int w = listener("0.0.0.0", 4);
    show(w, "wildcard listener");
    a = sin4("0.0.0.0", port_of(w, 0));
    c = socket(AF_INET, SOCK_STREAM, 0);
    TRY(connect(c, (struct sockaddr *)&a, sizeof a));
    show(c, "to 0.0.0.0");
    close(c);
    close(accept(w, NULL, NULL));
    a = sin4("127.0.0.2", port_of(w, 0));
    c = socket(AF_INET, SOCK_STREAM, 0);
    TRY(connect(c, (struct sockaddr *)&a, sizeof a));
    show(c, "to 127.0.0.2");
    k = accept(w, NULL, NULL);
    show(k, "accepted for 127.0.0.2");
    close(k);
    close(c);
    close(w);

    /* a blocking send interrupted by a handler without SA_RESTART returns what it wrote; nothing goes twice */
    {
        int sl = listener("127.0.0.1", 1);
        int cc = dial(port_of(sl, 0), 0);
        int ss = accept(sl, NULL, NULL);
        struct sigaction sa = {.sa_handler = on_usr1};
        sigaction(SIGUSR1, &sa, NULL);
        pid_t kid = fork();
        if (kid == 0) {
            close(ss);
            usleep(150000);
            kill(getppid(), SIGUSR1);
            usleep(100000);
            long total = 0;
            ssize_t r;
            while ((r = recv(cc, big_buf, sizeof big_buf, 0)) > 0)
                total += r;
            say("reader got everything once %d\n", total == (long)sizeof big_buf * 4);
            _exit(0);
        }
        close(cc);
        ssize_t first = send(ss, big_buf, sizeof big_buf, 0);
        say("interrupted send: partial %d usr1 %d\n", first > 0 && first < (ssize_t)sizeof big_buf, usr1s);
        long left = (long)sizeof big_buf * 4 - (first > 0 ? first : 0);
        while (left > 0) {
            ssize_t w = send(ss, big_buf, left < (long)sizeof big_buf ? left : (long)sizeof big_buf, 0);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                break;
            left -= w;
        }
        close(ss);
        waitpid(kid, NULL, 0);
        close(sl);
    }

    /* bad input */
    TRY(socket(AF_INET, SOCK_STREAM, IPPROTO_UDP));
    TRY(socket(AF_INET, SOCK_SEQPACKET, 0));
    TRY(socket(AF_INET, SOCK_STREAM, -1));
    int sv[2];
    TRY(socketpair(AF_INET, SOCK_STREAM, 0, sv));
    TRY(getsockopt(s, 999, 1, &n, &(socklen_t){4}));
    TRY(getsockopt(s, IPPROTO_TCP, 9999, &n, &(socklen_t){4}));
    TRY(getsockopt(s, SOL_SOCKET, 9999, &n, &(socklen_t){4}));
    TRY(getsockopt(s, SOL_SOCKET, SO_TYPE, &n, &(socklen_t){-1}));
    TRY(getsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &n, &(socklen_t){4}));
    TRY(setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &on, 2));
    TRY(setsockopt(s, IPPROTO_TCP, TCP_KEEPIDLE, &(int){0}, 4));
    TRY(setsockopt(s, SOL_SOCKET, SO_TYPE, &on, 4));
    TRY(setsockopt(s, SOL_SOCKET, SO_RCVBUF, (void *)8, 4));
    TRY(listen(0, 1));
    TRY(accept(-1, NULL, NULL));
    close(s);
    say("done\n");
    return 0;
}
