/* fs_attr: attribute and data calls on a tmpfs (/dev/shm) -- chmod family, chown family (as root: set-ID bits
   dropped by chown), utimensat/futimens/utimes (UTIME_NOW, UTIME_OMIT, symlinks, bad arguments),
   fsync/fdatasync/sync/syncfs/sync_file_range, fallocate (allocate, KEEP_SIZE, PUNCH_HOLE, unsupported modes),
   sendfile and copy_file_range (offsets, pipes, errors). */
#define _GNU_SOURCE
#include "errname.h"
#include "fs_util.h"
#include <sys/sendfile.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <utime.h>

#ifndef FALLOC_FL_KEEP_SIZE
#define FALLOC_FL_KEEP_SIZE 0x01
#endif
#ifndef FALLOC_FL_PUNCH_HOLE
#define FALLOC_FL_PUNCH_HOLE 0x02
#endif
#ifndef FALLOC_FL_COLLAPSE_RANGE
#define FALLOC_FL_COLLAPSE_RANGE 0x08
#endif
#ifndef FALLOC_FL_ZERO_RANGE
#define FALLOC_FL_ZERO_RANGE 0x10
#endif

static void owner(const char *path)
{
    struct stat s;
    if (lstat(path, &s) != 0) {
        say("  %s: %s\n", path, errname(errno));
        return;
    }
    say("  %s: %c%04o uid=%u gid=%u\n", path, type_char(s.st_mode), (unsigned)(s.st_mode & 07777),
        (unsigned)s.st_uid, (unsigned)s.st_gid);
}

static void times_of(const char *path, int follow)
{
    struct stat s;
    int r = follow ? stat(path, &s) : lstat(path, &s);
    if (r != 0) {
        say("  %s: %s\n", path, errname(errno));
        return;
    }
    say("  %s: atime=%lld.%09ld mtime=%lld.%09ld\n", path, (long long)s.st_atim.tv_sec, s.st_atim.tv_nsec,
        (long long)s.st_mtim.tv_sec, s.st_mtim.tv_nsec);
}

/* whether the times are "now" (within a minute of time()), without printing them */
static void recent(const char *path)
{
    struct stat s;
    stat(path, &s);
    time_t now = time(NULL);
    say("  %s: atime %s, mtime %s\n", path, s.st_atim.tv_sec > now - 60 ? "now" : "old",
        s.st_mtim.tv_sec > now - 60 ? "now" : "old");
}

static void content(const char *path)
{
    char buf[64];
    int fd = open(path, O_RDONLY);
    ssize_t n = read(fd, buf, sizeof buf);
    close(fd);
    say("  %s: %zd bytes [", path, n);
    for (ssize_t i = 0; i < n; i++)
        say(buf[i] ? "%c" : "\\0", buf[i]);
    say("]\n");
}

static off_t size_of(int fd)
{
    struct stat s;
    fstat(fd, &s);
    return s.st_size;
}

static void test_chmod(void)
{
    say("--- chmod\n");
    make_file("f", "hello", 0644);
    symlink("f", "lf");
    TRY("chmod f 0600", chmod("f", 0600));
    owner("f");
    TRY("chmod f 07777", chmod("f", 07777));
    owner("f");
    TRY("chmod f 0170644 (type bits ignored)", chmod("f", 0170644));
    owner("f");
    TRY("chmod lf 0640 (follows)", chmod("lf", 0640));
    owner("f");
    owner("lf");
    TRY("chmod nx", chmod("nx", 0644));
    TRY("chmod f/", chmod("f/", 0644));
    int fd = open("f", O_RDONLY);
    TRY("fchmod fd 0604", fchmod(fd, 0604));
    owner("f");
    TRY("fchmod 99", fchmod(99, 0644));
    int pfd = open("f", O_PATH);
    TRY("fchmod O_PATH fd", fchmod(pfd, 0644));
    close(pfd);
    close(fd);
    mkdir("d", 0755);
    int dfd = open("d", O_RDONLY | O_DIRECTORY);
    make_file("d/g", "", 0644);
    TRY("fchmodat(d, g, 0611)", fchmodat(dfd, "g", 0611, 0));
    owner("d/g");
    TRY("chmod d 01777", chmod("d", 01777));
    owner("d");
    TRY("chmod d 02755", chmod("d", 02755));
    owner("d");
    TRY("mkdir d/sub in a set-group-ID dir", mkdir("d/sub", 0700));
    owner("d/sub");
    TRY("mknod d/reg 02755 in a set-group-ID dir", mknod("d/reg", S_IFREG | 02755, 0));
    owner("d/reg");
    close(dfd);
#ifdef __x86_64__  /* fchmodat2 (452) is newer than the qemu-riscv64 used as the riscv64 reference */
    TRY("fchmodat2 lf NOFOLLOW (a symlink)", syscall(452, AT_FDCWD, "lf", 0600, AT_SYMLINK_NOFOLLOW));
    TRY("fchmodat2 f NOFOLLOW", syscall(452, AT_FDCWD, "f", 0620, AT_SYMLINK_NOFOLLOW));
    owner("f");
    TRY("fchmodat2 bad flags", syscall(452, AT_FDCWD, "f", 0600, 0x800));
    fd = open("f", O_PATH);
    TRY("fchmodat2 AT_EMPTY_PATH on O_PATH fd", syscall(452, fd, "", 0640, AT_EMPTY_PATH));
    owner("f");
    close(fd);
#else
    chmod("f", 0640);
#endif
}

static void test_chown(void)
{
    say("--- chown (as root)\n");
    TRY("chown f 1000:1001", chown("f", 1000, 1001));
    owner("f");
    TRY("chown f -1:-1", chown("f", -1, -1));
    owner("f");
    TRY("chown f -1:42", chown("f", -1, 42));
    owner("f");
    TRY("lchown lf 7:8", lchown("lf", 7, 8));
    owner("lf");
    owner("f");
    TRY("chown lf 0:0 (follows)", chown("lf", 0, 0));
    owner("f");
    int fd = open("f", O_RDONLY);
    TRY("fchown fd 5:-1", fchown(fd, 5, -1));
    owner("f");
    TRY("fchown 99", fchown(99, 0, 0));
    close(fd);
    TRY("fchownat lf NOFOLLOW 0:0", fchownat(AT_FDCWD, "lf", 0, 0, AT_SYMLINK_NOFOLLOW));
    owner("lf");
    TRY("fchownat bad flags", fchownat(AT_FDCWD, "f", 0, 0, 0x4));
    TRY("chown nx", chown("nx", 0, 0));
    chmod("f", 06755);
    TRY("chown 06755 file -1:-1", chown("f", -1, -1));
    owner("f");
    chmod("f", 02644);
    TRY("chown 02644 file 0:0", chown("f", 0, 0));
    owner("f");
    chmod("f", 02754);
    TRY("chown 02754 file 0:0", chown("f", 0, 0));
    owner("f");
    chmod("d", 06755);
    TRY("chown 06755 dir 0:0", chown("d", 0, 0));
    owner("d");
    chmod("f", 0644);
}

static void test_times(void)
{
    say("--- utimensat\n");
    struct timespec ts[2] = {{1000000000, 123456789}, {1200000000, 5}};
    TRY("utimensat f explicit", utimensat(AT_FDCWD, "f", ts, 0));
    times_of("f", 1);
    struct timespec omit_a[2] = {{0, UTIME_OMIT}, {1300000000, 0}};
    TRY("utimensat f atime OMIT", utimensat(AT_FDCWD, "f", omit_a, 0));
    times_of("f", 1);
    struct timespec now_m[2] = {{5, UTIME_OMIT}, {7, UTIME_NOW}};
    TRY("utimensat f mtime NOW", utimensat(AT_FDCWD, "f", now_m, 0));
    recent("f");
    utimensat(AT_FDCWD, "f", ts, 0);
    TRY("utimensat f NULL (both now)", utimensat(AT_FDCWD, "f", NULL, 0));
    recent("f");
    struct timespec neg[2] = {{-1, 500}, {-2, 999999999}};
    TRY("utimensat f negative times", utimensat(AT_FDCWD, "f", neg, 0));
    times_of("f", 1);
    struct timespec bad[2] = {{0, 1000000000}, {0, 0}};
    TRY("utimensat nsec 1e9", utimensat(AT_FDCWD, "f", bad, 0));
    struct timespec badn[2] = {{0, -1}, {0, 0}};
    TRY("utimensat nsec -1", utimensat(AT_FDCWD, "f", badn, 0));
    struct timespec both_omit[2] = {{0, UTIME_OMIT}, {0, UTIME_OMIT}};
    TRY("utimensat both OMIT on a missing path", utimensat(AT_FDCWD, "nx", both_omit, 0));
    TRY("utimensat missing path", utimensat(AT_FDCWD, "nx", ts, 0));
    TRY("utimensat bad flags", utimensat(AT_FDCWD, "f", ts, 0x4));
    TRY("utimensat lf NOFOLLOW", utimensat(AT_FDCWD, "lf", ts, AT_SYMLINK_NOFOLLOW));
    times_of("lf", 0);
    utimensat(AT_FDCWD, "f", neg, 0);
    TRY("utimensat lf (follows)", utimensat(AT_FDCWD, "lf", ts, 0));
    times_of("f", 1);
    int fd = open("f", O_RDONLY);
    struct timespec t2[2] = {{2000000000, 1}, {2000000001, 2}};
    TRY("futimens fd", futimens(fd, t2));
    times_of("f", 1);
    TRY("utimensat(fd, NULL, flags=NOFOLLOW)", syscall(SYS_utimensat, fd, NULL, t2, AT_SYMLINK_NOFOLLOW));
    TRY("utimensat(AT_FDCWD, NULL)", syscall(SYS_utimensat, AT_FDCWD, NULL, t2, 0));
    TRY("futimens 99", futimens(99, t2));
    close(fd);
    int dfd = open("d", O_RDONLY | O_DIRECTORY);
    TRY("utimensat(dirfd, g)", utimensat(dfd, "g", t2, 0));
    times_of("d/g", 1);
    TRY("utimensat(dirfd, '', AT_EMPTY_PATH)", utimensat(dfd, "", ts, AT_EMPTY_PATH));
    times_of("d", 1);
    close(dfd);
    struct timeval tv[2] = {{1500000000, 250000}, {1500000001, 999999}};
    TRY("utimes f", utimes("f", tv));
    times_of("f", 1);
    struct utimbuf ub = {1600000000, 1600000002};
    TRY("utime f", utime("f", &ub));
    times_of("f", 1);
    TRY("utime f NULL", utime("f", NULL));
    recent("f");
}

static void test_sync(void)
{
    say("--- fsync, sync\n");
    int fd = open("f", O_RDWR);
    int p[2];
    pipe(p);
    int dfd = open("d", O_RDONLY | O_DIRECTORY);
    TRY("fsync file", fsync(fd));
    TRY("fdatasync file", fdatasync(fd));
    TRY("fsync dir", fsync(dfd));
    TRY("fsync pipe", fsync(p[0]));
    TRY("fdatasync pipe", fdatasync(p[1]));
    TRY("fsync 99", fsync(99));
    sync();
    say("sync: done\n");
    TRY("syncfs file", syscall(SYS_syncfs, fd));
    TRY("syncfs 99", syscall(SYS_syncfs, 99));
    TRY("sync_file_range file", sync_file_range(fd, 0, 0, 0));
    TRY("sync_file_range bad flags", sync_file_range(fd, 0, 0, 8));
    TRY("sync_file_range negative offset", sync_file_range(fd, -1, 0, 0));
    TRY("sync_file_range pipe", sync_file_range(p[0], 0, 0, 0));
    close(p[0]);
    close(p[1]);
    close(dfd);
    close(fd);
}

static void test_fallocate(void)
{
    say("--- fallocate\n");
    int fd = open("alloc", O_CREAT | O_RDWR | O_TRUNC, 0644);
    TRY("fallocate 0..4096", fallocate(fd, 0, 0, 4096));
    say("  size=%lld\n", (long long)size_of(fd));
    TRY("fallocate inside", fallocate(fd, 0, 100, 100));
    say("  size=%lld\n", (long long)size_of(fd));
    TRY("fallocate KEEP_SIZE beyond", fallocate(fd, FALLOC_FL_KEEP_SIZE, 4096, 8192));
    say("  size=%lld\n", (long long)size_of(fd));
    TRY("fallocate 5000+10", fallocate(fd, 0, 5000, 10));
    say("  size=%lld\n", (long long)size_of(fd));
    ftruncate(fd, 0);
    pwrite(fd, "abcdefgh", 8, 0);
    TRY("fallocate PUNCH_HOLE|KEEP_SIZE 2..6", fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 2, 4));
    content("alloc");
    TRY("fallocate PUNCH_HOLE past the end", fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 6, 100));
    content("alloc");
    TRY("fallocate PUNCH_HOLE alone", fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, 4));
    TRY("fallocate ZERO_RANGE (tmpfs)", fallocate(fd, FALLOC_FL_ZERO_RANGE, 0, 4));
    TRY("fallocate COLLAPSE_RANGE (tmpfs)", fallocate(fd, FALLOC_FL_COLLAPSE_RANGE, 0, 4096));
    TRY("fallocate COLLAPSE|KEEP_SIZE", fallocate(fd, FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_KEEP_SIZE, 0, 4096));
    TRY("fallocate mode 0x1000", fallocate(fd, 0x1000, 0, 4));
    TRY("fallocate len 0", fallocate(fd, 0, 0, 0));
    TRY("fallocate offset -1", fallocate(fd, 0, -1, 10));
    TRY("fallocate overflowing", fallocate(fd, 0, 1LL << 62, 1LL << 62));
    TRY("fallocate 2^62 bytes", fallocate(fd, 0, 0, 1LL << 62));
    say("  size=%lld\n", (long long)size_of(fd));
    close(fd);
    fd = open("alloc", O_RDONLY);
    TRY("fallocate read-only fd", fallocate(fd, 0, 0, 10));
    close(fd);
    int p[2];
    pipe(p);
    TRY("fallocate pipe write end", fallocate(p[1], 0, 0, 10));
    TRY("fallocate pipe read end", fallocate(p[0], 0, 0, 10));
    close(p[0]);
    close(p[1]);
    fd = open("d", O_RDONLY | O_DIRECTORY);
    TRY("fallocate directory", fallocate(fd, 0, 0, 10));
    close(fd);
    TRY("fallocate 99", fallocate(99, 0, 0, 10));
}

static void test_copy(void)
{
    say("--- sendfile, copy_file_range\n");
    make_file("src", "0123456789abcdef", 0644);
    int in = open("src", O_RDONLY);
    int out = open("dst", O_CREAT | O_RDWR | O_TRUNC, 0644);
    TRY("sendfile 4 bytes", sendfile(out, in, NULL, 4));
    say("  in offset=%lld out offset=%lld\n", (long long)lseek(in, 0, SEEK_CUR), (long long)lseek(out, 0, SEEK_CUR));
    off_t off = 10;
    TRY("sendfile from offset 10, 100 bytes", sendfile(out, in, &off, 100));
    say("  off=%lld in offset=%lld\n", (long long)off, (long long)lseek(in, 0, SEEK_CUR));
    content("dst");
    off = 100;
    TRY("sendfile past EOF", sendfile(out, in, &off, 10));
    TRY("sendfile count 0", sendfile(out, in, NULL, 0));
    off = -1;
    TRY("sendfile negative offset", sendfile(out, in, &off, 10));
    int p[2];
    pipe(p);
    TRY("sendfile to a pipe", sendfile(p[1], in, NULL, 3));
    char buf[32] = {0};
    read(p[0], buf, sizeof buf - 1);
    say("  pipe got [%s]\n", buf);
    write(p[1], "xyz", 3);
    TRY("sendfile from a pipe", sendfile(out, p[0], NULL, 3));
    TRY("sendfile from a pipe with offset", sendfile(out, p[0], &off, 3));
    TRY("sendfile to a read-only fd", sendfile(in, in, NULL, 3));
    TRY("sendfile from a write-only fd", sendfile(out, p[1], NULL, 3));
    int app = open("dst", O_WRONLY | O_APPEND);
    TRY("sendfile to O_APPEND", sendfile(app, in, NULL, 3));
    TRY("sendfile 99", sendfile(out, 99, NULL, 3));
    TRY("sendfile to 99", sendfile(99, in, NULL, 3));
    close(p[0]);
    close(p[1]);

    int c = open("cfr", O_CREAT | O_RDWR | O_TRUNC, 0644);
    lseek(in, 0, SEEK_SET);
    TRY("copy_file_range 5", copy_file_range(in, NULL, c, NULL, 5, 0));
    say("  in offset=%lld out offset=%lld\n", (long long)lseek(in, 0, SEEK_CUR), (long long)lseek(c, 0, SEEK_CUR));
    loff_t oi = 12, oo = 20;
    TRY("copy_file_range offsets 12->20, 100", copy_file_range(in, &oi, c, &oo, 100, 0));
    say("  oi=%lld oo=%lld in offset=%lld\n", (long long)oi, (long long)oo, (long long)lseek(in, 0, SEEK_CUR));
    content("cfr");
    oi = 100;
    TRY("copy_file_range past EOF", copy_file_range(in, &oi, c, NULL, 10, 0));
    TRY("copy_file_range len 0", copy_file_range(in, NULL, c, NULL, 0, 0));
    TRY("copy_file_range flags 1", copy_file_range(in, NULL, c, NULL, 5, 1));
    loff_t a = 0, b = 2;
    TRY("copy_file_range overlapping in one file", copy_file_range(c, &a, c, &b, 5, 0));
    a = 0; b = 10;
    TRY("copy_file_range within one file", copy_file_range(c, &a, c, &b, 5, 0));
    content("cfr");
    pipe(p);
    TRY("copy_file_range to a pipe", copy_file_range(in, NULL, p[1], NULL, 5, 0));
    close(p[0]);
    close(p[1]);
    int dfd = open("d", O_RDONLY | O_DIRECTORY);
    TRY("copy_file_range from a directory", copy_file_range(dfd, NULL, c, NULL, 5, 0));
    close(dfd);
    TRY("copy_file_range to O_APPEND", copy_file_range(in, NULL, app, NULL, 5, 0));
    TRY("copy_file_range to read-only", copy_file_range(in, NULL, in, NULL, 5, 0));
    int host = open("/etc/passwd", O_RDONLY);
    TRY("copy_file_range across filesystems", copy_file_range(host, NULL, c, NULL, 5, 0));
    close(host);
    TRY("copy_file_range 99", copy_file_range(99, NULL, c, NULL, 5, 0));
    close(app);
    close(c);
    close(in);
    close(out);
}

int main(void)
{
    setup("attr");
    test_chmod();
    test_chown();
    test_times();
    test_sync();
    test_fallocate();
    test_copy();
    cleanup();
    return 0;
}
