/* Socket options as Linux stores and reports them, for AF_UNIX, TCP, UDP and TCPv6: identity (SO_TYPE,
   SO_DOMAIN, SO_PROTOCOL, SO_ACCEPTCONN), buffer sizes (doubled, clamped, minimums), booleans, SO_LINGER,
   timeouts (EDOM, short lengths), IP/TCP-level options, short and negative optlen, ENOTSOCK. */
#define _GNU_SOURCE
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/time.h>
#include <sys/un.h>
#include "net_util.h"

static void setint(int fd, int level, int name, int value, const char *what)
{
    int r = setsockopt(fd, level, name, &value, sizeof value);
    say("set %-22s %8d -> %s, reads %d\n", what, value, r < 0 ? errname(errno) : "ok", intopt(fd, level, name));
}

static void identity(int fd, const char *what)
{
    say("%s: type %d domain %d protocol %d acceptconn %d error %d rcvlowat %d sndlowat %d priority %d\n", what,
        intopt(fd, SOL_SOCKET, SO_TYPE), intopt(fd, SOL_SOCKET, SO_DOMAIN), intopt(fd, SOL_SOCKET, SO_PROTOCOL),
        intopt(fd, SOL_SOCKET, SO_ACCEPTCONN), intopt(fd, SOL_SOCKET, SO_ERROR), intopt(fd, SOL_SOCKET, SO_RCVLOWAT),
        intopt(fd, SOL_SOCKET, SO_SNDLOWAT), intopt(fd, SOL_SOCKET, SO_PRIORITY));
}

int main(void)
{
    int un = socket(AF_UNIX, SOCK_STREAM, 0), ud = socket(AF_UNIX, SOCK_DGRAM, 0);
    int t4 = socket(AF_INET, SOCK_STREAM, 0), u4 = socket(AF_INET, SOCK_DGRAM, 0);
    int t6 = socket(AF_INET6, SOCK_STREAM, 0), u6 = socket(AF_INET6, SOCK_DGRAM, IPPROTO_UDP);
    identity(un, "unix stream");
    identity(ud, "unix dgram");
    identity(t4, "tcp");
    identity(u4, "udp");
    identity(t6, "tcp6");
    identity(u6, "udp6");
    int fds[] = {un, t4, u4};
    const char *names[] = {"unix", "tcp", "udp"};
    for (int i = 0; i < 3; i++) {
        int fd = fds[i];
        say("-- %s: rcvbuf %d sndbuf %d\n", names[i], intopt(fd, SOL_SOCKET, SO_RCVBUF), intopt(fd, SOL_SOCKET, SO_SNDBUF));
        setint(fd, SOL_SOCKET, SO_RCVBUF, 10000, "SO_RCVBUF");
        setint(fd, SOL_SOCKET, SO_RCVBUF, 1, "SO_RCVBUF");
        setint(fd, SOL_SOCKET, SO_RCVBUF, 100000, "SO_RCVBUF");
        setint(fd, SOL_SOCKET, SO_SNDBUF, 10000, "SO_SNDBUF");
        setint(fd, SOL_SOCKET, SO_SNDBUF, 0, "SO_SNDBUF");
        setint(fd, SOL_SOCKET, SO_KEEPALIVE, 7, "SO_KEEPALIVE");
        setint(fd, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR");
        setint(fd, SOL_SOCKET, SO_REUSEPORT, 1, "SO_REUSEPORT");
        setint(fd, SOL_SOCKET, SO_BROADCAST, 1, "SO_BROADCAST");
        setint(fd, SOL_SOCKET, SO_OOBINLINE, 1, "SO_OOBINLINE");
        setint(fd, SOL_SOCKET, SO_RCVLOWAT, 0, "SO_RCVLOWAT");
        setint(fd, SOL_SOCKET, SO_RCVLOWAT, 100, "SO_RCVLOWAT");
        setint(fd, SOL_SOCKET, SO_PRIORITY, 3, "SO_PRIORITY");
        setint(fd, SOL_SOCKET, SO_TYPE, 1, "SO_TYPE");
        setint(fd, SOL_SOCKET, SO_ERROR, 1, "SO_ERROR");
        setint(fd, SOL_SOCKET, SO_DONTROUTE, 1, "SO_DONTROUTE");
        setint(fd, SOL_SOCKET, SO_PASSCRED, 1, "SO_PASSCRED");
        struct linger lg = {0, 0};
        socklen_t len = sizeof lg;
        getsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, &len);
        say("linger default %d %d len %d\n", lg.l_onoff, lg.l_linger, (int)len);
        lg.l_onoff = 5;
        lg.l_linger = 9;
        TRY(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg));
        TRY(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, 4));
        len = sizeof lg;
        getsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, &len);
        say("linger %d %d\n", lg.l_onoff, lg.l_linger);
        struct timeval tv = {2, 500000}, back = {9, 9};
        TRY(setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv));
        len = sizeof back;
        TRY(getsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &back, &len));
        say("sndtimeo %ld.%06ld len %d\n", (long)back.tv_sec, (long)back.tv_usec, (int)len);
        tv.tv_usec = -1;
        TRY(setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv));
        tv.tv_sec = -3;
        tv.tv_usec = 0;
        TRY(setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv));
        len = sizeof back;
        getsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &back, &len);
        say("negative sndtimeo reads %ld.%06ld\n", (long)back.tv_sec, (long)back.tv_usec);
        char small[2] = {0x7f, 0x7f};
        len = 2;
        TRY(getsockopt(fd, SOL_SOCKET, SO_TYPE, small, &len));
        say("short read len %d first byte %d\n", (int)len, small[0]);   /* (qemu-riscv64 copies one byte) */
        len = 0;
        TRY(getsockopt(fd, SOL_SOCKET, SO_TYPE, small, &len));
        say("zero len %d\n", (int)len);
        len = -1;
        TRY(getsockopt(fd, SOL_SOCKET, SO_TYPE, small, &len));
        TRY(setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, small, 2));
        TRY(setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, NULL, 4));
        TRY(getsockopt(fd, SOL_SOCKET, SO_TYPE, NULL, &len));
        TRY(getsockopt(fd, SOL_SOCKET, SO_TYPE, small, NULL));
    }

    say("-- tcp level\n");
    setint(t4, IPPROTO_TCP, TCP_NODELAY, 5, "TCP_NODELAY");
    setint(t4, IPPROTO_TCP, TCP_CORK, 1, "TCP_CORK");
    setint(t4, IPPROTO_TCP, TCP_KEEPIDLE, 60, "TCP_KEEPIDLE");
    setint(t4, IPPROTO_TCP, TCP_KEEPIDLE, 40000, "TCP_KEEPIDLE");
    setint(t4, IPPROTO_TCP, TCP_KEEPINTVL, 10, "TCP_KEEPINTVL");
    setint(t4, IPPROTO_TCP, TCP_KEEPCNT, 3, "TCP_KEEPCNT");
    setint(t4, IPPROTO_TCP, TCP_KEEPCNT, 200, "TCP_KEEPCNT");
    setint(t4, IPPROTO_TCP, TCP_MAXSEG, 1000, "TCP_MAXSEG");
    setint(t4, IPPROTO_TCP, TCP_MAXSEG, 10, "TCP_MAXSEG");
    setint(t4, IPPROTO_TCP, TCP_SYNCNT, 3, "TCP_SYNCNT");
    setint(t4, IPPROTO_TCP, TCP_LINGER2, 30, "TCP_LINGER2");
    setint(t4, IPPROTO_TCP, TCP_DEFER_ACCEPT, 0, "TCP_DEFER_ACCEPT");
    setint(t4, IPPROTO_TCP, TCP_USER_TIMEOUT, 1000, "TCP_USER_TIMEOUT");
    setint(t6, IPPROTO_TCP, TCP_NODELAY, 1, "TCP_NODELAY (v6)");
    char cc[16] = {0};
    socklen_t len = sizeof cc;
    TRY(getsockopt(t4, IPPROTO_TCP, TCP_CONGESTION, cc, &len));
    say("congestion named %d\n", cc[0] != 0);   /* (the default is the host's sysctl) */
    TRY(setsockopt(t4, IPPROTO_TCP, TCP_CONGESTION, "nosuch", 6));
    TRY(setsockopt(u4, IPPROTO_TCP, TCP_NODELAY, &(int){1}, 4));
    TRY(setsockopt(un, IPPROTO_TCP, TCP_NODELAY, &(int){1}, 4));
    TRY(getsockopt(un, IPPROTO_TCP, TCP_NODELAY, cc, &len));

    say("-- ip level\n");
    setint(t4, IPPROTO_IP, IP_TOS, 0x10, "IP_TOS");
    setint(t4, IPPROTO_IP, IP_TTL, 10, "IP_TTL");
    setint(t4, IPPROTO_IP, IP_TTL, 0, "IP_TTL");
    setint(t4, IPPROTO_IP, IP_TTL, 256, "IP_TTL");
    setint(t4, IPPROTO_IP, IP_TTL, -1, "IP_TTL");
    setint(u4, IPPROTO_IP, IP_MULTICAST_TTL, 5, "IP_MULTICAST_TTL");
    setint(u4, IPPROTO_IP, IP_MULTICAST_LOOP, 0, "IP_MULTICAST_LOOP");
    setint(u4, IPPROTO_IP, IP_RECVERR, 1, "IP_RECVERR");
    setint(u4, IPPROTO_IP, IP_PKTINFO, 1, "IP_PKTINFO");
    setint(t6, IPPROTO_IP, IP_TTL, 33, "IP_TTL (v6 socket)");
    setint(t6, IPPROTO_IPV6, IPV6_TCLASS, 8, "IPV6_TCLASS");
    setint(u6, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, 7, "IPV6_MULTICAST_HOPS");
    setint(u6, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1, "IPV6_RECVPKTINFO");

    say("-- not sockets\n");
    int p[2];
    pipe(p);
    TRY(getsockopt(p[0], SOL_SOCKET, SO_TYPE, cc, &len));
    TRY(setsockopt(p[0], SOL_SOCKET, SO_KEEPALIVE, &(int){1}, 4));
    TRY(getsockopt(99, SOL_SOCKET, SO_TYPE, cc, &len));
    say("done\n");
    return 0;
}
