/* TCP urgent data (MSG_OOB) as Linux delivers it: the last byte of a MSG_OOB send is out of band; normal reads
   stop at the mark and then skip that byte (unless SO_OOBINLINE); SIOCATMARK says a read is at the mark;
   recv(MSG_OOB) takes it once (EINVAL when there is none, with SO_OOBINLINE or after it was read), never
   blocking; poll reports POLLPRI and select an exception while it is unread; a newer urgent byte turns the
   older one into normal data; the F_SETOWN owner gets SIGURG. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include "net_util.h"

static volatile int sigurgs;
static void on_urg(int s) { (void)s; sigurgs++; }

static void connection(int *c, int *a)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in lo = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof lo;
    bind(s, (struct sockaddr *)&lo, sizeof lo);
    listen(s, 1);
    getsockname(s, (struct sockaddr *)&lo, &len);
    *c = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(*c, (struct sockaddr *)&lo, sizeof lo) < 0 || (*a = accept(s, NULL, NULL)) < 0) {
        say("connect: %s\n", errname(errno));
        exit(1);
    }
    close(s);
}

static void settle(void) { usleep(50 * 1000); }

static int events(int fd)
{
    struct pollfd p = {fd, POLLIN | POLLPRI, 0};
    poll(&p, 1, 0);
    return p.revents;
}

static int atmark(int fd)
{
    int v = -1;
    if (ioctl(fd, SIOCATMARK, &v) < 0)
        return -errno;
    return v;
}

static int inq(int fd)
{
    int v = -1;
    if (ioctl(fd, FIONREAD, &v) < 0)
        return -errno;
    return v;
}

static void state(int fd, const char *when)
{
    fd_set ex;
    FD_ZERO(&ex);
    FD_SET(fd, &ex);
    struct timeval zero = {0, 0};
    int sel = select(fd + 1, NULL, NULL, &ex, &zero);
    say("%-28s poll %#x atmark %d inq %d select-except %d\n", when, events(fd), atmark(fd),
        inq(fd), sel);
}

static void oob(int fd, int flags, const char *what)
{
    char buf[8] = {0};
    struct iovec iov = {buf, sizeof buf};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
    ssize_t n = recvmsg(fd, &msg, MSG_OOB | flags);
    say("%s: %zd %s '%.*s' flags%s%s\n", what, n, n < 0 ? errname(errno) : "", n > 0 ? (int)n : 0, buf,
        msg.msg_flags & MSG_OOB ? " MSG_OOB" : "", msg.msg_flags & MSG_TRUNC ? " MSG_TRUNC" : "");
}

int main(void)
{
    int c, a, one = 1;
    connection(&c, &a);
    state(a, "nothing sent");
    oob(a, 0, "oob with none");
    oob(a, MSG_DONTWAIT, "oob dontwait with none");

    TRY(send(c, "abc", 3, MSG_OOB));
    settle();
    state(a, "after 'abc' with MSG_OOB");
    recvshow(a, 10, 0, "read stops at the mark");
    state(a, "at the mark");
    oob(a, MSG_PEEK, "oob peek");
    oob(a, 0, "oob");
    oob(a, 0, "oob again");
    state(a, "urgent byte taken");
    recvshow(a, 10, MSG_DONTWAIT, "read past the mark");
    state(a, "all read");

    TRY(send(c, "xyz", 3, MSG_OOB));
    TRY(send(c, "123", 3, 0));
    settle();
    state(a, "after 'xyz' oob + '123'");
    recvshow(a, 10, 0, "read");
    oob(a, 0, "oob");
    recvshow(a, 10, 0, "read");

    TRY(send(c, "pq", 2, MSG_OOB));
    TRY(send(c, "rs", 2, 0));
    settle();
    recvshow(a, 10, 0, "read");
    recvshow(a, 10, 0, "read without taking the urgent byte");
    oob(a, 0, "oob after reading past it");

    TRY(send(c, "A1", 2, MSG_OOB));
    TRY(send(c, "B2", 2, MSG_OOB));
    settle();
    state(a, "two urgent sends");
    oob(a, 0, "oob");
    recvshow(a, 10, 0, "read");
    recvshow(a, 10, MSG_DONTWAIT, "read");

    TRY(send(c, "uv", 2, MSG_OOB));
    settle();
    char one_byte;
    struct iovec iov = {&one_byte, 0};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
    ssize_t n = recvmsg(a, &msg, MSG_OOB);
    say("oob into 0 bytes: %zd flags%s%s\n", n, msg.msg_flags & MSG_OOB ? " MSG_OOB" : "",
        msg.msg_flags & MSG_TRUNC ? " MSG_TRUNC" : "");
    recvshow(a, 10, 0, "read");

    TRY(setsockopt(a, SOL_SOCKET, SO_OOBINLINE, &one, sizeof one));
    TRY(send(c, "in", 2, MSG_OOB));
    TRY(send(c, "line", 4, 0));
    settle();
    state(a, "inline");
    oob(a, 0, "oob inline");
    recvshow(a, 10, 0, "read inline");
    state(a, "inline at the mark");
    recvshow(a, 10, 0, "read inline");
    one = 0;
    TRY(setsockopt(a, SOL_SOCKET, SO_OOBINLINE, &one, sizeof one));

    signal(SIGURG, on_urg);
    TRY(send(c, "no owner", 8, MSG_OOB));
    settle();
    say("SIGURG without an owner: %d\n", sigurgs);
    recvshow(a, 10, 0, "read");
    oob(a, 0, "oob");
    TRY(fcntl(a, F_SETOWN, getpid()));
    TRY(send(c, "owner", 5, MSG_OOB));
    settle();
    say("SIGURG to the owner: %d\n", sigurgs);
    TRY(send(c, "!", 1, MSG_OOB));
    settle();
    say("SIGURG again: %d\n", sigurgs);
    recvshow(a, 10, 0, "read");
    oob(a, 0, "oob");

    /* the other end, and other sockets */
    TRY(send(a, "back", 4, MSG_OOB));
    settle();
    recvshow(c, 10, 0, "client read");
    oob(c, 0, "client oob");
    int l = socket(AF_INET, SOCK_STREAM, 0);
    TRY(listen(l, 1));
    TRY(send(l, "x", 1, MSG_OOB | MSG_NOSIGNAL));
    oob(l, 0, "listener oob");
    int u = socket(AF_INET, SOCK_STREAM, 0);
    TRY(send(u, "x", 1, MSG_OOB | MSG_NOSIGNAL));
    oob(u, 0, "unconnected oob");
    int d = socket(AF_INET, SOCK_DGRAM, 0);
    TRY(sendto(d, "x", 1, MSG_OOB, NULL, 0));
    oob(d, MSG_DONTWAIT, "udp oob");
    TRY(ioctl(d, SIOCATMARK, &one));
    close(c);
    settle();
    oob(a, 0, "oob after the peer closed");
    say("done\n");
    return 0;
}
