/* scale: how a cost grows with the work (`pynix bench --scale`, docs/performance.md "Scale").
 *
 * usage: scale fork MIB          fork + child _exit + waitpid with MIB MiB of touched memory in the parent
 *        scale ctxsw NPROC       NPROC runnable processes on one CPU, each calling sched_yield: per switch
 *        scale stat ENTRIES      stat() of one file in a directory of ENTRIES files (in /tmp)
 *        scale depth DEPTH       stat() of a file DEPTH directories deep (in /tmp)
 *        scale sleepers N        N children that sleep (60 s at a time) until killed; prints READY, then waits
 * RESULT <mode>_<arg> <value> us/op      (or RESULT <LABEL> when a third argument LABEL is given)
 *
 * Each mode checks its work: every child's exit status, every stat's inode type and size, and that every
 * yielding process ran its share of the switches.  `sleepers` prints no RESULT: the runner measures the host
 * memory of the emulator while the children sleep, then kills the process group.
 */
#include "bench.h"
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

static char label[64];
static const char *given_label;      /* argv[3]: the RESULT name, whatever the size (for smoke runs) */

static const char *name_of(const char *fmt, long n)
{
    if (given_label)
        return given_label;
    snprintf(label, sizeof label, fmt, n);
    return label;
}

static void fork_touched(long mib)
{
    long n = 200;
    char *mem = mmap(NULL, mib * MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED)
        die("mmap");
    for (long off = 0; off < mib * MIB; off += 4096)
        mem[off] = (char)(off >> 12);
    double t0 = 0;
    for (long i = -5; i < n; i++) {
        if (i == 0)
            t0 = now_us();
        pid_t pid = fork();
        if (pid < 0)
            die("fork");
        if (pid == 0)
            _exit(mem[mib * MIB - 4096] == (char)((mib * MIB - 4096) >> 12) ? 7 : 1);
        int st;
        if (waitpid(pid, &st, 0) != pid)
            die("waitpid");
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 7)
            fail("child %ld ended with status 0x%x (its copy of the memory is wrong?)", i, st);
    }
    result(name_of("fork_%ldm", mib), (now_us() - t0) / n, "us/op");
}

static void yielders(long nproc)
{
    /* Every process yields ROUNDS times; the parent counts its own rounds' time.  With all of them on one CPU,
       each yield switches to the next runnable process: nproc * ROUNDS switches in all. */
    long rounds = nproc >= 256 ? 20 : 2000 / nproc + 20;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(0, &one);
    if (sched_setaffinity(0, sizeof one, &one) != 0)
        die("sched_setaffinity");
    int go[2], done[2];
    if (pipe(go) != 0 || pipe(done) != 0)
        die("pipe");
    for (long i = 1; i < nproc; i++) {
        pid_t pid = fork();
        if (pid < 0)
            die("fork");
        if (pid == 0) {
            char c;
            if (read(go[0], &c, 1) != 1)
                _exit(1);
            for (long r = 0; r < rounds; r++)
                sched_yield();
            if (write(done[1], "d", 1) != 1)
                _exit(1);
            _exit(0);
        }
    }
    close(go[0]);
    char starts[1024];
    memset(starts, 'g', sizeof starts);
    for (long left = nproc - 1; left > 0; left -= left > 1024 ? 1024 : left)
        if (write(go[1], starts, left > 1024 ? 1024 : left) < 0)
            die("write");
    /* Timed: from the start signal until every process has done its `rounds` yields (each child says so on
       `done` before it exits): nproc * rounds switches.  The exits and the reaping are not timed. */
    close(done[1]);
    double t0 = now_us();
    for (long r = 0; r < rounds; r++)
        sched_yield();
    char ack[1024];
    for (long left = nproc - 1; left > 0;) {
        ssize_t got = read(done[0], ack, left > 1024 ? 1024 : left);
        if (got <= 0)
            die("read");
        left -= got;
    }
    double t1 = now_us();
    int st;
    long reaped = 0;
    while (wait(&st) > 0) {
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
            fail("a yielding process ended with status 0x%x", st);
        reaped++;
    }
    if (reaped != nproc - 1)
        fail("reaped %ld processes, expected %ld", reaped, nproc - 1);
    result(name_of("ctxsw_%ld", nproc), (t1 - t0) / ((double)nproc * rounds), "us/op");
}

static void stat_loop(const char *path, long size, const char *name)
{
    long n = 20000;
    struct stat sb;
    double t0 = now_us();
    for (long i = 0; i < n; i++) {
        if (stat(path, &sb) != 0)
            die("stat");
        if (!S_ISREG(sb.st_mode) || sb.st_size != size)
            fail("stat of %s: mode 0%o size %ld", path, (unsigned)sb.st_mode, (long)sb.st_size);
    }
    result(name, (now_us() - t0) / n, "us/op");
}

static void make_file(const char *path, long size)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        die("open");
    char buf[16] = {0};
    if (size && write(fd, buf, size) != size)
        die("write");
    close(fd);
}

static void stat_in_dir(long entries)
{
    char dir[64], path[128];
    snprintf(dir, sizeof dir, "/tmp/scale-stat-%d", (int)getpid());
    if (mkdir(dir, 0755) != 0)
        die("mkdir");
    for (long i = 0; i < entries; i++) {
        snprintf(path, sizeof path, "%s/f%ld", dir, i);
        make_file(path, i == entries / 2 ? 5 : 0);
    }
    snprintf(path, sizeof path, "%s/f%ld", dir, entries / 2);
    stat_loop(path, 5, name_of("stat_dir_%ld", entries));
    for (long i = 0; i < entries; i++) {
        snprintf(path, sizeof path, "%s/f%ld", dir, i);
        if (unlink(path) != 0)
            die("unlink");
    }
    if (rmdir(dir) != 0)
        die("rmdir");
}

static void stat_deep(long depth)
{
    char path[4096];
    int len = snprintf(path, sizeof path, "/tmp/scale-depth-%d", (int)getpid());
    if (mkdir(path, 0755) != 0)
        die("mkdir");
    for (long i = 1; i < depth; i++) {
        len += snprintf(path + len, sizeof path - len, "/d");
        if (mkdir(path, 0755) != 0)
            die("mkdir");
    }
    snprintf(path + len, sizeof path - len, "/file");
    make_file(path, 3);
    stat_loop(path, 3, name_of("stat_depth_%ld", depth));
    if (unlink(path) != 0)
        die("unlink");
    for (long i = depth; i > 0; i--) {
        path[len] = '\0';
        if (rmdir(path) != 0)
            die("rmdir");
        while (len > 0 && path[len] != '/')
            len--;
    }
}

static void sleepers(long n)
{
    for (long i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid < 0)
            die("fork");
        if (pid == 0) {
            for (;;)
                sleep(60);                  /* as `sleep 60 &`: a timer, so the machine is not deadlocked */
        }
    }
    printf("READY %ld\n", n);
    fflush(stdout);
    for (;;)
        sleep(60);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s fork|ctxsw|stat|depth|sleepers N\n", argv[0]);
        return 64;
    }
    long n = arg_long(argc, argv, 2, 1);
    given_label = argc > 3 ? argv[3] : NULL;
    if (!strcmp(argv[1], "fork"))
        fork_touched(n);
    else if (!strcmp(argv[1], "ctxsw"))
        yielders(n);
    else if (!strcmp(argv[1], "stat"))
        stat_in_dir(n);
    else if (!strcmp(argv[1], "depth"))
        stat_deep(n);
    else if (!strcmp(argv[1], "sleepers"))
        sleepers(n);
    else {
        fprintf(stderr, "usage: %s fork|ctxsw|stat|depth|sleepers N\n", argv[0]);
        return 64;
    }
    return 0;
}
