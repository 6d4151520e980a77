/* File times and syncing: utimensat/futimens (explicit times, UTIME_NOW, UTIME_OMIT), utimes, the atime/mtime
 * read back; fsync/fdatasync/sync/syncfs on files and their errors on pipes; fallocate and posix_fadvise. */
#include "conf.h"
#include <sys/time.h>
#include <time.h>

int main(void)
{
    scratch();
    put_file("f", "data");
    struct timespec ts[2] = {{1000000000, 123456789}, {1500000000, 987654321}};
    SHOW("utimensat explicit", utimensat(AT_FDCWD, "f", ts, 0));
    struct stat sb;
    stat("f", &sb);
    printf("atime %ld.%09ld mtime %ld.%09ld\n", (long)sb.st_atim.tv_sec, sb.st_atim.tv_nsec,
           (long)sb.st_mtim.tv_sec, sb.st_mtim.tv_nsec);
    struct timespec omit[2] = {{0, UTIME_OMIT}, {1600000000, 0}};
    SHOW("utimensat atime omitted", utimensat(AT_FDCWD, "f", omit, 0));
    stat("f", &sb);
    printf("atime %ld mtime %ld\n", (long)sb.st_atim.tv_sec, (long)sb.st_mtim.tv_sec);
    struct timespec now[2] = {{0, UTIME_NOW}, {0, UTIME_NOW}};
    int fd = open("f", O_RDWR);
    SHOW("futimens UTIME_NOW", futimens(fd, now));
    fstat(fd, &sb);
    printf("mtime is recent: %d\n", sb.st_mtime >= time(NULL) - 5);
    SHOW("utimensat NULL (now)", utimensat(AT_FDCWD, "f", NULL, 0));
    struct timespec bad[2] = {{0, 1000000000}, {0, 0}};
    SHOW("utimensat bad nsec", utimensat(AT_FDCWD, "f", bad, 0));
    SHOW("utimensat missing", utimensat(AT_FDCWD, "missing", ts, 0));
    MUST(symlink("f", "l"));
    SHOW("utimensat AT_SYMLINK_NOFOLLOW", utimensat(AT_FDCWD, "l", ts, AT_SYMLINK_NOFOLLOW));
    lstat("l", &sb);
    printf("symlink mtime set: %d\n", sb.st_mtime == 1500000000);
    stat("f", &sb);
    printf("target mtime unchanged: %d\n", sb.st_mtime != 1500000000);
    struct timeval tv[2] = {{1234567890, 0}, {1234567891, 500000}};
    SHOW("utimes", utimes("f", tv));
    stat("f", &sb);
    printf("utimes mtime %ld.%06ld\n", (long)sb.st_mtime, sb.st_mtim.tv_nsec / 1000);

    SHOW("fsync", fsync(fd));
    SHOW("fdatasync", fdatasync(fd));
    sync();
    printf("sync returned\n");
    SHOW("syncfs", syncfs(fd));
    int p[2];
    MUST(pipe(p));
    SHOW("fsync on a pipe", fsync(p[0]));
    SHOW("fsync bad fd", fsync(99));

    SHOW("fallocate 8192", fallocate(fd, 0, 0, 8192));
    fstat(fd, &sb);
    printf("size after fallocate: %ld\n", (long)sb.st_size);
    SHOW("fallocate KEEP_SIZE", fallocate(fd, 1, 0, 65536));
    fstat(fd, &sb);
    printf("size kept: %ld\n", (long)sb.st_size);
    SHOW("fallocate zero length", fallocate(fd, 0, 0, 0));
    SHOW("fallocate on a pipe", fallocate(p[1], 0, 0, 10));
    printf("posix_fadvise: %s\n", errname(posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)));
    printf("posix_fadvise bad advice: %s\n", errname(posix_fadvise(fd, 0, 0, 42)));
    printf("posix_fadvise on a pipe: %s\n", errname(posix_fadvise(p[0], 0, 0, POSIX_FADV_NORMAL)));
    return 0;
}
