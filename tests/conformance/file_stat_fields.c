/* stat/fstat/lstat/fstatat/statx fields of files, directories, symlinks and pipes: type and permission bits,
 * sizes, link counts, owners, inode identity, timestamps moving forward. */
#include "conf.h"
#include <sys/sysmacros.h>
#include <time.h>

static void kind(const char *label, mode_t m)
{
    const char *k = S_ISREG(m) ? "regular" : S_ISDIR(m) ? "directory" : S_ISLNK(m) ? "symlink" :
                    S_ISFIFO(m) ? "fifo" : S_ISCHR(m) ? "char device" : S_ISSOCK(m) ? "socket" : "other";
    printf("%s: %s %04o\n", label, k, (unsigned)(m & 07777));
}

int main(void)
{
    scratch();
    umask(022);
    put_file("f", "0123456789");
    struct stat s, t;
    SHOW("stat f", stat("f", &s));
    kind("  f", s.st_mode);
    printf("  size %ld nlink %ld owner is us %d group is ours %d\n", (long)s.st_size, (long)s.st_nlink,
           s.st_uid == geteuid(), s.st_gid == getegid());
    printf("  blksize > 0: %d, blocks*512 >= size: %d\n", s.st_blksize > 0, s.st_blocks * 512 >= s.st_size);
    int fd = open("f", O_RDONLY);
    fstat(fd, &t);
    printf("  fstat same inode and device: %d\n", s.st_ino == t.st_ino && s.st_dev == t.st_dev);
    printf("  mtime <= now: %d, ctime == mtime: %d\n", s.st_mtime <= time(NULL), s.st_ctime == s.st_mtime);

    struct timespec before = s.st_mtim;
    usleep(20000);
    int w = open("f", O_WRONLY | O_APPEND);
    write(w, "x", 1);
    fstat(w, &t);
    printf("  write moved mtime forward: %d, size now %ld\n",
           t.st_mtim.tv_sec > before.tv_sec || (t.st_mtim.tv_sec == before.tv_sec && t.st_mtim.tv_nsec > before.tv_nsec),
           (long)t.st_size);

    MUST(mkdir("d", 0750));
    stat("d", &s);
    kind("d", s.st_mode);
    printf("  nlink of an empty directory: %ld\n", (long)s.st_nlink);
    MUST(mkdir("d/sub1", 0700));
    MUST(mkdir("d/sub2", 0700));
    stat("d", &s);
    printf("  nlink with two subdirectories: %ld\n", (long)s.st_nlink);

    MUST(symlink("f", "l"));
    lstat("l", &s);
    kind("lstat l", s.st_mode);
    printf("  symlink size is the target length: %ld\n", (long)s.st_size);
    stat("l", &t);
    kind("stat l", t.st_mode);
    SHOW("fstatat AT_SYMLINK_NOFOLLOW", fstatat(AT_FDCWD, "l", &s, AT_SYMLINK_NOFOLLOW));
    kind("  result", s.st_mode);
    SHOW("fstatat AT_EMPTY_PATH", fstatat(fd, "", &s, AT_EMPTY_PATH));
    kind("  result", s.st_mode);
    SHOW("fstatat empty path without the flag", fstatat(fd, "", &s, 0));
    SHOW("fstatat bad flags", fstatat(AT_FDCWD, "f", &s, 0x1));
    SHOW("stat missing", stat("missing", &s));
    SHOW("stat through a file", stat("f/x", &s));
    SHOW("stat trailing slash on a file", stat("f/", &s));
    SHOW("newfstatat bad pointer", syscall(SYS_newfstatat, AT_FDCWD, "f", (void *)16, 0));
    SHOW("fstat bad fd", fstat(99, &s));

    MUST(link("f", "hard"));
    stat("f", &s);
    stat("hard", &t);
    printf("hard link: nlink %ld, same inode %d\n", (long)s.st_nlink, s.st_ino == t.st_ino);

    int p[2];
    MUST(pipe(p));
    fstat(p[0], &s);
    kind("pipe", s.st_mode);
    printf("  pipe inode same at both ends: %d\n", (fstat(p[1], &t), t.st_ino == s.st_ino));

    stat("/", &s);
    kind("/", s.st_mode);
    stat("/dev/null", &s);
    kind("/dev/null", s.st_mode);
    printf("  rdev major 1 minor 3: %d\n", major(s.st_rdev) == 1 && minor(s.st_rdev) == 3);

    struct statx sx;
    SHOW("statx", statx(AT_FDCWD, "f", 0, STATX_BASIC_STATS, &sx));
    printf("  basic stats in mask: %d, size %llu, mode matches stat: %d\n", (sx.stx_mask & STATX_BASIC_STATS) == STATX_BASIC_STATS,
           (unsigned long long)sx.stx_size, (stat("f", &s), sx.stx_mode == s.st_mode));
    SHOW("statx reserved mask bit", statx(AT_FDCWD, "f", 0, 0x80000000u, &sx));
    return 0;
}
