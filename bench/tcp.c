/* tcp: loopback TCP latency and bandwidth (lmbench lat_tcp / bw_tcp).
 *
 * usage: tcp [ROUND_TRIPS] [MIB]   (defaults 5000 and 64)
 * RESULT tcp_lat <us per round trip> us/op   two processes, one connection over 127.0.0.1, a byte there and back
 * RESULT tcp_bw <MB/s> MB/s                  64 KiB writes from a child to its parent over one connection
 *
 * Like pipe_lat and pipe_bw (same checks: every answered byte is b+1, every chunk carries its index at both
 * ends, the byte count is exact), so the two tables compare the socket path with the pipe path.  TCP_NODELAY is
 * set as lat_tcp does.
 */
#include "bench.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/wait.h>

#define CHUNK (64 * 1024)
#define MAGIC 0x5443504257424242ULL    /* the chunks' stamps: index xor this */

/* A connected pair over 127.0.0.1: *srv is the accepted end, *cli the connecting one. */
static void tcp_pair(int *srv, int *cli)
{
    int l = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) || listen(l, 1) || getsockname(l, (struct sockaddr *)&a, &len))
        die("listen");
    *cli = socket(AF_INET, SOCK_STREAM, 0);
    if (*cli < 0 || connect(*cli, (struct sockaddr *)&a, sizeof a))
        die("connect");
    *srv = accept(l, NULL, NULL);
    if (*srv < 0)
        die("accept");
    close(l);
    setsockopt(*srv, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(*cli, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static void round_trip(int fd, long i)
{
    unsigned char b = (unsigned char)i, r;
    if (write(fd, &b, 1) != 1)
        die("write");
    ssize_t got = read(fd, &r, 1);
    if (got != 1) {
        if (got == 0)
            fail("peer closed the connection at round trip %ld", i);
        die("read");
    }
    if (r != (unsigned char)(b + 1))
        fail("round trip %ld: sent %u, got %u back", i, b, r);
}


static void wait_child(pid_t pid)
{
    int st;
    if (waitpid(pid, &st, 0) != pid)
        die("waitpid");
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        fail("child ended with status 0x%x", st);
}

int main(int argc, char **argv)
{
    long n = arg_long(argc, argv, 1, 5000), mib = arg_long(argc, argv, 2, 64);
    int srv, cli;

    /* 1. Latency: the child echoes b+1. */
    tcp_pair(&srv, &cli);
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        close(cli);
        unsigned char b;
        for (;;) {
            ssize_t r = read(srv, &b, 1);
            if (r == 0)
                _exit(0);
            if (r != 1)
                die("child read");
            b = (unsigned char)(b + 1);
            if (write(srv, &b, 1) != 1)
                die("child write");
        }
    }
    close(srv);
    for (long i = 0; i < 200; i++)
        round_trip(cli, i);
    double t0 = now_us();
    for (long i = 0; i < n; i++)
        round_trip(cli, i);
    double t1 = now_us();
    close(cli);
    wait_child(pid);
    result("tcp_lat", (t1 - t0) / n, "us/op");

    /* 2. Bandwidth: the child writes 64 KiB chunks. */
    long chunks = mib * MIB / CHUNK;
    if (chunks < 2)
        fail("need at least 2 chunks");
    unsigned char *buf = malloc(CHUNK);
    if (!buf)
        die("malloc");
    tcp_pair(&srv, &cli);
    pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        close(srv);
        for (long i = 0; i < CHUNK; i++)
            buf[i] = (unsigned char)(i * 31 + 7);
        for (long c = 0; c < chunks; c++) {
            stamp_chunk(buf, CHUNK, (uint64_t)c, MAGIC);
            write_chunk(cli, buf, CHUNK);
        }
        _exit(0);
    }
    close(cli);
    long c = 0;
    t0 = 0;
    while (read_chunk(srv, buf, CHUNK)) {
        if (c == 0)
            t0 = now_us();
        check_chunk_stamps(buf, CHUNK, c, MAGIC);
        if (buf[8] != (unsigned char)(8 * 31 + 7))
            fail("chunk %ld has wrong contents", c);
        c++;
    }
    t1 = now_us();
    if (c != chunks)
        fail("received %ld chunks, expected %ld", c, chunks);
    wait_child(pid);
    result("tcp_bw", mb_per_s((double)(chunks - 1) * CHUNK, t1 - t0), "MB/s");
    return 0;
}
