/* AF_INET6 over ::1 and the dual stack: sockaddr_in6 lengths, in6addr_any listeners reached by IPv4 clients
   (v4-mapped peers), IPV6_V6ONLY and how it changes port conflicts, v6 sockets talking to v4 sockets through
   ::ffff:127.0.0.1, UDP across families, IPv6 options, and the errors. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include "net_util.h"

static struct sockaddr_in6 sin6(const char *ip, int port)
{
    struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
    inet_pton(AF_INET6, ip, &a.sin6_addr);
    return a;
}

static struct sockaddr_in sin4(const char *ip, int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, ip, &a.sin_addr);
    return a;
}

static int port_of(int fd)
{
    struct sockaddr_storage a;
    socklen_t len = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &len);
    return ntohs(((struct sockaddr_in *)&a)->sin_port);
}

static void addr(int fd, int peer, const char *what)
{
    struct sockaddr_storage a;
    socklen_t len = sizeof a;
    memset(&a, 0, sizeof a);
    if ((peer ? getpeername : getsockname)(fd, (struct sockaddr *)&a, &len) < 0) {
        say("%s: %s\n", what, errname(errno));
        return;
    }
    char ip[64] = "?";
    if (a.ss_family == AF_INET6) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&a;
        inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof ip);
        say("%s: len %d inet6 %s flow %u scope %u\n", what, (int)len, ip, s6->sin6_flowinfo, s6->sin6_scope_id);
    } else {
        inet_ntop(AF_INET, &((struct sockaddr_in *)&a)->sin_addr, ip, sizeof ip);
        say("%s: len %d inet %s\n", what, (int)len, ip);
    }
}

static int v6listener(const char *ip, int v6only)
{
    int s = socket(AF_INET6, SOCK_STREAM, 0);
    setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only);
    struct sockaddr_in6 a = sin6(ip, 0);
    if (bind(s, (struct sockaddr *)&a, sizeof a) < 0 || listen(s, 4) < 0)
        say("listener %s\n", errname(errno));
    return s;
}

int main(void)
{
    int s = socket(AF_INET6, SOCK_STREAM, 0);
    say("domain %d v6only %d hops %d mhops %d tclass %d ttl %d\n", intopt(s, SOL_SOCKET, SO_DOMAIN),
        intopt(s, IPPROTO_IPV6, IPV6_V6ONLY), intopt(s, IPPROTO_IPV6, IPV6_UNICAST_HOPS),
        intopt(s, IPPROTO_IPV6, IPV6_MULTICAST_HOPS), intopt(s, IPPROTO_IPV6, IPV6_TCLASS),
        intopt(s, IPPROTO_IP, IP_TTL));
    addr(s, 0, "fresh");
    int v = 200;
    TRY(setsockopt(s, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &v, sizeof v));
    v = 300;
    TRY(setsockopt(s, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &v, sizeof v));
    v = -1;
    TRY(setsockopt(s, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &v, sizeof v));
    say("hops %d\n", intopt(s, IPPROTO_IPV6, IPV6_UNICAST_HOPS));
    int n;
    TRY(setsockopt(s, 999, 1, &n, 4));
    TRY(getsockopt(s, IPPROTO_IPV6, 9999, &n, &(socklen_t){4}));
    struct sockaddr_in6 bad = sin6("2001:db8::1", 0);
    TRY(bind(s, (struct sockaddr *)&bad, sizeof bad));
    bad = sin6("::1", 0);
    TRY(bind(s, (struct sockaddr *)&bad, 20));
    bad.sin6_family = AF_INET;
    TRY(bind(s, (struct sockaddr *)&bad, sizeof bad));
    close(s);

    /* ::1 */
    int l = v6listener("::1", 0);
    addr(l, 0, "listener ::1");
    int c = socket(AF_INET6, SOCK_STREAM, 0);
    struct sockaddr_in6 to = sin6("::1", port_of(l));
    TRY(connect(c, (struct sockaddr *)&to, sizeof to));
    addr(c, 0, "client");
    addr(c, 1, "client's peer");
    struct sockaddr_in6 pa;
    socklen_t plen = sizeof pa;
    int k = accept(l, (struct sockaddr *)&pa, &plen);
    say("accept addrlen %d\n", (int)plen);
    TRY(send(c, "six", 3, 0));
    recvshow(k, 64, 0, "over ::1");
    close(k);
    close(c);
    struct sockaddr_in v4 = sin4("127.0.0.1", port_of(l));
    c = socket(AF_INET, SOCK_STREAM, 0);
    TRY(connect(c, (struct sockaddr *)&v4, sizeof v4));
    close(c);
    close(l);

    /* in6addr_any without V6ONLY: IPv4 clients arrive v4-mapped */
    l = v6listener("::", 0);
    int p = port_of(l);
    v4 = sin4("127.0.0.1", p);
    c = socket(AF_INET, SOCK_STREAM, 0);
    TRY(connect(c, (struct sockaddr *)&v4, sizeof v4));
    k = accept(l, NULL, NULL);
    addr(k, 0, "dual accepted");
    addr(k, 1, "dual accepted's peer");
    addr(c, 1, "v4 client's peer");
    close(k);
    close(c);
    int o = socket(AF_INET, SOCK_STREAM, 0);
    v4 = sin4("0.0.0.0", p);
    TRY(bind(o, (struct sockaddr *)&v4, sizeof v4));
    v4 = sin4("127.0.0.1", p);
    TRY(bind(o, (struct sockaddr *)&v4, sizeof v4));
    close(o);
    close(l);

    /* V6ONLY: IPv4 is refused, and the same port is free for an IPv4 socket */
    l = v6listener("::", 1);
    p = port_of(l);
    v4 = sin4("127.0.0.1", p);
    c = socket(AF_INET, SOCK_STREAM, 0);
    TRY(connect(c, (struct sockaddr *)&v4, sizeof v4));
    close(c);
    o = socket(AF_INET, SOCK_STREAM, 0);
    v4 = sin4("0.0.0.0", p);
    TRY(bind(o, (struct sockaddr *)&v4, sizeof v4));
    v = 0;
    TRY(setsockopt(l, IPPROTO_IPV6, IPV6_V6ONLY, &v, sizeof v));
    say("v6only %d\n", intopt(l, IPPROTO_IPV6, IPV6_V6ONLY));
    TRY(listen(o, 1));
    c = socket(AF_INET6, SOCK_STREAM, 0);
    v = 1;
    TRY(setsockopt(c, IPPROTO_IPV6, IPV6_V6ONLY, &v, sizeof v));
    struct sockaddr_in6 mapped = sin6("::ffff:127.0.0.1", p);
    TRY(connect(c, (struct sockaddr *)&mapped, sizeof mapped));
    TRY(bind(c, (struct sockaddr *)&mapped, sizeof mapped));
    close(c);

    /* a v6 socket reaching an IPv4 listener through ::ffff:127.0.0.1 */
    c = socket(AF_INET6, SOCK_STREAM, 0);
    TRY(connect(c, (struct sockaddr *)&mapped, sizeof mapped));
    addr(c, 0, "mapped client");
    addr(c, 1, "mapped client's peer");
    k = accept(o, NULL, NULL);
    addr(k, 1, "v4 server's peer");
    TRY(send(k, "to v6", 5, 0));
    recvshow(c, 64, 0, "mapped");
    close(k);
    close(c);
    close(o);
    close(l);

    /* UDP across families */
    int u6 = socket(AF_INET6, SOCK_DGRAM, 0), u4 = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in6 any6 = sin6("::", 0);
    TRY(bind(u6, (struct sockaddr *)&any6, sizeof any6));
    struct sockaddr_in6 d6 = sin6("::1", port_of(u6));
    int u6b = socket(AF_INET6, SOCK_DGRAM, 0);
    TRY(sendto(u6b, "v6 dgram", 8, 0, (struct sockaddr *)&d6, sizeof d6));
    char buf[64];
    struct sockaddr_storage from;
    socklen_t flen = sizeof from;
    n = recvfrom(u6, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen);
    char ip[64];
    inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&from)->sin6_addr, ip, sizeof ip);
    say("u6 got %d from len %d %s\n", n, (int)flen, ip);
    struct sockaddr_in d4 = sin4("127.0.0.1", port_of(u6));
    TRY(sendto(u4, "v4 dgram", 8, 0, (struct sockaddr *)&d4, sizeof d4));
    flen = sizeof from;
    n = recvfrom(u6, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen);
    inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&from)->sin6_addr, ip, sizeof ip);
    say("u6 got %d from len %d %s\n", n, (int)flen, ip);
    struct sockaddr_in back = sin4("127.0.0.1", 0);
    TRY(bind(u4, (struct sockaddr *)&back, sizeof back));
    back.sin_port = htons(port_of(u4));
    TRY(sendto(u6, "reply", 5, 0, (struct sockaddr *)&back, sizeof back));
    flen = sizeof from;
    n = recvfrom(u4, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen);
    inet_ntop(AF_INET, &((struct sockaddr_in *)&from)->sin_addr, ip, sizeof ip);
    say("u4 got %d from len %d family %d %s\n", n, (int)flen, from.ss_family, ip);
    say("done\n");
    return 0;
}
