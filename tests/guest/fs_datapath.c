/* Data-path and directory behaviour (issues 12 and 21), each as on Linux:
 * - getdents64 on an O_PATH descriptor of a directory is EBADF;
 * - mmap of a bad descriptor is EBADF (before the length is looked at); /dev/zero mapped MAP_PRIVATE is private
 *   zero-filled memory, MAP_SHARED is memory shared with children;
 * - rename's type checks (EEXIST with RENAME_NOREPLACE, ENOTDIR, EISDIR, ENOTEMPTY, EXDEV) on tmpfs (/dev/shm)
 *   and in /tmp;
 * - getdents64's d_ino is stat's st_ino for every entry, also for files that exist only in the in-memory layer;
 * - listing /proc/self/fd while closing the descriptors listed (CPython's way of closing fds) sees every one. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"

struct linux_dirent64 {
    unsigned long long d_ino;
    long long d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

static void result(const char *what, long r) {
    printf("%-50s %ld %s\n", what, r, r < 0 ? errname(errno) : "");
}

static long raw_mmap(void *addr, size_t len, int prot, int flags, int fd, long off) {
    return syscall(SYS_mmap, addr, len, prot, flags, fd, off);
}

static void getdents_opath(void) {
    char buf[4096];
    int fd = open("/tmp", O_PATH | O_DIRECTORY);
    result("getdents64 on an O_PATH directory", syscall(SYS_getdents64, fd, buf, sizeof buf));
    result("read on an O_PATH directory", read(fd, buf, 10));
    close(fd);
}

static void mmap_cases(void) {
    result("mmap fd -1 without MAP_ANONYMOUS", raw_mmap(0, 4096, PROT_READ, MAP_PRIVATE, -1, 0));
    result("mmap a closed fd", raw_mmap(0, 4096, PROT_READ, MAP_PRIVATE, 999, 0));
    result("mmap a closed fd, length 0", raw_mmap(0, 0, PROT_READ, MAP_PRIVATE, 999, 0));
    result("mmap a closed fd, MAP_SHARED", raw_mmap(0, 4096, PROT_READ, MAP_SHARED, 999, 0));
    int zero = open("/dev/zero", O_RDWR);
    char *p = (char *)raw_mmap(0, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, zero, 0);
    printf("/dev/zero MAP_PRIVATE: %s, reads %d %d\n", (long)p < 0 ? errname(errno) : "mapped", p[0], p[3 * 4096 - 1]);
    p[5] = 'p';
    char *q = (char *)raw_mmap(0, 4096, PROT_READ, MAP_PRIVATE, zero, 0);
    printf("  a second private mapping is separate: %d\n", q[5]);
    pid_t pid = fork();
    if (pid == 0) {
        p[5] = 'c';
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    printf("  a child's store stays in the child: %c\n", p[5]);
    char *s = (char *)raw_mmap(0, 2 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, zero, 0);
    printf("/dev/zero MAP_SHARED: %s, reads %d\n", (long)s < 0 ? errname(errno) : "mapped", s[4096]);
    pid = fork();
    if (pid == 0) {
        strcpy(s + 4096, "from the child");
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    printf("  the parent sees the child's store: [%s]\n", s + 4096);
    char line[256];
    FILE *maps = fopen("/proc/self/maps", "r");
    int named = 0;
    while (fgets(line, sizeof line, maps))
        if (strstr(line, "/dev/zero (deleted)")) named++;
    fclose(maps);
    printf("  /proc/self/maps names it /dev/zero (deleted): %d\n", named);
    result("mmap /dev/zero at an offset", raw_mmap(0, 4096, PROT_READ, MAP_SHARED, zero, 1 << 20) < 0 ? -1 : 0);
    close(zero);
    int null = open("/dev/null", O_RDWR);
    result("mmap /dev/null", raw_mmap(0, 4096, PROT_READ, MAP_PRIVATE, null, 0));
    close(null);
}

static void rename_cases(const char *base, const char *other) {
    char a[256], b[256], d1[256], d2[256], d2f[256], x[256];
    printf("== rename in %s\n", base);
    snprintf(a, sizeof a, "%s/pynix-rn-a", base);
    snprintf(b, sizeof b, "%s/pynix-rn-b", base);
    snprintf(d1, sizeof d1, "%s/pynix-rn-d1", base);
    snprintf(d2, sizeof d2, "%s/pynix-rn-d2", base);
    snprintf(d2f, sizeof d2f, "%s/pynix-rn-d2/f", base);
    snprintf(x, sizeof x, "%s/pynix-rn-x", other);
    close(open(a, O_CREAT | O_WRONLY, 0600));
    close(open(b, O_CREAT | O_WRONLY, 0600));
    mkdir(d1, 0700);
    mkdir(d2, 0700);
    close(open(d2f, O_CREAT | O_WRONLY, 0600));
    result("RENAME_NOREPLACE onto a file", syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, 1));
    result("directory onto a file", rename(d1, a));
    result("file onto a directory", rename(a, d1));
    result("directory onto a non-empty directory", rename(d1, d2));
    result("across filesystems", rename(a, x));
    result("file onto a file", rename(a, b));
    result("directory onto an empty directory", rename(d2f, a) | rename(d1, d2));
    struct stat st;
    printf("  d2 is a directory: %d, d1 is gone: %d\n", stat(d2, &st) == 0 && S_ISDIR(st.st_mode),
           stat(d1, &st) < 0 && errno == ENOENT);
    unlink(a);
    unlink(b);
    rmdir(d2);
}

static void inode_numbers(const char *dir) {
    char path[512];
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    char buf[8192];
    long n;
    int entries = 0, mismatches = 0;
    while ((n = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0) {
        for (long off = 0; off < n;) {
            struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
            off += d->d_reclen;
            if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
                continue;
            snprintf(path, sizeof path, "%s/%s", dir, d->d_name);
            struct stat st;
            if (lstat(path, &st) == 0) {
                entries++;
                if (st.st_ino != d->d_ino) {
                    mismatches++;
                    printf("  %s: d_ino differs from st_ino\n", d->d_name);
                }
            }
        }
    }
    close(fd);
    printf("inode numbers in %s: %s\n", dir, mismatches ? "MISMATCH" : entries ? "agree" : "agree (no entries)");
}

static void proc_fd_listing(void) {
    int first = 100, count = 60;
    for (int i = 0; i < count; i++)
        dup2(1, first + i);
    int dfd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY);
    char buf[200];                 /* a few entries per call, so that closing happens between calls */
    long n;
    int seen = 0;
    while ((n = syscall(SYS_getdents64, dfd, buf, sizeof buf)) > 0) {
        for (long off = 0; off < n;) {
            struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
            off += d->d_reclen;
            int fd = atoi(d->d_name);
            if (fd >= first && fd < first + count) {
                seen++;
                close(fd);
            }
        }
    }
    close(dfd);
    printf("/proc/self/fd while closing: saw %d of %d\n", seen, count);
}

static void rwf_flags(void) {
    int fd = open("/dev/shm/pynix-rwf", O_RDWR | O_CREAT | O_TRUNC, 0600);
    write(fd, "hello", 5);
    char b[8] = {0};
    struct iovec v = {b, 5};
    const char *names[] = {"RWF_HIPRI", "RWF_DSYNC", "RWF_SYNC", "RWF_NOWAIT (tmpfs)", "RWF_APPEND", "0x10000"};
    int flags[] = {1, 2, 4, 8, 0x10, 0x10000};
    char what[64];
    for (int i = 0; i < 6; i++) {
        snprintf(what, sizeof what, "preadv2 %s", names[i]);
        result(what, syscall(SYS_preadv2, fd, &v, 1, 0L, 0L, (long)flags[i]));
        snprintf(what, sizeof what, "pwritev2 %s", names[i]);
        result(what, syscall(SYS_pwritev2, fd, &v, 1, 0L, 0L, (long)flags[i]));
    }
    struct stat st;
    fstat(fd, &st);
    printf("size after one RWF_APPEND write: %lld\n", (long long)st.st_size);
    lseek(fd, 1, SEEK_SET);
    result("preadv2 at -1 (the file offset)", syscall(SYS_preadv2, fd, &v, 1, -1L, 0L, 0L));
    printf("  read [%.5s], offset now %ld\n", b, (long)lseek(fd, 0, SEEK_CUR));
    result("preadv2 at -2", syscall(SYS_preadv2, fd, &v, 1, -2L, 0L, 0L));
    int p[2];
    pipe(p);
    result("preadv2 RWF_NOWAIT of an empty pipe", syscall(SYS_preadv2, p[0], &v, 1, -1L, 0L, 8L));
    result("preadv2 of a pipe at offset 0", syscall(SYS_preadv2, p[0], &v, 1, 0L, 0L, 0L));
    close(p[0]);
    close(p[1]);
    close(fd);
    unlink("/dev/shm/pynix-rwf");
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    rwf_flags();
    getdents_opath();
    mmap_cases();
    rename_cases("/dev/shm", "/proc/self");
    rename_cases("/tmp", "/dev/shm");
    mkdir("/tmp/pynix-ino-dir", 0700);
    close(open("/tmp/pynix-ino-dir/new-file", O_CREAT | O_WRONLY, 0600));
    mkdir("/tmp/pynix-ino-dir/new-dir", 0700);
    symlink("x", "/tmp/pynix-ino-dir/new-link");
    inode_numbers("/tmp/pynix-ino-dir");
    inode_numbers("/tmp");
    inode_numbers("/etc");
    unlink("/tmp/pynix-ino-dir/new-file");
    unlink("/tmp/pynix-ino-dir/new-link");
    rmdir("/tmp/pynix-ino-dir/new-dir");
    rmdir("/tmp/pynix-ino-dir");
    proc_fd_listing();
    return 0;
}
