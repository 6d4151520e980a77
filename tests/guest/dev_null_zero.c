/* dev_null_zero: the memory devices (/dev/null, zero, full, random, urandom), /dev/shm and the /dev symlinks.
 * Prints results and errno names only (never random bytes), so the output is the same everywhere. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "errname.h"

static int all_bytes(const unsigned char *p, size_t n, unsigned char v)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != v)
            return 0;
    return 1;
}

static void show_node(const char *path)
{
    struct stat s;
    if (stat(path, &s) != 0) {
        printf("stat %s: %s\n", path, errname(errno));
        return;
    }
    printf("%s: chr=%d %u:%u mode=%o size=%lld\n", path, S_ISCHR(s.st_mode), major(s.st_rdev), minor(s.st_rdev),
           (unsigned)(s.st_mode & 0777), (long long)s.st_size);
}

static void show_link(const char *path)
{
    char buf[256];
    ssize_t n = readlink(path, buf, sizeof buf - 1);
    if (n < 0) {
        printf("readlink %s: %s\n", path, errname(errno));
        return;
    }
    buf[n] = 0;
    printf("%s -> %s\n", path, buf);
}

int main(void)
{
    unsigned char buf[4096];
    ssize_t n;
    off_t off;

    const char *nodes[] = {"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty"};
    for (size_t i = 0; i < sizeof nodes / sizeof nodes[0]; i++)
        show_node(nodes[i]);

    /* /dev/null */
    int fd = open("/dev/null", O_RDWR);
    printf("open null: %s\n", fd >= 0 ? "ok" : errname(errno));
    n = write(fd, "hello", 5);
    printf("null write 5 -> %zd\n", n);
    memset(buf, 0xAA, sizeof buf);
    n = read(fd, buf, sizeof buf);
    printf("null read -> %zd, buffer untouched: %s\n", n, buf[0] == 0xAA ? "yes" : "no");
    off = lseek(fd, 100, SEEK_SET);
    printf("null lseek(100, SET) -> %lld\n", (long long)off);
    off = lseek(fd, -5, SEEK_END);
    printf("null lseek(-5, END) -> %lld\n", (long long)off);
    off = lseek(fd, 0, SEEK_CUR);
    printf("null lseek(0, CUR) -> %lld\n", (long long)off);
    n = pwrite(fd, "abc", 3, 1000);
    printf("null pwrite -> %zd\n", n);
    n = pread(fd, buf, 10, 1000);
    printf("null pread -> %zd\n", n);
    errno = 0;
    int r = ftruncate(fd, 0);
    printf("null ftruncate -> %d %s\n", r, errname(errno));
    errno = 0;
    r = isatty(fd);
    printf("null isatty -> %d %s\n", r, errname(errno));
    close(fd);
    fd = open("/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);   /* what a shell's "> /dev/null" does */
    printf("open null O_CREAT|O_TRUNC: %s\n", fd >= 0 ? "ok" : errname(errno));
    printf("  write -> %zd\n", write(fd, "x", 1));
    close(fd);
    fd = open("/dev/null", O_WRONLY | O_APPEND);
    printf("open null O_APPEND: %s\n", fd >= 0 ? "ok" : errname(errno));
    printf("  write -> %zd\n", write(fd, "xy", 2));
    close(fd);

    /* /dev/zero */
    fd = open("/dev/zero", O_RDWR);
    memset(buf, 0xAA, sizeof buf);
    n = read(fd, buf, 1000);
    printf("zero read 1000 -> %zd, all zero: %s, rest untouched: %s\n", n, all_bytes(buf, 1000, 0) ? "yes" : "no",
           buf[1000] == 0xAA ? "yes" : "no");
    memset(buf, 0xAA, sizeof buf);
    n = pread(fd, buf, 64, 12345);
    printf("zero pread 64 -> %zd, all zero: %s\n", n, all_bytes(buf, 64, 0) ? "yes" : "no");
    printf("zero write 7 -> %zd\n", write(fd, "1234567", 7));
    printf("zero lseek(4096, SET) -> %lld\n", (long long)lseek(fd, 4096, SEEK_SET));
    printf("zero lseek(0, CUR) -> %lld\n", (long long)lseek(fd, 0, SEEK_CUR));
    close(fd);

    /* /dev/full */
    fd = open("/dev/full", O_RDWR);
    errno = 0;
    n = write(fd, "data", 4);
    printf("full write -> %zd %s\n", n, errname(errno));
    memset(buf, 0xAA, sizeof buf);
    n = read(fd, buf, 32);
    printf("full read 32 -> %zd, all zero: %s\n", n, all_bytes(buf, 32, 0) ? "yes" : "no");
    printf("full lseek(10, SET) -> %lld\n", (long long)lseek(fd, 10, SEEK_SET));
    close(fd);

    /* /dev/urandom and /dev/random */
    unsigned char a[32], b[32];
    fd = open("/dev/urandom", O_RDONLY);
    n = read(fd, a, sizeof a);
    ssize_t m = read(fd, b, sizeof b);
    printf("urandom reads -> %zd %zd, differ: %s, not all zero: %s\n", n, m, memcmp(a, b, sizeof a) ? "yes" : "no",
           all_bytes(a, sizeof a, 0) ? "no" : "yes");
    printf("urandom lseek(0, CUR) -> %lld\n", (long long)lseek(fd, 0, SEEK_CUR));
    close(fd);
    fd = open("/dev/urandom", O_WRONLY);
    printf("urandom write 4 -> %zd\n", write(fd, "seed", 4));
    close(fd);
    fd = open("/dev/random", O_RDONLY);
    n = read(fd, a, 16);
    printf("random read 16 -> %zd\n", n);
    close(fd);

    /* the symlinks */
    show_link("/dev/stdin");
    show_link("/dev/stdout");
    show_link("/dev/stderr");
    show_link("/dev/fd");

    /* /dev/stdout reopens the standard output (a pipe in the tests) */
    fflush(stdout);
    fd = open("/dev/stdout", O_WRONLY);
    if (fd >= 0) {
        n = write(fd, "written through /dev/stdout\n", 28);
        close(fd);
    } else {
        printf("open /dev/stdout: %s\n", errname(errno));
    }
    fd = open("/dev/fd/1", O_WRONLY);
    if (fd >= 0) {
        n = write(fd, "written through /dev/fd/1\n", 26);
        close(fd);
    } else {
        printf("open /dev/fd/1: %s\n", errname(errno));
    }

    /* /dev/shm is a writable directory */
    struct stat s;
    printf("/dev/shm is a sticky world-writable directory: %s\n",
           stat("/dev/shm", &s) == 0 && S_ISDIR(s.st_mode) && (s.st_mode & 01777) == 01777 ? "yes" : "no");
    char name[64];
    snprintf(name, sizeof name, "/dev/shm/pynix-devtest-%d", (int)getpid());
    fd = open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
    printf("create in /dev/shm: %s\n", fd >= 0 ? "ok" : errname(errno));
    if (fd >= 0) {
        write(fd, "shared", 6);
        memset(buf, 0, 16);
        n = pread(fd, buf, 16, 0);
        printf("read back: %zd [%s]\n", n, (char *)buf);
        close(fd);
        printf("unlink: %d\n", unlink(name));
    }
    printf("/dev/pts is a directory: %s\n", stat("/dev/pts", &s) == 0 && S_ISDIR(s.st_mode) ? "yes" : "no");
    errno = 0;
    fd = open("/dev/nonexistent-pynix", O_RDONLY);
    printf("/dev/nonexistent: %d %s\n", fd, errname(errno));
    printf("ALL OK\n");
    return 0;
}
