/* Descriptor table operations: dup/dup2/dup3/fcntl(F_DUPFD*), lowest-free allocation, shared offsets and
 * status flags between duplicates, close-on-exec per descriptor, errors. */
#include "conf.h"

int main(void)
{
    for (int fd = 3; fd < 100; fd++) close(fd);
    int fd = open("/etc/passwd", O_RDONLY);
    printf("first open: %d\n", fd);
    SHOW("dup", dup(fd));
    SHOW("dup again", dup(fd));
    close(4);
    SHOW("dup fills the hole", dup(fd));
    SHOW("dup2 to 10", dup2(fd, 10));
    SHOW("dup2 to itself", dup2(fd, fd));
    SHOW("dup2 bad old fd", dup2(99, 11));
    SHOW("dup2 to itself with a bad fd", dup2(99, 99));
    SHOW("dup2 to a huge fd", dup2(fd, 1 << 30));
    SHOW("dup3 to itself", dup3(fd, fd, 0));
    SHOW("dup3 bad flags", dup3(fd, 12, 0x1));
    SHOW("dup3 O_CLOEXEC", dup3(fd, 12, O_CLOEXEC));
    printf("F_GETFD of 12: %d, of 10: %d\n", fcntl(12, F_GETFD), fcntl(10, F_GETFD));
    SHOW("F_DUPFD from 20", fcntl(fd, F_DUPFD, 20));
    SHOW("F_DUPFD from 20 again", fcntl(fd, F_DUPFD, 20));
    SHOW("F_DUPFD_CLOEXEC from 30", fcntl(fd, F_DUPFD_CLOEXEC, 30));
    printf("F_GETFD of 30: %d\n", fcntl(30, F_GETFD));
    SHOW("F_DUPFD negative", fcntl(fd, F_DUPFD, -1));
    SHOW("F_SETFD", fcntl(10, F_SETFD, FD_CLOEXEC));
    printf("F_GETFD after F_SETFD: %d, original unaffected: %d\n", fcntl(10, F_GETFD), fcntl(fd, F_GETFD));

    /* duplicates share the offset and the status flags */
    char buf[8];
    read(fd, buf, 5);
    printf("offset seen by the dup after reading 5: %ld\n", (long)lseek(10, 0, SEEK_CUR));
    lseek(10, 2, SEEK_SET);
    printf("offset seen by the original after seeking the dup: %ld\n", (long)lseek(fd, 0, SEEK_CUR));
    SHOW("F_SETFL O_NONBLOCK on the dup", fcntl(10, F_SETFL, O_NONBLOCK));
    printf("original sees O_NONBLOCK: %d\n", !!(fcntl(fd, F_GETFL) & O_NONBLOCK));
    int other = open("/etc/passwd", O_RDONLY);
    printf("a separate open does not: %d, its offset: %ld\n", !!(fcntl(other, F_GETFL) & O_NONBLOCK),
           (long)lseek(other, 0, SEEK_CUR));
    SHOW("F_SETFL cannot change the access mode", fcntl(other, F_SETFL, O_RDWR));
    printf("still read-only: %d\n", (fcntl(other, F_GETFL) & O_ACCMODE) == O_RDONLY);

    SHOW("close", close(10));
    SHOW("close again", close(10));
    SHOW("close -1", close(-1));
    SHOW("fcntl bad fd", fcntl(99, F_GETFD));
    SHOW("fcntl bad cmd", fcntl(fd, 9999));
    SHOW("dup bad fd", dup(99));

    /* dup2 over an open descriptor closes it silently */
    int p[2];
    MUST(pipe(p));
    SHOW("dup2 over an open fd", dup2(fd, p[1]));
    SHOW("pipe read end sees EOF (its writer was replaced)", read(p[0], buf, 1));

    /* stdio descriptors can be replaced */
    int saved = dup(1);
    int devnull = open("/etc/passwd", O_RDONLY);
    dup2(devnull, 1);
    errno = 0;
    ssize_t w = write(1, "x", 1);
    int e = errno;
    dup2(saved, 1);
    printf("write to fd 1 replaced by a read-only file: %zd %s\n", w, errname(e));

    /* close_range */
    SHOW("close_range 20..30", syscall(SYS_close_range, 20, 30, 0));
    SHOW("fd 20 closed", fcntl(20, F_GETFD));
    SHOW("close_range CLOEXEC", syscall(SYS_close_range, 0, ~0U, 4));
    printf("fd 3 now cloexec: %d\n", fcntl(3, F_GETFD));
    SHOW("close_range first > last", syscall(SYS_close_range, 10, 5, 0));
    return 0;
}
