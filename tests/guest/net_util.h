/* Helpers of the socket tests: TRY() prints a call and its result (errno by name), pmask() the poll events of a
 * descriptor now, say() one whole line per write. */
#pragma once
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "errname.h"
#include "say.h"

#define TRY(expr) do { long r_ = (long)(expr); say("%-60s = %ld %s\n", #expr, r_ < 0 ? -1L : r_ > 0 ? 1L : 0L, r_ < 0 ? errname(errno) : ""); } while (0)
#define TRYV(expr) do { long r_ = (long)(expr); say("%-60s = %ld %s\n", #expr, r_, r_ < 0 ? errname(errno) : ""); } while (0)

__attribute__((unused)) static int pmask(int fd)
{
    struct pollfd p = {fd, POLLIN | POLLOUT | POLLRDHUP, 0};
    poll(&p, 1, 0);
    return p.revents;
}

__attribute__((unused)) static int intopt(int fd, int level, int name)
{
    int v = -12345;
    socklen_t len = sizeof v;
    if (getsockopt(fd, level, name, &v, &len) < 0)
        return -errno;
    return v;
}

__attribute__((unused)) static void recvshow(int fd, size_t len, int flags, const char *what)
{
    char buf[256] = {0};
    ssize_t n = recv(fd, buf, len < sizeof buf ? len : sizeof buf, flags);
    say("%s: %zd %s '%.*s'\n", what, n, n < 0 ? errname(errno) : "", n > 0 ? (int)(n < (ssize_t)len ? n : (ssize_t)len) : 0, buf);
}
