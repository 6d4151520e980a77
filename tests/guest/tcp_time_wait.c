/* TCP TIME_WAIT as Linux shows it from outside: the side that closes first keeps the connection's 4-tuple in
   FIN_WAIT2 (05) then TIME_WAIT (06) in /proc/net/tcp after both descriptors are closed; the passive side goes
   through CLOSE_WAIT to CLOSE.  While the TIME_WAIT entry lives, bind() to its port fails with EADDRINUSE
   unless both it and the closed socket set SO_REUSEADDR.  A RST (close with unread data) leaves none.  Ports
   are never printed (entries are shown as which side of the test they belong to). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdlib.h>
#include "net_util.h"

static struct sockaddr_in lo(int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

static int port_of(int fd)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &len);
    return ntohs(a.sin_port);
}

static int tcp_state(int fd)
{
    struct tcp_info info;
    socklen_t len = sizeof info;
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) < 0)
        return -errno;
    return info.tcpi_state;
}

/* The /proc/net/tcp entries of the connection between ports `server` and `client` (both ends), as "local-remote
   state", sorted.  An entry with only one of the two ports belongs to someone else: natively the host's other
   programs reuse ephemeral ports, and their TIME_WAIT entries would show here. */
static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void show_proc(const char *when, int server, int client)
{
    FILE *f = fopen("/proc/net/tcp", "r");
    char line[512], found[16][32], *sorted[16];
    int n = 0;
    fgets(line, sizeof line, f);
    while (fgets(line, sizeof line, f) && n < 16) {
        unsigned lport, rport, st;
        if (sscanf(line, "%*d: %*x:%x %*x:%x %x", &lport, &rport, &st) != 3)
            continue;
        const char *l = lport == (unsigned)server ? "server" : lport == (unsigned)client ? "client" : NULL;
        const char *r = rport == (unsigned)server ? "server" : rport == (unsigned)client ? "client" : NULL;
        if (l == NULL || r == NULL)
            continue;
        snprintf(found[n], sizeof found[n], "%s-%s %02X", l, r, st);
        sorted[n] = found[n];
        n++;
    }
    fclose(f);
    qsort(sorted, n, sizeof sorted[0], by_name);
    say("%s:", when);
    for (int i = 0; i < n; i++)
        say(" %s", sorted[i]);
    say(" (%d)\n", n);
}

static int listener(int port, int reuse)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof reuse);
    struct sockaddr_in a = lo(port);
    if (bind(s, (struct sockaddr *)&a, sizeof a) < 0 || listen(s, 8) < 0) {
        say("listener: %s\n", errname(errno));
        exit(1);
    }
    return s;
}

static void try_bind(const char *what, int port, int reuse)
{
    int b = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(b, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof reuse);
    struct sockaddr_in a = lo(port);
    int r = bind(b, (struct sockaddr *)&a, sizeof a);
    say("%-44s reuse %d: bind %s", what, reuse, r < 0 ? errname(errno) : "0");
    if (r == 0) {
        r = listen(b, 1);
        say(", listen %s", r < 0 ? errname(errno) : "0");
    }
    say("\n");
    close(b);
}

/* A connection to a new listener on an ephemeral port: *s listener, *c client, *a accepted. */
static void connection(int reuse, int *s, int *c, int *a)
{
    *s = listener(0, reuse);
    *c = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in to = lo(port_of(*s));
    if (connect(*c, (struct sockaddr *)&to, sizeof to) < 0 || (*a = accept(*s, NULL, NULL)) < 0) {
        say("connect: %s\n", errname(errno));
        exit(1);
    }
}

static void settle(void) { usleep(100 * 1000); }

int main(void)
{
    int s, c, a;
    char buf[16];
    signal(SIGPIPE, SIG_IGN);

    /* 1. The server closes first; its listener had SO_REUSEADDR. */
    connection(1, &s, &c, &a);
    int sp = port_of(s), cp = port_of(c);
    close(s);
    close(a);
    settle();
    say("client after server's close: state %d, read %zd\n", tcp_state(c), read(c, buf, sizeof buf));
    show_proc("server closed", sp, cp);
    close(c);
    settle();
    show_proc("both closed", sp, cp);
    try_bind("server port in TIME_WAIT (server reused)", sp, 0);
    try_bind("server port in TIME_WAIT (server reused)", sp, 1);
    try_bind("client port (passive side, closed)", cp, 0);

    /* 2. The client closes first; nobody set SO_REUSEADDR. */
    connection(0, &s, &c, &a);
    sp = port_of(s), cp = port_of(c);
    close(s);
    shutdown(c, SHUT_WR);
    settle();
    say("client after its shutdown: state %d; server reads %zd, state %d\n", tcp_state(c),
        read(a, buf, sizeof buf), tcp_state(a));
    show_proc("client shut down", sp, cp);
    close(a);
    settle();
    say("client after server's close: state %d, read %zd\n", tcp_state(c), read(c, buf, sizeof buf));
    show_proc("server closed", sp, cp);
    close(c);
    show_proc("both closed", sp, cp);
    try_bind("client port in TIME_WAIT", cp, 0);
    try_bind("client port in TIME_WAIT", cp, 1);
    try_bind("server port (passive side, closed)", sp, 0);

    /* 3. A reset instead of a FIN: the server closes with unread data. */
    connection(1, &s, &c, &a);
    sp = port_of(s), cp = port_of(c);
    close(s);
    write(c, "unread", 6);
    settle();
    close(a);
    settle();
    ssize_t n = read(c, buf, sizeof buf);
    say("client after the reset: read %zd %s\n", n, n < 0 ? errname(errno) : "");
    close(c);
    show_proc("reset, both closed", sp, cp);
    try_bind("server port after a reset", sp, 0);

    /* 4. An orphan in FIN_WAIT2 dies when data arrives for it (it answers with a reset). */
    connection(1, &s, &c, &a);
    sp = port_of(s), cp = port_of(c);
    close(s);
    close(a);
    settle();
    show_proc("server closed", sp, cp);
    TRY(write(c, "late", 4));
    settle();
    show_proc("after data for the orphan", sp, cp);
    errno = 0;
    TRY(write(c, "again", 5));
    TRY(write(c, "more", 4));
    close(c);
    show_proc("both closed", sp, cp);
    say("done\n");
    return 0;
}
