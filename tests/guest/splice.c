/* splice(2), tee(2), vmsplice(2): file -> pipe -> file with and without offsets, pipe -> pipe, sockets, tee
   without consuming, vmsplice both ways, the errno cases of fs/splice.c, blocking until the other end acts,
   EOF, and the buffers a splice makes (they never merge with a later write).  Output through write(2) only. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include "fs_util.h"

static char page[4096 * 4] __attribute__((aligned(4096)));

static void make_pattern(const char *name, int size)
{
    int fd = open(name, O_CREAT | O_TRUNC | O_WRONLY, 0644);
    for (int i = 0; i < size; i++) {
        char c = 'a' + (i * 7 + i / 26) % 26;
        write(fd, &c, 1);
    }
    close(fd);
}

static long file_offset(int fd) { return (long)lseek(fd, 0, SEEK_CUR); }

static int queued(int fd)
{
    int n = -1;
    ioctl(fd, FIONREAD, &n);
    return n;
}

/* "label: n [bytes]" of reading up to `max` bytes from fd */
static void drain(const char *label, int fd, int max)
{
    char buf[256];
    int n = read(fd, buf, max < (int)sizeof buf ? max : (int)sizeof buf);
    if (n < 0)
        say("%s: %s\n", label, errname(errno));
    else
        say("%s: %d [%.*s]\n", label, n, n, buf);
}

static unsigned sum_file(const char *name, long *size)
{
    unsigned h = 0;
    char buf[4096];
    int fd = open(name, O_RDONLY), n;
    *size = 0;
    while ((n = read(fd, buf, sizeof buf)) > 0) {
        for (int i = 0; i < n; i++)
            h = h * 31 + (unsigned char)buf[i];
        *size += n;
    }
    close(fd);
    return h;
}

static void file_pipe_file(void)
{
    say("--- file -> pipe -> file\n");
    make_pattern("in", 10000);
    int in = open("in", O_RDONLY), out = open("out", O_CREAT | O_TRUNC | O_RDWR, 0644), p[2];
    pipe(p);
    loff_t off = 100;
    TRY("splice in@100 -> pipe 5000", splice(in, &off, p[1], NULL, 5000, 0));
    say("off_in now %lld, file offset %ld, queued %d\n", (long long)off, file_offset(in), queued(p[0]));
    TRY("splice pipe -> out 3000", splice(p[0], NULL, out, NULL, 3000, 0));
    say("out offset %ld, queued %d\n", file_offset(out), queued(p[0]));
    loff_t oo = 20000;
    TRY("splice pipe -> out@20000 9999", splice(p[0], NULL, out, &oo, 9999, 0));
    say("off_out now %lld, out offset %ld, queued %d\n", (long long)oo, file_offset(out), queued(p[0]));
    TRY("splice in (offset) -> pipe 10", splice(in, NULL, p[1], NULL, 10, 0));
    say("in offset %ld\n", file_offset(in));
    drain("pipe", p[0], 100);
    off = 9990;
    TRY("splice in@9990 -> pipe 100", splice(in, &off, p[1], NULL, 100, 0));
    say("off_in now %lld\n", (long long)off);
    drain("pipe", p[0], 100);
    TRY("splice at EOF", splice(in, &off, p[1], NULL, 100, 0));
    say("off_in still %lld\n", (long long)off);
    char buf[16] = {0};
    pread(out, buf, 10, 0);
    say("out[0..10] = [%s]\n", buf);
    pread(out, buf, 10, 20000);
    say("out[20000..10] = [%s]\n", buf);
    struct stat s;
    fstat(out, &s);
    say("out size %lld\n", (long long)s.st_size);
    close(in);
    close(out);
    close(p[0]);
    close(p[1]);
}

static void big_copy(void)
{
    say("--- 300000 bytes through a pipe\n");
    make_pattern("big", 300000);
    int in = open("big", O_RDONLY), out = open("big2", O_CREAT | O_TRUNC | O_WRONLY, 0644), p[2];
    pipe(p);
    long total = 0, calls = 0, n;
    while ((n = splice(in, NULL, p[1], NULL, 1 << 20, 0)) > 0) {
        while (n > 0) {
            long m = splice(p[0], NULL, out, NULL, n, 0);
            if (m <= 0) {
                say("splice out: %s\n", errname(errno));
                return;
            }
            n -= m;
            total += m;
        }
        calls++;
    }
    say("last splice %ld, moved %ld, at most 64 KiB a call: %s\n", n, total, calls >= 5 ? "yes" : "no");
    close(in);
    close(out);
    long s1, s2;
    unsigned h1 = sum_file("big", &s1), h2 = sum_file("big2", &s2);
    say("copy %s (%ld bytes)\n", h1 == h2 && s1 == s2 ? "identical" : "differs", s2);
    close(p[0]);
    close(p[1]);
}

static void pipe_pipe(void)
{
    say("--- pipe -> pipe\n");
    int a[2], b[2];
    pipe(a);
    pipe(b);
    write(a[1], "hello world", 11);
    TRY("splice a -> b 5", splice(a[0], NULL, b[1], NULL, 5, 0));
    drain("b", b[0], 100);
    TRY("splice a -> b 100", splice(a[0], NULL, b[1], NULL, 100, 0));
    drain("b", b[0], 100);
    TRY("empty, NONBLOCK", splice(a[0], NULL, b[1], NULL, 5, SPLICE_F_NONBLOCK));
    fcntl(a[0], F_SETFL, O_NONBLOCK);
    TRY("empty, O_NONBLOCK input", splice(a[0], NULL, b[1], NULL, 5, 0));
    fcntl(a[0], F_SETFL, 0);
    /* fill b, then a full output */
    fcntl(b[1], F_SETFL, O_NONBLOCK);
    long filled = 0, n;
    while ((n = write(b[1], page, sizeof page)) > 0)
        filled += n;
    say("b holds %ld\n", filled);
    write(a[1], "x", 1);
    TRY("full output (O_NONBLOCK)", splice(a[0], NULL, b[1], NULL, 5, 0));
    fcntl(b[1], F_SETFL, 0);
    TRY("full output, NONBLOCK", splice(a[0], NULL, b[1], NULL, 5, SPLICE_F_NONBLOCK));
    /* a reader frees room after a while: the blocked splice then moves the byte */
    pid_t pid = fork();
    if (pid == 0) {
        usleep(100000);
        char big[70000];
        read(b[0], big, sizeof big);
        _exit(0);
    }
    TRY("splice into full pipe, blocking", splice(a[0], NULL, b[1], NULL, 5, 0));
    waitpid(pid, NULL, 0);
    /* empty input until a writer writes */
    pid = fork();
    if (pid == 0) {
        usleep(100000);
        write(a[1], "late", 4);
        _exit(0);
    }
    close(b[0]);
    pipe(b);
    TRY("splice from empty pipe, blocking", splice(a[0], NULL, b[1], NULL, 100, 0));
    waitpid(pid, NULL, 0);
    drain("b", b[0], 100);
    close(b[0]);
    write(a[1], "y", 1);
    TRY("no reader on output", splice(a[0], NULL, b[1], NULL, 5, 0));
    close(a[1]);
    TRY("input with no writer, data left", splice(a[0], NULL, b[1], NULL, 5, 0));
    drain("a", a[0], 10);
    int c[2];
    pipe(c);
    TRY("input at EOF", splice(a[0], NULL, c[1], NULL, 5, 0));
    close(a[0]);
    close(b[1]);
    close(c[0]);
    close(c[1]);
}

static void sockets(void)
{
    say("--- pipe <-> socket\n");
    int sv[2], p[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    pipe(p);
    write(p[1], "to the socket", 13);
    TRY("splice pipe -> socket", splice(p[0], NULL, sv[0], NULL, 100, 0));
    drain("socket", sv[1], 100);
    write(sv[1], "from the socket", 15);
    TRY("splice socket -> pipe", splice(sv[0], NULL, p[1], NULL, 100, 0));
    drain("pipe", p[0], 100);
    loff_t off = 0;
    TRY("socket with off_in", splice(sv[0], &off, p[1], NULL, 100, 0));
    TRY("empty socket, NONBLOCK", splice(sv[0], NULL, p[1], NULL, 100, SPLICE_F_NONBLOCK));
    pid_t pid = fork();
    if (pid == 0) {
        usleep(100000);
        write(sv[1], "later", 5);
        _exit(0);
    }
    TRY("empty socket, blocking", splice(sv[0], NULL, p[1], NULL, 100, 0));
    waitpid(pid, NULL, 0);
    drain("pipe", p[0], 100);
    close(sv[1]);
    TRY("socket at EOF", splice(sv[0], NULL, p[1], NULL, 100, 0));
    close(sv[0]);
    close(sv[1]);
    close(p[0]);
    close(p[1]);
}

static void on_alarm(int sig) { (void)sig; }

static void interrupted(void)
{
    say("--- a signal handler interrupts a blocked splice\n");
    int a[2], b[2];
    pipe(a);
    pipe(b);
    struct sigaction sa = {0};
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval t = {{0, 0}, {0, 100000}};
    setitimer(ITIMER_REAL, &t, NULL);
    TRY("splice from an empty pipe", splice(a[0], NULL, b[1], NULL, 10, 0));
    setitimer(ITIMER_REAL, &t, NULL);
    TRY("tee from an empty pipe", tee(a[0], b[1], 10, 0));
    setitimer(ITIMER_REAL, &t, NULL);
    char buf[4];
    struct iovec in = {buf, 4};
    TRY("vmsplice from an empty pipe", vmsplice(a[0], &in, 1, 0));
    /* under SA_RESTART the splice is restarted and moves the data once, when it comes */
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    int out = open("restarted", O_CREAT | O_TRUNC | O_WRONLY, 0644);
    pid_t pid = fork();
    if (pid == 0) {
        usleep(200000);
        write(a[1], "once", 4);
        _exit(0);
    }
    setitimer(ITIMER_REAL, &t, NULL);
    TRY("SA_RESTART: splice pipe -> file", splice(a[0], NULL, out, NULL, 100, 0));
    waitpid(pid, NULL, 0);
    say("file offset %ld\n", file_offset(out));
    close(out);
    close(a[0]);
    close(a[1]);
    close(b[0]);
    close(b[1]);
}

static void devices(void)
{
    say("--- devices and directories\n");
    int p[2], z = open("/dev/zero", O_RDONLY), nul = open("/dev/null", O_WRONLY), d = open(".", O_RDONLY);
    pipe(p);
    TRY("/dev/zero -> pipe 1000", splice(z, NULL, p[1], NULL, 1000, 0));
    TRY("pipe -> /dev/null", splice(p[0], NULL, nul, NULL, 5000, 0));
    say("queued %d\n", queued(p[0]));
    TRY("directory -> pipe", splice(d, NULL, p[1], NULL, 10, 0));
    close(z);
    close(nul);
    close(d);
    close(p[0]);
    close(p[1]);
}

static void events(void)
{
    say("--- inotify sees splice as read and write\n");
    int fd = inotify_init1(IN_NONBLOCK), p[2];
    pipe(p);
    inotify_add_watch(fd, "in", IN_ACCESS | IN_MODIFY);
    inotify_add_watch(fd, "out", IN_ACCESS | IN_MODIFY);
    int in = open("in", O_RDONLY), out = open("out", O_WRONLY);
    splice(in, NULL, p[1], NULL, 10, 0);
    splice(p[0], NULL, out, NULL, 10, 0);
    char buf[4096];
    int n = read(fd, buf, sizeof buf);
    for (char *e = buf; n > 0 && e < buf + n; e += sizeof(struct inotify_event) + ((struct inotify_event *)e)->len) {
        uint32_t mask = ((struct inotify_event *)e)->mask;
        say("event %s\n", mask & IN_ACCESS ? "IN_ACCESS" : mask & IN_MODIFY ? "IN_MODIFY" : "other");
    }
    close(fd);
    close(in);
    close(out);
    close(p[0]);
    close(p[1]);
}

static void errors(void)
{
    say("--- errors\n");
    int p[2], q[2];
    pipe(p);
    pipe(q);
    int rd = open("in", O_RDONLY), wr = open("out", O_WRONLY), ap = open("out", O_WRONLY | O_APPEND);
    loff_t off = 0, neg = -1;
    TRY("file -> file", splice(rd, NULL, wr, NULL, 10, 0));
    TRY("same pipe", splice(p[0], NULL, p[1], NULL, 10, 0));
    TRY("off_in on a pipe", splice(p[0], &off, wr, NULL, 10, 0));
    TRY("off_out on a pipe", splice(rd, NULL, p[1], &off, 10, 0));
    TRY("pipe -> pipe with offset", splice(p[0], NULL, q[1], &off, 10, 0));
    TRY("input not readable", splice(wr, NULL, p[1], NULL, 10, 0));
    TRY("output not writable", splice(p[0], NULL, rd, NULL, 10, 0));
    TRY("output is a read end", splice(rd, NULL, p[0], NULL, 10, 0));
    TRY("O_APPEND output", splice(p[0], NULL, ap, NULL, 10, 0));
    TRY("negative off_in", splice(rd, &neg, p[1], NULL, 10, 0));
    TRY("negative off_out", splice(p[0], NULL, wr, &neg, 10, 0));
    TRY("len 0", splice(p[0], NULL, p[1], NULL, 0, 0));
    TRY("bad fd in", splice(99, NULL, p[1], NULL, 10, 0));
    TRY("bad fd out", splice(rd, NULL, 99, NULL, 10, 0));
    TRY("unknown flag", splice(rd, NULL, p[1], NULL, 10, 0x10));
    TRY("bad off_in pointer", splice(rd, (loff_t *)8, p[1], NULL, 10, 0));
    TRY("off_in on a pipe, bad pointer", splice(p[0], (loff_t *)8, wr, NULL, 10, 0));
    close(rd);
    close(wr);
    close(ap);
    close(p[0]);
    close(p[1]);
    close(q[0]);
    close(q[1]);
}

static void tee_test(void)
{
    say("--- tee\n");
    int a[2], b[2], c[2];
    pipe(a);
    pipe(b);
    pipe(c);
    write(a[1], "tee data", 8);
    write(a[1], page, 5000);
    TRY("tee a -> b 3", tee(a[0], b[1], 3, 0));
    TRY("tee a -> c all", tee(a[0], c[1], 100000, 0));
    say("queued a %d b %d c %d\n", queued(a[0]), queued(b[0]), queued(c[0]));
    drain("b", b[0], 100);
    drain("c", c[0], 8);
    drain("a", a[0], 8);
    int rd = open("in", O_RDONLY);
    TRY("tee from a file", tee(rd, b[1], 10, 0));
    TRY("tee to the same pipe", tee(a[0], a[1], 10, 0));
    TRY("tee from a write end", tee(a[1], b[1], 10, 0));
    TRY("tee len 0", tee(a[0], b[1], 0, 0));
    TRY("tee unknown flag", tee(a[0], b[1], 10, 0x20));
    read(a[0], page, 5000);
    TRY("tee empty, NONBLOCK", tee(a[0], b[1], 10, SPLICE_F_NONBLOCK));
    close(a[1]);
    TRY("tee empty, no writer", tee(a[0], b[1], 10, 0));
    close(b[0]);
    pipe(a);
    write(a[1], "z", 1);
    TRY("tee, no reader", tee(a[0], b[1], 10, 0));
    close(rd);
    close(a[0]);
    close(a[1]);
    close(b[1]);
    close(c[0]);
    close(c[1]);
}

static void vmsplice_test(void)
{
    say("--- vmsplice\n");
    int p[2];
    pipe(p);
    struct iovec iov[3] = {{"abc", 3}, {NULL, 0}, {"defgh", 5}};
    TRY("vmsplice 3 segments", vmsplice(p[1], iov, 3, 0));
    drain("pipe", p[0], 100);
    write(p[1], "xyz12", 5);
    char buf[8] = {0};
    struct iovec in = {buf, 3};
    TRY("vmsplice from the read end", vmsplice(p[0], &in, 1, 0));
    say("got [%s], queued %d\n", buf, queued(p[0]));
    drain("pipe", p[0], 100);
    TRY("vmsplice empty, NONBLOCK", vmsplice(p[0], &in, 1, SPLICE_F_NONBLOCK));
    TRY("vmsplice no segments", vmsplice(p[1], iov, 0, 0));
    int rd = open("in", O_RDONLY), path = open("in", O_PATH);
    TRY("vmsplice on a file", vmsplice(rd, iov, 1, 0));
    TRY("vmsplice on an O_PATH fd", vmsplice(path, iov, 1, 0));
    TRY("vmsplice unknown flag", vmsplice(p[1], iov, 1, 0x40));
    TRY("vmsplice bad iovec", vmsplice(p[1], (struct iovec *)8, 1, 0));
    struct iovec bad = {(void *)8, 10};
    TRY("vmsplice bad buffer", vmsplice(p[1], &bad, 1, 0));
    fcntl(p[1], F_SETPIPE_SZ, 4096);
    struct iovec big = {page, 5000};
    TRY("vmsplice 5000 into one page", vmsplice(p[1], &big, 1, 0));
    TRY("vmsplice into a full pipe, NONBLOCK", vmsplice(p[1], &big, 1, SPLICE_F_NONBLOCK));
    read(p[0], page, 5000);
    struct iovec straddle = {page + 4000, 200};
    TRY("vmsplice across a page boundary into one page", vmsplice(p[1], &straddle, 1, 0));
    read(p[0], page, 5000);
    fcntl(p[1], F_SETPIPE_SZ, 65536);
    struct iovec partly[2] = {{page, 100}, {(void *)8, 10}};
    TRY("vmsplice, second segment bad", vmsplice(p[1], partly, 2, 0));
    read(p[0], page, 5000);
    TRY("vmsplice 5000 again", vmsplice(p[1], &big, 1, 0));
    close(p[1]);
    say("queued %d\n", queued(p[0]));
    read(p[0], page, 5000);
    TRY("vmsplice at EOF", vmsplice(p[0], &in, 1, 0));
    close(p[0]);
    pipe(p);
    close(p[0]);
    TRY("vmsplice, no reader", vmsplice(p[1], iov, 1, 0));
    close(p[1]);
    close(rd);
    close(path);
}

static void buffers(void)
{
    say("--- spliced buffers do not merge\n");
    int p[2], in = open("in", O_RDONLY);
    pipe(p);
    fcntl(p[1], F_SETPIPE_SZ, 4096);
    fcntl(p[1], F_SETFL, O_NONBLOCK);
    loff_t off = 0;
    TRY("splice 100 into a one-page pipe", splice(in, &off, p[1], NULL, 100, 0));
    TRY("then write 1", write(p[1], "1", 1));
    read(p[0], page, 4096);
    TRY("write 100", write(p[1], page, 100));
    TRY("then write 1", write(p[1], "1", 1));
    read(p[0], page, 4096);
    off = 100;
    TRY("splice 10000 from offset 100 into one page", splice(in, &off, p[1], NULL, 10000, 0));
    TRY("splice into the full pipe", splice(in, &off, p[1], NULL, 10000, 0));
    TRY("splice into the full pipe, blocking? no: NONBLOCK", splice(in, &off, p[1], NULL, 10, SPLICE_F_NONBLOCK));
    read(p[0], page, 4096);
    int q[2];
    pipe(q);
    write(p[1], "abc", 3);
    TRY("tee 3", tee(p[0], q[1], 3, 0));
    TRY("write after the tee'd buffer", write(q[1], "d", 1));
    fcntl(q[1], F_SETPIPE_SZ, 4096);
    say("F_SETPIPE_SZ with 2 buffers: %s\n", fcntl(q[1], F_GETPIPE_SZ) == 4096 ? "shrunk" : errname(errno));
    close(in);
    close(p[0]);
    close(p[1]);
    close(q[0]);
    close(q[1]);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    setup("splice");
    file_pipe_file();
    big_copy();
    pipe_pipe();
    sockets();
    errors();
    interrupted();
    devices();
    events();
    tee_test();
    vmsplice_test();
    buffers();
    cleanup();
    say("ALL DONE\n");
    return 0;
}
